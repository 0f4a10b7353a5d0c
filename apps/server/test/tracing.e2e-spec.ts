// OpenTelemetry traces (docs/monitoring.md#traces), received by a real OTLP/HTTP receiver this spec
// starts: a tools/call over each transport gives the transport's span, the MCP server span named
// and attributed as the semantic conventions for MCP say (its parent the `traceparent` of
// `params._meta`, the transport's span a link), the tool call's children (queue, plugin process,
// result mapping) and the plugin's own span, sent by a plugin made from the `init` template.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { initPlugin } from '../src/cli/init';
import { GatewayTracing } from '../src/app/tracing/gateway-tracing';
import { serveStdio } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import { OtlpReceiver } from './otlp-receiver';
import type { ReceivedSpan } from './otlp-receiver';
import type { RunningGateway } from './gateway';

jest.setTimeout(60_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

/** Variables the exporter and the plugin's template read from the process (the gateway's environment). */
const PROCESS_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY'] as const;

describe('OpenTelemetry traces to an OTLP/HTTP receiver', () => {
  const receiver = new OtlpReceiver();
  let gateway: RunningGateway;
  let workDir: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const endpoint = await receiver.start();
    for (const name of PROCESS_ENV) saved[name] = process.env[name];
    // Plugins get the endpoint from the gateway's own environment (the child allow-list).
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '50';
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-tracing-'));
    initPlugin('traced', workDir);
    gateway = await startGateway({
      MCP_PLUGINS_DIR: workDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await receiver.stop();
    for (const name of PROCESS_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The spans of one tools/call under TRACEPARENT once all (the plugin's included) arrived. */
  async function spansOfCall(check: (mcp: ReceivedSpan) => boolean): Promise<{ mcp: ReceivedSpan; all: ReceivedSpan[] }> {
    let mcp: ReceivedSpan | undefined;
    await eventually(() => {
      mcp = receiver.spans.find((s) => s.name === 'tools/call traced__add' && check(s));
      if (!mcp) return false;
      const id = mcp.spanId;
      const children = receiver.spans.filter((s) => s.parentSpanId === id).map((s) => s.name);
      return ['plugin.queue', 'plugin.process traced', 'plugin.result', 'traced add'].every((name) => children.includes(name));
    }, 15_000);
    return { mcp: mcp as ReceivedSpan, all: receiver.spans };
  }

  function expectToolCallTrace(mcp: ReceivedSpan, all: ReceivedSpan[], transportSpan: string, sessionId: string | undefined): void {
    // The caller's context from params._meta is the parent; the transport's span is a link.
    expect(mcp.traceId).toBe(TRACE_ID);
    expect(mcp.parentSpanId).toBe(CALLER_SPAN);
    expect(mcp.kind).toBe(2); // SPAN_KIND_SERVER
    expect(mcp.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'traced__add', 'gen_ai.operation.name': 'execute_tool' });
    if (sessionId) expect(mcp.attributes['mcp.session.id']).toBe(sessionId);
    expect(mcp.attributes['jsonrpc.request.id']).toEqual(expect.any(String));
    const transport = all.find((s) => s.name === transportSpan && mcp.links.some((l) => l.spanId === s.spanId));
    expect(transport).toBeDefined();

    const children = all.filter((s) => s.parentSpanId === mcp.spanId);
    const process = children.find((s) => s.name === 'plugin.process traced');
    expect(process?.attributes).toMatchObject({ 'process.exit.code': 0, 'process.executable.name': 'cli.py', 'sanctum.plugin.name': 'traced' });
    expect(process?.attributes['process.pid']).toEqual(expect.any(Number));
    expect(['fork', 'spawn']).toContain(process?.attributes['sanctum.plugin.launch']);
    expect(children.find((s) => s.name === 'plugin.result')?.attributes['sanctum.tool.outcome']).toBe('ok');
    // The plugin's own span (report_span of the template), under TRACEPARENT the gateway gave it.
    const own = children.find((s) => s.name === 'traced add');
    expect(own).toMatchObject({ service: 'traced', traceId: TRACE_ID });
    for (const span of [mcp, ...children]) expect(span.traceId).toBe(TRACE_ID);
  }

  it('Streamable HTTP: POST /mcp span, tools/call continued from _meta.traceparent, queue, process and the plugin span', async () => {
    const client = new Client({ name: 'tracing-spec', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`));
    await client.connect(transport);
    const result = await client.callTool({ name: 'traced__add', arguments: { a: 2, b: 3 }, _meta: { traceparent: TRACEPARENT } });
    expect(result.isError).toBeFalsy();
    const { mcp, all } = await spansOfCall((s) => s.attributes['mcp.session.id'] === transport.sessionId);
    expectToolCallTrace(mcp, all, 'POST /mcp', transport.sessionId);
    const http = all.find((s) => mcp.links.some((l) => l.spanId === s.spanId));
    expect(http?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/mcp', 'http.response.status_code': 200 });
    await client.close();
  });

  it('HTTP+SSE: the POST /message span links the tools/call span, which the SSE stream answers', async () => {
    const client = new Client({ name: 'tracing-spec', version: '1.0.0' });
    const transport = new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`));
    await client.connect(transport);
    await client.callTool({ name: 'traced__add', arguments: { a: 4, b: 5 }, _meta: { traceparent: TRACEPARENT } });
    const viaMessage = (s: ReceivedSpan): boolean => receiver.spans.some((t) => t.name === 'POST /message' && s.links.some((l) => l.spanId === t.spanId));
    const { mcp, all } = await spansOfCall(viaMessage);
    expectToolCallTrace(mcp, all, 'POST /message', undefined);
    expect(mcp.attributes['mcp.session.id']).toEqual(expect.any(String));
    await client.close();
  });

  it('stdio: a span per message line, the same tools/call spans', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const server = serveStdio(gateway.app, input, output);
    const lines: string[] = [];
    output.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    const call = { jsonrpc: '2.0', id: 'stdio-1', method: 'tools/call', params: { name: 'traced__add', arguments: { a: 1, b: 1 }, _meta: { traceparent: TRACEPARENT } } };
    input.write(`${JSON.stringify(call)}\n`);
    await eventually(() => lines.join('').includes('"id":"stdio-1"'), 15_000);
    const { mcp, all } = await spansOfCall((s) => s.attributes['jsonrpc.request.id'] === '"stdio-1"');
    expectToolCallTrace(mcp, all, 'stdio message', undefined);
    expect(mcp.attributes['network.transport']).toBe('pipe');
    input.end();
    await server.finished;
  });

  it('continues a traceparent header when _meta has none: the MCP span is a child of the HTTP span', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const response = await fetch(`${gateway.baseUrl}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'header', method: 'tools/call', params: { name: 'traced.add', arguments: { a: 1, b: 2 } } }),
    });
    expect(response.status).toBe(200);
    let http: ReceivedSpan | undefined;
    let mcp: ReceivedSpan | undefined;
    await eventually(() => {
      http = receiver.spans.find((s) => s.traceId === traceId && s.name === 'POST /message');
      mcp = receiver.spans.find((s) => s.traceId === traceId && s.name === 'tools/call traced.add');
      return http !== undefined && mcp !== undefined;
    }, 15_000);
    expect(http?.parentSpanId).toBe('b7ad6b7169203331');
    expect(mcp?.parentSpanId).toBe(http?.spanId);
    expect(mcp?.links).toEqual([]);
  });

  it('marks a failed call: error.type and status on the MCP span, the JSON-RPC code for a protocol error', async () => {
    const response = await fetch(`${gateway.baseUrl}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'missing', method: 'tools/call', params: { name: 'no_such_tool', arguments: {}, _meta: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` } } }),
    });
    expect(response.status).toBe(200);
    let mcp: ReceivedSpan | undefined;
    await eventually(() => (mcp = receiver.spans.find((s) => s.traceId === '1'.repeat(32))) !== undefined, 15_000);
    expect(mcp?.attributes).toMatchObject({ 'error.type': '-32602', 'rpc.response.status_code': '-32602' });
    expect(mcp?.status.code).toBe(2); // STATUS_CODE_ERROR
  });
});

describe('OpenTelemetry traces: protocol and off', () => {
  it('exports http/protobuf by default (the OTLP default), to the endpoint with /v1/traces', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    const gateway = await startGateway({ MCP_PLUGINS_DIR: join(__dirname, '../../../mcp/plugins'), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    try {
      const traceId = 'abcdef0123456789abcdef0123456789';
      await fetch(`${gateway.baseUrl}/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-0123456789abcdef-01` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      await gateway.close();
      // Closing the application flushes the batch: the trace id's 16 bytes are in a protobuf request.
      const proto = receiver.requests.filter((r) => r.path === '/v1/traces' && r.contentType === 'application/x-protobuf');
      expect(proto.some((r) => r.body.includes(Buffer.from(traceId, 'hex')))).toBe(true);
    } finally {
      await receiver.stop();
    }
  });

  it('sends nothing with OTEL_SDK_DISABLED, and hands the plugin the caller context unchanged', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    const gateway = await startGateway({ MCP_PLUGINS_DIR: join(__dirname, 'fixtures/plugins'), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' });
    try {
      expect(gateway.app.get(GatewayTracing).enabled).toBe(false);
      const response = await fetch(`${gateway.baseUrl}/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'echo_py__echo', arguments: { text: 'x' }, _meta: { traceparent: TRACEPARENT, tracestate: 'rojo=1' } },
        }),
      });
      const body = (await response.json()) as { result: { structuredContent: Record<string, unknown> } };
      expect(body.result.structuredContent).toMatchObject({ traceparent: TRACEPARENT });
    } finally {
      await gateway.close();
      await receiver.stop();
    }
    expect(receiver.requests).toEqual([]);
  });
});
