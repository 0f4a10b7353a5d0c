import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LoggerService, Type } from '@nestjs/common';
import { InMemorySessionRegistry } from './in-memory-session-registry';
import type { SessionCaps } from './session-limits';
import { SessionRegistry } from './session-registry';
import { SESSIONS_OPTIONS } from './sessions.constants';
import type { SessionBusOptions } from './redis/session-bus';

export interface SessionsModuleOptions extends SessionCaps {
  /**
   * ms a Streamable HTTP session may go without a request or an open GET stream before the reaper
   * ends it (MCP_SESSION_IDLE_TIMEOUT); 0 = never.
   */
  idleTimeoutMs: number;
  /** ms between keepalive comments on every SSE stream (MCP_SSE_KEEPALIVE; default 15 s). */
  keepaliveMs?: number;
  /** Bytes an SSE stream may hold unsent before it is ended (MCP_MAX_UNSENT_BYTES; default 4 MiB). */
  maxUnsentBytes?: number;
  /** Where `Session started` / `Session ended` and the stream notes go (default: Nest's `Logger`). */
  logger?: LoggerService;
  /**
   * Share sessions between instances through this Redis (MCP_REDIS_URL); with it, use
   * `registry: RedisSessionRegistry`. Without it, sessions live in this process.
   */
  redis?: SessionBusOptions;
}

/** Chosen when the module is built, not injected: which `SessionRegistry` the module provides. */
export interface SessionsModuleExtras {
  /** The implementation behind the `SessionRegistry` token (default `InMemorySessionRegistry`). */
  registry: Type<SessionRegistry>;
}

export const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<SessionsModuleOptions>({
  optionsInjectionToken: SESSIONS_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<SessionsModuleExtras>({ registry: InMemorySessionRegistry }, (definition, extras) => ({
    ...definition,
    providers: [...(definition.providers ?? []), { provide: SessionRegistry, useClass: extras.registry }],
  }))
  .build();
