import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRun, killGroup, runProcess } from './runner';
import type { RunOptions, RunResult } from './runner';
import { entriesOfGoneGateways } from './sandbox';
import type { Sandbox } from './sandbox';

/**
 * The Python side, a real file beside this module: `libs/executor/src/lib` when run from source,
 * and beside `main.js` in the webpack bundle (apps/server/webpack.config.cjs emits it as an asset;
 * bundled code's `__dirname` is main.js's folder).
 */
export const FORK_SERVER_SCRIPT = join(__dirname, 'fork_server.py');

/** After the fork server failed, Python plugins are spawned for this long before it is started again. */
export const FORK_SERVER_DEFAULT_RETRY_MS = 30_000;
/** Longest the fork server may take to import its modules and say it is ready. */
export const FORK_SERVER_DEFAULT_START_TIMEOUT_MS = 15_000;
/** Longest from a request to the report that its child runs; past it the server is taken for broken. */
export const FORK_SERVER_DEFAULT_SETUP_TIMEOUT_MS = 10_000;

/**
 * `idle`: never started (it starts on start() or the first Python call); `starting`; `ready`: Python calls are
 * forked; `backoff`: it failed, calls are spawned until the retry time; `stopped`: shut down for good.
 */
export type ForkServerState = 'idle' | 'starting' | 'ready' | 'backoff' | 'stopped';

export type ForkServerEvent =
  | { type: 'ready'; pid: number; startMs: number; version: string }
  | { type: 'failed'; reason: string; retryInMs: number }
  | { type: 'stopped' };

export interface ForkServerOptions {
  /** The interpreter, exactly as spawned plugins get it (it becomes sys.executable and argv[0]). */
  python: string;
  /** The fork server's Python file (default FORK_SERVER_SCRIPT). */
  script?: string;
  /**
   * The environment of the server process, read at each start: the part of a plugin's environment
   * that every call shares (see ExecutorService.childEnv). A call whose environment differs from it
   * in a variable the interpreter reads at start-up runs in a fresh interpreter.
   */
  env: () => NodeJS.ProcessEnv;
  retryMs?: number;
  startTimeoutMs?: number;
  setupTimeoutMs?: number;
  onEvent?: (event: ForkServerEvent) => void;
  /**
   * The plugin sandbox: when active, the server runs inside bubblewrap and isolates each call (see
   * fork_server.py `_isolate`); a server that cannot isolate calls fails, and calls are spawned.
   */
  sandbox?: Sandbox;
  /** How a call is spawned when the server cannot take it (default: runProcess with `python`). */
  spawn?: (args: readonly string[], options: RunOptions) => Promise<RunResult>;
}

export interface ForkServerStats {
  state: ForkServerState;
  /** The server process, when one runs. */
  pid: number | null;
  /** Calls run through the fork server (warm copies and cold execs). */
  forked: number;
  /** Of those, calls that ran in a fresh interpreter exec'd in the prepared child. */
  cold: number;
  /** Python calls spawned because the server was not ready or could not start them. */
  spawned: number;
  /** Server processes started, and how many of them failed (exited, broke the protocol, never got ready). */
  starts: number;
  failures: number;
}

type StreamName = 'stdout' | 'stderr';

interface ForkCall {
  id: number;
  token: string;
  /** The private part of the call, written to the child's stdout connection: never seen by the server. */
  payload: string;
  run: ProcessRun;
  refused: (reason: string) => void;
  pid?: number;
  exited: boolean;
  sockets: Partial<Record<StreamName, Socket>>;
  closed: Record<StreamName, boolean>;
  setupTimer?: NodeJS.Timeout;
}

interface ProcessHooks {
  ready(pid: number, version: string): void;
  died(reason: string): void;
  started(cold: boolean): void;
}

type ControlMessage = {
  ready?: unknown;
  isolation?: unknown;
  id?: unknown;
  pid?: unknown;
  version?: unknown;
  cold?: unknown;
  exit?: unknown;
  signal?: unknown;
  refused?: unknown;
  cgroup?: unknown;
};

const STDERR_TAIL_CHARS = 2_000;
const HEADER_MAX_BYTES = 128;

const SOCKET_FOLDER_PREFIX = 'sanctum-fork-';

