import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Session } from './session';
import type { TransportKind } from './session';
import { SessionLimits, capVariables } from './session-limits';
import type { Occupancy } from './session-limits';
import { SessionRegistry, sessionLogLines, zeroCounts } from './session-registry';
import type { IdleSince, SessionActivity, SessionAdmission, SessionCounts, SessionEnding, SessionTotals } from './session-registry';
import { SESSIONS_LOGGER, SESSIONS_LOG_CONTEXT } from './sessions.constants';

function occupancyOf(sessions: ReadonlyMap<string, Session>): Occupancy {
  return {
    get total() {
      return sessions.size;
    },
    ownedBy(principal) {
      let own = 0;
      for (const session of sessions.values()) if (session.owner === principal) own++;
      return own;
    },
  };
}

/** The single-process registry: sessions in a Map of this process, caps counted over it. */
@Injectable()
export class InMemorySessionRegistry extends SessionRegistry {
  protected readonly sessions = new Map<string, Session>();
  /** Sessions whose `Session started` line was logged: only they get a `Session ended` line. */
  protected readonly announced = new Set<string>();
  private readonly opened = zeroCounts();
  private readonly closed = zeroCounts();
  private readonly evicted = zeroCounts();
  /** The sessions `open` may end at a cap, with their transport's idle probe. */
  private readonly idleProbes = new Map<string, IdleSince>();
  private readonly occupancy: Occupancy = occupancyOf(this.sessions);

  constructor(
    private readonly limits: SessionLimits,
    @Inject(SESSIONS_LOGGER) protected readonly logger: LoggerService,
  ) {
    super();
  }

  async open(transport: TransportKind, principal: string): Promise<SessionAdmission> {
    // Checked, evicted and created in one synchronous step: two opens cannot both take the last slot.
    // Each round ends one session; more than one only when uncapped sessions already fill the global cap.
    for (let refusal = this.limits.refusal('session', principal, this.occupancy); refusal;) {
      const victim = this.evictionFor(principal);
      if (victim === undefined) return { ok: false, refusal };
      this.evicted[victim.transport] += 1;
      this.remove(victim.id, { reason: 'session evicted', note: `evicted: ${capVariables[refusal.cap]} reached` });
      refusal = this.limits.refusal('session', principal, this.occupancy);
    }
    return { ok: true, session: this.create(transport, principal) };
  }

  evictable(session: Session, idleSince: IdleSince): void {
    if (this.sessions.get(session.id) === session) this.idleProbes.set(session.id, idleSince);
  }

  create(transport: TransportKind, owner?: string): Session {
    const session = new Session(randomUUID(), transport);
    session.owner = owner;
    this.sessions.set(session.id, session);
    this.opened[transport] += 1;
    return session;
  }

  started(session: Session): void {
    if (this.sessions.get(session.id) !== session || this.announced.has(session.id)) return;
    this.announced.add(session.id);
    this.logger.log(sessionLogLines.started(session.id), SESSIONS_LOG_CONTEXT);
  }

  async find(id: string, transport: TransportKind, principal: string | undefined): Promise<Session | undefined> {
    const session = this.sessions.get(id);
    return session !== undefined && session.transport === transport && session.owner === principal ? session : undefined;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  remove(id: string, ending: SessionEnding = {}): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    this.idleProbes.delete(id);
    this.closed[session.transport] += 1;
    session.close(ending.reason);
    if (this.announced.delete(id)) {
      this.logger.log(sessionLogLines.ended(id, ending.note), SESSIONS_LOG_CONTEXT);
    }
    return true;
  }

  removeAll(ending: SessionEnding = {}): number {
    let ended = 0;
    for (const id of [...this.sessions.keys()]) if (this.remove(id, ending)) ended++;
    return ended;
  }

  count(): number {
    return this.sessions.size;
  }

  countByTransport(): SessionCounts {
    const counts = zeroCounts();
    for (const session of this.sessions.values()) counts[session.transport] += 1;
    return counts;
  }

  countByActivity(): SessionActivity {
    const activity: SessionActivity = { live: zeroCounts(), idle: zeroCounts() };
    for (const session of this.sessions.values()) {
      activity[this.idleSince(session.id) === undefined ? 'live' : 'idle'][session.transport] += 1;
    }
    return activity;
  }

  idleSince(id: string): number | undefined {
    const session = this.sessions.get(id);
    if (session === undefined || session.inFlightCount > 0) return undefined;
    return this.idleProbes.get(id)?.();
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  totals(): SessionTotals {
    return { opened: { ...this.opened }, closed: { ...this.closed }, evicted: { ...this.evicted } };
  }

  /**
   * The session to end: the longest-idle evictable one of `principal`, the only choice while it
   * is at its per-key cap (ending another key's would not let it in). At the global cap alone,
   * when it has none, the longest-idle of anyone: abandoned sessions spread over many keys would
   * otherwise lock every key out.
   */
  private evictionFor(principal: string): Session | undefined {
    const own = this.longestIdle(principal);
    if (own !== undefined || this.limits.perKeyRefusal('session', principal, this.occupancy)) return own;
    return this.longestIdle(undefined);
  }

  /** The evictable session idle longest, of `owner` or (undefined) of anyone; undefined when every one is in use. */
  private longestIdle(owner: string | undefined): Session | undefined {
    let victim: Session | undefined;
    let oldest = Infinity;
    for (const [id, idleSince] of this.idleProbes) {
      const session = this.sessions.get(id);
      if (session === undefined || (owner !== undefined && session.owner !== owner)) continue;
      const since = idleSince();
      if (since !== undefined && since < oldest) {
        oldest = since;
        victim = session;
      }
    }
    return victim;
  }
}
