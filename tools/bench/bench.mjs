#!/usr/bin/env node
// Benchmark harness: the Sanctum MCP gateway (production bundle) against a reference MCP server
// hand-built on the SDK (tools/bench/reference-server.mjs), both on loopback, measured in
// alternating rounds in the same run. See tools/bench/README.md and docs/benchmarks.md.
//
//   node tools/bench/bench.mjs [--quick|--full] [--json out.json] [--only protocol,sdk,call,idle,discovery,profiles]
//
// Exit codes: 0 = ran (targets missed or not: they are information), 1 = a phase failed or the
// run hit its deadline, 2 = bad usage or no build (dist/apps/server/main.js).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, setPriority, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LEGACY_PROTOCOL, RawMcpSession, SseStream, keepAliveAgent, request } from './lib/http.mjs';
import { writePlugins } from './lib/plugin-template.mjs';
import { cleanupAll, cleanupSync, freePort, onCleanup, openFileLimit, rssBytes, sleep, startChild, stopChild, tempDir } from './lib/proc.mjs';
import { fmtMB, fmtMs, fmtNum, fmtRatio, median, summary } from './lib/stats.mjs';
import { scaleoutPhase, scaleoutRows } from './lib/scaleout.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const MAIN = join(ROOT, 'dist/apps/server/main.js');
const REFERENCE = join(HERE, 'reference-server.mjs');
const DEVOPS_DIR = join(ROOT, 'mcp/plugins/devops');
const PHASES = ['protocol', 'sdk', 'call', 'idle', 'discovery', 'profiles', 'scaleout'];
/** Phases a run without --only skips: scaleout needs redis-server and starts three gateways. */
const OPT_IN = ['scaleout'];
/** Raise the open-file limit as far as the hard limit allows, then run the program. */
const ULIMIT_WRAPPER = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

const USAGE = `usage: node tools/bench/bench.mjs [--quick|--full] [--json out.json] [--only PHASES] [--sessions K,...]
  --quick        CI size, about 2-3 minutes on 2 cores (the default)
  --full         longer runs, 1,000 and 10,000 idle SSE sessions, more repetitions (up to ~15 minutes)
  --json FILE    also write every measurement as JSON
  --only PHASES  comma-separated subset of: ${PHASES.join(', ')}
                 (without it, all but ${OPT_IN.join(', ')}: scaleout runs two gateways sharing a
                 redis-server of its own and one without Redis)
  --sessions K   idle SSE session counts to measure instead of the profile's (e.g. 10000), at most 50000
  --sandbox MODE the gateways' MCP_SANDBOX (auto, the default, or off: to measure what the plugin
                 sandbox costs)
  --console      the gateway with the operator console on (MCP_CONSOLE=1) and headless Chromium
                 (CHROMIUM_PATH, default /usr/bin/chromium) showing /console, its live stream
                 connected, for the whole protocol/sdk/call run: what the console costs a message
  --help
Needs the production bundle: run \`npx nx run server:build\` (or \`npm run build\`) first.`;

/**
 * @typedef {object} Profile
 * @property {string} name
 * @property {number} durationS autocannon run length
 * @property {number} warmupS
 * @property {number} rounds A,B rounds per case
 * @property {number} sdkN sequential SDK-client requests per method per server
 * @property {number} callN sequential tools/call per server (and raw spawns)
 * @property {number} callConcurrentN tools/call at concurrency 8, per server, over all rounds
 * @property {number[]} idleK idle SSE session counts
 * @property {number} healthN /health requests while sessions are open
 * @property {number} discoveryColdReps cold starts (no cache file)
 * @property {number} discoveryReps warm starts and baseline starts (empty plugins folder)
 * @property {number} deadlineMs
 */

/** @type {Record<'quick' | 'full', Profile>} */
const PROFILES = {
  quick: {
    name: 'quick',
    durationS: 2,
    warmupS: 1,
    rounds: 2,
    sdkN: 200,
    callN: 30,
    callConcurrentN: 96,
    idleK: [200],
    healthN: 100,
    discoveryColdReps: 1,
    discoveryReps: 3,
    deadlineMs: 4 * 60_000,
  },
  full: {
    name: 'full',
    durationS: 5,
    warmupS: 2,
    rounds: 4,
    sdkN: 1000,
    callN: 200,
    callConcurrentN: 480,
    idleK: [1000, 10_000],
    healthN: 100,
    discoveryColdReps: 3,
    discoveryReps: 5,
    deadlineMs: 18 * 60_000,
  },
};

const CONCURRENCY = 8;
const TARGETS = {
  protocolRatio: 2,
  callOverheadMs: 3,
  concurrentShare: 0.9,
  idleSessions: 10_000,
  idleExtraBytes: 150 * 1024 * 1024,
  healthP99Ms: 20,
  discoveryColdMs: 3000,
  discoveryWarmMs: 500,
};

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/**
 * @param {string} message
 * @returns {never}
 */
