// Pins the HTTP surface of protocol revision 2026-07-28 (stateless) on POST /mcp, request by request over raw
// HTTP: for each case the exact status, the JSON-RPC error code (or the result's shape) and the
// echoed id. Then what surrounds it: the 2025 revisions on the same endpoint, header-name case, no
// session state, API keys, Origin and CORS preflight, subscriptions/listen streams, and progress
// and log notifications on a call's own stream.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SessionRegistry } from '@sanctum/sessions';
import { StatelessProtocol } from '../src/app/mcp/stateless-protocol.service';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { SseReader } from './sse-reader';
import { raw } from './raw-http';
import type { Reply } from './raw-http';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const NOTIFY = resolve(__dirname, 'fixtures/notify');
const V = '2026-07-28';
const SESSION_BASED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
const ALLOWED_ORIGIN = 'https://app.example.com';
const KEY = 'stateless-key-0123456789';

type Id = string | number;
type Json = Record<string, unknown>;

/** The per-request envelope; an override of undefined removes a key. */
function envelope(overrides: Json = {}): Json {
  const meta: Json = {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'stateless-http-e2e', version: '1.0.0' },
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete meta[key];
    else meta[key] = value;
  }
  return meta;
}

/** A request body of revision 2026-07-28. */
function stateless(id: Id, method: string, params: Json = {}, meta: Json = {}): Json {
  return { jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope(meta) } };
}

const BASE = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** The headers a correct client sends; overrides of undefined remove a header. */
function hdrs(method: string, name?: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const h: Record<string, string | undefined> = { ...BASE, 'MCP-Protocol-Version': V, 'Mcp-Method': method };
  if (name !== undefined) h['Mcp-Name'] = name;
  Object.assign(h, overrides);
  return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));
}

const b64 = (text: string): string => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

function resultOf(reply: Reply): Json {
  return (JSON.parse(reply.body) as { result: Json }).result;
}

/** What every successful stateless result carries. */
function expectStamped(result: Json, cacheable: boolean): void {
  expect(result['resultType']).toBe('complete');
  expect((result['_meta'] as Json)[SERVER_INFO]).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
  if (cacheable) {
    expect(Number.isInteger(result['ttlMs'])).toBe(true);
    expect(result['ttlMs'] as number).toBeGreaterThanOrEqual(0);
    expect(['public', 'private']).toContain(result['cacheScope']);
  } else {
    expect('ttlMs' in result).toBe(false);
    expect('cacheScope' in result).toBe(false);
  }
}

interface Case {
  name: string;
  headers: Record<string, string>;
  body: Json | Json[] | string;
  status: number;
  /** The JSON-RPC error code, or undefined for a result. */
  code?: number;
  /** The id the answer must carry (null when the gateway cannot know it). */
  id?: Id | null;
  /** Extra checks on the parsed answer. */
  check?: (answer: Json) => void;
}

const call = (id: Id, name: string, args: Json = {}, meta: Json = {}): Json => stateless(id, 'tools/call', { name, arguments: args }, meta);

