import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { isResponse, stringifyExact } from '@sanctum/protocol';
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
}

export interface ResumeResult {
  streamId: string;
  replayed: number;
  /** False when the replay buffer had already dropped events after the given id. */
  complete: boolean;
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
  private nextPost = 1;
  private pending = 0;
  private disposed = false;
  private readonly subscription: Subscription | undefined;

  constructor(
    readonly session: Session,
    private readonly hooks: { dropped(message: JsonRpcMessage): void; disposed(): void },
  ) {
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

  /** Attach a new standalone GET stream: priming event (2025-11-25) or a `retry:` line alone first. */
  openStandalone(sink: SseStream, protocolVersion: string): void {
    this.attachStandalone(sink);
    this.prime(sink, STANDALONE_STREAM, protocolVersion);
  }

  /**
   * Resume the stream a `Last-Event-ID` names: replay its later events, then keep the new
   * response as that stream (the standalone stream, or a POST stream still waiting for its
   * responses); a finished POST stream ends after the replay. Undefined (and `open` not called)
   * when the id was not issued in this session.
   */
  resume(lastEventId: string, open: () => SseStream): ResumeResult | undefined {
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
    const post: PostStream = { id: `p${this.nextPost++}`, requestIds, sink: null };
    this.posts.set(post.id, post);
    for (const id of requestIds) this.requestStreams.set(id, post.id);
    this.attachPost(post, sink);
    this.prime(sink, post.id, protocolVersion);
    return post;
  }

  /** Send a message on a POST stream (stored for replay even when the client is not connected). */
  emitOnPost(post: PostStream, message: JsonRpcMessage): void {
    this.emit(post.id, post.sink, message);
  }

  /** Every response of the POST has been sent: end its stream. */
  finishPost(post: PostStream): void {
    this.posts.delete(post.id);
    for (const id of post.requestIds) if (this.requestStreams.get(id) === post.id) this.requestStreams.delete(id);
    post.sink?.end();
    post.sink = null;
  }

  /** End every stream; called when the session closes. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription?.unsubscribe();
    const sinks = [this.standalone, ...[...this.posts.values()].map((p) => p.sink)];
    this.standalone = null;
    this.posts.clear();
    this.requestStreams.clear();
    this.buffer.clear();
    for (const sink of sinks) sink?.end();
    this.hooks.disposed();
  }

  private route({ message, relatedRequestId }: OutgoingMessage): void {
    const postId = relatedRequestId === undefined ? undefined : this.requestStreams.get(relatedRequestId);
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
    this.emit(STANDALONE_STREAM, this.standalone, message);
  }

  private emit(streamId: string, sink: SseStream | null, message: JsonRpcMessage): void {
    const event = this.buffer.append(streamId, stringifyExact(message));
    sink?.write(formatSseEvent({ id: event.id, event: 'message', data: event.data }));
  }

  private prime(sink: SseStream, streamId: string, protocolVersion: string): void {
    sink.write(
      sendsPrimingEvent(protocolVersion)
        ? formatSseEvent({ id: this.buffer.nextId(streamId), retry: SSE_RETRY_MS, data: '' })
        : `retry: ${SSE_RETRY_MS}\n\n`,
    );
  }

  private attachStandalone(sink: SseStream): void {
    const previous = this.standalone;
    this.standalone = sink;
    if (previous && previous !== sink) previous.end();
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

  /** ms without a request or an open GET stream after which a session is reaped; 0 = never. */
  readonly idleTimeoutMs: number;

  constructor(
    private readonly sessions: SessionRegistry,
    @Inject(SESSIONS_OPTIONS) options: Pick<SessionsModuleOptions, 'idleTimeoutMs'>,
    @Inject(SESSIONS_LOGGER) private readonly logger: LoggerService,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  onModuleInit(): void {
    const timeout = this.idleTimeoutMs;
    if (timeout <= 0) return;
    // Check often enough that a session outlives its timeout by at most a quarter of it (and a minute).
    const every = Math.min(Math.max(Math.floor(timeout / 4), 50), 60_000);
    this.reaper = setInterval(() => this.reapIdle(), every);
    this.reaper.unref();
  }

  onModuleDestroy(): void {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    // Open streams would keep the HTTP server from closing; in-flight calls are cancelled.
    for (const id of [...this.states.keys()]) {
      this.sessions.remove(id, { reason: 'server shutting down', note: 'server shutting down' });
      this.states.get(id)?.dispose();
    }
  }

  /** Start tracking a new session of this transport; from now on the registry may evict it while it is idle. */
  attach(session: Session): SessionStreams {
    const streams = new SessionStreams(session, {
      dropped: (message) =>
        this.logger.debug?.(
          `Session ${session.id}: a response to ${stringifyExact((message as { id?: unknown }).id)} had no stream to go on; dropped.`,
          STREAMABLE_HTTP_LOG_CONTEXT,
        ),
      disposed: () => {
        if (this.states.get(session.id) === streams) this.states.delete(session.id);
      },
    });
    this.states.set(session.id, streams);
    this.sessions.evictable(session, () => streams.idleSince());
    return streams;
  }

  get(sessionId: string): SessionStreams | undefined {
    return this.states.get(sessionId);
  }

  /** End idle sessions now; returns their ids. */
  reapIdle(now = Date.now()): string[] {
    const timeout = this.idleTimeoutMs;
    if (timeout <= 0) return [];
    const ended: string[] = [];
    const ending = { reason: 'session idle timeout', note: `idle: no request or open stream for ${timeout / 1000} s` };
    for (const [id, streams] of [...this.states]) {
      if (!streams.isIdle(now, timeout)) continue;
      if (this.sessions.remove(id, ending)) ended.push(id);
      streams.dispose();
    }
    return ended;
  }
}
