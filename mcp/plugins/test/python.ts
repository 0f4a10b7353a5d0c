/**
 * Shared helpers for the plugin specs: find the Python interpreter the way the gateway does and run
 * a plugin's cli.py as a child process (argv array, no shell, cwd = the plugin folder).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';

export type PluginName = 'botfather' | 'devops';

/** Root of the bundled plugins (mcp/plugins). */
export const PLUGINS_DIR = path.resolve(__dirname, '..');

let interpreter: string | undefined;

/** `$MCP_PYTHON` if set, else whatever `python3` resolves to (asked once, then cached). */
export function pythonExecutable(): string {
  if (interpreter === undefined) {
    const configured = process.env['MCP_PYTHON']?.trim();
    interpreter = configured
      ? configured
      : execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim();
  }
  return interpreter;
}

export interface PluginRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The answers of an input round, as the gateway writes them to a re-run's stdin. */
export function inputRound(responses: Record<string, unknown>, state: unknown = null): string {
  return JSON.stringify({ responses, state });
}

/** What a command prints when it needs input from the client. */
export interface InputRequired {
  input_required: { requests: Record<string, Record<string, unknown>>; state?: unknown };
}

/** The input_required document of a run that must have asked the client (exit 0, one JSON line). */
export function inputRequiredOf(run: PluginRun): InputRequired['input_required'] {
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  if (run.code !== 0 || lines.length !== 1) {
    throw new Error(`expected exit 0 and one line of JSON, got exit ${run.code}:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  const parsed = JSON.parse(lines[0]) as Partial<InputRequired>;
  if (typeof parsed !== 'object' || parsed === null || Object.keys(parsed).join() !== 'input_required' || !parsed.input_required) {
    throw new Error(`expected {"input_required": ...} alone, got ${lines[0]}`);
  }
  return parsed.input_required;
}

/** The JSON object a plugin prints on stdout. */
export interface PluginOutput<T> {
  result?: T;
  error?: string;
}

/**
 * Environment for a child: the test runner's own, minus anything that would change the plugins'
 * behaviour behind the test's back (their configuration variables, the client capabilities the
 * gateway passes, HTTP proxies), plus `env`.
 */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TELEGRAM_|DEVOPS_|XDG_STATE_HOME$|MCP_CLIENT_CAPABILITIES$)/.test(key) || /_proxy$/i.test(key)) continue;
    base[key] = value;
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  base['PYTHONDONTWRITEBYTECODE'] = '1';
  return base;
}

/**
 * Run `<python> cli.py ...args` in the plugin's folder and collect its output. stdin is closed at
 * once (reads get end-of-file), as the gateway gives it, unless `stdin` is given: then that is
 * written and closed, as the gateway does with the answers of an input round.
 */
export function runPlugin(
  plugin: PluginName,
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 20_000,
  stdin?: string,
): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pythonExecutable(), ['cli.py', ...args], {
      cwd: path.join(PLUGINS_DIR, plugin),
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    child.stdin.on('error', () => undefined); // a plugin that never reads may close it first: not the test's concern
    child.stdin.end(stdin ?? '');
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/** Parse the single JSON line a command prints; fails the test if there is anything else. */
export function output<T>(run: PluginRun): PluginOutput<T> {
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== 1) {
    throw new Error(`expected exactly one line of JSON on stdout, got ${lines.length}:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  const parsed = JSON.parse(lines[0]) as PluginOutput<T>;
  if (typeof parsed !== 'object' || parsed === null || ('result' in parsed) === ('error' in parsed)) {
    throw new Error(`expected {"result": ...} or {"error": ...}, got ${lines[0]}`);
  }
  return parsed;
}

/** The result of a run that must have succeeded. */
export function resultOf<T>(run: PluginRun): T {
  const out = output<T>(run);
  if (run.code !== 0 || out.error !== undefined) {
    throw new Error(`expected success, got exit ${run.code}: ${run.stdout}${run.stderr}`);
  }
  return out.result as T;
}

/** The error message of a run that must have failed with exit status 1. */
export function errorOf(run: PluginRun): string {
  const out = output<unknown>(run);
  if (run.code !== 1 || out.error === undefined) {
    throw new Error(`expected {"error": ...} and exit 1, got exit ${run.code}: ${run.stdout}${run.stderr}`);
  }
  return out.error;
}

/** Contract v1 self-description (`cli.py --describe`). */
export interface Describe {
  contract_version: string;
  plugin: { name: string; version: string; description: string };
  commands: Array<{
    name: string;
    description: string;
    parameters: Array<{ name: string; type: string; description: string; required: boolean; default?: unknown; enum?: unknown[] }>;
  }>;
}

/** The `name  Description` lines of the `Available commands:` section of top-level help. */
export function availableCommands(help: string): Map<string, string> {
  const lines = help.split('\n');
  const start = lines.indexOf('Available commands:');
  if (start < 0) throw new Error(`no "Available commands:" section in:\n${help}`);
  const commands = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const match = /^ {2}(\S+) {2}(\S.*)$/.exec(line);
    if (!match) throw new Error(`malformed command line in help: ${JSON.stringify(line)}`);
    commands.set(match[1], match[2]);
  }
  return commands;
}
