import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

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
}

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
  /** Set when the process could not be started at all (ENOENT, EACCES...). */
  spawnError?: string;
  /** Set when the run was ended because a stream went past its cap. */
  outputLimit?: OutputLimitExceeded;
}

export const DEFAULT_MAX_STDOUT = 10 * 1024 * 1024;
export const DEFAULT_MAX_STDERR = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;
export const DEFAULT_DRAIN_MS = 250;

/** Signal a whole process group; ESRCH (already gone) is not an error. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has exited already
  }
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

type EndReason = 'timeout' | 'cancelled' | 'output';

/**
 * Run a program with an argv array (never a shell), stdin closed, in its own process group, so
 * that timeout and cancellation kill it and everything it started (SIGTERM, then SIGKILL after
 * `killGraceMs`). Never rejects: every outcome, including a failed start, is a RunResult.
 *
 * The run ends when the leader has exited and its pipes are closed, or `drainMs` after the
 * leader exited if something else still holds them. Whatever is left in the process group
 * when the run ends is killed: a call leaves no process behind.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const stdout = new CappedBuffer(options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT);
  const stderr = new CappedBuffer(options.maxStderrBytes ?? DEFAULT_MAX_STDERR);
  const grace = Math.max(0, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  const drain = Math.max(0, options.drainMs ?? DEFAULT_DRAIN_MS);

  return new Promise<RunResult>((resolve) => {
    /** The first cause that ended the run early wins. */
    let reason: EndReason | undefined;
    let outputLimit: OutputLimitExceeded | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const result = (spawnError?: string): RunResult => ({
      exitCode: exited?.code ?? null,
      signal: exited?.signal ?? null,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      timedOut: reason === 'timeout',
      cancelled: reason === 'cancelled',
      durationMs: performance.now() - started,
      ...(spawnError === undefined ? {} : { spawnError }),
      ...(outputLimit ? { outputLimit } : {}),
    });

    let child: ChildProcess;
    try {
      child = spawn(command, [...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        shell: false,
        windowsHide: true,
      });
    } catch (err) {
      // Synchronous refusals (e.g. a NUL byte in an argument) are results too.
      settled = true;
      resolve(result((err as Error).message));
      return;
    }
    const pid = child.pid;

    const onAbort = (): void => terminate('cancelled');

    const finish = (spawnError?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // The leader is gone; anything still in its group (a grandchild) dies with the call.
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result(spawnError));
    };

    function terminate(why: EndReason): void {
      if (settled || reason !== undefined || exited !== undefined) return;
      reason = why;
      clearTimeout(timeoutTimer);
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), grace);
      killTimer.unref();
    }

    const overflow = (buffer: CappedBuffer, stream: OutputLimitExceeded['stream']): void => {
      if (reason !== undefined || exited !== undefined) return;
      outputLimit = { stream, limitBytes: buffer.cap };
      terminate('output');
    };

    // Past a cap the data is still read (and dropped) so the writer never blocks on a full pipe
    // before the kill lands; memory stays at the cap.
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk) || overflow(stdout, 'stdout'));
    const lines = options.onStderrLine ? new LineSplitter(options.onStderrLine) : undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      lines?.push(chunk);
      if (!stderr.push(chunk)) overflow(stderr, 'stderr');
    });
    child.stderr?.on('end', () => lines?.end());
    child.on('error', (err) => finish(err.message));
    child.on('exit', (code, signal) => {
      if (settled) return;
      exited = { code, signal };
      clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // 'close' waits for the pipes, which a grandchild may hold open for as long as it lives.
      drainTimer = setTimeout(() => finish(), drain);
    });
    child.on('close', (code, signal) => {
      exited ??= { code, signal };
      finish();
    });

    if (options.timeoutMs && options.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => terminate('timeout'), options.timeoutMs);
    }
    if (options.signal) {
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
