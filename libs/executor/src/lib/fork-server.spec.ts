import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildChildEnv } from './child-env';
import { FORK_SERVER_SCRIPT, ForkServer, runForked } from './fork-server';
import type { ForkServerEvent } from './fork-server';
import { resolvePython } from './interpreter';
import { mapRunResult } from './result';
import { runProcess } from './runner';
import type { RunOptions, RunResult } from './runner';
import { isAlive, waitFor } from '../testing/process';

const PYTHON = resolvePython();
/** What every plugin shares (ExecutorService.childEnv without per-call extras). */
const baseEnv = (): NodeJS.ProcessEnv => buildChildEnv(process.env, [], { PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' });

let workDir: string;
let server: ForkServer;
const events: ForkServerEvent[] = [];
let nextPlugin = 0;

beforeAll(async () => {
  workDir = realpathSync(mkdtempSync(join(tmpdir(), 'fork-server-spec-')));
  server = new ForkServer({ python: PYTHON, env: baseEnv, onEvent: (e) => events.push(e) });
  expect(await server.start()).toBe(true);
});

afterAll(async () => {
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** A plugin folder holding cli.py (and other files); returns the folder. */
function plugin(source: string, files: Record<string, string> = {}): string {
  const dir = join(workDir, `p${nextPlugin++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cli.py'), source);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function opts(cwd: string, extra: Partial<RunOptions> = {}): RunOptions {
  return { cwd, env: { ...baseEnv(), MCP_REQUEST_ID: 'req-1' }, timeoutMs: 10_000, ...extra };
}

/** A result without its duration (the one field that differs by design). */
function comparable(run: RunResult): Partial<RunResult> {
  const copy: Partial<RunResult> = { ...run };
  // When, how and as which process it ran: what tells a fork from a spawn, by design.
  for (const key of ['durationMs', 'startedAt', 'launch', 'pid'] as const) delete copy[key];
  return copy;
}

/** A probe report without its descriptor list (see the first probe test). */
function reportWithoutFds(stdout: string): Record<string, unknown> {
  const report = JSON.parse(stdout) as Record<string, unknown>;
  delete report['fds'];
  return report;
}

/** The same call spawned and forked: both results, forked first. */
async function both(cwd: string, argv: string[] = [], extra: Partial<RunOptions> = {}): Promise<[RunResult, RunResult]> {
  const before = server.stats().forked;
  const forked = await runForked(server, ['cli.py', ...argv], opts(cwd, extra));
  expect(server.stats().forked).toBe(before + 1);
  const spawned = await runProcess(PYTHON, ['cli.py', ...argv], opts(cwd, extra));
  return [forked, spawned];
}

const pidsOf = (text: string): number[] => (text.match(/\d+/g) ?? []).map(Number);

const PROBE = String.raw`
import fcntl, json, os, signal, subprocess, sys, threading, warnings

def stream(f, dunder):
    raw = getattr(f.buffer, 'raw', f.buffer)
    return dict(type=type(f).__name__, name=f.name, mode=f.mode, encoding=f.encoding, errors=f.errors,
                line_buffering=f.line_buffering, write_through=f.write_through, buffer=type(f.buffer).__name__,
                raw=type(raw).__name__, raw_name=raw.name, closefd=raw.closefd, fileno=f.fileno(), isatty=f.isatty(),
                dunder=f is dunder, blocking=os.get_blocking(f.fileno()), access=fcntl.fcntl(f.fileno(), fcntl.F_GETFL) & os.O_ACCMODE)

g = dict(globals())
grandchild_env = dict(line.split('=', 1) for line in subprocess.check_output(['env', '-0']).decode().split('\0') if line)
print(json.dumps(dict(
    argv=sys.argv, orig_argv=getattr(sys, 'orig_argv', None), executable=sys.executable, file=__file__,
    name=__name__, path=sys.path, cwd=os.getcwd(),
    main=[(k, type(v).__name__) for k, v in g.items() if k.startswith('__')],
    loader=[type(__loader__).__name__, __loader__.name, __loader__.path], package=__package__, spec=repr(__spec__),
    cached=__cached__, main_module=sys.modules['__main__'].__dict__ is globals(),
    env=dict(os.environ), grandchild_env=grandchild_env,
    stdin=sys.stdin.read(), stdin_is_null=os.path.samestat(os.fstat(0), os.stat(os.devnull)),
    stdio=[stream(sys.stdin, sys.__stdin__), stream(sys.stdout, sys.__stdout__), stream(sys.stderr, sys.__stderr__)],
    fds=sorted(int(fd) for fd in os.listdir('/proc/self/fd') if int(fd) <= 2 or os.path.exists('/proc/self/fd/' + fd)),
    group_leader=os.getpgid(0) == os.getpid(), session_leader=os.getsid(0) == os.getpid(),
    signals={str(n): repr(signal.getsignal(n)) for n in sorted(signal.valid_signals())},
    blocked=sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])), flags=repr(sys.flags),
    threads=threading.active_count(), main_thread=threading.current_thread() is threading.main_thread(),
    excepthook=sys.excepthook is sys.__excepthook__, recursion=sys.getrecursionlimit(),
    warnings=[repr(f) for f in warnings.filters], umask=os.umask(0o22),
    fs_encoding=[sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()],
)))
`;

describe('ForkServer: a forked call is indistinguishable from a spawned one', () => {
  it('starts once and reports ready', () => {
    expect(server.stats()).toMatchObject({ state: 'ready', starts: 1, failures: 0 });
    expect(events[0]).toMatchObject({ type: 'ready', version: expect.stringMatching(/^3\./) });
  });

  it('gives the script the same argv, cwd, env, stdio, __main__, sys.path, signals, fds and process group', async () => {
    const dir = plugin(PROBE);
    const argv = ['status', '--name=Zoë\nsecond = line', '--', '-rf', '$HOME', ''];
    const [forked, spawned] = await both(dir, argv, { env: { ...baseEnv(), MCP_REQUEST_ID: 'r ✓', PLUGIN_TOKEN: 'declared' } });
    expect(forked.stderr).toBe('');
    expect(forked.exitCode).toBe(0);
    const report = JSON.parse(forked.stdout);
    expect(report.argv).toEqual(['cli.py', ...argv]);
    expect(report.env).toMatchObject({ MCP_REQUEST_ID: 'r ✓', PLUGIN_TOKEN: 'declared' });
    expect(report.stdin).toBe('');
    expect(report.stdin_is_null).toBe(true);
    expect(report.fds).toEqual([0, 1, 2]);
    expect(report.group_leader && report.session_leader).toBe(true);
    // A spawn also passes on any descriptor the gateway itself inherited without close-on-exec
    // (libuv closes none; the test runner leaks one here); a forked child closes all but 0-2.
    expect((JSON.parse(spawned.stdout).fds as number[]).filter((fd) => fd <= 2)).toEqual([0, 1, 2]);
    expect(reportWithoutFds(forked.stdout)).toEqual(reportWithoutFds(spawned.stdout));
    expect(comparable({ ...forked, stdout: '' })).toEqual(comparable({ ...spawned, stdout: '' }));
    expect(server.stats().cold).toBe(0);
  });

  it.each<[string, string]>([
    ['a plain exit status', 'import sys\nsys.exit(3)'],
    ['sys.exit() without status', 'import sys\nprint("out")\nsys.exit()'],
    ['SystemExit(None)', 'raise SystemExit(None)'],
    ['sys.exit with a message', 'import sys\nsys.exit("bye ✓")'],
    ['sys.exit(True)', 'import sys\nsys.exit(True)'],
    ['a status past 255', 'import sys\nsys.exit(263)'],
    ['a negative status', 'import sys\nsys.exit(-1)'],
    ['a huge status', 'import sys\nsys.exit(2 ** 70)'],
    ['os._exit', 'import os\nprint("lost", end="")\nos._exit(4)'],
    ['an uncaught exception', 'def explode():\n    raise RuntimeError("boom ✓")\n\nexplode()'],
    ['a chained exception', 'try:\n    {}["k"]\nexcept KeyError as e:\n    raise ValueError("outer") from e'],
    ['a syntax error', 'print("never")\ndef broken(:\n    pass'],
    ['KeyboardInterrupt', 'raise KeyboardInterrupt'],
    ['a custom excepthook', 'import sys\nsys.excepthook = lambda t, v, tb: print("hooked", t.__name__, v, file=sys.stderr)\nraise ValueError("x")'],
    ['input() on a closed stdin', 'print(input())'],
    ['a non-daemon thread outliving the script', 'import threading, time\ndef work():\n    time.sleep(0.2)\n    print("thread done")\nthreading.Thread(target=work).start()\nprint("main done")'],
    ['atexit callbacks', 'import atexit, sys\natexit.register(lambda: print("atexit ✓", file=sys.stderr))\nprint("main")'],
    ['output without a newline', 'import sys\nsys.stdout.write("partial ü")\nsys.stderr.write("err ✓")'],
    ['a warning', 'import warnings\nwarnings.warn("careful")\nwarnings.warn("old", DeprecationWarning)'],
    ['classes pickled from __main__', 'import dataclasses, pickle\n@dataclasses.dataclass\nclass A:\n    x: int = 1\nprint(pickle.loads(pickle.dumps(A())), __builtins__.len("ab"))'],
    ['stdout closed at the fd', 'import os, sys\nos.close(1)\nprint("lost")'],
    ['sys.stdout set to None', 'import sys\nprint("x")\nsys.stdout = None'],
    ['a main module importing __main__', 'import __main__\nprint(__main__.__file__, __main__.__name__)'],
    ['tempfile honouring the call environment', 'import tempfile\nprint(tempfile.gettempdir())'],
  ])('ends like a spawn: %s', async (_name, source) => {
    const dir = plugin(source);
    const [forked, spawned] = await both(dir, [], { env: { ...baseEnv(), TMPDIR: dir } });
    expect(comparable(forked)).toEqual(comparable(spawned));
  });

  it('says how each ran and as which process (what the traces show): fork or spawn, the pid the script saw', async () => {
    const dir = plugin('import os\nprint(os.getpid())');
    const [forked, spawned] = await both(dir, [], { env: { ...baseEnv(), TMPDIR: dir } });
    expect([forked.launch, spawned.launch]).toEqual(['fork', 'spawn']);
    expect(forked.pid).toBe(Number(forked.stdout.trim()));
    expect(spawned.pid).toBe(Number(spawned.stdout.trim()));
    expect(forked.startedAt).toBeLessThanOrEqual(spawned.startedAt as number);
  });

  it('runs a plugin whose folder shadows a preloaded module in a fresh interpreter, as a spawn would', async () => {
    const dir = plugin('import json\nprint(json.MARK)', { 'json.py': 'MARK = "the plugin folder json.py"\n' });
    const cold = server.stats().cold;
    const [forked, spawned] = await both(dir);
    expect(forked.stdout).toBe('the plugin folder json.py\n');
    expect(comparable(forked)).toEqual(comparable(spawned));
    expect(server.stats().cold).toBe(cold + 1);
  });

  it('looks for shadowing modules in the real folder of a symlinked cli.py, as the interpreter does', async () => {
    const dir = plugin('', { 'impl/cli.py': 'import json\nprint(json.MARK)', 'impl/json.py': 'MARK = "impl/json.py"\n' });
    rmSync(join(dir, 'cli.py'));
    symlinkSync('impl/cli.py', join(dir, 'cli.py'));
    const [forked, spawned] = await both(dir);
    expect(forked.stdout).toBe('impl/json.py\n');
    expect(comparable(forked)).toEqual(comparable(spawned));
  });

  it('gives a cold call the same process state as a spawn (probe with a shadowing module)', async () => {
    const dir = plugin(PROBE, { 'uuid.py': 'NOTE = "shadows the standard uuid"\n' });
    const cold = server.stats().cold;
    const [forked, spawned] = await both(dir, ['x']);
    expect(server.stats().cold).toBe(cold + 1);
    expect(reportWithoutFds(forked.stdout)).toEqual(reportWithoutFds(spawned.stdout));
  });

  it('runs a call whose start-up environment differs (PYTHON*, LC_*, LANG, TZ, HOME) in a fresh interpreter', async () => {
    const dir = plugin('import os, sys\nprint(sys.flags.dont_write_bytecode, os.environ.get("PYTHONDONTWRITEBYTECODE"))');
    const cold = server.stats().cold;
    const [forked, spawned] = await both(dir, [], { env: { ...baseEnv(), PYTHONDONTWRITEBYTECODE: '1' } });
    expect(forked.stdout).toBe('1 1\n');
    expect(comparable(forked)).toEqual(comparable(spawned));
    expect(server.stats().cold).toBe(cold + 1);
  });

  it('keeps calls apart: nothing one call changes is seen by the next, random state differs', async () => {
    const dir = plugin(
      'import json, os, random, sys\nprint(hasattr(json, "leak"), os.environ.get("LEAK"), random.random())\njson.leak = 1\nos.environ["LEAK"] = "1"\nsys.modules["leaked"] = json',
    );
    const first = await runForked(server, ['cli.py'], opts(dir));
    const second = await runForked(server, ['cli.py'], opts(dir));
    const [a, b] = [first.stdout.split(' '), second.stdout.split(' ')];
    expect(a.slice(0, 2)).toEqual(['False', 'None']);
    expect(b.slice(0, 2)).toEqual(['False', 'None']);
    expect(a[2]).not.toBe(b[2]);
  });

  it('never lets the server hold a call argument or environment value (a later child could read its memory)', async () => {
    const secret = `sanctum-secret-${process.pid}-${Date.now()}`;
    const argument = `sanctum-argument-${process.pid}-${Date.now()}`;
    const dir = plugin('import os, sys\nprint(len(os.environ["PLUGIN_SECRET"]), len(sys.argv[1]))');
    const run = await runForked(server, ['cli.py', argument], opts(dir, { env: { ...baseEnv(), PLUGIN_SECRET: secret } }));
    expect(run.stdout).toBe(`${secret.length} ${argument.length}\n`);
    const pid = server.stats().pid;
    if (pid === null) throw new Error('no server pid');
    let memory: Buffer[];
    try {
      memory = readMemory(pid);
    } catch {
      // /proc/<pid>/mem is not readable here (ptrace restrictions): nothing to check.
      return;
    }
    const contains = (needle: string): boolean => memory.some((chunk) => chunk.includes(needle));
    expect(contains('sanctum-fork-')).toBe(true); // the scan sees the server's own data
    expect(contains(secret)).toBe(false);
    expect(contains(argument)).toBe(false);
  });

  it('runs concurrent calls, each with its own output', async () => {
    const dir = plugin('import sys, time\ntime.sleep(0.1)\nprint(sys.argv[1] * 3)\nprint(sys.argv[1], file=sys.stderr)');
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => runForked(server, ['cli.py', `c${i}`], opts(dir))));
    runs.forEach((run, i) => expect(run).toMatchObject({ exitCode: 0, stdout: `c${i}c${i}c${i}\n`, stderr: `c${i}\n` }));
  });

  it('falls back to a spawn when the child cannot be set up (missing cwd): the same spawnError', async () => {
    const missing = join(workDir, 'missing-folder');
    const spawnedBefore = server.stats().spawned;
    const forked = await runForked(server, ['cli.py'], opts(missing));
    const spawned = await runProcess(PYTHON, ['cli.py'], opts(missing));
    expect(forked.spawnError).toBeDefined();
    expect(comparable(forked)).toEqual(comparable(spawned));
    expect(server.stats().spawned).toBe(spawnedBefore + 1);
  });
});

describe('ForkServer: kills, caps and streaming, as runProcess', () => {
  /** Starts `sleep 30` in its group, reports the pid on stderr, then sleeps. */
  const grandchildScript = 'import subprocess, sys, time\np = subprocess.Popen(["sleep", "30"])\nprint(p.pid, file=sys.stderr, flush=True)\ntime.sleep(30)';

  it('on timeout kills the whole process group, grandchild included', async () => {
    const dir = plugin(grandchildScript);
    const run = await runForked(server, ['cli.py'], opts(dir, { timeoutMs: 1_000, killGraceMs: 200 }));
    const [grandchild] = pidsOf(run.stderr);
    expect(grandchild).toBeGreaterThan(0);
    expect(run).toMatchObject({ timedOut: true, cancelled: false, exitCode: null, signal: 'SIGTERM' });
    expect(run.durationMs).toBeLessThan(3_500);
    await waitFor(() => !isAlive(grandchild));
  });

  it('cancels through an AbortSignal, grandchild included', async () => {
    const dir = plugin(grandchildScript);
    const controller = new AbortController();
    const run = await runForked(server, ['cli.py'], opts(dir, { signal: controller.signal, onStderrLine: () => controller.abort() }));
    const [grandchild] = pidsOf(run.stderr);
    expect(grandchild).toBeGreaterThan(0);
    expect(run).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
    await waitFor(() => !isAlive(grandchild));
  });

  it('cancels at once with an already-aborted signal', async () => {
    const dir = plugin('import time\ntime.sleep(30)');
    const controller = new AbortController();
    controller.abort();
    const run = await runForked(server, ['cli.py'], opts(dir, { signal: controller.signal }));
    expect(run).toMatchObject({ cancelled: true, exitCode: null });
    expect(run.durationMs).toBeLessThan(3_000);
  });

  it('kills a plugin that ignores SIGTERM after killGraceMs', async () => {
    const dir = plugin('import signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", file=sys.stderr)\ntime.sleep(30)');
    const controller = new AbortController();
    let abortedAt = 0;
    const run = await runForked(
      server,
      ['cli.py'],
      opts(dir, {
        signal: controller.signal,
        killGraceMs: 300,
        onStderrLine: () => {
          abortedAt = performance.now();
          controller.abort();
        },
      }),
    );
    const afterAbort = performance.now() - abortedAt;
    expect(run).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
    expect(afterAbort).toBeGreaterThanOrEqual(250);
    expect(afterAbort).toBeLessThan(2_000);
  });

  it('does not wait for a grandchild holding stdout after the plugin exited, and kills it', async () => {
    const dir = plugin('import subprocess\np = subprocess.Popen(["sleep", "30"])\nprint(p.pid)');
    const run = await runForked(server, ['cli.py'], opts(dir, { drainMs: 200 }));
    const [grandchild] = pidsOf(run.stdout);
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(run.durationMs).toBeLessThan(1_500);
    await waitFor(() => !isAlive(grandchild));
  });

  it('times out a plugin that closed stdout and keeps running', async () => {
    const dir = plugin('import os, sys, time\nsys.stdout.flush()\nos.close(1)\nsys.stdout = open(os.devnull, "w")\ntime.sleep(30)');
    const run = await runForked(server, ['cli.py'], opts(dir, { timeoutMs: 300, killGraceMs: 200 }));
    expect(run.timedOut).toBe(true);
    expect(run.durationMs).toBeLessThan(2_000);
  });

  it.each<['stdout' | 'stderr', string]>([
    ['stdout', 'import sys\nsys.stderr.write("e")\nwhile True:\n    sys.stdout.write("a" * 65536)'],
    ['stderr', 'import sys\nsys.stdout.write("o")\nwhile True:\n    sys.stderr.write("b" * 65536)'],
  ])('caps %s at exactly the limit and ends the run at once', async (stream, source) => {
    const dir = plugin(source);
    const run = await runForked(server, ['cli.py'], opts(dir, { maxStdoutBytes: 100, maxStderrBytes: 100 }));
    expect(run.durationMs).toBeLessThan(3_000);
    expect(run).toMatchObject({ timedOut: false, exitCode: null, signal: 'SIGTERM', outputLimit: { stream, limitBytes: 100 } });
    expect(run[stream]).toBe((stream === 'stdout' ? 'a' : 'b').repeat(100));
    expect(run[stream === 'stdout' ? 'stdoutTruncated' : 'stderrTruncated']).toBe(true);
  });

  it('delivers stderr lines as they are written, long before the plugin exits', async () => {
    const dir = plugin('import sys, time\nfor i in range(3):\n    print("step", i, file=sys.stderr)\n    time.sleep(0.2)\nprint("done")');
    const seen: Array<[string, number]> = [];
    const started = performance.now();
    const run = await runForked(server, ['cli.py'], opts(dir, { onStderrLine: (line) => seen.push([line, performance.now() - started]) }));
    const ended = performance.now() - started;
    expect(run.stdout).toBe('done\n');
    expect(seen.map(([line]) => line)).toEqual(['step 0', 'step 1', 'step 2']);
    expect(seen[0][1]).toBeLessThan(ended - 400);
    expect(seen[1][1]).toBeLessThan(ended - 150);
  });
});

describe('ForkServer: the Python side is the file fork_server.py', () => {
  it('runs as `<python> <path>/fork_server.py <socket> <python>`: a short command line that ps can show', () => {
    const pid = server.stats().pid;
    expect(pid).toEqual(expect.any(Number));
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const [python, script, socket, argv0, ...rest] = cmdline.replace(/\0$/, '').split('\0');
    expect({ python, script, argv0, rest }).toEqual({ python: PYTHON, script: FORK_SERVER_SCRIPT, argv0: PYTHON, rest: [] });
    expect(basename(script)).toBe('fork_server.py');
    expect(socket).toMatch(/\/sanctum-fork-[^/]+\/s$/);
    expect(cmdline.length).toBeLessThan(1_000);
  });

  it('reports an exception inside the server with the real file and line of fork_server.py', async () => {
    // The first control line must carry the spawn environment: without it _serve raises KeyError.
    const child = spawn(PYTHON, [FORK_SERVER_SCRIPT, join(workDir, 'unused-socket'), PYTHON], { cwd: '/', env: baseEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdin.end('{}\n');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const line = readFileSync(FORK_SERVER_SCRIPT, 'utf8').split('\n').findIndex((text) => text.includes("_SPAWN_ENV.update(first['env'])")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(stderr).toContain(`File "${FORK_SERVER_SCRIPT}", line ${line}, in _serve`);
    expect(stderr).toMatch(/KeyError: 'env'\s*$/);
  });
});

describe('ForkServer: failure and fallback', () => {
  let fragile: ForkServer;
  const fragileEvents: ForkServerEvent[] = [];

  beforeEach(async () => {
    fragileEvents.length = 0;
    fragile = new ForkServer({ python: PYTHON, env: baseEnv, retryMs: 300, onEvent: (e) => fragileEvents.push(e) });
    expect(await fragile.start()).toBe(true);
  });

  afterEach(async () => {
    await fragile.stop();
  });

  it('ends a call in flight with a clear internal error when the server dies, kills it, then spawns until a restart', async () => {
    const dir = plugin('import os, sys, time\nprint(os.getpid(), file=sys.stderr)\ntime.sleep(30)');
    let child = 0;
    const serverPid = fragile.stats().pid ?? 0;
    const run = await runForked(fragile, ['cli.py'], {
      ...opts(dir),
      onStderrLine: (line) => {
        child = Number(line);
        process.kill(serverPid, 'SIGKILL');
      },
    });
    expect(run.internalError).toBe('the Python fork server failed while the call was running (it was killed by SIGKILL)');
    expect(run.exitCode).toBeNull();
    const result = mapRunResult(run, 'sleepy.run');
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.['error']).toMatchObject({ code: 'internal_error' });
    const [block] = result.content;
    expect(block.type === 'text' ? block.text : '').toMatch(/^sleepy\.run did not finish: the Python fork server failed while the call was running .*; the plugin's processes were killed\.$/);
    await waitFor(() => !isAlive(child));
    expect(fragileEvents.map((e) => e.type)).toEqual(['ready', 'failed']);
    expect(fragile.stats()).toMatchObject({ state: 'backoff', failures: 1 });

    // Meanwhile Python calls are spawned, with the same results.
    const quick = plugin('print("hi")');
    const fallback = await runForked(fragile, ['cli.py'], opts(quick));
    expect(fallback).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(fragile.stats()).toMatchObject({ state: 'backoff', spawned: 1 });

    // After the back-off, the next call starts a new server.
    await new Promise((r) => setTimeout(r, 350));
    expect(await fragile.start()).toBe(true);
    const forkedBefore = fragile.stats().forked;
    expect(await runForked(fragile, ['cli.py'], opts(quick))).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(fragile.stats()).toMatchObject({ state: 'ready', starts: 2, forked: forkedBefore + 1 });
  });

  it('on stop, ends calls in flight and kills their processes', async () => {
    const dir = plugin('import os, sys, time\nprint(os.getpid(), file=sys.stderr)\ntime.sleep(30)');
    let child = 0;
    let stopping: Promise<void> | undefined;
    const run = await runForked(fragile, ['cli.py'], {
      ...opts(dir),
      onStderrLine: (line) => {
        child = Number(line);
        stopping = fragile.stop();
      },
    });
    await stopping;
    expect(run.internalError).toBe('the gateway is shutting down');
    await waitFor(() => !isAlive(child));
    expect(fragile.stats().state).toBe('stopped');
    // A stopped server never starts again: calls are spawned.
    expect(await runForked(fragile, ['cli.py'], opts(plugin('print(1)')))).toMatchObject({ exitCode: 0, stdout: '1\n' });
  });

  it('spawns everything when the interpreter cannot start, and says why once', async () => {
    const broken = new ForkServer({ python: join(workDir, 'no-such-python'), env: baseEnv, retryMs: 60_000, onEvent: (e) => fragileEvents.push(e) });
    expect(await broken.start()).toBe(false);
    const dir = plugin('print(1)');
    const first = await runForked(broken, ['cli.py'], opts(dir));
    const second = await runForked(broken, ['cli.py'], opts(dir));
    expect(first.spawnError).toMatch(/ENOENT/);
    expect(second.spawnError).toMatch(/ENOENT/);
    const failures = fragileEvents.filter((e) => e.type === 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: expect.stringMatching(/cannot start .*ENOENT/), retryInMs: 60_000 });
    expect(broken.stats()).toMatchObject({ state: 'backoff', starts: 1, failures: 1, spawned: 2, forked: 0 });
    await broken.stop();
  });

  it('takes a server that stops answering for failed (setup timeout): the call ends, calls are spawned', async () => {
    const slow = new ForkServer({ python: PYTHON, env: baseEnv, retryMs: 60_000, setupTimeoutMs: 300, onEvent: (e) => fragileEvents.push(e) });
    expect(await slow.start()).toBe(true);
    const slowPid = slow.stats().pid ?? 0;
    process.kill(slowPid, 'SIGSTOP');
    try {
      const dir = plugin('print(1)');
      const run = await runForked(slow, ['cli.py'], opts(dir));
      expect(run.internalError).toMatch(/a call got no answer within 300 ms/);
      expect(slow.stats()).toMatchObject({ state: 'backoff', failures: 1 });
      await waitFor(() => !isAlive(slowPid));
      expect(await runForked(slow, ['cli.py'], opts(dir))).toMatchObject({ exitCode: 0, stdout: '1\n' });
    } finally {
      await slow.stop();
    }
  });
});

/** Every readable, private memory region of a process (for the isolation check). */
function readMemory(pid: number): Buffer[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunks: Buffer[] = [];
  try {
    for (const line of maps) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
      if (!match || line.includes('[vvar]') || line.includes('[vsyscall]')) continue;
      const start = parseInt(match[1], 16);
      const size = parseInt(match[2], 16) - start;
      if (size > 256 * 1024 * 1024) continue;
      const buffer = Buffer.alloc(size);
      try {
        readSync(fd, buffer, 0, size, start);
        chunks.push(buffer);
      } catch {
        // an unreadable region
      }
    }
  } finally {
    closeSync(fd);
  }
  if (chunks.length === 0 || !existsSync(`/proc/${pid}`)) throw new Error('memory not readable');
  return chunks;
}
