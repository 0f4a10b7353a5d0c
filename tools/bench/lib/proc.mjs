// Child processes and temporary folders of the harness, and their cleanup: every child runs in
// its own process group (detached) and is stopped by group, on success, on error and on SIGINT.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {object} Managed
 * @property {string} name
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {number} startedAt performance.now() just before spawn
 * @property {Promise<{code: number | null, signal: NodeJS.Signals | null}>} exited
 * @property {boolean} hasExited
 * @property {string[]} lines last output lines (stdout and stderr), bounded
 * @property {string[]} warnings WARN/ERROR lines seen, bounded
 * @property {number} warningCount
 */

/** @type {Set<Managed>} */
const children = new Set();
/** @type {Set<string>} */
const tempDirs = new Set();
/** @type {Set<() => void>} */
const closers = new Set();

const MAX_LINES = 200;

/**
 * Spawn a child in its own process group and keep the tail of its output.
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {{cwd?: string, env?: NodeJS.ProcessEnv, onLine?: (line: string) => void}} [options]
 * @returns {Managed}
 */
export function startChild(name, command, args, options = {}) {
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  /** @type {Managed} */
  const managed = {
    name,
    child,
    pid: child.pid,
    startedAt,
    hasExited: false,
    lines: [],
    warnings: [],
    warningCount: 0,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        managed.hasExited = true;
        resolve({ code, signal });
      });
      child.once('error', () => {
        managed.hasExited = true;
        resolve({ code: null, signal: null });
      });
    }),
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (/** @type {string} */ chunk) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > 4096) partial = partial.slice(-4096);
      for (const line of parts) {
        if (line === '') continue;
        options.onLine?.(line);
        managed.lines.push(line);
        if (managed.lines.length > MAX_LINES) managed.lines.shift();
        // The gateway's text log lines (`<ISO time> WARN: ...`), JSON log lines, and Node's own warnings.
        if (/^\S+ (WARN|ERROR|FATAL):|"level":"(warn|error)"|^\(node:\d+\) |Error:/.test(line)) {
          managed.warningCount += 1;
          if (managed.warnings.length < MAX_LINES) managed.warnings.push(line);
        }
      }
    });
  }
  children.add(managed);
  return managed;
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stop a child's process group: SIGTERM, then SIGKILL after `graceMs`.
 * @param {Managed} managed
 * @param {number} [graceMs]
 * @returns {Promise<{stopMs: number, forced: boolean}>}
 */
export async function stopChild(managed, graceMs = 5000) {
  const started = performance.now();
  let forced = false;
  if (!managed.hasExited) {
    killGroup(managed.pid, 'SIGTERM');
    const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([managed.exited, timer])) === 'timeout') {
      forced = true;
      killGroup(managed.pid, 'SIGKILL');
      await Promise.race([managed.exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }
  killGroup(managed.pid, 'SIGKILL'); // anything left in the group
  children.delete(managed);
  return { stopMs: performance.now() - started, forced };
}

/**
 * A temporary folder removed at cleanup.
 * @param {string} prefix
 * @returns {string}
 */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * Something to close at cleanup (sockets, agents).
 * @param {() => void} close
 * @returns {() => void} unregister
 */
export function onCleanup(close) {
  closers.add(close);
  return () => closers.delete(close);
}

/** Stop everything the harness started and remove its temporary folders. */
export async function cleanupAll() {
  for (const close of [...closers]) {
    try {
      close();
    } catch {
      // best effort
    }
  }
  closers.clear();
  await Promise.all([...children].map((c) => stopChild(c, 3000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Last resort at process exit: synchronous, no waiting. */
export function cleanupSync() {
  for (const c of children) killGroup(c.pid, 'SIGKILL');
  children.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

/** @returns {Promise<number>} a TCP port free on 127.0.0.1 right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resident set size of a process, in bytes (VmRSS of /proc/<pid>/status).
 * @param {number} pid
 * @returns {number}
 */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Soft limit on open files of a process (from /proc/<pid>/limits).
 * @param {number | 'self'} pid
 * @returns {number}
 */
export function openFileLimit(pid) {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return Number.NaN;
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
