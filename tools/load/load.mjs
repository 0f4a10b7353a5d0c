#!/usr/bin/env node
// Bounded load test of a running Sanctum MCP gateway (loopback only). See tools/load/README.md.
//
//   node tools/load/load.mjs --url http://127.0.0.1:8124 --sessions 50 --calls 5 --duration 20
//   node tools/load/load.mjs --url http://127.0.0.1:8124 --quick
//
// Phase 1: N HTTP+SSE sessions and N Streamable HTTP sessions (skipped with a note when /mcp
// answers 404), all at once, each making M sequential tools/call of --tool through the official
// SDK client. Phase 2 (--burst seconds, 0 = off): stateless POST /message tools/call with
// autocannon, N connections. Then: /health must show 0 sessions and no plugin process may be
// left. Prints one summary line; exits 1 on any error or leftover, 2 on bad usage.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import autocannon from 'autocannon';

const LIMITS = { sessions: 500, calls: 100, duration: 300, burst: 120 };
const USAGE = `usage: node tools/load/load.mjs --url http://127.0.0.1:PORT [options]
  --sessions N     concurrent sessions per transport (default 50, at most ${LIMITS.sessions})
  --calls M        tools/call per session, one after another (default 5, at most ${LIMITS.calls})
  --duration S     deadline of the session phase in seconds (default 20, at most ${LIMITS.duration});
                   calls still pending then are aborted and counted as errors
  --burst S        seconds of stateless POST /message load with autocannon (default 5; 0 = off)
  --tool NAME      tool to call (default devops__status)
  --args JSON      its arguments (default {"app-name":"load-test"} for devops__status, else {})
  --plugins-dir D  plugins folder of the server, for the leftover-process check (default mcp/plugins)
  --api-key KEY    sent as "Authorization: Bearer KEY" when the gateway requires keys
  --quick          CI size: 20 sessions x 3 calls, 10 s deadline, 3 s burst
  --help`;

