import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import { JSONRPC_VERSION, Method } from '@sanctum/protocol';
import type { JsonRpcErrorObject, JsonRpcMessage, JsonRpcResponse, LoggingLevel, ProtocolVersion, RequestId } from '@sanctum/protocol';

export type TransportKind = 'sse' | 'streamable-http' | 'stdio' | 'stateless';

/** A message queued for a session's stream. `id` is the SSE event id when the transport uses one. */
export interface OutgoingMessage {
  message: JsonRpcMessage;
  /**
   * The client request this message belongs to (e.g. a progress notification of a tools/call).
   * Streamable HTTP sends it on that request's SSE response stream when there is one.
   */
  relatedRequestId?: RequestId;
}

/**
 * What a session shared between instances (MCP_REDIS_URL) tells the shared store. Sessions of
 * one process have none.
 */
export interface SessionPeer {
  /** The negotiated version, client info, log level or `initialized` changed: store them for the other instances. */
  changed(session: Session): void;
  /** A call started in this session on this instance. */
  callStarted(session: Session, requestId: RequestId): void;
  /** Cancel a call this instance does not run (another instance may). */
  cancelElsewhere(session: Session, requestId: RequestId, reason: string): void;
  /** A client's response to a request this instance did not send (another instance waits for it). */
  responseElsewhere(session: Session, response: JsonRpcResponse): void;
}

/** The client's answer to a request the server sent it: its result, or its JSON-RPC error. */
export type ClientAnswer = { result: unknown } | { error: JsonRpcErrorObject };

export interface ClientRequestOptions {
  /** The client request it is made for (Streamable HTTP sends it on that request's stream). */
  relatedRequestId?: RequestId;
  /** Aborting stops the wait (the client is told with notifications/cancelled). */
  signal?: AbortSignal;
  /** Stop waiting after this long (0 or undefined: no limit). */
  timeoutMs?: number;
}

/** Why a request to the client got no answer. */
export class ClientRequestEnded extends Error {
  constructor(
    readonly reason: 'cancelled' | 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'ClientRequestEnded';
  }
}

interface PendingClientRequest {
  settle(answer: ClientAnswer): void;
}

export interface SendOptions {
  relatedRequestId?: RequestId;
}

/**
 * A direct consumer of a session's outgoing messages, called synchronously on every send and
 * once when the session closes. A transport that only forwards frames (HTTP+SSE) attaches one
 * instead of subscribing to `outgoing`, which saves it an RxJS subscription per session.
 */
export interface SessionConsumer {
  next(out: OutgoingMessage): void;
  complete(): void;
}

/**
 * One client connection, whatever the transport: its id, negotiated protocol version, the
 * Subject its outgoing messages flow through, and the in-flight calls it owns (so that closing
 * the session cancels them).
 *
 * Idle sessions are kept cheap (10,000 HTTP+SSE sessions are a target): the `outgoing` Subject is
 * created when something first asks for it, the in-flight map when the first call is tracked.
 */
export class Session {
  readonly createdAt = Date.now();
  protocolVersion: ProtocolVersion | undefined;
  clientInfo: { name?: string; version?: string } | undefined;
  initialized = false;
  /** Threshold for `notifications/message` (set by logging/setLevel). */
  logLevel: LoggingLevel = 'info';
  /** Who opened the session (an API key's name); only the same principal may use it. */
  owner: string | undefined;
  /** The `X-Agent-Id` header of the request that opened it (Letta sends its agent's id). */
  agentId: string | undefined;
  /** The profile endpoint it was opened through (`/profiles/<name>/...`): it narrows the owner's tools. */
  profileEndpoint: string | undefined;
  /** The capabilities the client declared (initialize, or a 2026-07-28 request's `_meta`). */
  clientCapabilities: Record<string, unknown> | undefined;
  /** The shared store's side of this session, when sessions are shared between instances. */
  peer: SessionPeer | undefined = undefined;
  private subject: Subject<OutgoingMessage> | undefined = undefined;
  private consumer: SessionConsumer | undefined = undefined;
  private inFlight: Map<RequestId, AbortController> | undefined = undefined;
  /** Requests sent to the client and not yet answered, by their id. */
  private pending: Map<string, PendingClientRequest> | undefined = undefined;
  private closedFlag = false;

  constructor(
    readonly id: string,
    readonly transport: TransportKind,
  ) {}

