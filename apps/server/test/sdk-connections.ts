// The official SDK client connected to a running gateway over each transport: HTTP+SSE,
// Streamable HTTP, and stdio in-process (serveStdio over a pair of streams, driven by the SDK
// Client through a small Transport of our own). Shared by the specs that run one suite per transport.
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistry } from '@sanctum/sessions';
import { serveStdio } from '../src/app/transport/stdio';
import type { StdioServer } from '../src/app/transport/stdio';
import { eventually } from './gateway';
import type { RunningGateway } from './gateway';

/** An SDK Transport over two byte streams speaking newline-delimited JSON (what a stdio client does). */
export class StreamPairTransport implements Transport {
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

export interface Connection {
  client: Client;
  /** Close the client side and wait until the gateway has let go of the session. */
  close(): Promise<void>;
  /** The session id on the gateway. */
  sessionId(): string | undefined;
}

export type Connect = (gateway: RunningGateway, client: Client) => Promise<Connection>;

export const connectSse: Connect = async (gateway, client) => {
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

export const connectStreamableHttp: Connect = async (gateway, client) => {
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

export const connectStdio: Connect = async (gateway, client) => {
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

/** The three transports, for describe.each: name, session transport kind, connect. */
export const SDK_TRANSPORTS: Array<[string, 'sse' | 'streamable-http' | 'stdio', Connect]> = [
  ['HTTP+SSE', 'sse', connectSse],
  ['Streamable HTTP', 'streamable-http', connectStreamableHttp],
  ['stdio', 'stdio', connectStdio],
];
