// Pins plugin progress and log lines: stderr JSON lines become notifications/progress (only for a
// request with a progressToken, never decreasing) and notifications/message (filtered by the
// session's logging/setLevel), over both HTTP transports, with the official SDK client.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage, LoggingMessageNotification, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const NOTIFY = resolve(__dirname, 'fixtures/notify');

describe.each([
  ['HTTP+SSE', (base: string) => new SSEClientTransport(new URL(`${base}/sse`))],
  ['Streamable HTTP', (base: string) => new StreamableHTTPClientTransport(new URL(`${base}/mcp`))],
])('plugin notifications over %s', (_name, transport) => {
  let gateway: RunningGateway;
  let client: Client;
  const logs: LoggingMessageNotification['params'][] = [];
  /** Every message the server sent, in wire order (the SDK dispatches notifications a tick late). */
  const wire: JSONRPCMessage[] = [];

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: NOTIFY });
    client = new Client({ name: 'notify-e2e', version: '1.0.0' });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params);
    });
    const t: Transport = transport(gateway.baseUrl);
    await client.connect(t);
    const deliver = t.onmessage;
    t.onmessage = (message, extra) => {
      wire.push(message);
      deliver?.(message, extra);
    };
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('declares the logging capability', () => {
    expect(client.getServerCapabilities()?.logging).toEqual({});
  });

  it('relays progress in order, dropping a decreasing value, and logs at or above the level', async () => {
    await client.setLoggingLevel('info');
    const progress: Progress[] = [];
    const result = await client.callTool({ name: 'reporter__work', arguments: { steps: 4 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(result.structuredContent).toEqual({ steps: 4 });
    // On the wire: four increasing progress notifications, all before the response.
    const responseAt = wire.findIndex((m) => 'result' in m && JSON.stringify(m).includes('"steps":4'));
    const sent = wire
      .slice(0, responseAt)
      .filter((m): m is Extract<JSONRPCMessage, { method: string }> => 'method' in m && m.method === 'notifications/progress')
      .map((m) => m.params as unknown as Progress);
    expect(sent.map((p) => [p.progress, p.total, p.message])).toEqual([
      [1, 4, 'step 1'],
      [2, 4, 'step 2'],
      [3, 4, 'step 3'],
      [4, 4, 'step 4'],
    ]);
    // The SDK client hands them to onprogress in order; it drops one that it dispatches after the
    // response has already resolved the call, so it may see a prefix.
    expect(sent.slice(0, progress.length).map((p) => p.progress)).toEqual(progress.map((p) => p.progress));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(logs.map((l) => [l.level, l.logger, l.data])).toEqual([
      ['info', 'reporter', 'starting'],
      ['warning', 'reporter', 'almost done'],
    ]);
  });

  it('follows logging/setLevel', async () => {
    logs.length = 0;
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'reporter__work', arguments: { steps: 1 } });
    expect(logs.map((l) => l.level)).toEqual(['warning']);
    logs.length = 0;
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'reporter__work', arguments: { steps: 1 } });
    expect(logs.map((l) => l.level)).toEqual(['debug', 'info', 'warning']);
  });

  it('refuses an unknown level with -32602', async () => {
    await expect(client.request({ method: 'logging/setLevel', params: { level: 'loud' } }, LoggingMessageNotificationSchema.shape.params)).rejects.toMatchObject({ code: -32602 });
  });
});
