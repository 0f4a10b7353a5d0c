import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from './runner';
import type { RunOptions } from './runner';
import { isAlive, waitFor } from '../testing/process';

const NODE = process.execPath;
const SH = '/bin/sh';

let workDir: string;

beforeAll(() => {
  workDir = realpathSync(mkdtempSync(join(tmpdir(), 'runner-spec-')));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function opts(extra: Partial<RunOptions> = {}): RunOptions {
  return { cwd: workDir, env: process.env, timeoutMs: 5_000, ...extra };
}

/** True while the process exists and is not a zombie (PID 1 here may not reap orphans). */
function pidsOf(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

const killed: number[] = [];
afterEach(() => {
  // Never leave a stray process behind if an assertion failed.
  for (const pid of killed.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

describe('runProcess', () => {
  it('captures exit code, stdout and stderr', async () => {
    const result = await runProcess(NODE, ['-e', 'process.stdout.write("out ✓"); process.stderr.write("err"); process.exit(3)'], opts());
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: 'out ✓',
      stderr: 'err',
      timedOut: false,
      cancelled: false,
      stdoutTruncated: false,
      stderrTruncated: false,
    });
    expect(result.spawnError).toBeUndefined();
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('passes argv elements verbatim, without a shell', async () => {
    const args = ['--a=$HOME', 'two words', '-rf', '; echo pwned', 'ü\nnewline'];
    const result = await runProcess(NODE, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--', ...args], opts());
    expect(JSON.parse(result.stdout)).toEqual(args);
  });

  it('closes stdin: a child reading it gets EOF at once', async () => {
    const script = 'let n = 0; process.stdin.on("data", (c) => { n += c.length; }); process.stdin.on("end", () => { console.log("eof " + n); });';
    const result = await runProcess(NODE, ['-e', script], opts({ timeoutMs: 2_000 }));
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe('eof 0');
  });

  it('honours cwd and env', async () => {
    const result = await runProcess(NODE, ['-e', 'console.log(JSON.stringify({ cwd: process.cwd(), v: process.env.RUNNER_SPEC_VAR, home: process.env.RUNNER_SPEC_ABSENT ?? null }))'], {
      cwd: workDir,
      env: { PATH: process.env['PATH'] ?? '', RUNNER_SPEC_VAR: 'value ✓' },
      timeoutMs: 5_000,
    });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ cwd: workDir, v: 'value ✓', home: null });
  });

  it('on timeout kills the whole process group, grandchild included', async () => {
    const result = await runProcess(SH, ['-c', 'sleep 30 & echo $!; wait'], opts({ timeoutMs: 400, killGraceMs: 200 }));
    const [grandchild] = pidsOf(result.stdout);
    expect(grandchild).toBeGreaterThan(0);
    killed.push(grandchild);
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.durationMs).toBeLessThan(3_000);
    await waitFor(() => !isAlive(grandchild));
    expect(isAlive(grandchild)).toBe(false);
  });

  it('on timeout also kills a grandchild that ignores SIGTERM and holds no pipe', async () => {
    const script = "(trap '' TERM; exec sleep 30) </dev/null >/dev/null 2>&1 & echo $!; wait";
    const result = await runProcess(SH, ['-c', script], opts({ timeoutMs: 400, killGraceMs: 2_000 }));
    const [grandchild] = pidsOf(result.stdout);
    expect(grandchild).toBeGreaterThan(0);
    killed.push(grandchild);
    expect(result.timedOut).toBe(true);
    // The leader died of SIGTERM; the result did not wait for the 2 s grace.
    expect(result.durationMs).toBeLessThan(1_800);
    await waitFor(() => !isAlive(grandchild), 1_000);
  });

  it('cancels through an AbortSignal', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 150);
    const result = await runProcess(NODE, ['-e', 'setTimeout(() => {}, 30000)'], opts({ signal: controller.signal, timeoutMs: 10_000 }));
    clearTimeout(timer);
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it('cancels at once with an already-aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runProcess(NODE, ['-e', 'setTimeout(() => {}, 30000)'], opts({ signal: controller.signal }));
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it('reports neither cancelled nor timed out for a normal exit with a signal attached', async () => {
    const controller = new AbortController();
    const result = await runProcess(NODE, ['-e', 'console.log("done")'], opts({ signal: controller.signal }));
    controller.abort();
    expect(result).toMatchObject({ exitCode: 0, cancelled: false, timedOut: false, stdout: 'done\n' });
  });

  it('kills a child that ignores SIGTERM after killGraceMs', async () => {
    const ready = join(workDir, 'ready-ignore-term');
    const controller = new AbortController();
    const pending = runProcess(SH, ['-c', `trap '' TERM; : > "$0"; sleep 30`, ready], opts({ signal: controller.signal, killGraceMs: 200, timeoutMs: 10_000 }));
    await waitFor(() => existsSync(ready));
    const abortedAt = performance.now();
    controller.abort();
    const result = await pending;
    const afterAbort = performance.now() - abortedAt;
    expect(result.cancelled).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(afterAbort).toBeGreaterThanOrEqual(150);
    expect(afterAbort).toBeLessThan(1_500);
  });

  it.each<[string, string, 'stdout' | 'stderr', number, number]>([
    ['stdout', 'process.stdout.write("a".repeat(5000)); process.stderr.write("e"); setTimeout(() => {}, 30000)', 'stdout', 100, 1_000],
    ['stderr', 'process.stdout.write("o"); process.stderr.write("b".repeat(5000)); setTimeout(() => {}, 30000)', 'stderr', 1_000, 100],
  ])('caps %s at exactly the limit, flags it truncated and ends the run at once', async (_name, script, which, maxStdoutBytes, maxStderrBytes) => {
    const result = await runProcess(NODE, ['-e', script], opts({ maxStdoutBytes, maxStderrBytes, timeoutMs: 10_000 }));
    expect(result.durationMs).toBeLessThan(3_000);
    expect(result.timedOut).toBe(false);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    if (which === 'stdout') {
      expect(result.stdout).toBe('a'.repeat(100));
      expect(result.stdoutTruncated).toBe(true);
      expect(result.outputLimit).toEqual({ stream: 'stdout', limitBytes: 100 });
    } else {
      expect(result.stderr).toBe('b'.repeat(100));
      expect(result.stderrTruncated).toBe(true);
      expect(result.stdout).toBe('o');
      expect(result.stdoutTruncated).toBe(false);
      expect(result.outputLimit).toEqual({ stream: 'stderr', limitBytes: 100 });
    }
  });

  it('caps output written in many chunks', async () => {
    const script = 'let i = 0; const t = setInterval(() => { process.stdout.write("0123456789"); if (++i === 20) clearInterval(t); }, 1);';
    const result = await runProcess(NODE, ['-e', script], opts({ maxStdoutBytes: 55 }));
    expect(result.stdout).toBe('0123456789'.repeat(5) + '01234');
    expect(Buffer.byteLength(result.stdout)).toBe(55);
    expect(result.stdoutTruncated).toBe(true);
    expect(result.outputLimit).toEqual({ stream: 'stdout', limitBytes: 55 });
  });

  it('does not flag output of exactly the cap as truncated', async () => {
    const result = await runProcess(NODE, ['-e', 'process.stdout.write("x".repeat(64))'], opts({ maxStdoutBytes: 64 }));
    expect(result.stdout).toHaveLength(64);
    expect(result.stdoutTruncated).toBe(false);
    expect(result.outputLimit).toBeUndefined();
    expect(result.exitCode).toBe(0);
  });

  it('stops an endless flood promptly and keeps memory at the cap', async () => {
    const heapBefore = process.memoryUsage().rss;
    // `yes` writes as fast as the pipe takes it, forever.
    const result = await runProcess('yes', ['0123456789abcdef'], opts({ maxStdoutBytes: 1024 * 1024, timeoutMs: 10_000 }));
    expect(result.durationMs).toBeLessThan(3_000);
    expect(result.timedOut).toBe(false);
    expect(Buffer.byteLength(result.stdout)).toBe(1024 * 1024);
    expect(result.outputLimit).toEqual({ stream: 'stdout', limitBytes: 1024 * 1024 });
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('decodes invalid UTF-8 and binary output lossily without throwing', async () => {
    const script = 'process.stdout.write(Buffer.from([0x66, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98]))';
    const result = await runProcess(NODE, ['-e', script], opts());
    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith('f\uFFFD\uFFFD\u0000')).toBe(true);
    expect(result.stdout).toContain('A');
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it('does not wait for a grandchild that keeps stdout open after the leader exits', async () => {
    // The grandchild inherits stdout; 'close' would wait the full 30 s for it.
    const result = await runProcess(SH, ['-c', 'sleep 30 & echo $!; exit 0'], opts({ timeoutMs: 10_000, drainMs: 200 }));
    const [grandchild] = pidsOf(result.stdout);
    expect(grandchild).toBeGreaterThan(0);
    killed.push(grandchild);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
    expect(result.durationMs).toBeLessThan(1_500);
    await waitFor(() => !isAlive(grandchild), 1_000);
  });

  it('kills what the leader left in its group when the run ends normally', async () => {
    const script = 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!';
    const result = await runProcess(SH, ['-c', script], opts());
    const [grandchild] = pidsOf(result.stdout);
    expect(grandchild).toBeGreaterThan(0);
    killed.push(grandchild);
    expect(result.exitCode).toBe(0);
    await waitFor(() => !isAlive(grandchild), 1_000);
  });

  it('times out a child that closed stdout and keeps running', async () => {
    const result = await runProcess(SH, ['-c', 'exec 1>&-; sleep 30'], opts({ timeoutMs: 300, killGraceMs: 200 }));
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('returns a NUL byte in an argument as spawnError instead of throwing', async () => {
    const result = await runProcess(NODE, ['-e', '0', 'a\u0000b'], opts());
    expect(result.spawnError).toBeDefined();
    expect(result.exitCode).toBeNull();
  });

  it('lets the first cause win: a flood during the kill grace stays a timeout', async () => {
    const script = `trap '' TERM; sleep 0.3; yes`;
    const result = await runProcess(SH, ['-c', script], opts({ timeoutMs: 100, killGraceMs: 500, maxStdoutBytes: 1024 }));
    expect(result.timedOut).toBe(true);
    expect(result.outputLimit).toBeUndefined();
    expect(result.signal).toBe('SIGKILL');
  });

  it('reports a missing program as spawnError and never rejects', async () => {
    const result = await runProcess(join(workDir, 'no-such-program'), ['x'], opts());
    expect(result.spawnError).toMatch(/ENOENT/);
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
    expect(result.cancelled).toBe(false);
  });

  it('reports a missing program with an aborted signal as spawnError', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runProcess('sanctum-no-such-program-xyz', [], opts({ signal: controller.signal }));
    expect(result.spawnError).toMatch(/ENOENT/);
  });

  it('reports a missing cwd as spawnError', async () => {
    const result = await runProcess(NODE, ['-e', '0'], opts({ cwd: join(workDir, 'missing-dir') }));
    expect(result.spawnError).toBeDefined();
    expect(result.exitCode).toBeNull();
  });
});