function usageError(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let cli;
try {
  cli = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      sessions: { type: 'string' },
      sandbox: { type: 'string' },
      console: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  usageError(/** @type {Error} */ (err).message);
}
if (cli.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (cli.quick && cli.full) usageError('choose one of --quick and --full');
if (cli.sandbox !== undefined && !['auto', 'off'].includes(cli.sandbox)) usageError(`--sandbox is auto or off, not '${cli.sandbox}'`);
const profile = { ...(cli.full ? PROFILES.full : PROFILES.quick) };
const only = cli.only ? cli.only.split(',').map((p) => p.trim()) : PHASES.filter((p) => !OPT_IN.includes(p));
for (const phase of only) if (!PHASES.includes(phase)) usageError(`unknown phase '${phase}' in --only`);
const jsonOut = cli.json ? resolve(process.cwd(), cli.json) : undefined;
if (cli.sessions !== undefined) {
  const ks = cli.sessions.split(',').map((k) => Number(k.trim()));
  if (ks.some((k) => !Number.isInteger(k) || k < 1 || k > 50_000)) usageError('--sessions takes counts from 1 to 50000, e.g. 1000,10000');
  profile.idleK = ks;
}

if (!existsSync(MAIN)) {
  process.stderr.write(
    `No production bundle at ${MAIN}.\nBuild it first: npx nx run server:build   (or: npm run build)\n`,
  );
  process.exit(2);
}

// Packages are loaded after the checks above, so that a missing build is reported as such.
let packages;
try {
  packages = {
    load: await import('./lib/load.mjs'),
    client: await import('@modelcontextprotocol/sdk/client/index.js'),
    streamable: await import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  };
} catch (err) {
  process.stderr.write(`A package the harness needs cannot be loaded (${/** @type {Error} */ (err).message}).\nInstall the workspace's dependencies: npm ci\n`);
  process.exit(2);
}
const { post, merge } = packages.load;
const { Client } = packages.client;
const { StreamableHTTPClientTransport } = packages.streamable;

// ---------------------------------------------------------------------------------------------
// Run state, logging, cleanup
// ---------------------------------------------------------------------------------------------

const runStarted = performance.now();
/** @type {string[]} */
const notes = [];
/** @type {string[]} */
const failures = [];
/** @type {Record<string, any>} */
const results = {};
let deadlineHit = false;

/** @param {string} message */
function log(message) {
  const t = ((performance.now() - runStarted) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${t}s] ${message}\n`);
}

function pastDeadline() {
  if (!deadlineHit && performance.now() - runStarted > profile.deadlineMs) {
    deadlineHit = true;
    failures.push(`deadline of ${profile.deadlineMs / 60_000} min reached: the remaining phases were skipped`);
  }
  return deadlineHit;
}

let stopping = false;
/** @param {NodeJS.Signals} signal */
async function onSignal(signal) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${signal}: stopping every child process and removing temporary folders...\n`);
  await cleanupAll().catch(() => undefined);
  process.exit(130);
}
process.on('SIGINT', () => void onSignal('SIGINT'));
process.on('SIGTERM', () => void onSignal('SIGTERM'));
process.on('exit', () => cleanupSync());
// A hard stop if a phase hangs past the deadline (plus a margin for printing what we have).
const hardStop = setTimeout(() => {
  process.stderr.write(`hard deadline passed (${profile.deadlineMs / 60_000 + 1} min): aborting\n`);
  cleanupSync();
  process.exit(1);
}, profile.deadlineMs + 60_000);
hardStop.unref();

// ---------------------------------------------------------------------------------------------
// Environment and servers
// ---------------------------------------------------------------------------------------------

const python = execFileSync('python3', ['-c', 'import sys;print(sys.executable)'], { encoding: 'utf8' }).trim();
const work = tempDir('sanctum-bench-');
const stateFile = join(work, 'devops-state.json');
// Every gateway of the run starts from a copy of the bundle taken now: a rebuild while the run
// goes on (other people work in this tree) must not mix two builds in one table. Its packages
// still come from the workspace's node_modules (NODE_PATH).
const bundleInfo = { path: MAIN, mtime: statSync(MAIN).mtime.toISOString(), bytes: statSync(MAIN).size };
const GATEWAY_MAIN = join(work, 'bundle', 'main.js');
mkdirSync(dirname(GATEWAY_MAIN));
copyFileSync(MAIN, GATEWAY_MAIN);
if (existsSync(`${MAIN}.map`)) copyFileSync(`${MAIN}.map`, `${GATEWAY_MAIN}.map`);
// The Python fork server is a file of its own beside the bundle.
const FORK_SERVER = join(dirname(MAIN), 'fork_server.py');
if (existsSync(FORK_SERVER)) copyFileSync(FORK_SERVER, join(dirname(GATEWAY_MAIN), 'fork_server.py'));
// --console: the console's files where the copy finds them (dist/apps/console of the folder above
// it that holds a package.json, its installation).
if (cli.console) {
  const assets = join(ROOT, 'dist/apps/console');
  if (!existsSync(join(assets, 'index.html'))) usageError('--console needs the console built: run `npx nx run server:build` (it builds the console too)');
  cpSync(assets, join(work, 'dist/apps/console'), { recursive: true });
  writeFileSync(join(work, 'package.json'), '{"private": true}\n');
}
const NODE_PATH = [join(ROOT, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':');

/** The parent's environment without MCP_* settings (an API key in the shell would change the run). */
function baseEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MCP_')));
}

/**
 * @typedef {object} Server
 * @property {'gateway' | 'reference'} kind
 * @property {string} base
 * @property {import('./lib/proc.mjs').Managed} proc
 * @property {number} readyMs from spawn to the first /health answer that satisfied the check
 * @property {number} fdLimit
 */

/**
 * Wait for GET /health to answer 200 with a body satisfying `check`.
 * @param {string} base
 * @param {import('./lib/proc.mjs').Managed} proc
 * @param {(body: any) => boolean} check
 * @param {number} timeoutMs
 * @param {number} intervalMs
 * @returns {Promise<number>} ms from spawn
 */
async function waitHealthy(base, proc, check, timeoutMs, intervalMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited) throw new Error(`${proc.name} exited during startup:\n  ${proc.lines.slice(-15).join('\n  ')}`);
    try {
      const res = await request(`${base}/health`, { agent: false, timeoutMs: 2000 });
      if (res.status === 200 && check(JSON.parse(res.body))) return performance.now() - proc.startedAt;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${proc.name} not healthy within ${timeoutMs} ms:\n  ${proc.lines.slice(-15).join('\n  ')}`);
    await sleep(intervalMs);
  }
}

/**
 * Start the gateway's production bundle on a free loopback port.
 * @param {Record<string, string>} [overrides]
 * @param {{check?: (body: any) => boolean, intervalMs?: number, timeoutMs?: number, onLine?: (line: string) => void}} [options]
 * @returns {Promise<Server>}
 */
async function startGateway(overrides = {}, options = {}) {
  const port = await freePort();
  const env = {
    ...baseEnv(),
    MCP_HOST: '127.0.0.1',
    MCP_PORT: String(port),
    MCP_RATE_LIMIT: '0',
    MCP_DISCOVERY_CACHE: 'off',
    LOG_LEVEL: 'warn',
    MCP_PLUGINS_DIR: 'mcp/plugins',
    DEVOPS_STATE_FILE: stateFile,
    NODE_PATH,
    ...(cli.sandbox ? { MCP_SANDBOX: cli.sandbox } : {}),
    ...(cli.console ? { MCP_CONSOLE: '1' } : {}),
    ...overrides,
  };
  const proc = startChild('gateway', 'bash', ['-c', ULIMIT_WRAPPER, process.execPath, GATEWAY_MAIN], { cwd: ROOT, env, onLine: options.onLine });
  const base = `http://127.0.0.1:${port}`;
  const readyMs = await waitHealthy(base, proc, options.check ?? (() => true), options.timeoutMs ?? 60_000, options.intervalMs ?? 25);
  return { kind: 'gateway', base, proc, readyMs, fdLimit: openFileLimit(proc.pid) };
}

/**
 * Headless Chromium showing the gateway's operator console, its live stream connected (the page
 * says "live"): a browser connected for the whole run, as an operator would leave it open.
 * @param {string} base
 */
async function openConsole(base) {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.goto(`${base}/console#charts`);
  await page.waitForSelector('#live-state.on', { timeout: 30_000 });
  // An operator's browser runs on another machine: here it gets only the CPU the servers leave
  // (nice 19), so that the figures say what the console costs the gateway, not what rendering does.
  const tree = browserProcesses(process.pid).filter((pid) => /chrom/i.test(commOf(pid)));
  for (const pid of tree) {
    try {
      setPriority(pid, 19);
    } catch {
      // a process that just ended
    }
  }
  notes.push(
    `the operator console was on (MCP_CONSOLE=1) with headless Chromium ${browser.version()} showing /console#charts, its live stream connected, during the protocol, sdk and call phases (its ${tree.length} processes at nice 19)`,
  );
  return browser;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far (Linux /proc); undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** A process's command name (Linux /proc), '' when unknown. */
function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A process and its descendants, from /proc (Linux); just the process elsewhere. */
function browserProcesses(root) {
  if (root === undefined) return [];
  const children = new Map();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
      } catch {
        // gone
      }
    }
  } catch {
    return [root];
  }
  const out = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop();
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** @returns {Promise<Server>} the SDK reference server on a free loopback port */
async function startReference() {
  const port = await freePort();
  const env = { ...baseEnv(), REF_PORT: String(port), REF_HOST: '127.0.0.1', REF_PYTHON: python, REF_PLUGIN_DIR: DEVOPS_DIR, DEVOPS_STATE_FILE: stateFile };
  const proc = startChild('reference', 'bash', ['-c', ULIMIT_WRAPPER, process.execPath, REFERENCE], { cwd: ROOT, env });
  const base = `http://127.0.0.1:${port}`;
  const readyMs = await waitHealthy(base, proc, () => true, 30_000, 25);
  return { kind: 'reference', base, proc, readyMs, fdLimit: openFileLimit(proc.pid) };
}

