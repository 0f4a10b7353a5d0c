import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RecordingLogger } from '../testing';
import { InMemorySessionRegistry } from './in-memory-session-registry';
import { SessionLimits } from './session-limits';
import { SessionRegistry } from './session-registry';
import { SESSIONS_LOGGER, SESSIONS_OPTIONS } from './sessions.constants';
import { SessionsModule } from './sessions.module';
import { SseSinkFactory } from './sse-sink.factory';
import { StreamableHttpStreams } from './streamable-http-streams';

/** Another implementation behind the token, as a shared (Redis) registry would be. */
@Injectable()
class CountingRegistry extends InMemorySessionRegistry {}

const options = { maxSessions: 7, maxSessionsPerKey: 3, idleTimeoutMs: 60_000, keepaliveMs: 5_000 };

describe('SessionsModule', () => {
  it('forRoot provides the registry (in memory), the caps, the stream bookkeeping and the SSE sink factory from its options', async () => {
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [SessionsModule.forRoot({ ...options, logger })] }).compile();
    expect(moduleRef.get(SessionRegistry)).toBeInstanceOf(InMemorySessionRegistry);
    expect(moduleRef.get(SessionLimits)).toMatchObject({ maxSessions: 7, maxSessionsPerKey: 3 });
    expect(moduleRef.get(StreamableHttpStreams).idleTimeoutMs).toBe(60_000);
    expect(moduleRef.get(SseSinkFactory).keepaliveMs).toBe(5_000);
    expect(moduleRef.get(SESSIONS_LOGGER)).toBe(logger);
  });

  it('exports them to the module that imports it', async () => {
    @Injectable()
    class Consumer {
      constructor(
        readonly registry: SessionRegistry,
        readonly streams: StreamableHttpStreams,
        readonly limits: SessionLimits,
        readonly sinks: SseSinkFactory,
      ) {}
    }
    @Module({ imports: [SessionsModule.forRoot(options)], providers: [Consumer] })
    class AppLike {}
    const moduleRef = await Test.createTestingModule({ imports: [AppLike] }).compile();
    const consumer = moduleRef.get(Consumer);
    expect(consumer.registry).toBe(moduleRef.get(SessionRegistry));
    expect(consumer.streams).toBeInstanceOf(StreamableHttpStreams);
    expect(consumer.limits.maxSessions).toBe(7);
    expect(consumer.sinks.keepaliveMs).toBe(5_000);
  });

  it("uses Nest's Logger without a logger, and the 15 s keepalive without an interval", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRoot({ maxSessions: 1, maxSessionsPerKey: 1, idleTimeoutMs: 0 })],
    }).compile();
    expect(moduleRef.get(SESSIONS_LOGGER)).toBeInstanceOf(Logger);
    expect(moduleRef.get(SseSinkFactory).keepaliveMs).toBe(15_000);
  });

  it('puts the registry given as `registry` behind the token, and keeps it out of the options', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRoot({ ...options, registry: CountingRegistry })],
    }).compile();
    expect(moduleRef.get(SessionRegistry)).toBeInstanceOf(CountingRegistry);
    expect(moduleRef.get(SESSIONS_OPTIONS)).not.toHaveProperty('registry');
  });

  it('forRootAsync takes its options from a factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRootAsync({ useFactory: async () => ({ ...options, maxSessions: 2 }) })],
    }).compile();
    const registry = moduleRef.get(SessionRegistry);
    expect((await registry.open('sse', 'anonymous')).ok).toBe(true);
    expect((await registry.open('sse', 'anonymous')).ok).toBe(true);
    expect((await registry.open('sse', 'anonymous')).ok).toBe(false);
  });
});
