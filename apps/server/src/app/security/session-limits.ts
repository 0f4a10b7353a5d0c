import { Inject, Injectable } from '@nestjs/common';
import { SessionRegistry } from '@sanctum/sessions';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';

/** Global and per-key caps on open sessions. */
@Injectable()
export class SessionLimits {
  constructor(
    private readonly sessions: SessionRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Why a new session for this principal is refused, or undefined when it may open. */
  refusal(principal: string): string | undefined {
    if (this.sessions.count() >= this.config.maxSessions) {
      return `Server busy: ${this.config.maxSessions} sessions are open (MCP_MAX_SESSIONS). Close idle sessions or retry later.`;
    }
    if (principal === 'anonymous') return undefined; // no keys configured: only the global cap applies
    const own = this.sessions.all().filter((s) => s.owner === principal).length;
    if (own >= this.config.maxSessionsPerKey) {
      return `Too many sessions for this API key: ${own} are open (MCP_MAX_SESSIONS_PER_KEY=${this.config.maxSessionsPerKey}). Close some first.`;
    }
    return undefined;
  }
}
