#!/usr/bin/env node
// Session churn: open and close many HTTP+SSE sessions (and Streamable HTTP sessions when /mcp
// answers), then check that the session count returns to where it was and that the heap returns
// near its baseline. Loopback only; bounded in count (max 20,000) and time (max 300 s).
//
//   node tools/load/churn.mjs --url http://127.0.0.1:8124 [--sessions 10000] [--batch 100]
//
// Heap figures come from the gateway's /metrics (nodejs_heap_size_used_bytes), read after each of
// --rounds rounds (default 3) once the gateway has been idle for a second. Without a forced GC a
// reading includes garbage V8 has not collected yet (tens of MB on a small heap), so the heap is
// reported, and enforced only when --max-growth-mb is given: then the run fails when the heap after
// the last round exceeds the heap after the first by more than that (use it with 10,000+ sessions
// per round, where a leak of 1 KB per session stands out from the noise).
import { request } from 'node:http';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return pairs;
  }, []),
);
const url = new URL(args.url ?? 'http://127.0.0.1:8000');
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  console.error('churn: loopback addresses only');
  process.exit(2);
}
const total = Math.min(Number(args.sessions ?? 10_000), 20_000);
const batch = Math.min(Number(args.batch ?? 100), 500);
const maxGrowthMb = args['max-growth-mb'] === undefined ? Infinity : Number(args['max-growth-mb']);
const rounds = Math.min(Math.max(Number(args.rounds ?? 3), 2), 5);
const deadline = Date.now() + 300_000;
const headers = args.key ? { Authorization: `Bearer ${args.key}` } : {};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function health() {
  return (await fetch(new URL('/health', url), { headers })).json();
}

async function heapUsed() {
  const text = await (await fetch(new URL('/metrics', url), { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes '));
  return line ? Number(line.split(' ')[1]) : NaN;
}

/** Open one SSE session, wait for its endpoint event, then close the connection. */
function sseSession() {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/sse', url), { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET /sse answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        if (buffer.includes('event: endpoint')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', (err) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
    req.end();
  });
}

/** Initialize a Streamable HTTP session and DELETE it. */
async function httpSession() {
  const init = await fetch(new URL('/mcp', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'churn', version: '1' } } }),
  });
  await init.text();
  const id = init.headers.get('mcp-session-id');
  if (!id) throw new Error(`initialize answered ${init.status} without a session id`);
  const del = await fetch(new URL('/mcp', url), { method: 'DELETE', headers: { 'Mcp-Session-Id': id, ...headers } });
  if (del.status >= 300) throw new Error(`DELETE /mcp answered ${del.status}`);
}

const before = await health();
await sleep(500);
const heapBefore = await heapUsed();
const withHttp = (await fetch(new URL('/mcp', url), { method: 'GET', headers })).status !== 404;
let done = 0;
let errors = 0;
const heaps = [];
const started = Date.now();
for (let round = 0; round < rounds; round++) {
  let inRound = 0;
  while (inRound < total && Date.now() < deadline) {
    const size = Math.min(batch, total - inRound);
    const results = await Promise.allSettled(Array.from({ length: size }, (_, i) => (withHttp && i % 2 === 1 ? httpSession() : sseSession())));
    errors += results.filter((r) => r.status === 'rejected').length;
    inRound += size;
  }
  done += inRound;
  await sleep(1_000);
  heaps.push(await heapUsed());
}
const elapsed = (Date.now() - started) / 1000;

let after = await health();
for (let i = 0; i < 50 && after.sessions !== before.sessions; i++) {
  await sleep(100);
  after = await health();
}
const mb = (bytes) => (bytes / 1048576).toFixed(1);
const growthMb = (heaps[heaps.length - 1] - heaps[0]) / 1048576;
const ok = errors === 0 && done === total * rounds && after.sessions === before.sessions && growthMb <= maxGrowthMb;
console.log(
  `CHURN ${ok ? 'OK' : 'FAILED'} sessions=${done}/${total * rounds} in ${rounds} rounds (${withHttp ? 'SSE and Streamable HTTP' : 'SSE only'}) errors=${errors} ` +
    `elapsed=${elapsed.toFixed(1)}s rate=${(done / elapsed).toFixed(0)}/s sessions_before=${before.sessions} sessions_after=${after.sessions} ` +
    `heap_MB baseline=${mb(heapBefore)} after_rounds=${heaps.map(mb).join('/')} growth_after_first=${growthMb.toFixed(1)}MB${Number.isFinite(maxGrowthMb) ? ` (max ${maxGrowthMb})` : ' (reported only)'}`,
);
process.exit(ok ? 0 : 1);