/**
 * Stop a server and note anything unusual about it.
 * @param {Server} server
 * @param {string} label
 */
async function stopServer(server, label) {
  const { stopMs, forced } = await stopChild(server.proc, 5000);
  if (forced) notes.push(`${label}: ${server.kind} did not exit within 5 s of SIGTERM and was killed (SIGKILL)`);
  if (server.kind === 'gateway' && server.proc.warningCount > 0) {
    notes.push(`${label}: the gateway logged ${server.proc.warningCount} warning/error line(s), e.g. \`${server.proc.warnings[0]?.slice(0, 240)}\``);
  }
  return { stopMs, forced, warnings: server.proc.warnings.slice(0, 20), warningCount: server.proc.warningCount };
}

/** The environment the gateway gives a plugin (allow-list + its own variables), for raw spawns. */
function pluginEnv() {
  const allow = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_.*|TZ|TMPDIR|TEMP|TMP)$/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => allow.test(name)));
  return { ...env, DEVOPS_STATE_FILE: stateFile, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' };
}

const STATUS_ARGV = ['cli.py', 'status', '--app-name=bench'];

/**
 * One raw spawn of the command line both servers run for devops__status.
 * @returns {Promise<void>}
 */
async function rawStatus() {
  const { spawn } = await import('node:child_process');
  return new Promise((resolveRun, reject) => {
    const child = spawn(python, STATUS_ARGV, { cwd: DEVOPS_DIR, env: { ...pluginEnv(), MCP_REQUEST_ID: 'bench' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0 || JSON.parse(out).result?.deployed !== true) throw new Error(`raw spawn: exit ${code}: ${out.slice(0, 200)}`);
        resolveRun();
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * tools/call devops__status through a raw Streamable HTTP session; throws unless it succeeded.
 * @param {RawMcpSession} session
 */
async function callStatus(session) {
  const response = await session.call('tools/call', { name: 'devops__status', arguments: { 'app-name': 'bench' } });
  const result = response.result;
  if (!result || result.isError || !String(result.content?.[0]?.text ?? '').includes('"deployed": true')) {
    throw new Error(`tools/call failed: ${JSON.stringify(response).slice(0, 300)}`);
  }
}

/**
 * Time `fn`.
 * @param {() => Promise<unknown>} fn
 * @returns {Promise<number>} ms
 */
async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * `total` calls of `fn` with `concurrency` in flight.
 * @param {number} total
 * @param {number} concurrency
 * @param {() => Promise<unknown>} fn
 * @returns {Promise<{calls: number, errors: number, elapsedS: number, firstError?: string}>}
 */
async function concurrently(total, concurrency, fn) {
  let next = 0;
  let errors = 0;
  /** @type {string | undefined} */
  let firstError;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        try {
          await fn();
        } catch (err) {
          errors += 1;
          firstError ??= /** @type {Error} */ (err).message;
        }
      }
    }),
  );
  return { calls: total, errors, elapsedS: (performance.now() - started) / 1000, firstError };
}

// ---------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------

/**
 * Protocol cost: ping and tools/list over /mcp (both), ping over an HTTP+SSE session (both,
 * 202 acceptance with responses drained from the stream), and the gateway's stateless
 * POST /message (no reference equivalent).
 * @param {Server} gateway
 * @param {Server} reference
 */
async function protocolPhase(gateway, reference) {
  const servers = [gateway, reference];
  /** @type {Record<string, {mcp: RawMcpSession, sse: SseStream, toolCount: number, listBytes: number}>} */
  const ctx = {};
  for (const server of servers) {
    const agent = keepAliveAgent(4);
    onCleanup(() => agent.destroy());
    const mcp = await new RawMcpSession(server.base, agent).open();
    const ping = await mcp.call('ping');
    if (!ping.result) throw new Error(`${server.kind}: ping failed: ${JSON.stringify(ping)}`);
    const list = await mcp.call('tools/list');
    const sse = await new SseStream(server.base).open();
    onCleanup(() => sse.close());
    const init = await sse.roundTrip(
      { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: LEGACY_PROTOCOL, capabilities: {}, clientInfo: { name: 'sanctum-bench', version: '1.0.0' } } },
      agent,
    );
    if (!init.result) throw new Error(`${server.kind}: HTTP+SSE initialize failed: ${JSON.stringify(init)}`);
    await sse.roundTrip({ jsonrpc: '2.0', method: 'notifications/initialized' }, agent);
    const legacyPing = await sse.roundTrip({ jsonrpc: '2.0', id: 'p', method: 'ping' }, agent);
    if (!legacyPing.result) throw new Error(`${server.kind}: HTTP+SSE ping failed`);
    ctx[server.kind] = { mcp, sse, toolCount: list.result.tools.length, listBytes: JSON.stringify(list).length };
  }
  const stateless = await request(`${gateway.base}/message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  if (stateless.status !== 200) throw new Error(`gateway stateless POST /message ping answered ${stateless.status}`);

  /** @param {string} method */
  const body = (method) => `{"jsonrpc":"2.0","id":"[<id>]","method":"${method}"}`;
  /**
   * @param {Server} server
   * @param {{transport: string, method: string}} c
   * @param {number} connections
   * @param {number} durationS
   */
  const runCase = async (server, c, connections, durationS) => {
    const { mcp, sse } = ctx[server.kind];
    if (c.transport === 'mcp') {
      return post({ url: `${server.base}/mcp`, headers: mcp.headers(), body: body(c.method), connections, durationS });
    }
    if (c.transport === 'stateless') {
      return post({ url: `${server.base}/message`, headers: { 'content-type': 'application/json' }, body: body(c.method), connections, durationS });
    }
    const before = sse.messages;
    const run = await post({ url: sse.endpoint, headers: { 'content-type': 'application/json' }, body: body(c.method), connections, durationS });
    await sse.waitFor(before + run.ok, 10_000);
    return { ...run, delivered: sse.messages - before };
  };

  log('protocol: warm-up');
  for (const server of servers) {
    await runCase(server, { transport: 'mcp', method: 'ping' }, 16, profile.warmupS);
    await runCase(server, { transport: 'mcp', method: 'tools/list' }, 16, profile.warmupS);
  }

  const cases = [
    { id: 'mcp-ping', transport: 'mcp', method: 'ping', both: true },
    { id: 'mcp-tools-list', transport: 'mcp', method: 'tools/list', both: true },
    { id: 'sse-session-ping', transport: 'sse', method: 'ping', both: true },
    { id: 'message-stateless-ping', transport: 'stateless', method: 'ping', both: false },
  ];
  /** @type {Record<string, Record<string, any[]>>} */
  const runs = {};
  for (let round = 1; round <= profile.rounds; round++) {
    for (const c of cases) {
      for (const connections of [1, 16]) {
        const key = `${c.id}-c${connections}`;
        runs[key] ??= { gateway: [], reference: [] };
        for (const server of c.both ? servers : [gateway]) {
          const run = await runCase(server, c, connections, profile.durationS);
          runs[key][server.kind].push(run);
          log(`protocol: ${key} ${server.kind} round ${round}: ${fmtNum(run.rps)} req/s, p50 ${fmtMs(run.p50)}, p99 ${fmtMs(run.p99)}${run.non2xx || run.errors ? `, non-2xx ${run.non2xx}, errors ${run.errors}` : ''}`);
        }
      }
    }
  }
  /** @type {Record<string, any>} */
  const out = { toolCount: {}, toolsListBytes: {} };
  for (const server of servers) {
    out.toolCount[server.kind] = ctx[server.kind].toolCount;
    out.toolsListBytes[server.kind] = ctx[server.kind].listBytes;
  }
  for (const [key, byServer] of Object.entries(runs)) {
    out[key] = {};
    for (const [kind, list] of Object.entries(byServer)) {
      if (list.length === 0) continue;
      const delivered = list.reduce((a, r) => a + (r.delivered ?? 0), 0);
      const merged = merge(list);
      // Requests still in flight when a run stops are answered but not counted as 2xx: more
      // deliveries than 2xx answers is not a gain, fewer is a loss.
      out[key][kind] = key.startsWith('sse-') ? { ...merged, delivered, lost: Math.max(0, merged.ok - delivered) } : merged;
      if (merged.non2xx || merged.errors || merged.timeouts) {
        notes.push(`protocol ${key}: ${kind} had ${merged.non2xx} non-2xx answers, ${merged.errors} connection errors, ${merged.timeouts} timeouts`);
      }
      if (key.startsWith('sse-') && merged.ok - delivered > 0) {
        notes.push(`protocol ${key}: ${kind} accepted ${merged.ok} POSTs (202) but only ${delivered} responses arrived on the SSE stream within 10 s`);
      }
    }
  }
  for (const server of servers) {
    await ctx[server.kind].mcp.close();
    ctx[server.kind].sse.close();
  }
  return out;
}

/**
 * SDK-client end-to-end latency: Client + StreamableHTTPClientTransport, sequential ping and
 * tools/list, alternating servers in rounds.
 * @param {Server} gateway
 * @param {Server} reference
 */
async function sdkPhase(gateway, reference) {
  const servers = [gateway, reference];
  /** @type {Record<string, {client: InstanceType<typeof Client>, transport: InstanceType<typeof StreamableHTTPClientTransport>, ping: number[], list: number[]}>} */
  const ctx = {};
  for (const server of servers) {
    const client = new Client({ name: 'sanctum-bench', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`));
    await client.connect(transport);
    onCleanup(() => void client.close());
    for (let i = 0; i < 20; i++) await client.ping(); // warm-up
    ctx[server.kind] = { client, transport, ping: [], list: [] };
  }
  const perRound = Math.ceil(profile.sdkN / profile.rounds);
  for (let round = 1; round <= profile.rounds; round++) {
    for (const server of servers) {
      const c = ctx[server.kind];
      for (let i = 0; i < perRound; i++) c.ping.push(await timed(() => c.client.ping()));
      for (let i = 0; i < perRound; i++) c.list.push(await timed(() => c.client.listTools()));
      log(`sdk: ${server.kind} round ${round} done`);
    }
  }
  /** @type {Record<string, any>} */
  const out = {};
  for (const server of servers) {
    const c = ctx[server.kind];
    out[server.kind] = { ping: summary(c.ping), toolsList: summary(c.list) };
    await c.transport.terminateSession().catch(() => undefined);
    await c.client.close();
  }
  return out;
}

