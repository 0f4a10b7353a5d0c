import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { RecordingLogger } from '../testing';
import { SseSinkFactory } from './sse-sink.factory';
import type { StreamOverflow } from './sse-sink.factory';
import { SseSink } from './sse-sink';

const owner = { sessionId: 'abc', transport: 'sse' } as const;

/** A real HTTP server whose one route opens an SSE sink with the factory; the test drives the sink. */
async function serve(factory: SseSinkFactory): Promise<{ server: Server; url: string; sink: Promise<SseSink> }> {
  let resolveSink: (sink: SseSink) => void = () => undefined;
  const sink = new Promise<SseSink>((resolve) => (resolveSink = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) =>
    resolveSink(factory.open(req, res, owner, { 'Mcp-Session-Id': 'abc' })),
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
    const served = await serve(new SseSinkFactory({ keepaliveMs: 30 }, new RecordingLogger()));
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
    const served = await serve(new SseSinkFactory({}, new RecordingLogger()));
    server = served.server;
    const abort = new AbortController();
    const response = await fetch(served.url, { signal: abort.signal });
    expect(response.status).toBe(200);
    const sink = await served.sink;
    expect(new SseSinkFactory({}, new RecordingLogger()).keepaliveMs).toBe(15_000);
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

/**
 * A response whose client does not read: every write stays unsent (Node's `writableLength` grows by
 * it) until the test lets `sent` bytes go, as the connection would. `destroy()` closes it as Node does.
 */
class UnreadResponse extends EventEmitter {
  readonly chunks: string[] = [];
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  socket: Socket | null = null;

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    this.writableLength += Buffer.byteLength(chunk);
    return false;
  }

  sent(bytes: number): void {
    this.writableLength = Math.max(0, this.writableLength - bytes);
  }

  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }

  destroy(): void {
    this.destroyed = true;
    this.writableLength = 0;
    process.nextTick(() => this.emit('close'));
  }
}

function unreadSink(maxUnsentBytes: number, res = new UnreadResponse()): { sink: SseSink; res: UnreadResponse; overflows: number[] } {
  const overflows: number[] = [];
  const sink = new SseSink(res as unknown as ServerResponse, {
    keepaliveMs: 60_000,
    maxUnsentBytes,
    onOverflow: (unsent) => overflows.push(unsent),
  });
  return { sink, res, overflows };
}

