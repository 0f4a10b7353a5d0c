import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy } from '@nestjs/common';
import { isLoggingLevel, isResponse, parseJsonExact, stringifyExact } from '@sanctum/protocol';
import type { JsonRpcMessage, RequestId } from '@sanctum/protocol';
import type { Subscription } from 'rxjs';
import { InMemorySessionRegistry } from '../in-memory-session-registry';
import { Session } from '../session';
import type { OutgoingMessage, SessionConsumer, SessionPeer, TransportKind } from '../session';
import { SessionLimits } from '../session-limits';
import { sessionLogLines } from '../session-registry';
import type { SessionAdmission, SessionEnding } from '../session-registry';
import { SESSIONS_LOGGER, SESSIONS_LOG_CONTEXT } from '../sessions.constants';
import { SessionBus } from './session-bus';
import type { BusEvent, Holding, StreamEntry } from './session-bus';

/** Transports whose sessions are shared between instances (stdio and stateless ones live in one process). */
const SHARED: ReadonlySet<TransportKind> = new Set(['sse', 'streamable-http']);

/** A replica no call or stream uses is forgotten after this long (its session lives on in Redis). */
const REPLICA_IDLE_MS = 60_000;

/**
 * How long a local copy's state, once read from or written to the store, is served without
 * reading the hash again. Changes and ends are announced on the events channel, which drops
 * what it knew when the subscriber reconnects (the bus's epoch); this bounds what a lost
 * announcement could cost.
 */
const STATE_MAX_AGE_MS = 30_000;

/** When the local copy of a session was last checked against the store, and its TTL last slid. */
interface Checked {
  epoch: number;
  at: number;
  touched: number;
}

/** The shared store cannot be reached: the transports answer 503 instead of waiting. */
export class SessionStoreUnavailable extends Error {
  constructor(detail: string | undefined) {
    super(`the shared session store (Redis, MCP_REDIS_URL) is unreachable${detail === undefined ? '' : `: ${detail}`}; retry shortly`);
  }
}

/** The stored fields of a session; `home` (the instance that opened it) only from that instance. */
function metaOf(session: Session, home: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {
    t: session.transport,
    o: session.owner ?? '',
    v: session.protocolVersion ?? '',
    ci: session.clientInfo === undefined ? '' : JSON.stringify(session.clientInfo),
    ll: session.logLevel,
    cc: session.clientCapabilities === undefined ? '' : JSON.stringify(session.clientCapabilities),
    i: session.initialized ? '1' : '0',
    c: String(session.createdAt),
    // The X-Agent-Id and profile endpoint it was opened with: another instance must narrow its tools alike.
    ag: session.agentId ?? '',
    pe: session.profileEndpoint ?? '',
  };
  if (home !== undefined) fields['h'] = home;
  return fields;
}

