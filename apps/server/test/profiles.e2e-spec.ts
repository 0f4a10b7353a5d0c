// Pins tool profiles (MCP_PROFILES, issue #20) with the official SDK client over both HTTP
// transports, and revision 2026-07-28 as raw requests: the tool list may vary by authorization
// (the key, the endpoint), never per connection. A hidden tool is answered exactly like an unknown
// one; a renamed tool is known by its new name only; list_changed reaches only the sessions whose
// list changed; the agent-driven mode (sanctum__tools) is per session.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { raw } from './raw-http';
import { SseReader } from './sse-reader';
import { connectStdio } from './sdk-connections';
import { FastPath } from '../src/app/http/fast-path';
import { serveStdio } from '../src/app/transport/stdio';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const KEYS = { alpha: 'alpha-key-0123456789', bravo: 'bravo-key-0123456789', gov: 'gov-key-01234567890' } as const;

const PROFILES = {
  profiles: {
    default: { tools: ['gateway__status'] },
    node: {
      tools: [{ plugin: 'echo_node' }, 'gateway__*'],
      overrides: { echo_node__echo: { name: 'shout', description: 'Echo, renamed.' } },
      resources: ['docs://public/**'],
      prompts: ['docs__greet'],
    },
    shell: { tools: ['echo_sh__*', 'gateway__status'] },
    // Selectors name the catalog's tools: `echo_node__echo` is `shout` only in the node profile.
    narrow: { tools: ['gateway__status', 'echo_node__*'] },
    agent: { tools: ['echo_*', 'gateway__status'], agentMode: { attach: ['gateway__status'] } },
  },
  bindings: { keys: { alpha: 'node', bravo: 'shell', gov: 'agent' }, agents: { 'agent-7': 'narrow' }, stdio: 'shell' },
  intentHints: [{ intent: 'say something', tool: 'echo_sh__say' }],
};

type Transport = 'streamable-http' | 'sse';

/** A plugin with two resources, a template and two prompts, for the profiles' resource and prompt selectors. */
function writeDocsPlugin(dir: string): void {
  const describe = {
    contract_version: '1.1',
    plugin: { name: 'docs' },
    commands: [],
    resources: [
      { uri: 'docs://public/readme', name: 'readme', file: 'readme.txt' },
      { uri: 'docs://internal/secrets', name: 'secrets', file: 'secrets.txt' },
    ],
    resource_templates: [{ uriTemplate: 'docs://public/{page}', name: 'page', command: 'page' }],
    prompts: [
      { name: 'greet', template: 'Hello.' },
      { name: 'admin-report', template: 'Report everything.' },
    ],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'readme.txt'), 'public\n');
  writeFileSync(join(dir, 'secrets.txt'), 'secret\n');
  writeFileSync(
    join(dir, 'cli.py'),
    `import json, sys\nif sys.argv[1:] == ["--describe"]:\n    print(json.dumps(${JSON.stringify(describe)}))\n`,
  );
}

interface Connected {
  client: Client;
  changes: () => number;
}

