// Latency of a Python plugin's tools/call with the fork server on and off, through the production
// bundle (build it first: npm run build, or any apps/server jest run). A measurement, not a test:
//
//   node libs/executor/scripts/measure-fork-server.mjs [calls=50] [tool=devops__status]
//
// For each mode it starts `node dist/apps/server/main.js` on a free loopback port with the bundled
// plugins (devops keeps its ledger in a temporary folder), makes warm-up calls (the first one starts
// the fork server), then `calls` sequential POST /message tools/call requests, and prints p50, p90,
// p99 and mean of the client-side latency.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');
const calls = Number(process.argv[2] ?? 50);
const tool = process.argv[3] ?? 'devops__status';
const args = tool === 'devops__status' ? { app_name: 'shop-api' } : {};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function startGateway(forkServer, stateDir) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/apps/server/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      MCP_HOST: '127.0.0.1',
      MCP_PORT: String(port),
      MCP_PLUGINS_DIR: join(root, 'mcp/plugins'),
      MCP_FORK_SERVER: forkServer ? '1' : '0',
      MCP_DISCOVERY_CACHE: 'off',
      MCP_WATCH: '0',
      MCP_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
      DEVOPS_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the gateway did not get ready');
}

let id = 1;
async function call(base) {
  const started = performance.now();
  const res = await fetch(`${base}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: tool, arguments: args } }),
  });
  const body = await res.json();
  const elapsed = performance.now() - started;
  if (!body.result || body.result.isError) throw new Error(`${tool} failed: ${JSON.stringify(body)}`);
  return elapsed;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(forkServer) {
  const stateDir = mkdtempSync(join(tmpdir(), 'fork-measure-'));
  const { base, child } = await startGateway(forkServer, stateDir);
  try {
    // Warm-up: the first Python call starts the fork server (and is spawned); give it time to get ready.
    await call(base);
    await sleep(1_000);
    for (let i = 0; i < 5; i++) await call(base);
    const samples = [];
    for (let i = 0; i < calls; i++) samples.push(await call(base));
    samples.sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    return { p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), mean };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const on = await measure(true);
const off = await measure(false);
const fmt = (ms) => `${ms.toFixed(1)} ms`;
console.log(`${calls} sequential ${tool} calls through POST /message`);
for (const [name, r] of [['MCP_FORK_SERVER=1', on], ['MCP_FORK_SERVER=0', off]]) {
  console.log(`${name}: p50 ${fmt(r.p50)}  p90 ${fmt(r.p90)}  p99 ${fmt(r.p99)}  mean ${fmt(r.mean)}`);
}
console.log(`speed-up at p50: ${(off.p50 / on.p50).toFixed(1)}x, at p99: ${(off.p99 / on.p99).toFixed(1)}x`);
