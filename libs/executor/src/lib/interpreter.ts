import { execFile, execFileSync } from 'node:child_process';
import type { ExecFileOptions } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

const PROBE = ['-c', 'import sys; print(sys.executable)'];
const NOT_FOUND =
  'No Python interpreter found: `python3 -c "import sys; print(sys.executable)"` failed. Install Python 3 or set MCP_PYTHON to the interpreter path.';

function probeOptions(env: NodeJS.ProcessEnv, cwd?: string): ExecFileOptions & { encoding: 'utf8' } {
  return { encoding: 'utf8', timeout: 15_000, env: { ...env, LANG: 'C' }, ...(cwd === undefined ? {} : { cwd }) };
}

/**
 * The Python interpreter that runs plugins. `python3` on PATH may be a version-manager shim that
 * costs hundreds of milliseconds per start, so resolve the real binary once: MCP_PYTHON when set,
 * else the `sys.executable` that `python3` reports.
 */
export function resolvePython(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['MCP_PYTHON']?.trim();
  if (configured) return configured;
  try {
    const out = execFileSync('python3', PROBE, { ...probeOptions(env), stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (out) return out;
  } catch {
    // fall through to the error below
  }
  throw new Error(NOT_FOUND);
}

/**
 * Why `python` (an MCP_PYTHON value) cannot be run, or undefined when it can: a path must be an
 * executable file, a bare name must be found on PATH, as execvp would. Checked with fs.stat only,
 * so that a wrong value is named at start-up instead of surfacing as `spawn ... ENOENT` from the
 * first plugin run.
 */
export function interpreterProblem(python: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (!python.includes('/')) return which(python, env, cwd) === undefined ? `no executable named ${python} on PATH` : undefined;
  const file = resolve(cwd, python);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return `no such file: ${file}`;
  }
  if (!isFile) return `not a file: ${file}`;
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return `not executable: ${file}`;
  }
  return undefined;
}