/**
 * Socket folders of gateways that are gone (`sanctum-fork-<pid>-*`, its pid not running). A sandboxed
 * fork server removes its socket when its gateway dies, but not the folder, a mount point in its
 * sandbox: the next start removes it.
 */
export function removeStaleSocketFolders(parent: string): void {
  for (const entry of entriesOfGoneGateways(parent, new RegExp(`^${SOCKET_FOLDER_PREFIX}(\\d+)-`))) {
    rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

/** The environment as a spawned process gets it (Node drops undefined values). */
function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = String(value);
  return result;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** One Python fork server process, its Unix socket and the calls it runs. */
class ForkServerProcess {
  private readonly calls = new Map<number, ForkCall>();
  private readonly tokens = new Map<string, ForkCall>();
  private nextId = 1;
  private dir: string | undefined;
  private server: Server | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private control = '';
  private stderrTail = '';
  private startTimer: NodeJS.Timeout | undefined;
  private isReady = false;
  private ended = false;
  private cgroupFd: number | undefined;
  /** On process.exit (which skips module destroy) the socket folder must still go. */
  private readonly removeDir = (): void => {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  };

  constructor(
    private readonly python: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: { startTimeoutMs: number; setupTimeoutMs: number; sandbox?: Sandbox },
    private readonly hooks: ProcessHooks,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    this.startTimer = setTimeout(() => this.fail(`it did not get ready within ${this.options.startTimeoutMs} ms`), this.options.startTimeoutMs);
    this.startTimer.unref();
    try {
      // mkdtemp creates the folder with mode 0700: only the gateway's user can reach the socket.
      removeStaleSocketFolders(tmpdir());
      this.dir = mkdtempSync(join(tmpdir(), `${SOCKET_FOLDER_PREFIX}${process.pid}-`));
      process.once('exit', this.removeDir);
    } catch (err) {
      this.fail(`cannot create its socket folder: ${(err as Error).message}`);
      return;
    }
    const socketPath = join(this.dir, 's');
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    server.on('error', (err) => this.fail(`its socket failed: ${err.message}`));
    server.listen(socketPath, () => this.launch(socketPath));
    server.unref();
  }

  private launch(socketPath: string): void {
    if (this.ended) return;
    const sandbox = this.options.sandbox?.active ? this.options.sandbox : undefined;
    // The process limit holds without the isolation too: each call joins its cgroup.
    const limit = this.options.sandbox?.processLimit;
    let child: ChildProcess;
    let cgroupFd: number | undefined;
    try {
      // The calls' cgroups are made by the gateway; the server joins each call to its own through
      // this folder (its fd 3), which no plugin can reach: each call closes it before it runs.
      if (limit) cgroupFd = openSync(limit.root, 'r');
      const command = sandbox
        ? sandbox.wrapForkServer(this.python, [this.script, socketPath, this.python], this.dir ?? socketPath)
        : { program: this.python, args: [this.script, socketPath, this.python] };
      // Its own process group (detached): a Ctrl-C in the gateway's terminal does not reach it.
      child = spawn(command.program, command.args, {
        cwd: '/',
        env: this.env,
        stdio: cgroupFd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', cgroupFd],
        detached: true,
        shell: false,
        windowsHide: true,
      });
    } catch (err) {
      this.fail(`cannot start ${this.python}: ${(err as Error).message}`);
      return;
    } finally {
      // Held until the server is gone (cleanUp): an fd number closed here could be reused at once.
      this.cgroupFd = cgroupFd;
    }
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    child.on('error', (err) => this.fail(`cannot start ${this.python}: ${err.message}`));
    child.on('exit', (code, signal) => {
      const tail = this.stderrTail.trim();
      this.fail(`it ${describeExit(code, signal)}${tail ? `: ${tail}` : ''}`);
    });
    child.stdin?.on('error', () => undefined);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => this.onControl(text));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    // An idle fork server never keeps the gateway alive; a call in flight refs the control pipe.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();
    // The environment it was spawned with, before the interpreter's start-up changed any of it.
    const isolation =
      sandbox || limit
        ? {
            isolate: sandbox !== undefined,
            cgroupFd: limit ? 3 : null,
            maxTasks: limit?.tasks ?? null,
            writable: sandbox?.writable ?? [],
            readable: sandbox?.readable ?? [],
          }
        : null;
    child.stdin?.write(`${JSON.stringify({ env: definedEnv(this.env), sandbox: isolation })}\n`);
  }

  /** Run one call; `refused` is called instead of any result when nothing of the plugin ran. */
  submit(argv0: string, argv: readonly string[], options: RunOptions, run: ProcessRun, refused: (reason: string) => void): void {
    const id = this.nextId++;
    const token = randomBytes(16).toString('hex');
    const env = definedEnv(options.env);
    const call: ForkCall = {
      id,
      token,
      payload: `${JSON.stringify({ cwd: options.cwd, argv0, argv, env })}\n`,
      run,
      refused,
      exited: false,
      sockets: {},
      closed: { stdout: false, stderr: false },
    };
    this.calls.set(id, call);
    this.tokens.set(token, call);
    if (this.calls.size === 1) (this.child?.stdout as Socket | null | undefined)?.ref();
    run.onSettled(() => this.release(call));
    call.setupTimer = setTimeout(() => this.fail(`a call got no answer within ${this.options.setupTimeoutMs} ms`), this.options.setupTimeoutMs);
    // The server learns which script runs (to compile it once), never the call's argv or environment.
    // The server makes the call's pids cgroup (or has a child waiting in one): its name comes back
    // with the pid, and the run removes it when over.
    const request = { id, token, cwd: options.cwd, argv0, offline: options.offline === true };
    this.child?.stdin?.write(`${JSON.stringify(request)}\n`);
    run.arm();
  }

  private release(call: ForkCall): void {
    clearTimeout(call.setupTimer);
    this.calls.delete(call.id);
    this.tokens.delete(call.token);
    call.sockets.stdout?.destroy();
    call.sockets.stderr?.destroy();
    if (this.calls.size === 0) (this.child?.stdout as Socket | null | undefined)?.unref();
  }

  /** A connection from the server for a call: `<token> stdout|stderr\n`, then the stream. */
  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.ended) {
      socket.destroy();
      return;
    }
    let head: Buffer = Buffer.alloc(0);
    let attached = false;
    const onHead = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const newline = head.indexOf(0x0a);
      if (newline < 0) {
        if (head.length > HEADER_MAX_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onHead);
      const [token, kind, ...extra] = head.subarray(0, newline).toString('latin1').split(' ');
      const call = this.tokens.get(token);
      if (!call || extra.length > 0 || (kind !== 'stdout' && kind !== 'stderr') || call.sockets[kind] || call.run.done) {
        socket.destroy();
        return;
      }
      attached = true;
      this.attach(call, kind, socket, head.subarray(newline + 1));
    };
    socket.on('data', onHead);
    socket.on('end', () => {
      if (!attached) socket.destroy();
    });
  }

  private attach(call: ForkCall, kind: StreamName, socket: Socket, rest: Buffer): void {
    call.sockets[kind] = socket;
    // The token is good for one connection of each kind.
    if (call.sockets.stdout && call.sockets.stderr) this.tokens.delete(call.token);
    if (kind === 'stdout') socket.end(call.payload);
    const onData = kind === 'stdout' ? (chunk: Buffer) => call.run.stdoutData(chunk) : (chunk: Buffer) => call.run.stderrData(chunk);
    if (rest.length > 0) onData(rest);
    socket.on('data', onData);
    if (kind === 'stderr') socket.on('end', () => call.run.stderrEnd());
    socket.on('close', () => {
      call.closed[kind] = true;
      if (call.exited && call.closed.stdout && call.closed.stderr) call.run.close();
    });
  }

  private onControl(text: string): void {
    this.control += text;
    let newline: number;
    while ((newline = this.control.indexOf('\n')) >= 0) {
      const line = this.control.slice(0, newline);
      this.control = this.control.slice(newline + 1);
      if (line.trim() === '' || this.ended) continue;
      let message: ControlMessage;
      try {
        message = JSON.parse(line) as ControlMessage;
      } catch {
        this.fail(`it broke the protocol: ${JSON.stringify(line.slice(0, 200))}`);
        return;
      }
      if (!this.dispatch(message)) {
        this.fail(`it broke the protocol: ${JSON.stringify(line.slice(0, 200))}`);
        return;
      }
    }
  }

  private dispatch(message: ControlMessage): boolean {
    if (message.ready === false && typeof message.isolation === 'string') {
      this.fail(`it cannot isolate calls here: ${message.isolation}`);
      return true;
    }
    if (message.ready === true) {
      if (this.isReady || typeof message.pid !== 'number') return false;
      this.isReady = true;
      clearTimeout(this.startTimer);
      this.hooks.ready(message.pid, typeof message.version === 'string' ? message.version : '?');
      return true;
    }
    if (typeof message.id !== 'number') return false;
    // A call finished by the gateway (its result settled) may still get its last reports.
    const call = this.calls.get(message.id);
    const cgroup = typeof message.cgroup === 'string' && /^f\d+-\d+$/.test(message.cgroup) ? this.options.sandbox?.processLimit?.existing(message.cgroup) : undefined;
    if (typeof message.refused === 'string') {
      cgroup?.remove();
      if (call && call.pid === undefined) {
        call.run.abandon();
        call.refused(message.refused);
      }
      return true;
    }
    if (typeof message.pid === 'number') {
      if (!call) {
        // Nobody waits for this child any more: it must not run unsupervised.
        killGroup(message.pid, 'SIGKILL');
        cgroup?.remove();
        return true;
      }
      if (cgroup) call.run.attachCgroup(cgroup);
      if (call.pid !== undefined) return false;
      clearTimeout(call.setupTimer);
      call.pid = message.pid;
      this.hooks.started(message.cold === true);
      call.run.setPid(message.pid);
      return true;
    }
    const code = typeof message.exit === 'number' ? message.exit : null;
    const signal = typeof message.signal === 'string' ? (message.signal as NodeJS.Signals) : null;
    if (code === null && signal === null) return false;
    if (!call) return true;
    if (call.pid === undefined) return false;
    call.exited = true;
    call.run.exit(code, signal);
    if (call.closed.stdout && call.closed.stderr) call.run.close();
    return true;
  }

  /** The calls in flight lose their server: kill what runs and say so in their results. */
  private loseCalls(reason: string): void {
    for (const call of [...this.calls.values()]) {
      if (call.exited) {
        // Its exit status is known: the result is complete but for output still draining.
        call.run.finish();
        continue;
      }
      if (call.pid !== undefined) killGroup(call.pid, 'SIGKILL');
      call.run.finish({ internalError: reason });
    }
  }

  private cleanUp(): void {
    clearTimeout(this.startTimer);
    if (this.cgroupFd !== undefined) closeSync(this.cgroupFd);
    this.cgroupFd = undefined;
    this.server?.close();
    process.off('exit', this.removeDir);
    this.removeDir();
  }

  /** Unexpected end: the server died, broke the protocol or never got ready. */
  private fail(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    const pid = this.child?.pid;
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    this.loseCalls(`the Python fork server failed while the call was running (${reason})`);
    this.cleanUp();
    this.hooks.died(reason);
  }

  /** Shutdown: closing its stdin makes the server kill the children it has and exit. */
  async stop(): Promise<void> {
    if (this.ended) return this.exited;
    this.ended = true;
    this.loseCalls('the gateway is shutting down');
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      const pid = child.pid;
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 1_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.cleanUp();
  }
}

