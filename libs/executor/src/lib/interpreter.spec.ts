import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { interpreterProblem, recordInterpreter, resolvePythonAsync, resolvePythonCached, reuseInterpreter } from './interpreter';
import type { InterpreterRecord, InterpreterStore } from './interpreter';

let root: string;
let runs: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'interpreter-spec-')));
  runs = join(root, 'runs.log');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function script(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/** A stand-in interpreter: prints its own path, as `sys.executable` would, and logs that it ran. */
function fakePython(path: string): string {
  return script(path, `#!/bin/sh\necho "$0" >> '${runs}'\necho "$0"\n`);
}

/** How many times a fake interpreter ran. */
function runCount(): number {
  try {
    return readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** pyenv's layout: a shim exactly as `pyenv rehash` writes it, and a libexec/pyenv that chooses the version as pyenv does. */
function fakePyenv(versions: string[], global: string): string {
  const pyenv = join(root, 'pyenv');
  script(
    join(pyenv, 'shims', 'python3'),
    `#!/usr/bin/env bash\nset -e\n[ -n "$PYENV_DEBUG" ] && set -x\n\nprogram="\${0##*/}"\n\nexport PYENV_ROOT="${pyenv}"\nexec "${pyenv}/libexec/pyenv" exec "$program" "$@"\n`,
  );
  script(
    join(pyenv, 'libexec', 'pyenv'),
    [
      '#!/usr/bin/env bash',
      'shift; program=$1; shift',
      'v=$PYENV_VERSION',
      'if [ -z "$v" ]; then d=${PYENV_DIR:-$PWD}; while :; do if [ -f "$d/.python-version" ]; then v=$(cat "$d/.python-version"); break; fi; [ -z "$d" ] && break; d=${d%/*}; done; fi',
      '[ -z "$v" ] && v=$(cat "$PYENV_ROOT/version")',
      'exec "$PYENV_ROOT/versions/$v/bin/$program" "$@"',
      '',
    ].join('\n'),
  );
  for (const version of versions) fakePython(join(pyenv, 'versions', version, 'bin', 'python3'));
  writeFileSync(join(pyenv, 'version'), `${global}\n`);
  return pyenv;
}

/** A store in memory, like the discovery cache file's `interpreter` field. */
function memoryStore(): InterpreterStore & { record: unknown; writes: number } {
  const store = {
    record: undefined as unknown,
    writes: 0,
    read: async () => store.record,
    write: async (record: InterpreterRecord) => {
      store.record = JSON.parse(JSON.stringify(record));
      store.writes++;
    },
  };
  return store;
}

function envWith(path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: `${path}:/usr/bin:/bin`, HOME: root, ...extra };
}

describe('resolvePythonCached', () => {
  it('answers with sys.executable once, then reuses it while nothing changed (Python does not run)', async () => {
    const python = fakePython(join(root, 'bin', 'python3'));
    const store = memoryStore();
    const env = envWith(join(root, 'bin'));
    expect(await resolvePythonCached(store, env, root)).toEqual({ python, source: 'python3' });
    expect(await resolvePythonCached(store, env, root)).toEqual({ python, source: 'cache' });
    expect(await resolvePythonCached(store, env, root)).toEqual({ python, source: 'cache' });
    expect(runCount()).toBe(1);
    expect(store.writes).toBe(1);
  });

  it('MCP_PYTHON wins, and is neither read from nor written to the store', async () => {
    fakePython(join(root, 'bin', 'python3'));
    const store = memoryStore();
    store.record = { v: 1 };
    const read = jest.spyOn(store, 'read');
    expect(await resolvePythonCached(store, envWith(join(root, 'bin'), { MCP_PYTHON: ' /opt/py/bin/python3 ' }), root)).toEqual({
      python: '/opt/py/bin/python3',
      source: 'MCP_PYTHON',
    });
    expect(read).not.toHaveBeenCalled();
    expect(store.writes).toBe(0);
    expect(runCount()).toBe(0);
  });

  it('does not serve a stale answer after a pyenv switch: global, local (.python-version), shell (PYENV_VERSION)', async () => {
    const pyenv = fakePyenv(['3.11.0', '3.12.0', '3.13.0'], '3.11.0');
    const v = (version: string): string => join(pyenv, 'versions', version, 'bin', 'python3');
    const project = join(root, 'work', 'project');
    mkdirSync(project, { recursive: true });
    const store = memoryStore();
    const env = envWith(join(pyenv, 'shims'));
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.11.0'), source: 'python3' });
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.11.0'), source: 'cache' });

    // `pyenv global 3.12.0`: same size, same second; the content tells.
    writeFileSync(join(pyenv, 'version'), '3.12.0\n');
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.12.0'), source: 'python3' });
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.12.0'), source: 'cache' });

    // `pyenv local` in a folder above the working directory, then in the working directory.
    writeFileSync(join(root, 'work', '.python-version'), '3.13.0\n');
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.13.0'), source: 'python3' });
    writeFileSync(join(project, '.python-version'), '3.11.0\n');
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.11.0'), source: 'python3' });
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.11.0'), source: 'cache' });
    rmSync(join(project, '.python-version'));
    expect(await resolvePythonCached(store, env, project)).toEqual({ python: v('3.13.0'), source: 'python3' });

    // `pyenv shell 3.12.0`, then another working directory.
    expect(await resolvePythonCached(store, { ...env, PYENV_VERSION: '3.12.0' }, project)).toEqual({ python: v('3.12.0'), source: 'python3' });
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: v('3.12.0'), source: 'python3' });
    expect(runCount()).toBe(7);
  });

  it('asks again when a version is installed or removed (pyenv picks the newest match of a prefix)', async () => {
    const pyenv = fakePyenv(['3.12.0'], '3.12.0');
    const store = memoryStore();
    const env = envWith(join(pyenv, 'shims'));
    await resolvePythonCached(store, env, root);
    fakePython(join(pyenv, 'versions', '3.12.1', 'bin', 'python3'));
    expect((await resolvePythonCached(store, env, root)).source).toBe('python3');
    expect((await resolvePythonCached(store, env, root)).source).toBe('cache');
    rmSync(join(pyenv, 'versions', '3.12.1'), { recursive: true });
    expect((await resolvePythonCached(store, env, root)).source).toBe('python3');
  });

  it('asks again when PATH leads elsewhere, or the interpreter was replaced or removed', async () => {
    const first = fakePython(join(root, 'a', 'python3'));
    const store = memoryStore();
    const env = envWith(`${join(root, 'b')}:${join(root, 'a')}`);
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: first, source: 'python3' });

    // A python3 appears earlier on PATH (e.g. a virtualenv was created in the folder PATH names first).
    const second = fakePython(join(root, 'b', 'python3'));
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: second, source: 'python3' });
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: second, source: 'cache' });

    // Upgraded in place: another size and mtime.
    script(second, `${readFileSync(second, 'utf8')}# upgraded\n`);
    utimesSync(second, new Date(), new Date(Date.now() + 5_000));
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: second, source: 'python3' });

    // Removed: PATH falls back to the first one.
    rmSync(second);
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: first, source: 'python3' });

    // Another PATH altogether.
    expect(await resolvePythonCached(store, envWith(join(root, 'a')), root)).toEqual({ python: first, source: 'python3' });
    expect(runCount()).toBe(5);
  });

  it('never stores the answer of a python3 that is neither the interpreter nor a pyenv shim (asdf, mise, a script)', async () => {
    const real = fakePython(join(root, 'real', 'python3.12'));
    script(join(root, 'bin', 'python3'), `#!/bin/sh\nexec '${real}' "$@"\n`);
    const store = memoryStore();
    const env = envWith(join(root, 'bin'));
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: real, source: 'python3' });
    expect(await resolvePythonCached(store, env, root)).toEqual({ python: real, source: 'python3' });
    expect(store.writes).toBe(0);
    expect(recordInterpreter(real, env, root)).toBeUndefined();
  });

  it('ignores a malformed or foreign record, and a store that cannot be read or written', async () => {
    const python = fakePython(join(root, 'bin', 'python3'));
    const env = envWith(join(root, 'bin'));
    for (const record of [null, 'x', { v: 2, python: '/x' }, { v: 1, python: '/x', inputs: {}, found: '', files: {} }, { v: 1, python: '/x', inputs: [], found: '/x', files: { '/x': 1 } }]) {
      expect(reuseInterpreter(record, env, root)).toBeUndefined();
    }
    const broken: InterpreterStore = { read: () => Promise.reject(new Error('EACCES')), write: () => Promise.reject(new Error('EROFS')) };
    expect(await resolvePythonCached(broken, env, root)).toEqual({ python, source: 'python3' });
    expect(await resolvePythonCached(undefined, env, root)).toEqual({ python, source: 'python3' });
  });

  it('fails as resolvePython does when there is no python3', async () => {
    const env = { PATH: join(root, 'empty'), HOME: root };
    await expect(resolvePythonCached(memoryStore(), env, root)).rejects.toThrow('No Python interpreter found');
    await expect(resolvePythonAsync(env, root)).rejects.toThrow('set MCP_PYTHON');
  });
});

