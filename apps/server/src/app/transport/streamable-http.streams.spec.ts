import { success } from '@sanctum/protocol';
import { Session } from '@sanctum/sessions';
import { responseModeFor } from './response-mode';
import type { SseSink } from './sse-sink';
import { SessionStreams, sendsPrimingEvent } from './streamable-http.streams';

/** A stand-in for an open SSE response: records what is written and whether it ended. */
function fakeSink(): SseSink & { chunks: string[]; ended: boolean; drop(): void } {
  const handlers: Array<() => void> = [];
  const sink = {
    chunks: [] as string[],
    ended: false,
    closed: false,
    write(chunk: string) {
      if (!sink.closed) sink.chunks.push(chunk);
    },
    end() {
      sink.ended = true;
      sink.drop();
    },
    onClose(handler: () => void) {
      if (sink.closed) handler();
      else handlers.push(handler);
    },
    drop() {
      if (sink.closed) return;
      sink.closed = true;
      for (const h of handlers.splice(0)) h();
    },
  };
  return sink as unknown as SseSink & { chunks: string[]; ended: boolean; drop(): void };
}

const note = (text: string) => ({ jsonrpc: '2.0' as const, method: 'notifications/message', params: { level: 'info', data: text } });

function setup() {
  const session = new Session('s1', 'streamable-http');
  const dropped: unknown[] = [];
  const disposed = jest.fn();
  const streams = new SessionStreams(session, { dropped: (m) => dropped.push(m), disposed });
  return { session, streams, dropped, disposed };
}

describe('SessionStreams', () => {
  it('primes a 2025-11-25 stream with an id and empty data, older ones with retry only', () => {
    const { streams } = setup();
    const latest = fakeSink();
    streams.openStandalone(latest, '2025-11-25');
    expect(latest.chunks).toEqual(['id: g_1\nretry: 1000\ndata: \n\n']);
    latest.drop();
    const older = fakeSink();
    streams.openStandalone(older, '2025-06-18');
    expect(older.chunks).toEqual(['retry: 1000\n\n']);
    expect(sendsPrimingEvent('2025-03-26')).toBe(false);
  });

  it('sends notifications on the GET stream and stores them while it is closed', () => {
    const { session, streams } = setup();
    session.send(note('before any stream'));
    const sink = fakeSink();
    streams.openStandalone(sink, '2025-11-25');
    session.send(note('live'));
    expect(sink.chunks[1]).toBe(`id: g_3\nevent: message\ndata: ${JSON.stringify(note('live'))}\n\n`);
    expect(streams.buffer.size).toBe(2);
  });

  it('routes a message related to a request of an SSE-mode POST onto that POST stream', () => {
    const { session, streams } = setup();
    const get = fakeSink();
    streams.openStandalone(get, '2025-11-25');
    const postSink = fakeSink();
    const post = streams.openPost([7], postSink, '2025-11-25');
    session.send(
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
      { relatedRequestId: 7 },
    );
    session.send(note('unrelated'));
    streams.emitOnPost(post, success(7, {}));
    streams.finishPost(post);
    expect(postSink.chunks.map((c) => c.split('\n')[0])).toEqual(['id: p1_2', 'id: p1_3', 'id: p1_5']);
    expect(postSink.chunks[1]).toContain('notifications/progress');
    expect(postSink.ended).toBe(true);
    expect(get.chunks.at(-1)).toContain('unrelated');
    // Once the POST is finished, a late related notification goes to the GET stream.
    session.send(note('late'), { relatedRequestId: 7 });
    expect(get.chunks.at(-1)).toContain('late');
  });

  it('never puts a response on the standalone stream', () => {
    const { session, streams, dropped } = setup();
    const get = fakeSink();
    streams.openStandalone(get, '2025-11-25');
    session.send(success(3, {}));
    expect(get.chunks).toHaveLength(1);
    expect(dropped).toEqual([success(3, {})]);
  });

  it('resumes a POST stream that lost its client, and ends it with the response', () => {
    const { streams } = setup();
    const first = fakeSink();
    const post = streams.openPost([1], first, '2025-11-25');
    const priming = first.chunks[0].split('\n')[0].slice('id: '.length);
    first.drop();
    streams.emitOnPost(post, note('progress') as never);
    const resumed = fakeSink();
    expect(streams.resume(priming, () => resumed)).toEqual({ streamId: 'p1', replayed: 1, complete: true });
    expect(resumed.chunks[0]).toBe('retry: 1000\n\n');
    expect(resumed.chunks[1]).toContain('progress');
    expect(resumed.ended).toBe(false);
    streams.emitOnPost(post, success(1, { ok: true }));
    streams.finishPost(post);
    expect(resumed.chunks.at(-1)).toContain('"ok":true');
    expect(resumed.ended).toBe(true);
    expect(streams.hasStandaloneStream).toBe(false);
  });

  it('answers undefined (and opens nothing) for an id it never issued', () => {
    const { streams } = setup();
    const open = jest.fn(fakeSink);
    expect(streams.resume('g_5', open)).toBeUndefined();
    expect(open).not.toHaveBeenCalled();
  });

  it('is idle only with no GET stream, no running request, and nothing for the timeout', () => {
    const { streams } = setup();
    const now = Date.now();
    expect(streams.isIdle(now + 1_000, 1_000)).toBe(true);
    expect(streams.isIdle(now + 1_000, 5_000)).toBe(false);
    streams.beginRequest();
    expect(streams.isIdle(now + 10_000, 1_000)).toBe(false);
    streams.endRequest();
    const sink = fakeSink();
    streams.openStandalone(sink, '2025-11-25');
    expect(streams.isIdle(Date.now() + 10_000, 1_000)).toBe(false);
    sink.drop();
    expect(streams.isIdle(Date.now() + 10_000, 1_000)).toBe(true);
  });

  it('ends every stream when the session closes', () => {
    const { session, streams, disposed } = setup();
    const get = fakeSink();
    const post = fakeSink();
    streams.openStandalone(get, '2025-11-25');
    streams.openPost([1], post, '2025-11-25');
    session.close();
    expect(get.ended).toBe(true);
    expect(post.ended).toBe(true);
    expect(disposed).toHaveBeenCalledTimes(1);
    expect(streams.buffer.size).toBe(0);
  });
});

describe('responseModeFor', () => {
  const request = (params?: Record<string, unknown>) => ({ jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params });
  it('answers with JSON by default', () => {
    expect(responseModeFor([request()])).toBe('json');
    expect(responseModeFor([request({ name: 'x', _meta: {} })])).toBe('json');
    expect(responseModeFor([request({ _meta: { progressToken: null } })])).toBe('json');
  });
  it('answers with an SSE stream when a request asks for progress', () => {
    expect(responseModeFor([request(), request({ _meta: { progressToken: 'abc' } })])).toBe('sse');
    expect(responseModeFor([request({ _meta: { progressToken: 3 } })])).toBe('sse');
  });
});
