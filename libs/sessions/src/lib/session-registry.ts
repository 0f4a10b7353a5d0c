import type { SessionRefusal } from './session-limits';
import type { Session, TransportKind } from './session';

/** How a session ends. */
export interface SessionEnding {
  /** The abort reason its running calls see (default `session closed`). */
  reason?: string;
  /** Appended to the `Session ended: <id>` line in parentheses, e.g. `server shutting down`. */
  note?: string;
  /**
   * The idle reaper ends it: with sessions shared between instances, only this process's copy is
   * dropped unless no instance used the session meanwhile (the shared store's TTL decides).
   */
  idle?: boolean;
}

/** The answer to `open`: a new session, or the cap that refused it. */
export type SessionAdmission = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly refusal: SessionRefusal };

export type SessionCounts = Record<TransportKind, number>;

/**
 * Open sessions by activity. Live: a connection of its client is open (an HTTP+SSE stream, a
 * Streamable HTTP GET stream or a POST in progress, the stdio pipes) or a call of it runs. Idle:
 * neither; its client may come back, or may have left without ending it (the idle reaper, or an
 * eviction at a cap, ends it).
 */
export interface SessionActivity {
  live: SessionCounts;
  idle: SessionCounts;
}

export interface SessionTotals {
  opened: SessionCounts;
  closed: SessionCounts;
  evicted: SessionCounts;
}

/**
 * A transport's answer to "may this session be ended to make room?": undefined while the session
 * is in use (a connection of its client open, a request or call running), else when it was last
 * used (ms since epoch).
 */
export type IdleSince = () => number | undefined;

/**
 * A session's life, whatever the transport, in one place: every transport opens, looks up and ends
 * its sessions here, so the caps, the owner check and the `Session started: <id>` /
 * `Session ended: <id>` lines exist once.
 *
 * The DI token, with `InMemorySessionRegistry` (one process) as the default;
 * `RedisSessionRegistry` (MCP_REDIS_URL) shares sessions between instances. What needs a round
 * trip to shared state is asynchronous (`open` stores the new session; `find` may name a session
 * another instance created), while what only acts on this process's sessions stays synchronous.
 * The caps count the sessions opened on this instance, with either. `remove` ends a session here at once (running calls aborted, streams ended, line
 * logged) and leaves telling other instances to the implementation, since shutdown and the idle
 * reaper cannot wait for the network.
 */
export abstract class SessionRegistry {
  /**
   * A new session for `principal` (its owner), unless a cap refuses it (MCP_MAX_SESSIONS,
   * MCP_MAX_SESSIONS_PER_KEY). Not announced yet: call `started` once the client can use it.
   *
   * At a cap, the longest-idle evictable session (see `evictable`) is ended first, with the note
   * `evicted: <cap variable> reached`: at the per-key cap one of the principal's own; at the
   * global cap one of its own if it has one, else anyone's. Only when none is idle is the open
   * refused.
   */
  abstract open(transport: TransportKind, principal: string): Promise<SessionAdmission>;

  /**
   * Let `open` end `session` to make room at a cap whenever `idleSince` gives a time. Clients
   * rarely end a Streamable HTTP session, so abandoned ones would otherwise hold their key's
   * slots until the idle reaper. A session never marked is never evicted (an HTTP+SSE session
   * is its open stream; stdio is not capped). The probe is local to this process: a shared
   * implementation evicts the sessions it holds probes for. It also tells `countByActivity`
   * whether the session is idle; a session without one is live while it is open.
   */
  abstract evictable(session: Session, idleSince: IdleSince): void;

  /** A new session with no cap applied (the one session of a stdio process, tests). Not announced. */
  abstract create(transport: TransportKind, owner?: string): Session;

  /** Log `Session started: <id>`: the client has the session now. Once per session. */
  abstract started(session: Session): void;

  /**
   * The session `id` of this transport, if `principal` owns it. Another principal's session is
   * answered like an unknown one (undefined), so that its existence is not disclosed.
   */
  abstract find(id: string, transport: TransportKind, principal: string | undefined): Promise<Session | undefined>;

  /** The session `id` of this process, with no owner check (health, metrics, tests). */
  abstract get(id: string): Session | undefined;

  /**
   * End a session: abort its running calls, complete its streams, forget it, and log
   * `Session ended: <id>` if it had started. Idempotent: false when it was not registered.
   */
  abstract remove(id: string, ending?: SessionEnding): boolean;

  /** End every session of this process (server shutdown); returns how many ended. */
  abstract removeAll(ending?: SessionEnding): number;

  /** Sessions open in this process. */
  abstract count(): number;

  abstract countByTransport(): SessionCounts;

  /** This process's open sessions, live and idle (see SessionActivity), by transport. */
  abstract countByActivity(): SessionActivity;

  /**
   * Whether the session `id` of this process is live (a connection of its client open, or a call
   * running: undefined) or idle since when (ms since epoch), as `countByActivity` counts it; a
   * session without an idle probe is live while it is open. Undefined too for an unknown id.
   */
  abstract idleSince(id: string): number | undefined;

  /** This process's sessions, as a new array (e.g. to notify each). */
  abstract all(): Session[];

  /**
   * The sessions whose client receives server-initiated messages (such as
   * `notifications/tools/list_changed`) through this process, so that each is told once when
   * sessions are shared between instances. One process: every session.
   */
  listening(): Session[] {
    return this.all();
  }

  /** Sessions opened, closed and (among the closed) evicted at a cap since start, by transport (for metrics). */
  abstract totals(): SessionTotals;
}

/** The two lines every implementation writes (context `Sessions`); e2e tests and docs/monitoring.md read them. */
export const sessionLogLines = {
  started: (id: string): string => `Session started: ${id}`,
  ended: (id: string, note?: string): string => (note === undefined ? `Session ended: ${id}` : `Session ended: ${id} (${note})`),
};

export const zeroCounts = (): SessionCounts => ({ sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 });
