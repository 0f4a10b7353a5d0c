// Pins what the real process (the bundle `npm start` runs) says when it cannot start because of
// its environment: a taken port, an MCP_PYTHON that cannot run and a broken MCP_PROFILES file are
// each one line on stderr naming the variable (and the field), exit 2, before discovery or the
// Python fork server start.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join, resolve } from 'node:path';

jest.setTimeout(30_000);

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/apps/server/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The bundle with a clean environment; asynchronous, so that this process keeps serving what it holds. */
function start(env: Record<string, string>, args: string[] = []): Promise<Exit> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        MCP_PLUGINS_DIR: join(ROOT, 'mcp/plugins'),
        MCP_DISCOVERY_CACHE: 'off',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`still running after 20 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('start-up messages of the real process', () => {
  let held: Server;
  let port: number;

  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((done) => held.listen(0, '127.0.0.1', done));
    port = (held.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => held.close(() => done()));
  });

  it('a taken port: exit 2, one line naming the address, the process holding it and MCP_PORT; no discovery', async () => {
    const { code, stdout, stderr } = await start({ MCP_PORT: String(port) });
    expect(code).toBe(2);
    // This test holds the port, so the process named is this one (found through /proc on Linux).
    const holder = existsSync('/proc/self/comm') ? ` by pid ${process.pid} (${readFileSync('/proc/self/comm', 'utf8').trim()})` : '';
    expect(lines(stderr)).toEqual([
      `Cannot listen on 127.0.0.1:${port}: the port is already in use${holder}. Stop that process, or set MCP_PORT to a free port.`,
    ]);
    expect(stdout).toBe('');
    expect(`${stdout}${stderr}`).not.toMatch(/Discovered plugin|fork server|EADDRINUSE/);
  });

  it.each<[string, string]>([
    ['/nowhere/bin/python3', 'no such file: /nowhere/bin/python3'],
    ['pythonnnn', 'no executable named pythonnnn on PATH'],
  ])('MCP_PYTHON=%s: exit 2, one line naming the variable, why and what it accepts; no spawn ENOENT', async (python, why) => {
    for (const args of [[], ['--stdio']]) {
      const { code, stdout, stderr } = await start({ MCP_PORT: '0', MCP_PYTHON: python }, args);
      expect(code).toBe(2);
      expect(lines(stderr)).toEqual([
        `Invalid configuration: MCP_PYTHON="${python}" cannot run cli.py plugins (${why}); expected the path of a Python 3 interpreter or a command on PATH, or unset to use the sys.executable of python3.`,
      ]);
      expect(stdout).toBe('');
    }
  });

  it('a broken MCP_PROFILES file: exit 2, one line naming the variable, the file and the field; over HTTP and stdio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-profiles-'));
    const file = join(dir, 'profiles.json');
    writeFileSync(file, JSON.stringify({ profiles: { chat: { tools: ['botfather__*'], overrides: { 'botfather__send-message': { name: 'send message' } } } } }));
    try {
      for (const args of [[], ['--stdio']]) {
        const { code, stdout, stderr } = await start({ MCP_PORT: '0', MCP_PROFILES: file }, args);
        expect(code).toBe(2);
        expect(lines(stderr)).toEqual([
          `Invalid configuration: MCP_PROFILES="${file}" is not accepted; expected a valid profiles file (${file}: profiles.chat.overrides.botfather__send-message.name must be 1 to 64 letters, digits, "_" or "-" (a portable tool name)).`,
        ]);
        expect(stdout).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