/**
 * tools/call devops__status: sequential latency through each server and by raw spawn
 * (interleaved call by call), then throughput at concurrency 8 against 8 parallel raw spawns.
 * @param {Server} gateway
 * @param {Server} reference
 */
async function callPhase(gateway, reference) {
  // Builds with a Python fork server (MCP_FORK_SERVER, on by default) run plugins without a new
  // interpreter per call: a second gateway with it off measures the spawn-per-call path too.
  const forkAware = readFileSync(GATEWAY_MAIN, 'utf8').includes('MCP_FORK_SERVER');
  const spawning = forkAware ? await startGateway({ MCP_FORK_SERVER: '0' }) : undefined;
  try {
    /** @type {Record<string, RawMcpSession>} */
    const sessions = {
      gateway: await new RawMcpSession(gateway.base, keepAliveAgent(CONCURRENCY)).open(),
      reference: await new RawMcpSession(reference.base, keepAliveAgent(CONCURRENCY)).open(),
    };
    if (spawning) sessions.gatewaySpawn = await new RawMcpSession(spawning.base, keepAliveAgent(CONCURRENCY)).open();
    onCleanup(() => Object.values(sessions).forEach((s) => s.agent.destroy()));
    /** @type {Record<string, () => Promise<void>>} */
    const subjects = { gateway: () => callStatus(sessions.gateway) };
    if (spawning) subjects.gatewaySpawn = () => callStatus(sessions.gatewaySpawn);
    subjects.reference = () => callStatus(sessions.reference);
    subjects.raw = rawStatus;
    const names = Object.keys(subjects);
    for (const name of names) for (let i = 0; i < 3; i++) await subjects[name](); // warm-up (starts a fork server)
    /** @type {Record<string, number[]>} */
    const seq = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < profile.callN; i++) {
      // Rotate the order so that no subject always runs right after another.
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        seq[name].push(await timed(subjects[name]));
      }
      if ((i + 1) % 10 === 0) log(`call: sequential ${i + 1}/${profile.callN}`);
    }
    /** @type {Record<string, {calls: number, errors: number, elapsedS: number, firstError?: string}[]>} */
    const conc = Object.fromEntries(names.map((n) => [n, []]));
    const perRound = Math.ceil(profile.callConcurrentN / profile.rounds);
    for (let round = 1; round <= profile.rounds; round++) {
      for (const name of names) {
        const run = await concurrently(perRound, CONCURRENCY, subjects[name]);
        conc[name].push(run);
        log(`call: concurrency ${CONCURRENCY} ${name} round ${round}: ${fmtNum(run.calls / run.elapsedS, 1)} calls/s${run.errors ? `, ${run.errors} errors (${run.firstError})` : ''}`);
      }
    }
    /** @type {Record<string, any>} */
    const out = { forkServerBuild: forkAware, sequential: {}, concurrent: {}, pairedOverheadMs: {} };
    for (const name of names) {
      out.sequential[name] = summary(seq[name]);
      // The same iteration's calls ran back to back: their differences cancel slow spells of the machine.
      if (name !== 'raw') out.pairedOverheadMs[name] = median(seq[name].map((ms, i) => ms - seq.raw[i]));
      const calls = conc[name].reduce((a, r) => a + r.calls, 0);
      const errors = conc[name].reduce((a, r) => a + r.errors, 0);
      const elapsedS = conc[name].reduce((a, r) => a + r.elapsedS, 0);
      out.concurrent[name] = { calls, errors, elapsedS, callsPerS: (calls - errors) / elapsedS, rounds: conc[name].map((r) => +(r.calls / r.elapsedS).toFixed(1)) };
      if (errors) notes.push(`tools/call at concurrency ${CONCURRENCY}: ${name} had ${errors} failed calls, first: ${conc[name].find((r) => r.firstError)?.firstError}`);
    }
    for (const session of Object.values(sessions)) await session.close();
    return out;
  } finally {
    if (spawning) await stopServer(spawning, 'tools/call (MCP_FORK_SERVER=0)');
  }
}

/**
 * Open `k` HTTP+SSE sessions on a fresh server; RSS before and after, /health latency while
 * they are open, and what is left once they are closed.
 * @param {'gateway' | 'reference'} kind
 * @param {number} k
 */
