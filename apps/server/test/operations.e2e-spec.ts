// Pins what operators rely on: Prometheus counters and histograms that move with calls, the
// liveness/readiness probes, JSON log lines with their fields, and request ids reaching plugins.
import { resolve } from 'node:path';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');

async function call(gateway: RunningGateway, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<{ result: Record<string, unknown> }> {
  const res = await fetch(`${gateway.baseUrl}/message`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } }),
  });
  return (await res.json()) as { result: Record<string, unknown> };
}

/** The value of one sample line of the Prometheus text, 0 when absent. */
function sample(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe('operations: metrics, probes, JSON logs', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, LOG_FORMAT: 'json' });
  });
  afterAll(() => gateway.close());

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${gateway.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('moves the call counters and the duration histogram by outcome', async () => {
    const before = await scrape();
    await call(gateway, 'echo_py__echo', { text: 'a' });
    await call(gateway, 'echo_py__echo', { text: 'b' });
    await call(gateway, 'echo_py__echo', { text: { value: 5 } });
    await call(gateway, 'echo_py__fail', { why: 'x' });
    const after = await scrape();
    const delta = (line: string): number => sample(after, line) - sample(before, line);
    expect(delta('mcp_tool_calls_total{tool="echo_py.echo",outcome="ok"}')).toBe(2);
    expect(delta('mcp_tool_calls_total{tool="echo_py.echo",outcome="invalid_arguments"}')).toBe(1);
    expect(delta('mcp_tool_calls_total{tool="echo_py.fail",outcome="plugin_error"}')).toBe(1);
    expect(delta('mcp_tool_call_duration_seconds_count{tool="echo_py.echo"}')).toBe(3);
    expect(delta('mcp_tool_call_duration_seconds_bucket{le="+Inf",tool="echo_py.echo"}')).toBe(3);
    expect(sample(after, 'mcp_executions_in_flight')).toBe(0);
    expect(sample(after, 'mcp_plugin_processes_running')).toBe(0);
    expect(after).toContain('mcp_executions_queued 0');
  });

  it('exposes sessions, plugins, tools, HTTP requests and process metrics with bounded labels', async () => {
    await fetch(`${gateway.baseUrl}/health`);
    await fetch(`${gateway.baseUrl}/no/such/path/${Date.now()}`);
    const text = await scrape();
    expect(sample(text, 'mcp_sessions_open{transport="sse"}')).toBe(0);
    expect(sample(text, 'mcp_plugins_discovered{state="loaded"}')).toBe(3);
    expect(sample(text, 'mcp_plugins_discovered{state="skipped"}')).toBe(2);
    expect(sample(text, 'mcp_tools_registered')).toBe(5);
    expect(sample(text, 'mcp_http_requests_total{route="/health",method="GET",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'mcp_http_requests_total{route="other",method="GET",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).not.toMatch(/session_?id=/i);
  });

  it('answers liveness and readiness', async () => {
    const live = await fetch(`${gateway.baseUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', sessions: 0 });
    const ready = await fetch(`${gateway.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { plugins: { status: 'up' }, pluginsDir: { status: 'up' }, interpreter: { status: 'up' }, lifecycle: { status: 'up' } } });
  });

  it('writes one JSON object per log line with the call fields', async () => {
    await call(gateway, 'echo_py__echo', { text: 'log me' });
    const lines = gateway.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = lines.filter((l) => typeof l['message'] === 'string' && (l['message'] as string).startsWith('Tool completed: echo_py.echo')).pop();
    expect(done).toMatchObject({
      level: 'info',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sessionId: expect.any(String),
      requestId: expect.any(String),
      tool: 'echo_py.echo',
      durationMs: expect.any(Number),
      outcome: 'ok',
    });
    expect(JSON.stringify(lines)).not.toContain('log me');
  });

  it('gives each call a request id in MCP_REQUEST_ID, taken from a traceparent when present', async () => {
    const plain = await call(gateway, 'echo_py__echo', { text: 'x' });
    expect((plain.result['structuredContent'] as { request_id: string }).request_id).toMatch(/^[0-9a-f-]{36}$/);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced = await call(gateway, 'echo_py__echo', { text: 'x' }, { traceparent });
    expect(traced.result['structuredContent']).toMatchObject({ request_id: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent });
  });
});

describe('readiness without a plugins folder', () => {
  it('turns /health/ready to 503 naming the folder, while /health/live stays 200', async () => {
    const gateway = await startGateway({ MCP_PLUGINS_DIR: resolve(__dirname, 'fixtures/no-such-folder') });
    try {
      const ready = await fetch(`${gateway.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'error',
        sessions: 0,
        error: { pluginsDir: { status: 'down', message: expect.stringContaining('MCP_PLUGINS_DIR') } },
      });
      expect((await fetch(`${gateway.baseUrl}/health/live`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
