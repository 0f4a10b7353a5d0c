// The plugin sandbox (issue: plugins sandboxed from the gateway and each other), end to end with the
// real bubblewrap, tini and pids cgroup of this host: every process a call starts (a daemon that
// called setsid included) ends with the call, however it ends, and with a gateway killed by SIGKILL;
// a plugin cannot see the gateway, another call or their descriptors; a fork loop stops at the limit;
// an offline plugin has no network; host files are read-only, /tmp is private per call.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { CallToolResult } from '@sanctum/protocol';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const DIR = realpathSync(resolve(__dirname, 'fixtures/sandbox'));
const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
const SPAWNED = 'daemon_py_spawned,snoop_spawned,forker_spawned,netcheck_offline_spawned';
const MAX_PROCS = 24;
const ENV = {
  MCP_PLUGINS_DIR: DIR,
  MCP_WATCH: '0',
  MCP_FORK_EXCLUDE: SPAWNED,
  MCP_PLUGIN_TIMEOUT: '1',
  MCP_KILL_GRACE: '0.3',
  MCP_PLUGIN_MAX_PROCS: String(MAX_PROCS),
  MCP_PLUGIN_OFFLINE: 'netcheck_offline,netcheck_offline_spawned',
};

/** The four ways a plugin runs: Python forked and spawned, Node.js and bash (spawned). */
const VARIANTS = [
  ['cli.py forked', 'daemon_py'],
  ['cli.py spawned', 'daemon_py_spawned'],
  ['cli.js', 'daemon_js'],
  ['cli.sh', 'daemon_sh'],
] as const;

let markers = 0;
/** A number of seconds nobody else sleeps: the daemon's `sleep <marker>` is found by it. */
function newMarker(): string {
  markers += 1;
  return `${4000 + (process.pid % 1000)}.${String(markers).padStart(3, '0')}${Math.floor(Math.random() * 1000)}`;
}

/** Live processes (not zombies) of the host whose command line is `sleep <marker>`. */
function daemonsOf(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      if (state === 'Z' || state === 'X') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === `sleep\0${marker}\0`) found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Host processes whose command line holds the text. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function call(baseUrl: string, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}): Promise<CallToolResult> {
  const res = await fetch(`${baseUrl}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  const body = (await res.json()) as { result?: CallToolResult };
  if (!body.result) throw new Error(`expected a tool result, got ${JSON.stringify(body)}`);
  return body.result;
}

function textOf(result: CallToolResult): string {
  const [block] = result.content;
  return block?.type === 'text' ? block.text : '';
}

describe('plugin sandbox', () => {
  let gateway: RunningGateway;
  let stateHome: string;
  let previousStateHome: string | undefined;

  beforeAll(async () => {
    stateHome = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    previousStateHome = process.env['XDG_STATE_HOME'];
    // The state home of the XDG specification is writable in the sandbox.
    process.env['XDG_STATE_HOME'] = stateHome;
    gateway = await startGateway(ENV);
  });

  afterAll(async () => {
    await gateway?.close();
    if (previousStateHome === undefined) delete process.env['XDG_STATE_HOME'];
    else process.env['XDG_STATE_HOME'] = previousStateHome;
    rmSync(stateHome, { recursive: true, force: true });
  });

  it('says at start which isolation is active: bubblewrap, the process limit, the offline plugins', () => {
    const line = gateway.logs.find((l) => l.includes('Plugin sandbox'));
    expect(line).toContain('Plugin sandbox: bubblewrap');
    expect(line).toContain(`process limit ${MAX_PROCS} per call (cgroup`);
    expect(line).toContain('network off for netcheck_offline, netcheck_offline_spawned');
    expect(line).not.toContain('missing');
  });

  describe.each(VARIANTS)('%s: a setsid daemon ends with its call', (_label, plugin) => {
    it('when the plugin exits (the failure: the daemon is reparented and runs on)', async () => {
      const marker = newMarker();
      const result = await call(gateway.baseUrl, `${plugin}__start`, { marker });
      expect(result.isError).toBeFalsy();
      await eventually(() => daemonsOf(marker).length === 0, 3_000);
    });

    it('when the call times out, the plugin ignoring SIGTERM', async () => {
      const marker = newMarker();
      const result = await call(gateway.baseUrl, `${plugin}__start`, { marker, stay: true });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('timed out after 1 s');
      await eventually(() => daemonsOf(marker).length === 0, 3_000);
    });

    it('when the client cancels the call', async () => {
      const marker = newMarker();
      const client = new Client({ name: 'sandbox-cancel', version: '1.0.0' });
      await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
      try {
        const controller = new AbortController();
        const pending = client.callTool({ name: `${plugin}__start`, arguments: { marker, stay: true } }, undefined, { signal: controller.signal }).catch((e: unknown) => e);
        await eventually(() => daemonsOf(marker).length > 0, 3_000);
        controller.abort();
        expect(await pending).toBeInstanceOf(Error);
        await eventually(() => daemonsOf(marker).length === 0, 3_000);
      } finally {
        await client.close();
      }
    });

    it('when the client disconnects (legacy SSE stream closed)', async () => {
      const marker = newMarker();
      const client = new Client({ name: 'sandbox-disconnect', version: '1.0.0' });
      await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
      void client.callTool({ name: `${plugin}__start`, arguments: { marker, stay: true } }).catch(() => undefined);
      await eventually(() => daemonsOf(marker).length > 0, 3_000);
      await client.close();
      await eventually(() => daemonsOf(marker).length === 0, 3_000);
    });
  });

  it.each([
    ['forked', 'forker'],
    ['spawned', 'forker_spawned'],
  ])('stops a fork loop at the process limit with a plugin_error naming it (%s)', async (_how, plugin) => {
    const result = await call(gateway.baseUrl, `${plugin}__bomb`, {});
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'plugin_error' } });
    expect(textOf(result)).toBe(
      `${plugin}.bomb reached its limit of ${MAX_PROCS} processes and threads (MCP_PLUGIN_MAX_PROCS): a fork or thread was refused, and the plugin's processes were killed.`,
    );
    // Ended by the limit (this text), not by the 1 s timeout (a `timeout` error).
    await eventually(() => processesNaming(join(DIR, plugin)).length === 0, 3_000);
  });

  describe('network', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer((socket) => socket.end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });

    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('is there for plugins by default', async () => {
      const result = await call(gateway.baseUrl, 'netcheck__connect', { port });
      expect(result.structuredContent).toEqual({ connected: true });
    });

    it.each(['netcheck_offline', 'netcheck_offline_spawned'])('is gone for a plugin in MCP_PLUGIN_OFFLINE (%s)', async (plugin) => {
      const result = await call(gateway.baseUrl, `${plugin}__connect`, { port });
      expect(result.structuredContent).toMatchObject({ connected: false });
    });
  });

  it('keeps host files read-only, /tmp private to each call, and the state folder writable', async () => {
    const first = await call(gateway.baseUrl, 'files__probe', { 'state-dir': stateHome, tag: 'one' });
    const second = await call(gateway.baseUrl, 'files__probe', { 'state-dir': stateHome, tag: 'two' });
    expect(first.structuredContent).toEqual({ tmp_before: [], own_folder: 'Read-only file system', tmp: 'written', state: 'written' });
    // The first call's /tmp file is not in the second call's /tmp.
    expect(second.structuredContent).toMatchObject({ tmp_before: [], tmp: 'written' });
    expect(readFileSync(join(stateHome, 'sandbox-files-one'), 'utf8')).toBe('one');
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('sandbox-files-'))).toEqual([]);
  });
});

