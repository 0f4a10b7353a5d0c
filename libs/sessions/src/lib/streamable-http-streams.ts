import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { isRequest, isResponse, stringifyExact } from '@sanctum/protocol';
import type { JsonRpcMessage, RequestId } from '@sanctum/protocol';
import type { Subscription } from 'rxjs';
import { ReplayBuffer } from './replay-buffer';
import type { OutgoingMessage, Session } from './session';
import { SessionRegistry } from './session-registry';
import { SESSIONS_LOGGER, SESSIONS_OPTIONS, STREAMABLE_HTTP_LOG_CONTEXT } from './sessions.constants';
import type { SessionsModuleOptions } from './sessions.module-definition';
import { formatSseEvent } from './sse';
import { SSE_RETRY_MS } from './sse-sink';
import type { SseStream } from './sse-sink';
import { ENTRY_ID, SessionBus, entryIdAfter } from './redis/session-bus';
import type { Holding, StreamEntry } from './redis/session-bus';

/** Stream id of a session's standalone GET stream in event ids (`g_<seq>`); POST streams are `p<n>`. */
export const STANDALONE_STREAM = 'g';

/**
 * Priming events (an id with empty data) came with 2025-11-25; clients of earlier revisions may
 * try to parse the empty data as JSON, so they get only the `retry:` field.
 */
export function sendsPrimingEvent(protocolVersion: string): boolean {
  return protocolVersion >= '2025-11-25';
}

/** An SSE-mode POST: its responses (and related notifications) are events of stream `id`. */
export interface PostStream {
  readonly id: string;
  readonly requestIds: readonly RequestId[];
  sink: SseStream | null;
  /** With a shared store: the newest entry written to `sink` (a resumed stream skips what it replayed). */
  lastId?: string;
  /** With a shared store: the request ids (as JSON) registered with the bus whose final response is still owed. */
  registered?: Set<string>;
}

/**
 * A POST about to be answered with JSON whose requests may yet send the client a request of their
 * own (elicitation, sampling, roots): the first such request opens the POST's SSE stream (`post`),
 * and the responses then go on it.
 */
export interface DeferredPost {
  readonly requestIds: readonly RequestId[];
  readonly open: () => { sink: SseStream; protocolVersion: string };
  post: PostStream | undefined;
}

export interface ResumeResult {
  streamId: string;
  replayed: number;
  /** False when the replay buffer had already dropped events after the given id. */
  complete: boolean;
  /**
   * With a shared store, a replay with a gap is refused instead (no stream opened): the events
   * after the id were trimmed (MCP_REDIS_STREAM_MAXLEN).
   */
  refused?: boolean;
}

/** A stream of this session that this instance serves from the shared store's entries. */
interface HeldTarget {
  sink: SseStream;
  lastId: string;
}

/**
 * The Streamable HTTP side of one session: every message `session.send()` emits gets an event id
 * and a place in the session's replay buffer, then goes out on the stream it belongs to (the POST
 * stream of its related request, else the standalone GET stream) if that stream is connected.
 */
export class SessionStreams {
  readonly buffer = new ReplayBuffer();
  /** Last request, stream open or stream close (ms since epoch). */
  lastActivity = Date.now();
  private standalone: SseStream | null = null;
  private readonly posts = new Map<string, PostStream>();
  private readonly requestStreams = new Map<RequestId, string>();
  private readonly deferred = new Map<RequestId, DeferredPost>();
  private nextPost = 1;
  /** With a shared store, letters that make this copy's POST stream ids unique among the instances. */
  private readonly postTag: string;
  private pending = 0;
  private disposed = false;
  private readonly subscription: Subscription | undefined;
  /** Streams served from the shared store's entries, by the `to` of their entries. */
  private readonly targets = new Map<string, HeldTarget>();
  private holding: Holding | undefined;

