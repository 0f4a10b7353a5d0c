import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { CallCgroup } from './sandbox';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** 0 or undefined: no timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Output caps in bytes. Output beyond a cap is dropped, the stream flagged truncated, and the
   * run ended at once (process group killed): a plugin that floods is never read to the end.
   */
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /**
   * After the leader exits, how long to wait for its pipes to close. A process it left behind
   * (a grandchild) may hold them open; past this, the group is killed and the run ends with
   * what was read.
   */
  drainMs?: number;
  /** Each complete stderr line as it arrives (progress and log lines of the plugin). */
  onStderrLine?: (line: string) => void;
  /**
   * The call's pids cgroup (the sandbox's process limit): watched while the call runs; a call whose
   * fork or clone was refused at the limit is ended (`processLimit` in its result).
   */
  cgroup?: CallCgroup;
  /** The limit the operator set, for the message (MCP_PLUGIN_MAX_PROCS). */
  maxProcs?: number;
  /** The plugin gets no network (the sandbox gives it an empty network namespace). */
  offline?: boolean;
  /** How the process is started: forked from the Python fork server, or spawned (the default). */
  launch?: 'fork' | 'spawn';
  /**
   * The program is bubblewrap with `--info-fd 3`: fd 3 reports the pid of the sandbox's PID 1 (tini),
   * which gets SIGTERM (it passes it on to the plugin's process group); SIGKILL goes to the whole
   * group, and an exit status above 128 is the plugin's death by that signal, as tini reports it.
   */
  sandboxInfoFd?: boolean;
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
}

/** How often a running call's pids cgroup is checked for a refused fork. */
export const PROCESS_LIMIT_POLL_MS = 200;

/** Longest stderr line handed to onStderrLine; longer lines are cut. */
export const MAX_STDERR_LINE_CHARS = 64 * 1024;

/** Splits a byte stream into text lines across chunk boundaries. */
export class LineSplitter {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const lines = text.split(/\r?\n/);
    this.partial = (lines.pop() ?? '').slice(0, MAX_STDERR_LINE_CHARS);
    for (const line of lines) this.onLine(line.slice(0, MAX_STDERR_LINE_CHARS));
  }

  /** The last line, when the stream ended without a newline. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    if (rest !== '') this.onLine(rest.slice(0, MAX_STDERR_LINE_CHARS));
  }
}

/** Which cap ended a run, and at how many bytes the stream was cut. */
export interface OutputLimitExceeded {
  stream: 'stdout' | 'stderr';
  limitBytes: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  /** When the run began (ms since the epoch), and how: forked from the fork server or spawned. */
  startedAt?: number;
  launch?: 'fork' | 'spawn';
  /** The plugin process (its group's leader), once it started. */
  pid?: number;
  /** Set when the process could not be started at all (ENOENT, EACCES...). */
  spawnError?: string;
  /** Set when the run was ended because a stream went past its cap. */
  outputLimit?: OutputLimitExceeded;
  /** Set when the run was ended because it reached its process limit (the limit, processes and threads). */
  processLimit?: number;
  /**
   * Set when the gateway lost track of a started run (the Python fork server died while it ran):
   * the process group was killed and the plugin's own outcome is unknown.
   */
  internalError?: string;
}

export const DEFAULT_MAX_STDOUT = 10 * 1024 * 1024;
export const DEFAULT_MAX_STDERR = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;
// Long enough that a loaded machine still reads the last lines of a plugin that exited normally;
// it only delays calls whose leftover grandchild holds the pipes open.
export const DEFAULT_DRAIN_MS = 1_000;

/** Signal a whole process group; ESRCH (already gone) is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has exited already
  }
}

/**
 * Whether a process blocks SIGTERM (reads `SigBlk` of /proc/<pid>/status). tini, the sandbox's PID 1,
 * blocks the signals it passes on as it starts; before that, a SIGTERM to a PID 1 with the default
 * action is discarded by the kernel, so the runner waits for it.
 */
