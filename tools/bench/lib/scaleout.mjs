// The scale-out part of the benchmark (`--only scaleout`): two gateways sharing a redis-server of
// the harness's own (MCP_REDIS_URL) and one without Redis, measured side by side in one run.
//  - delivery: an HTTP+SSE stream on A, its POST /message sent to A (same instance) or to B (the
//    answer crosses Redis), ping and tools/call alternating request by request; Streamable HTTP
//    JSON-mode ping on A (Redis on) and on C (Redis off), alternating;
//  - bus: many HTTP+SSE streams on A, each sending pings to B as fast as their answers come back
//    (cross-instance messages per second), and the same to A; CPU time of A and B per message;
//  - cpu: the same number of requests (Streamable HTTP and HTTP+SSE pings and tools/list) on A and
//    on C, in alternating rounds: server CPU time per request, Redis on versus off;
//  - idle: K HTTP+SSE sessions spread over A and B: RSS and heap per instance, Redis used_memory.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { LEGACY_PROTOCOL, RawMcpSession, SseStream, keepAliveAgent, request } from './http.mjs';
import { freePort, onCleanup, rssBytes, sleep, startChild, stopChild, tempDir } from './proc.mjs';
import { fmtMB, fmtMs, fmtNum, fmtRatio, summary } from './stats.mjs';

/**
 * @typedef {{kind: 'gateway' | 'reference', base: string, proc: import('./proc.mjs').Managed, readyMs: number, fdLimit: number}} Server a gateway the harness started
 * @typedef {typeof SIZES.quick} Size
 * @typedef {(message: string) => void} Log
 * @typedef {{requests: number, cpuMs: number, cpuMsPerRequest: number, perS: number}} CpuRun
 * @typedef {{sent: number, answered: number, errors: number, elapsedS: number, perS: number, cpuMsA: number, cpuMsB: number, cpuMsPerMessage: number}} BusRun
 * @typedef {{runs: BusRun[], best: BusRun, meanPerS: number, meanCpuMsPerMessage: number}} BusSide
 * @typedef {ReturnType<typeof summary>} Summary
 */

/** Target: one instance with Redis on costs under 15% more CPU per request than with it off. */
export const CPU_TARGET_RATIO = 1.15;

const SIZES = {
  quick: { latencyN: 300, callN: 30, busS: 4, busStreams: 64, busRounds: 2, cpuRequests: 6000, cpuRounds: 3, idleK: 1000 },
  full: { latencyN: 2000, callN: 200, busS: 8, busStreams: 128, busRounds: 3, cpuRequests: 20_000, cpuRounds: 4, idleK: 10_000 },
};

const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat.
 * @param {number} pid
 */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}

function redisBinary() {
  const onPath = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (.ci/run does when it is missing)');
}

/** A redis-server of the harness's own on a free loopback port, no persistence. */
async function startRedis() {
  const { Redis } = await import('ioredis');
  const port = await freePort();
  const dir = tempDir('sanctum-bench-redis-');
  const proc = startChild('redis-server', redisBinary(), ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  // Refused connections while the server starts are retried below; they are not failures.
  client.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      if (Date.now() > deadline || proc.hasExited) throw new Error(`redis-server did not start on ${port}:\n  ${proc.lines.join('\n  ')}`);
      await sleep(50);
    }
  }
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
  return {
    url: `redis://127.0.0.1:${port}`,
    usedMemory,
    close: async () => {
      client.disconnect();
      await stopChild(proc, 3000);
    },
  };
}

/**
 * The gateway's V8 heap in use, from its /metrics.
 * @param {string} base
 */
async function heapUsed(base) {
  const text = (await request(`${base}/metrics`, { agent: false })).body;
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes '));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

/** @param {string} base @returns {Promise<number>} the instance's /health `sessions` */
const sessionsOf = async (base) => JSON.parse((await request(`${base}/health`, { agent: false })).body).sessions;

/**
 * An HTTP+SSE session on `base`, initialized.
 * @param {string} base
 * @param {import('node:http').Agent} agent
 */
async function openSse(base, agent) {
  const sse = await new SseStream(base).open(20_000);
  onCleanup(() => sse.close());
  const init = await sse.roundTrip(
    { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: LEGACY_PROTOCOL, capabilities: {}, clientInfo: { name: 'sanctum-bench', version: '1.0.0' } } },
    agent,
  );
  if (!init.result) throw new Error(`HTTP+SSE initialize on ${base} failed: ${JSON.stringify(init)}`);
  await sse.roundTrip({ jsonrpc: '2.0', method: 'notifications/initialized' }, agent);
  return sse;
}

