// Pins scale-out (MCP_REDIS_URL) against the real parts: a redis-server of the test's own, gateway
// processes (the production bundle) sharing it, nginx in front with the load-balancing
// configuration docs/deployment.md documents (round robin, no affinity), and the official SDK
// clients. Each test names the failure it guards against.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { documentedBlock, startNginxInFront } from './nginx';
import type { RunningNginx } from './nginx';
import { eventually } from './gateway';
import { startInstance, startRedis, stepsPluginsFolder, writeEchoPlugin } from './scale-out';
import type { Instance, RunningRedis } from './scale-out';
import { SseReader } from './sse-reader';

const ALPHA = 'a'.repeat(32);
const BRAVO = 'b'.repeat(32);
const GAMMA = 'c'.repeat(32);
const KEYS = `alpha:${ALPHA},bravo:${BRAVO},gamma:${GAMMA}`;
const RATE_LIMIT = 120;
const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const initialize = (id = 1): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'scale-e2e', version: '1' } } });
const stepsCall = (id: number, count: number, ms: number, progressToken?: number, tag = ''): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'steps__run', arguments: { count, ms, tag }, ...(progressToken === undefined ? {} : { _meta: { progressToken } }) },
  });

/** initialize on `base` with `key`; the new session's id. */
async function openStreamable(base: string, key: string): Promise<string> {
  const reply = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer(key) }, body: initialize() });
  expect(reply.status).toBe(200);
  const id = reply.headers.get('mcp-session-id') as string;
  await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...bearer(key), 'Mcp-Session-Id': id },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return id;
}

/** A legacy HTTP+SSE stream on `base`: the reader and its session id (from the endpoint event). */
async function openLegacy(base: string, key: string): Promise<{ reader: SseReader; sessionId: string }> {
  const { reader } = await SseReader.open(`${base}/sse`, { headers: { Accept: 'text/event-stream', ...bearer(key) } });
  if (reader === undefined) throw new Error('GET /sse did not answer with a stream');
  await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
  const endpoint = reader.events.find((e) => e.event === 'endpoint')?.data as string;
  return { reader, sessionId: new URL(endpoint, base).searchParams.get('sessionId') as string };
}