function fail(message, code = 2) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        url: { type: 'string' },
        sessions: { type: 'string' },
        calls: { type: 'string' },
        duration: { type: 'string' },
        burst: { type: 'string' },
        tool: { type: 'string' },
        args: { type: 'string' },
        'plugins-dir': { type: 'string' },
        'api-key': { type: 'string' },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail(`${err.message}\n${USAGE}`);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!parsed.url) fail(`--url is required\n${USAGE}`);
  let url;
  try {
    url = new URL(parsed.url);
  } catch {
    fail(`--url ${JSON.stringify(parsed.url)} is not a URL`);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    fail(`--url must be a loopback address (127.0.0.1, localhost or [::1]); got ${url.hostname}`);
  }
  const quick = parsed.quick;
  const number = (name, fallback, max, min = 1) => {
    const raw = parsed[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) fail(`--${name} must be a number from ${min} to ${max}; got ${raw}`);
    return value;
  };
  const tool = parsed.tool ?? 'devops__status';
  let toolArgs = tool === 'devops__status' ? { 'app-name': 'load-test' } : {};
  if (parsed.args !== undefined) {
    try {
      toolArgs = JSON.parse(parsed.args);
    } catch {
      fail('--args must be a JSON object');
    }
    if (typeof toolArgs !== 'object' || toolArgs === null || Array.isArray(toolArgs)) fail('--args must be a JSON object');
  }
  return {
    base: url.origin,
    sessions: Math.floor(number('sessions', quick ? 20 : 50, LIMITS.sessions)),
    calls: Math.floor(number('calls', quick ? 3 : 5, LIMITS.calls)),
    durationS: number('duration', quick ? 10 : 20, LIMITS.duration),
    burstS: number('burst', quick ? 3 : 5, LIMITS.burst, 0),
    tool,
    toolArgs,
    pluginsDir: resolve(parsed['plugins-dir'] ?? 'mcp/plugins'),
    apiKey: parsed['api-key'],
    headers: parsed['api-key'] ? { Authorization: `Bearer ${parsed['api-key']}` } : {},
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function firstText(result) {
  const block = Array.isArray(result?.content) ? result.content[0] : undefined;
  return block && block.type === 'text' ? String(block.text).slice(0, 200) : '';
}

/** Does /mcp exist? 404 means this server has no Streamable HTTP transport. */
async function hasStreamableHttp(opts) {
  const res = await fetch(`${opts.base}/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...opts.headers },
    body: '{}',
  });
  await res.arrayBuffer();
  return res.status !== 404;
}

function withHeaders(base, extra) {
  const merged = new Headers(base);
  for (const [name, value] of Object.entries(extra)) merged.set(name, value);
  return merged;
}

/** One session: connect, M sequential calls, disconnect (Streamable HTTP: DELETE the session). */
async function runSession(kind, opts, deadline, stats) {
  const client = new Client({ name: `sanctum-load-${kind}`, version: '1.0.0' });
  const headers = opts.headers;
  const transport =
    kind === 'sse'
      ? new SSEClientTransport(new URL('/sse', opts.base), {
          requestInit: { headers },
          ...(opts.apiKey ? { eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: withHeaders(init?.headers, headers) }) } } : {}),
        })
      : new StreamableHTTPClientTransport(new URL('/mcp', opts.base), { requestInit: { headers } });
  try {
    await client.connect(transport, { signal: deadline.signal, timeout: opts.durationS * 1000 });
  } catch (err) {
    if (deadline.signal.aborted) stats.unfinished += opts.calls;
    else {
      stats.errors.push(`${kind} connect: ${err.message}`);
      stats.failedCalls += opts.calls;
    }
    await client.close().catch(() => undefined);
    return;
  }
  try {
    for (let i = 0; i < opts.calls; i++) {
      if (deadline.signal.aborted) {
        stats.unfinished += 1;
        continue;
      }
      const started = performance.now();
      try {
        const result = await client.callTool({ name: opts.tool, arguments: opts.toolArgs }, undefined, {
          signal: deadline.signal,
          timeout: opts.durationS * 1000,
        });
        const ms = performance.now() - started;
        stats.latencies.push(ms);
        stats[kind].calls += 1;
        if (result.isError) {
          stats.failedCalls += 1;
          stats.errors.push(`${kind} call: isError: ${firstText(result)}`);
        }
      } catch (err) {
        if (deadline.signal.aborted) {
          stats.unfinished += 1; // aborted by the deadline, not failed by the gateway
        } else {
          stats.failedCalls += 1;
          stats[kind].calls += 1;
          stats.errors.push(`${kind} call: ${err.message}`);
        }
      }
    }
  } finally {
    if (kind === 'http') await transport.terminateSession().catch((err) => stats.errors.push(`http DELETE: ${err.message}`));
    await client.close().catch(() => undefined);
  }
}

/** Stateless POST /message tools/call for a few seconds, N connections (autocannon). */
async function burst(opts) {
  let failed = 0;
  const samples = [];
  const body = JSON.stringify({ jsonrpc: '2.0', id: 'load', method: 'tools/call', params: { name: opts.tool, arguments: opts.toolArgs } });
  const result = await autocannon({
    url: opts.base,
    connections: Math.min(opts.sessions, 100),
    duration: opts.burstS,
    timeout: Math.max(10, opts.durationS),
    requests: [
      {
        method: 'POST',
        path: '/message',
        headers: { 'Content-Type': 'application/json', ...opts.headers },
        body,
        onResponse: (status, text) => {
          let bad = status !== 200;
          if (!bad) {
            try {
              const parsed = JSON.parse(text);
              bad = 'error' in parsed || parsed.result?.isError === true;
            } catch {
              bad = true;
            }
          }
          if (bad) {
            failed += 1;
            if (samples.length < 3) samples.push(`${status} ${String(text).slice(0, 200)}`);
          }
        },
      },
    ],
  });
  const transportErrors = result.errors + result.timeouts + result.non2xx;
  return {
    requests: result.requests.total,
    errors: Math.max(failed, transportErrors),
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    samples,
  };
}

async function health(opts) {
  const res = await fetch(`${opts.base}/health`, { headers: opts.headers });
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return res.json();
}

/** Live (non-zombie) processes running inside the plugins folder: plugin calls and their children. */
function pluginProcesses(pluginsDir) {
  const found = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc (macOS): fall back to ps and plugin entry names.
    const out = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' });
    for (const line of out.split('\n').slice(1)) {
      const [pid, stat, ...args] = line.trim().split(/\s+/);
      const command = args.join(' ');
      if (pid && !stat.startsWith('Z') && (command.includes(pluginsDir) || /\bcli\.(py|js|sh)\b/.test(command))) found.push(`${pid} ${command}`);
    }
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
      if (state === 'Z' || state === 'X') continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === pluginsDir || cwd.startsWith(`${pluginsDir}/`)) {
        found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
      }
    } catch {
      // exited meanwhile, or not ours to inspect
    }
  }
  return found;
}

async function main() {
  const opts = options();
  const startedAt = performance.now();
  const before = await health(opts).catch((err) => fail(`cannot reach ${opts.base}/health: ${err.message}`, 1));
  const withHttp = await hasStreamableHttp(opts);
  const notes = [];
  if (!withHttp) notes.push('Streamable HTTP skipped: /mcp answered 404');
  process.stderr.write(
    `load: ${opts.base} tool=${opts.tool} sse=${opts.sessions}x${opts.calls}${withHttp ? ` http=${opts.sessions}x${opts.calls}` : ''} deadline=${opts.durationS}s burst=${opts.burstS}s (sessions open before: ${before.sessions})\n`,
  );

  const stats = { latencies: [], errors: [], failedCalls: 0, unfinished: 0, sse: { calls: 0 }, http: { calls: 0 } };
  const deadline = new AbortController();
  setMaxListeners(0, deadline.signal); // every session's calls listen to the one deadline
  const timer = setTimeout(() => deadline.abort(new Error(`deadline of ${opts.durationS} s passed`)), opts.durationS * 1000);
  const phaseStart = performance.now();
  const kinds = withHttp ? ['sse', 'http'] : ['sse'];
  await Promise.all(kinds.flatMap((kind) => Array.from({ length: opts.sessions }, () => runSession(kind, opts, deadline, stats))));
  clearTimeout(timer);
  const phaseS = (performance.now() - phaseStart) / 1000;

  const burstResult = opts.burstS > 0 ? await burst(opts) : undefined;

  // Everything is closed: the gateway must count the sessions down and leave no plugin process.
  let after = await health(opts);
  for (let i = 0; i < 50 && after.sessions !== before.sessions; i++) {
    await sleep(100);
    after = await health(opts);
  }
  let leftovers = pluginProcesses(opts.pluginsDir);
  for (let i = 0; i < 30 && leftovers.length > 0; i++) {
    await sleep(100);
    leftovers = pluginProcesses(opts.pluginsDir);
  }

  const sorted = [...stats.latencies].sort((a, b) => a - b);
  const total = stats.sse.calls + stats.http.calls;
  const expected = kinds.length * opts.sessions * opts.calls;
  const ok =
    total === expected && stats.failedCalls === 0 && stats.errors.length === 0 && (burstResult?.errors ?? 0) === 0 && after.sessions === before.sessions && leftovers.length === 0;

  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  for (const error of [...new Set(stats.errors)].slice(0, 10)) process.stderr.write(`error: ${error}\n`);
  for (const sample of burstResult?.samples ?? []) process.stderr.write(`burst error: ${sample}\n`);
  for (const proc of leftovers.slice(0, 10)) process.stderr.write(`leftover: ${proc}\n`);
  if (stats.unfinished > 0) {
    process.stderr.write(
      `unfinished: ${stats.unfinished} calls were not done by the ${opts.durationS} s deadline (the gateway completed ${(total / phaseS).toFixed(1)} calls/s); raise --duration or lower --sessions/--calls\n`,
    );
  }

  const fmt = (ms) => (Number.isFinite(ms) ? `${Math.round(ms)}ms` : 'n/a');
  const parts = [
    ok ? 'LOAD OK' : 'LOAD FAILED',
    `sse=${opts.sessions}x${opts.calls}`,
    withHttp ? `http=${opts.sessions}x${opts.calls}` : 'http=skipped(404)',
    `calls=${total}/${expected}`,
    `errors=${stats.failedCalls}`,
    `unfinished=${stats.unfinished}`,
    `p50=${fmt(percentile(sorted, 0.5))}`,
    `p99=${fmt(percentile(sorted, 0.99))}`,
    `max=${fmt(sorted.at(-1))}`,
    `rate=${(total / phaseS).toFixed(1)}/s`,
    burstResult
      ? `burst=${burstResult.requests}req/${opts.burstS}s errors=${burstResult.errors} p50=${fmt(burstResult.p50)} p99=${fmt(burstResult.p99)} rps=${burstResult.rps.toFixed(1)}`
      : 'burst=off',
    `sessions_after=${after.sessions}`,
    `leftovers=${leftovers.length}`,
    `elapsed=${((performance.now() - startedAt) / 1000).toFixed(1)}s`,
  ];
  process.stdout.write(`${parts.join(' ')}\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => fail(`load test failed: ${err.stack ?? err}`, 1));
