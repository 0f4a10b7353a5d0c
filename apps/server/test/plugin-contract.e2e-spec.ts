// Pins the plugin contract end to end through the official SDK client: structured --describe
// (contract v1, as upstream smcp plugins write it), help fallback, plugins in other languages,
// and exactly which argv reaches the plugin for each kind of argument.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');

describe('plugin contract through the SDK client', () => {
  let gateway: RunningGateway;
  let client: Client;

  const argvOf = async (name: string, args: Record<string, unknown>): Promise<string[]> => {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError).toBeFalsy();
    return (result.structuredContent as { argv: string[] }).argv;
  };

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES });
    client = new Client({ name: 'contract-e2e', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('loads describe-based, help-based, Node and shell plugins, and skips the broken ones with reasons', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['echo_node__echo', 'echo_py__echo', 'echo_py__fail', 'echo_sh__say', 'gateway__status']);
    const logs = gateway.logs.join('\n');
    expect(logs).toContain("Skipped plugin: broken_describe: --describe output violates plugin contract v1: commands[0].parameters[2].type \"str\" is not one of string, number, integer, boolean, array, object");
    expect(logs).toMatch(/Skipped plugin: no_section: `cli\.py --help` has no "Available commands:" section/);
  });

  it('builds schemas from the describe payload: types, items, nested objects, annotations', async () => {
    const tool = (await client.listTools()).tools.find((t) => t.name === 'echo_py__echo');
    expect(tool?.annotations).toEqual({ readOnlyHint: true });
    expect(tool?.inputSchema).toMatchObject({
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: {
        text: { type: 'string' },
        count: { type: 'integer' },
        ratio: { type: 'number' },
        verbose: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        tag: { type: 'array', items: { type: 'string' } },
        rows: { type: 'array', items: { type: 'object' } },
        config: { type: 'object', properties: { depth: { type: 'integer' } } },
      },
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a plain string', { text: 'hi' }, ['echo', '--text=hi']],
    ['a value that looks like an option', { text: '-rf' }, ['echo', '--text=-rf']],
    ['--help as a value', { text: '--help' }, ['echo', '--text=--help']],
    ['newlines and quotes', { text: 'a\n"b"' }, ['echo', '--text=a\n"b"']],
    ['an integer, never 1.0', { text: 'x', count: 1 }, ['echo', '--text=x', '--count=1']],
    ['a number', { text: 'x', ratio: 2.5 }, ['echo', '--text=x', '--ratio=2.5']],
    ['a flag boolean set', { text: 'x', verbose: true }, ['echo', '--text=x', '--verbose']],
    ['a flag boolean unset', { text: 'x', verbose: false }, ['echo', '--text=x']],
    ['a value boolean false (never dropped)', { text: 'x', 'dry-run': false }, ['echo', '--text=x', '--dry-run=false']],
    ['a scalar array (repeated option)', { text: 'x', tag: ['a', 'b'] }, ['echo', '--text=x', '--tag=a', '--tag=b']],
    ["Letta's {item: x} wrapper", { text: 'x', tag: { item: 'solo' } }, ['echo', '--text=x', '--tag=solo']],
    ['an array of objects (compact JSON)', { text: 'x', rows: [{ a: 1 }, { b: [2] }] }, ['echo', '--text=x', '--rows=[{"a":1},{"b":[2]}]']],
    ['an object (compact JSON)', { text: 'x', config: { depth: 3 } }, ['echo', '--text=x', '--config={"depth":3}']],
    ['a null (skipped)', { text: 'x', count: null }, ['echo', '--text=x']],
    ['underscore spelling of a hyphenated key', { text: 'x', dry_run: true }, ['echo', '--text=x', '--dry-run=true']],
  ])('renders %s', async (_name, args, argv) => {
    expect(await argvOf('echo_py__echo', args)).toEqual(argv);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing required argument', {}, /missing required argument 'text'/],
    ['a null for a required argument', { text: null }, /missing required argument 'text'/],
    ['a wrong type', { text: 'x', count: 'three' }, /'count' must be integer/],
    ['an unknown key', { text: 'x', color: 'red' }, /unknown argument 'color'/],
    ['the same key in two spellings', { text: 'x', 'dry-run': true, dry_run: false }, /given twice/],
  ])('refuses %s as invalid_arguments, naming the field', async (_name, args, message) => {
    const result = await client.callTool({ name: 'echo_py__echo', arguments: args });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'invalid_arguments', message: expect.stringMatching(message) } });
  });

  it('runs a Node plugin with the server runtime', async () => {
    const result = await client.callTool({ name: 'echo_node__echo', arguments: { text: 'hi', n: 2 } });
    expect(result.structuredContent).toEqual({ argv: ['echo', '--text=hi', '--n=2'], runtime: 'node' });
  });

  it('runs a shell plugin discovered through --help', async () => {
    const result = await client.callTool({ name: 'echo_sh__say', arguments: { word: 'hey', loud: true } });
    expect(result.structuredContent).toEqual({ argv: ['--word=hey', '--loud'], runtime: 'bash' });
  });

  it('maps a plugin {"error"} with exit 1 to plugin_error', async () => {
    const result = await client.callTool({ name: 'echo_py__fail', arguments: { why: 'test' } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({ error: { code: 'plugin_error', message: 'failed on purpose: test' } });
    expect(result.content).toEqual([{ type: 'text', text: 'failed on purpose: test' }]);
  });
});