async function idleRun(kind, k) {
  const server = kind === 'gateway' ? await startGateway({ MCP_MAX_SESSIONS: String(k + 100) }) : await startReference();
  const streams = /** @type {SseStream[]} */ ([]);
  const unregister = onCleanup(() => streams.forEach((s) => s.close()));
  try {
    const agent = keepAliveAgent(1);
    for (let i = 0; i < 50; i++) await request(`${server.base}/health`, { agent });
    await sleep(1000);
    const rssBefore = rssBytes(server.proc.pid);
    let failed = 0;
    /** @type {string | undefined} */
    let firstError;
    let next = 0;
    const openStarted = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < k) {
          next += 1;
          try {
            streams.push(await new SseStream(server.base).open(20_000));
          } catch (err) {
            failed += 1;
            firstError ??= /** @type {Error} */ (err).message;
          }
        }
      }),
    );
    const openS = (performance.now() - openStarted) / 1000;
    await sleep(profile.name === 'full' ? 3000 : 1500);
    const rssOpen = rssBytes(server.proc.pid);
    const health = [];
    let reported = Number.NaN;
    for (let i = 0; i < profile.healthN; i++) {
      const t = performance.now();
      const res = await request(`${server.base}/health`, { agent });
      health.push(performance.now() - t);
      if (i === 0) reported = JSON.parse(res.body).sessions;
    }
    for (const s of streams) s.close();
    // Sessions should be gone shortly after their streams closed.
    let left = Number.NaN;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      left = JSON.parse((await request(`${server.base}/health`, { agent })).body).sessions;
      if (left === 0) break;
      await sleep(200);
    }
    await sleep(1000);
    const rssAfter = rssBytes(server.proc.pid);
    agent.destroy();
    const opened = streams.length;
    if (failed) notes.push(`idle sessions (${kind}, K=${k}): ${failed} of ${k} SSE sessions failed to open, first: ${firstError}`);
    if (Number.isFinite(reported) && reported !== opened) notes.push(`idle sessions (${kind}, K=${k}): /health reported ${reported} sessions while ${opened} were open`);
    if (left !== 0) notes.push(`idle sessions (${kind}, K=${k}): ${left} sessions still counted 10 s after every stream was closed`);
    const stop = await stopServer(server, `idle sessions K=${k}`);
    return {
      k,
      opened,
      failed,
      openPerS: opened / openS,
      fdLimit: server.fdLimit,
      rssBefore,
      rssOpen,
      rssAfterClose: rssAfter,
      extraBytes: rssOpen - rssBefore,
      bytesPerSession: (rssOpen - rssBefore) / Math.max(1, opened),
      health: summary(health),
      sessionsReported: reported,
      sessionsLeftAfterClose: left,
      stop,
    };
  } finally {
    for (const s of streams) s.close();
    unregister();
    if (!server.proc.hasExited) await stopChild(server.proc);
  }
}

async function idlePhase() {
  /** @type {Record<string, any>} */
  const out = {};
  const ownLimit = openFileLimit('self');
  for (const k0 of profile.idleK) {
    let k = k0;
    if (ownLimit < k + 500) {
      k = Math.max(0, ownLimit - 500);
      notes.push(`idle sessions: the harness may open ${ownLimit} files (ulimit -n), so K=${k0} was reduced to ${k}; raise ulimit -n to measure ${k0}`);
    }
    for (const kind of /** @type {const} */ (['gateway', 'reference'])) {
      if (pastDeadline()) return out;
      log(`idle: ${kind}, opening ${k} SSE sessions`);
      const run = await idleRun(kind, k);
      if (run.fdLimit < k + 100) notes.push(`idle sessions: the ${kind} process may open only ${run.fdLimit} files`);
      (out[String(k0)] ??= {})[kind] = run;
      log(`idle: ${kind} K=${k}: +${fmtMB(run.extraBytes)} RSS, /health p99 ${fmtMs(run.health.p99)}, ${fmtNum(run.openPerS)} opens/s`);
    }
  }
  return out;
}

/**
 * Start-to-ready with 100 generated plugins: cold (no cache file) and warm (cache present), and
 * an empty plugins folder as the baseline (Node, module loading, Nest, interpreter resolution).
 * These starts log at debug so that the time spent inside the process between "Starting Nest
 * application" and "Plugin discovery finished" can be read from the log's timestamps.
 */
async function discoveryPhase() {
  const plugins = tempDir('sanctum-bench-plugins-');
  writePlugins(plugins, 100);
  const empty = tempDir('sanctum-bench-empty-');
  const cacheFile = join(work, 'discovery-cache.json');
  /** @type {Record<'baseline' | 'cold' | 'warm', {readyMs: number[], discoveryMs: number[]}>} */
  const times = { baseline: { readyMs: [], discoveryMs: [] }, cold: { readyMs: [], discoveryMs: [] }, warm: { readyMs: [], discoveryMs: [] } };
  /**
   * @param {'baseline' | 'cold' | 'warm'} what
   */
  const start = async (what) => {
    const dir = what === 'baseline' ? empty : plugins;
    const expected = what === 'baseline' ? 0 : 100;
    if (what === 'cold') rmSync(cacheFile, { force: true });
    if (what === 'warm' && !existsSync(cacheFile)) notes.push('discovery: no cache file was written by the cold start; the warm start ran without a cache');
    /** @type {number | undefined} */
    let nestStarted;
    /** @type {number | undefined} */
    let discovered;
    const stamp = (/** @type {string} */ line) => Date.parse(line.slice(0, line.indexOf(' ')));
    const server = await startGateway(
      { MCP_PLUGINS_DIR: dir, MCP_DISCOVERY_CACHE: what === 'baseline' ? 'off' : cacheFile, LOG_LEVEL: 'debug', MCP_WATCH: '0' },
      {
        check: (body) => body?.info?.plugins?.loaded >= expected,
        intervalMs: 5,
        timeoutMs: 120_000,
        onLine: (line) => {
          if (line.includes('Starting Nest application')) nestStarted = stamp(line);
          else if (line.includes('Plugin discovery finished')) discovered = stamp(line);
        },
      },
    );
    const health = JSON.parse((await request(`${server.base}/health`)).body);
    const skipped = health?.info?.plugins?.skipped;
    if (skipped) notes.push(`discovery (${what}): ${skipped} plugins skipped`);
    const discoveryMs = nestStarted !== undefined && discovered !== undefined ? discovered - nestStarted : Number.NaN;
    times[what].readyMs.push(server.readyMs);
    times[what].discoveryMs.push(discoveryMs);
    log(`discovery: ${what}: ready in ${fmtMs(server.readyMs)}, ${fmtMs(discoveryMs)} from Nest start to discovery finished (${health?.info?.plugins?.loaded} plugins, ${health?.info?.plugins?.tools} tools)`);
    server.proc.warningCount = 0; // debug logging here: warnings were counted in the other phases
    await stopServer(server, `discovery ${what}`);
  };
  for (let rep = 0; rep < Math.max(profile.discoveryReps, profile.discoveryColdReps); rep++) {
    if (pastDeadline()) break;
    if (rep < profile.discoveryColdReps) await start('cold');
    if (rep < profile.discoveryReps) {
      await start('warm');
      await start('baseline');
    }
  }
  /** @param {'baseline' | 'cold' | 'warm'} what */
  const med = (what) => ({ readyMs: median(times[what].readyMs), discoveryMs: median(times[what].discoveryMs.filter(Number.isFinite)) });
  return { plugins: 100, baseline: med('baseline'), cold: med('cold'), warm: med('warm'), runs: times };
}