  /**
   * @param bus with sessions shared between instances (MCP_REDIS_URL): every event is an entry of
   *   the session's Redis stream, its id the entry id, so that any instance can resume any stream;
   *   the GET stream is held under a lease and fed from the stream (a message produced on another
   *   instance reaches it), POST streams are written here as their entries are stored.
   */
  constructor(
    readonly session: Session,
    private readonly hooks: { dropped(message: JsonRpcMessage, err?: Error): void; disposed(): void },
    private readonly bus: SessionBus | null = null,
  ) {
    this.postTag = bus === null ? '' : randomBytes(6).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
    this.subscription = session.outgoing.subscribe({ next: (out) => this.route(out), complete: () => this.dispose() });
  }

  get hasStandaloneStream(): boolean {
    return this.standalone !== null;
  }

  get pendingRequests(): number {
    return this.pending;
  }

  /** No request running, no GET stream open, and nothing happened for `timeoutMs`. */
  isIdle(now: number, timeoutMs: number): boolean {
    return this.standalone === null && this.pending === 0 && now - this.lastActivity >= timeoutMs;
  }

  /**
   * When the session was last used, or undefined while it is in use: a GET or POST stream of its
   * client connected, a request or a call running. The registry may evict it at a cap meanwhile.
   */
  idleSince(): number | undefined {
    if (this.disposed || this.standalone !== null || this.pending > 0 || this.session.inFlightCount > 0) return undefined;
    for (const post of this.posts.values()) if (post.sink !== null) return undefined;
    return this.lastActivity;
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  beginRequest(): void {
    this.pending += 1;
    this.touch();
  }

  endRequest(): void {
    this.pending = Math.max(0, this.pending - 1);
    this.touch();
  }

  /**
   * Whether a new GET stream may open: none is open here, and with a shared store no other
   * instance holds the session's GET stream lease (taken here when free).
   */
  async claimStandalone(): Promise<boolean> {
    if (this.standalone !== null) return false;
    if (this.bus === null) return true;
    return this.bus.acquireLease(this.session.id, false);
  }

  /** Attach a new standalone GET stream: priming event (2025-11-25) or a `retry:` line alone first. */
  openStandalone(sink: SseStream, protocolVersion: string): void {
    this.attachStandalone(sink);
    this.prime(sink, STANDALONE_STREAM, protocolVersion);
  }

  /** With a shared store: renew the GET stream's lease; a stream whose lease another instance took is ended. */
  async renewLease(): Promise<void> {
    const held = this.targets.get(STANDALONE_STREAM);
    if (this.bus === null || held === undefined) return;
    if (!(await this.bus.renewLease(this.session.id)) && this.targets.get(STANDALONE_STREAM) === held) held.sink.end();
  }

  /**
   * Resume the stream a `Last-Event-ID` names: replay its later events, then keep the new
   * response as that stream (the standalone stream, or a POST stream still waiting for its
   * responses); a finished POST stream ends after the replay. Undefined (and `open` not called)
   * when the id was not issued in this session.
   */
  async resume(lastEventId: string, open: () => SseStream): Promise<ResumeResult | undefined> {
    if (this.bus !== null) return this.resumeShared(this.bus, lastEventId, open);
    const replay = this.buffer.replayAfter(lastEventId);
    if (!replay) return undefined;
    const sink = open();
    sink.write(`retry: ${SSE_RETRY_MS}\n\n`);
    for (const event of replay.events) sink.write(formatSseEvent({ id: event.id, event: 'message', data: event.data }));
    if (replay.streamId === STANDALONE_STREAM) {
      // A client resuming says its previous GET stream is dead, even if we still hold it open.
      this.attachStandalone(sink);
    } else {
      const post = this.posts.get(replay.streamId);
      if (post) {
        if (post.sink && post.sink !== sink) post.sink.end();
        this.attachPost(post, sink);
      } else {
        sink.end();
      }
    }
    this.touch();
    return { streamId: replay.streamId, replayed: replay.events.length, complete: replay.complete };
  }

  /** Start an SSE-mode POST stream for these requests. */
  openPost(requestIds: readonly RequestId[], sink: SseStream, protocolVersion: string): PostStream {
    // Shared: every instance numbers its own POST streams of the session, so the id carries a tag of this copy.
    const post: PostStream = { id: `p${this.nextPost++}${this.postTag}`, requestIds, sink: null };
    if (this.bus !== null) {
      // The calls are registered with this instance: if it stops, another answers each once on this stream.
      post.registered = new Set(requestIds.map((id) => stringifyExact(id)));
      for (const id of post.registered) this.bus.registerCall(this.session.id, id, post.id);
    }
    this.posts.set(post.id, post);
    for (const id of requestIds) this.requestStreams.set(id, post.id);
    this.attachPost(post, sink);
    this.prime(sink, post.id, protocolVersion);
    return post;
  }

  /**
   * A POST answered with JSON unless one of its requests sends the client a request first: then
   * `open` gives its SSE stream, which carries that request and everything after, its responses
   * included (the caller emits them with emitOnPost and ends it with finishPost). Forget it with
   * settleDeferred once answered.
   */
  deferPost(requestIds: readonly RequestId[], open: DeferredPost['open']): DeferredPost {
    const deferred: DeferredPost = { requestIds, open, post: undefined };
    for (const id of requestIds) this.deferred.set(id, deferred);
    return deferred;
  }

  settleDeferred(deferred: DeferredPost): void {
    for (const id of deferred.requestIds) if (this.deferred.get(id) === deferred) this.deferred.delete(id);
  }

  /** Send a message on a POST stream (stored for replay even when the client is not connected). */
  emitOnPost(post: PostStream, message: JsonRpcMessage): void {
    if (this.bus !== null) this.emitShared(this.bus, post.id, post, message);
    else this.emit(post.id, post.sink, message);
  }

  /** Every response of the POST has been sent: end its stream. */
  finishPost(post: PostStream): void {
    if (this.bus !== null) {
      // After the entries before it are stored and written: replies come back in order. The end
      // entry tells an instance that resumed this stream elsewhere to end it too.
      const done = (): void => this.endPost(post);
      for (const id of post.registered ?? []) this.bus.unregisterCall(this.session.id, id);
      this.bus.append(this.session.id, post.id, 'e', '').then(done, done);
      return;
    }
    this.endPost(post);
  }

  private endPost(post: PostStream): void {
    this.posts.delete(post.id);
    for (const id of post.requestIds) if (this.requestStreams.get(id) === post.id) this.requestStreams.delete(id);
    post.sink?.end();
    post.sink = null;
  }

  /** End every stream; called when the session closes. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
    this.subscription?.unsubscribe();
    const sinks = [this.standalone, ...[...this.posts.values()].map((p) => p.sink)];
    this.standalone = null;
    this.posts.clear();
    this.requestStreams.clear();
    this.deferred.clear();
    this.buffer.clear();
    for (const sink of sinks) sink?.end();
    this.hooks.disposed();
  }

  private route({ message, relatedRequestId }: OutgoingMessage): void {
    let postId = relatedRequestId === undefined ? undefined : this.requestStreams.get(relatedRequestId);
    const deferred = postId === undefined && relatedRequestId !== undefined ? this.deferred.get(relatedRequestId) : undefined;
    if (deferred && deferred.post === undefined && isRequest(message)) {
      // A request to the client before the POST's response: the POST becomes an SSE stream.
      const { sink, protocolVersion } = deferred.open();
      deferred.post = this.openPost(deferred.requestIds, sink, protocolVersion);
      postId = deferred.post.id;
    }
    const post = postId === undefined ? undefined : this.posts.get(postId);
    if (post) {
      this.emitOnPost(post, message);
      return;
    }
    // The standalone stream never carries responses (MCP: only when resuming a POST's stream).
    if (isResponse(message)) {
      this.hooks.dropped(message);
      return;
    }
    if (this.bus !== null) this.emitShared(this.bus, STANDALONE_STREAM, undefined, message);
    else this.emit(STANDALONE_STREAM, this.standalone, message);
  }

  /**
   * Store the message as an entry of the session's shared stream; a POST stream of this instance
   * is written once it is stored (its entry id is the event id). GET stream entries are written
   * by the instance holding that stream, which reads them (perhaps this one).
   */
  private emitShared(bus: SessionBus, streamId: string, post: PostStream | undefined, message: JsonRpcMessage): void {
    const data = stringifyExact(message);
    const final = post?.registered !== undefined && isResponse(message) ? stringifyExact(message.id) : undefined;
    const stored =
      final !== undefined && post?.registered?.delete(final)
        ? bus.finish(this.session.id, final, streamId, data)
        : bus.append(this.session.id, streamId, 'm', data);
    stored.then(
      (id) => {
        if (id === null || post === undefined || post.sink === null) return;
        if (post.lastId !== undefined && !entryIdAfter(id, post.lastId)) return; // replayed already
        post.lastId = id;
        post.sink.write(formatSseEvent({ id, event: 'message', data }));
      },
      (err: Error) => this.hooks.dropped(message, err),
    );
  }

  /** `resume` with a shared store: the entries after `lastEventId`, from whichever instance stored them. */
  private async resumeShared(bus: SessionBus, lastEventId: string, open: () => SseStream): Promise<ResumeResult | undefined> {
    const id = lastEventId.trim();
    if (!ENTRY_ID.test(id)) return undefined;
    const sessionId = this.session.id;
    // One read: the entry the id names (first, when the stream still has it) and everything after it.
    const [entry, ...later] = await bus.readFrom(sessionId, id);
    if (entry?.id !== id) {
      // Older than the oldest kept entry: trimmed (MAXLEN), the events after it partly lost.
      // Otherwise never issued in this session (ids are only removed by trimming, oldest first).
      const first = await bus.firstEntryId(sessionId);
      const trimmed = first !== undefined && entryIdAfter(first, id);
      return trimmed ? { streamId: '', replayed: 0, complete: false, refused: true } : undefined;
    }
    const streamId = entry.to;
    const lastRead = later.length > 0 ? later[later.length - 1].id : id;
    const mine = later.filter((e) => e.to === streamId);
    const sink = open();
    sink.write(`retry: ${SSE_RETRY_MS}\n\n`);
    let replayed = 0;
    let ended = false;
    for (const e of mine) {
      if (e.kind === 'e') ended = true;
      if (e.kind !== 'm') continue;
      sink.write(formatSseEvent({ id: e.id, event: 'message', data: e.data }));
      replayed++;
    }
    this.touch();
    if (streamId === STANDALONE_STREAM) {
      // A client resuming says its previous GET stream is dead: take the lease over from wherever it was.
      await bus.acquireLease(sessionId, true);
      this.attachStandalone(sink, lastRead);
      return { streamId, replayed, complete: true };
    }
    const post = this.posts.get(streamId);
    if (post) {
      if (post.sink && post.sink !== sink) post.sink.end();
      post.lastId = lastRead;
      this.attachPost(post, sink);
    } else if (ended) sink.end();
    else this.hold(streamId, sink, lastRead); // a POST stream of another instance, still running there
    return { streamId, replayed, complete: true };
  }

  /** Serve `to`'s entries on `sink` from the shared stream, after `lastId`. */
  private hold(to: string, sink: SseStream, lastId: string): void {
    const bus = this.bus as SessionBus;
    this.targets.set(to, { sink, lastId });
    if (to === STANDALONE_STREAM) bus.getStreamsHeld.add(this.session.id);
    if (this.holding === undefined) {
      const targets = this.targets;
      this.holding = {
        get lastId(): string {
          let min: string | undefined;
          for (const target of targets.values()) if (min === undefined || entryIdAfter(min, target.lastId)) min = target.lastId;
          return min ?? '0-0';
        },
        deliver: (entries) => this.deliverHeld(entries),
      };
    }
    bus.hold(this.session.id, this.holding);
    sink.onClose(() => this.unhold(to, sink));
  }

  private deliverHeld(entries: StreamEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      const target = this.targets.get(entry.to);
      if (target === undefined || !entryIdAfter(entry.id, target.lastId)) continue;
      target.lastId = entry.id;
      if (entry.kind === 'm') target.sink.write(formatSseEvent({ id: entry.id, event: 'message', data: entry.data }));
      else if (entry.kind === 'e') target.sink.end();
    }
    const newest = entries[entries.length - 1].id;
    for (const target of this.targets.values()) if (entryIdAfter(newest, target.lastId)) target.lastId = newest;
  }

