#!/usr/bin/env node
// Scale-out soak: a redis-server of its own, two gateway processes sharing it (MCP_REDIS_URL),
// nginx in front with the round-robin block docs/deployment.md documents, then many sessions
// (HTTP+SSE and Streamable HTTP) through nginx, so that their POSTs land on both instances. It
// checks that every request gets exactly one answer (no loss, no duplicate), that both
// instances count 0 sessions once every session ended, and that Redis (keys and used_memory)
// is back near where it started. Bounded: at most 5,000 sessions per round, 10 rounds, 600 s.
//
//   node tools/load/scale-out.mjs --quick        # CI: 2 rounds of 1,000 sessions, well under 2 min
//   node tools/load/scale-out.mjs --full         # 5 rounds of 1,000 sessions, every one calls a tool
//   node tools/load/scale-out.mjs --sessions 1000 --rounds 3 --requests 6 --call-every 2
//
// Needs the production bundle (npx nx run server:build), redis-server and nginx (Debian's
// redis-server and nginx-light; .ci/run installs them when missing). Exit 0 when every check
// passed, 1 otherwise, 2 on bad usage or a missing part.
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// The benchmark's helpers: free ports, and the messages of a Streamable HTTP answer.
import { messagesOf } from '../bench/lib/http.mjs';
import { freePort, sleep } from '../bench/lib/proc.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/apps/server/main.js');
const DEPLOYMENT_DOC = join(ROOT, 'docs/deployment.md');
const PREFIX = 'sanctum:';
const PROTOCOL = { sse: '2024-11-05', http: '2025-11-25' };

const USAGE = `usage: node tools/load/scale-out.mjs [--quick|--full] [--sessions N] [--rounds R] [--requests M] [--call-every K] [--batch B]
  --quick         2 rounds of 1,000 sessions, 4 requests each, a tools/call in 1 of 4 (the default)
  --full          5 rounds of 1,000 sessions, 8 requests each, a tools/call in every session
  --sessions N    sessions open at once per round (half HTTP+SSE, half Streamable HTTP), at most 5000
  --rounds R      rounds (at most 10); Redis and /health are checked after each
  --requests M    requests per session (ping, tools/list, ping, ... ; at most 50)
  --call-every K  one tools/call devops__status in every K-th session (1 = all)
  --batch B       sessions opened concurrently (default 100)`;

function usage(message) {
  process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
  process.exit(2);
}

let cli;
try {
  cli = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      sessions: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      'call-every': { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  usage(err.message);
}
if (cli.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (cli.quick && cli.full) usage('choose one of --quick and --full');
const base = cli.full ? { sessions: 1000, rounds: 5, requests: 8, callEvery: 1 } : { sessions: 1000, rounds: 2, requests: 4, callEvery: 4 };
const intArg = (name, fallback, max) => {
  const raw = cli[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) usage(`--${name} takes a whole number from 1 to ${max}, not '${raw}'`);
  return n;
};
const opts = {
  sessions: intArg('sessions', base.sessions, 5000),
  rounds: intArg('rounds', base.rounds, 10),
  requests: intArg('requests', base.requests, 50),
  callEvery: intArg('call-every', base.callEvery, 1_000_000),
  batch: intArg('batch', 100, 1000),
};
const DEADLINE = Date.now() + 600_000;

if (!existsSync(MAIN)) {
  process.stderr.write(`No production bundle at ${MAIN}: run \`npx nx run server:build\` first.\n`);
  process.exit(2);
}
const binary = (name, fallback, install) => {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  if (existsSync(fallback)) return fallback;
  process.stderr.write(`${name} is not installed: run \`apt-get install -y ${install}\` (.ci/run does when it is missing).\n`);
  process.exit(2);
};
const REDIS_SERVER = binary('redis-server', '/usr/bin/redis-server', 'redis-server');
const NGINX = binary('nginx', '/usr/sbin/nginx', 'nginx-light');
const { Redis } = await import('ioredis');

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'sanctum-scale-soak-'));
/** @type {Array<{name: string, child: import('node:child_process').ChildProcess, out: string[]}>} */
const children = [];

function listening(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function start(name, command, args, env = process.env) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { name, child, out: [] };
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      entry.out.push(chunk);
      if (entry.out.length > 200) entry.out.shift();
    });
  }
  children.push(entry);
  return entry;
}

