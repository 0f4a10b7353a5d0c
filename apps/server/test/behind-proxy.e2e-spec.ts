// Pins the gateway behind a reverse proxy (issue 16, items 4 and 5), through a real nginx running
// the configurations docs/deployment.md shows, read from the document itself:
// - a request that came through a proxy never gets MCP_AUTH_LOOPBACK_BYPASS, though nginx
//   connects from 127.0.0.1; clients connecting directly from loopback keep it;
// - with MCP_TRUSTED_PROXIES, the client address is the one nginx forwards: one rate-limit bucket
//   per client, not one for everyone behind the proxy, and log lines naming the client;
// - the HTTP+SSE transport (2024-11-05) behind `location /gw/`: the endpoint event names
//   `/gw/message?sessionId=`, so the official SDK's SSEClientTransport (which resolves it against
//   the SSE URL) posts back through the proxy, from X-Forwarded-Prefix or MCP_PUBLIC_BASE_PATH.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FastPath } from '../src/app/http/fast-path';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { documentedLocation, startNginx } from './nginx';
import type { RunningNginx } from './nginx';
import { raw } from './raw-http';
import { SseReader } from './sse-reader';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const KEY = 'alpha-key-0123456789';
const json = { 'Content-Type': 'application/json' };
const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: {} });
const PATHS = ['the fast path', 'the Express path'] as const;

/** Serve the next requests by the fast path or by Express (both must behave the same). */
function use(gateway: RunningGateway, path: (typeof PATHS)[number]): void {
  gateway.app.get(FastPath).disabled = path === 'the Express path';
}

/** The endpoint event's data on GET `url` (the stream is closed after it). */
async function endpointAt(url: string): Promise<string> {
  const { response, reader } = await SseReader.open(url, { headers: { Accept: 'text/event-stream' } });
  if (!reader) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  try {
    await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
    return reader.events.find((e) => e.event === 'endpoint')?.data ?? '';
  } finally {
    reader.close();
  }
}

describe.each<[string, Record<string, string>]>([
  ['without MCP_TRUSTED_PROXIES (nginx sends X-Forwarded-For)', {}],
  ['with MCP_TRUSTED_PROXIES=loopback', { MCP_TRUSTED_PROXIES: 'loopback' }],
])('MCP_AUTH_LOOPBACK_BYPASS=1 behind nginx (location /), %s', (_name, env) => {
  let gateway: RunningGateway;
  let nginx: RunningNginx;

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FIXTURES,
      MCP_API_KEYS: `alpha:${KEY}`,
      MCP_AUTH_LOOPBACK_BYPASS: '1',
      // The proxy's public name is accepted (as deployment.md says to), so only the bypass decides.
      MCP_ALLOWED_HOSTS: '127.0.0.1,mcp.example.com',
      ...env,
    });
    nginx = await startNginx(documentedLocation('/'), gateway.port);
  });
  afterAll(async () => {
    await nginx?.close();
    await gateway?.close();
  });

  it.each(PATHS)('refuses a keyless request that came through nginx (401), not letting anyone in: %s', async (path) => {
    use(gateway, path);
    const reply = await raw(nginx.port, 'POST', '/message', json, ping);
    expect(reply.status).toBe(401);
    expect(reply.body).toMatch(/send an API key/);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="sanctum-mcp"');
    expect((await raw(nginx.port, 'GET', '/sse', { Accept: 'text/event-stream' })).status).toBe(401);
  });

  it.each(PATHS)('takes a key through nginx: %s', async (path) => {
    use(gateway, path);
    expect((await raw(nginx.port, 'POST', '/message', { ...json, Authorization: `Bearer ${KEY}` }, ping)).status).toBe(200);
  });

  it.each(PATHS)('admits a keyless client connecting directly from loopback, unless loopback is a trusted proxy: %s', async (path) => {
    use(gateway, path);
    const direct = await raw(gateway.port, 'POST', '/message', json, ping);
    // A trusted proxy's own requests never get the bypass, so with loopback trusted nobody local does.
    expect(direct.status).toBe(env.MCP_TRUSTED_PROXIES === undefined ? 200 : 401);
  });

  it.each<[string, Record<string, string>]>([
    ['X-Forwarded-For', { 'X-Forwarded-For': '127.0.0.1' }],
    ['Forwarded', { Forwarded: 'for=127.0.0.1' }],
    ['X-Real-IP', { 'X-Real-IP': '127.0.0.1' }],
    ['a Host that is not a loopback name (a proxy keeping the public Host)', { Host: 'mcp.example.com' }],
  ])('refuses a keyless loopback request carrying %s (401): it came through a proxy', async (_header, headers) => {
    const reply = await raw(gateway.port, 'POST', '/message', { ...json, ...headers }, ping);
    expect(reply.status).toBe(401);
    expect(reply.body).toMatch(/send an API key/);
  });

  it('logs the refusal with the client address', async () => {
    await raw(nginx.port, 'POST', '/message', json, ping, '127.0.0.2');
    const from = env.MCP_TRUSTED_PROXIES === undefined ? '127.0.0.1' : '127.0.0.2';
    await eventually(() => gateway.logs.some((line) => line.includes(`Unauthorized POST /message: no API key (from ${from})`)));
  });
});

