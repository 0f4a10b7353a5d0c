// The real process in stdio mode: `node dist/apps/server/main.js --stdio` (built here when the bundle
// is missing or older than the sources). stdout must carry only JSON-RPC lines, logs go to stderr,
// and the process exits 0 when stdin ends or on SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { eventually } from './gateway';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/server/main.js');
const PLUGINS_DIR = join(ROOT, 'mcp/plugins');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Build the bundle once unless it exists and is newer than every source it is made of. */
async function ensureBundle(): Promise<void> {
  const sources = [join(ROOT, 'apps/server/src'), ...readdirSync(join(ROOT, 'libs')).map((lib) => join(ROOT, 'libs', lib, 'src'))].filter(
    existsSync,
  );
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs > Math.max(...sources.map(newestSource))) return;
  await promisify(execFile)('npx', ['webpack', '--config', 'apps/server/webpack.config.cjs'], { cwd: ROOT, timeout: 120_000 });
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

describe('the stdio transport as a real process', () => {
  let stateDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBundle();
    stateDir = mkdtempSync(join(tmpdir(), 'sanctum-stdio-'));
    env = {
      MCP_PLUGINS_DIR: PLUGINS_DIR,
      MCP_DISCOVERY_CACHE: 'off',
      DEVOPS_STATE_FILE: join(stateDir, 'state.json'),
      MCP_MAX_BODY_BYTES: '2048',
    };
  });

  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Spawn the server, feed it lines as they are asked for, collect everything. */
  function start(args: string[], extraEnv: Record<string, string> = {}) {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: stateDir, ...env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const run: Run = { stdout: '', stderr: '', code: null, signal: null };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    const exited = new Promise<Run>((done) =>
      child.on('exit', (code, signal) => {
        run.code = code;
        run.signal = signal;
        done(run);
      }),
    );
    const send = (line: string): void => void child.stdin.write(`${line}\n`);
    const lines = (): Array<Record<string, unknown>> =>
      run.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { child, run, exited, send, lines };
  }

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 'init',
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-stdio', version: '1' } },
  });

  it('serves the official SDK client (StdioClientTransport): initialize, tools/list, tools/call', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [MAIN, '--stdio'], env, cwd: ROOT, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const client = new Client({ name: 'e2e-stdio-process', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (err) => errors.push(err);
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'botfather__click-button',
          'botfather__send-message',
          'devops__deploy',
          'devops__rollback',
          'devops__status',
        ]),
      );
      const deployed = await client.callTool({ name: 'devops__deploy', arguments: { 'app-name': 'stdio-app', version: '2.0.0' } });
      expect(deployed.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    // Anything on stdout that is not a JSON-RPC message would have reached onerror.
    expect(errors).toEqual([]);
    expect(stderr).toMatch(/INFO: Session started: [0-9a-f-]{36}/);
    expect(stderr).toContain('Tool completed: devops.deploy');
  });

  it('serves the v2 SDK client (versionNegotiation auto) in protocol revision 2026-07-28: the first message fixes it', async () => {
    const transport = new StdioClientTransportV2({ command: process.execPath, args: [MAIN, '--stdio'], env, cwd: ROOT, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const client = new ClientV2({ name: 'e2e-stdio-v2', version: '2.0.0' }, { versionNegotiation: { mode: 'auto' } });
    const errors: Error[] = [];
    client.onerror = (err: Error) => errors.push(err);
    await client.connect(transport);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(client.getServerVersion()).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
      const names = (await client.listTools()).tools.map((t: { name: string }) => t.name);
      expect(names).toEqual(expect.arrayContaining(['devops__deploy', 'devops__status']));
      const status = await client.callTool({ name: 'devops__status', arguments: { 'app-name': 'stdio-v2-app' } });
      expect(status.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(errors).toEqual([]);
    expect(stderr).toContain('Tool completed: devops.status');
  });

  it('writes only JSON-RPC lines on stdout, answers bad lines, and exits 0 when stdin ends', async () => {
    const server = start(['--stdio']);
    server.send(initialize);
    server.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    server.send('this is not json');
    server.send(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'ping', params: { pad: 'x'.repeat(4096) } }));
    server.send('');
    server.send('[{"jsonrpc":"2.0","id":"p1","method":"ping"},{"jsonrpc":"2.0","id":"t","method":"tools/list"}]');
    await eventually(() => server.run.stdout.includes('"id":"t"'), 15_000);
    server.child.stdin.end();
    const run = await server.exited;

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.pop()).toBe(''); // newline-terminated
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const messages = server.lines();
    expect(messages.find((m) => m['id'] === 'init')).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
    expect(messages).toContainEqual(expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32700 }) }));
    expect(messages).toContainEqual(
      expect.objectContaining({
        id: null,
        error: expect.objectContaining({ code: -32600, message: expect.stringContaining('2048 bytes') }),
      }),
    );
    const batch = messages.find(Array.isArray) as unknown as Array<Record<string, unknown>>;
    expect(batch.map((m) => m['id'])).toEqual(['p1', 't']);
    expect(messages.filter((m) => !Array.isArray(m))).toHaveLength(3);
    expect(run.stderr).toMatch(/INFO: Session started: [0-9a-f-]{36}/);
    expect(run.stderr).toMatch(/INFO: Session ended: [0-9a-f-]{36}/);
  });

  it('exits 0 on SIGTERM', async () => {
    const server = start(['--stdio']);
    server.send(initialize);
    await eventually(() => server.run.stdout.includes('"id":"init"'), 15_000);
    server.child.kill('SIGTERM');
    const run = await server.exited;
    expect(run.code).toBe(0);
    expect(run.signal).toBeNull();
    expect(run.stderr).toMatch(/Session ended/);
  });

  it('also runs in stdio mode with MCP_TRANSPORT=stdio', async () => {
    const server = start([], { MCP_TRANSPORT: 'stdio' });
    server.send(initialize);
    await eventually(() => server.run.stdout.includes('"id":"init"'), 15_000);
    server.child.stdin.end();
    const run = await server.exited;
    expect(run.code).toBe(0);
    expect(server.lines()).toEqual([expect.objectContaining({ id: 'init' })]);
  });

  it('refuses an unknown argument with exit code 2, naming the option it resembles', async () => {
    const server = start(['--stdoi']);
    server.child.stdin.end();
    const run = await server.exited;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Unknown option --stdoi (did you mean --stdio?)');
    expect(run.stderr).toContain('--help');
  });
});