/**
 * The same session's POST URL on another instance.
 * @param {string} endpoint
 * @param {string} base
 */
const onInstance = (endpoint, base) => {
  const url = new URL(endpoint);
  return `${base}${url.pathname}${url.search}`;
};

/**
 * POST `message` to `url` (the session's endpoint on one instance) and wait for its answer on the
 * stream; throws on an error answer.
 * @param {SseStream} sse
 * @param {string} url
 * @param {{jsonrpc: string, id: string, method: string, params?: unknown}} message
 * @param {import('node:http').Agent} agent
 */
async function roundTripVia(sse, url, message, agent) {
  sse.endpoint = url;
  const answer = await sse.roundTrip(message, agent);
  if (!answer?.result || answer.result.isError) throw new Error(`${message.method} via ${url}: ${JSON.stringify(answer).slice(0, 300)}`);
  return answer;
}

const STATUS_CALL = { name: 'devops__status', arguments: { 'app-name': 'bench' } };

/**
 * Delivery latency: same instance versus through another, and JSON-mode POST with Redis on versus off.
 * @param {Server} a
 * @param {Server} b
 * @param {Server} c
 * @param {Size} size
 * @param {Log} log
 */
async function deliveryPart(a, b, c, size, log) {
  const agentA = keepAliveAgent(2);
  const agentB = keepAliveAgent(2);
  const agentC = keepAliveAgent(2);
  onCleanup(() => [agentA, agentB, agentC].forEach((x) => x.destroy()));
  const sse = await openSse(a.base, agentA);
  const home = sse.endpoint;
  const away = onInstance(home, b.base);
  /** @type {Record<'pingSame' | 'pingCross' | 'callSame' | 'callCross' | 'jsonRedis' | 'jsonMemory', number[]>} */
  const times = { pingSame: [], pingCross: [], callSame: [], callCross: [], jsonRedis: [], jsonMemory: [] };
  /**
   * `n` pairs of the same request, one to A and one to B, in alternating order.
   * @param {number} n
   * @param {string} method
   * @param {unknown} params
   * @param {number[]} same
   * @param {number[]} cross
   */
  const pair = async (n, method, params, same, cross) => {
    for (let i = 0; i < n; i++) {
      const order = i % 2 === 0 ? ['same', 'cross'] : ['cross', 'same'];
      for (const where of order) {
        const message = { jsonrpc: '2.0', id: `${method}-${where}-${i}`, method, ...(params ? { params } : {}) };
        const t = performance.now();
        await roundTripVia(sse, where === 'same' ? home : away, message, where === 'same' ? agentA : agentB);
        (where === 'same' ? same : cross).push(performance.now() - t);
      }
    }
  };
  await pair(20, 'ping', undefined, [], []); // warm-up: connections, JIT, Redis scripts loaded
  await pair(size.latencyN, 'ping', undefined, times.pingSame, times.pingCross);
  log(`scaleout: ping same p50 ${fmtMs(summary(times.pingSame).p50)}, cross p50 ${fmtMs(summary(times.pingCross).p50)}`);
  await pair(3, 'tools/call', STATUS_CALL, [], []);
  await pair(size.callN, 'tools/call', STATUS_CALL, times.callSame, times.callCross);
  log(`scaleout: tools/call same p50 ${fmtMs(summary(times.callSame).p50)}, cross p50 ${fmtMs(summary(times.callCross).p50)}`);
  sse.close();

  const onA = await new RawMcpSession(a.base, agentA).open();
  const onC = await new RawMcpSession(c.base, agentC).open();
  for (let i = -20; i < size.latencyN; i++) {
    /** @type {Array<[RawMcpSession, number[]]>} */
    const order = [
      [onA, times.jsonRedis],
      [onC, times.jsonMemory],
    ];
    for (const [session, into] of i % 2 === 0 ? order : order.reverse()) {
      const t = performance.now();
      const response = await session.call('ping');
      if (!response.result) throw new Error(`Streamable HTTP ping failed: ${JSON.stringify(response)}`);
      if (i >= 0) into.push(performance.now() - t);
    }
  }
  const probe = await request(`${a.base}/mcp`, { method: 'POST', agent: agentA, headers: onA.headers(), body: JSON.stringify({ jsonrpc: '2.0', id: 'ct', method: 'ping' }) });
  const contentType = String(probe.headers['content-type'] ?? '');
  await onA.close();
  await onC.close();
  return Object.fromEntries([...Object.entries(times).map(([k, v]) => [k, summary(v)]), ['jsonContentType', contentType]]);
}

