// Fault injection against the real gateway: plugins that hang, flood, crash, print garbage,
// ignore SIGTERM, leave grandchildren holding stdout or close it. Each call must end in a clear
// result, within a bounded time, and leave no process of the fixture behind.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ExecutorService } from '@sanctum/executor';
import type { CallToolResult } from '@sanctum/protocol';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { liveProcessesIn } from './process-table';
import type { ProcessInfo } from './process-table';

const FAULTS_DIR = realpathSync(resolve(__dirname, 'fixtures/faults'));
const TIMEOUT_S = 1.5;
const GRACE_S = 0.3;
/** Generous bound for any call that ends by timeout: timeout + kill grace + 2 s of slack. */
const KILL_BOUND_MS = (TIMEOUT_S + GRACE_S + 2) * 1000;


/** Fixture processes still running (the plugin folder as working directory, or named in argv). */
function fixtureProcesses(): ProcessInfo[] {
  return liveProcessesIn(FAULTS_DIR);
}

/** No fixture process may outlive its call (allowing a moment for the kill to land). */
async function expectNoFixtureProcesses(timeoutMs = 2_000): Promise<void> {
  try {
    await eventually(() => fixtureProcesses().length === 0, timeoutMs);
  } catch {
    const left = fixtureProcesses();
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    throw new Error(`fixture processes left behind: ${JSON.stringify(left)}`);
  }
}


let nextId = 1;

