import { Test } from '@nestjs/testing';
import { success } from '@sanctum/protocol';
import { RecordingLogger, fakeSseStream } from '../testing';
import { Session } from './session';
import { SessionRegistry } from './session-registry';
import { SessionsModule } from './sessions.module';
import { SessionStreams, StreamableHttpStreams, sendsPrimingEvent } from './streamable-http-streams';

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
    const latest = fakeSseStream();
    streams.openStandalone(latest, '2025-11-25');
    expect(latest.chunks).toEqual(['id: g_1\nretry: 1000\ndata: \n\n']);
    latest.drop();
    const older = fakeSseStream();
    streams.openStandalone(older, '2025-06-18');
    expect(older.chunks).toEqual(['retry: 1000\n\n']);
    expect(sendsPrimingEvent('2025-03-26')).toBe(false);
  });

  it('sends notifications on the GET stream and stores them while it is closed', () => {
    const { session, streams } = setup();
    session.send(note('before any stream'));
    const sink = fakeSseStream();
    streams.openStandalone(sink, '2025-11-25');
    session.send(note('live'));
    expect(sink.chunks[1]).toBe(`id: g_3\nevent: message\ndata: ${JSON.stringify(note('live'))}\n\n`);
    expect(streams.buffer.size).toBe(2);
  });

  it('routes a message related to a request of an SSE-mode POST onto that POST stream', () => {
    const { session, streams } = setup();
    const get = fakeSseStream();
    streams.openStandalone(get, '2025-11-25');
    const postSink = fakeSseStream();
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
    const get = fakeSseStream();
    streams.openStandalone(get, '2025-11-25');
    session.send(success(3, {}));
    expect(get.chunks).toHaveLength(1);
    expect(dropped).toEqual([success(3, {})]);
  });

  it('resumes a POST stream that lost its client, and ends it with the response', async () => {
    const { streams } = setup();
    const first = fakeSseStream();
    const post = streams.openPost([1], first, '2025-11-25');
    const priming = first.chunks[0].split('\n')[0].slice('id: '.length);
    first.drop();
    streams.emitOnPost(post, note('progress') as never);
    const resumed = fakeSseStream();
    await expect(streams.resume(priming, () => resumed)).resolves.toEqual({ streamId: 'p1', replayed: 1, complete: true });
    expect(resumed.chunks[0]).toBe('retry: 1000\n\n');
    expect(resumed.chunks[1]).toContain('progress');
    expect(resumed.ended).toBe(false);
    streams.emitOnPost(post, success(1, { ok: true }));
    streams.finishPost(post);
    expect(resumed.chunks.at(-1)).toContain('"ok":true');
    expect(resumed.ended).toBe(true);
    expect(streams.hasStandaloneStream).toBe(false);
  });

  it('answers undefined (and opens nothing) for an id it never issued', async () => {
    const { streams } = setup();
    const open = jest.fn(fakeSseStream);
    await expect(streams.resume('g_5', open)).resolves.toBeUndefined();
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
    const sink = fakeSseStream();
    streams.openStandalone(sink, '2025-11-25');
    expect(streams.isIdle(Date.now() + 10_000, 1_000)).toBe(false);
    sink.drop();
    expect(streams.isIdle(Date.now() + 10_000, 1_000)).toBe(true);
  });

  it('is idle since its last activity only with no stream connected and no request or call running', () => {
    const { session, streams } = setup();
    streams.lastActivity = 1_234;
    expect(streams.idleSince()).toBe(1_234);
    streams.beginRequest();
    expect(streams.idleSince()).toBeUndefined();
    streams.endRequest();
    session.track(5);
    expect(streams.idleSince()).toBeUndefined();
    session.untrack(5);
    const get = fakeSseStream();
    streams.openStandalone(get, '2025-11-25');
    expect(streams.idleSince()).toBeUndefined();
    get.drop();
    const postSink = fakeSseStream();
    const post = streams.openPost([6], postSink, '2025-11-25');
    expect(streams.idleSince()).toBeUndefined();
    postSink.drop();
    expect(streams.idleSince()).toBe(streams.lastActivity);
    streams.finishPost(post);
    session.close();
    expect(streams.idleSince()).toBeUndefined();
  });

  it('ends every stream when the session closes', () => {
    const { session, streams, disposed } = setup();
    const get = fakeSseStream();
    const post = fakeSseStream();
    streams.openStandalone(get, '2025-11-25');
    streams.openPost([1], post, '2025-11-25');
    session.close();
    expect(get.ended).toBe(true);
    expect(post.ended).toBe(true);
    expect(disposed).toHaveBeenCalledTimes(1);
    expect(streams.buffer.size).toBe(0);
  });
});

