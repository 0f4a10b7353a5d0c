import { Inject, Injectable, Logger, Module, Optional } from '@nestjs/common';
import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { SessionBus } from './redis/session-bus';
import { SessionLimits } from './session-limits';
import { SessionRegistry } from './session-registry';
import { SESSIONS_LOGGER, SESSIONS_OPTIONS } from './sessions.constants';
import { ConfigurableModuleClass } from './sessions.module-definition';
import type { SessionsModuleOptions } from './sessions.module-definition';
import { SseSinkFactory } from './sse-sink.factory';
import { StreamableHttpStreams } from './streamable-http-streams';

export function sessionsLogger(options: Pick<SessionsModuleOptions, 'logger'>): LoggerService {
  return options.logger ?? new Logger();
}

/** The link to the shared store, connected before anything uses it; null without `redis`. */
export async function sessionBus(options: Pick<SessionsModuleOptions, 'redis'>, logger: LoggerService): Promise<SessionBus | null> {
  if (options.redis === undefined) return null;
  const bus = new SessionBus(options.redis, logger);
  try {
    await bus.connect();
  } catch (err) {
    throw new SessionStoreUnreachable(options.redis.url, (err as Error).message);
  }
  return bus;
}

/** Redis could not be reached at start (the gateway does not start without its shared store). */
export class SessionStoreUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    // Not the URL: it may hold a password (the app names the variable, with the password masked).
    super(`the shared session store cannot be reached: ${detail}`);
    this.name = 'SessionStoreUnreachable';
  }
}

/** Ends the shared store's link last (after the sessions and streams that use it). */
@Injectable()
class SessionBusShutdown implements OnApplicationShutdown {
  constructor(@Optional() @Inject(SessionBus) private readonly bus: SessionBus | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus?.shutdown();
  }
}

/**
 * Sessions and their streams: `SessionsModule.forRoot({ maxSessions, maxSessionsPerKey,
 * idleTimeoutMs, keepaliveMs, logger, redis })`. Provides the `SessionRegistry` (in memory unless
 * `registry` names another implementation, such as `RedisSessionRegistry` with `redis`), the caps,
 * the Streamable HTTP stream bookkeeping with its idle reaper, the SSE sink factory, and the
 * `SessionBus` (the shared store's link; null without `redis`).
 */
@Module({
  providers: [
    { provide: SESSIONS_LOGGER, useFactory: sessionsLogger, inject: [SESSIONS_OPTIONS] },
    { provide: SessionBus, useFactory: sessionBus, inject: [SESSIONS_OPTIONS, SESSIONS_LOGGER] },
    SessionBusShutdown,
    SessionLimits,
    StreamableHttpStreams,
    SseSinkFactory,
  ],
  exports: [SessionRegistry, SessionLimits, StreamableHttpStreams, SseSinkFactory, SessionBus],
})
export class SessionsModule extends ConfigurableModuleClass {}
