import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Session } from './session';
import type { TransportKind } from './session';
import { SessionLimits } from './session-limits';
import type { Occupancy } from './session-limits';
import { SessionRegistry, sessionLogLines, zeroCounts } from './session-registry';
import type { SessionAdmission, SessionCounts, SessionEnding } from './session-registry';
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
  private readonly sessions = new Map<string, Session>();
  /** Sessions whose `Session started` line was logged: only they get a `Session ended` line. */
  private readonly announced = new Set<string>();
  private readonly opened = zeroCounts();
  private readonly closed = zeroCounts();
  private readonly occupancy: Occupancy = occupancyOf(this.sessions);

  constructor(
    private readonly limits: SessionLimits,
    @Inject(SESSIONS_LOGGER) private readonly logger: LoggerService,
  ) {
    super();
  }

  async open(transport: TransportKind, principal: string): Promise<SessionAdmission> {
    // Checked and created in one synchronous step: two opens cannot both take the last slot.
    const refusal = this.limits.refusal('session', principal, this.occupancy);
    if (refusal) return { ok: false, refusal };
    return { ok: true, session: this.create(transport, principal) };
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

  all(): Session[] {
    return [...this.sessions.values()];
  }

  totals(): { opened: SessionCounts; closed: SessionCounts } {
    return { opened: { ...this.opened }, closed: { ...this.closed } };
  }
}