function postMessage(base: string, sessionId: string, key: string, body: string): Promise<Response> {
  return fetch(`${base}/message?sessionId=${sessionId}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(key) }, body });
}

/** The JSON-RPC messages of a stream (HTTP+SSE's `endpoint` event left out). */
const messagesOf = (reader: SseReader): Array<Record<string, unknown>> =>
  reader.events.filter((e) => e.event !== 'endpoint' && e.data !== undefined && e.data !== '').map((e) => JSON.parse(e.data as string) as Record<string, unknown>);
/**
 * A Redis of its own and two instances sharing it (direct access, no proxy), started before the
 * describe's tests and stopped after them; the fields are set once `beforeAll` has run.
 */
function twoInstances(options: { persist?: boolean; env?: Record<string, string> } = {}): {
  redis: RunningRedis;
  folder: ReturnType<typeof stepsPluginsFolder>;
  a: Instance;
  b: Instance;
} {
  const pair = {} as { redis: RunningRedis; folder: ReturnType<typeof stepsPluginsFolder>; a: Instance; b: Instance };
  beforeAll(async () => {
    pair.redis = await startRedis({ persist: options.persist });
    pair.folder = stepsPluginsFolder();
    const env = { MCP_REDIS_URL: pair.redis.url, MCP_PLUGINS_DIR: pair.folder.dir, MCP_API_KEYS: KEYS, MCP_WATCH: '0', ...options.env };
    [pair.a, pair.b] = await Promise.all([startInstance(env), startInstance(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pair.a?.close(), pair.b?.close()]);
    await pair.redis?.close();
    pair.folder?.remove();
  });
  return pair;
}

const responsesOf = (reader: SseReader, id: number): Array<Record<string, unknown>> => messagesOf(reader).filter((m) => m['id'] === id);

describe('scale-out: two instances behind nginx (round robin) sharing a Redis', () => {
  let redis: RunningRedis;
  let folders: Array<ReturnType<typeof stepsPluginsFolder>>;
  let a: Instance;
  let b: Instance;
  let nginx: RunningNginx;

  beforeAll(async () => {
    redis = await startRedis();
    // Small radix-tree nodes, so that MAXLEN ~ trims after a few dozen entries (test of the kept window).
    await redis.client.config('SET', 'stream-node-max-entries', '5');
    folders = [stepsPluginsFolder(), stepsPluginsFolder()];
    const env = (dir: string): Record<string, string> => ({
      MCP_REDIS_URL: redis.url,
      MCP_PLUGINS_DIR: dir,
      MCP_API_KEYS: KEYS,
      MCP_RATE_LIMIT: String(RATE_LIMIT),
      MCP_REDIS_STREAM_MAXLEN: '20',
      MCP_WATCH_DEBOUNCE: '0.1',
      MCP_SANDBOX_WRITABLE: dir,
    });
    [a, b] = await Promise.all([startInstance(env(folders[0].dir)), startInstance(env(folders[1].dir))]);
    nginx = await startNginxInFront(documentedBlock('upstream sanctum {'), [a.port, b.port]);
  }, 60_000);

  afterAll(async () => {
    await nginx?.close();
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
    for (const folder of folders ?? []) folder.remove();
  });

  it('HTTP+SSE through nginx: the stream on one instance gets every answer, in order, while the POSTs alternate (no 404 on the other instance)', async () => {
    const client = new Client({ name: 'scale-sse', version: '1.0.0' });
    const withKey = (url: string | URL, init?: RequestInit): Promise<Response> => {
      const headers = new Headers(init?.headers);
      headers.set('Authorization', `Bearer ${ALPHA}`);
      return fetch(url, { ...init, headers });
    };
    await client.connect(new SSEClientTransport(new URL(`${nginx.baseUrl}/sse`), { requestInit: { headers: bearer(ALPHA) }, eventSourceInit: { fetch: withKey } }));
    const tags: string[] = [];
    for (let i = 0; i < 12; i++) {
      const result = await client.callTool({ name: 'steps__run', arguments: { count: 1, ms: 0, tag: `t${i}` } });
      tags.push((result.structuredContent as { tag: string }).tag);
    }
    for (let i = 0; i < 4; i++) await client.ping();
    expect(tags).toEqual(Array.from({ length: 12 }, (_, i) => `t${i}`));
    // Both instances ran calls of the one session (round robin), and neither answered 404.
    expect(a.output()).toMatch(/Tool invoked: steps\.run/);
    expect(b.output()).toMatch(/Tool invoked: steps\.run/);
    await client.close();
  });

  it('Streamable HTTP through nginx with the SDK client: initialize, list, calls with progress, whichever instance answers', async () => {
    const client = new Client({ name: 'scale-mcp', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${nginx.baseUrl}/mcp`), { requestInit: { headers: bearer(BRAVO) } });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('steps__run');
    for (let i = 0; i < 6; i++) {
      const progress: number[] = [];
      const result = await client.callTool({ name: 'steps__run', arguments: { count: 3, ms: 10, tag: `s${i}` } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      expect((result.structuredContent as { tag: string }).tag).toBe(`s${i}`);
      expect(progress).toEqual([1, 2, 3]);
    }
    await transport.terminateSession();
    await client.close();
  });

  it('a catalog change on B reaches a GET stream held on A as tools/list_changed', async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    const { reader } = await SseReader.open(`${a.url}/mcp`, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId, ...bearer(ALPHA) } });
    if (reader === undefined) throw new Error('no GET stream');
    await reader.waitFor((r) => r.events.length >= 1);
    writeEchoPlugin(folders[1].dir, 'echoone');
    await reader.waitFor((r) => r.messages.some((m) => m['method'] === 'notifications/tools/list_changed'), 10_000);
    reader.close();
  });

  it('a POST stream that lost its client on A resumes on B with Last-Event-ID: exactly the missed events, then the response', async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    const { reader } = await SseReader.open(`${a.url}/mcp`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(ALPHA), 'Mcp-Session-Id': sessionId },
      body: stepsCall(7, 6, 300, 70),
    });
    if (reader === undefined) throw new Error('no SSE answer');
    await reader.waitFor((r) => r.messages.filter((m) => m['method'] === 'notifications/progress').length >= 2, 10_000);
    const seen = reader.events.filter((e) => e.data);
    const last = seen[seen.length - 1].id as string;
    expect(last).toMatch(/^\d+-\d+$/);
    const seenProgress = reader.messages.filter((m) => m['method'] === 'notifications/progress').map((m) => (m['params'] as { progress: number }).progress);
    reader.close();

    const { response, reader: resumed } = await SseReader.open(`${b.url}/mcp`, {
      headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId, 'Last-Event-ID': last, ...bearer(ALPHA) },
    });
    expect(response.status).toBe(200);
    if (resumed === undefined) throw new Error('no resumed stream');
    await resumed.waitFor((r) => r.ended, 15_000);
    const progress = resumed.messages.filter((m) => m['method'] === 'notifications/progress').map((m) => (m['params'] as { progress: number }).progress);
    const next = Math.max(...seenProgress) + 1;
    expect(progress).toEqual(Array.from({ length: 6 - next + 1 }, (_, i) => next + i));
    expect(responsesOf(resumed, 7)).toHaveLength(1);
    expect((responsesOf(resumed, 7)[0]['result'] as { structuredContent: { done: number } }).structuredContent.done).toBe(6);
  });

  it('a GET stream dropped on A resumes on B with Last-Event-ID: the notification sent meanwhile, once', async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    const open = (base: string, lastEventId?: string): Promise<{ response: Response; reader?: SseReader }> =>
      SseReader.open(`${base}/mcp`, {
        headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId, ...bearer(ALPHA), ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }) },
      });
    const first = (await open(a.url)).reader as SseReader;
    // A session that listed its tools is told when its list changes.
    await fetch(`${a.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer(ALPHA), 'Mcp-Session-Id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    writeEchoPlugin(folders[0].dir, 'echotwo');
    await first.waitFor((r) => r.messages.some((m) => m['method'] === 'notifications/tools/list_changed'), 10_000);
    const last = first.events.filter((e) => e.data).at(-1)?.id as string;
    first.close();
    await eventually(async () => (await redis.client.exists(`sanctum:s:${sessionId}:lease`)) === 0, 5_000);
    const changes = (): number => (a.output().match(/Plugin catalog changed: /g) ?? []).length;
    const before = changes();
    writeEchoPlugin(folders[0].dir, 'echothree'); // announced while no GET stream is open
    await eventually(() => changes() > before, 10_000);
    const { reader: again } = await open(b.url, last);
    if (again === undefined) throw new Error('no resumed stream');
    await again.waitFor((r) => r.messages.some((m) => m['method'] === 'notifications/tools/list_changed'), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(again.messages.filter((m) => m['method'] === 'notifications/tools/list_changed')).toHaveLength(1);
    again.close();
  });

  it('a resume from an event older than the kept window (MCP_REDIS_STREAM_MAXLEN) is refused with 400, not served with a gap', async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    const post = (id: number): Promise<string> =>
      fetch(`${a.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer(ALPHA), 'Mcp-Session-Id': sessionId }, body: stepsCall(id, 1, 0, id) }).then((r) => r.text());
    const firstText = await post(1);
    const firstId = /^id: (\S+)$/m.exec(firstText)?.[1] as string;
    for (let i = 2; i <= 20; i++) await post(i);
    const reply = await fetch(`${b.url}/mcp`, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId, 'Last-Event-ID': firstId, ...bearer(ALPHA) } });
    expect(reply.status).toBe(400);
    expect(await reply.text()).toContain('no longer kept (MCP_REDIS_STREAM_MAXLEN)');
  });

  it('one GET stream per session in all: a second one on the other instance is 409 while the first lives', async () => {
    const sessionId = await openStreamable(a.url, BRAVO);
    const headers = { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId, ...bearer(BRAVO) };
    const { reader } = await SseReader.open(`${a.url}/mcp`, { headers });
    if (reader === undefined) throw new Error('no GET stream');
    await reader.waitFor((r) => r.events.length >= 1);
    const second = await fetch(`${b.url}/mcp`, { headers });
    expect(second.status).toBe(409);
    reader.close();
    // Released when the first closes: the other instance may take it now.
    await eventually(async () => (await redis.client.exists(`sanctum:s:${sessionId}:lease`)) === 0, 5_000);
    const { response, reader: third } = await SseReader.open(`${b.url}/mcp`, { headers });
    expect(response.status).toBe(200);
    third?.close();
  });

  it("owner checks hold on every instance (another key's session is 404 there), and DELETE on B ends the session everywhere", async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    const ping = (base: string, key: string): Promise<Response> =>
      fetch(`${base}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer(key), 'Mcp-Session-Id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }) });
    expect((await ping(b.url, BRAVO)).status).toBe(404);
    expect((await ping(b.url, ALPHA)).status).toBe(200);
    const ended = await fetch(`${b.url}/mcp`, { method: 'DELETE', headers: { ...bearer(ALPHA), 'Mcp-Session-Id': sessionId } });
    expect(ended.status).toBe(204);
    expect((await ping(a.url, ALPHA)).status).toBe(404);
    expect(await redis.client.exists(`sanctum:s:${sessionId}`, `sanctum:s:${sessionId}:out`)).toBe(0);
    await eventually(() => a.output().includes(`Session ended: ${sessionId}`));
  });

  it("logging/setLevel posted to A holds for the session's calls on B (the session's state is shared, not per instance)", async () => {
    const { reader, sessionId } = await openLegacy(a.url, ALPHA);
    const logs = (): number => messagesOf(reader).filter((m) => m['method'] === 'notifications/message').length;
    expect((await postMessage(b.url, sessionId, ALPHA, stepsCall(31, 2, 0))).status).toBe(202);
    await reader.waitFor((r) => responsesOf(r, 31).length === 1);
    expect(logs()).toBe(2);
    const setLevel = JSON.stringify({ jsonrpc: '2.0', id: 32, method: 'logging/setLevel', params: { level: 'warning' } });
    expect((await postMessage(a.url, sessionId, ALPHA, setLevel)).status).toBe(202);
    await reader.waitFor((r) => responsesOf(r, 32).length === 1);
    expect((await postMessage(b.url, sessionId, ALPHA, stepsCall(33, 2, 0))).status).toBe(202);
    await reader.waitFor((r) => responsesOf(r, 33).length === 1);
    expect(logs()).toBe(2);
    reader.close();
  });

  it(`rate limits are shared: ${RATE_LIMIT} requests a minute in all, whichever instance serves them`, async () => {
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 10; i++) {
      const reply = await fetch(`${nginx.baseUrl}/message`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(GAMMA) }, body: ping });
      statuses.push(reply.status);
      await reply.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});

describe('scale-out: an instance stops with calls in flight', () => {
  const pair = twoInstances();
  let holder: Instance;
  let runner: Instance;
  let redis: RunningRedis;
  let folder: ReturnType<typeof stepsPluginsFolder>;
  beforeAll(() => ([holder, runner, redis, folder] = [pair.a, pair.b, pair.redis, pair.folder]));

  it('kill -9 of the instance running three calls: each gets exactly one -32603 on the stream within ~5 s', async () => {
    const { reader, sessionId } = await openLegacy(holder.url, ALPHA);
    for (const id of [1, 2, 3]) expect((await postMessage(runner.url, sessionId, ALPHA, stepsCall(id, 40, 500))).status).toBe(202);
    // And a Streamable HTTP call answered on its POST's SSE stream, whose client will resume elsewhere.
    const streamable = await openStreamable(holder.url, ALPHA);
    const { reader: post } = await SseReader.open(`${runner.url}/mcp`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(ALPHA), 'Mcp-Session-Id': streamable },
      body: stepsCall(4, 40, 500, 4),
    });
    if (post === undefined) throw new Error('no SSE answer');
    await post.waitFor((r) => r.events.some((e) => e.id !== undefined));
    const priming = post.events.find((e) => e.id !== undefined)?.id as string;
    await eventually(() => (runner.output().match(/Tool invoked: steps\.run/g) ?? []).length === 4, 10_000);
    const killed = Date.now();
    runner.child.kill('SIGKILL');
    await reader.waitFor((r) => [1, 2, 3].every((id) => responsesOf(r, id).length > 0), 8_000);
    const after = Date.now() - killed;
    expect(after).toBeLessThan(6_000);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const id of [1, 2, 3]) {
      const answers = responsesOf(reader, id);
      expect(answers).toHaveLength(1);
      expect(answers[0]['error']).toMatchObject({ code: -32603, message: expect.stringContaining('instance running this call stopped') });
    }
    reader.close();
    // The Streamable HTTP client resumes on the live instance: its one final response, then the end.
    const { reader: resumed } = await SseReader.open(`${holder.url}/mcp`, {
      headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': streamable, 'Last-Event-ID': priming, ...bearer(ALPHA) },
    });
    if (resumed === undefined) throw new Error('no resumed stream');
    await resumed.waitFor((r) => r.ended, 5_000);
    expect(responsesOf(resumed, 4)).toHaveLength(1);
    expect(responsesOf(resumed, 4)[0]['error']).toMatchObject({ code: -32603 });
  });

  it('a stopped instance that comes back after its calls were answered sends no second final response', async () => {
    const paused = await startInstance({ MCP_REDIS_URL: redis.url, MCP_PLUGINS_DIR: folder.dir, MCP_API_KEYS: KEYS, MCP_WATCH: '0' });
    try {
      const { reader, sessionId } = await openLegacy(holder.url, ALPHA);
      for (const id of [11, 12]) expect((await postMessage(paused.url, sessionId, ALPHA, stepsCall(id, 4, 500))).status).toBe(202);
      await eventually(() => (paused.output().match(/Tool invoked: steps\.run/g) ?? []).length === 2, 10_000);
      paused.child.kill('SIGSTOP');
      await reader.waitFor((r) => [11, 12].every((id) => responsesOf(r, id).length > 0), 8_000);
      paused.child.kill('SIGCONT');
      // Its plugins finished while it was stopped: the results are there when it resumes.
      await eventually(() => (paused.output().match(/was answered with an error; not sent/g) ?? []).length === 2, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      for (const id of [11, 12]) {
        expect(responsesOf(reader, id)).toHaveLength(1);
        expect(responsesOf(reader, id)[0]['error']).toMatchObject({ code: -32603 });
      }
      reader.close();
    } finally {
      paused.child.kill('SIGCONT');
      await paused.close();
    }
  });
});

describe('scale-out: idle sessions expire', () => {
  const pair = twoInstances({ env: { MCP_SESSION_IDLE_TIMEOUT: '2' } });
  let a: Instance;
  let b: Instance;
  let redis: RunningRedis;
  beforeAll(() => ([a, b, redis] = [pair.a, pair.b, pair.redis]));

  it("an idle Streamable HTTP session's keys vanish after MCP_SESSION_IDLE_TIMEOUT, and no instance serves it then", async () => {
    const sessionId = await openStreamable(a.url, ALPHA);
    expect(await redis.client.exists(`sanctum:s:${sessionId}`)).toBe(1);
    await eventually(async () => (await redis.client.exists(`sanctum:s:${sessionId}`)) === 0, 6_000);
    const ping = await fetch(`${b.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer(ALPHA), 'Mcp-Session-Id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    expect(ping.status).toBe(404);
  });

  it('an HTTP+SSE session whose stream stays open does not expire meanwhile', async () => {
    const { reader, sessionId } = await openLegacy(a.url, ALPHA);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await postMessage(b.url, sessionId, ALPHA, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }))).status).toBe(202);
    await reader.waitFor((r) => responsesOf(r, 5).length === 1);
    reader.close();
  });

});