/**
 * A long-lived Python process that forks a warm copy of itself for each `cli.py` call, so a call
 * does not pay for an interpreter start and the imports of the standard modules plugins use. Each
 * call is isolated exactly as a spawn: own session and process group, stdin /dev/null, the given
 * cwd and environment (nothing else), fresh stdio, argv, __main__, and the same kill, cap, drain
 * and result rules (one ProcessRun). Started by start() (the gateway calls it before discovery's
 * first `--describe` of a `cli.py` plugin) or else on the first Python call (which, like any call
 * made while it is not ready, is spawned); when it fails it is restarted after `retryMs`, and calls
 * are spawned meanwhile. Never used for anything but `python <script> ...`.
 */
export class ForkServer {
  private current: ForkServerProcess | undefined;
  private state: ForkServerState = 'idle';
  private retryAt = 0;
  private startedAt = 0;
  private waiters: Array<(ready: boolean) => void> = [];
  private readonly counters = { forked: 0, cold: 0, spawned: 0, starts: 0, failures: 0 };

  constructor(private readonly options: ForkServerOptions) {}

  get python(): string {
    return this.options.python;
  }

  stats(): ForkServerStats {
    return { state: this.state, pid: this.state === 'ready' ? (this.current?.pid ?? null) : null, ...this.counters };
  }

