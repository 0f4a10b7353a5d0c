import { execFileSync } from 'node:child_process';

/**
 * The Python interpreter that runs plugins. `python3` on PATH may be a version-manager shim that
 * costs hundreds of milliseconds per start, so resolve the real binary once: MCP_PYTHON when set,
 * else the `sys.executable` that `python3` reports.
 */
export function resolvePython(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['MCP_PYTHON']?.trim();
  if (configured) return configured;
  try {
    const out = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, LANG: 'C' },
    }).trim();
    if (out) return out;
  } catch {
    // fall through to the error below
  }
  throw new Error(
    'No Python interpreter found: `python3 -c "import sys; print(sys.executable)"` failed. Install Python 3 or set MCP_PYTHON to the interpreter path.',
  );
}
