// Pins what happens when a client gives up on a tool call (issue 16, item 9), with the official
// SDK making the race as it makes it: its request timeout fires, it sends notifications/cancelled
// (a POST of its own, not awaited) and rejects, and the application closes the client, which
// aborts every request of the transport, the call's POST included. MCP 2025-03-26 and later:
// "Disconnection SHOULD NOT be interpreted as the client cancelling its request. To cancel, the
// client SHOULD explicitly send an MCP CancelledNotification." So the call's connection closing
// alone leaves the call running, and a notifications/cancelled or a DELETE of the session that
// arrives after that connection closed still ends the call and kills its plugin.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistry } from '@sanctum/sessions';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';

jest.setTimeout(30_000);

const NOTIFY_PLUGINS = resolve(__dirname, 'fixtures/notify');
/** How long the slow plugin would run: far past the client's timeout. */
const RUNS_MS = 4_000;
const CLIENT_TIMEOUT_MS = 300;

/**
 * The SDK's fetch, except for its notifications/cancelled: `hold` keeps it until released and then
 * sends it without the transport's (by then aborted) signal, as a cancel already on the wire when
 * the client closed would arrive; `drop` never sends it, as when close() aborts it first.
 */
class CancelRace {
  private release: (() => void) | undefined;
  private readonly held = new Promise<void>((resolvePromise) => (this.release = resolvePromise));
  cancelsSeen = 0;

  constructor(private readonly mode: 'hold' | 'drop') {}

  readonly fetch: FetchLike = async (url, init) => {
    if (typeof init?.body === 'string' && init.body.includes('"notifications/cancelled"')) {
      this.cancelsSeen += 1;
      if (this.mode === 'drop') throw new DOMException('This operation was aborted', 'AbortError');
      await this.held;
      return fetch(url, { ...init, signal: null });
    }
    return fetch(url, init);
  };

  sendHeldCancel(): void {
    this.release?.();
  }
}

describe('a client that gives up on a call', () => {
  let work: string;
  let gateway: RunningGateway;

  const registry = (): SessionRegistry => gateway.app.get(SessionRegistry);
  const running = (sessionId: string): number => registry().get(sessionId)?.inFlightCount ?? 0;
  const failedLine = (sessionId: string, code: string): boolean =>
    gateway.logs.some((l) => l.includes(`Tool failed: slow.wait (${sessionId})`) && l.endsWith(`(${code})`));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sanctum-timeouts-'));
    writeSlowPlugin(join(work, 'plugins'));
    // The slow plugin writes its marker files into work: writable in the plugin sandbox, so that a
    // marker that is missing means a call that was stopped, not a write that was refused.
    gateway = await startGateway({ MCP_PLUGINS_DIR: join(work, 'plugins'), MCP_KILL_GRACE: '0.2', MCP_SANDBOX_WRITABLE: work });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Call slow__wait with the SDK's timeout; resolves with the SDK's error once it gave up. */
  const giveUp = async (client: Client, marker: string): Promise<unknown> =>
    client.callTool({ name: 'slow__wait', arguments: { ms: RUNS_MS, marker } }, undefined, { timeout: CLIENT_TIMEOUT_MS }).then(
      () => new Error('the call was expected to time out'),
      (err: unknown) => err,
    );

  it('the SDK over Streamable HTTP: timeout, cancel, then close once the cancel went out: the cancel ends the call and kills the plugin', async () => {
    let cancelsAnswered = 0;
    const spy: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      if (typeof init?.body === 'string' && init.body.includes('"notifications/cancelled"')) cancelsAnswered += 1;
      return res;
    };
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), { fetch: spy });
    const client = new Client({ name: 'timeouts-e2e', version: '1.0.0' });
    await client.connect(transport);
    const sessionId = transport.sessionId as string;
    const marker = join(work, 'sdk-close.marker');
    const error = await giveUp(client, marker);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.RequestTimeout);
    await eventually(() => cancelsAnswered === 1);
    await client.close();
    await eventually(() => failedLine(sessionId, 'cancelled'), 5_000);
    expect(running(sessionId)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('guards the cancel-after-close race: a notifications/cancelled arriving after the call\'s POST closed still ends the call', async () => {
    const race = new CancelRace('hold');
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), { fetch: race.fetch });
    const client = new Client({ name: 'timeouts-e2e', version: '1.0.0' });
    await client.connect(transport);
    const sessionId = transport.sessionId as string;
    const marker = join(work, 'late-cancel.marker');
    await giveUp(client, marker);
    await client.close(); // aborts the call's POST: its connection closes before the cancel arrives
    await eventually(() => race.cancelsSeen === 1);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
    expect(running(sessionId)).toBe(1); // a dropped connection alone is not a cancel
    race.sendHeldCancel();
    await eventually(() => failedLine(sessionId, 'cancelled'), 5_000);
    expect(running(sessionId)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('guards the lost-cancel race: with the cancel lost to close(), the call runs on until a DELETE of its session ends it', async () => {
    const race = new CancelRace('drop');
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), { fetch: race.fetch });
    const client = new Client({ name: 'timeouts-e2e', version: '1.0.0' });
    await client.connect(transport);
    const sessionId = transport.sessionId as string;
    const marker = join(work, 'delete.marker');
    await giveUp(client, marker);
    await client.close();
    await eventually(() => race.cancelsSeen === 1);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
    expect(running(sessionId)).toBe(1);
    const deleted = await fetch(`${gateway.baseUrl}/mcp`, {
      method: 'DELETE',
      headers: { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': '2025-11-25' },
    });
    expect(deleted.status).toBe(204);
    await eventually(() => failedLine(sessionId, 'cancelled'), 5_000);
    expect(registry().get(sessionId)).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });

  it('the SDK over HTTP+SSE: closing the stream ends the session, which ends the call', async () => {
    const client = new Client({ name: 'timeouts-e2e', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
    const sessionId = registry().all().find((s) => s.transport === 'sse')?.id as string;
    const marker = join(work, 'sse.marker');
    await giveUp(client, marker);
    await client.close();
    await eventually(() => failedLine(sessionId, 'cancelled'), 5_000);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('progress notifications and the client timeout', () => {
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: NOTIFY_PLUGINS });
    client = new Client({ name: 'progress-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  // The reporter works 150 steps of 20 ms, reporting progress after each: longer than the timeout.
  const work = { name: 'reporter__work', arguments: { steps: 150 } };
  const PROGRESS_TIMEOUT_MS = 1_000;

  it('a call that reports progress outlives a client timeout that resets on progress', async () => {
    let reports = 0;
    const result = await client.callTool(work, undefined, {
      timeout: PROGRESS_TIMEOUT_MS,
      resetTimeoutOnProgress: true,
      onprogress: () => {
        reports += 1;
      },
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ steps: 150 });
    expect(reports).toBe(150);
  });

  it('the same call times out when the client does not reset its timeout on progress', async () => {
    await expect(client.callTool(work, undefined, { timeout: PROGRESS_TIMEOUT_MS, onprogress: () => undefined })).rejects.toMatchObject({
      code: ErrorCode.RequestTimeout,
    });
  });
});
