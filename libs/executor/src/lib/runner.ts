import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** 0 or undefined: no timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes kept of stdout / stderr; the rest is dropped and `truncated` set. */
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
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
}

export const DEFAULT_MAX_STDOUT = 10 * 1024 * 1024;
export const DEFAULT_MAX_STDERR = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;

/** Kill a whole process group; ESRCH (already gone) is not an error. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has exited already
  }
}

class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    if (this.size >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.size;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (piece.length < chunk.length) this.truncated = true;
    this.chunks.push(piece);
    this.size += piece.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Run a program with an argv array (never a shell), stdin closed, in its own process group, so
 * that timeout and cancellation kill it and everything it started. Never rejects: every outcome,
 * including a failed start, is a RunResult.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const stdout = new CappedBuffer(options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT);
  const stderr = new CappedBuffer(options.maxStderrBytes ?? DEFAULT_MAX_STDERR);
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  return new Promise<RunResult>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;

    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });

    const terminate = (): void => {
      if (child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), grace);
      killTimer.unref();
    };

    const onAbort = (): void => {
      cancelled = true;
      terminate();
    };

    const finish = (result: Omit<RunResult, 'durationMs' | 'stdout' | 'stderr' | 'stdoutTruncated' | 'stderrTruncated' | 'timedOut' | 'cancelled'>): void => {
      if (settled) return;
      settled = true;
      if (timeoutTimer) clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // The leader is gone, but a grandchild may still hold the group: make sure it dies too.
      if (child.pid !== undefined && (timedOut || cancelled)) killGroup(child.pid, 'SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      resolve({
        ...result,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        timedOut,
        cancelled: cancelled && !timedOut,
        durationMs: performance.now() - started,
      });
    };

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => finish({ exitCode: null, signal: null, spawnError: err.message }));
    // 'close' waits for the pipes too, so no output is lost.
    child.on('close', (code, signal) => finish({ exitCode: code, signal }));

    if (options.timeoutMs && options.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, options.timeoutMs);
    }
    if (options.signal) {
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
