// Pins graceful shutdown of the real process: on SIGTERM it stops accepting, lets running calls
// finish within MCP_SHUTDOWN_GRACE, cancels the rest (their process groups die), ends sessions,
// and exits 0; a second signal exits at once.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { liveProcessesIn } from './process-table';

const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
const FAULTS = resolve(__dirname, 'fixtures/faults');

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', MCP_PLUGINS_DIR: FAULTS, MCP_DISCOVERY_CACHE: 'off', MCP_WATCH: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 20_000;
  let port = 0;
  while (!port) {
    const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
    if (match) port = Number(match[1]);
    else if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, output: () => out, exited };
}

function call(port: number, tool: string): Promise<{ result: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: { error?: { code: string } } } }> {
  return fetch(`http://127.0.0.1:${port}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }),
  }).then((r) => r.json() as Promise<{ result: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: { error?: { code: string } } } }>);
}

/** Live (non-zombie) processes of the faults fixtures. */
function fixtureProcesses(): number[] {
  return liveProcessesIn(FAULTS).map((p) => p.pid);
}

describe('graceful shutdown of the real process', () => {
  it('lets a running call finish, answers it, and exits 0', async () => {
    const server = await startServer({ MCP_SHUTDOWN_GRACE: '10' });
    const pending = call(server.port, 'slow__run');
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill('SIGTERM');
    const reply = await pending;
    expect(reply.result.isError).toBeFalsy();
    expect(reply.result.content[0].text).toBe('slow done');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('Received SIGTERM: no new connections; draining');
  });

  it('cancels a call still running after the grace period, kills its process group, ends SSE streams, and exits 0', async () => {
    const server = await startServer({ MCP_SHUTDOWN_GRACE: '0.5', MCP_KILL_GRACE: '0.3' });
    const sse = await fetch(`http://127.0.0.1:${server.port}/sse`, { headers: { Accept: 'text/event-stream' } });
    const streamDone = sse.text();
    const pending = call(server.port, 'hang__run');
    await new Promise((r) => setTimeout(r, 400));
    expect(fixtureProcesses().length).toBeGreaterThan(0);
    const started = Date.now();
    server.child.kill('SIGTERM');
    const reply = await pending;
    expect(reply.result.structuredContent?.error?.code).toBe('cancelled');
    await expect(streamDone).resolves.toContain('event: endpoint');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fixtureProcesses()).toEqual([]);
    expect(server.output()).toMatch(/cancelling 1 tool calls still running after the grace period/);
    expect(server.output()).toMatch(/Session ended: [0-9a-f-]{36}/);
  });

  it('exits at once on a second signal, still signalling the plugin process groups', async () => {
    const server = await startServer({ MCP_SHUTDOWN_GRACE: '30', MCP_KILL_GRACE: '0.3' });
    const pending = call(server.port, 'hang__run').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 400));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 143, signal: null });
    await pending;
    // The plugin's group got SIGTERM on the way out; hang does not ignore it.
    const deadline = Date.now() + 3_000;
    while (fixtureProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fixtureProcesses()).toEqual([]);
  });
});