describe('plugin sandbox of a gateway process', () => {
  const SECRET = `sandbox-key-${process.pid}-${Date.now()}`;
  let gateway: ChildProcess;
  let baseUrl: string;
  let out = '';
  const auth = { Authorization: `Bearer ${SECRET}` };

  beforeAll(async () => {
    gateway = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', MCP_DISCOVERY_CACHE: 'off', MCP_API_KEY: SECRET, ...ENV, MCP_PLUGIN_TIMEOUT: '30' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    gateway.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(() => /listening on http:\/\/[^:]+:\d+/.test(out), 20_000);
    baseUrl = `http://127.0.0.1:${/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1]}`;
  });

  afterAll(() => {
    gateway?.kill('SIGKILL');
  });

  it.each(['snoop', 'snoop_spawned'])(
    "%s cannot read the gateway's environment, another call's argv or environment, nor take a descriptor it did not have",
    async (plugin) => {
      const held = `held-secret-${plugin}-${Date.now()}`;
      void call(baseUrl, `${plugin}__hold`, { secret: held }, auth).catch(() => undefined);
      if (plugin === 'snoop_spawned') {
        // Outside the sandbox the held secret is plainly in the other call's argv: the look is meaningful.
        await eventually(() => processesNaming(held).length > 0, 5_000);
      } else {
        // A forked call's argv is in its memory only; give it the time to start.
        await new Promise((r) => setTimeout(r, 500));
      }
      for (const secret of [SECRET, held]) {
        const result = await call(baseUrl, `${plugin}__look`, { 'gateway-pid': gateway.pid, secret }, auth);
        const report = result.structuredContent as { pids: number[]; gateway_environ: string; secret_found_in: string[]; foreign_fds: string[] };
        expect(report.gateway_environ).toMatch(/^(FileNotFoundError|PermissionError)/);
        expect(report.secret_found_in).toEqual([]);
        expect(report.foreign_fds).toEqual([]);
        // Its own PID namespace: its PID 1 (tini or the call's init) and itself, nothing of the host.
        expect(report.pids.length).toBeLessThanOrEqual(3);
        expect(report.pids).not.toContain(gateway.pid);
      }
    },
  );

  it('leaves no daemon behind when the gateway is killed by SIGKILL (all four kinds of plugin)', async () => {
    const marks = VARIANTS.map(([, plugin]) => [plugin, newMarker()] as const);
    for (const [plugin, marker] of marks) void call(baseUrl, `${plugin}__start`, { marker, stay: true }, auth).catch(() => undefined);
    await eventually(() => marks.every(([, marker]) => daemonsOf(marker).length > 0), 10_000);
    gateway.kill('SIGKILL');
    await eventually(() => marks.every(([, marker]) => daemonsOf(marker).length === 0), 5_000);
  });
});

describe('MCP_SANDBOX=required', () => {
  it('refuses to start (exit 2, one line naming what is missing) on a host without bubblewrap', async () => {
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const child = spawn(process.execPath, [MAIN], {
      // No PATH: bwrap and tini cannot be found.
      env: { HOME: process.env['HOME'] ?? '', PATH: '/nonexistent', MCP_PORT: '0', MCP_SANDBOX: 'required', MCP_PLUGINS_DIR: DIR, MCP_PYTHON: python },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toContain('MCP_SANDBOX=required but this host cannot sandbox plugins: bubblewrap (bwrap) is not installed');
  });
});