describe('tool profiles', () => {
  let dir: string;
  let file: string;
  let gateway: RunningGateway;
  const open: Client[] = [];

  async function connect(
    transport: Transport,
    key: keyof typeof KEYS,
    path = '',
    headers: Record<string, string> = {},
  ): Promise<Connected> {
    const all = { Authorization: `Bearer ${KEYS[key]}`, ...headers };
    const client = new Client({ name: `profiles-${key}`, version: '1.0.0' });
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes += 1;
    });
    const base = `${gateway.baseUrl}${path}`;
    await client.connect(
      transport === 'sse'
        ? new SSEClientTransport(new URL(`${base}/sse`), {
            requestInit: { headers: all },
            eventSourceInit: {
              fetch: (url, init) => {
                const merged = new Headers(init?.headers);
                for (const [name, value] of Object.entries(all)) merged.set(name, value);
                return fetch(url, { ...init, headers: merged });
              },
            },
          })
        : new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: all } }),
    );
    open.push(client);
    return { client, changes: () => changes };
  }

  const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name);
  const errorOf = async (client: Client, name: string): Promise<string> => {
    try {
      await client.callTool({ name, arguments: {} });
    } catch (err) {
      return (err as Error).message.replaceAll(name, '<name>');
    }
    return 'no error';
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sanctum-profiles-'));
    file = join(dir, 'profiles.json');
    writeFileSync(file, JSON.stringify(PROFILES));
    const plugins = join(dir, 'plugins');
    for (const name of ['echo_node', 'echo_py', 'echo_sh']) cpSync(join(FIXTURES, name), join(plugins, name), { recursive: true });
    writeDocsPlugin(join(plugins, 'docs'));
    // A tool with an x-mcp-header argument (revision 2026-07-28 checks its Mcp-Param-* header).
    cpSync(resolve(__dirname, '../../../tools/conformance/plugins/headers'), join(plugins, 'headers'), { recursive: true });
    gateway = await startGateway({
      MCP_PLUGINS_DIR: plugins,
      MCP_API_KEYS: Object.entries(KEYS)
        .map(([name, key]) => `${name}:${key}`)
        .join(','),
      MCP_PROFILES: file,
      MCP_WATCH: '1',
      MCP_WATCH_DEBOUNCE: '0.1',
    });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each<Transport>(['streamable-http', 'sse'])('over %s', (transport) => {
    it('gives two keys bound to two profiles two lists, and neither can call across', async () => {
      const alpha = await connect(transport, 'alpha');
      const bravo = await connect(transport, 'bravo');
      expect(await names(alpha.client)).toEqual(['gateway__status', 'shout']);
      expect(await names(bravo.client)).toEqual(['echo_sh__say', 'gateway__status']);
      const said = await bravo.client.callTool({ name: 'echo_sh__say', arguments: { word: 'hi' } });
      expect(said.isError).toBeFalsy();
      expect(await errorOf(alpha.client, 'echo_sh__say')).toBe(await errorOf(alpha.client, 'no_such_tool'));
      expect(await errorOf(bravo.client, 'shout')).toBe(await errorOf(bravo.client, 'no_such_tool'));
    });

    it('answers a hidden tool exactly like an unknown one (never revealing that it exists)', async () => {
      const alpha = await connect(transport, 'alpha');
      const hidden = await errorOf(alpha.client, 'echo_sh__say');
      expect(hidden).toMatch(/Unknown tool: '<name>'/);
      expect(hidden).toBe(await errorOf(alpha.client, 'echo_zz__nothing'));
    });

    it('lists and calls a renamed tool under its new name only', async () => {
      const alpha = await connect(transport, 'alpha');
      const tools = (await alpha.client.listTools()).tools;
      expect(tools.find((t) => t.name === 'shout')?.description).toBe('Echo, renamed.');
      const shouted = await alpha.client.callTool({ name: 'shout', arguments: { text: 'renamed' } });
      expect(shouted.isError).toBeFalsy();
      expect(JSON.stringify(shouted.content)).toContain('renamed');
      expect(await errorOf(alpha.client, 'echo_node__echo')).toBe(await errorOf(alpha.client, 'no_such_tool'));
      expect(await errorOf(alpha.client, 'echo_node.echo')).toBe(await errorOf(alpha.client, 'no_such_tool'));
    });

    it("shows a profile's resources, templates and prompts only, and answers a hidden one like an unknown one", async () => {
      const alpha = await connect(transport, 'alpha');
      expect((await alpha.client.listResources()).resources.map((r) => r.uri)).toEqual(['docs://public/readme']);
      expect((await alpha.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['docs://public/{page}']);
      expect((await alpha.client.listPrompts()).prompts.map((p) => p.name)).toEqual(['docs__greet']);
      expect(JSON.stringify(await alpha.client.readResource({ uri: 'docs://public/readme' }))).toContain('public');
      const failure = (call: () => Promise<unknown>, name: string): Promise<string> =>
        call().then(
          () => 'no error',
          (err: Error) => err.message.replaceAll(name, '<name>'),
        );
      const hiddenRead = await failure(() => alpha.client.readResource({ uri: 'docs://internal/secrets' }), 'docs://internal/secrets');
      expect(hiddenRead).toBe(await failure(() => alpha.client.readResource({ uri: 'docs://nothing/here' }), 'docs://nothing/here'));
      const hiddenPrompt = await failure(() => alpha.client.getPrompt({ name: 'docs__admin-report' }), 'docs__admin-report');
      expect(hiddenPrompt).toBe(await failure(() => alpha.client.getPrompt({ name: 'no-such-prompt' }), 'no-such-prompt'));
      expect(hiddenPrompt).toMatch(/Unknown prompt/);
      // A profile without resources and prompts shows none.
      const bravo = await connect(transport, 'bravo');
      expect((await bravo.client.listPrompts()).prompts).toEqual([]);
      expect((await bravo.client.listResources()).resources).toEqual([]);
    });

    it('narrows a key to the intersection on a profile endpoint, and by an X-Agent-Id binding', async () => {
      const endpoint = await connect(transport, 'alpha', '/profiles/narrow');
      expect(await names(endpoint.client)).toEqual(['gateway__status', 'shout']);
      const shell = await connect(transport, 'bravo', '/profiles/narrow');
      expect(await names(shell.client)).toEqual(['gateway__status']);
      const agent = await connect(transport, 'bravo', '', { 'X-Agent-Id': 'agent-7' });
      expect(await names(agent.client)).toEqual(['gateway__status']);
      expect(gateway.logs.join('\n')).toMatch(/Session \S+: agent agent-7, profile shell\+narrow/);
    });

    it('runs the agent-driven mode per session, with list_changed to that session only, and its errors', async () => {
      const one = await connect(transport, 'gov');
      const two = await connect(transport, 'gov');
      expect(await names(one.client)).toEqual(['sanctum__tools', 'gateway__status']);
      expect(await names(two.client)).toEqual(['sanctum__tools', 'gateway__status']);
      const attached = await one.client.callTool({ name: 'sanctum__tools', arguments: { action: 'attach', tool: 'echo_node__echo' } });
      expect(attached.structuredContent).toEqual({
        attached: ['echo_node__echo'],
        attached_set: ['echo_node__echo', 'gateway__status', 'sanctum__tools'],
      });
      await eventually(() => one.changes() === 1);
      expect(await names(one.client)).toEqual(['sanctum__tools', 'echo_node__echo', 'gateway__status']);
      expect(two.changes()).toBe(0);
      expect(await names(two.client)).toEqual(['sanctum__tools', 'gateway__status']);

      const refused = await two.client.callTool({ name: 'echo_node__echo', arguments: { text: 'x' } });
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toEqual({
        error: 'tool_not_attached',
        tool: 'echo_node__echo',
        hint: 'Run sanctum__tools action=attach tool=echo_node__echo or action=attach-profile',
        attached: ['gateway__status', 'sanctum__tools'],
      });
      expect((await one.client.callTool({ name: 'echo_node__echo', arguments: { text: 'x' } })).isError).toBeFalsy();
      // Bounded by the profile: a tool it does not show is neither attachable nor callable.
      const beyond = await two.client.callTool({ name: 'sanctum__tools', arguments: { action: 'attach', tool: 'shout' } });
      expect(beyond.structuredContent).toEqual({ attached: [], attached_set: ['gateway__status', 'sanctum__tools'] });
      const available = await two.client.callTool({ name: 'sanctum__tools', arguments: { action: 'list-available' } });
      expect(available.structuredContent).toEqual({
        tools: ['echo_node__echo', 'echo_py__echo', 'echo_py__fail', 'echo_sh__say', 'gateway__status'],
      });
      // The schema lists the actions and profiles: anything else is refused before it runs.
      const unknown = await two.client.callTool({ name: 'sanctum__tools', arguments: { action: 'fly' } });
      expect(unknown.isError).toBe(true);
      expect(JSON.stringify(unknown.structuredContent)).toContain("'action' must be one of");
      const noProfile = await two.client.callTool({ name: 'sanctum__tools', arguments: { action: 'attach-profile', profile: 'nope' } });
      expect(JSON.stringify(noProfile.structuredContent)).toContain("'profile' must be one of");
      const profile = await two.client.callTool({ name: 'sanctum__tools', arguments: { action: 'attach-profile', profile: 'shell' } });
      expect(profile.structuredContent).toEqual({ profile: 'shell', attached: ['echo_sh__say', 'gateway__status', 'sanctum__tools'] });
      await eventually(() => two.changes() === 1);
    });
  });

  it('sends list_changed after a hot reload of the profiles file only to the sessions whose list changed', async () => {
    const alpha = await connect('streamable-http', 'alpha');
    const bravo = await connect('sse', 'bravo');
    expect(await names(alpha.client)).toEqual(['gateway__status', 'shout']);
    expect(await names(bravo.client)).toEqual(['echo_sh__say', 'gateway__status']);
    writeFileSync(file, JSON.stringify({ ...PROFILES, profiles: { ...PROFILES.profiles, shell: { tools: ['gateway__status'] } } }));
    await eventually(() => bravo.changes() === 1, 10_000);
    expect(await names(bravo.client)).toEqual(['gateway__status']);
    expect(alpha.changes()).toBe(0);
    writeFileSync(file, JSON.stringify(PROFILES));
    await eventually(() => bravo.changes() === 2, 10_000);
    expect(alpha.changes()).toBe(0);
  });

  it('sends list_changed after a plugin reload only to the sessions whose view changed', async () => {
    const alpha = await connect('streamable-http', 'alpha');
    const bravo = await connect('sse', 'bravo');
    expect(await names(alpha.client)).toEqual(['gateway__status', 'shout']);
    expect(await names(bravo.client)).toEqual(['echo_sh__say', 'gateway__status']);
    const plugins = join(dir, 'plugins');
    renameSync(join(plugins, 'echo_sh'), join(dir, 'echo_sh.away'));
    try {
      await eventually(() => bravo.changes() === 1, 10_000);
      expect(await names(bravo.client)).toEqual(['gateway__status']);
      expect(alpha.changes()).toBe(0);
    } finally {
      renameSync(join(dir, 'echo_sh.away'), join(plugins, 'echo_sh'));
    }
    await eventually(() => bravo.changes() === 2, 10_000);
    expect(await names(bravo.client)).toEqual(['echo_sh__say', 'gateway__status']);
    expect(alpha.changes()).toBe(0);
  });

  it("serves revision 2026-07-28 the key's view, without the agent-driven mode", async () => {
    /** One 2026-07-28 request as raw HTTP: its envelope in `_meta`, its method (and name) in the headers. */
    const stateless = async (
      key: keyof typeof KEYS,
      path: string,
      method: string,
      params: Record<string, unknown>,
      headers: Record<string, string> = {},
    ) => {
      const meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      return raw(
        gateway.port,
        'POST',
        path,
        {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${KEYS[key]}`,
          'MCP-Protocol-Version': '2026-07-28',
          'Mcp-Method': method,
          ...headers,
        },
        JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
      );
    };
    const list = async (key: keyof typeof KEYS, path = '/mcp'): Promise<string[]> => {
      const reply = await stateless(key, path, 'tools/list', {});
      expect(reply.status).toBe(200);
      return (JSON.parse(reply.body) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    };
    expect(await list('alpha')).toEqual(['gateway__status', 'shout']);
    expect(await list('bravo', '/profiles/narrow/mcp')).toEqual(['gateway__status']);
    expect(await list('gov')).toEqual(['echo_node__echo', 'echo_py__echo', 'echo_py__fail', 'echo_sh__say', 'gateway__status']);
    // A hidden tool's Mcp-Param-* headers are not checked: the answer is an unknown tool's.
    const call = async (name: string): Promise<string> => {
      const reply = await stateless(
        'alpha',
        '/mcp',
        'tools/call',
        { name, arguments: { region: 'eu' } },
        { 'Mcp-Name': name, 'Mcp-Param-Region': 'us' },
      );
      return `${reply.status} ${reply.body.replaceAll(name, '<name>')}`;
    };
    expect(await call('headers__test_header_param')).toBe(await call('headers__not_a_tool'));
    expect(await call('headers__test_header_param')).toContain("Unknown tool: '<name>'");
  });

  it('a 2026-07-28 subscriptions/listen follows only the resources its key may read (a hidden URI is left out as an unknown one)', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const uris = ['docs://public/readme', 'docs://internal/secrets', 'docs://nowhere/at-all'];
    const { reader } = await SseReader.open(`${gateway.baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${KEYS.alpha}`,
        'MCP-Protocol-Version': '2026-07-28',
        'Mcp-Method': 'subscriptions/listen',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: uris }, _meta: meta } }),
    });
    if (reader === undefined) throw new Error('subscriptions/listen did not open a stream');
    try {
      await reader.waitFor((r) => r.messages.length > 0);
      const ack = reader.messages[0] as { params: { notifications: { resourceSubscriptions?: string[] } } };
      expect(ack.params.notifications.resourceSubscriptions).toEqual(['docs://public/readme']);
    } finally {
      reader.close();
    }
  });

  it("gives the v2 SDK client (revision 2026-07-28) its key's view: list, call, and a hidden tool as an unknown one", async () => {
    const v2 = async (key: keyof typeof KEYS, path = '/mcp'): Promise<ClientV2> => {
      const client = new ClientV2(
        { name: `profiles-v2-${key}`, version: '2.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      const keyed: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('Authorization', `Bearer ${KEYS[key]}`);
        return fetch(input, { ...init, headers });
      };
      await client.connect(new TransportV2(new URL(`${gateway.baseUrl}${path}`), { fetch: keyed }));
      return client;
    };
    const alpha = await v2('alpha');
    const narrowed = await v2('bravo', '/profiles/narrow/mcp');
    try {
      expect(alpha.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect((await alpha.listTools()).tools.map((t) => t.name)).toEqual(['gateway__status', 'shout']);
      expect((await alpha.callTool({ name: 'shout', arguments: { text: 'v2' } })).isError).toBeFalsy();
      const failure = async (name: string): Promise<string> =>
        alpha.callTool({ name, arguments: {} }).then(
          () => 'no error',
          (err: Error) => err.message.replaceAll(name, '<name>'),
        );
      expect(await failure('echo_sh__say')).toBe(await failure('no_such_tool'));
      expect((await narrowed.listTools()).tools.map((t) => t.name)).toEqual(['gateway__status']);
    } finally {
      await alpha.close();
      await narrowed.close();
    }
  });

  /** serveStdio in-process: send JSON-RPC lines, wait for the answer of an id. */
  function stdio(): {
    send: (message: Record<string, unknown>) => void;
    answer: (id: number) => Promise<Record<string, unknown>>;
    end: () => Promise<void>;
  } {
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: Array<Record<string, unknown>> = [];
    let buffered = '';
    output.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) if (part) lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    const server = serveStdio(gateway.app, input, output);
    const send = (message: Record<string, unknown>): void => void input.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    const answer = async (id: number): Promise<Record<string, unknown>> => {
      await eventually(() => lines.some((l) => l['id'] === id));
      return lines.find((l) => l['id'] === id) as Record<string, unknown>;
    };
    return {
      send,
      answer,
      end: async () => {
        input.end();
        await server.finished;
      },
    };
  }

  it('binds the stdio client with bindings.stdio, in both revisions', async () => {
    // The SDK client over stdio (serveStdio in-process, sdk-connections.ts).
    const connection = await connectStdio(gateway, new Client({ name: 'profiles-stdio', version: '1.0.0' }));
    try {
      expect(await names(connection.client)).toEqual(['echo_sh__say', 'gateway__status']);
      expect(await errorOf(connection.client, 'shout')).toBe(await errorOf(connection.client, 'no_such_tool'));
      expect((await connection.client.callTool({ name: 'echo_sh__say', arguments: { word: 'stdio' } })).isError).toBeFalsy();
    } finally {
      await connection.close();
    }

    const stateless = stdio();
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'stdio', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    stateless.send({ id: 1, method: 'tools/list', params: { _meta: meta } });
    const tools = ((await stateless.answer(1))['result'] as { tools: Array<{ name: string }> }).tools;
    expect(tools.map((t) => t.name)).toEqual(['echo_sh__say', 'gateway__status']);
    await stateless.end();
  });

  it('serves the profile endpoints and POST /sse the same on the Express path (fast path off)', async () => {
    const fastPath = gateway.app.get(FastPath);
    fastPath.disabled = true;
    try {
      const served = fastPath.served;
      const narrowed = await connect('streamable-http', 'bravo', '/profiles/narrow');
      expect(await names(narrowed.client)).toEqual(['gateway__status']);
      const legacy = await connect('sse', 'bravo', '/profiles/narrow');
      expect(await names(legacy.client)).toEqual(['gateway__status']);
      const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${KEYS.alpha}` };
      expect((await raw(gateway.port, 'POST', '/profiles/nope/mcp', headers, '{}')).status).toBe(404);
      expect((await raw(gateway.port, 'POST', '/sse', headers, '{}')).status).toBe(405);
      expect(fastPath.served).toBe(served);
    } finally {
      fastPath.disabled = false;
    }
  });

  it('answers POST /sse with 405 naming /message and /mcp, and an undeclared profile endpoint with 404', async () => {
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${KEYS.alpha}` };
    const posted = await raw(gateway.port, 'POST', '/sse', headers, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(posted.status).toBe(405);
    expect(posted.headers['allow']).toBe('GET');
    expect(posted.body).toContain('/message?sessionId=<id>');
    expect(posted.body).toContain('/mcp');
    const missing = await raw(gateway.port, 'POST', '/profiles/nope/mcp', headers, '{}');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('no profile named \\"nope\\"');
  });
});

describe('tool profiles with sessions shared through Redis', () => {
  // Two gateways sharing the machine's Redis (MCP_REDIS_URL) under a prefix of this run: a session
  // opened through a profile endpoint on one keeps that narrowing when its requests reach the other.
  let dir: string;
  let one: RunningGateway;
  let two: RunningGateway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sanctum-profiles-redis-'));
    const file = join(dir, 'profiles.json');
    writeFileSync(file, JSON.stringify(PROFILES));
    const env = {
      MCP_PLUGINS_DIR: FIXTURES,
      MCP_API_KEYS: Object.entries(KEYS)
        .map(([name, key]) => `${name}:${key}`)
        .join(','),
      MCP_PROFILES: file,
      MCP_WATCH: '0',
      MCP_REDIS_URL: 'redis://127.0.0.1:6379/0',
      MCP_STATE_SECRET: 'profiles-e2e-state-secret-0123456789abcdef',
      MCP_REDIS_PREFIX: `profiles-e2e-${process.pid}-${Date.now()}:`,
    };
    one = await startGateway(env);
    two = await startGateway(env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says tools.listChanged to a session of the agent-driven mode even with MCP_WATCH off, and not to others', async () => {
    const initialize = async (key: keyof typeof KEYS): Promise<unknown> => {
      const reply = await raw(
        one.port,
        'POST',
        '/mcp',
        { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${KEYS[key]}` },
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'caps', version: '1' } },
        }),
      );
      return (JSON.parse(reply.body) as { result: { capabilities: { tools: { listChanged: boolean } } } }).result.capabilities.tools
        .listChanged;
    };
    expect(await initialize('gov')).toBe(true);
    expect(await initialize('alpha')).toBe(false);
  });

  it("keeps a session's profile endpoint (and X-Agent-Id) on another instance, never the key's wider view", async () => {
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      Authorization: `Bearer ${KEYS.bravo}`,
    };
    const init = await raw(
      one.port,
      'POST',
      '/profiles/narrow/mcp',
      { ...headers, 'X-Agent-Id': 'agent-on-one' },
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'redis', version: '1' } },
      }),
    );
    expect(init.status).toBe(200);
    const session = String(init.headers['mcp-session-id']);
    const follow = { ...headers, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };
    expect(
      (await raw(two.port, 'POST', '/mcp', follow, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status,
    ).toBe(202);
    const listed = await raw(two.port, 'POST', '/mcp', follow, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    expect(listed.status).toBe(200);
    const tools = (JSON.parse(listed.body) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    // bravo's own profile shows echo_sh__say too: only the endpoint's narrowing hides it.
    expect(tools).toEqual(['gateway__status']);
    const hidden = await raw(
      two.port,
      'POST',
      '/mcp',
      follow,
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo_sh__say', arguments: { word: 'x' } } }),
    );
    expect(hidden.body).toContain("Unknown tool: 'echo_sh__say'");
  });
});
