import { Logger, Module } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
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

/**
 * Sessions and their streams: `SessionsModule.forRoot({ maxSessions, maxSessionsPerKey,
 * idleTimeoutMs, keepaliveMs, logger })`. Provides the `SessionRegistry` (in memory unless
 * `registry` names another implementation), the caps, the Streamable HTTP stream bookkeeping with
 * its idle reaper, and the SSE sink factory.
 */
@Module({
  providers: [
    { provide: SESSIONS_LOGGER, useFactory: sessionsLogger, inject: [SESSIONS_OPTIONS] },
    SessionLimits,
    StreamableHttpStreams,
    SseSinkFactory,
  ],
  exports: [SessionRegistry, SessionLimits, StreamableHttpStreams, SseSinkFactory],
})
export class SessionsModule extends ConfigurableModuleClass {}