  private unhold(to: string, sink: SseStream): void {
    const bus = this.bus as SessionBus;
    if (this.targets.get(to)?.sink !== sink) return;
    this.targets.delete(to);
    if (to === STANDALONE_STREAM) {
      bus.getStreamsHeld.delete(this.session.id);
      bus.releaseLease(this.session.id);
    }
    if (this.targets.size === 0 && this.holding !== undefined) {
      bus.unhold(this.session.id, this.holding);
      this.holding = undefined;
    }
  }

  /** With a shared store: give up what this instance holds of the session (its lease, its reading). */
  private release(): void {
    const bus = this.bus;
    if (bus === null) return;
    if (this.targets.has(STANDALONE_STREAM)) {
      bus.getStreamsHeld.delete(this.session.id);
      bus.releaseLease(this.session.id);
    }
    this.targets.clear();
    if (this.holding !== undefined) bus.unhold(this.session.id, this.holding);
    this.holding = undefined;
  }

  private emit(streamId: string, sink: SseStream | null, message: JsonRpcMessage): void {
    const event = this.buffer.append(streamId, stringifyExact(message));
    sink?.write(formatSseEvent({ id: event.id, event: 'message', data: event.data }));
  }

  private prime(sink: SseStream, streamId: string, protocolVersion: string): void {
    if (this.bus !== null) {
      this.primeShared(this.bus, sink, streamId, protocolVersion);
      return;
    }
    sink.write(
      sendsPrimingEvent(protocolVersion)
        ? formatSseEvent({ id: this.buffer.nextId(streamId), retry: SSE_RETRY_MS, data: '' })
        : `retry: ${SSE_RETRY_MS}\n\n`,
    );
  }