describe('interpreterProblem', () => {
  it('accepts an executable file by absolute or relative path, and a command found on PATH', () => {
    const python = fakePython(join(root, 'bin', 'python3'));
    expect(interpreterProblem(python, envWith(join(root, 'empty')), root)).toBeUndefined();
    expect(interpreterProblem('./bin/python3', envWith(join(root, 'empty')), root)).toBeUndefined();
    expect(interpreterProblem('python3', envWith(join(root, 'bin')), root)).toBeUndefined();
  });

  it('says why a path or a name cannot be run', () => {
    const env = { PATH: join(root, 'bin'), HOME: root };
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'plain'), 'not a program\n');
    expect(interpreterProblem('/nowhere/python3', env, root)).toBe('no such file: /nowhere/python3');
    expect(interpreterProblem('py/python3', env, root)).toBe(`no such file: ${join(root, 'py/python3')}`);
    expect(interpreterProblem(join(root, 'bin'), env, root)).toBe(`not a file: ${join(root, 'bin')}`);
    expect(interpreterProblem(join(root, 'bin', 'plain'), env, root)).toBe(`not executable: ${join(root, 'bin', 'plain')}`);
    expect(interpreterProblem('pythonnn', env, root)).toBe('no executable named pythonnn on PATH');
    expect(interpreterProblem('plain', env, root)).toBe('no executable named plain on PATH');
  });
});
