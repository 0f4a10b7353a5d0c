// Pins live and idle sessions in /health and /metrics (issue 16, item 8): clients that exit
// without DELETE (the official SDK's close() sends none) leave Streamable HTTP sessions behind
// until MCP_SESSION_IDLE_TIMEOUT; the guide's `sessions` counts them, `live` and `idle` tell an
// operator how many still have a connection of their client open (or a call running).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SessionRegistry } from '@sanctum/sessions';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';

interface SessionsInfo {
  open: number;
  live: number;
  idle: number;
}

describe('live and idle sessions', () => {
  let work: string;
  let gateway: RunningGateway;

  const sessions = async (): Promise<{ sessions: number; info: SessionsInfo }> => {
    const body = (await (await fetch(`${gateway.baseUrl}/health`)).json()) as { sessions: number; info: { sessions: SessionsInfo } };
    return { sessions: body.sessions, info: body.info.sessions };
  };
  const gauges = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    const found: Record<string, number> = {};
    for (const [, name, transport, value] of text.matchAll(/^(mcp_sessions_(?:live|idle|open))\{transport="([^"]+)"\} (\d+)$/gm)) {
      found[`${name}{${transport}}`] = Number(value);
    }
    return found;
  };
  const connect = async (transport: StreamableHTTPClientTransport | SSEClientTransport): Promise<Client> => {
    const client = new Client({ name: 'activity-e2e', version: '1.0.0' });
    await client.connect(transport);
    return client;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sanctum-activity-'));
    writeSlowPlugin(join(work, 'plugins'));
    gateway = await startGateway({ MCP_PLUGINS_DIR: join(work, 'plugins'), MCP_SANDBOX_WRITABLE: work });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => {
    gateway.app.get(SessionRegistry).removeAll();
  });

  it('guards the abandoned-session report: an SDK client that closed without DELETE counts as idle, not live', async () => {
    const client = await connect(new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`)));
    await client.listTools();
    // The SDK opens its GET stream after initialization: the session is live while it is open.
    await eventually(async () => (await sessions()).info.live === 1);
    await client.close();
    await eventually(async () => (await sessions()).info.idle === 1);
    expect(await sessions()).toEqual({ sessions: 1, info: expect.objectContaining({ open: 1, live: 0, idle: 1 }) });
    expect(await gauges()).toMatchObject({
      'mcp_sessions_open{streamable-http}': 1,
      'mcp_sessions_live{streamable-http}': 0,
      'mcp_sessions_idle{streamable-http}': 1,
    });
  });

  it('counts an HTTP+SSE session live while its stream is open (its stream is the session)', async () => {
    const client = await connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
    try {
      expect((await sessions()).info).toMatchObject({ open: 1, live: 1, idle: 0 });
      expect(await gauges()).toMatchObject({ 'mcp_sessions_live{sse}': 1, 'mcp_sessions_idle{sse}': 0 });
    } finally {
      await client.close();
    }
  });

  it('counts a session live while a call of it runs, even after its client went away', async () => {
    const client = await connect(new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`)));
    const marker = join(work, 'running.marker');
    const call = client.callTool({ name: 'slow__wait', arguments: { ms: 1500, marker } }).catch((err: unknown) => err);
    await eventually(() => gateway.app.get(SessionRegistry).all().some((s) => s.inFlightCount > 0));
    await client.close();
    await call;
    expect((await sessions()).info).toMatchObject({ open: 1, live: 1, idle: 0 });
    // Disconnection is not cancellation: the call ends on its own, then the session is idle.
    await eventually(async () => (await sessions()).info.idle === 1, 5_000);
    expect(await gauges()).toMatchObject({ 'mcp_sessions_live{streamable-http}': 0, 'mcp_sessions_idle{streamable-http}': 1 });
  });
});
