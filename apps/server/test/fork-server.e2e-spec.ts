// The Python fork server must be invisible in results: every fixture plugin command is called
// through a gateway with MCP_FORK_SERVER=1 and one with MCP_FORK_SERVER=0, and the two results must
// be equal. The fork-server gateway is warmed up first and each of its calls is checked to have
// been forked (not spawned, not run cold), so the comparison is between the two paths.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, LoggingMessageNotification, Progress } from '@modelcontextprotocol/sdk/types.js';
import { ExecutorService } from '@sanctum/executor';
import type { CallToolResult } from '@sanctum/protocol';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { isAlive, liveProcessesIn } from './process-table';

const FIXTURES = realpathSync(resolve(__dirname, 'fixtures'));
const PLUGINS = resolve(FIXTURES, 'plugins');
const FAULTS = resolve(FIXTURES, 'faults');
const NOTIFY = resolve(FIXTURES, 'notify');
const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
/** One fixed trace context: MCP_REQUEST_ID and TRACEPARENT (echoed by echo_py) are then equal. */
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

interface Pair {
  fork: RunningGateway;
  spawn: RunningGateway;
}

async function startPair(env: Record<string, string>): Promise<Pair> {
  const [fork, spawn] = await Promise.all([
    startGateway({ ...env, MCP_FORK_SERVER: '1', MCP_WATCH: '0' }),
    startGateway({ ...env, MCP_FORK_SERVER: '0', MCP_WATCH: '0' }),
  ]);
  expect(await fork.app.get(ExecutorService).startForkServer()).toBe(true);
  expect(spawn.app.get(ExecutorService).forkServerStats()).toBeUndefined();
  return { fork, spawn };
}

let nextId = 1;

/** tools/call through POST /message without a session: the result comes back in the body. */
async function call(gateway: RunningGateway, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const res = await fetch(`${gateway.baseUrl}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args, _meta: { traceparent: TRACEPARENT } } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result?: CallToolResult; error?: unknown };
  if (!body.result) throw new Error(`expected a tool result, got ${JSON.stringify(body)}`);
  return body.result;
}

/** The call on both gateways at once; checks the fork-server gateway really forked it (warm). */
async function callBoth(pair: Pair, name: string, args: Record<string, unknown> = {}): Promise<{ fork: CallToolResult; spawn: CallToolResult }> {
  const executor = pair.fork.app.get(ExecutorService);
  const before = executor.forkServerStats();
  const [fork, spawn] = await Promise.all([call(pair.fork, name, args), call(pair.spawn, name, args)]);
  const after = executor.forkServerStats();
  expect(after).toMatchObject({ state: 'ready', forked: (before?.forked ?? 0) + 1, cold: before?.cold, spawned: before?.spawned });
  return { fork, spawn };
}

function textOf(result: CallToolResult): string {
  const [block] = result.content;
  return block?.type === 'text' ? block.text : '';
}


/** Live processes whose working directory is inside the fixtures (zombies ignored). */
function fixtureProcesses(): number[] {
  return liveProcessesIn(FIXTURES).map((p) => p.pid);
}

describe('fork server vs spawn: identical results', () => {
  let plugins: Pair;
  let faults: Pair;
  let notify: Pair;

  beforeAll(async () => {
    [plugins, faults, notify] = await Promise.all([
      startPair({ MCP_PLUGINS_DIR: PLUGINS }),
      startPair({ MCP_PLUGINS_DIR: FAULTS, MCP_PLUGIN_TIMEOUT: '1', MCP_KILL_GRACE: '0.3', MCP_MAX_STDOUT_BYTES: String(1024 * 1024) }),
      startPair({ MCP_PLUGINS_DIR: NOTIFY }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([plugins, faults, notify].flatMap((pair) => (pair ? [pair.fork.close(), pair.spawn.close()] : [])));
  });

  it.each<[string, Record<string, unknown>]>([
    ['plain text', { text: 'hello' }],
    ['every argument kind', { text: 'Zoë\nline = two', count: 3, ratio: 2.5, verbose: true, 'dry-run': false, tag: ['a', 'b c'], rows: [{ x: 1 }, { y: 'z' }], config: { depth: 2 } }],
    ['option-like and shell-like text', { text: '--help', tag: ['-rf', '$HOME', '; rm -rf /', '`id`'] }],
    ['empty and unicode text', { text: '', tag: ['✓', '日本語', 'emoji 🎉'] }],
  ])('echo_py echo: %s', async (_name, args) => {
    const { fork, spawn } = await callBoth(plugins, 'echo_py__echo', args);
    expect(fork.isError).toBeFalsy();
    expect(fork.structuredContent?.['request_id']).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(fork).toEqual(spawn);
  });

  it('echo_py fail', async () => {
    const { fork, spawn } = await callBoth(plugins, 'echo_py__fail', { why: 'because ✓' });
    expect(fork.isError).toBe(true);
    expect(fork).toEqual(spawn);
  });

  it.each(['slow', 'crash', 'early_exit', 'flood', 'hang', 'stubborn', 'closes_stdout'])('faults %s', async (plugin) => {
    const { fork, spawn } = await callBoth(faults, `${plugin}__run`);
    expect(fork).toEqual(spawn);
  });

  it('faults garbage', async () => {
    const { fork, spawn } = await callBoth(faults, 'garbage__run');
    // The fixture prints a fixed invalid prefix and then 4096 *random* bytes: the text differs from
    // run to run on either path. Compared: everything but the text, and the first six characters,
    // which come from the fixed prefix alone (the seventh may merge with the first random byte).
    const normalize = (result: CallToolResult): unknown => ({ ...result, content: [{ type: 'text', text: textOf(result).slice(0, 6) }] });
    expect(textOf(fork).slice(0, 6)).toBe('\uFFFD\uFFFD\uFFFD\u0000\uFFFD(');
    expect(normalize(fork)).toEqual(normalize(spawn));
  });

  it('faults grandchild', async () => {
    const { fork, spawn } = await callBoth(faults, 'grandchild__run');
    // The result carries the grandchild's pid, a different number on every run: compared as "a pid".
    const normalize = (result: CallToolResult): string => JSON.stringify(result).replace(/\d{2,}/g, '<pid>');
    expect(typeof fork.structuredContent?.['grandchild_pid']).toBe('number');
    expect(normalize(fork)).toEqual(normalize(spawn));
  });

  it('notify reporter work: same result, progress and log notifications', async () => {
    const run = async (gateway: RunningGateway): Promise<unknown> => {
      const client = new Client({ name: 'fork-e2e', version: '1.0.0' });
      const transport: Transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`));
      await client.connect(transport);
      // Compare what the server sent, in wire order: the SDK dispatches notifications a tick late
      // and may drop a progress notification that lands together with the response.
      const wire: JSONRPCMessage[] = [];
      const deliver = transport.onmessage;
      transport.onmessage = (message, extra) => {
        wire.push(message);
        deliver?.(message, extra);
      };
      try {
        await client.setLoggingLevel('debug');
        const result = await client.callTool({ name: 'reporter__work', arguments: { steps: 5 } }, undefined, { onprogress: () => undefined });
        const notifications = wire.filter((m): m is Extract<JSONRPCMessage, { method: string }> => 'method' in m);
        const progress = notifications.filter((m) => m.method === 'notifications/progress').map((m) => m.params as unknown as Progress);
        const logs = notifications.filter((m) => m.method === 'notifications/message').map((m) => m.params as LoggingMessageNotification['params']);
        return { result, progress: progress.map(({ progress: p, total, message }) => ({ progress: p, total, message })), logs };
      } finally {
        await client.close();
      }
    };
    const executor = notify.fork.app.get(ExecutorService);
    const before = executor.forkServerStats()?.forked ?? 0;
    const [fork, spawn] = await Promise.all([run(notify.fork), run(notify.spawn)]);
    expect(executor.forkServerStats()?.forked).toBe(before + 1);
    expect(fork).toMatchObject({ progress: expect.arrayContaining([expect.objectContaining({ progress: 5, total: 5 })]) });
    expect(fork).toEqual(spawn);
  });

  it('leaves no fixture process behind and nothing running', async () => {
    await eventually(() => fixtureProcesses().length === 0, 2_000);
    for (const pair of [plugins, faults, notify]) {
      expect(pair.fork.app.get(ExecutorService).stats()).toMatchObject({ running: 0, queued: 0 });
      expect(pair.fork.app.get(ExecutorService).forkServerStats()).toMatchObject({ state: 'ready', cold: 0, spawned: 0, failures: 0 });
    }
  });
});

