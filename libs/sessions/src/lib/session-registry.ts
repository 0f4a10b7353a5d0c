import { randomUUID } from 'node:crypto';
import type { TransportKind } from './session';
import { Session } from './session';

/**
 * Where sessions live. An interface so that a shared bus (e.g. Redis) can later route a POST that
 * lands on one instance to the stream held by another.
 */
export abstract class SessionRegistry {
  abstract create(transport: TransportKind): Session;
  abstract get(id: string): Session | undefined;
  /** Close and forget a session. Returns false when it was not registered. */
  abstract remove(id: string, reason?: string): boolean;
  abstract count(): number;
  abstract countByTransport(): Record<TransportKind, number>;
  abstract all(): Session[];
  /** Sessions opened and closed since start, by transport (for metrics). */
  abstract totals(): { opened: Record<TransportKind, number>; closed: Record<TransportKind, number> };
}

const zero = (): Record<TransportKind, number> => ({ sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 });

/** The single-process registry. */
export class InMemorySessionRegistry extends SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly opened = zero();
  private readonly closed = zero();

  create(transport: TransportKind): Session {
    const session = new Session(randomUUID(), transport);
    this.sessions.set(session.id, session);
    this.opened[transport] += 1;
    return session;
  }

  totals(): { opened: Record<TransportKind, number>; closed: Record<TransportKind, number> } {
    return { opened: { ...this.opened }, closed: { ...this.closed } };
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  remove(id: string, reason?: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    this.closed[session.transport] += 1;
    session.close(reason);
    return true;
  }

  count(): number {
    return this.sessions.size;
  }

  countByTransport(): Record<TransportKind, number> {
    const counts = zero();
    for (const session of this.sessions.values()) counts[session.transport] += 1;
    return counts;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }
}
