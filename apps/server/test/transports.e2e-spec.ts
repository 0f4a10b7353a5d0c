// The same official-SDK client suite over every transport the gateway serves: HTTP+SSE,
// Streamable HTTP, and stdio (in-process, see sdk-connections.ts; the real process is pinned in
// stdio-process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistry } from '@sanctum/sessions';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { SDK_TRANSPORTS } from './sdk-connections';
import type { Connection } from './sdk-connections';

const PLUGINS_DIR = resolve(__dirname, '../../../mcp/plugins');
const PLUGIN_TOOLS = ['botfather__click-button', 'botfather__draft-reply', 'botfather__send-message', 'devops__deploy', 'devops__rollback', 'devops__status'];

describe.each(SDK_TRANSPORTS)('the SDK client over %s', (_name, kind, connect) => {
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

  it('lists the six plugin tools', async () => {
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
