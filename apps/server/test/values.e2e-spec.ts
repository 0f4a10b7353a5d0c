// Issue 16, items 1 and 3, as the official SDK client meets them over Streamable HTTP: numbers and
// booleans sent for parameters learned from --help (advertised as strings), and the output of a
// plugin written for the Python original ({"ok": ..., "result": ..., ...}) kept field by field.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const FIXTURES = resolve(__dirname, 'fixtures/values');

describe('values through the SDK client: numbers for string parameters, output without loss', () => {
  let gateway: RunningGateway;
  let transport: StreamableHTTPClientTransport;
  let client: Client;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES });
    client = new Client({ name: 'values-e2e', version: '1.0.0' });
    transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`));
    await client.connect(transport);
  });

  afterAll(async () => {
    await transport?.terminateSession();
    await client?.close();
    await gateway?.close();
  });

  async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  }

  function textOf(result: CallToolResult): string {
    const [block] = result.content;
    if (result.content.length !== 1 || block.type !== 'text') throw new Error(`expected one text block: ${JSON.stringify(result.content)}`);
    return block.text;
  }

  it('advertises the parameters learned from --help as strings, as before', async () => {
    const { tools } = await client.listTools();
    const echo = tools.find((t) => t.name === 'calc__echo');
    expect(echo?.inputSchema.properties).toEqual({
      'msg-id': { type: 'string', description: 'Message id' },
      version: { type: 'string', description: 'Version' },
      confirm: { type: 'string', description: 'yes or no, as text' },
    });
    expect(echo?.inputSchema.required).toEqual(['msg-id']);
  });

  it('passes a number and a boolean for string parameters as their JSON text', async () => {
    const result = await call('calc__echo', { 'msg-id': 12345678, version: 1.2, confirm: true });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      msg_id: '12345678',
      version: '1.2',
      confirm: 'true',
      argv: ['echo', '--msg-id=12345678', '--version=1.2', '--confirm=true'],
    });
  });

  it('passes the same text whether the client sent a number or a string', async () => {
    const asNumber = await call('calc__echo', { msg_id: 42, version: false });
    const asString = await call('calc__echo', { msg_id: '42', version: 'false' });
    expect(asNumber).toEqual(asString);
    expect(asNumber.structuredContent).toMatchObject({ argv: ['echo', '--msg-id=42', '--version=false'] });
  });

  it.each<[string, unknown]>([
    ['an object', { id: 12345678 }],
    ['an array', [12345678]],
  ])('still refuses %s for a string parameter as invalid_arguments', async (_name, value) => {
    const result = await call('calc__echo', { 'msg-id': value });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: { code: 'invalid_arguments', message: "Invalid arguments for calc.echo: 'msg-id' must be string." },
    });
  });

  it('keeps every field of a v3.1 success: structuredContent and its JSON text', async () => {
    const result = await call('calc__calc', { operation: 'add', a: 2, b: 3 });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ ok: true, result: 5, a: 2, b: 3 });
    expect(JSON.parse(textOf(result))).toEqual({ ok: true, result: 5, a: 2, b: 3 });
  });

  it('keeps the hint of a v3.1 error in the text and in structuredContent.error', async () => {
    const result = await call('calc__calc', { operation: 'div', a: 1, b: 2 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: { code: 'plugin_error', message: 'invalid_operation', ok: false, hint: 'use add or mul' },
    });
    expect(textOf(result)).toBe('invalid_operation\n{\n  "ok": false,\n  "hint": "use add or mul"\n}');
  });

  it('gives an object without "result" its structuredContent', async () => {
    const result = await call('calc__echo', { 'msg-id': 'm1' });
    expect(result.structuredContent).toEqual({ msg_id: 'm1', version: null, confirm: null, argv: ['echo', '--msg-id=m1'] });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  it('renders {"result": x} alone as before: x as text, no structuredContent', async () => {
    const result = await call('calc__info', {});
    expect(result).toEqual({ content: [{ type: 'text', text: 'ready' }] });
  });
});