/**
 * Bus throughput: `streams` HTTP+SSE sessions on A, each sending pings to `target` (B: across
 * Redis; A: same instance) one after another for `seconds`; answers counted on the streams.
 * @param {Server} a
 * @param {Server} b
 * @param {Server} target
 * @param {Size} size
 * @returns {Promise<BusRun>}
 */
async function busRun(a, b, target, size) {
  const agent = keepAliveAgent(size.busStreams);
  const agentA = keepAliveAgent(8);
  onCleanup(() => [agent, agentA].forEach((x) => x.destroy()));
  const streams = [];
  for (let i = 0; i < size.busStreams; i++) streams.push(await openSse(a.base, agentA));
  await sleep(300);
  const cpuBefore = { a: cpuMs(a.proc.pid), b: cpuMs(b.proc.pid) };
  const started = performance.now();
  const until = started + size.busS * 1000;
  let sent = 0;
  let answered = 0;
  let errors = 0;
  await Promise.all(
    streams.map(async (sse, s) => {
      const url = onInstance(sse.endpoint, target.base);
      let id = 0;
      while (performance.now() < until) {
        const expected = sse.messages + 1;
        sent += 1;
        const res = await request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: `b${s}-${id++}`, method: 'ping' }) });
        if (res.status !== 202 || !(await sse.waitFor(expected, 10_000))) errors += 1;
        else answered += 1;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = { a: cpuMs(a.proc.pid) - cpuBefore.a, b: cpuMs(b.proc.pid) - cpuBefore.b };
  for (const sse of streams) sse.close();
  agent.destroy();
  agentA.destroy();
  return { sent, answered, errors, elapsedS, perS: answered / elapsedS, cpuMsA: cpu.a, cpuMsB: cpu.b, cpuMsPerMessage: (cpu.a + cpu.b) / Math.max(1, answered) };
}

/**
 * @param {Server} a
 * @param {Server} b
 * @param {Size} size
 * @param {Log} log
 */
async function busPart(a, b, size, log) {
  /** @type {Record<'cross' | 'same', BusRun[]>} */
  const runs = { cross: [], same: [] };
  for (let round = 0; round < size.busRounds; round++) {
    /** @type {Array<'cross' | 'same'>} */
    const order = round % 2 === 0 ? ['cross', 'same'] : ['same', 'cross'];
    for (const where of order) {
      const run = await busRun(a, b, where === 'cross' ? b : a, size);
      runs[where].push(run);
      log(`scaleout: bus ${where} round ${round + 1}: ${fmtNum(run.perS)} messages/s, ${fmtMs(run.cpuMsPerMessage)} CPU per message (A ${fmtNum(run.cpuMsA)} ms, B ${fmtNum(run.cpuMsB)} ms), ${run.errors} errors`);
    }
  }
  /** @param {BusRun[]} list */
  const best = (list) => list.reduce((x, y) => (y.perS > x.perS ? y : x));
  /** @param {BusRun[]} list @param {'perS' | 'cpuMsPerMessage'} key */
  const mean = (list, key) => list.reduce((sum, r) => sum + r[key], 0) / list.length;
  return {
    streams: size.busStreams,
    seconds: size.busS,
    cross: { runs: runs.cross, best: best(runs.cross), meanPerS: mean(runs.cross, 'perS'), meanCpuMsPerMessage: mean(runs.cross, 'cpuMsPerMessage') },
    same: { runs: runs.same, best: best(runs.same), meanPerS: mean(runs.same, 'perS'), meanCpuMsPerMessage: mean(runs.same, 'cpuMsPerMessage') },
  };
}

/**
 * `total` requests on one instance over 16 sessions of one transport, alternating ping and
 * tools/list: Streamable HTTP (`mcp`, JSON answers) or HTTP+SSE (`sse`, POST and answer on the
 * same instance). Returns the server's CPU time for them.
 * @param {Server} server
 * @param {number} total
 * @param {'mcp' | 'sse'} transport
 * @returns {Promise<CpuRun>}
 */