describe('scale-out: Redis lost and back', () => {
  const pair = twoInstances({ persist: true });
  let a: Instance;
  let b: Instance;
  let redis: RunningRedis;
  beforeAll(() => ([a, b, redis] = [pair.a, pair.b, pair.redis]));

  it('Redis killed and restarted: readiness 503 then 200, requests 503 meanwhile, no crash, and the call that finished meanwhile is answered', async () => {
    const { reader, sessionId } = await openLegacy(a.url, ALPHA);
    expect((await postMessage(b.url, sessionId, ALPHA, stepsCall(21, 3, 500))).status).toBe(202);
    await eventually(() => b.output().includes('Tool invoked: steps.run'), 10_000);
    await redis.kill();
    await eventually(async () => (await fetch(`${a.url}/health/ready`)).status === 503, 5_000);
    const refused = await postMessage(a.url, sessionId, ALPHA, JSON.stringify({ jsonrpc: '2.0', id: 22, method: 'ping' }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toContain('MCP_REDIS_URL');
    await new Promise((r) => setTimeout(r, 2_500)); // the call finishes while Redis is away
    await redis.start();
    let readiness = '';
    await eventually(async () => {
      const reply = await fetch(`${a.url}/health/ready`);
      readiness = await reply.text();
      return reply.status === 200;
    }, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${readiness}\n${a.output().slice(-3000)}`);
    });
    await reader.waitFor((r) => responsesOf(r, 21).length === 1, 15_000);
    expect(responsesOf(reader, 21)[0]).toMatchObject({ result: { structuredContent: { done: 3 } } });
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    reader.close();
  });
});

describe('scale-out: Redis unreachable at start', () => {
  it('exits 2 naming MCP_REDIS_URL and the error, without repeating its password', async () => {
    const folder = stepsPluginsFolder();
    try {
      const started = startInstance({ MCP_REDIS_URL: 'redis://gw:hunter2@127.0.0.1:1/0', MCP_PLUGINS_DIR: folder.dir });
      const failure = await started.then(
        () => '',
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/exit 2\)[\s\S]*MCP_REDIS_URL=redis:\/\/gw:\*\*\*@127\.0\.0\.1:1\/0 cannot be reached: .*ECONNREFUSED/);
      expect(failure).not.toContain('hunter2'); // the password is never repeated
    } finally {
      folder.remove();
    }
  });
});