/** tools/call through POST /message without a session: the response comes back in the body. */
async function call(gateway: RunningGateway, name: string): Promise<{ result: CallToolResult; elapsedMs: number }> {
  const started = performance.now();
  const res = await fetch(`${gateway.baseUrl}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: {} } }),
  });
  const elapsedMs = performance.now() - started;
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result?: CallToolResult; error?: unknown };
  if (!body.result) throw new Error(`expected a tool result, got ${JSON.stringify(body)}`);
  return { result: body.result, elapsedMs };
}

function textOf(result: CallToolResult): string {
  const [block] = result.content;
  return block?.type === 'text' ? block.text : '';
}

function errorOf(result: CallToolResult): { code?: unknown; message?: unknown } {
  const error = result.structuredContent?.['error'];
  return typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown }) : {};
}

function killStrays(): void {
  for (const { pid } of fixtureProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('plugin faults', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FAULTS_DIR,
      MCP_PLUGIN_TIMEOUT: String(TIMEOUT_S),
      MCP_KILL_GRACE: String(GRACE_S),
      MCP_MAX_STDOUT_BYTES: String(1024 * 1024),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    killStrays();
  });

  it('discovers every fault fixture as a tool', async () => {
    const res = await fetch(`${gateway.baseUrl}/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }),
    });
    const body = (await res.json()) as { result: { tools: Array<{ name: string }> } };
    const names = body.result.tools.map((t) => t.name).filter((n) => !n.startsWith('gateway__'));
    expect(names.sort()).toEqual(
      ['closes_stdout', 'crash', 'early_exit', 'flood', 'garbage', 'grandchild', 'hang', 'slow', 'stubborn'].map((p) => `${p}__run`),
    );
  });

  it('hang: times out, the group is killed', async () => {
    const { result, elapsedMs } = await call(gateway, 'hang__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('timeout');
    expect(textOf(result)).toBe("hang.run timed out after 1.5 s; the plugin's processes were killed.");
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50);
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it('slow: answers after a second', async () => {
    const { result, elapsedMs } = await call(gateway, 'slow__run');
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('slow done');
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
    expect(elapsedMs).toBeLessThan(TIMEOUT_S * 1000 + 500);
    await expectNoFixtureProcesses();
  });

  it('grandchild: does not wait for a grandchild holding stdout, and kills it', async () => {
    const { result, elapsedMs } = await call(gateway, 'grandchild__run');
    expect(result.isError).toBeFalsy();
    const pid = result.structuredContent?.['grandchild_pid'];
    expect(typeof pid).toBe('number');
    // Far below the 60 s the grandchild holds the pipe, and below the call timeout.
    expect(elapsedMs).toBeLessThan(TIMEOUT_S * 1000);
    // The pid is the grandchild's in the sandbox's PID namespace (a small number, not the host's):
    // the process table, by working directory, is what says it is gone.
    await expectNoFixtureProcesses();
  });

  it('flood: stops reading at the stdout cap and kills the plugin at once', async () => {
    const { result, elapsedMs } = await call(gateway, 'flood__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('plugin_error');
    expect(textOf(result)).toBe("flood.run printed more than 1 MiB on stdout; the output was truncated at 1048576 bytes and the plugin's processes were killed.");
    // Killed at the cap, long before the timeout (reading 1 GB would take far longer).
    expect(elapsedMs).toBeLessThan(TIMEOUT_S * 1000);
    await expectNoFixtureProcesses();
  });

  it('crash: plugin_error with the traceback from stderr', async () => {
    const { result, elapsedMs } = await call(gateway, 'crash__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('plugin_error');
    expect(textOf(result)).toMatch(/^crash\.run exited with code 1: Traceback \(most recent call last\):/);
    expect(textOf(result)).toContain('RuntimeError: fixture crash: boom');
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it('garbage: binary output is decoded lossily and returned as text', async () => {
    const { result, elapsedMs } = await call(gateway, 'garbage__run');
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text.startsWith('\uFFFD\uFFFD\uFFFD\u0000')).toBe(true);
    expect(text).toContain('\uFFFD');
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it('stubborn: ignores SIGTERM, is killed by SIGKILL after the grace period', async () => {
    const { result, elapsedMs } = await call(gateway, 'stubborn__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('timeout');
    expect(textOf(result)).toBe("stubborn.run timed out after 1.5 s; the plugin's processes were killed.");
    expect(elapsedMs).toBeGreaterThanOrEqual((TIMEOUT_S + GRACE_S) * 1000 - 50);
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it('early_exit: exit 3 with no output is a plugin_error saying so', async () => {
    const { result, elapsedMs } = await call(gateway, 'early_exit__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('plugin_error');
    expect(textOf(result)).toBe('early_exit.run exited with code 3 and printed nothing.');
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it('closes_stdout: a plugin that closed stdout and keeps running ends by timeout', async () => {
    const { result, elapsedMs } = await call(gateway, 'closes_stdout__run');
    expect(result.isError).toBe(true);
    expect(errorOf(result).code).toBe('timeout');
    expect(textOf(result)).toBe("closes_stdout.run timed out after 1.5 s; the plugin's processes were killed.");
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50);
    expect(elapsedMs).toBeLessThan(KILL_BOUND_MS);
    await expectNoFixtureProcesses();
  });

  it.each(['hang', 'stubborn'])('%s: cancellation from the SDK client kills the process group', async (plugin) => {
    const client = new Client({ name: 'faults-cancel', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
    try {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 300);
      const started = performance.now();
      const error = await client.callTool({ name: `${plugin}__run`, arguments: {} }, undefined, { signal: controller.signal }).catch((e: unknown) => e);
      clearTimeout(timer);
      expect(error).toBeInstanceOf(Error);
      expect(performance.now() - started).toBeLessThan(1_500);
      // The gateway hears notifications/cancelled, aborts the call and kills the group
      // (SIGTERM; SIGKILL after the grace period for the stubborn one), well before the timeout.
      await eventually(() => gateway.logs.some((l) => l.includes(`Tool failed: ${plugin}.run (`) && l.endsWith('(cancelled)')), TIMEOUT_S * 1000);
      await expectNoFixtureProcesses(1_000);
    } finally {
      await client.close();
    }
  });

  it('ends with nothing running or queued', () => {
    expect(gateway.app.get(ExecutorService).stats()).toMatchObject({ running: 0, queued: 0 });
  });
});

describe('concurrency limit and queue', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      MCP_PLUGINS_DIR: FAULTS_DIR,
      MCP_PLUGIN_TIMEOUT: '10',
      MCP_KILL_GRACE: String(GRACE_S),
      MCP_MAX_CONCURRENCY: '2',
      MCP_QUEUE_LIMIT: '1',
    });
  });

  afterAll(async () => {
    await gateway?.close();
    killStrays();
  });

  it('runs 2, queues 1 and refuses the 4th at once with busy', async () => {
    const executor = gateway.app.get(ExecutorService);
    expect(executor.stats()).toEqual({ running: 0, queued: 0, maxConcurrency: 2, queueLimit: 1 });
    const calls = Array.from({ length: 4 }, () => call(gateway, 'slow__run'));
    const outcomes = await Promise.all(calls);

    const busy = outcomes.filter(({ result }) => errorOf(result).code === 'busy');
    const ok = outcomes.filter(({ result }) => !result.isError);
    expect(busy).toHaveLength(1);
    expect(ok).toHaveLength(3);
    const [refused] = busy;
    expect(refused.result.isError).toBe(true);
    expect(textOf(refused.result)).toMatch(/^The gateway is at capacity \(2 plugin processes running, 1 calls queued\); slow\.run was not started\. Retry in a few seconds\.$/);
    expect(refused.elapsedMs).toBeLessThan(1_500);
    // The queued call started when a slot freed: after one slow run, within two.
    const durations = ok.map((o) => o.elapsedMs).sort((a, b) => a - b);
    expect(durations[2]).toBeGreaterThanOrEqual(1_900);
    expect(durations[2]).toBeLessThan(4_000);
    expect(executor.stats()).toMatchObject({ running: 0, queued: 0 });
    await expectNoFixtureProcesses();
  });

  it('lets a queued call cancelled by the SDK client leave the queue at once', async () => {
    const executor = gateway.app.get(ExecutorService);
    const running = [call(gateway, 'slow__run'), call(gateway, 'slow__run')];
    await eventually(() => executor.stats().running === 2, 2_000);

    const client = new Client({ name: 'faults-queue', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
    try {
      const controller = new AbortController();
      const pending = client.callTool({ name: 'hang__run', arguments: {} }, undefined, { signal: controller.signal }).catch((e: unknown) => e);
      await eventually(() => executor.stats().queued === 1, 1_000);
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      await eventually(() => executor.stats().queued === 0, 500);
      expect(executor.stats().running).toBe(2);
      await eventually(() => gateway.logs.some((l) => l.includes('Tool failed: hang.run (') && l.endsWith('(cancelled)')), 1_000);
    } finally {
      await client.close();
    }
    for (const { result } of await Promise.all(running)) expect(result.isError).toBeFalsy();
    await expectNoFixtureProcesses();
  });
});