async function cpuRun(server, total, transport) {
  const agent = keepAliveAgent(16);
  onCleanup(() => agent.destroy());
  /** @type {RawMcpSession[]} */
  const mcp = [];
  /** @type {SseStream[]} */
  const sse = [];
  for (let i = 0; i < 16; i++) {
    if (transport === 'mcp') mcp.push(await new RawMcpSession(server.base, agent).open());
    else sse.push(await openSse(server.base, agent));
  }
  await sleep(300);
  const before = cpuMs(server.proc.pid);
  const started = performance.now();
  const per = Math.ceil(total / 16);
  await Promise.all([
    ...mcp.map(async (session) => {
      for (let i = 0; i < per; i++) {
        const response = await session.call(i % 2 === 0 ? 'ping' : 'tools/list');
        if (!response.result) throw new Error(`cpu run: ${JSON.stringify(response).slice(0, 200)}`);
      }
    }),
    ...sse.map(async (stream, s) => {
      for (let i = 0; i < per; i++) await roundTripVia(stream, stream.endpoint, { jsonrpc: '2.0', id: `c${s}-${i}`, method: i % 2 === 0 ? 'ping' : 'tools/list' }, agent);
    }),
  ]);
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = cpuMs(server.proc.pid) - before;
  for (const session of mcp) await session.close();
  for (const stream of sse) stream.close();
  agent.destroy();
  return { requests: per * 16, cpuMs: cpu, cpuMsPerRequest: cpu / (per * 16), perS: (per * 16) / elapsedS };
}

/**
 * The same requests on A (Redis on) and C (Redis off), half over each transport, in alternating
 * rounds: CPU per request of each side, in all and per transport.
 * @param {Server} a
 * @param {Server} c
 * @param {Size} size
 * @param {Log} log
 */
async function cpuPart(a, c, size, log) {
  /** @type {Record<'redis' | 'memory', Record<'mcp' | 'sse', CpuRun[]>>} */
  const runs = { redis: { mcp: [], sse: [] }, memory: { mcp: [], sse: [] } };
  for (const server of [a, c]) for (const transport of /** @type {const} */ (['mcp', 'sse'])) await cpuRun(server, 400, transport);
  for (let round = 0; round < size.cpuRounds; round++) {
    /** @type {Array<'redis' | 'memory'>} */
    const order = round % 2 === 0 ? ['redis', 'memory'] : ['memory', 'redis'];
    for (const transport of /** @type {const} */ (['mcp', 'sse'])) {
      for (const which of order) {
        const run = await cpuRun(which === 'redis' ? a : c, size.cpuRequests / 2, transport);
        runs[which][transport].push(run);
        log(`scaleout: cpu ${which} ${transport} round ${round + 1}: ${fmtMs(run.cpuMsPerRequest)} CPU per request, ${fmtNum(run.perS)} req/s`);
      }
    }
  }
  /** @param {CpuRun[]} list @param {'cpuMs' | 'requests'} key */
  const sum = (list, key) => list.reduce((s, r) => s + r[key], 0);
  /** @param {CpuRun[]} list */
  const perRequest = (list) => sum(list, 'cpuMs') / sum(list, 'requests');
  /** @param {'redis' | 'memory'} which */
  const all = (which) => [...runs[which].mcp, ...runs[which].sse];
  const ratio = perRequest(all('redis')) / perRequest(all('memory'));
  /** @param {'mcp' | 'sse'} transport */
  const byTransport = (transport) => ({
    redis: perRequest(runs.redis[transport]),
    memory: perRequest(runs.memory[transport]),
    ratio: perRequest(runs.redis[transport]) / perRequest(runs.memory[transport]),
  });
  return {
    runs,
    requestsPerSide: sum(all('redis'), 'requests'),
    redisCpuMsPerRequest: perRequest(all('redis')),
    memoryCpuMsPerRequest: perRequest(all('memory')),
    ratio,
    met: ratio < CPU_TARGET_RATIO,
    mcp: byTransport('mcp'),
    sse: byTransport('sse'),
  };
}

/**
 * K idle HTTP+SSE sessions, alternately on A and B: memory per instance and in Redis.
 * @param {Server} a
 * @param {Server} b
 * @param {{usedMemory: () => Promise<number>}} redis
 * @param {number} k
 * @param {Log} log
 */
