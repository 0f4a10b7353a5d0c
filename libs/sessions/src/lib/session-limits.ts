import { Inject, Injectable } from '@nestjs/common';
import { ANONYMOUS_PRINCIPAL, SESSIONS_OPTIONS } from './sessions.constants';

/** The caps on what clients hold open (MCP_MAX_SESSIONS, MCP_MAX_SESSIONS_PER_KEY). */
export interface SessionCaps {
  /** Most open at once, every principal together. */
  maxSessions: number;
  /** Most open at once for one API key (not applied to the anonymous principal). */
  maxSessionsPerKey: number;
}

/**
 * What a cap counts. Sessions (every transport) and 2026-07-28 `subscriptions/listen` streams
 * each hold a connection, so the same caps apply to both, but each kind is counted apart: a
 * client's listen stream does not use up one of its sessions.
 */
export type CappedKind = 'session' | 'listen-stream';

/** How many of one kind are open now: in all, and per principal. */
export interface Occupancy {
  readonly total: number;
  ownedBy(principal: string): number;
}

/** Why something may not open: which cap it hit, and what to tell the client. */
export interface SessionRefusal {
  readonly kind: CappedKind;
  readonly cap: 'global' | 'per-key';
  readonly message: string;
}

const nouns: Record<CappedKind, string> = { session: 'sessions', 'listen-stream': 'subscriptions/listen streams' };
// The texts clients and the docs know; each says how to get past the cap.
const relief: Record<CappedKind, string> = {
  session: 'Close idle sessions or retry later.',
  'listen-stream': 'Close some or retry later.',
};

/** The variable that sets each cap, as the refusals, the eviction lines and the docs name it. */
export const capVariables: Record<SessionRefusal['cap'], string> = { global: 'MCP_MAX_SESSIONS', 'per-key': 'MCP_MAX_SESSIONS_PER_KEY' };

export const refusalMessages = {
  global: (kind: CappedKind, max: number): string =>
    `Server busy: ${max} ${nouns[kind]} are open (${capVariables.global}). ${relief[kind]}`,
  perKey: (kind: CappedKind, own: number, max: number): string =>
    `Too many ${nouns[kind]} for this API key: ${own} are open (${capVariables['per-key']}=${max}). Close some first.`,
};

/** The one implementation of the caps, for sessions and listen streams alike. */
@Injectable()
export class SessionLimits {
  readonly maxSessions: number;
  readonly maxSessionsPerKey: number;

  constructor(@Inject(SESSIONS_OPTIONS) caps: SessionCaps) {
    if (!Number.isInteger(caps.maxSessions) || caps.maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
    if (!Number.isInteger(caps.maxSessionsPerKey) || caps.maxSessionsPerKey < 1) {
      throw new RangeError('maxSessionsPerKey must be a positive integer');
    }
    this.maxSessions = caps.maxSessions;
    this.maxSessionsPerKey = caps.maxSessionsPerKey;
  }

  /**
   * Why one more of `kind` for `principal` is refused, or undefined when it may open. The
   * anonymous principal (no keys configured) and an unknown one get only the global cap.
   */
  refusal(kind: CappedKind, principal: string | undefined, open: Occupancy): SessionRefusal | undefined {
    if (open.total >= this.maxSessions) return { kind, cap: 'global', message: refusalMessages.global(kind, this.maxSessions) };
    return this.perKeyRefusal(kind, principal, open);
  }

  /** The per-key cap alone: whether `principal` is at it, whatever the global count. */
  perKeyRefusal(kind: CappedKind, principal: string | undefined, open: Occupancy): SessionRefusal | undefined {
    if (principal === undefined || principal === ANONYMOUS_PRINCIPAL) return undefined;
    const own = open.ownedBy(principal);
    if (own >= this.maxSessionsPerKey) return { kind, cap: 'per-key', message: refusalMessages.perKey(kind, own, this.maxSessionsPerKey) };
    return undefined;
  }
}
