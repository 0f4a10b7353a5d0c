// Resources, resource templates, prompts and completions from plugin processes (contract v1.1),
// pinning MCP's server features: resources/list, resources/read, resources/templates/list,
// resources/subscribe with notifications/resources/updated, prompts/list, prompts/get,
// completion/complete, and the list_changed notifications after a plugin edit. The official SDK
// client runs the same suite over HTTP+SSE, Streamable HTTP and stdio (v1, the 2025 revisions),
// and the v2 client in revision 2026-07-28; raw requests pin every error: -32002 / -32602 with
// data.uri for an unknown URI (SEP-2164 in 2026-07-28), -32602 for an unknown prompt or a missing
// argument, -32603 with the plugin's stderr for a failing source, never an empty result.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { InventoryContentModule } from './examples/inventory-content.module';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { SDK_TRANSPORTS } from './sdk-connections';
import type { Connection } from './sdk-connections';

const CONFORMANCE = resolve(__dirname, '../../../tools/conformance/plugins');
const BROKEN = resolve(__dirname, 'fixtures/content/broken');
const PNG_BASE64_PREFIX = 'iVBORw0KGgo';

/** A plugins folder with the conformance suite's resources and prompts plugins (and more), writable by the test. */
function pluginsFolder(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sanctum-content-'));
  for (const name of ['resources', 'prompts']) cpSync(join(CONFORMANCE, name), join(dir, name), { recursive: true });
  for (const [name, from] of Object.entries(extra)) cpSync(from, join(dir, name), { recursive: true });
  return dir;
}

/** A plugin offering one prompt and one resource, written by the test to change the lists. */
function writeExtraPlugin(dir: string, promptName: string): void {
  const describe = {
    contract_version: '1.1',
    plugin: { name: 'extra' },
    commands: [],
    resources: [{ uri: 'extra://note', name: 'note', file: 'note.txt' }],
    prompts: [{ name: promptName, template: 'Hello from the extra plugin.' }],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'note.txt'), 'a note\n');
  writeFileSync(join(dir, 'cli.py'), `import json, sys\nif sys.argv[1:] == ["--describe"]:\n    print(json.dumps(${JSON.stringify(describe)}))\n`);
}