const CASES: Case[] = [
  {
    name: 'server/discover',
    headers: hdrs('server/discover'),
    body: stateless('discover-1', 'server/discover'),
    status: 200,
    id: 'discover-1',
    check: (answer) => {
      const result = answer['result'] as Json;
      expectStamped(result, true);
      expect(result['supportedVersions']).toEqual(expect.arrayContaining([V, ...SESSION_BASED_VERSIONS]));
      expect((result['supportedVersions'] as string[])[0]).toBe(V);
      expect((result['capabilities'] as Json)['tools']).toEqual({ listChanged: true });
      expect('serverInfo' in result).toBe(false);
    },
  },
  {
    name: 'tools/list',
    headers: hdrs('tools/list'),
    body: stateless(2, 'tools/list'),
    status: 200,
    id: 2,
    check: (answer) => {
      const result = answer['result'] as Json;
      expectStamped(result, true);
      expect(result['ttlMs']).toBe(60_000); // MCP_LIST_TTL=60
      expect(result['cacheScope']).toBe('private');
      expect((result['tools'] as Array<{ name: string }>).map((t) => t.name)).toEqual(
        expect.arrayContaining(['echo_py__echo', 'reporter__work']),
      );
    },
  },
  {
    name: 'tools/call that succeeds',
    headers: hdrs('tools/call', 'echo_py__echo'),
    body: call('call-ok', 'echo_py__echo', { text: 'hi' }),
    status: 200,
    id: 'call-ok',
    check: (answer) => {
      const result = answer['result'] as Json;
      expectStamped(result, false);
      expect(result['isError']).toBeFalsy();
      expect((result['structuredContent'] as Json)['argv']).toEqual(['echo', '--text=hi']);
    },
  },
  {
    name: 'tools/call of a tool that fails (a result with isError)',
    headers: hdrs('tools/call', 'echo_py__fail'),
    body: call('call-fail', 'echo_py__fail', { why: 'test' }),
    status: 200,
    id: 'call-fail',
    check: (answer) => {
      const result = answer['result'] as Json;
      expectStamped(result, false);
      expect(result['isError']).toBe(true);
    },
  },
  {
    name: 'tools/call without clientInfo (optional)',
    headers: hdrs('tools/call', 'echo_py__echo'),
    body: call(4, 'echo_py__echo', { text: 'anon' }, { 'io.modelcontextprotocol/clientInfo': undefined }),
    status: 200,
    id: 4,
    check: (answer) => expectStamped(answer['result'] as Json, false),
  },
  {
    name: 'tools/call of an unknown tool (in-band)',
    headers: hdrs('tools/call', 'ghost__tool'),
    body: call('ghost', 'ghost__tool'),
    status: 200,
    code: -32602,
    id: 'ghost',
    check: (answer) => expect((answer['error'] as Json)['message']).toMatch(/ghost__tool/),
  },
  {
    name: 'an envelope without clientCapabilities',
    headers: hdrs('tools/list'),
    body: stateless('no-caps', 'tools/list', {}, { 'io.modelcontextprotocol/clientCapabilities': undefined }),
    status: 400,
    code: -32602,
    id: 'no-caps',
    check: (answer) => expect((answer['error'] as Json)['message']).toMatch(/clientCapabilities/),
  },
  {
    name: 'an invalid logLevel in the envelope',
    headers: hdrs('tools/list'),
    body: stateless(7, 'tools/list', {}, { 'io.modelcontextprotocol/logLevel': 'loud' }),
    status: 400,
    code: -32602,
    id: 7,
  },
  {
    name: 'no _meta but MCP-Protocol-Version: 2026-07-28',
    headers: hdrs('tools/list'),
    body: { jsonrpc: '2.0', id: 'no-envelope', method: 'tools/list', params: {} },
    status: 400,
    code: -32602,
    id: 'no-envelope',
  },
  {
    name: 'the header version differs from the body (2025-11-25 vs 2026-07-28)',
    headers: hdrs('tools/list', undefined, { 'MCP-Protocol-Version': '2025-11-25' }),
    body: stateless(9, 'tools/list'),
    status: 400,
    code: -32020,
    id: 9,
  },
  {
    name: 'header 2026-07-28, body v999.0.0 (mismatch before version)',
    headers: hdrs('tools/list'),
    body: stateless(10, 'tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }),
    status: 400,
    code: -32020,
    id: 10,
  },
  {
    name: 'v999.0.0 in header and body',
    headers: hdrs('tools/list', undefined, { 'MCP-Protocol-Version': 'v999.0.0' }),
    body: stateless('v999', 'tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }),
    status: 400,
    code: -32022,
    id: 'v999',
    check: (answer) => {
      const data = (answer['error'] as Json)['data'] as { supported: string[]; requested: string };
      expect(data.requested).toBe('v999.0.0');
      expect(data.supported).toEqual(expect.arrayContaining([V, ...SESSION_BASED_VERSIONS]));
    },
  },
  {
    name: 'v999.0.0 in the body and no headers at all (version before presence)',
    headers: BASE,
    body: stateless(12, 'tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }),
    status: 400,
    code: -32022,
    id: 12,
  },
  {
    name: 'a missing MCP-Protocol-Version header',
    headers: hdrs('tools/list', undefined, { 'MCP-Protocol-Version': undefined }),
    body: stateless('no-version', 'tools/list'),
    status: 400,
    code: -32020,
    id: 'no-version',
  },
  {
    name: 'a missing Mcp-Method header',
    headers: hdrs('tools/list', undefined, { 'Mcp-Method': undefined }),
    body: stateless(14, 'tools/list'),
    status: 400,
    code: -32020,
    id: 14,
  },
  {
    name: 'an Mcp-Method that differs from the body',
    headers: hdrs('tools/call'),
    body: stateless(15, 'tools/list'),
    status: 400,
    code: -32020,
    id: 15,
  },
  {
    name: 'Mcp-Method in the wrong case (TOOLS/LIST)',
    headers: hdrs('TOOLS/LIST'),
    body: stateless('upper', 'tools/list'),
    status: 400,
    code: -32020,
    id: 'upper',
  },
  {
    name: 'tools/call without Mcp-Name',
    headers: hdrs('tools/call'),
    body: call(17, 'echo_py__echo', { text: 'x' }),
    status: 400,
    code: -32020,
    id: 17,
  },
  {
    name: 'an Mcp-Name that differs from params.name',
    headers: hdrs('tools/call', 'reporter__work'),
    body: call('other-name', 'echo_py__echo', { text: 'x' }),
    status: 400,
    code: -32020,
    id: 'other-name',
  },
  {
    name: 'an Mcp-Name that is invalid base64',
    headers: hdrs('tools/call', '=?base64?***?='),
    body: call(19, 'echo_py__echo', { text: 'x' }),
    status: 400,
    code: -32020,
    id: 19,
  },
  {
    name: 'an Mcp-Name base64-encoded (correct)',
    headers: hdrs('tools/call', b64('echo_py__echo')),
    body: call('b64', 'echo_py__echo', { text: 'x' }),
    status: 200,
    id: 'b64',
    check: (answer) => expectStamped(answer['result'] as Json, false),
  },
  {
    name: 'an Mcp-Name with surrounding whitespace',
    headers: hdrs('tools/call', '  echo_py__echo \t'),
    body: call(21, 'echo_py__echo', { text: 'x' }),
    status: 200,
    id: 21,
    check: (answer) => expectStamped(answer['result'] as Json, false),
  },
  {
    name: 'initialize with the envelope',
    headers: hdrs('initialize'),
    body: stateless('init', 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
    status: 404,
    code: -32601,
    id: 'init',
  },
  { name: 'ping with the envelope', headers: hdrs('ping'), body: stateless(23, 'ping'), status: 404, code: -32601, id: 23 },
  {
    name: 'logging/setLevel with the envelope',
    headers: hdrs('logging/setLevel'),
    body: stateless('set-level', 'logging/setLevel', { level: 'debug' }),
    status: 404,
    code: -32601,
    id: 'set-level',
  },
  { name: 'unknown/method', headers: hdrs('unknown/method'), body: stateless(25, 'unknown/method'), status: 404, code: -32601, id: 25 },
  {
    name: 'resources/subscribe (not in this revision: updates come through subscriptions/listen)',
    headers: hdrs('resources/subscribe'),
    body: stateless('res', 'resources/subscribe', { uri: 'test://static-text' }),
    status: 404,
    code: -32601,
    id: 'res',
  },
  {
    name: 'subscriptions/listen with an invalid filter (in-band)',
    headers: hdrs('subscriptions/listen'),
    body: stateless('listen-bad', 'subscriptions/listen', { notifications: 'everything' }),
    status: 200,
    code: -32602,
    id: 'listen-bad',
  },
  {
    name: 'subscriptions/listen without a filter (in-band)',
    headers: hdrs('subscriptions/listen'),
    body: stateless(28, 'subscriptions/listen'),
    status: 200,
    code: -32602,
    id: 28,
  },
  {
    name: 'a batch holding a stateless request',
    headers: hdrs('tools/list'),
    body: [stateless(29, 'tools/list'), { jsonrpc: '2.0', id: 30, method: 'ping' }],
    status: 400,
    code: -32600,
    id: null,
  },
];

describe('MCP 2026-07-28 over raw HTTP on POST /mcp', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stateless-http-'));
    cpSync(join(FIXTURES, 'echo_py'), join(dir, 'echo_py'), { recursive: true });
    cpSync(join(NOTIFY, 'reporter'), join(dir, 'reporter'), { recursive: true });
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_WATCH_DEBOUNCE: '0.1', MCP_LIST_TTL: '60', MCP_CORS_ORIGINS: ALLOWED_ORIGIN });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sessions = (): number => gateway.app.get(SessionRegistry).count();

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = sessions();
    const reply = await raw(gateway.port, 'POST', '/mcp', c.headers, typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
    expect({ status: reply.status, body: reply.body }).toEqual({ status: c.status, body: expect.any(String) });
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const answer = JSON.parse(reply.body) as Json;
    expect(answer['jsonrpc']).toBe('2.0');
    expect(answer['id']).toEqual(c.id);
    if (c.code === undefined) {
      expect(answer['error']).toBeUndefined();
      expect(answer['result']).toEqual(expect.any(Object));
    } else {
      expect(answer['result']).toBeUndefined();
      expect((answer['error'] as Json)['code']).toBe(c.code);
      expect((answer['error'] as Json)['message']).toEqual(expect.any(String));
      expect('resultType' in (answer['error'] as Json)).toBe(false);
    }
    c.check?.(answer);
    // Stateless: no session was made, none is named.
    expect(reply.headers['mcp-session-id']).toBeUndefined();
    expect(sessions()).toBe(before);
  });

  it('a notification with the envelope is 202 with an empty body', async () => {
    const body = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, _meta: envelope() } };
    const withoutHeaders = await raw(gateway.port, 'POST', '/mcp', BASE, JSON.stringify(body));
    expect(withoutHeaders.status).toBe(202);
    expect(withoutHeaders.body).toBe('');
    expect(withoutHeaders.headers['mcp-session-id']).toBeUndefined();
    const withHeaders = await raw(gateway.port, 'POST', '/mcp', hdrs('notifications/cancelled'), JSON.stringify(body));
    expect(withHeaders.status).toBe(202);
    expect(withHeaders.body).toBe('');
  });

  it('a notification whose Mcp-Method differs from the body is 400 -32020 (id null)', async () => {
    const body = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, _meta: envelope() } };
    const reply = await raw(gateway.port, 'POST', '/mcp', { ...BASE, 'Mcp-Method': 'notifications/progress' }, JSON.stringify(body));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32020 } });
  });

  it('tools/list answers the same tools in the same order twice', async () => {
    const list = async (id: number): Promise<string[]> => {
      const reply = await raw(gateway.port, 'POST', '/mcp', hdrs('tools/list'), JSON.stringify(stateless(id, 'tools/list')));
      expect(reply.status).toBe(200);
      const result = resultOf(reply);
      expectStamped(result, true);
      return (result['tools'] as Array<{ name: string }>).map((t) => t.name);
    };
    const first = await list(101);
    const second = await list(102);
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('accepts header names in lower case (and in upper case)', async () => {
    const lower = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': 'tools/call',
      'mcp-name': 'echo_py__echo',
    };
    const reply = await raw(gateway.port, 'POST', '/mcp', lower, JSON.stringify(call('lower', 'echo_py__echo', { text: 'x' })));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ id: 'lower', result: { resultType: 'complete' } });
    const upper = { ...BASE, 'MCP-PROTOCOL-VERSION': V, 'MCP-METHOD': 'tools/call', 'MCP-NAME': 'echo_py__echo' };
    const again = await raw(gateway.port, 'POST', '/mcp', upper, JSON.stringify(call('upper', 'echo_py__echo', { text: 'x' })));
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ id: 'upper', result: { resultType: 'complete' } });
  });

  it('a 2025 initialize on the same endpoint still opens a session', async () => {
    const before = sessions();
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'session-based', version: '1' } },
    };
    const reply = await raw(gateway.port, 'POST', '/mcp', BASE, JSON.stringify(init));
    expect(reply.status).toBe(200);
    const sessionId = reply.headers['mcp-session-id'];
    expect(sessionId).toEqual(expect.any(String));
    expect(JSON.parse(reply.body)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25', serverInfo: { name: 'sanctum-mcp' } } });
    expect(sessions()).toBe(before + 1);
    // A stateless request in between neither needs nor touches that session.
    const discover = await raw(gateway.port, 'POST', '/mcp', hdrs('server/discover'), JSON.stringify(stateless(2, 'server/discover')));
    expect(discover.status).toBe(200);
    expect(discover.headers['mcp-session-id']).toBeUndefined();
    expect(sessions()).toBe(before + 1);
    const ended = await raw(gateway.port, 'DELETE', '/mcp', {
      'Mcp-Session-Id': sessionId as string,
      'MCP-Protocol-Version': '2025-11-25',
    });
    expect(ended.status).toBeLessThan(300);
    await eventually(() => sessions() === before);
  });

  it('ignores an Mcp-Session-Id sent with a stateless request (even an unknown one)', async () => {
    const reply = await raw(
      gateway.port,
      'POST',
      '/mcp',
      { ...hdrs('tools/list'), 'Mcp-Session-Id': 'no-such-session' },
      JSON.stringify(stateless('sid', 'tools/list')),
    );
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ id: 'sid', result: { resultType: 'complete' } });
  });

  it('refuses a foreign Origin with 403 and accepts the CORS-allowed one', async () => {
    const body = JSON.stringify(stateless('origin', 'server/discover'));
    const foreign = await raw(gateway.port, 'POST', '/mcp', { ...hdrs('server/discover'), Origin: 'https://evil.example' }, body);
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { message: expect.stringContaining('https://evil.example') },
    });
    const allowed = await raw(gateway.port, 'POST', '/mcp', { ...hdrs('server/discover'), Origin: ALLOWED_ORIGIN }, body);
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(JSON.parse(allowed.body)).toMatchObject({ id: 'origin', result: { resultType: 'complete' } });
  });

  it('answers a CORS preflight allowing Mcp-Method, Mcp-Name and MCP-Protocol-Version', async () => {
    const reply = await raw(gateway.port, 'OPTIONS', '/mcp', {
      Origin: ALLOWED_ORIGIN,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type, mcp-method, mcp-name, mcp-protocol-version',
    });
    expect(reply.status).toBeGreaterThanOrEqual(200);
    expect(reply.status).toBeLessThan(300);
    expect(reply.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(String(reply.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    const allowed = String(reply.headers['access-control-allow-headers'])
      .split(',')
      .map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'mcp-method', 'mcp-name', 'mcp-protocol-version']));
  });

  describe('streams', () => {
    function open(headers: Record<string, string>, body: Json): Promise<{ response: Response; reader?: SseReader }> {
      return SseReader.open(`${gateway.baseUrl}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
    }

    it('subscriptions/listen opens an event stream acknowledged first, then delivers tagged tools/list_changed', async () => {
      const id = 'listen-1';
      const { response, reader } = await open(
        hdrs('subscriptions/listen'),
        stateless(id, 'subscriptions/listen', { notifications: { toolsListChanged: true } }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      expect(reader).toBeDefined();
      const stream = reader as SseReader;
      try {
        await stream.waitFor((r) => r.messages.length >= 1);
        expect(stream.messages[0]).toEqual({
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: id } },
        });
        await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 1);
        expect(gateway.app.get(SessionRegistry).count()).toBe(0);
        // A catalog change reaches the stream, tagged with the subscription id.
        cpSync(join(FIXTURES, 'echo_node'), join(dir, 'echo_node'), { recursive: true });
        await stream.waitFor((r) => r.messages.some((m) => m['method'] === 'notifications/tools/list_changed'), 10_000);
        expect(stream.messages.find((m) => m['method'] === 'notifications/tools/list_changed')).toEqual({
          jsonrpc: '2.0',
          method: 'notifications/tools/list_changed',
          params: { _meta: { [SUBSCRIPTION_ID]: id } },
        });
        expect(stream.ended).toBe(false);
      } finally {
        stream.close();
        rmSync(join(dir, 'echo_node'), { recursive: true, force: true });
      }
      await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 0);
    });

    it('subscriptions/listen with an empty filter is acknowledged with nothing and ends with the final result', async () => {
      const { response, reader } = await open(
        hdrs('subscriptions/listen'),
        stateless('listen-empty', 'subscriptions/listen', { notifications: {} }),
      );
      expect(response.status).toBe(200);
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 5_000);
      expect(stream.messages).toEqual([
        {
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: { notifications: {}, _meta: { [SUBSCRIPTION_ID]: 'listen-empty' } },
        },
        {
          jsonrpc: '2.0',
          id: 'listen-empty',
          result: expect.objectContaining({
            resultType: 'complete',
            _meta: expect.objectContaining({ [SUBSCRIPTION_ID]: 'listen-empty' }),
          }),
        },
      ]);
      expect(gateway.app.get(StatelessProtocol).listenerCount).toBe(0);
    });

    it('tags a numeric listen id as a number', async () => {
      const { reader } = await open(
        hdrs('subscriptions/listen'),
        stateless(77, 'subscriptions/listen', { notifications: { toolsListChanged: true } }),
      );
      const stream = reader as SseReader;
      try {
        await stream.waitFor((r) => r.messages.length >= 1);
        expect((stream.messages[0]['params'] as Json)['_meta']).toEqual({ [SUBSCRIPTION_ID]: 77 });
      } finally {
        stream.close();
      }
      await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 0);
    });

    it('a tools/call with a progressToken is answered as an event stream: progress, then the result', async () => {
      const body = call('progress-call', 'reporter__work', { steps: 3 }, { progressToken: 'tok-1' });
      const { response, reader } = await open(hdrs('tools/call', 'reporter__work'), body);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 15_000);
      const messages = stream.messages;
      const progress = messages.filter((m) => m['method'] === 'notifications/progress');
      expect(progress.map((m) => m['params'])).toEqual([
        { progressToken: 'tok-1', progress: 1, total: 3, message: 'step 1' },
        { progressToken: 'tok-1', progress: 2, total: 3, message: 'step 2' },
        { progressToken: 'tok-1', progress: 3, total: 3, message: 'step 3' },
      ]);
      // No logLevel in the envelope: no log notifications.
      expect(messages.filter((m) => m['method'] === 'notifications/message')).toEqual([]);
      const last = messages[messages.length - 1];
      expect(last['id']).toBe('progress-call');
      const result = last['result'] as Json;
      expectStamped(result, false);
      expect(result['structuredContent']).toEqual({ steps: 3 });
      expect(messages.filter((m) => 'id' in m)).toHaveLength(1);
    });

    it('a tools/call with logLevel gets notifications/message at or above that level on its stream', async () => {
      const body = call(31, 'reporter__work', { steps: 1 }, { 'io.modelcontextprotocol/logLevel': 'info' });
      const { response, reader } = await open(hdrs('tools/call', 'reporter__work'), body);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 15_000);
      const logs = stream.messages.filter((m) => m['method'] === 'notifications/message').map((m) => m['params'] as Json);
      expect(logs).toEqual([
        { level: 'info', logger: 'reporter', data: 'starting' },
        { level: 'warning', logger: 'reporter', data: 'almost done' },
      ]);
      // No progressToken: no progress notifications.
      expect(stream.messages.filter((m) => m['method'] === 'notifications/progress')).toEqual([]);
      const last = stream.messages[stream.messages.length - 1];
      expect(last).toMatchObject({ id: 31, result: { resultType: 'complete', structuredContent: { steps: 1 } } });
    });

    it('logLevel debug lets the debug line through too', async () => {
      const body = call('debug-call', 'reporter__work', { steps: 1 }, { 'io.modelcontextprotocol/logLevel': 'debug' });
      const { reader } = await open(hdrs('tools/call', 'reporter__work'), body);
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 15_000);
      const levels = stream.messages.filter((m) => m['method'] === 'notifications/message').map((m) => (m['params'] as Json)['level']);
      expect(levels).toEqual(['debug', 'info', 'warning']);
    });

    it('a tools/call without logLevel or progressToken gets plain JSON and no notifications', async () => {
      const reply = await raw(
        gateway.port,
        'POST',
        '/mcp',
        hdrs('tools/call', 'reporter__work'),
        JSON.stringify(call('quiet', 'reporter__work', { steps: 2 })),
      );
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      const answer = JSON.parse(reply.body) as Json;
      expect(answer).toMatchObject({ jsonrpc: '2.0', id: 'quiet', result: { resultType: 'complete', structuredContent: { steps: 2 } } });
      expect(reply.body).not.toContain('notifications/message');
    });
  });
});

describe('MCP 2026-07-28 subscriptions/listen with MCP_WATCH=0', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_WATCH: '0' });
  });
  afterAll(() => gateway?.close());

  it('discover says tools do not change', async () => {
    const reply = await raw(gateway.port, 'POST', '/mcp', hdrs('server/discover'), JSON.stringify(stateless(1, 'server/discover')));
    expect(reply.status).toBe(200);
    expect((resultOf(reply)['capabilities'] as Json)['tools']).toEqual({ listChanged: false });
  });

  it('acknowledges an empty filter, sends the final result and ends the stream', async () => {
    const id = 'listen-off';
    const { response, reader } = await SseReader.open(`${gateway.baseUrl}/mcp`, {
      method: 'POST',
      headers: hdrs('subscriptions/listen'),
      body: JSON.stringify(stateless(id, 'subscriptions/listen', { notifications: { toolsListChanged: true } })),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = reader as SseReader;
    await stream.waitFor((r) => r.ended, 5_000);
    expect(stream.messages).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { notifications: {}, _meta: { [SUBSCRIPTION_ID]: id } },
      },
      {
        jsonrpc: '2.0',
        id,
        result: expect.objectContaining({ resultType: 'complete', _meta: expect.objectContaining({ [SUBSCRIPTION_ID]: id }) }),
      },
    ]);
    expect(gateway.app.get(StatelessProtocol).listenerCount).toBe(0);
  });
});

describe('MCP 2026-07-28 with an API key', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_API_KEY: KEY, MCP_WATCH: '0' });
  });
  afterAll(() => gateway?.close());

  const body = JSON.stringify(stateless('keyed', 'tools/list'));

  it('refuses a stateless request without a key (401)', async () => {
    const reply = await raw(gateway.port, 'POST', '/mcp', hdrs('tools/list'), body);
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="sanctum-mcp"');
    expect(JSON.parse(reply.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { message: expect.stringContaining('API key') } });
  });

  it('refuses a wrong key (401)', async () => {
    expect(
      (await raw(gateway.port, 'POST', '/mcp', { ...hdrs('tools/list'), Authorization: 'Bearer wrong-key-000000' }, body)).status,
    ).toBe(401);
  });

  it.each([
    ['Authorization: Bearer', { Authorization: `Bearer ${KEY}` }],
    ['X-API-Key', { 'X-API-Key': KEY }],
  ])('answers with the key as %s (200)', async (_name, auth) => {
    const reply = await raw(gateway.port, 'POST', '/mcp', { ...hdrs('tools/list'), ...auth }, body);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ id: 'keyed', result: { resultType: 'complete', tools: expect.any(Array) } });
    expect(reply.headers['mcp-session-id']).toBeUndefined();
    expect(gateway.app.get(SessionRegistry).count()).toBe(0);
  });
});

describe('MCP 2026-07-28 subscriptions/listen limits', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FIXTURES,
      MCP_API_KEYS: `a:${KEY},b:${KEY}-other`,
      MCP_MAX_SESSIONS: '3',
      MCP_MAX_SESSIONS_PER_KEY: '2',
    });
  });
  afterAll(() => gateway?.close());

  const listen = (id: string, key: string) =>
    SseReader.open(`${gateway.baseUrl}/mcp`, {
      method: 'POST',
      headers: { ...hdrs('subscriptions/listen'), Authorization: `Bearer ${key}` },
      body: JSON.stringify(stateless(id, 'subscriptions/listen', { notifications: { toolsListChanged: true } })),
    });

  it('caps open listen streams per key (MCP_MAX_SESSIONS_PER_KEY) and in all (MCP_MAX_SESSIONS) with 503, and frees a slot when one closes', async () => {
    const open: SseReader[] = [];
    try {
      for (const id of ['a1', 'a2']) {
        const { response, reader } = await listen(id, KEY);
        expect(response.status).toBe(200);
        open.push(reader as SseReader);
      }
      const third = await listen('a3', KEY);
      expect(third.response.status).toBe(503);
      expect(await third.response.json()).toMatchObject({
        id: 'a3',
        error: { code: -32000, message: expect.stringContaining('MCP_MAX_SESSIONS_PER_KEY=2') },
      });

      const other = await listen('b1', `${KEY}-other`);
      expect(other.response.status).toBe(200);
      open.push(other.reader as SseReader);
      const full = await listen('b2', `${KEY}-other`);
      expect(full.response.status).toBe(503);
      expect(await full.response.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining('(MCP_MAX_SESSIONS)') } });

      open.shift()?.close();
      await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 2);
      const again = await listen('a4', KEY);
      expect(again.response.status).toBe(200);
      open.push(again.reader as SseReader);
    } finally {
      for (const reader of open) reader.close();
    }
    await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 0);
  });
});
