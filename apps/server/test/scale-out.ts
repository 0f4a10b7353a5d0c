// The parts of a scaled-out deployment for the tests: a real redis-server (Debian's package) the
// test starts on a free port (so it can kill and restart it), gateway processes (the production
// bundle) sharing it, and a step plugin whose calls take a while and report progress.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { exited, freePort } from './nginx';

const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');

function redisBinary(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (.ci/run does when it is missing).');
}

export interface RunningRedis {
  port: number;
  url: string;
  /** A client of the test's own (inspect keys, memory). */
  client: Redis;
  /** kill -9 the server (its data survives when it was started with `persist`). */
  kill(): Promise<void>;
  /** Start it again on the same port (and folder). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free loopback port, in a temp folder. With `persist`, an
 * append-only file fsynced on every write, so that a killed and restarted server keeps its keys
 * (as an operator's Redis does).
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sanctum-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'no'];
  if (options.persist) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  const start = async (): Promise<void> => {
    child = spawn(redisBinary(), args, { stdio: 'ignore' });
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on ${port}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    }
    probe.disconnect();
  };
  await start();
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  const kill = async (): Promise<void> => {
    if (child === undefined) return;
    child.kill('SIGKILL');
    await exited(child);
    child = undefined;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    kill,
    start,
    close: async () => {
      client.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Instance {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  close(): Promise<void>;
}

/** A gateway process (the production bundle) on a free port with `env`; resolves once it listens. */
/** The MCP_STATE_SECRET every test instance is started with (a test may set its own). */
export const SHARED_STATE_SECRET = 'scale-out-tests-state-secret-0123456789';

export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      MCP_PORT: '0',
      MCP_DISCOVERY_CACHE: 'off',
      MCP_TRUSTED_PROXIES: 'loopback',
      // Instances sharing sessions share the key of sealed requestState (required with MCP_REDIS_URL).
      MCP_STATE_SECRET: SHARED_STATE_SECRET,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (!port) {
    const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
    if (match) port = Number(match[1]);
    else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway did not start (exit ${child.exitCode}):\n${out}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited: done,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await done;
    },
  };
}

/**
 * A plugins folder with `steps` (cli.js): `steps__run` reports `count` progress steps `ms` apart
 * (each with an info log line), then answers `{"done": <count>, "tag": <tag>}`.
 */
export function stepsPluginsFolder(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sanctum-scale-plugins-'));
  mkdirSync(join(dir, 'steps'));
  writeFileSync(
    join(dir, 'steps', 'cli.js'),
    `const args = process.argv.slice(2);
if (args[0] === '--describe') {
  process.stdout.write(JSON.stringify({ contract_version: '1.0', plugin: { name: 'steps', version: '1.0.0' }, commands: [
    { name: 'run', description: 'Report progress steps, then answer', parameters: [
      { name: 'count', type: 'integer', description: 'Steps', required: true },
      { name: 'ms', type: 'integer', description: 'ms between steps', required: true },
      { name: 'tag', type: 'string', description: 'Echoed back', required: false } ] } ] }));
  process.exit(0);
}
const opt = (n) => (args.find((a) => a.startsWith('--' + n + '=')) || '').slice(n.length + 3);
const count = Number(opt('count'));
let i = 0;
const step = () => {
  if (i === count) { process.stdout.write(JSON.stringify({ result: { done: count, tag: opt('tag') } })); return; }
  i += 1;
  process.stderr.write(JSON.stringify({ progress: i, total: count, message: 'step ' + i }) + '\\n');
  process.stderr.write(JSON.stringify({ log: 'info', message: 'step ' + i }) + '\\n');
  setTimeout(step, Number(opt('ms')));
};
step();
`,
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A plugin folder `name` with one tool, written into `dir` (to show a catalog change). */
export function writeEchoPlugin(dir: string, name: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(
    join(dir, name, 'cli.js'),
    `if (process.argv[2] === '--describe') { process.stdout.write(JSON.stringify({ contract_version: '1.0', plugin: { name: '${name}', version: '1.0.0' }, commands: [{ name: 'echo', description: 'Echo', parameters: [] }] })); process.exit(0); }
process.stdout.write(JSON.stringify({ result: 'echo' }));
`,
  );
}
