// Traces with scale-out (MCP_REDIS_URL): an HTTP+SSE session's stream held by instance A, its
// tools/call posted to instance B, which runs it; the answer and the progress go through Redis and
// A writes them to the stream. The call's spans (the production bundle's, to a real OTLP/HTTP
// receiver) are one trace, continuing the caller's traceparent, whichever instance they come from.
import { eventually } from './gateway';
import { OtlpReceiver } from './otlp-receiver';
import { startInstance, startRedis, stepsPluginsFolder } from './scale-out';
import type { Instance, RunningRedis } from './scale-out';
import { SseReader } from './sse-reader';

jest.setTimeout(90_000);

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '10f067aa0ba902b7';

describe('traces across instances sharing a Redis', () => {
  const receiver = new OtlpReceiver();
  let redis: RunningRedis;
  let folder: ReturnType<typeof stepsPluginsFolder>;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    redis = await startRedis();
    folder = stepsPluginsFolder();
    const env = {
      MCP_REDIS_URL: redis.url,
      MCP_PLUGINS_DIR: folder.dir,
      MCP_SANDBOX_WRITABLE: folder.dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
    await receiver.stop();
    folder?.remove();
  });

  it('a call posted to B for a stream on A: answered on A, its spans one trace under the caller, all from B', async () => {
    const { reader } = await SseReader.open(`${a.url}/sse`, { headers: { Accept: 'text/event-stream' } });
    if (reader === undefined) throw new Error('GET /sse did not answer with a stream');
    await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
    const endpoint = reader.events.find((e) => e.event === 'endpoint')?.data as string;
    const sessionId = new URL(endpoint, a.url).searchParams.get('sessionId') as string;

    const call = {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'steps__run', arguments: { count: 2, ms: 20, tag: 'traced' }, _meta: { progressToken: 1, traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } },
    };
    const posted = await fetch(`${b.url}/message?sessionId=${sessionId}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(call) });
    expect(posted.status).toBe(202);
    // Delivered by A: the progress and the answer of the call B ran.
    await reader.waitFor((r) => r.events.some((e) => e.data?.includes('"id":7') === true), 20_000);
    expect(reader.events.filter((e) => e.data?.includes('notifications/progress')).length).toBe(2);
    reader.close();

    let spans = receiver.spans.filter((s) => s.traceId === TRACE_ID);
    await eventually(() => {
      spans = receiver.spans.filter((s) => s.traceId === TRACE_ID);
      const names = ['tools/call steps__run', 'plugin.queue', 'plugin.process steps', 'plugin.result'];
      return names.every((name) => spans.some((s) => s.name === name)) && receiver.spans.some((s) => s.name === 'GET /sse');
    }, 20_000);
    const mcp = spans.find((s) => s.name === 'tools/call steps__run');
    expect(mcp?.parentSpanId).toBe(CALLER_SPAN);
    expect(mcp?.attributes['mcp.session.id']).toBe(sessionId);
    for (const span of spans.filter((s) => s !== mcp)) expect(span.parentSpanId).toBe(mcp?.spanId);
    // One instance ran the call (B, where it was posted): its POST /message span is the link.
    expect(new Set(spans.map((s) => s.instance)).size).toBe(1);
    const post = receiver.spans.find((s) => s.name === 'POST /message' && mcp?.links.some((l) => l.spanId === s.spanId));
    expect(post?.instance).toBe(mcp?.instance);
    const sse = receiver.spans.find((s) => s.name === 'GET /sse');
    expect(sse?.instance).not.toBe(mcp?.instance);
  });
});