/** A stored JSON field; undefined when empty or foreign (the local copy keeps what it has). */
function jsonField<T>(raw: string | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** Copy the stored fields onto the local copy (another instance may have changed them). */
function applyMeta(session: Session, meta: Record<string, string>): void {
  if (meta['v']) session.protocolVersion = meta['v'] as Session['protocolVersion'];
  session.clientInfo = jsonField(meta['ci']) ?? session.clientInfo;
  if (isLoggingLevel(meta['ll'])) session.logLevel = meta['ll'];
  session.clientCapabilities = jsonField(meta['cc']) ?? session.clientCapabilities;
  session.initialized = meta['i'] === '1';
  if (meta['ag']) session.agentId = meta['ag'];
  if (meta['pe']) session.profileEndpoint = meta['pe'];
}

/**
 * The HTTP+SSE side of a replica: the holder of the client's stream is another instance, so
 * every message goes to the session's Redis stream, which the holder reads. A final response
 * of a call registered with the bus goes through `finish` (at most one final response per call).
 */
class RelayToHolder implements SessionConsumer {
  readonly registered = new Set<string>();

  constructor(
    private readonly session: Session,
    private readonly bus: SessionBus,
    private readonly logger: LoggerService,
  ) {}

  next({ message }: OutgoingMessage): void {
    const data = stringifyExact(message);
    const id = isResponse(message) ? stringifyExact(message.id) : undefined;
    if (id !== undefined && this.registered.delete(id)) {
      this.bus.finish(this.session.id, id, 'sse', data).then(
        (stored) => {
          if (stored === null) {
            this.logger.warn(
              `Session ${this.session.id}: the result of request ${id} came after this instance was taken for stopped and the call was answered with an error; not sent`,
              SESSIONS_LOG_CONTEXT,
            );
          }
        },
        (err: Error) => this.logger.error(`Session ${this.session.id}: storing a response failed: ${err.message}`, SESSIONS_LOG_CONTEXT),
      );
      return;
    }
    this.bus.append(this.session.id, 'sse', 'm', data).catch((err: Error) =>
      this.logger.error(`Session ${this.session.id}: storing a message failed: ${err.message}`, SESSIONS_LOG_CONTEXT),
    );
  }

  complete(): void {
    for (const id of this.registered) this.bus.unregisterCall(this.session.id, id);
    this.registered.clear();
  }
}

/**
 * Sessions shared by every gateway instance through Redis (MCP_REDIS_URL). Each instance keeps
 * its own `Session` objects: the sessions opened here (their `Session started` / `Session ended`
 * lines are written here, and the caps count them), and replicas of sessions opened elsewhere,
 * made when a request for one arrives (from the metadata hash: transport, owner, negotiated
 * version, client info, log level). A request always reads the hash, which also slides its TTL
 * (MCP_SESSION_IDLE_TIMEOUT), so a session ended or expired elsewhere is not served here.
 *
 * Messages reach the client through the instance holding its stream: HTTP+SSE messages produced
 * on a replica go to the session's Redis stream, which the opening instance (the stream's holder)
 * reads; Streamable HTTP streams are the `SharedSessionStreams`' business.
 */
@Injectable()
export class RedisSessionRegistry extends InMemorySessionRegistry implements OnModuleDestroy {
  private readonly replicas = new Map<string, { session: Session; lastUsed: number }>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private readonly keeper: NodeJS.Timeout | undefined;
  private readonly peer: SessionPeer;
  /** Slide a session's TTL in the store at most this often for requests served from its local copy. */
  private readonly touchEveryMs: number;

  constructor(
    limits: SessionLimits,
    @Inject(SESSIONS_LOGGER) logger: LoggerService,
    private readonly bus: SessionBus,
  ) {
    super(limits, logger);
    this.subscription = bus.events$.subscribe((event) => this.onEvent(event));
    this.sweeper = setInterval(() => this.sweepReplicas(), REPLICA_IDLE_MS / 4);
    this.sweeper.unref();
    // An HTTP+SSE session lives as long as its stream: keep its keys from expiring meanwhile.
    const ttl = bus.options.idleTtlMs;
    this.keeper = ttl > 0 ? setInterval(() => this.keepStreamsAlive(), Math.max(50, Math.floor(ttl / 3))) : undefined;
    this.keeper?.unref();
    bus.localCount = () => this.count();
    this.touchEveryMs = ttl > 0 ? Math.max(1_000, Math.floor(ttl / 10)) : Infinity;
    this.peer = {
      changed: (session) => this.save(session),
      callStarted: (session, requestId) => this.callStarted(session, requestId),
      cancelElsewhere: (session, requestId, reason) =>
        this.bus.publish({ type: 'cancel', sessionId: session.id, requestId: stringifyExact(requestId), reason, from: this.bus.instanceId }),
      responseElsewhere: (session, response) =>
        this.bus.publish({ type: 'response', sessionId: session.id, message: stringifyExact(response), from: this.bus.instanceId }),
    };
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
    clearInterval(this.sweeper);
    clearInterval(this.keeper);
  }

  override async open(transport: TransportKind, principal: string): Promise<SessionAdmission> {
    if (SHARED.has(transport) && !this.bus.ready) throw new SessionStoreUnavailable(this.bus.problem);
    const admission = await super.open(transport, principal);
    if (admission.ok && SHARED.has(transport)) {
      await this.bus.saveMeta(admission.session.id, metaOf(admission.session, this.bus.instanceId));
      this.markChecked(admission.session.id);
    }
    return admission;
  }

  override create(transport: TransportKind, owner?: string): Session {
    const session = super.create(transport, owner);
    if (!SHARED.has(transport)) return session;
    session.peer = this.peer;
    if (transport === 'sse') {
      this.bus.hold(session.id, this.holdingFor(session));
      this.bus.streamOpened(session.id);
    }
    return session;
  }

  override async find(id: string, transport: TransportKind, principal: string | undefined): Promise<Session | undefined> {
    if (!SHARED.has(transport)) return super.find(id, transport, principal);
    if (!this.bus.ready) throw new SessionStoreUnavailable(this.bus.problem);
    const cached = this.current(id);
    if (cached !== undefined) return cached.transport === transport && (cached.owner ?? '') === (principal ?? '') ? cached : undefined;
    const meta = await this.bus.loadMeta(id);
    const local = this.sessions.get(id) ?? this.replicas.get(id)?.session;
    if (meta !== undefined) this.markChecked(id);
    if (meta === undefined) {
      // Ended or expired in the store: this copy is stale.
      if (local !== undefined) this.drop(id, { reason: 'session expired', note: 'ended or expired in the shared store' });
      return undefined;
    }
    if (meta['t'] !== transport || meta['o'] !== (principal ?? '')) return undefined;
    if (local !== undefined) {
      if (local.closed) return undefined;
      applyMeta(local, meta);
      const replica = this.replicas.get(id);
      if (replica) replica.lastUsed = Date.now();
      return local;
    }
    const session = new Session(id, transport);
    session.owner = principal;
    applyMeta(session, meta);
    session.peer = this.peer;
    if (transport === 'sse') {
      const relay = new RelayToHolder(session, this.bus, this.logger);
      session.attach(relay);
      this.relays.set(session, relay);
    }
    this.replicas.set(id, { session, lastUsed: Date.now() });
    return session;
  }

  override get(id: string): Session | undefined {
    return super.get(id) ?? this.replicas.get(id)?.session;
  }

  override remove(id: string, ending: SessionEnding = {}): boolean {
    const session = this.get(id);
    if (session === undefined) return false;
    if (!SHARED.has(session.transport)) return super.remove(id, ending);
    if (ending.idle) {
      // Idle here, maybe not elsewhere: the store's TTL is the judge. Drop this copy, and write
      // `Session ended` only when the session is gone from the store too.
      const announced = this.announced.delete(id);
      this.drop(id, { reason: ending.reason });
      if (announced) {
        this.bus.exists(id).then(
          (exists) => {
            if (!exists) this.logger.log(sessionLogLines.ended(id, ending.note), SESSIONS_LOG_CONTEXT);
          },
          () => undefined,
        );
      }
      return true;
    }
    this.drop(id, ending);
    this.bus.endSession(id).catch((err: Error) => this.logger.error(`Session ${id}: ending it in the shared store failed: ${err.message}`, SESSIONS_LOG_CONTEXT));
    return true;
  }

  /**
   * Server shutdown: HTTP+SSE sessions end (their streams close with this process); Streamable
   * HTTP sessions live on in the store, and their clients continue on another instance.
   */
  override removeAll(ending: SessionEnding = {}): number {
    let ended = 0;
    for (const session of this.all()) {
      if (session.transport === 'streamable-http') {
        this.announced.delete(session.id); // it does not end: no `Session ended` line
        this.drop(session.id, { reason: ending.reason });
      } else this.remove(session.id, ending);
      ended++;
    }
    return ended;
  }

  override all(): Session[] {
    return [...super.all(), ...[...this.replicas.values()].map((r) => r.session)];
  }

  /**
   * The sessions opened here, never replicas: each session is told once, by the instance that
   * opened it. An HTTP+SSE session's stream is here; a Streamable HTTP session's message goes to
   * its Redis stream, delivered by whichever instance holds its GET stream (or replayed to a
   * client that resumes one later).
   */
  override listening(): Session[] {
    return super.all();
  }

  /**
   * The local copy of session `id` when its state is known to be current (read or written within
   * STATE_MAX_AGE_MS, no change announced since, no reconnection since): served without a round
   * trip. Its TTL in the store still slides, at most every tenth of the idle timeout.
   */
  private current(id: string): Session | undefined {
    const mark = this.checked.get(id);
    const local = this.sessions.get(id) ?? this.replicas.get(id)?.session;
    const now = Date.now();
    if (mark === undefined || local === undefined || local.closed || mark.epoch !== this.bus.epoch || now - mark.at >= STATE_MAX_AGE_MS) return undefined;
    if (now - mark.touched >= this.touchEveryMs) {
      mark.touched = now;
      this.bus.touch([id]);
    }
    const replica = this.replicas.get(id);
    if (replica) replica.lastUsed = now;
    return local;
  }

  private markChecked(id: string): void {
    const now = Date.now();
    this.checked.set(id, { epoch: this.bus.epoch, at: now, touched: now });
  }

  private readonly checked = new Map<string, Checked>();

  /** Forget this process's copy without ending the session in the store (its line is written if it was announced here). */
  private drop(id: string, ending: SessionEnding): void {
    this.checked.delete(id);
    const replica = this.replicas.get(id);
    if (replica !== undefined) {
      this.replicas.delete(id);
      replica.session.close(ending.reason);
      return;
    }
    if (this.sessions.get(id)?.transport === 'sse') {
      this.bus.unhold(id);
      this.bus.streamClosed(id);
    }
    super.remove(id, ending);
  }

  private save(session: Session): void {
    if (!SHARED.has(session.transport) || session.closed) return;
    const fields = metaOf(session, this.sessions.has(session.id) ? this.bus.instanceId : undefined);
    // Other instances' copies are stale from now: they read the hash again on their next request.
    this.bus.saveMeta(session.id, fields).then(
      () => this.bus.publish({ type: 'changed', sessionId: session.id, from: this.bus.instanceId }),
      (err: Error) => this.logger.error(`Session ${session.id}: storing its state failed: ${err.message}`, SESSIONS_LOG_CONTEXT),
    );
  }

  private callStarted(session: Session, requestId: RequestId): void {
    if (session.transport !== 'sse' || !this.replicas.has(session.id)) return; // the response is delivered here
    const id = stringifyExact(requestId);
    this.relays.get(session)?.registered.add(id);
    this.bus.registerCall(session.id, id, 'sse');
  }

  private readonly relays = new WeakMap<Session, RelayToHolder>();

  /** The holder side of an HTTP+SSE session opened here: messages other instances produced. */
  private holdingFor(session: Session): Holding {
    const holding = {
      lastId: '0-0',
      deliver: (entries: StreamEntry[]) => {
        for (const entry of entries) {
          holding.lastId = entry.id;
          if (entry.kind !== 'm' || entry.to !== 'sse') continue;
          try {
            session.send(parseJsonExact(entry.data) as JsonRpcMessage);
          } catch (err) {
            this.logger.error(`Session ${session.id}: an unreadable stream entry ${entry.id}: ${(err as Error).message}`, SESSIONS_LOG_CONTEXT);
          }
        }
      },
    };
    return holding;
  }

  private onEvent(event: BusEvent): void {
    if (event.type === 'changed') {
      this.checked.delete(event.sessionId);
      return;
    }
    if (event.type === 'ended') {
      if (this.get(event.sessionId) !== undefined) this.drop(event.sessionId, { reason: 'session ended', note: 'ended on another instance' });
      return;
    }
    if (event.type === 'cancel') {
      const session = this.get(event.sessionId);
      if (session === undefined) return;
      let requestId: RequestId;
      try {
        requestId = parseJsonExact(event.requestId) as RequestId;
      } catch {
        return;
      }
      if (session.isTracking(requestId)) session.cancel(requestId, event.reason);
      return;
    }
    if (event.type === 'response') {
      let response: unknown;
      try {
        response = parseJsonExact(event.message);
      } catch {
        return;
      }
      if (isResponse(response)) this.get(event.sessionId)?.settle(response);
    }
  }

  private keepStreamsAlive(): void {
    const ids: string[] = [];
    for (const session of this.sessions.values()) if (session.transport === 'sse') ids.push(session.id);
    if (ids.length > 0 && this.bus.ready) this.bus.touch(ids);
  }

  private sweepReplicas(): void {
    const now = Date.now();
    for (const [id, replica] of this.replicas) {
      if (replica.session.inFlightCount > 0 || this.bus.getStreamsHeld.has(id) || now - replica.lastUsed < REPLICA_IDLE_MS) continue;
      this.drop(id, {});
    }
  }
}