/** Let the current run of writes end, as a message arriving later would. */
const later = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SseSink back-pressure', () => {
  it('writes while the unsent bytes stay within the bound, however large one message is', async () => {
    const { sink, res, overflows } = unreadSink(100);
    sink.write('x'.repeat(60));
    await later();
    sink.write('y'.repeat(500)); // 60 unsent when written: within the bound
    res.sent(560);
    await later();
    sink.write('z'.repeat(100));
    await later();
    sink.write('w');
    expect(res.chunks.map((c) => c.length)).toEqual([60, 500, 100, 1]);
    expect(sink.closed).toBe(false);
    expect(res.destroyed).toBe(false);
    expect(overflows).toEqual([]);
  });

  it('past the bound destroys the response, closes the stream and signals the overflow once with the bytes unsent', async () => {
    const { sink, res, overflows } = unreadSink(100);
    const closed = jest.fn();
    sink.onClose(closed);
    sink.write('x'.repeat(80));
    await later();
    sink.write('y'.repeat(80));
    await later();
    expect(res.destroyed).toBe(false);
    sink.write('lost');
    expect(res.destroyed).toBe(true);
    expect(sink.closed).toBe(true);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(overflows).toEqual([160]);
    sink.write('lost too');
    sink.keepalive();
    sink.end();
    expect(res.chunks.join('')).not.toContain('lost');
    expect(overflows).toEqual([160]);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('writes one run whole (a replay), and checks again at the next run', async () => {
    const { sink, res, overflows } = unreadSink(100);
    for (let n = 0; n < 10; n++) sink.write('r'.repeat(50));
    expect(res.writableLength).toBe(500);
    expect(overflows).toEqual([]);
    await Promise.resolve(); // the next microtask starts a new run
    sink.write('live');
    expect(overflows).toEqual([500]);
    expect(res.chunks).toHaveLength(10);
  });

  it('counts keepalives: an idle stream over the bound ends at its next keepalive', async () => {
    const { sink, res, overflows } = unreadSink(10);
    sink.write('x'.repeat(11));
    await later();
    sink.keepalive();
    expect(res.destroyed).toBe(true);
    expect(overflows).toEqual([11]);
  });

  it('the factory logs the overflow naming the session and the bound, and publishes it once', async () => {
    const logger = new RecordingLogger();
    const factory = new SseSinkFactory({ maxUnsentBytes: 64 }, logger);
    expect(factory.maxUnsentBytes).toBe(64);
    expect(new SseSinkFactory({}, logger).maxUnsentBytes).toBe(4 * 1024 * 1024);
    const seen: StreamOverflow[] = [];
    factory.overflows.subscribe((overflow) => seen.push(overflow));
    const res = new UnreadResponse();
    const req = { socket: { setNoDelay: () => undefined, setTimeout: () => undefined } };
    Object.assign(res, { statusCode: 0, setHeader: () => undefined, flushHeaders: () => undefined });
    const sink = factory.open(req as unknown as IncomingMessage, res as unknown as ServerResponse, {
      sessionId: 's-1',
      transport: 'streamable-http',
    });
    sink.write('x'.repeat(65));
    await later();
    sink.write('y');
    sink.write('z');
    expect(seen).toEqual([{ sessionId: 's-1', transport: 'streamable-http', unsentBytes: 65, maxUnsentBytes: 64 }]);
    expect(logger.messages('warn')).toEqual(['Stream of session s-1 closed: 65 bytes unsent (MCP_MAX_UNSENT_BYTES=64)']);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(logger.messages('warn')).toHaveLength(1);
  });

  it('over a real connection that is not read, ends the stream once Node holds more than the bound', async () => {
    const logger = new RecordingLogger();
    const factory = new SseSinkFactory({ maxUnsentBytes: 256 * 1024 }, logger);
    const served = await serve(factory);
    const url = new URL(served.url);
    const client = connect(Number(url.port), url.hostname);
    client.pause(); // never reads: the kernel's buffers fill, then Node's
    client.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    const sink = await served.sink;
    const frame = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    let writes = 0;
    while (!sink.closed && writes < 2_000) {
      sink.write(frame);
      writes++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sink.closed).toBe(true);
    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(/^Stream of session abc closed: \d+ bytes unsent \(MCP_MAX_UNSENT_BYTES=262144\)$/),
    ]);
    client.destroy();
    served.server.closeAllConnections();
    await new Promise((resolve) => served.server.close(resolve));
  });

  it('ends the stream at once when the client half-closes its connection (FIN), and forgets the socket', async () => {
    const socket = new EventEmitter() as EventEmitter & { readableEnded: boolean };
    socket.readableEnded = false;
    const res = new UnreadResponse();
    res.socket = socket as unknown as Socket;
    const { sink } = unreadSink(100, res);
    const closed = jest.fn();
    sink.onClose(closed);
    expect(socket.listenerCount('end')).toBe(1);
    socket.emit('end');
    expect(res.destroyed).toBe(true);
    expect(sink.closed).toBe(true);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(socket.listenerCount('end')).toBe(0);
  });

  it('leaves a kept-alive connection without its listener once the stream ended', () => {
    const socket = new EventEmitter() as EventEmitter & { readableEnded: boolean };
    socket.readableEnded = false;
    const res = new UnreadResponse();
    res.socket = socket as unknown as Socket;
    const { sink } = unreadSink(100, res);
    sink.end();
    expect(socket.listenerCount('end')).toBe(0);
    expect(res.destroyed).toBe(false);
  });
});