  /**
   * With a shared store, the priming event's id is a real entry (so a client can resume from
   * it anywhere), and a GET stream is fed from the entries after it.
   */
  private primeShared(bus: SessionBus, sink: SseStream, streamId: string, protocolVersion: string): void {
    const priming = sendsPrimingEvent(protocolVersion);
    if (!priming) sink.write(`retry: ${SSE_RETRY_MS}\n\n`);
    const post = this.posts.get(streamId);
    bus.append(this.session.id, streamId, 'p', '').then(
      (id) => {
        if (id === null) return;
        if (priming) sink.write(formatSseEvent({ id, retry: SSE_RETRY_MS, data: '' }));
        if (post !== undefined) post.lastId ??= id;
        if (streamId === STANDALONE_STREAM && this.standalone === sink) this.hold(STANDALONE_STREAM, sink, id);
      },
      () => sink.end(),
    );
  }

  private attachStandalone(sink: SseStream, sharedFrom?: string): void {
    const previous = this.standalone;
    this.standalone = sink;
    if (previous && previous !== sink) previous.end();
    if (sharedFrom !== undefined) this.hold(STANDALONE_STREAM, sink, sharedFrom);
    sink.onClose(() => {
      if (this.standalone === sink) this.standalone = null;
      this.touch();
    });
  }

