import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseSinkFactory } from './sse-sink.factory';
import type { SseSink } from './sse-sink';

/** A real HTTP server whose one route opens an SSE sink with the factory; the test drives the sink. */
async function serve(factory: SseSinkFactory): Promise<{ server: Server; url: string; sink: Promise<SseSink> }> {
  let resolveSink: (sink: SseSink) => void = () => undefined;
  const sink = new Promise<SseSink>((resolve) => (resolveSink = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) =>
    resolveSink(factory.open(req, res, { 'Mcp-Session-Id': 'abc' })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, sink };
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

describe('SseSink', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('sends the SSE headers at once, writes frames and keepalives at the interval, and ends once', async () => {
    const served = await serve(new SseSinkFactory({ keepaliveMs: 30 }));
    server = served.server;
    const response = await fetch(served.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('mcp-session-id')).toBe('abc');
    const sink = await served.sink;
    const closed = jest.fn();
    sink.onClose(closed);
    sink.write('event: message\ndata: 1\n\n');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const text = await readUntil(reader, (t) => t.split(': keepalive\n\n').length > 2);
    expect(text.startsWith('event: message\ndata: 1\n\n')).toBe(true);
    sink.end();
    sink.end();
    sink.write('lost');
    expect(await readUntil(reader, () => false)).not.toContain('lost');
    expect(sink.closed).toBe(true);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('runs every close handler once when the client goes away, and a late one at once', async () => {
    const served = await serve(new SseSinkFactory({}));
    server = served.server;
    const abort = new AbortController();
    const response = await fetch(served.url, { signal: abort.signal });
    expect(response.status).toBe(200);
    const sink = await served.sink;
    expect(new SseSinkFactory({}).keepaliveMs).toBe(15_000);
    const first = jest.fn();
    const second = jest.fn();
    const gone = new Promise<void>((resolve) => sink.onClose(resolve));
    sink.onClose(first);
    sink.onClose(second);
    abort.abort();
    await gone;
    expect([first.mock.calls.length, second.mock.calls.length]).toEqual([1, 1]);
    const late = jest.fn();
    sink.onClose(late);
    expect(late).toHaveBeenCalledTimes(1);
    sink.write('nothing happens');
    sink.end();
    expect(first).toHaveBeenCalledTimes(1);
  });
});