/** resolvePython without blocking the event loop; `cwd` is where `python3` runs (default: this process's). */
export async function resolvePythonAsync(env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<string> {
  const configured = env['MCP_PYTHON']?.trim();
  if (configured) return configured;
  const out = await new Promise<string | undefined>((done) => {
    const child = execFile('python3', PROBE, probeOptions(env, cwd), (err, stdout) => done(err ? undefined : String(stdout).trim()));
    child.stdin?.end();
  });
  if (out) return out;
  throw new Error(NOT_FOUND);
}

/**
 * What `python3 -c 'import sys; print(sys.executable)'` answered, with everything the answer
 * depends on, so that a later start can reuse it after checking files with fs.stat (and reading
 * pyenv's tiny version files) instead of running Python. Only two kinds of `python3` are
 * recorded: the interpreter itself (or a symlink to it, as in a virtualenv or /usr/bin), and a
 * pyenv shim, whose choice depends on known files. Any other wrapper (asdf, mise, a script) is
 * run at every start.
 */
export interface InterpreterRecord {
  v: 1;
  /** The answer: the interpreter that runs plugins. */
  python: string;
  /** The lookup's inputs: PATH, working directory and the variables Python version managers read. */
  inputs: Record<string, string>;
  /** The `python3` that PATH leads to. */
  found: string;
  /** Each file the answer depends on, with its identity or content (see `signature`). */
  files: Record<string, string>;
}

/** Where a record (of any format) is kept between starts, e.g. in the discovery cache file. */
export interface InterpreterStore {
  read(): Promise<unknown>;
  write(record: InterpreterRecord): Promise<void>;
}

export interface ResolvedPython {
  python: string;
  /** `MCP_PYTHON`: configured; `cache`: a record still valid; `python3`: asked Python. */
  source: 'MCP_PYTHON' | 'cache' | 'python3';
}

/**
 * resolvePython, reusing the stored answer while none of its inputs changed. MCP_PYTHON wins
 * and is never stored. A changed PATH, working directory, PYENV_* or PYTHON* variable, a
 * replaced `python3` or interpreter, a pyenv version switch (global, local or shell) or a
 * version installed or removed makes Python run again, and the new answer is stored.
 */
export async function resolvePythonCached(store: InterpreterStore | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<ResolvedPython> {
  const configured = env['MCP_PYTHON']?.trim();
  if (configured) return { python: configured, source: 'MCP_PYTHON' };
  if (store) {
    const reused = reuseInterpreter(await store.read().catch(() => undefined), env, cwd);
    if (reused) return { python: reused, source: 'cache' };
  }
  // The dependencies are read before Python runs: a change while it runs leaves a record that no
  // longer matches, so the next start asks again instead of trusting an answer older than its files.
  const before = store ? lookup(env, cwd) : undefined;
  const python = await resolvePythonAsync(env, cwd);
  const record = before && recordOf(before, python);
  if (store && record) await store.write(record).catch(() => undefined);
  return { python, source: 'python3' };
}

/** The stored answer if the record is well-formed and nothing it depends on changed, else undefined. */
export function reuseInterpreter(record: unknown, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (!isRecord(record)) return undefined;
  const inputs = lookupInputs(env, cwd);
  if (!sameStrings(inputs, record.inputs)) return undefined;
  if (which('python3', env, cwd) !== record.found) return undefined;
  for (const [file, seen] of Object.entries(record.files)) {
    if (signature(file) !== seen) return undefined;
  }
  return record.python;
}

/** The record for an answer of `python3` in this environment, or undefined when it cannot be checked by stat. */
export function recordInterpreter(python: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): InterpreterRecord | undefined {
  return recordOf(lookup(env, cwd), python);
}

interface Lookup {
  inputs: Record<string, string>;
  found: string | undefined;
  /** Files read before Python ran. */
  files: Record<string, string>;
  pyenv: boolean;
}

function lookup(env: NodeJS.ProcessEnv, cwd: string): Lookup {
  const inputs = lookupInputs(env, cwd);
  const found = which('python3', env, cwd);
  if (!found) return { inputs, found, files: {}, pyenv: false };
  const files: Record<string, string> = { [found]: signature(found) };
  const root = pyenvRoot(found);
  if (root !== undefined) {
    for (const file of pyenvFiles(root, env, cwd)) files[file] = signature(file);
  }
  return { inputs, found, files, pyenv: root !== undefined };
}

function recordOf(before: Lookup, python: string): InterpreterRecord | undefined {
  if (!before.found || !isAbsolute(python)) return undefined;
  if (!before.pyenv && realpathOf(before.found) !== realpathOf(python)) return undefined;
  const files = { ...before.files, [python]: signature(python) };
  if (files[python] === ABSENT) return undefined;
  return { v: 1, python, inputs: before.inputs, found: before.found, files };
}

/** PATH, the working directory, and the variables that can change which interpreter `python3` leads to. */
function lookupInputs(env: NodeJS.ProcessEnv, cwd: string): Record<string, string> {
  const inputs: Record<string, string> = { cwd, PATH: env['PATH'] ?? '' };
  for (const name of Object.keys(env).sort()) {
    if (/^(PYENV|PYTHON)/.test(name) || ['HOME', 'PWD', 'VIRTUAL_ENV', 'CONDA_PREFIX'].includes(name)) inputs[name] = env[name] ?? '';
  }
  return inputs;
}

/** The file execvp would run for `name`: the first executable regular file along PATH. */
function which(name: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    const candidate = resolve(cwd, dir || '.', name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The PYENV_ROOT a pyenv shim hands to `pyenv exec`, or undefined when `file` is not a pyenv shim. */
function pyenvRoot(file: string): string | undefined {
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      head = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!head.startsWith('#!')) return undefined;
  const exec = /^exec "([^"]+)\/libexec\/pyenv" exec /m.exec(head);
  const root = /^export PYENV_ROOT="([^"]+)"$/m.exec(head);
  return exec && root && exec[1] === root[1] ? root[1] : undefined;
}

/**
 * What pyenv reads to choose a version (besides PYENV_VERSION, an input): the nearest
 * `.python-version` from PYENV_DIR (default: the working directory) and from the working
 * directory up to `/`, the global `version` file, and the installed versions (a prefix such as
 * `3.11` picks the newest match).
 */
function pyenvFiles(root: string, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const files = new Set<string>();
  for (const start of [env['PYENV_DIR'], env['PWD'], cwd]) {
    if (!start) continue;
    for (let dir = resolve(cwd, start); ; dir = dirname(dir)) {
      files.add(join(dir, '.python-version'));
      if (dirname(dir) === dir) break;
    }
  }
  files.add(join(root, 'version'));
  files.add(join(root, 'versions'));
  return [...files];
}

const ABSENT = '-';

/**
 * A file's identity: `-` when absent; the content of a small regular file (version files: exact
 * even within one mtime tick); the names in a directory; else inode, size and mtime.
 */
function signature(file: string): string {
  try {
    const stats = statSync(file);
    if (stats.isDirectory()) return `dir:${readdirSync(file).sort().join('/')}`;
    if (stats.isFile() && stats.size <= 1024 && !isExecutable(stats.mode)) return `text:${readFileSync(file, 'utf8')}`;
    return `stat:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  } catch {
    return ABSENT;
  }
}

function isExecutable(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

function realpathOf(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isRecord(value: unknown): value is InterpreterRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<InterpreterRecord>;
  return r.v === 1 && typeof r.python === 'string' && r.python !== '' && typeof r.found === 'string' && isStringMap(r.inputs) && isStringMap(r.files) && Object.keys(r.files).length > 0;
}

function sameStrings(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