  /**
   * Start the server unless it runs, is starting or waits for its retry time; resolves true once it
   * is ready, false if it failed or was stopped.
   */
  start(): Promise<boolean> {
    if (this.state === 'ready') return Promise.resolve(true);
    if (this.state === 'stopped') return Promise.resolve(false);
    if (this.state === 'idle' || (this.state === 'backoff' && Date.now() >= this.retryAt)) this.launch();
    if (this.state !== 'starting') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // The server's own handles are unref'd (it must never keep the gateway alive), so a caller
      // that waits for it keeps the event loop alive until it is settled.
      const hold = setInterval(() => undefined, 1_000);
      this.waiters.push((ready) => {
        clearInterval(hold);
        resolve(ready);
      });
    });
  }

  /**
   * Run `python args[0] args[1...]` (args as given to runProcess after the interpreter) through the
   * server, or spawn it when the server is not ready or could not start it.
   */
  run(args: readonly string[], options: RunOptions): Promise<RunResult> {
    const server = this.usable();
    const [argv0, ...argv] = args;
    if (!server || argv0 === undefined) return this.spawn(args, options);
    const run = new ProcessRun({ ...options, launch: 'fork' });
    this.counters.forked += 1;
    return new Promise<RunResult>((resolve) => {
      void run.result.then(resolve);
      server.submit(argv0, argv, options, run, () => {
        this.counters.forked -= 1;
        resolve(this.spawn(args, options));
      });
    });
  }

  /** Kill the server (its children with it); no more starts. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.settleWaiters(false);
    const current = this.current;
    this.current = undefined;
    await current?.stop();
    this.options.onEvent?.({ type: 'stopped' });
  }

  private spawn(args: readonly string[], options: RunOptions): Promise<RunResult> {
    this.counters.spawned += 1;
    return this.options.spawn ? this.options.spawn(args, options) : runProcess(this.options.python, args, options);
  }

  private usable(): ForkServerProcess | undefined {
    if (this.state === 'ready') return this.current;
    void this.start();
    return undefined;
  }

  private launch(): void {
    this.state = 'starting';
    this.counters.starts += 1;
    this.startedAt = performance.now();
    const server = new ForkServerProcess(
      this.options.python,
      this.options.script ?? FORK_SERVER_SCRIPT,
      this.options.env(),
      {
        startTimeoutMs: this.options.startTimeoutMs ?? FORK_SERVER_DEFAULT_START_TIMEOUT_MS,
        setupTimeoutMs: this.options.setupTimeoutMs ?? FORK_SERVER_DEFAULT_SETUP_TIMEOUT_MS,
        sandbox: this.options.sandbox,
      },
      {
        ready: (pid, version) => {
          if (this.current !== server) return;
          this.state = 'ready';
          this.options.onEvent?.({ type: 'ready', pid, version, startMs: Math.round(performance.now() - this.startedAt) });
          this.settleWaiters(true);
        },
        died: (reason) => {
          if (this.current !== server) return;
          this.current = undefined;
          if (this.state === 'stopped') return;
          const retryInMs = this.options.retryMs ?? FORK_SERVER_DEFAULT_RETRY_MS;
          this.state = 'backoff';
          this.retryAt = Date.now() + retryInMs;
          this.counters.failures += 1;
          this.options.onEvent?.({ type: 'failed', reason, retryInMs });
          this.settleWaiters(false);
        },
        started: (cold) => {
          if (cold) this.counters.cold += 1;
        },
      },
    );
    this.current = server;
    server.start();
  }

  private settleWaiters(ready: boolean): void {
    for (const resolve of this.waiters.splice(0)) resolve(ready);
  }
}

/**
 * runProcess for a Python script, through the fork server: same options, same result, same
 * isolation. `args` are what runProcess would get after the interpreter: `[script, ...argv]`, the
 * script relative to `options.cwd`.
 */
export function runForked(server: ForkServer, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return server.run(args, options);
}