export function blocksSigterm(pid: number): boolean {
  try {
    const match = /^SigBlk:\s*([0-9a-f]+)$/im.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match !== null && (BigInt(`0x${match[1]}`) & (1n << BigInt(constants.signals.SIGTERM - 1))) !== 0n;
  } catch {
    return false;
  }
}

/** Signal one process; ESRCH (already gone) is not an error. */
function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // it has exited already
  }
}

/** tini's exit status for a child killed by a signal is 128 + its number, as a shell's. */
function sandboxedExit(code: number | null, signal: NodeJS.Signals | null): { code: number | null; signal: NodeJS.Signals | null } {
  if (code === null || code <= 128) return { code, signal };
  const name = (Object.keys(constants.signals) as NodeJS.Signals[]).find((n) => constants.signals[n] === code - 128);
  return name ? { code: null, signal: name } : { code, signal };
}

/**
 * bwrap's `--info-fd` JSON: the pid (in the gateway's PID namespace) of the sandbox's PID 1. Read to
 * its end (bwrap closes it): bwrap writes it in several writes, and one into a closed pipe kills it.
 */
function readChildPid(stream: Readable, onPid: (pid: number) => void): void {
  let text = '';
  let found = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (text.length < 4096) text += chunk;
    const match = found ? null : /"child-pid"\s*:\s*(\d+)/.exec(text);
    if (match) {
      found = true;
      onPid(Number(match[1]));
    }
  });
  stream.on('error', () => undefined);
}

/** Keeps the first `cap` bytes; memory stays bounded however much is pushed. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(readonly cap: number) {}
  /** False once anything had to be dropped. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.cap - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.cap;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }
  /** UTF-8, lossy: invalid sequences become U+FFFD, never an exception. */
  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}


type EndReason = 'timeout' | 'cancelled' | 'output' | 'processes';

/** How a run ended other than by its process closing its output. */
export interface RunEnd {
  /** The process could not be started at all. */
  spawnError?: string;
  /** The gateway lost the run (see RunResult.internalError). */
  internalError?: string;
}

/**
 * The life of one plugin process, whatever started it (a spawn, or the Python fork server): output
 * capped, stderr split into lines, timeout and cancellation (SIGTERM to the process group, SIGKILL
 * after the grace period), the drain period after the leader exited, the final SIGKILL of whatever
 * is left in the group, and the RunResult. The starter feeds it events; `result` settles once.
 *
 * A termination requested before the process group is known (`setPid` not yet called) is delivered
 * when it becomes known.
 */
export class ProcessRun {
  readonly result: Promise<RunResult>;
  private resolveResult: (result: RunResult) => void = () => undefined;
  private readonly started = performance.now();
  private readonly stdout: CappedBuffer;
  private readonly stderr: CappedBuffer;
  private readonly lines: LineSplitter | undefined;
  private readonly grace: number;
  private readonly drain: number;
  /** The first cause that ended the run early wins. */
  private reason: EndReason | undefined;
  private outputLimit: OutputLimitExceeded | undefined;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private settled = false;
  private pid: number | undefined;
  /** Where SIGTERM goes when not to the group (a sandbox's PID 1); undefined: not known yet. */
  private termPid: number | undefined;
  private awaitTermPid = false;
  private processLimitHit = false;
  private cgroup: CallCgroup | undefined;
  private limitTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly cleanups: Array<() => void> = [];
  private readonly onAbort = (): void => this.terminate('cancelled');