  /**
   * The stream of outgoing messages (hot: a subscriber sees what is sent after it subscribed).
   * Completes when the session closes; a late subscriber of a closed session sees completion at once.
   */
  get outgoing(): Subject<OutgoingMessage> {
    let subject = this.subject;
    if (subject === undefined) {
      subject = this.subject = new Subject<OutgoingMessage>();
      if (this.closedFlag) subject.complete();
    }
    return subject;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get inFlightCount(): number {
    return this.inFlight?.size ?? 0;
  }

  send(message: JsonRpcMessage, options: SendOptions = {}): void {
    if (this.closedFlag) return;
    const subject = this.subject;
    const consumer = this.consumer;
    if (subject === undefined && consumer === undefined) return; // nobody listens: dropped, as a Subject would
    const out: OutgoingMessage =
      options.relatedRequestId === undefined ? { message } : { message, relatedRequestId: options.relatedRequestId };
    consumer?.next(out);
    subject?.next(out);
  }

  /**
   * Attach the session's direct consumer (at most one; `outgoing` subscribers are independent of
   * it). On a closed session it completes at once.
   */
  attach(consumer: SessionConsumer): void {
    if (this.consumer !== undefined && this.consumer !== consumer) throw new Error(`session ${this.id} already has a direct consumer`);
    if (this.closedFlag) {
      consumer.complete();
      return;
    }
    this.consumer = consumer;
  }

  /** Detach the direct consumer (it is not completed). No-op if it is not the attached one. */
  detach(consumer: SessionConsumer): void {
    if (this.consumer === consumer) this.consumer = undefined;
  }

  /** Whether a call with this request id is running in this session. */
  isTracking(requestId: RequestId): boolean {
    return this.inFlight?.has(requestId) ?? false;
  }

  /** Register a call; the returned signal aborts when the call is cancelled or the session closes. */
  track(requestId: RequestId): AbortSignal {
    const controller = new AbortController();
    (this.inFlight ??= new Map()).set(requestId, controller);
    if (this.closedFlag) controller.abort(new Error('session closed'));
    else this.peer?.callStarted(this, requestId);
    return controller.signal;
  }

  /** Tell the shared store that the negotiated version, client info, log level or `initialized` changed. */
  changed(): void {
    this.peer?.changed(this);
  }

  untrack(requestId: RequestId): void {
    this.inFlight?.delete(requestId);
  }

  /** Cancel one in-flight call; false when no such call is running. */
  cancel(requestId: RequestId, reason = 'cancelled by the client'): boolean {
    const controller = this.inFlight?.get(requestId);
    if (!controller) {
      this.peer?.cancelElsewhere(this, requestId, reason);
      return false;
    }
    controller.abort(new Error(reason));
    return true;
  }

  /** Cancel every in-flight call, keeping the session open. */
  cancelAll(reason = 'cancelled'): void {
    if (this.inFlight === undefined) return;
    for (const controller of this.inFlight.values()) controller.abort(new Error(reason));
  }

  /** Requests sent to the client that wait for its answer. */
  get pendingClientRequests(): number {
    return this.pending?.size ?? 0;
  }

  /**
   * Send a request to the client (elicitation/create, sampling/createMessage, roots/list) and wait
   * for its response. Rejects with ClientRequestEnded when the wait is aborted, times out or the
   * session closes; the client is then told with notifications/cancelled (not when it closed).
   */
  request(method: string, params: Record<string, unknown>, options: ClientRequestOptions = {}): Promise<ClientAnswer> {
    if (this.closedFlag) return Promise.reject(new ClientRequestEnded('closed', 'the session is closed'));
    const { signal, timeoutMs, relatedRequestId } = options;
    if (signal?.aborted) return Promise.reject(new ClientRequestEnded('cancelled', 'the call was cancelled'));
    const id = `srv-${randomUUID()}`;
    const related: SendOptions = relatedRequestId === undefined ? {} : { relatedRequestId };
    return new Promise<ClientAnswer>((resolve, reject) => {
      const pending = (this.pending ??= new Map<string, PendingClientRequest>());
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const end = (reason: 'cancelled' | 'timeout', message: string): void => {
        done();
        this.send({ jsonrpc: JSONRPC_VERSION, method: Method.Cancelled, params: { requestId: id, reason: message } }, related);
        reject(new ClientRequestEnded(reason, message));
      };
      const onAbort = (): void => {
        const why = signal?.reason instanceof Error ? signal.reason.message : 'the call was cancelled';
        if (this.closedFlag) {
          done();
          reject(new ClientRequestEnded('closed', why));
        } else end('cancelled', why);
      };
      pending.set(id, {
        settle: (answer: ClientAnswer) => {
          done();
          resolve(answer);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(() => end('timeout', `no answer from the client within ${formatSeconds(timeoutMs)}`), timeoutMs);
        timer.unref();
      }
      this.send({ jsonrpc: JSONRPC_VERSION, id, method, params }, related);
    });
  }

  /**
   * A response from the client: settles the request it answers when this copy of the session sent
   * it, else hands it to the shared store (another instance may wait for it). False when nobody here waits.
   */
  receive(response: JsonRpcResponse): boolean {
    if (this.settle(response)) return true;
    this.peer?.responseElsewhere(this, response);
    return false;
  }

  /** Settle a request this copy sent (the shared store's delivery of a relayed response). */
  settle(response: JsonRpcResponse): boolean {
    const id = response.id;
    const pending = typeof id === 'string' ? this.pending?.get(id) : undefined;
    if (!pending) return false;
    pending.settle('error' in response ? { error: response.error } : { result: response.result });
    return true;
  }

  /** End the session: abort every in-flight call and complete the stream. Idempotent. */
  close(reason = 'session closed'): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.inFlight !== undefined) {
      for (const controller of this.inFlight.values()) controller.abort(new Error(reason));
      this.inFlight.clear();
    }
    const consumer = this.consumer;
    this.consumer = undefined;
    consumer?.complete();
    this.subject?.complete();
  }
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
