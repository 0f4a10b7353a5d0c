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
}

/** The single-process registry. */
export class InMemorySessionRegistry extends SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  create(transport: TransportKind): Session {
    const session = new Session(randomUUID(), transport);
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  remove(id: string, reason?: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    session.close(reason);
    return true;
  }

  count(): number {
    return this.sessions.size;
  }

  countByTransport(): Record<TransportKind, number> {
    const counts: Record<TransportKind, number> = { sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 };
    for (const session of this.sessions.values()) counts[session.transport] += 1;
    return counts;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }
}