async function waitListening(entry, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!(await listening(port))) {
    if (entry.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${entry.name} did not start on port ${port} (exit ${entry.child.exitCode}):\n${entry.out.join('').slice(-3000)}`);
    }
    await sleep(50);
  }
}

async function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    const gone = new Promise((done) => child.once('exit', done));
    if ((await Promise.race([gone, sleep(5000).then(() => 'late')])) === 'late') child.kill('SIGKILL');
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)));

async function startRedis() {
  const port = await freePort();
  const entry = start('redis-server', REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  await waitListening(entry, port, 10_000);
  return { port, url: `redis://127.0.0.1:${port}` };
}

const STATE_SECRET = randomBytes(32).toString('hex');

async function startGateway(name, redisUrl) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    MCP_HOST: '127.0.0.1',
    MCP_PORT: String(port),
    MCP_REDIS_URL: redisUrl,
    // One key of sealed requestState for both instances (required with MCP_REDIS_URL).
    MCP_STATE_SECRET: STATE_SECRET,
    MCP_RATE_LIMIT: '0',
    MCP_DISCOVERY_CACHE: 'off',
    MCP_TRUSTED_PROXIES: 'loopback',
    MCP_PLUGINS_DIR: 'mcp/plugins',
    MCP_MAX_SESSIONS: String(opts.sessions * 2 + 100),
    DEVOPS_STATE_FILE: join(work, 'devops.json'),
    LOG_LEVEL: 'warn',
  };
  const entry = start(name, process.execPath, [MAIN], env);
  await waitListening(entry, port, 60_000);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const res = await get(`${url}/health`).catch(() => undefined);
    if (res?.status === 200) break;
    if (entry.child.exitCode !== null) throw new Error(`${name} exited:\n${entry.out.join('').slice(-3000)}`);
    await sleep(100);
  }
  return { name, port, url, entry };
}

/** The documented round-robin blocks of docs/deployment.md (`upstream sanctum {` ... `server {` ...). */
function documentedBlock() {
  const doc = readFileSync(DEPLOYMENT_DOC, 'utf8');
  const block = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]).find((text) => text.startsWith('upstream sanctum {'));
  if (block === undefined) throw new Error('docs/deployment.md has no nginx block starting "upstream sanctum {"');
  return block;
}

const DOCUMENTED_SERVERS = /^( *)server 127\.0\.0\.1:8000;\n {4}server 127\.0\.0\.1:8001;$/m;

async function startNginx(upstreamPorts) {
  const block = documentedBlock();
  if (!DOCUMENTED_SERVERS.test(block) || !block.includes('listen 80;')) throw new Error(`the documented block does not name 127.0.0.1:8000, :8001 and listen 80:\n${block}`);
  const port = await freePort();
  const body = block
    .replace(DOCUMENTED_SERVERS, (_all, indent) => upstreamPorts.map((p) => `${indent}server 127.0.0.1:${p};`).join('\n'))
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(work, `nginx-${kind}`)};`).join('\n');
  const conf = join(work, 'nginx.conf');
  // Which instance served each request: the upstream address per request, in an access log of
  // our own (the documented block itself is used as written).
  writeFileSync(
    conf,
    [
      'worker_processes 1;',
      'worker_rlimit_nofile 16384;',
      `error_log ${join(work, 'nginx-error.log')} warn;`,
      'events { worker_connections 8192; }',
      'http {',
      "  log_format upstream '$request_method $upstream_addr $status';",
      `  access_log ${join(work, 'nginx-access.log')} upstream;`,
      temp,
      body,
      '}',
      '',
    ].join('\n'),
  );
  const entry = start('nginx', NGINX, ['-p', work, '-c', conf, '-g', `daemon off; pid ${join(work, 'nginx.pid')};`]);
  await waitListening(entry, port, 10_000);
  return { port, url: `http://127.0.0.1:${port}` };
}

// ---------------------------------------------------------------------------------------------
// HTTP and the two transports
// ---------------------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(url, { method, agent, headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', fail);
    req.end(payload);
  });
}
const get = (url) => send(url);

/** The requests session `index` sends, in order. */
function plan(index) {
  const out = [];
  for (let i = 0; i < opts.requests; i++) out.push(i % 2 === 0 ? { method: 'ping' } : { method: 'tools/list' });
  if (index % opts.callEvery === 0) out.push({ method: 'tools/call', params: { name: 'devops__status', arguments: { 'app-name': 'soak' } } });
  return out;
}

