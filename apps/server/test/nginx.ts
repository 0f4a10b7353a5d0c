import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DEPLOYMENT_DOC = resolve(__dirname, '../../../docs/deployment.md');
/** The upstream the documented configuration names: the gateway's default address. */
const DOCUMENTED_UPSTREAM = 'http://127.0.0.1:8000';

/** nginx from Debian's nginx-light (.ci/run installs it when missing). */
export function nginxBinary(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  throw new Error('nginx is not installed: run `apt-get install -y nginx-light` (.ci/run does when it is missing).');
}

/**
 * The `location` block of docs/deployment.md whose first line is `location <path> {`, as the
 * document shows it (the test proves the document, not a copy of it).
 */
export function documentedLocation(path: string): string {
  return documentedBlock(`location ${path} {`);
}

/** The nginx block of docs/deployment.md whose first line is `firstLine`, as the document shows it. */
export function documentedBlock(firstLine: string): string {
  const doc = readFileSync(DEPLOYMENT_DOC, 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((match) => match[1]);
  const block = blocks.find((text) => text.startsWith(firstLine));
  if (block === undefined) throw new Error(`docs/deployment.md has no nginx block starting "${firstLine}"`);
  return block;
}

/** The upstream servers the documented load-balancing configuration names. */
const DOCUMENTED_SERVERS = /^( *)server 127\.0\.0\.1:8000;\n {4}server 127\.0\.0\.1:8001;$/m;

/**
 * Start nginx with the documented load-balancing configuration (an `upstream` block and a
 * `server` block, from docs/deployment.md) in front of the gateways on `upstreamPorts`, listening
 * on a free loopback port instead of the documented `listen 80;`.
 */
export async function startNginxInFront(block: string, upstreamPorts: number[]): Promise<RunningNginx> {
  if (!DOCUMENTED_SERVERS.test(block) || !block.includes('listen 80;')) {
    throw new Error(`the block does not name the documented upstream servers and listen 80:\n${block}`);
  }
  const body = (port: number): string =>
    block
      .replace(DOCUMENTED_SERVERS, (_all, indent: string) => upstreamPorts.map((p) => `${indent}server 127.0.0.1:${p};`).join('\n'))
      .replace('listen 80;', `listen 127.0.0.1:${port};`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(body);
    } catch (err) {
      if (attempt === 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

export interface RunningNginx {
  port: number;
  baseUrl: string;
  /** nginx's error log so far (for a failing test's message). */
  errors(): string;
  close(): Promise<void>;
}

/** A free loopback port (probed: another process may take it before its user binds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Resolves when `child` has exited (at once if it has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()));
}

/**
 * Start nginx in the foreground on a free loopback port, with `location` (a block of
 * docs/deployment.md) proxying to the gateway on `upstreamPort` instead of the documented 8000.
 * Its configuration, logs, pid and temp files live in a temp folder removed by `close`. A port
 * taken by another process between our probe and nginx's bind is tried again with another.
 */
export async function startNginx(location: string, upstreamPort: number): Promise<RunningNginx> {
  if (!location.includes(DOCUMENTED_UPSTREAM)) throw new Error(`the location block does not proxy to ${DOCUMENTED_UPSTREAM}:\n${location}`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce((port) =>
        ['server {', `    listen 127.0.0.1:${port};`, location.replaceAll(DOCUMENTED_UPSTREAM, `http://127.0.0.1:${upstreamPort}`), '}'].join('\n'),
      );
    } catch (err) {
      if (attempt === 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

/** nginx with `http` (the body of its `http` block for a listening port) in a temp folder. */
async function startOnce(http: (port: number) => string): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sanctum-nginx-'));
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`).join('\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'worker_processes 1;',
      `error_log ${join(dir, 'error.log')} info;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      temp,
      http(port),
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(nginxBinary(), ['-p', dir, '-c', conf, '-g', `daemon off; pid ${join(dir, 'pid')};`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const errors = (): string => `${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const why = errors();
      await close();
      throw new Error(`nginx did not start on 127.0.0.1:${port}:\n${why}`);
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  return { port, baseUrl: `http://127.0.0.1:${port}`, errors, close };
}
