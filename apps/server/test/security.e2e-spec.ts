// Pins the security model over HTTP: API keys (Bearer and X-API-Key), session ownership,
// DNS-rebinding protection (Host and Origin), body and argument limits, hostile values that must
// reach plugins as plain values, rate limiting, and that the server keeps answering afterwards.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { raw } from './raw-http';
import type { Reply } from './raw-http';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const KEY_A = 'alpha-key-0123456789';
const KEY_B = 'bravo-key-0123456789';

/** Open an SSE stream with a key and return its message endpoint (the stream stays open). */
function openSse(port: number, key: string): Promise<{ endpoint: string; close: () => void }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/sse', headers: { Accept: 'text/event-stream', Authorization: `Bearer ${key}` } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buffer += c;
        const m = /data: (\/message\?sessionId=[^\n]+)\n/.exec(buffer);
        if (m) resolvePromise({ endpoint: m[1], close: () => req.destroy() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const rpc = (method: string, params: Record<string, unknown> = {}): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const callEcho = (args: Record<string, unknown>): string => rpc('tools/call', { name: 'echo_py__echo', arguments: args });
const json = { 'Content-Type': 'application/json' };

describe('hostile input over HTTP', () => {
  let gateway: RunningGateway;
  let sessionOfA: { endpoint: string; close: () => void };

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FIXTURES,
      MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`,
      MCP_MAX_BODY_BYTES: '65536',
      MCP_MAX_ARG_BYTES: '1024',
      MCP_ALLOWED_ORIGINS: 'https://app.example.com',
    });
    sessionOfA = await openSse(gateway.port, KEY_A);
  });
  afterAll(async () => {
    sessionOfA?.close();
    await gateway?.close();
  });

  const A = { ...json, Authorization: `Bearer ${KEY_A}` };

  it.each<[string, () => Promise<Reply>, number, RegExp]>([
    ['no key on /message', () => raw(gateway.port, 'POST', '/message', json, rpc('ping')), 401, /send an API key/],
    ['no key on /sse', () => raw(gateway.port, 'GET', '/sse', { Accept: 'text/event-stream' }), 401, /Unauthorized/],
    ['no key on /metrics', () => raw(gateway.port, 'GET', '/metrics', {}), 401, /Unauthorized/],
    ['a wrong key', () => raw(gateway.port, 'POST', '/message', { ...json, Authorization: 'Bearer wrong-key-000000' }, rpc('ping')), 401, /not valid/],
    ['a wrong X-API-Key', () => raw(gateway.port, 'POST', '/message', { ...json, 'X-API-Key': 'nope-nope-nope' }, rpc('ping')), 401, /not valid/],
    ['the session of another key', () => raw(gateway.port, 'POST', sessionOfA.endpoint, { ...json, 'X-API-Key': KEY_B }, rpc('ping')), 404, /Session not found/],
    ['an evil Origin', () => raw(gateway.port, 'POST', '/message', { ...A, Origin: 'https://evil.example' }, rpc('ping')), 403, /Origin "https:\/\/evil\.example" is not allowed/],
    ['an Origin of null', () => raw(gateway.port, 'POST', '/message', { ...A, Origin: 'null' }, rpc('ping')), 403, /Origin "null"/],
    ['a rebinding Host', () => raw(gateway.port, 'POST', '/message', { ...A, Host: 'attacker.example:8000' }, rpc('ping')), 403, /Host "attacker\.example" is not a loopback name/],
    ['an oversized body', () => raw(gateway.port, 'POST', '/message', A, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70_000) } })), 413, /too large/],
    ['invalid JSON', () => raw(gateway.port, 'POST', '/message', A, '{"jsonrpc": "2.0", "id": 1, "method": '), 400, /"code":-32700/],
    ['deeply nested JSON', () => raw(gateway.port, 'POST', '/message', A, `{"jsonrpc":"2.0","id":1,"method":"ping","params":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`), 400, /nesting deeper/],
    ['a batch of garbage', () => raw(gateway.port, 'POST', '/message', A, JSON.stringify([1, 'x', null, {}, []])), 400, /"code":-32600/],
    ['an unknown argument key', () => raw(gateway.port, 'POST', '/message', A, callEcho({ text: 'x', rm: '-rf' })), 200, /invalid_arguments.*unknown argument 'rm'/],
    ['a NUL byte in a value', () => raw(gateway.port, 'POST', '/message', A, callEcho({ text: 'a\u0000b' })), 200, /invalid_arguments.*NUL byte/],
    ['a lone surrogate', () => raw(gateway.port, 'POST', '/message', A, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_py__echo","arguments":{"text":"\\ud800"}}}'), 200, /not valid Unicode/],
    ['a huge string', () => raw(gateway.port, 'POST', '/message', A, callEcho({ text: 'y'.repeat(5000) })), 200, /invalid_arguments.*limit is 1024/],
  ])('%s', async (_name, send, status, body) => {
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(reply.body.replace(/\\"/g, '"')).toMatch(body);
    if (status === 401) expect(reply.headers['www-authenticate']).toBe('Bearer realm="sanctum-mcp"');
    const health = await raw(gateway.port, 'GET', '/health', {});
    expect(health.status).toBe(200);
  });

  it.each(['-rf', '--help', '../../etc/passwd', 'line1\nline2', '$(rm -rf /)', '; ls', '`id`', '--text=override'])(
    'passes %p to the plugin as one plain value',
    async (value) => {
      const reply = await raw(gateway.port, 'POST', '/message', A, callEcho({ text: value }));
      const body = JSON.parse(reply.body) as { result: { structuredContent: { argv: string[] } } };
      expect(body.result.structuredContent.argv).toEqual(['echo', `--text=${value}`]);
    },
  );

  it('accepts an allowed Origin, a loopback Origin, /health without a key, and both key headers', async () => {
    expect((await raw(gateway.port, 'POST', '/message', { ...A, Origin: 'https://app.example.com' }, rpc('ping'))).status).toBe(200);
    expect((await raw(gateway.port, 'POST', '/message', { ...A, Origin: 'http://localhost:3000' }, rpc('ping'))).status).toBe(200);
    expect((await raw(gateway.port, 'POST', '/message', { ...json, 'X-API-Key': KEY_B }, rpc('ping'))).status).toBe(200);
    expect((await raw(gateway.port, 'POST', sessionOfA.endpoint, A, rpc('ping'))).status).toBe(202);
    expect((await raw(gateway.port, 'GET', '/health', {})).status).toBe(200);
  });

  it('never logs argument values or keys', async () => {
    await raw(gateway.port, 'POST', '/message', A, callEcho({ text: 'very-private-value' }));
    const logs = gateway.logs.join('\n');
    expect(logs).not.toContain('very-private-value');
    expect(logs).not.toContain(KEY_A);
    expect(logs).not.toContain(KEY_B);
  });
});

describe('rate limiting and session caps', () => {
  it('answers 429 with Retry-After past the per-key limit, per key', async () => {
    const gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`, MCP_RATE_LIMIT: '5' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await raw(gateway.port, 'POST', '/message', { ...json, Authorization: `Bearer ${KEY_A}` }, rpc('ping'))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await raw(gateway.port, 'POST', '/message', { ...json, Authorization: `Bearer ${KEY_A}` }, rpc('ping'));
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body).toMatch(/Too many requests: the limit is 5 per minute/);
      expect((await raw(gateway.port, 'POST', '/message', { ...json, Authorization: `Bearer ${KEY_B}` }, rpc('ping'))).status).toBe(200);
      expect((await raw(gateway.port, 'GET', '/health', {})).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('refuses sessions past the per-key cap with 503', async () => {
    const gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_API_KEY: KEY_A, MCP_MAX_SESSIONS_PER_KEY: '1' });
    const first = await openSse(gateway.port, KEY_A);
    try {
      const second = await raw(gateway.port, 'GET', '/sse', { Accept: 'text/event-stream', Authorization: `Bearer ${KEY_A}` });
      expect(second.status).toBe(503);
      expect(second.body).toMatch(/MCP_MAX_SESSIONS_PER_KEY=1/);
    } finally {
      first.close();
      await gateway.close();
    }
  });
});

describe('the loopback bypass (MCP_AUTH_LOOPBACK_BYPASS=1) with keys configured', () => {
  let gateway: RunningGateway;
  const keyless = { ...json };
  const withA = { ...json, Authorization: `Bearer ${KEY_A}` };
  const mcpHeaders = { ...json, Accept: 'application/json, text/event-stream' };
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-http', version: '1' } },
  });
  /** Initialize a Streamable HTTP session with the given headers; returns its Mcp-Session-Id. */
  const openMcp = async (headers: Record<string, string>): Promise<string> => {
    const reply = await raw(gateway.port, 'POST', '/mcp', { ...mcpHeaders, ...headers }, initialize);
    expect(reply.status).toBe(200);
    const id = reply.headers['mcp-session-id'];
    if (typeof id !== 'string') throw new Error('no Mcp-Session-Id');
    return id;
  };
  const inSession = (id: string): Record<string, string> => ({ ...mcpHeaders, 'Mcp-Session-Id': id, 'MCP-Protocol-Version': '2025-11-25' });

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FIXTURES,
      MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`,
      MCP_AUTH_LOOPBACK_BYPASS: '1',
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('admits a keyless client connecting from loopback', async () => {
    expect((await raw(gateway.port, 'POST', '/message', keyless, rpc('ping'))).status).toBe(200);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a wrong Bearer key', { Authorization: 'Bearer wrong-key-000000' }, /not valid/],
    ['a wrong X-API-Key', { 'X-API-Key': 'nope-nope-nope' }, /not valid/],
    ['an Authorization header that holds no Bearer key', { Authorization: 'Basic YWxwaGE6YnJhdm8=' }, /send an API key/],
  ])('verifies what a loopback client presents: %s is 401', async (_name, headers, body) => {
    const reply = await raw(gateway.port, 'POST', '/message', { ...json, ...headers }, rpc('ping'));
    expect(reply.status).toBe(401);
    expect(reply.body).toMatch(body);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="sanctum-mcp"');
  });

  it('gives a right key from loopback that key: its session is not another key’s', async () => {
    const sessionOfA = await openSse(gateway.port, KEY_A);
    try {
      expect((await raw(gateway.port, 'POST', sessionOfA.endpoint, withA, rpc('ping'))).status).toBe(202);
      const other = await raw(gateway.port, 'POST', sessionOfA.endpoint, { ...json, 'X-API-Key': KEY_B }, rpc('ping'));
      expect(other.status).toBe(404);
      expect(other.body).toMatch(/Session not found/);
    } finally {
      sessionOfA.close();
    }
  });

  it('never lets a keyless loopback client post into a key’s HTTP+SSE session', async () => {
    const sessionOfA = await openSse(gateway.port, KEY_A);
    try {
      const reply = await raw(gateway.port, 'POST', sessionOfA.endpoint, keyless, rpc('ping'));
      expect(reply.status).toBe(404);
      expect(reply.body).toMatch(/Session not found/);
      expect((await raw(gateway.port, 'POST', sessionOfA.endpoint, withA, rpc('ping'))).status).toBe(202);
    } finally {
      sessionOfA.close();
    }
  });

  it('never lets a keyless loopback client use or delete a key’s Streamable HTTP session', async () => {
    const id = await openMcp({ Authorization: `Bearer ${KEY_A}` });
    const post = await raw(gateway.port, 'POST', '/mcp', inSession(id), rpc('ping'));
    expect(post.status).toBe(404);
    expect(post.body).toMatch(/Session not found/);
    const del = await raw(gateway.port, 'DELETE', '/mcp', inSession(id));
    expect(del.status).toBe(404);
    // The session is still the key's, and still there.
    const own = await raw(gateway.port, 'POST', '/mcp', { ...inSession(id), Authorization: `Bearer ${KEY_A}` }, rpc('ping'));
    expect(own.status).toBe(200);
    expect(own.body).toMatch(/"result":\{\}/);
    expect((await raw(gateway.port, 'DELETE', '/mcp', { ...inSession(id), Authorization: `Bearer ${KEY_A}` })).status).toBe(204);
  });

  it('keeps a keyless loopback client’s own session from every key', async () => {
    const id = await openMcp({});
    expect((await raw(gateway.port, 'POST', '/mcp', { ...inSession(id), Authorization: `Bearer ${KEY_A}` }, rpc('ping'))).status).toBe(404);
    expect((await raw(gateway.port, 'POST', '/mcp', inSession(id), rpc('ping'))).status).toBe(200);
    expect((await raw(gateway.port, 'DELETE', '/mcp', inSession(id))).status).toBe(204);
  });
});

describe('fail-closed configuration of the real process (exit 2, the variable named)', () => {
  const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
  const start = (env: Record<string, string>): { status: number | null; stderr: string } => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: result.status, stderr: result.stderr };
  };

  it.each<[string, Record<string, string>, RegExp]>([
    ['an empty MCP_API_KEY', { MCP_API_KEY: '' }, /MCP_API_KEY is set but empty; expected a key of at least 8 characters/],
    [
      'an empty MCP_API_KEY behind a public name',
      { MCP_API_KEY: '', MCP_ALLOWED_HOSTS: 'mcp.example.com' },
      /MCP_API_KEY is set but empty/,
    ],
    [
      'a public MCP_ALLOWED_HOSTS name without keys',
      { MCP_ALLOWED_HOSTS: 'localhost,mcp.example.com' },
      /Refusing to start: MCP_ALLOWED_HOSTS accepts mcp\.example\.com, a name other machines reach this server by, and no API key is configured/,
    ],
    [
      'two key names sharing one key',
      { MCP_API_KEYS: `agents:${KEY_A},prometheus:${KEY_A}` },
      /the keys named "agents" and "prometheus" are the same key/,
    ],
  ])('refuses %s', (_name, env, message) => {
    const { status, stderr } = start(env);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain(KEY_A);
  });
});

// Letta Code sends its credential header twice with the same value; Node joins the values with a
// comma. The same key repeated is accepted (over the HTTP+SSE transport too, which Letta uses);
// different keys in one header are a 401 that says so.
describe('a credential header sent twice', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`, MCP_WATCH: '0' });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  /** The status of GET /sse, the stream closed as soon as its headers arrive. */
  const sseStatus = (headers: Record<string, string | string[]>): Promise<number> =>
    new Promise((resolvePromise, reject) => {
      const req = request({ host: '127.0.0.1', port: gateway.port, method: 'GET', path: '/sse', headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
        resolvePromise(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });

  it('accepts the same key twice in Authorization, as Letta Code sends it, on POST /message and GET /sse', async () => {
    const doubled = { Authorization: `Bearer ${KEY_A}, Bearer ${KEY_A}` };
    const reply = await raw(gateway.port, 'POST', '/message', { ...json, ...doubled }, rpc('ping'));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(await sseStatus(doubled)).toBe(200);
  });

  it('accepts X-API-Key sent on two header lines with the same value', async () => {
    const reply = await raw(gateway.port, 'POST', '/message', { ...json, 'X-API-Key': [KEY_B, KEY_B] }, rpc('ping'));
    expect(reply.status).toBe(200);
  });

  it.each([
    ['Authorization', { Authorization: `Bearer ${KEY_A}, Bearer ${KEY_B}` }],
    ['X-API-Key', { 'X-API-Key': [KEY_A, KEY_B] }],
  ])('refuses different keys in %s with a 401 that names the header', async (header, headers) => {
    const reply = await raw(gateway.port, 'POST', '/message', { ...json, ...headers }, rpc('ping'));
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.body).error.message).toBe(`Unauthorized: the ${header} header has several different values; send one API key.`);
    expect(await sseStatus(headers)).toBe(401);
  });
});