/** Whether a response answers its request: a result of the right shape, no error. */
function answered(method, message) {
  if (message.error !== undefined || message.result === undefined) return false;
  if (method === 'tools/list') return Array.isArray(message.result.tools) && message.result.tools.length > 0;
  if (method === 'tools/call') return message.result.isError !== true;
  return true;
}

const tally = { sent: 0, answered: 0, lost: 0, duplicates: 0, wrong: 0, sessionErrors: 0, firstProblem: '', byMethod: {} };
const problem = (text) => {
  if (tally.firstProblem === '') tally.firstProblem = text;
};

/** Record the responses of one session: exactly one per request id. */
function check(kind, requests, responses) {
  for (const [id, { method }] of requests) {
    const got = responses.get(id) ?? [];
    tally.byMethod[method] = (tally.byMethod[method] ?? 0) + 1;
    if (got.length === 0) {
      tally.lost += 1;
      problem(`${kind}: no answer to ${method} (id ${id})`);
    } else {
      if (got.length > 1) {
        tally.duplicates += got.length - 1;
        problem(`${kind}: ${got.length} answers to ${method} (id ${id})`);
      }
      if (answered(method, got[0])) tally.answered += 1;
      else {
        tally.wrong += 1;
        problem(`${kind}: ${method} (id ${id}) answered ${JSON.stringify(got[0]).slice(0, 300)}`);
      }
    }
  }
}

/** A frame parser for an SSE response: calls `onMessage(event, data)` per event. */
function sseFrames(res, onMessage) {
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    buffer += chunk;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onMessage(event, data.join('\n'));
    }
  });
}

/**
 * An HTTP+SSE session through nginx: GET /sse, then every POST /message?sessionId= through
 * nginx (round robin: both instances); the answers come on the stream. Resolves with a function
 * that sends the requests and one that ends the session (the stream closed).
 */
function openSse(nginx) {
  return new Promise((done, fail) => {
    const responses = new Map();
    let wake = () => undefined;
    let endpoint = '';
    const timer = setTimeout(() => fail(new Error('GET /sse: no endpoint event within 30 s')), 30_000);
    const req = request(`${nginx}/sse`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        res.resume();
        fail(new Error(`GET /sse answered ${res.statusCode}`));
        return;
      }
      sseFrames(res, (event, data) => {
        if (event === 'endpoint') {
          endpoint = new URL(data, nginx).href;
          clearTimeout(timer);
          done({ run, close: () => req.destroy() });
        } else if (event === 'message') {
          const message = JSON.parse(data);
          if (message.id !== undefined) (responses.get(message.id) ?? responses.set(message.id, []).get(message.id)).push(message);
          wake();
        }
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    req.end();

    const post = async (message) => {
      const res = await send(endpoint, { method: 'POST', body: JSON.stringify(message) });
      if (res.status !== 202) throw new Error(`POST /message answered ${res.status}: ${res.body.slice(0, 200)}`);
    };
    const waitFor = async (id, ms) => {
      const deadline = Date.now() + ms;
      while (!responses.has(id) && Date.now() < deadline) await new Promise((r) => ((wake = r), setTimeout(r, 100)));
      return responses.get(id)?.[0];
    };
    async function run(index) {
      const requests = new Map();
      const init = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: PROTOCOL.sse, capabilities: {}, clientInfo: { name: 'scale-soak', version: '1' } } };
      await post(init);
      if ((await waitFor('init', 30_000))?.result === undefined) throw new Error('HTTP+SSE initialize: no result on the stream within 30 s');
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
      let id = 0;
      for (const step of plan(index)) {
        id += 1;
        requests.set(id, step);
        tally.sent += 1;
        await post({ jsonrpc: '2.0', id, ...step });
        await waitFor(id, 15_000);
      }
      // Late duplicates would arrive right after the answers: give them a moment.
      await sleep(200);
      check('HTTP+SSE', requests, new Map([...responses].filter(([key]) => key !== 'init')));
    }
  });
}