describe.each(SDK_TRANSPORTS)('resources and prompts, the SDK client over %s', (_name, kind, connect) => {
  let gateway: RunningGateway;
  let dir: string;
  let connection: Connection;
  let client: Client;
  const updated: string[] = [];
  const listChanged: string[] = [];

  beforeAll(async () => {
    dir = pluginsFolder();
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_WATCH: '1', MCP_WATCH_DEBOUNCE: '0.05' });
    client = new Client({ name: `content-${kind}`, version: '1.0.0' });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged.push('resources');
    });
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
      listChanged.push('prompts');
    });
    connection = await connect(gateway, client);
  });

  afterAll(async () => {
    await connection?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('advertises resources (with subscribe), prompts and completions, since the plugins offer them', () => {
    expect(client.getServerCapabilities()).toMatchObject({
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
    });
  });

  it('lists the resources and the template, URIs as the plugin wrote them', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['test://static-binary', 'test://static-text', 'test://watched-resource']);
    expect(resources.find((r) => r.uri === 'test://static-text')).toMatchObject({ name: 'static-text', title: 'Static text', mimeType: 'text/plain' });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      { uriTemplate: 'test://template/{id}/data', name: 'template-data', description: 'Data for one id, as JSON', mimeType: 'application/json' },
    ]);
  });

  it('reads text and binary content printed by the plugin, and a file read by the gateway', async () => {
    expect((await client.readResource({ uri: 'test://static-text' })).contents).toEqual([
      { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
    ]);
    const [binary] = (await client.readResource({ uri: 'test://static-binary' })).contents;
    expect(binary).toMatchObject({ uri: 'test://static-binary', mimeType: 'image/png' });
    expect(Buffer.from((binary as { blob: string }).blob, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
    const [file] = (await client.readResource({ uri: 'test://watched-resource' })).contents;
    expect(file).toEqual({ uri: 'test://watched-resource', mimeType: 'text/plain', text: readFileSync(join(dir, 'resources', 'watched-resource.txt'), 'utf8') });
  });

  it('reads through the template, its variable passed to the plugin', async () => {
    expect((await client.readResource({ uri: 'test://template/42/data' })).contents).toEqual([
      { uri: 'test://template/42/data', mimeType: 'application/json', text: '{"id":"42","templateTest":true,"data":"Data for ID: 42"}' },
    ]);
  });

  it('sends notifications/resources/updated to a subscriber when the file changes, and none after unsubscribing', async () => {
    await client.subscribeResource({ uri: 'test://watched-resource' });
    writeFileSync(join(dir, 'resources', 'watched-resource.txt'), `version 2 over ${kind}\n`);
    await eventually(() => updated.includes('test://watched-resource'), 10_000);
    expect((await client.readResource({ uri: 'test://watched-resource' })).contents[0]).toMatchObject({ text: `version 2 over ${kind}\n` });
    await client.unsubscribeResource({ uri: 'test://watched-resource' });
    const seen = updated.length;
    const reloads = (): number => gateway.logs.filter((l) => l.includes('Resources updated: test://watched-resource')).length;
    const before = reloads();
    writeFileSync(join(dir, 'resources', 'watched-resource.txt'), 'version 3\n');
    await eventually(() => reloads() > before, 10_000);
    expect(updated.length).toBe(seen);
  });

  it('gets prompts: a template, arguments substituted by the plugin, an embedded resource, an image', async () => {
    expect((await client.getPrompt({ name: 'prompts__test_simple_prompt' })).messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } },
    ]);
    const withArgs = await client.getPrompt({ name: 'prompts__test_prompt_with_arguments', arguments: { arg1: 'hello', arg2: 'world' } });
    expect(withArgs.messages).toEqual([{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" } }]);
    expect(withArgs.description).toBe('A prompt with two required arguments');
    const embedded = await client.getPrompt({ name: 'prompts__test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://static-text' } });
    expect(embedded.messages[0].content).toEqual({ type: 'resource', resource: { uri: 'test://static-text', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } });
    const image = await client.getPrompt({ name: 'prompts.test_prompt_with_image' });
    expect(image.messages[0].content).toMatchObject({ type: 'image', mimeType: 'image/png', data: expect.stringMatching(new RegExp(`^${PNG_BASE64_PREFIX}`)) });
  });

  it('completes from a static list, from a command given the context arguments, and a template variable', async () => {
    const ref = { type: 'ref/prompt' as const, name: 'prompts__test_prompt_with_arguments' };
    expect((await client.complete({ ref, argument: { name: 'arg1', value: 'test' } })).completion).toEqual({ values: ['test', 'testValue1', 'tested'], total: 3 });
    expect((await client.complete({ ref, argument: { name: 'arg2', value: 'x-b' }, context: { arguments: { arg1: 'x' } } })).completion).toEqual({ values: ['x-beta'], total: 1 });
    const template = { type: 'ref/resource' as const, uri: 'test://template/{id}/data' };
    expect((await client.complete({ ref: template, argument: { name: 'id', value: '12' } })).completion).toEqual({ values: ['12', '123'], total: 2 });
  });

  it('answers an unknown prompt with McpError -32602 naming it', async () => {
    const error = await client.getPrompt({ name: 'prompts__nothing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain('prompts__nothing');
  });

  it('sends resources and prompts list_changed after a plugin is added, then edited', async () => {
    const extra = join(dir, 'extra');
    writeExtraPlugin(extra, 'greet');
    await eventually(() => listChanged.includes('prompts') && listChanged.includes('resources'), 10_000);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain('extra__greet');
    listChanged.length = 0;
    writeExtraPlugin(extra, 'welcome');
    await eventually(() => listChanged.includes('prompts'), 10_000);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain('extra__welcome');
  });
});

/** One JSON-RPC request answered in the body of a sessionless POST /message (2025 revisions). */
async function call(gateway: RunningGateway, method: string, params: Record<string, unknown>): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } }> {
  const res = await fetch(`${gateway.baseUrl}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

/** One request of revision 2026-07-28 on /mcp, with its envelope and headers. */
async function stateless(gateway: RunningGateway, method: string, params: Record<string, unknown>, name?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2026-07-28',
    'Mcp-Method': method,
  };
  if (name !== undefined) headers['Mcp-Name'] = name;
  const res = await fetch(`${gateway.baseUrl}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: meta } }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('resources and prompts: every error, as raw requests', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = pluginsFolder({ broken: BROKEN });
    // A resource file replaced by a symlink (to a file the gateway's user can read) is refused.
    unlinkSync(join(dir, 'broken', 'link.txt'));
    symlinkSync(join(dir, 'resources', 'watched-resource.txt'), join(dir, 'broken', 'link.txt'));
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_PLUGIN_TIMEOUTS: 'broken:1' });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves out only the broken entry, with a field-addressed log line', async () => {
    expect(gateway.logs.some((l) => l.includes('Skipped entry of plugin broken: resources[4].name is required'))).toBe(true);
    const { result } = await call(gateway, 'resources/list', {});
    expect((result?.['resources'] as Array<{ uri: string }>).map((r) => r.uri)).toEqual(expect.arrayContaining(['broken://fails', 'broken://link']));
    expect(JSON.stringify(result)).not.toContain('broken://no-name');
  });

  it.each<[string, string, Record<string, unknown>, number, string]>([
    ['an unknown URI (2025: -32002)', 'resources/read', { uri: 'test://nothing' }, -32002, "Resource not found: 'test://nothing'"],
    ['resources/read without a uri', 'resources/read', {}, -32602, 'resources/read needs "uri"'],
    ['a subscription to an unknown URI', 'resources/subscribe', { uri: 'test://nothing' }, -32002, 'Resource not found'],
    ['a cursor this server never gave', 'resources/list', { cursor: 'bogus' }, -32602, 'is not one this server gave'],
    ['an unknown prompt', 'prompts/get', { name: 'broken__nothing' }, -32602, "Unknown prompt: 'broken__nothing'"],
    ['a missing required argument', 'prompts/get', { name: 'broken__needs', arguments: { note: 'x' } }, -32602, "needs the argument 'app'"],
    ['an argument the prompt does not have', 'prompts/get', { name: 'broken__needs', arguments: { app: 'api', env: 'prod' } }, -32602, "has no argument 'env'"],
    ['an argument that is not text', 'prompts/get', { name: 'broken__needs', arguments: { app: 3 } }, -32602, 'arguments.app must be a text value'],
    ['a completion of an unknown ref type', 'completion/complete', { ref: { type: 'ref/tool', name: 'x' }, argument: { name: 'a', value: '' } }, -32602, 'ref.type must be'],
    ['a completion of an unknown argument', 'completion/complete', { ref: { type: 'ref/prompt', name: 'broken__needs' }, argument: { name: 'zzz', value: '' } }, -32602, "has no argument 'zzz'"],
    ['a completion without argument', 'completion/complete', { ref: { type: 'ref/prompt', name: 'broken__needs' } }, -32602, 'needs "argument"'],
  ])('answers %s (%s) with its code and a message saying what to fix', async (_name, method, params, code, message) => {
    const { error } = await call(gateway, method, params);
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(message);
  });

  it('gives data.uri with the unknown URI', async () => {
    expect((await call(gateway, 'resources/read', { uri: 'test://nothing' })).error?.data).toEqual({ uri: 'test://nothing' });
  });

  it.each<[string, string, Record<string, unknown>, string]>([
    ['a failing resource command, with its stderr', 'resources/read', { uri: 'broken://fails' }, 'ledger locked by another deploy'],
    ['content that is not what was declared', 'resources/read', { uri: 'broken://garbage' }, 'not base64'],
    ['a read past its timeout', 'resources/read', { uri: 'broken://slow' }, 'timed out'],
    ['a resource file reached through a symlink', 'resources/read', { uri: 'broken://link' }, 'symlink'],
    ['a failing prompt command, with its stderr', 'prompts/get', { name: 'broken__fails' }, 'ledger locked by another deploy'],
  ])('answers %s (%s) with -32603, never an empty result', async (_name, method, params, message) => {
    const { error, result } = await call(gateway, method, params);
    expect(result).toBeUndefined();
    expect(error?.code).toBe(-32603);
    expect(error?.message).toContain(message);
  });

  it('cancels a read with notifications/cancelled: the plugin is stopped and the read counted as cancelled', async () => {
    const client = new Client({ name: 'content-cancel', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`)));
    try {
      const abort = new AbortController();
      const read = client.readResource({ uri: 'broken://slow' }, { signal: abort.signal }).catch((e: unknown) => e);
      setTimeout(() => abort.abort('the user gave up'), 200);
      expect(await read).toBeInstanceOf(Error);
      await eventually(() => gateway.logs.some((l) => /Resource read: broken slow \(.+\) in \d+ ms \(cancelled\)/.test(l)), 5_000);
    } finally {
      await client.close();
    }
  });

  it('fills a template prompt, an absent optional argument left empty', async () => {
    const { result } = await call(gateway, 'prompts/get', { name: 'broken__needs', arguments: { app: 'api' } });
    expect(result?.['messages']).toEqual([{ role: 'user', content: { type: 'text', text: 'Deploy api. ' } }]);
  });

  it('counts reads and prompt gets by outcome in /metrics', async () => {
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/mcp_content_requests_total\{kind="resource",owner="broken",outcome="plugin_error"\} [1-9]/);
    expect(metrics).toMatch(/mcp_content_requests_total\{kind="resource",owner="broken",outcome="timeout"\} [1-9]/);
    expect(metrics).toMatch(/mcp_content_requests_total\{kind="prompt",owner="broken",outcome="ok"\} [1-9]/);
  });

  it('2026-07-28: an unknown URI is -32602 with data.uri (SEP-2164)', async () => {
    const { status, body } = await stateless(gateway, 'resources/read', { uri: 'test://nothing' }, 'test://nothing');
    expect(status).toBe(200);
    expect(body['error']).toMatchObject({ code: -32602, data: { uri: 'test://nothing' } });
  });

  it('2026-07-28: lists and reads carry ttlMs and cacheScope, prompts/get does not', async () => {
    for (const [method, params, name] of [
      ['resources/list', {}, undefined],
      ['resources/templates/list', {}, undefined],
      ['prompts/list', {}, undefined],
      ['resources/read', { uri: 'test://static-text' }, 'test://static-text'],
    ] as const) {
      const { body } = await stateless(gateway, method, params, name);
      expect(body['result']).toMatchObject({ resultType: 'complete', ttlMs: expect.any(Number), cacheScope: 'private' });
    }
    const { body } = await stateless(gateway, 'prompts/get', { name: 'prompts__test_simple_prompt' }, 'prompts__test_simple_prompt');
    expect(body['result']).toMatchObject({ resultType: 'complete', messages: [expect.anything()] });
    expect(body['result']).not.toHaveProperty('ttlMs');
  });

  it('2026-07-28: resources/subscribe does not exist (404, -32601): updates come through subscriptions/listen', async () => {
    const { status, body } = await stateless(gateway, 'resources/subscribe', { uri: 'test://static-text' });
    expect(status).toBe(404);
    expect(body['error']).toMatchObject({ code: -32601 });
  });
});

describe('resources and prompts, the v2 client in revision 2026-07-28', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = pluginsFolder();
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_WATCH: '1', MCP_WATCH_DEBOUNCE: '0.05' });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, reads, gets prompts and completes, then follows a resource and a prompt list change through subscriptions/listen, without a tools change', async () => {
    const promptLists: string[][] = [];
    let toolChanges = 0;
    const client = new ClientV2(
      { name: 'content-v2', version: '2.0.0' },
      {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
        listChanged: {
          prompts: { onChanged: (_err: unknown, prompts: Array<{ name: string }> | null) => promptLists.push((prompts ?? []).map((p) => p.name)) },
          tools: { onChanged: () => toolChanges++ },
        },
      },
    );
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updated.push(n.params.uri);
    });
    await client.connect(new TransportV2(new URL(`${gateway.baseUrl}/mcp`)));
    try {
      expect((await client.listResources()).resources.map((r) => r.uri)).toContain('test://static-text');
      expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['test://template/{id}/data']);
      expect((await client.readResource({ uri: 'test://template/7/data' })).contents[0]).toMatchObject({ text: '{"id":"7","templateTest":true,"data":"Data for ID: 7"}' });
      const prompt = await client.getPrompt({ name: 'prompts__test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
      expect(prompt.messages[0].content).toEqual({ type: 'text', text: "Prompt with arguments: arg1='a', arg2='b'" });
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'prompts__test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'o' } });
      expect(completion.completion.values).toEqual(['other']);

      const subscription = await client.listen({ resourceSubscriptions: ['test://watched-resource'] });
      try {
        writeFileSync(join(dir, 'resources', 'watched-resource.txt'), 'changed for the v2 client\n');
        await eventually(() => updated.includes('test://watched-resource'), 10_000);
      } finally {
        await subscription.close();
      }
      writeExtraPlugin(join(dir, 'extra'), 'greet');
      await eventually(() => promptLists.some((names) => names.includes('extra__greet')), 10_000);
      // The new plugin has no commands: the tool list did not change, so no tools/list_changed came.
      expect(toolChanges).toBe(0);
    } finally {
      await client.close();
    }
  });
});

describe('resources and prompts from Nest providers (@McpResource, @McpPrompt) beside the plugins', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = pluginsFolder();
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir }, [InventoryContentModule]);
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists them in the one catalog, named with the same template, and serves them in-process', async () => {
    const resources = (await call(gateway, 'resources/list', {})).result?.['resources'] as Array<{ uri: string }>;
    expect(resources.map((r) => r.uri)).toContain('inventory://stock');
    const templates = (await call(gateway, 'resources/templates/list', {})).result?.['resourceTemplates'] as Array<{ uriTemplate: string }>;
    expect(templates.map((t) => t.uriTemplate)).toEqual(['inventory://items/{item}', 'test://template/{id}/data']);
    expect((await call(gateway, 'resources/read', { uri: 'inventory://items/apple' })).result).toEqual({
      contents: [{ uri: 'inventory://items/apple', mimeType: 'application/json', text: '{"item":"apple","count":3}' }],
    });
    expect((await call(gateway, 'prompts/get', { name: 'inventory__restock', arguments: { supplier: 'acme' } })).result).toEqual({
      description: 'Ask for a restocking order of the items that ran out',
      messages: [{ role: 'user', content: { type: 'text', text: 'Write an order to acme for: pear.' } }],
    });
  });

  it('completes from the provider\'s function and static list', async () => {
    const item = await call(gateway, 'completion/complete', { ref: { type: 'ref/resource', uri: 'inventory://items/{item}' }, argument: { name: 'item', value: 'p' } });
    expect(item.result).toEqual({ completion: { values: ['pear'], total: 1 } });
    const supplier = await call(gateway, 'completion/complete', { ref: { type: 'ref/prompt', name: 'inventory__restock' }, argument: { name: 'supplier', value: 'g' } });
    expect(supplier.result).toEqual({ completion: { values: ['globex'], total: 1 } });
  });

  it('answers a provider that throws with -32603 and its message', async () => {
    const { error } = await call(gateway, 'resources/read', { uri: 'inventory://items/kiwi' });
    expect(error).toMatchObject({ code: -32603, message: expect.stringContaining('no such item: kiwi') });
  });
});

describe('the bundled plugins\' resource template and prompts', () => {
  let gateway: RunningGateway;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sanctum-content-devops-'));
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({ MCP_PLUGINS_DIR: resolve(__dirname, '../../../mcp/plugins') });
  });

  afterAll(async () => {
    await gateway?.close();
    delete process.env['DEVOPS_STATE_FILE'];
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('devops: deployments through tools, then the history resource and the rollback-plan prompt from the same ledger', async () => {
    for (const version of ['2.0.0', '2.1.0']) {
      expect((await call(gateway, 'tools/call', { name: 'devops__deploy', arguments: { 'app-name': 'shop', version } })).result?.['isError']).toBeFalsy();
    }
    const read = await call(gateway, 'resources/read', { uri: 'devops://apps/shop/history' });
    const [part] = read.result?.['contents'] as Array<{ mimeType: string; text: string }>;
    expect(part.mimeType).toBe('application/json');
    expect((JSON.parse(part.text) as { environments: Record<string, { current_version: string }> }).environments['production'].current_version).toBe('2.1.0');
    const completion = await call(gateway, 'completion/complete', { ref: { type: 'ref/prompt', name: 'devops__rollback-plan' }, argument: { name: 'app', value: 'sh' } });
    expect(completion.result).toEqual({ completion: { values: ['shop'], total: 1 } });
    const plan = await call(gateway, 'prompts/get', { name: 'devops__rollback-plan', arguments: { app: 'shop' } });
    expect(plan.result?.['description']).toBe('Rollback plan for shop in production: 2.1.0 to 2.0.0');
  });

  it('botfather: the announcement prompt, with tone completion', async () => {
    const got = await call(gateway, 'prompts/get', { name: 'botfather__announcement', arguments: { topic: 'maintenance tonight', tone: 'urgent' } });
    expect(JSON.stringify(got.result?.['messages'])).toContain('maintenance tonight');
    const tones = await call(gateway, 'completion/complete', { ref: { type: 'ref/prompt', name: 'botfather__announcement' }, argument: { name: 'tone', value: 'f' } });
    expect(tones.result).toEqual({ completion: { values: ['friendly', 'formal'], total: 2 } });
  });
});

describe('the example plugin of docs/plugin-development.md (notes)', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = pluginsFolder({ notes: resolve(__dirname, 'fixtures/content/notes') });
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the file resource, the template through its command, both prompts and the completions', async () => {
    const index = await call(gateway, 'resources/read', { uri: 'notes://index' });
    expect(index.result).toEqual({ contents: [{ uri: 'notes://index', mimeType: 'text/markdown', text: readFileSync(resolve(__dirname, 'fixtures/content/notes/notes/INDEX.md'), 'utf8') }] });
    const note = await call(gateway, 'resources/read', { uri: 'notes://note/deploys' });
    expect(note.result).toEqual({ contents: [{ uri: 'notes://note/deploys', mimeType: 'text/markdown', text: '# Deploys\n\nDeploys go out on Tuesdays after the standup.\n' }] });
    const missing = await call(gateway, 'resources/read', { uri: 'notes://note/nope' });
    expect(missing.error).toMatchObject({ code: -32603, message: expect.stringContaining("no note 'nope'") });
    const summary = await call(gateway, 'prompts/get', { name: 'notes__summarize', arguments: { slug: 'oncall' } });
    expect((summary.result?.['messages'] as Array<{ content: { type: string } }>).map((m) => m.content.type)).toEqual(['text', 'resource']);
    const draft = await call(gateway, 'prompts/get', { name: 'notes__new-note', arguments: { topic: 'backups', tone: 'terse' } });
    expect(draft.result?.['messages']).toEqual([{ role: 'user', content: { type: 'text', text: 'Draft a markdown note about backups, in a terse tone, under 200 words.' } }]);
    const slugs = await call(gateway, 'completion/complete', { ref: { type: 'ref/resource', uri: 'notes://note/{slug}' }, argument: { name: 'slug', value: 'o' } });
    expect(slugs.result).toEqual({ completion: { values: ['oncall'], total: 1 } });
    expect((await call(gateway, 'tools/call', { name: 'notes__count', arguments: {} })).result?.['structuredContent']).toEqual({ notes: 2 });
  });
});