describe('StreamableHttpStreams', () => {
  const IDLE_MS = 1_000;

  async function setupService(idleTimeoutMs = IDLE_MS, maxSessionsPerKey = 10) {
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRoot({ maxSessions: 10, maxSessionsPerKey, idleTimeoutMs, logger })],
    }).compile();
    const registry = moduleRef.get(SessionRegistry);
    const service = moduleRef.get(StreamableHttpStreams);
    const start = async () => {
      const admission = await registry.open('streamable-http', 'alice');
      if (!admission.ok) throw new Error('not opened');
      registry.started(admission.session);
      return { session: admission.session, streams: service.attach(admission.session) };
    };
    return { moduleRef, registry, service, logger, start };
  }

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reaps an idle session, ending it through the registry with the idle note, and only once', async () => {
    const { registry, service, logger, start } = await setupService();
    const { session, streams } = await start();
    const busy = await start();
    busy.streams.beginRequest();
    const now = Date.now() + IDLE_MS;
    expect(service.reapIdle(now)).toEqual([session.id]);
    expect(service.reapIdle(now)).toEqual([]);
    expect(session.closed).toBe(true);
    expect(registry.get(session.id)).toBeUndefined();
    expect(service.get(session.id)).toBeUndefined();
    expect(streams.buffer.size).toBe(0);
    expect(registry.get(busy.session.id)).toBe(busy.session);
    expect(logger.messages().filter((m) => m.startsWith('Session ended'))).toEqual([
      `Session ended: ${session.id} (idle: no request or open stream for 1 s)`,
    ]);
  });

  it('keeps a session whose GET stream is open, and reaps it once the stream closed and the timeout passed again', async () => {
    const { service, start } = await setupService();
    const { session, streams } = await start();
    const sink = fakeSseStream();
    streams.openStandalone(sink, '2025-11-25');
    expect(service.reapIdle(Date.now() + 10 * IDLE_MS)).toEqual([]);
    sink.drop();
    expect(service.reapIdle(Date.now() + IDLE_MS - 100)).toEqual([]);
    expect(service.reapIdle(Date.now() + IDLE_MS)).toEqual([session.id]);
  });

  it('lets a key at its cap evict its longest-idle session long before the reaper would', async () => {
    const { registry, service, logger, start } = await setupService(30 * 60_000, 2);
    const older = await start();
    const newer = await start();
    older.streams.lastActivity = Date.now() - 2_000;
    newer.streams.lastActivity = Date.now() - 1_000;
    const third = await registry.open('streamable-http', 'alice');
    expect(third.ok).toBe(true);
    expect(registry.get(older.session.id)).toBeUndefined();
    expect(service.get(older.session.id)).toBeUndefined();
    expect(registry.get(newer.session.id)).toBe(newer.session);
    expect(logger.messages().filter((m) => m.startsWith('Session ended'))).toEqual([
      `Session ended: ${older.session.id} (evicted: MCP_MAX_SESSIONS_PER_KEY reached)`,
    ]);
  });

  it('refuses a key at its cap whose sessions all stream or run a request', async () => {
    const { registry, logger, start } = await setupService(30 * 60_000, 2);
    const streaming = await start();
    const busy = await start();
    streaming.streams.openStandalone(fakeSseStream(), '2025-11-25');
    busy.streams.beginRequest();
    const refused = await registry.open('streamable-http', 'alice');
    expect(refused.ok || refused.refusal.cap).toBe('per-key');
    expect(registry.count()).toBe(2);
    expect(logger.messages().filter((m) => m.startsWith('Session ended'))).toEqual([]);
  });

  it('guards the abandoned-session report: counts a session live only while a connection of its client is open or a call runs', async () => {
    const { registry, start } = await setupService(30 * 60_000);
    const counts = (): { live: number; idle: number } => {
      const { live, idle } = registry.countByActivity();
      return { live: live['streamable-http'], idle: idle['streamable-http'] };
    };
    registry.create('stdio');
    const sse = await registry.open('sse', 'alice');
    if (!sse.ok) throw new Error('not opened');
    const { session, streams } = await start();
    // A client that initialized and left without DELETE (the SDK's close() sends none).
    expect(counts()).toEqual({ live: 0, idle: 1 });
    expect(registry.countByActivity()).toMatchObject({ live: { sse: 1, stdio: 1 }, idle: { sse: 0, stdio: 0 } });

    const get = fakeSseStream();
    streams.openStandalone(get, '2025-11-25');
    expect(counts()).toEqual({ live: 1, idle: 0 });
    get.drop();
    expect(counts()).toEqual({ live: 0, idle: 1 });

    streams.beginRequest(); // a POST in progress (JSON answer)
    expect(counts()).toEqual({ live: 1, idle: 0 });
    streams.endRequest();

    const postSink = fakeSseStream();
    const post = streams.openPost([3], postSink, '2025-11-25');
    expect(counts()).toEqual({ live: 1, idle: 0 });
    postSink.drop();
    session.track(3); // its client went away, its call runs on (disconnection is not cancellation)
    expect(counts()).toEqual({ live: 1, idle: 0 });
    session.untrack(3);
    streams.finishPost(post);
    expect(counts()).toEqual({ live: 0, idle: 1 });

    registry.remove(session.id);
    expect(counts()).toEqual({ live: 0, idle: 0 });
  });

  it('runs the reaper on a timer from init, and not at all with a timeout of 0', async () => {
    jest.useFakeTimers();
    const on = await setupService();
    await on.moduleRef.init();
    const { session } = await on.start();
    jest.advanceTimersByTime(IDLE_MS + 250);
    expect(on.registry.get(session.id)).toBeUndefined();
    await on.moduleRef.close();
    expect(jest.getTimerCount()).toBe(0);

    const off = await setupService(0);
    await off.moduleRef.init();
    const kept = await off.start();
    expect(jest.getTimerCount()).toBe(0);
    expect(off.service.reapIdle(Date.now() + 10 * 24 * 3600 * 1000)).toEqual([]);
    expect(off.registry.get(kept.session.id)).toBe(kept.session);
  });

  it('ends its sessions when the module is destroyed, noting the shutdown, and ends their streams', async () => {
    const { moduleRef, registry, logger, start } = await setupService(0);
    const { session, streams } = await start();
    const sink = fakeSseStream();
    streams.openStandalone(sink, '2025-11-25');
    const other = registry.create('sse');
    await moduleRef.close();
    expect(session.closed).toBe(true);
    expect(sink.ended).toBe(true);
    expect(registry.get(other.id)).toBe(other);
    expect(logger.messages()).toContain(`Session ended: ${session.id} (server shutting down)`);
  });

  it('forgets the streams of a session ended elsewhere (DELETE, shutdown drain)', async () => {
    const { registry, service, start } = await setupService();
    const { session } = await start();
    registry.remove(session.id);
    expect(service.get(session.id)).toBeUndefined();
  });

  it('logs a response that had no stream to go on at debug', async () => {
    const { service, logger, start } = await setupService();
    const { session } = await start();
    expect(service.get(session.id)).toBeDefined();
    session.send(success(9, {}));
    expect(logger.messages('debug')).toEqual([`Session ${session.id}: a response to 9 had no stream to go on; dropped.`]);
  });
});
