// Pins the HTTP+SSE transport (MCP 2024-11-05) as the official SDK client speaks it:
// initialize, tools/list, tools/call of every bundled tool, and the error cases.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startFakeTelegram } from './fake-telegram';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const PLUGINS_DIR = resolve(__dirname, '../../../mcp/plugins');

describe('HTTP+SSE transport with the official MCP SDK client', () => {
  let gateway: RunningGateway;
  let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
  let stateDir: string;
  let client: Client;

  beforeAll(async () => {
    telegram = await startFakeTelegram();
    stateDir = mkdtempSync(join(tmpdir(), 'sanctum-devops-'));
    process.env['TELEGRAM_BOT_TOKEN'] = '123:secret-token';
    process.env['TELEGRAM_CHAT_ID'] = '4242';
    process.env['TELEGRAM_API_BASE'] = telegram.url;
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR });
    client = new Client({ name: 'e2e-sse', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await telegram?.close();
    for (const name of ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID', 'TELEGRAM_API_BASE', 'DEVOPS_STATE_FILE']) delete process.env[name];
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('negotiates a protocol version and reports the server', () => {
    expect(client.getServerVersion()).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
  });

  it('lists every bundled command as a tool with a real schema', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(['botfather__click-button', 'botfather__draft-reply', 'botfather__send-message', 'devops__deploy', 'devops__rollback', 'devops__status', 'gateway__status']);
    for (const tool of tools) {
      expect(tool.description).toBeTruthy();
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema['additionalProperties']).toBe(false);
    }
    const click = tools.find((t) => t.name === 'botfather__click-button');
    expect(click?.inputSchema.properties).toMatchObject({
      'button-text': { type: 'string', description: expect.any(String) },
      'msg-id': { type: 'integer', description: expect.any(String) },
    });
    expect([...(click?.inputSchema.required ?? [])].sort()).toEqual(['button-text', 'msg-id']);
    const deploy = tools.find((t) => t.name === 'devops__deploy');
    expect(deploy?.inputSchema.required).toEqual(['app-name']);
    expect(deploy?.inputSchema.properties?.['environment']).toMatchObject({ enum: ['development', 'staging', 'production'] });
  });

  it('sends a Telegram message through botfather', async () => {
    const result = await client.callTool({ name: 'botfather__send-message', arguments: { message: 'hello from e2e' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ text: 'hello from e2e' });
    const call = telegram.calls.at(-1);
    expect(call).toMatchObject({ method: 'sendMessage', token: '123:secret-token', body: { text: 'hello from e2e' } });
    expect(String(call?.body['chat_id'])).toBe('4242');
  });

  it('clicks a button (reply) through botfather with an integer msg-id', async () => {
    const result = await client.callTool({ name: 'botfather__click-button', arguments: { button_text: 'Yes', msg_id: 77 } });
    expect(result.isError).toBeFalsy();
    const call = telegram.calls.at(-1);
    expect(call?.body).toMatchObject({ text: 'Yes', reply_parameters: { message_id: 77 } });
  });

  it('deploys, reports status and rolls back with devops', async () => {
    const v1 = await client.callTool({ name: 'devops__deploy', arguments: { 'app-name': 'shop', version: '1.0.0' } });
    expect(v1.isError).toBeFalsy();
    const v2 = await client.callTool({ name: 'devops.deploy', arguments: { 'app-name': 'shop', version: '2.0.0', environment: 'production' } });
    expect(v2.isError).toBeFalsy();
    const status = await client.callTool({ name: 'devops__status', arguments: { 'app-name': 'shop' } });
    expect(JSON.stringify(status.structuredContent)).toContain('2.0.0');
    const back = await client.callTool({ name: 'devops__rollback', arguments: { 'app-name': 'shop', version: '1.0.0' } });
    expect(back.isError).toBeFalsy();
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as unknown;
    expect(JSON.stringify(state)).toContain('shop');
  });

  it('returns a plugin error as isError with plugin_error', async () => {
    const result = await client.callTool({ name: 'devops__rollback', arguments: { 'app-name': 'shop', version: '9.9.9' } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'plugin_error', message: expect.stringContaining('9.9.9') } });
  });

  it('refuses arguments of the wrong type before spawning (invalid_arguments)', async () => {
    const before = telegram.calls.length;
    const result = await client.callTool({ name: 'botfather__click-button', arguments: { 'button-text': 'Yes', 'msg-id': 'seven' } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'invalid_arguments', message: expect.stringContaining('msg-id') } });
    expect(telegram.calls.length).toBe(before);
  });

  it('answers an unknown tool with JSON-RPC -32602', async () => {
    const error = await client.callTool({ name: 'nope__nothing', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain('nope__nothing');
  });

  it('answers ping', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });

  it('logs session and tool lines as the monitoring guide shows', async () => {
    await client.callTool({ name: 'devops__status', arguments: { 'app-name': 'shop' } });
    await eventually(() => gateway.logs.some((l) => /INFO: Tool completed: devops\.status \([0-9a-f-]{36}\) in \d+ ms$/.test(l)));
    expect(gateway.logs.some((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO: Session started: [0-9a-f-]{36}$/.test(l))).toBe(true);
    expect(gateway.logs.some((l) => /INFO: Tool invoked: devops\.status \([0-9a-f-]{36}\)$/.test(l))).toBe(true);
    expect(gateway.logs.some((l) => /INFO: Discovered plugin: botfather \(3 commands\)/.test(l))).toBe(true);
    expect(gateway.logs.join('\n')).not.toContain('secret-token');
  });

  it('counts the session in /health and ends it on disconnect', async () => {
    const before = (await (await fetch(`${gateway.baseUrl}/health`)).json()) as { status: string; sessions: number };
    expect(before).toMatchObject({ status: 'ok', sessions: 1 });
    const other = new Client({ name: 'e2e-second', version: '1.0.0' });
    await other.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
    const during = (await (await fetch(`${gateway.baseUrl}/health`)).json()) as { sessions: number };
    expect(during.sessions).toBe(2);
    await other.close();
    await eventually(async () => ((await (await fetch(`${gateway.baseUrl}/health`)).json()) as { sessions: number }).sessions === 1);
    await eventually(() => gateway.logs.some((l) => /INFO: Session ended: [0-9a-f-]{36}$/.test(l)));
  });
});