/** One plugin whose `--describe` declares `n` commands (`cmd-000`...), each with two parameters. */
function writeBulkPlugin(dir, n) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'cli.py'),
    `import json, sys
N = ${n}
if sys.argv[1:] == ["--describe"]:
    print(json.dumps({"contract_version": "1.0", "plugin": {"name": "bulk"}, "commands": [
        {"name": "cmd-%03d" % i, "description": "Command %d of the profiles benchmark: it echoes its two arguments" % i,
         "parameters": [{"name": "target", "type": "string", "required": True, "description": "What to act on"},
                        {"name": "count", "type": "integer", "required": False, "description": "How many times"}]}
        for i in range(N)]}))
else:
    print(json.dumps({"ok": True}))
`,
  );
}

/**
 * tools/list with a 500-tool catalog, for a key whose profile shows 20 of them and for a key that
 * sees the whole catalog (no binding, no default profile): payload, sequential latency (one
 * session each, alternating) and throughput with 16 connections, in rounds.
 */
async function profilesPhase() {
  const plugins = tempDir('sanctum-bench-profiles-');
  writeBulkPlugin(join(plugins, 'bulk'), 500);
  const profilesFile = join(work, 'profiles.json');
  writeFileSync(profilesFile, JSON.stringify({ profiles: { twenty: { tools: ['bulk__cmd-00*', 'bulk__cmd-01*'] } }, bindings: { keys: { twenty: 'twenty' } } }));
  const keys = { all: 'bench-all-key-0123456789', twenty: 'bench-twenty-key-0123456789' };
  const server = await startGateway(
    { MCP_PLUGINS_DIR: plugins, MCP_PROFILES: profilesFile, MCP_API_KEYS: `all:${keys.all},twenty:${keys.twenty}`, MCP_WATCH: '0' },
    { check: (body) => body?.info?.plugins?.tools >= 500 },
  );
  try {
    const agent = keepAliveAgent(4);
    onCleanup(() => agent.destroy());
    /** @type {Record<'all' | 'twenty', {mcp: RawMcpSession, tools: number, bytes: number, ms: number[], runs: any[]}>} */
    const ctx = /** @type {any} */ ({});
    for (const who of /** @type {const} */ (['all', 'twenty'])) {
      const mcp = await new RawMcpSession(server.base, agent, { authorization: `Bearer ${keys[who]}` }).open();
      const list = await mcp.call('tools/list');
      ctx[who] = { mcp, tools: list.result.tools.length, bytes: JSON.stringify(list).length, ms: [], runs: [] };
    }
    if (ctx.all.tools < 500 || ctx.twenty.tools !== 20) throw new Error(`profiles: expected 500+ and 20 tools, got ${ctx.all.tools} and ${ctx.twenty.tools}`);
    const body = '{"jsonrpc":"2.0","id":"[<id>]","method":"tools/list"}';
    for (const who of /** @type {const} */ (['all', 'twenty'])) {
      await post({ url: `${server.base}/mcp`, headers: ctx[who].mcp.headers(), body, connections: 16, durationS: profile.warmupS });
    }
    for (let round = 1; round <= profile.rounds; round++) {
      for (const who of /** @type {const} */ (['all', 'twenty'])) {
        for (let i = 0; i < profile.sdkN / profile.rounds; i++) ctx[who].ms.push(await timed(() => ctx[who].mcp.call('tools/list')));
        const run = await post({ url: `${server.base}/mcp`, headers: ctx[who].mcp.headers(), body, connections: 16, durationS: profile.durationS });
        ctx[who].runs.push(run);
        log(`profiles: ${who} round ${round}: ${fmtNum(run.rps)} req/s with 16 connections (p50 ${fmtMs(run.p50)}, p99 ${fmtMs(run.p99)})`);
        if (run.non2xx || run.errors) notes.push(`profiles ${who}: ${run.non2xx} non-2xx answers, ${run.errors} connection errors`);
      }
    }
    /** @type {Record<string, any>} */
    const out = {};
    for (const who of /** @type {const} */ (['all', 'twenty'])) {
      out[who] = { tools: ctx[who].tools, bytes: ctx[who].bytes, sequential: summary(ctx[who].ms), c16: merge(ctx[who].runs) };
      await ctx[who].mcp.close();
    }
    return out;
  } finally {
    await stopServer(server, 'profiles');
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {object} Row
 * @property {string} metric
 * @property {string} gateway
 * @property {string} reference
 * @property {string} ratio
 * @property {string} target
 * @property {string} status
 */

/**
 * @param {boolean | undefined} met
 * @param {string} [suffix]
 */
const status = (met, suffix = '') => (met === undefined ? 'info' : `${met ? 'met' : 'NOT MET'}${suffix}`);

/** @returns {Row[]} */
function buildRows() {
  /** @type {Row[]} */
  const rows = [];
  const p = results.protocol;
  if (p) {
    /** @param {any} r */
    const cell = (r) => (r ? `${fmtNum(r.rps)} req/s (p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)})` : 'n/a');
    for (const [key, label] of [
      ['mcp-ping-c1', '/mcp ping, 1 connection'],
      ['mcp-ping-c16', '/mcp ping, 16 connections'],
      ['mcp-tools-list-c1', '/mcp tools/list, 1 connection'],
      ['mcp-tools-list-c16', '/mcp tools/list, 16 connections'],
    ]) {
      const g = p[key]?.gateway;
      const r = p[key]?.reference;
      const ratio = g && r ? g.rps / r.rps : Number.NaN;
      const p99 = g && r ? g.p99 / r.p99 : Number.NaN;
      rows.push({
        metric: label,
        gateway: cell(g),
        reference: cell(r),
        ratio: `${fmtRatio(ratio)} req/s, p99 ${fmtRatio(p99)}`,
        target: '>= 2x req/s, p99 no worse',
        status: status(g && r ? ratio >= TARGETS.protocolRatio && g.p99 <= r.p99 : undefined),
      });
    }
    for (const c of [1, 16]) {
      const g = p[`sse-session-ping-c${c}`]?.gateway;
      const r = p[`sse-session-ping-c${c}`]?.reference;
      rows.push({
        metric: `HTTP+SSE session: POST /message ping (202; response on the stream), ${c} conn.`,
        gateway: cell(g),
        reference: cell(r),
        ratio: g && r ? `${fmtRatio(g.rps / r.rps)} req/s, p99 ${fmtRatio(g.p99 / r.p99)}` : 'n/a',
        target: 'info',
        status: 'info',
      });
    }
    for (const c of [1, 16]) {
      const g = p[`message-stateless-ping-c${c}`]?.gateway;
      rows.push({
        metric: `stateless POST /message ping (answer in body; gateway only), ${c} conn.`,
        gateway: cell(g),
        reference: 'no equivalent',
        ratio: '-',
        target: 'info',
        status: 'info',
      });
    }
  }
  const s = results.sdk;
  if (s) {
    for (const [key, label] of [
      ['ping', 'SDK client ping, sequential'],
      ['toolsList', 'SDK client tools/list, sequential'],
    ]) {
      const g = s.gateway?.[key];
      const r = s.reference?.[key];
      rows.push({
        metric: `${label} (N=${g?.n ?? 'n/a'})`,
        gateway: g ? `p50 ${fmtMs(g.p50)}, p99 ${fmtMs(g.p99)}` : 'n/a',
        reference: r ? `p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}` : 'n/a',
        ratio: g && r ? `p50 ${fmtRatio(g.p50 / r.p50)}, p99 ${fmtRatio(g.p99 / r.p99)}` : 'n/a',
        target: 'info',
        status: 'info',
      });
    }
  }
  const c = results.call;
  if (c) {
    const g = c.sequential.gateway;
    const gs = c.sequential.gatewaySpawn;
    const r = c.sequential.reference;
    const raw = c.sequential.raw;
    const signed = (/** @type {number} */ ms) => `${ms >= 0 ? '+' : ''}${fmtMs(ms)}`;
    const seqCell = (/** @type {any} */ x) => `p50 ${fmtMs(x.p50)}, p99 ${fmtMs(x.p99)}`;
    rows.push({
      metric: `tools/call devops__status, sequential (N=${g.n}; raw spawn p50 ${fmtMs(raw.p50)}, p99 ${fmtMs(raw.p99)})`,
      gateway: `${seqCell(g)}${gs ? `; with MCP_FORK_SERVER=0: ${seqCell(gs)}` : ''}`,
      reference: seqCell(r),
      ratio: `p50 ${fmtRatio(g.p50 / r.p50)}`,
      target: 'info',
      status: 'info',
    });
    const overhead = g.p50 - raw.p50;
    rows.push({
      metric: 'tools/call overhead over the raw spawn: p50 - raw p50 (median of paired differences)',
      gateway: `${signed(overhead)} (${signed(c.pairedOverheadMs.gateway)})${gs ? `; with MCP_FORK_SERVER=0: ${signed(gs.p50 - raw.p50)} (${signed(c.pairedOverheadMs.gatewaySpawn)})` : ''}`,
      reference: `${signed(r.p50 - raw.p50)} (${signed(c.pairedOverheadMs.reference)})`,
      ratio: '-',
      target: '<= 3 ms at p50',
      status: status(overhead <= TARGETS.callOverheadMs, gs ? ` (MCP_FORK_SERVER=0: ${gs.p50 - raw.p50 <= TARGETS.callOverheadMs ? 'met' : 'NOT MET'})` : ''),
    });
    const gc = c.concurrent.gateway;
    const gsc = c.concurrent.gatewaySpawn;
    const rc = c.concurrent.reference;
    const rawc = c.concurrent.raw;
    const share = (/** @type {any} */ x) => `${fmtNum(x.callsPerS, 1)} calls/s (${fmtNum((100 * x.callsPerS) / rawc.callsPerS)}% of raw)`;
    rows.push({
      metric: `tools/call throughput, concurrency ${CONCURRENCY} (raw ceiling: ${fmtNum(rawc.callsPerS, 1)} spawns/s)`,
      gateway: `${share(gc)}${gsc ? `; with MCP_FORK_SERVER=0: ${share(gsc)}` : ''}`,
      reference: share(rc),
      ratio: fmtRatio(gc.callsPerS / rc.callsPerS),
      target: '>= 90% of raw ceiling',
      status: status(
        gc.callsPerS >= TARGETS.concurrentShare * rawc.callsPerS,
        gsc ? ` (MCP_FORK_SERVER=0: ${gsc.callsPerS >= TARGETS.concurrentShare * rawc.callsPerS ? 'met' : 'NOT MET'})` : '',
      ),
    });
  }
  const idle = results.idle;
  if (idle) {
    for (const [k, byKind] of Object.entries(idle)) {
      const g = byKind.gateway;
      const r = byKind.reference;
      if (!g) continue;
      const exact = Number(k) === TARGETS.idleSessions && g.opened === TARGETS.idleSessions;
      const projected = g.bytesPerSession * TARGETS.idleSessions;
      /** @param {any} x */
      const mem = (x) => (x ? `+${fmtMB(x.extraBytes)} for ${fmtNum(x.opened)} (${fmtNum(x.bytesPerSession / 1024, 1)} KB each)` : 'n/a');
      rows.push({
        metric: `idle HTTP+SSE sessions: extra RSS, K=${fmtNum(Number(k))}`,
        gateway: `${mem(g)}${exact ? '' : `; ~${fmtMB(projected)} projected at 10,000`}`,
        reference: mem(r),
        ratio: r ? fmtRatio(g.extraBytes / r.extraBytes) : 'n/a',
        target: '<= 150 MB at 10,000',
        status: exact ? status(g.extraBytes <= TARGETS.idleExtraBytes) : status(projected <= TARGETS.idleExtraBytes, ` (rough projection from K=${fmtNum(g.opened)})`),
      });
      rows.push({
        metric: `/health latency with K=${fmtNum(Number(k))} sessions open (N=${g.health.n})`,
        gateway: `p50 ${fmtMs(g.health.p50)}, p99 ${fmtMs(g.health.p99)}`,
        reference: r ? `p50 ${fmtMs(r.health.p50)}, p99 ${fmtMs(r.health.p99)} (plain JSON route)` : 'n/a',
        ratio: r ? `p99 ${fmtRatio(g.health.p99 / r.health.p99)}` : 'n/a',
        target: '< 20 ms p99 (at 10,000)',
        status: status(g.health.p99 < TARGETS.healthP99Ms, exact ? '' : ` (at ${fmtNum(g.opened)})`),
      });
    }
  }
  const d = results.discovery;
  if (d) {
    /** @param {'cold' | 'warm'} what */
    const cell = (what) =>
      `${fmtMs(d[what].readyMs)} (discovery itself ${fmtMs(d[what].discoveryMs)}; empty-folder start ${fmtMs(d.baseline.readyMs)})`;
    rows.push({
      metric: `100 plugins: start to ready, cold (no cache file; median of ${d.runs.cold.readyMs.length})`,
      gateway: cell('cold'),
      reference: '-',
      ratio: '-',
      target: '< 3 s',
      status: status(d.cold.readyMs < TARGETS.discoveryColdMs),
    });
    rows.push({
      metric: `100 plugins: start to ready, warm (cache present; median of ${d.runs.warm.readyMs.length})`,
      gateway: cell('warm'),
      reference: '-',
      ratio: '-',
      target: '< 0.5 s',
      status: status(d.warm.readyMs < TARGETS.discoveryWarmMs),
    });
  }
  const pr = results.profiles;
  if (pr) {
    /** @param {any} r */
    const cell = (r) => `${r.tools} tools, ${fmtNum(r.bytes)} bytes; p50 ${fmtMs(r.sequential.p50)}, p99 ${fmtMs(r.sequential.p99)}; ${fmtNum(r.c16.rps)} req/s at 16 connections`;
    rows.push({
      metric: 'tools/list of a 500-tool catalog: a profile showing 20 (gateway column) vs the whole catalog (reference column), one session each',
      gateway: cell(pr.twenty),
      reference: cell(pr.all),
      ratio: fmtRatio(pr.all.sequential.p50 / pr.twenty.sequential.p50),
      target: '-',
      status: status(undefined),
    });
  }
  if (results.scaleout) rows.push(...scaleoutRows(results.scaleout));
  return rows;
}

/**
 * @param {Row[]} rows
 * @returns {string}
 */
function markdown(rows) {
  const esc = (/** @type {string} */ s) => s.replace(/\|/g, '\\|');
  const lines = ['| metric | gateway | reference (SDK) | ratio | target | status |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.metric, r.gateway, r.reference, r.ratio, r.target, r.status].map(esc).join(' | ')} |`);
  return lines.join('\n');
}

/** Median wall time of `python -c pass` (5 runs): the floor of every plugin call and discovery. */
function pythonStartupMs() {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    execFileSync(python, ['-c', 'pass'], { env: pluginEnv(), stdio: 'ignore' });
    times.push(performance.now() - t);
  }
  return median(times);
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function machine() {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    date: new Date().toISOString(),
    profile: profile.name,
    node: process.version,
    cpus: cpus().length,
    cpuModel: model,
    memTotal: fmtMB(totalmem()),
    memFree: fmtMB(freemem()),
    python,
    pythonStartupMs: pythonStartupMs(),
    loadavgStart: loadavg(),
    loadavgEnd: '',
    bundle: MAIN,
    bundleMtime: bundleInfo.mtime,
    bundleBytes: bundleInfo.bytes,
  };
}

/** Sources newer than the bundle: the numbers would not describe the code in the tree. */
function staleSources() {
  const built = statSync(MAIN).mtimeMs;
  /** @type {string[]} */
  const newer = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && statSync(path).mtimeMs > built) newer.push(path.slice(ROOT.length + 1));
    }
  };
  for (const dir of ['apps/server/src', 'libs']) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return newer;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const meta = machine();
  log(`profile ${profile.name}; node ${meta.node}; ${meta.cpus} CPUs (${meta.cpuModel}); python ${python}`);
  const stale = staleSources();
  if (stale.length) {
    notes.push(`the bundle is older than ${stale.length} source file(s) (e.g. ${stale[0]}): rebuild with \`npx nx run server:build\` for current numbers`);
    log(`warning: ${notes[notes.length - 1]}`);
  }
  // The devops ledger the tool reads, seeded with one deployment.
  execFileSync(python, ['cli.py', 'deploy', '--app-name=bench', '--version=1.0.0'], { cwd: DEVOPS_DIR, env: { ...pluginEnv() }, stdio: 'ignore' });

  const needServers = only.some((ph) => ['protocol', 'sdk', 'call'].includes(ph));
  if (needServers) {
    log('starting the gateway and the reference server');
    const gateway = await startGateway();
    const browser = cli.console ? await openConsole(gateway.base) : undefined;
    const reference = await startReference();
    results.referenceReadyMs = reference.readyMs;
    results.fdLimits = { gateway: gateway.fdLimit, reference: reference.fdLimit };
    try {
      for (const [phase, fn] of /** @type {const} */ ([
        ['protocol', protocolPhase],
        ['sdk', sdkPhase],
        ['call', callPhase],
      ])) {
        if (!only.includes(phase) || pastDeadline()) continue;
        log(`phase ${phase}`);
        (results.loadavg ??= {})[phase] = loadavg();
        const cpuBefore = cpuSeconds(gateway.proc.pid);
        try {
          results[phase] = await fn(gateway, reference);
          const cpuAfter = cpuSeconds(gateway.proc.pid);
          // The gateway's own CPU per request served: what contention on a busy machine does not change much.
          const served = Object.values(results[phase] ?? {}).reduce((n, c) => n + (c?.gateway?.ok ?? 0), 0);
          if (cpuBefore !== undefined && cpuAfter !== undefined && served > 0) {
            (results.gatewayCpu ??= {})[phase] = { seconds: cpuAfter - cpuBefore, requests: served, usPerRequest: ((cpuAfter - cpuBefore) / served) * 1e6 };
            notes.push(`${phase}: the gateway used ${(cpuAfter - cpuBefore).toFixed(2)} s of CPU for the ${fmtNum(served)} requests it served in the load cases and their set-up: ${(((cpuAfter - cpuBefore) / served) * 1e6).toFixed(1)} µs per request`);
          }
        } catch (err) {
          failures.push(`${phase}: ${/** @type {Error} */ (err).stack ?? err}`);
          log(`phase ${phase} failed: ${/** @type {Error} */ (err).message}`);
          if (gateway.proc.hasExited || reference.proc.hasExited) break;
        }
      }
      if (gateway.proc.hasExited) failures.push(`the gateway exited during the run:\n  ${gateway.proc.lines.slice(-15).join('\n  ')}`);
      if (reference.proc.hasExited) failures.push(`the reference server exited during the run:\n  ${reference.proc.lines.slice(-15).join('\n  ')}`);
      results.gatewayRssAfterLoad = gateway.proc.hasExited ? undefined : rssBytes(gateway.proc.pid);
      results.referenceRssAfterLoad = reference.proc.hasExited ? undefined : rssBytes(reference.proc.pid);
    } finally {
      await browser?.close();
      results.gatewayStop = await stopServer(gateway, 'protocol/sdk/call');
      await stopServer(reference, 'protocol/sdk/call');
    }
  }
  for (const [phase, fn] of /** @type {const} */ ([
    ['idle', idlePhase],
    ['discovery', discoveryPhase],
    ['scaleout', () => scaleoutPhase({ startGateway, stopServer, profile: profile.name, notes, log })],
    ['profiles', profilesPhase],
  ])) {
    if (!only.includes(phase) || pastDeadline()) continue;
    log(`phase ${phase}`);
    (results.loadavg ??= {})[phase] = loadavg();
    try {
      results[phase] = await fn();
    } catch (err) {
      failures.push(`${phase}: ${/** @type {Error} */ (err).stack ?? err}`);
      log(`phase ${phase} failed: ${/** @type {Error} */ (err).message}`);
    }
  }

  if (existsSync(MAIN) && statSync(MAIN).mtime.toISOString() !== bundleInfo.mtime) {
    notes.push(`${MAIN} was rebuilt during the run; every measurement used the copy taken at the start (built ${bundleInfo.mtime})`);
  }
  const rows = buildRows();
  const elapsedS = (performance.now() - runStarted) / 1000;
  meta.loadavgEnd = loadavg();
  // The run itself loads the machine (servers, load generator, plugin processes), so only the
  // load before it started says something about other work on the machine.
  const before = Number(meta.loadavgStart.split(' ')[0]);
  if (before > meta.cpus / 2) {
    notes.push(`the machine was already busy when the run started (1-minute load average ${before} on ${meta.cpus} CPUs): expect noisier numbers; the per-phase load averages are in the JSON output`);
  }
  const title = `Sanctum MCP benchmark (${profile.name}), ${meta.date.slice(0, 10)}: node ${meta.node}, ${meta.cpus} x ${meta.cpuModel}, ${elapsedS.toFixed(0)} s`;
  const out = [`## ${title}`, '', markdown(rows), ''];
  if (results.protocol) {
    out.push(
      `tools/list returns ${results.protocol.toolCount.gateway} tools (${fmtNum(results.protocol.toolsListBytes.gateway)} bytes of JSON) from the gateway and ${results.protocol.toolCount.reference} (${fmtNum(results.protocol.toolsListBytes.reference)} bytes) from the reference.`,
    );
  }
  out.push(
    `Load generator (autocannon) and clients run in the harness process on the same machine as the servers. ` +
      `\`${python} -c pass\` takes ${fmtMs(meta.pythonStartupMs)} here (median of 5). Load average at start ${meta.loadavgStart}, at end ${meta.loadavgEnd}.`,
  );
  if (notes.length) out.push('', 'Notes:', ...notes.map((n) => `- ${n}`));
  if (failures.length) out.push('', 'Failures:', ...failures.map((f) => `- ${f}`));
  process.stdout.write(`${out.join('\n')}\n`);
  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify({ meta: { ...meta, elapsedS }, profile, targets: TARGETS, results, rows, notes, failures }, null, 2)}\n`);
    log(`wrote ${jsonOut}`);
  }
  await cleanupAll();
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    await cleanupAll().catch(() => undefined);
    process.exit(1);
  },
);