describe('the rate limit behind nginx (location /, MCP_TRUSTED_PROXIES=127.0.0.1): one bucket per client', () => {
  let gateway: RunningGateway;
  let nginx: RunningNginx;
  const LIMIT = 3;

  beforeAll(async () => {
    // No keys: keyless requests are counted per client address.
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_RATE_LIMIT: String(LIMIT), MCP_TRUSTED_PROXIES: '127.0.0.1' });
    nginx = await startNginx(documentedLocation('/'), gateway.port);
  });
  afterAll(async () => {
    await nginx?.close();
    await gateway?.close();
  });

  it('limits each client behind the proxy on its own, and a forged X-Forwarded-For does not change the bucket', async () => {
    const statuses = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await raw(nginx.port, 'POST', '/message', json, ping, '127.0.0.2')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // 127.0.0.2 is not a trusted proxy: what it claims to forward is not believed.
    const forged = await raw(nginx.port, 'POST', '/message', { ...json, 'X-Forwarded-For': '198.51.100.9' }, ping, '127.0.0.2');
    expect(forged.status).toBe(429);
    // Another client behind the same proxy has its own budget (before the fix: the proxy's, used up).
    const other = await raw(nginx.port, 'POST', '/message', json, ping, '127.0.0.3');
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
  });

  it('names the forwarded client in a refusal’s log line', async () => {
    const reply = await raw(nginx.port, 'POST', '/message', { ...json, Origin: 'https://evil.example' }, ping, '127.0.0.4');
    expect(reply.status).toBe(403);
    await eventually(() =>
      gateway.logs.some(
        (line) => line.includes('Refused POST /message: Origin "https://evil.example" is not allowed') && line.endsWith('(from 127.0.0.4)'),
      ),
    );
  });
});

describe.each<[string, string, Record<string, string>]>([
  [
    'X-Forwarded-Prefix from a trusted nginx (MCP_TRUSTED_PROXIES=loopback)',
    documentedLocation('/gw/'),
    { MCP_TRUSTED_PROXIES: 'loopback' },
  ],
  [
    'MCP_PUBLIC_BASE_PATH=/gw (nginx without X-Forwarded-Prefix)',
    documentedLocation('/gw/').replace(/^\s*proxy_set_header X-Forwarded-Prefix .*\n/m, ''),
    { MCP_PUBLIC_BASE_PATH: '/gw' },
  ],
])('the HTTP+SSE transport behind nginx under /gw/: %s', (_name, location, env) => {
  let gateway: RunningGateway;
  let nginx: RunningNginx;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, ...env });
    nginx = await startNginx(location, gateway.port);
  });
  afterAll(async () => {
    await nginx?.close();
    await gateway?.close();
  });

  it.each(PATHS)('announces /gw/message?sessionId= on GET /gw/sse: %s', async (path) => {
    use(gateway, path);
    expect(await endpointAt(`${nginx.baseUrl}/gw/sse`)).toMatch(/^\/gw\/message\?sessionId=[0-9a-f-]{36}$/);
  });

  it('announces the seed’s /message?sessionId= to a client reaching the gateway directly, unless the base path is configured', async () => {
    const endpoint = await endpointAt(`${gateway.baseUrl}/sse`);
    expect(endpoint).toMatch(env.MCP_PUBLIC_BASE_PATH === undefined ? /^\/message\?sessionId=/ : /^\/gw\/message\?sessionId=/);
  });

  it.each(PATHS)(
    'serves the official SDK SSEClientTransport through the proxy (it posted to the proxy’s root, 404, before): %s',
    async (path) => {
      use(gateway, path);
      const client = new Client({ name: 'behind-proxy', version: '1.0.0' });
      await client.connect(new SSEClientTransport(new URL(`${nginx.baseUrl}/gw/sse`)));
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('echo_py__echo');
        const result = await client.callTool({ name: 'echo_py__echo', arguments: { text: 'through /gw/' } });
        expect(result.isError).toBeFalsy();
        expect(JSON.stringify(result.content)).toContain('through /gw/');
      } finally {
        await client.close();
      }
    },
  );

  it('serves the SDK StreamableHTTPClientTransport at /gw/mcp as documented', async () => {
    const client = new Client({ name: 'behind-proxy', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${nginx.baseUrl}/gw/mcp`)));
    try {
      const result = await client.callTool({ name: 'echo_py__echo', arguments: { text: 'streamable' } });
      expect(JSON.stringify(result.content)).toContain('streamable');
    } finally {
      await client.close();
    }
  });
});

describe('X-Forwarded-Prefix that is not a plain path, from a trusted proxy', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_TRUSTED_PROXIES: 'loopback' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('is 400 naming the header, never an endpoint on another host (//other.example)', async () => {
    const reply = await raw(gateway.port, 'GET', '/sse', { Accept: 'text/event-stream', 'X-Forwarded-Prefix': '//other.example' });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/X-Forwarded-Prefix header from the proxy/);
  });

  it('is ignored from a peer that is not a trusted proxy', async () => {
    const untrusting = await startGateway({ MCP_PLUGINS_DIR: FIXTURES });
    try {
      const { response, reader } = await SseReader.open(`${untrusting.baseUrl}/sse`, {
        headers: { Accept: 'text/event-stream', 'X-Forwarded-Prefix': '/gw' },
      });
      expect(response.status).toBe(200);
      await reader?.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
      expect(reader?.events.find((e) => e.event === 'endpoint')?.data).toMatch(/^\/message\?sessionId=/);
      reader?.close();
    } finally {
      await untrusting.close();
    }
  });
});
