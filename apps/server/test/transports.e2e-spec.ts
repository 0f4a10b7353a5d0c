// The same official-SDK client suite over every transport the gateway serves: HTTP+SSE,
// Streamable HTTP, and stdio (in-process: serveStdio over a pair of streams, driven by the SDK
// Client through a small Transport of our own; the real process is pinned in stdio-process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistry } from '@sanctum/sessions';
import { serveStdio } from '../src/app/transport/stdio';
import type { StdioServer } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const PLUGINS_DIR = resolve(__dirname, '../../../mcp/plugins');
const PLUGIN_TOOLS = ['botfather__click-button', 'botfather__send-message', 'devops__deploy', 'devops__rollback', 'devops__status'];

/** An SDK Transport over two byte streams speaking newline-delimited JSON (what a stdio client does). */
class StreamPairTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private buffer = '';

  constructor(
    private readonly fromServer: Readable,
    private readonly toServer: Writable,
  ) {}

  async start(): Promise<void> {
    this.fromServer.setEncoding('utf8');
    this.fromServer.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let newline = this.buffer.indexOf('\n'); newline !== -1; newline = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        try {
          this.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(line)));
        } catch (err) {
          this.onerror?.(err as Error);
        }
      }
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.toServer.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

interface Connection {
  client: Client;
  /** Close the client side and wait until the gateway has let go of the session. */
  close(): Promise<void>;
  /** The session id on the gateway. */
  sessionId(): string | undefined;
}

type Connect = (gateway: RunningGateway, client: Client) => Promise<Connection>;

const connectSse: Connect = async (gateway, client) => {
  const before = new Set(
    gateway.app
      .get(SessionRegistry)
      .all()
      .map((s) => s.id),
  );
  await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
  const session = gateway.app
    .get(SessionRegistry)
    .all()
    .find((s) => s.transport === 'sse' && !before.has(s.id));
  return {
    client,
    sessionId: () => session?.id,
    close: async () => {
      await client.close();
      await eventually(() => session === undefined || gateway.app.get(SessionRegistry).get(session.id) === undefined);
    },
  };
};

const connectStreamableHttp: Connect = async (gateway, client) => {
  const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`));
  await client.connect(transport);
  return {
    client,
    sessionId: () => transport.sessionId,
    close: async () => {
      const id = transport.sessionId;
      await transport.terminateSession();
      await client.close();
      expect(id && gateway.app.get(SessionRegistry).get(id)).toBeFalsy();
    },
  };
};

const connectStdio: Connect = async (gateway, client) => {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const server: StdioServer = serveStdio(gateway.app, toServer, fromServer);
  await client.connect(new StreamPairTransport(fromServer, toServer));
  return {
    client,
    sessionId: () => server.session.id,
    close: async () => {
      await client.close();
      await server.finished;
    },
  };
};

describe.each<[string, 'sse' | 'streamable-http' | 'stdio', Connect]>([
  ['HTTP+SSE', 'sse', connectSse],
  ['Streamable HTTP', 'streamable-http', connectStreamableHttp],
  ['stdio', 'stdio', connectStdio],
])('the SDK client over %s', (_name, kind, connect) => {
  let gateway: RunningGateway;
  let stateDir: string;
  let connection: Connection;
  let client: Client;
  const errors: Error[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sanctum-transports-'));
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR });
    client = new Client({ name: `e2e-${kind}`, version: '1.0.0' });
    client.onerror = (err) => errors.push(err);
    connection = await connect(gateway, client);
  });

  afterAll(async () => {
    await connection?.close();
    await gateway?.close();
    delete process.env['DEVOPS_STATE_FILE'];
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('initializes: server info, tools capability, a session of this transport', () => {
    expect(client.getServerVersion()).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    const id = connection.sessionId();
    expect(id).toBeDefined();
    const session = gateway.app.get(SessionRegistry).get(id as string);
    expect(session?.transport).toBe(kind);
    expect(session?.initialized).toBe(true);
    expect(session?.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('lists the five plugin tools', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names.filter((n) => /^(botfather|devops)__/.test(n)).sort()).toEqual(PLUGIN_TOOLS);
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
  });

  it('deploys with devops, then reports the status', async () => {
    const app = `shop-${kind}`;
    const deployed = await client.callTool({ name: 'devops__deploy', arguments: { 'app-name': app, version: '3.1.4' } });
    expect(deployed.isError).toBeFalsy();
    expect(deployed.structuredContent).toMatchObject({ app, version: '3.1.4', status: 'deployed' });
    const status = await client.callTool({ name: 'devops__status', arguments: { 'app-name': app } });
    expect(status.isError).toBeFalsy();
    expect(JSON.stringify(status.structuredContent)).toContain('3.1.4');
  });

  it('answers a call that asks for progress (an SSE answer over Streamable HTTP)', async () => {
    const status = await client.callTool({ name: 'devops__status', arguments: { 'app-name': `shop-${kind}` } }, undefined, {
      onprogress: () => undefined,
    });
    expect(status.isError).toBeFalsy();
    expect(JSON.stringify(status.structuredContent)).toContain('3.1.4');
  });

  it('answers an unknown tool with McpError -32602', async () => {
    const error = await client.callTool({ name: 'nope__nothing', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain('nope__nothing');
  });

  it('answers ping', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });

  it('reported no transport errors to the client', () => {
    expect(errors).toEqual([]);
  });
});