  constructor(private readonly options: RunOptions) {
    this.result = new Promise<RunResult>((resolve) => {
      this.resolveResult = resolve;
    });
    this.stdout = new CappedBuffer(options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT);
    this.stderr = new CappedBuffer(options.maxStderrBytes ?? DEFAULT_MAX_STDERR);
    this.lines = options.onStderrLine ? new LineSplitter(options.onStderrLine) : undefined;
    this.grace = Math.max(0, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    this.drain = Math.max(0, options.drainMs ?? DEFAULT_DRAIN_MS);
    this.cgroup = options.cgroup;
  }

  /** True once the result is settled (or the run was abandoned). */
  get done(): boolean {
    return this.settled;
  }

  /** Start the timeout clock and listen for cancellation. */
  arm(): void {
    if (this.settled) return;
    const { timeoutMs, signal } = this.options;
    if (timeoutMs && timeoutMs > 0) this.timeoutTimer = setTimeout(() => this.terminate('timeout'), timeoutMs);
    if (signal) {
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
    this.watchLimit();
  }

  /**
   * The call's pids cgroup, when it becomes known after the start (the fork server makes it): watched
   * from now on, and removed once the run is over.
   */
  attachCgroup(cgroup: CallCgroup): void {
    if (this.settled) {
      cgroup.remove();
      return;
    }
    this.cgroup = cgroup;
    this.onSettled(() => cgroup.remove());
    this.watchLimit();
  }

  private watchLimit(): void {
    const cgroup = this.cgroup;
    if (!cgroup || this.limitTimer !== undefined || this.settled) return;
    this.limitTimer = setInterval(() => {
      if (!cgroup.reachedLimit()) return;
      this.processLimitHit = true;
      this.terminate('processes');
    }, PROCESS_LIMIT_POLL_MS);
    this.limitTimer.unref();
  }

  /**
   * SIGTERM goes to this process rather than to the group (the sandbox's PID 1, which passes it on
   * to the plugin's group); call expectTermPid() first so that a termination waits for it.
   */
  expectTermPid(): void {
    this.awaitTermPid = true;
  }

  setTermPid(pid: number): void {
    if (this.settled || this.termPid !== undefined) return;
    this.termPid = pid;
    if (this.killTimer !== undefined && this.exited === undefined) this.sendTerm();
  }

  /** SIGTERM to the sandbox's PID 1 once it can take it (see blocksSigterm); SIGKILL follows anyway. */
  private sendTerm(attempts = 100): void {
    const pid = this.termPid;
    if (pid === undefined || this.settled || this.exited !== undefined) return;
    if (blocksSigterm(pid) || attempts <= 0) {
      signalProcess(pid, 'SIGTERM');
      return;
    }
    setTimeout(() => this.sendTerm(attempts - 1), 5).unref();
  }

  /** The leader's pid, which is also its process group id. */
  setPid(pid: number): void {
    if (this.settled) return;
    this.pid = pid;
    if (this.reason !== undefined && this.exited === undefined) this.signalGroup();
  }

  /** Called once the run is over (streams to destroy and the like). */
  onSettled(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  stdoutData(chunk: Buffer): void {
    // Past a cap the data is still read (and dropped) so the writer never blocks on a full pipe
    // before the kill lands; memory stays at the cap.
    if (!this.stdout.push(chunk)) this.overflow(this.stdout, 'stdout');
  }

  stderrData(chunk: Buffer): void {
    this.lines?.push(chunk);
    if (!this.stderr.push(chunk)) this.overflow(this.stderr, 'stderr');
  }

  stderrEnd(): void {
    this.lines?.end();
  }

  /** The leader exited; its output may still be held open by what it left behind. */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.settled) return;
    this.exited = { code, signal };
    clearTimeout(this.timeoutTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    // Closing waits for the output streams, which a grandchild may hold open for as long as it lives.
    this.drainTimer = setTimeout(() => this.finish(), this.drain);
  }

  /** The leader exited and its output streams are closed. */
  close(code: number | null = null, signal: NodeJS.Signals | null = null): void {
    this.exited ??= { code, signal };
    this.finish();
  }

  /** End the run now: kill what is left of the group and settle the result. */
  finish(end: RunEnd = {}): void {
    if (this.settled) return;
    this.stop();
    // The leader is gone; anything still in its group (a grandchild) dies with the call.
    if (this.pid !== undefined) killGroup(this.pid, 'SIGKILL');
    this.resolveResult(this.assemble(end));
  }

  /**
   * Give the run up without a result, when nothing of it ever ran (the caller starts it another
   * way, with the same options).
   */
  abandon(): void {
    if (!this.settled) this.stop();
  }

  terminate(why: EndReason): void {
    if (this.settled || this.reason !== undefined || this.exited !== undefined) return;
    this.reason = why;
    clearTimeout(this.timeoutTimer);
    if (this.pid !== undefined) this.signalGroup();
  }

  private signalGroup(): void {
    const pid = this.pid;
    if (pid === undefined || this.killTimer !== undefined) return;
    if (!this.awaitTermPid) killGroup(pid, 'SIGTERM');
    else this.sendTerm();
    this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.grace);
    this.killTimer.unref();
  }

  private overflow(buffer: CappedBuffer, stream: OutputLimitExceeded['stream']): void {
    if (this.reason !== undefined || this.exited !== undefined) return;
    this.outputLimit = { stream, limitBytes: buffer.cap };
    this.terminate('output');
  }

  private stop(): void {
    this.settled = true;
    clearInterval(this.limitTimer);
    // A plugin that met its limit and gave up on its own has reached it all the same.
    if (!this.processLimitHit && this.cgroup?.reachedLimit()) this.processLimitHit = true;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.drainTimer);
    clearTimeout(this.killTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private assemble({ spawnError, internalError }: RunEnd): RunResult {
    return {
      exitCode: this.exited?.code ?? null,
      signal: this.exited?.signal ?? null,
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      timedOut: this.reason === 'timeout',
      cancelled: this.reason === 'cancelled',
      durationMs: performance.now() - this.started,
      startedAt: performance.timeOrigin + this.started,
      launch: this.options.launch ?? 'spawn',
      ...(this.pid === undefined ? {} : { pid: this.pid }),
      ...(spawnError === undefined ? {} : { spawnError }),
      ...(this.outputLimit ? { outputLimit: this.outputLimit } : {}),
      ...(this.processLimitHit ? { processLimit: this.options.maxProcs ?? 0 } : {}),
      ...(internalError === undefined ? {} : { internalError }),
    };
  }
}

/**
 * Run a program with an argv array (never a shell), stdin closed (or given `options.stdin` and
 * then closed), in its own process group, so
 * that timeout and cancellation kill it and everything it started (SIGTERM, then SIGKILL after
 * `killGraceMs`). Never rejects: every outcome, including a failed start, is a RunResult.
 *
 * The run ends when the leader has exited and its pipes are closed, or `drainMs` after the
 * leader exited if something else still holds them. Whatever is left in the process group
 * when the run ends is killed: a call leaves no process behind.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const run = new ProcessRun(options);
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(options.sandboxInfoFd ? ['pipe' as const] : [])],
      detached: true,
      shell: false,
      windowsHide: true,
    });
  } catch (err) {
    // Synchronous refusals (e.g. a NUL byte in an argument) are results too.
    run.finish({ spawnError: (err as Error).message });
    return run.result;
  }
  run.onSettled(() => {
    child.stdout?.destroy();
    child.stderr?.destroy();
    (child.stdio[3] as Readable | null | undefined)?.destroy();
  });
  const info = options.sandboxInfoFd ? (child.stdio[3] as Readable | null | undefined) : undefined;
  if (info) {
    run.expectTermPid();
    readChildPid(info, (pid) => run.setTermPid(pid));
  }
  if (child.pid !== undefined) run.setPid(child.pid);
  if (options.stdin !== undefined && child.stdin) {
    // A plugin that exits without reading its answers closes the pipe: not an error of the run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  }
  child.stdout?.on('data', (chunk: Buffer) => run.stdoutData(chunk));
  child.stderr?.on('data', (chunk: Buffer) => run.stderrData(chunk));
  child.stderr?.on('end', () => run.stderrEnd());
  child.on('error', (err) => run.finish({ spawnError: err.message }));
  const status = options.sandboxInfoFd ? sandboxedExit : (code: number | null, signal: NodeJS.Signals | null) => ({ code, signal });
  child.on('exit', (code, signal) => {
    const ended = status(code, signal);
    run.exit(ended.code, ended.signal);
  });
  child.on('close', (code, signal) => {
    const ended = status(code, signal);
    run.close(ended.code, ended.signal);
  });
  run.arm();
  return run.result;
}