async function idlePart(a, b, redis, k, log) {
  const instances = [a, b];
  await sleep(1000);
  const before = { rss: instances.map((s) => rssBytes(s.proc.pid)), heap: await Promise.all(instances.map((s) => heapUsed(s.base))), redis: await redis.usedMemory() };
  /** @type {SseStream[]} */
  const streams = [];
  const unregister = onCleanup(() => streams.forEach((s) => s.close()));
  let failed = 0;
  /** @type {string | undefined} */
  let firstError;
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < k) {
        const i = next++;
        try {
          streams.push(await new SseStream(instances[i % 2].base).open(20_000));
        } catch (err) {
          failed += 1;
          firstError ??= /** @type {Error} */ (err).message;
        }
      }
    }),
  );
  await sleep(3000);
  const open = {
    rss: instances.map((s) => rssBytes(s.proc.pid)),
    heap: await Promise.all(instances.map((s) => heapUsed(s.base))),
    redis: await redis.usedMemory(),
    sessions: await Promise.all(instances.map((s) => sessionsOf(s.base))),
  };
  log(`scaleout: idle ${streams.length} sessions: RSS A ${signedMB(open.rss[0] - before.rss[0])}, B ${signedMB(open.rss[1] - before.rss[1])}, Redis ${signedMB(open.redis - before.redis)}`);
  for (const s of streams) s.close();
  unregister();
  /** @type {number[]} */
  let left = [];
  const until = Date.now() + 20_000;
  do {
    await sleep(250);
    left = await Promise.all(instances.map((s) => sessionsOf(s.base)));
  } while (left.some((n) => n !== 0) && Date.now() < until);
  await sleep(1000);
  return { k, opened: streams.length, failed, firstError, before, open, sessionsAfterClose: left, redisAfterClose: await redis.usedMemory() };
}

/**
 * @typedef {object} Harness what bench.mjs lends the part
 * @property {(overrides: Record<string, string>) => Promise<Server>} startGateway
 * @property {(server: Server, label: string) => Promise<unknown>} stopServer
 * @property {string} profile 'quick' or 'full'
 * @property {string[]} notes
 * @property {Log} log
 */

/**
 * @param {Harness} h
 */
export async function scaleoutPhase(h) {
  const size = SIZES[h.profile === 'full' ? 'full' : 'quick'];
  const redis = await startRedis();
  /** @type {Server[]} */
  const servers = [];
  try {
    const shared = { MCP_REDIS_URL: redis.url, MCP_STATE_SECRET: randomBytes(32).toString('hex'), MCP_MAX_SESSIONS: String(size.idleK + 200) };
    const a = await h.startGateway(shared);
    servers.push(a);
    const b = await h.startGateway(shared);
    servers.push(b);
    const c = await h.startGateway({ MCP_MAX_SESSIONS: String(size.idleK + 200) });
    servers.push(c);
    h.log('scaleout: delivery latency');
    const delivery = await deliveryPart(a, b, c, size, h.log);
    h.log('scaleout: bus throughput');
    const bus = await busPart(a, b, size, h.log);
    h.log('scaleout: CPU per request, Redis on versus off');
    const cpu = await cpuPart(a, c, size, h.log);
    await h.stopServer(c, 'scaleout (no Redis)');
    servers.pop();
    h.log(`scaleout: ${size.idleK} idle HTTP+SSE sessions over two instances`);
    const idle = await idlePart(a, b, redis, size.idleK, h.log);
    if (idle.failed) h.notes.push(`scaleout idle: ${idle.failed} of ${size.idleK} SSE sessions failed to open, first: ${idle.firstError}`);
    if (idle.sessionsAfterClose.some((n) => n !== 0)) h.notes.push(`scaleout idle: sessions still counted 20 s after every stream closed: ${idle.sessionsAfterClose.join(', ')}`);
    for (const [name, run] of /** @type {const} */ ([
      ['cross', bus.cross],
      ['same', bus.same],
    ])) {
      const errors = run.runs.reduce((s, r) => s + r.errors, 0);
      if (errors) h.notes.push(`scaleout bus (${name}): ${errors} pings without an answer within 10 s`);
    }
    return { size, delivery, bus, cpu, idle };
  } finally {
    for (const server of servers.reverse()) await h.stopServer(server, 'scaleout');
    await redis.close();
  }
}

/** @param {number} bytes */
const signedMB = (bytes) => `${bytes >= 0 ? '+' : ''}${fmtMB(bytes)}`;
/** @param {number} ms */
const signed = (ms) => `${ms >= 0 ? '+' : ''}${fmtMs(ms)}`;

/**
 * Rows of the benchmark's table (gateway column: Redis / cross-instance; reference column: the baseline).
 * @param {Awaited<ReturnType<typeof scaleoutPhase>>} r
 */