/** A Streamable HTTP session through nginx: every POST (and the DELETE) reaches either instance. */
async function openHttp(nginx) {
  const init = await send(`${nginx}/mcp`, {
    method: 'POST',
    headers: { accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL.http, capabilities: {}, clientInfo: { name: 'scale-soak', version: '1' } } }),
  });
  const sessionId = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof sessionId !== 'string') throw new Error(`initialize answered ${init.status} without Mcp-Session-Id: ${init.body.slice(0, 200)}`);
  const headers = { accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL.http };
  const ack = await send(`${nginx}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}: ${ack.body.slice(0, 200)}`);
  return {
    async run(index) {
      const requests = new Map();
      const responses = new Map();
      let id = 0;
      for (const step of plan(index)) {
        id += 1;
        requests.set(id, step);
        tally.sent += 1;
        const res = await send(`${nginx}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id, ...step }) });
        if (res.status !== 200) {
          problem(`Streamable HTTP: ${step.method} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
          continue;
        }
        for (const message of messagesOf(res)) if (message.id !== undefined) (responses.get(message.id) ?? responses.set(message.id, []).get(message.id)).push(message);
      }
      check('Streamable HTTP', requests, responses);
    },
    async close() {
      const res = await send(`${nginx}/mcp`, { method: 'DELETE', headers });
      if (res.status >= 300) throw new Error(`DELETE /mcp answered ${res.status}: ${res.body.slice(0, 200)}`);
    },
  };
}