describe('fork server and the gateway process', () => {
  it('goes away with a gateway killed by SIGKILL: its running children killed, its socket removed', async () => {
    const gateway = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', MCP_PLUGINS_DIR: FAULTS, MCP_DISCOVERY_CACHE: 'off', MCP_WATCH: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    gateway.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    gateway.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await eventually(() => /listening on http:\/\/[^:]+:\d+/.test(out), 20_000);
      const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
      const post = (name: string): Promise<unknown> =>
        fetch(`http://127.0.0.1:${port}/message`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
        }).then((r) => r.json());
      // The first Python call starts the fork server (it is spawned itself).
      await post('early_exit__run');
      await eventually(() => /Python fork server ready \(pid \d+/.test(out), 10_000);
      const serverPid = Number(/Python fork server ready \(pid (\d+)/.exec(out)?.[1]);
      // argv of the server: python <path>/fork_server.py <socket path> <python>
      const socketPath = readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').split('\0')[2];
      expect(existsSync(socketPath)).toBe(true);
      void post('hang__run').catch(() => undefined);
      const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      // In the sandbox a forked call is the server's grandchild or deeper (its child C, C's child G).
      const descendsFromServer = (pid: number): boolean => {
        for (let p = pid, hops = 0; p > 1 && hops < 5; p = parentOf(p), hops++) if (parentOf(p) === serverPid) return true;
        return false;
      };
      await eventually(() => fixtureProcesses().some((pid) => descendsFromServer(pid)), 5_000);
      const [hang] = fixtureProcesses();

      gateway.kill('SIGKILL');
      // The socket's folder is a mount point in the server's sandbox: the server removes the socket,
      // and the next gateway to start removes the empty folder (fork-server.spec.ts).
      await eventually(() => !isAlive(serverPid) && !isAlive(hang) && !existsSync(socketPath), 5_000);
    } finally {
      gateway.kill('SIGKILL');
    }
  });
});