export function scaleoutRows(r) {
  const d = r.delivery;
  /** @param {Summary} x */
  const cell = (x) => `p50 ${fmtMs(x.p50)}, p99 ${fmtMs(x.p99)}`;
  /** @param {Summary} cross @param {Summary} same */
  const added = (cross, same) => `added p50 ${signed(cross.p50 - same.p50)}, p99 ${signed(cross.p99 - same.p99)}`;
  const rows = [
    {
      metric: `scale-out: HTTP+SSE ping, stream on A, POST to B (gateway col.) vs to A (reference col.) (N=${d.pingSame.n})`,
      gateway: cell(d.pingCross),
      reference: cell(d.pingSame),
      ratio: added(d.pingCross, d.pingSame),
      target: 'info',
      status: 'info',
    },
    {
      metric: `scale-out: HTTP+SSE tools/call devops__status, POST to B vs to A (N=${d.callSame.n})`,
      gateway: cell(d.callCross),
      reference: cell(d.callSame),
      ratio: added(d.callCross, d.callSame),
      target: 'info',
      status: 'info',
    },
    {
      metric: `scale-out: Streamable HTTP ping (${d.jsonContentType.split(';')[0]}), Redis on vs off (N=${d.jsonRedis.n})`,
      gateway: cell(d.jsonRedis),
      reference: cell(d.jsonMemory),
      ratio: added(d.jsonRedis, d.jsonMemory),
      target: 'info',
      status: 'info',
    },
    {
      metric: `scale-out: bus throughput, ${r.bus.streams} streams on A pinging via B vs via A (${r.bus.seconds} s x ${r.bus.cross.runs.length} rounds)`,
      gateway: `${fmtNum(r.bus.cross.meanPerS)} msg/s (best ${fmtNum(r.bus.cross.best.perS)}); CPU A+B ${fmtMs(r.bus.cross.meanCpuMsPerMessage)} per message`,
      reference: `${fmtNum(r.bus.same.meanPerS)} msg/s (best ${fmtNum(r.bus.same.best.perS)}); CPU A+B ${fmtMs(r.bus.same.meanCpuMsPerMessage)} per message`,
      ratio: fmtRatio(r.bus.cross.meanCpuMsPerMessage / r.bus.same.meanCpuMsPerMessage),
      target: 'info',
      status: 'info',
    },
    {
      metric: `scale-out: server CPU per request, one instance, Redis on vs off (${fmtNum(r.cpu.requestsPerSide)} requests each, half Streamable HTTP, half HTTP+SSE)`,
      gateway: `${fmtMs(r.cpu.redisCpuMsPerRequest)} (Streamable HTTP ${fmtMs(r.cpu.mcp.redis)}, HTTP+SSE ${fmtMs(r.cpu.sse.redis)})`,
      reference: `${fmtMs(r.cpu.memoryCpuMsPerRequest)} (Streamable HTTP ${fmtMs(r.cpu.mcp.memory)}, HTTP+SSE ${fmtMs(r.cpu.sse.memory)})`,
      ratio: `${fmtRatio(r.cpu.ratio)} (Streamable HTTP ${fmtRatio(r.cpu.mcp.ratio)}, HTTP+SSE ${fmtRatio(r.cpu.sse.ratio)})`,
      target: `< ${fmtRatio(CPU_TARGET_RATIO)}`,
      status: r.cpu.met ? 'met' : 'NOT MET',
    },
  ];
  const i = r.idle;
  /** @param {number} n */
  const extra = (n) => `RSS ${signedMB(i.open.rss[n] - i.before.rss[n])} (${fmtMB(i.open.rss[n])}), heap ${signedMB(i.open.heap[n] - i.before.heap[n])} (${fmtMB(i.open.heap[n])}), ${fmtNum(i.open.sessions[n])} sessions`;
  rows.push({
    metric: `scale-out: ${fmtNum(i.opened)} idle HTTP+SSE sessions over A and B; Redis used_memory`,
    gateway: `A: ${extra(0)}; B: ${extra(1)}`,
    reference: `Redis ${signedMB(i.open.redis - i.before.redis)} (${fmtNum((i.open.redis - i.before.redis) / Math.max(1, i.opened))} bytes a session); after closing: ${fmtMB(i.redisAfterClose)}`,
    ratio: '-',
    target: 'info',
    status: 'info',
  });
  return rows;
}