/** `count` tasks, `batch` at a time; failures counted as session errors. */
async function inBatches(count, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(opts.batch, count) }, async () => {
      while (next < count && Date.now() < DEADLINE) {
        const i = next++;
        try {
          await fn(i);
        } catch (err) {
          tally.sessionErrors += 1;
          problem(err.message);
        }
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Redis and /health
// ---------------------------------------------------------------------------------------------

async function redisState(redis) {
  const memory = /used_memory:(\d+)/.exec(await redis.info('memory'))?.[1];
  let sessionKeys = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}s:*`, 'COUNT', 1000);
    sessionKeys += keys.length;
    cursor = nextCursor;
  } while (cursor !== '0');
  return { usedMemory: Number(memory), dbsize: await redis.dbsize(), sessionKeys };
}

/** Both instances' /health `sessions`, polled until both are 0 or `ms` passed. */
async function sessionsBackToZero(instances, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const counts = await Promise.all(instances.map(async (i) => JSON.parse((await get(`${i.url}/health`)).body).sessions));
    if (counts.every((n) => n === 0) || Date.now() > deadline) return counts;
    await sleep(200);
  }
}

async function sessionKeysGone(redis, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = await redisState(redis);
    if (state.sessionKeys === 0 || Date.now() > deadline) return state;
    await sleep(200);
  }
}

function upstreamCounts(instances) {
  const log = existsSync(join(work, 'nginx-access.log')) ? readFileSync(join(work, 'nginx-access.log'), 'utf8') : '';
  const counts = Object.fromEntries(instances.map((i) => [i.name, 0]));
  for (const line of log.split('\n')) {
    const [method, upstream] = line.split(' ');
    if (method !== 'POST') continue;
    for (const i of instances) if (upstream === `127.0.0.1:${i.port}`) counts[i.name] += 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const mb = (bytes) => (bytes / 1048576).toFixed(2);
/** Redis may keep this much more memory after a round than before the first (allocator slack, script cache). */
const MEMORY_SLACK = 2 * 1048576;
/** ... and after the last round at most this much more than after the first (a leak per session would show). */
const ROUND_GROWTH = 1048576;

async function main() {
  const started = Date.now();
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const instances = [await startGateway('A', redisServer.url), await startGateway('B', redisServer.url)];
  const nginx = await startNginx(instances.map((i) => i.port));
  // The devops ledger the tool call reads: one deployment, recorded through the gateway.
  const seed = await send(`${instances[0].url}/message`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'devops__deploy', arguments: { 'app-name': 'soak', version: '1.0.0' } } }),
  });
  if (seed.status !== 200) throw new Error(`seeding the devops ledger answered ${seed.status}: ${seed.body.slice(0, 200)}`);
  await sleep(500);
  const before = await redisState(redis);
  const rounds = [];
  for (let round = 1; round <= opts.rounds && Date.now() < DEADLINE; round++) {
    const t0 = Date.now();
    /** @type {Array<{kind: string, session: any}>} */
    const open = [];
    await inBatches(opts.sessions, async (i) => {
      const kind = i % 2 === 0 ? 'sse' : 'http';
      open.push({ kind, index: i, session: kind === 'sse' ? await openSse(nginx.url) : await openHttp(nginx.url) });
    });
    const peakSessions = await Promise.all(instances.map(async (i) => JSON.parse((await get(`${i.url}/health`)).body).sessions));
    await inBatches(open.length, (i) => open[i].session.run(open[i].index));
    const peak = await redisState(redis);
    await inBatches(open.length, async (i) => open[i].session.close());
    const counts = await sessionsBackToZero(instances, 15_000);
    const after = await sessionKeysGone(redis, 15_000);
    rounds.push({ round, seconds: (Date.now() - t0) / 1000, opened: open.length, peakSessions, counts, peak, after });
    process.stderr.write(
      `round ${round}: ${open.length} sessions open (A ${peakSessions[0]}, B ${peakSessions[1]}), ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `Redis peak ${peak.sessionKeys} session keys, ${mb(peak.usedMemory)} MB; after: sessions A ${counts[0]}, B ${counts[1]}, ${after.sessionKeys} session keys, ${after.dbsize} keys, ${mb(after.usedMemory)} MB\n`,
    );
  }
  const upstreams = upstreamCounts(instances);
  const crashed = instances.filter((i) => i.entry.child.exitCode !== null || i.entry.child.signalCode !== null).map((i) => i.name);
  const last = rounds[rounds.length - 1];
  const expected = opts.sessions * opts.rounds;
  const opened = rounds.reduce((sum, r) => sum + r.opened, 0);
  const failures = [];
  if (opened !== expected) failures.push(`${opened} of ${expected} sessions opened`);
  if (tally.lost || tally.duplicates || tally.wrong) failures.push(`${tally.lost} lost, ${tally.duplicates} duplicate and ${tally.wrong} wrong answers`);
  if (tally.sessionErrors) failures.push(`${tally.sessionErrors} sessions failed`);
  if (rounds.some((r) => r.counts.some((n) => n !== 0))) failures.push(`/health sessions not back to 0: ${rounds.map((r) => r.counts.join('+')).join(', ')}`);
  if (rounds.some((r) => r.after.sessionKeys !== 0)) failures.push(`session keys left in Redis: ${rounds.map((r) => r.after.sessionKeys).join(', ')}`);
  if (last && last.after.dbsize > before.dbsize) failures.push(`Redis holds ${last.after.dbsize} keys after the run, ${before.dbsize} before`);
  if (rounds.length > 1 && last.after.usedMemory > rounds[0].after.usedMemory + ROUND_GROWTH) {
    failures.push(`Redis used_memory grew across rounds: ${rounds.map((r) => mb(r.after.usedMemory)).join(', ')} MB after each`);
  }
  if (last && last.after.usedMemory > before.usedMemory + MEMORY_SLACK) failures.push(`Redis used_memory ${mb(last.after.usedMemory)} MB after, ${mb(before.usedMemory)} MB before (more than ${mb(MEMORY_SLACK)} MB above)`);
  if (instances.some((i) => upstreams[i.name] === 0)) failures.push(`nginx sent no POST to an instance: ${JSON.stringify(upstreams)}`);
  if (crashed.length) failures.push(`instance(s) ${crashed.join(', ')} exited`);
  if (Date.now() >= DEADLINE) failures.push('the 600 s deadline was reached');
  const elapsed = (Date.now() - started) / 1000;
  console.log(
    `SCALE-OUT ${failures.length === 0 ? 'OK' : 'FAILED'} instances=2 sessions=${opened}/${expected} in ${rounds.length} rounds (HTTP+SSE and Streamable HTTP through nginx) ` +
      `requests=${tally.sent} answered=${tally.answered} lost=${tally.lost} duplicates=${tally.duplicates} wrong=${tally.wrong} session_errors=${tally.sessionErrors} ` +
      `(${Object.entries(tally.byMethod).map(([m, n]) => `${m}=${n}`).join(' ')}) posts A=${upstreams.A} B=${upstreams.B} ` +
      `sessions_after=${last ? last.counts.join('+') : 'n/a'} redis_keys before=${before.dbsize} peak_session_keys=${Math.max(...rounds.map((r) => r.peak.sessionKeys))} after=${last?.after.dbsize} ` +
      `redis_MB before=${mb(before.usedMemory)} peak=${mb(Math.max(...rounds.map((r) => r.peak.usedMemory)))} after=${rounds.map((r) => mb(r.after.usedMemory)).join('/')} elapsed=${elapsed.toFixed(1)}s`,
  );
  for (const f of failures) process.stderr.write(`failed: ${f}\n`);
  if (tally.firstProblem) process.stderr.write(`first problem: ${tally.firstProblem}\n`);
  if (failures.length) for (const i of instances) process.stderr.write(`--- instance ${i.name} log (tail)\n${i.entry.out.join('').slice(-2000)}\n`);
  redis.disconnect();
  return failures.length === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`scale-out soak failed: ${err.stack ?? err}\n`);
}
agent.destroy();
await stopAll();
process.exit(code);