  private attachPost(post: PostStream, sink: SseStream): void {
    post.sink = sink;
    sink.onClose(() => {
      if (post.sink === sink) post.sink = null;
      this.touch();
    });
  }
}

/**
 * The Streamable HTTP state of every session of that transport, and the idle reaper that ends
 * sessions with no request and no open GET stream for MCP_SESSION_IDLE_TIMEOUT. Before that, a
 * key (or the gateway) at its session cap may evict them (`SessionRegistry.evictable`).
 */
@Injectable()
export class StreamableHttpStreams implements OnModuleInit, OnModuleDestroy {
  private readonly states = new Map<string, SessionStreams>();
  private reaper: NodeJS.Timeout | undefined;
  private leases: NodeJS.Timeout | undefined;

  /** ms without a request or an open GET stream after which a session is reaped; 0 = never. */
  readonly idleTimeoutMs: number;

  constructor(
    private readonly sessions: SessionRegistry,
    @Inject(SESSIONS_OPTIONS) options: Pick<SessionsModuleOptions, 'idleTimeoutMs'>,
    @Inject(SESSIONS_LOGGER) private readonly logger: LoggerService,
    @Optional() @Inject(SessionBus) private readonly bus: SessionBus | null = null,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  onModuleInit(): void {
    const timeout = this.idleTimeoutMs;
    if (timeout <= 0) {
      this.renewLeases();
      return;
    }
    // Check often enough that a session outlives its timeout by at most a quarter of it (and a minute).
    const every = Math.min(Math.max(Math.floor(timeout / 4), 50), 60_000);
    this.reaper = setInterval(() => this.reapIdle(), every);
    this.reaper.unref();
    this.renewLeases();
  }

  /** With a shared store: renew the lease of every GET stream held here, a third of its life apart. */
  private renewLeases(): void {
    const bus = this.bus;
    if (bus === null) return;
    this.leases = setInterval(() => {
      for (const streams of this.states.values()) void streams.renewLease().catch(() => undefined);
    }, Math.max(50, Math.floor(bus.leaseMs / 3)));
    this.leases.unref();
  }

  onModuleDestroy(): void {
    if (this.reaper) clearInterval(this.reaper);
    if (this.leases) clearInterval(this.leases);
    this.reaper = undefined;
    this.leases = undefined;
    // Open streams would keep the HTTP server from closing; in-flight calls are cancelled.
    for (const id of [...this.states.keys()]) {
      this.sessions.remove(id, { reason: 'server shutting down', note: 'server shutting down' });
      this.states.get(id)?.dispose();
    }
  }

  /** Start tracking a new session of this transport; from now on the registry may evict it while it is idle. */
  attach(session: Session): SessionStreams {
    const streams = new SessionStreams(
      session,
      {
        dropped: (message, err) => {
          if (err !== undefined) {
            this.logger.error(`Session ${session.id}: a message could not be stored in the shared store: ${err.message}`, STREAMABLE_HTTP_LOG_CONTEXT);
            return;
          }
          this.logger.debug?.(
            `Session ${session.id}: a response to ${stringifyExact((message as { id?: unknown }).id)} had no stream to go on; dropped.`,
            STREAMABLE_HTTP_LOG_CONTEXT,
          );
        },
        disposed: () => {
          if (this.states.get(session.id) === streams) this.states.delete(session.id);
        },
      },
      this.bus,
    );
    this.states.set(session.id, streams);
    this.sessions.evictable(session, () => streams.idleSince());
    return streams;
  }

  get(sessionId: string): SessionStreams | undefined {
    return this.states.get(sessionId);
  }

  /** The streams of `session`, started here when its session came from another instance (shared store). */
  of(session: Session): SessionStreams | undefined {
    const streams = this.states.get(session.id);
    if (streams !== undefined || session.closed || this.bus === null) return streams;
    return this.attach(session);
  }

  /** End idle sessions now; returns their ids. */
  reapIdle(now = Date.now()): string[] {
    const timeout = this.idleTimeoutMs;
    if (timeout <= 0) return [];
    const ended: string[] = [];
    const ending = { reason: 'session idle timeout', note: `idle: no request or open stream for ${timeout / 1000} s`, idle: true };
    for (const [id, streams] of [...this.states]) {
      if (!streams.isIdle(now, timeout)) continue;
      if (this.sessions.remove(id, ending)) ended.push(id);
      streams.dispose();
    }
    return ended;
  }
}
