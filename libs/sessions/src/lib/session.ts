import { Subject } from 'rxjs';
import type { JsonRpcMessage, LoggingLevel, ProtocolVersion, RequestId } from '@sanctum/protocol';

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

export interface SendOptions {
  relatedRequestId?: RequestId;
}

/**
 * One client connection, whatever the transport: its id, negotiated protocol version, the
 * Subject its outgoing messages flow through, and the in-flight calls it owns (so that closing
 * the session cancels them).
 */
export class Session {
  readonly outgoing = new Subject<OutgoingMessage>();
  readonly createdAt = Date.now();
  protocolVersion: ProtocolVersion | undefined;
  clientInfo: { name?: string; version?: string } | undefined;
  initialized = false;
  /** Threshold for `notifications/message` (set by logging/setLevel). */
  logLevel: LoggingLevel = 'info';
  /** Who opened the session (an API key's name); only the same principal may use it. */
  owner: string | undefined;
  private readonly inFlight = new Map<RequestId, AbortController>();
  private closedFlag = false;

  constructor(
    readonly id: string,
    readonly transport: TransportKind,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  send(message: JsonRpcMessage, options: SendOptions = {}): void {
    if (this.closedFlag) return;
    this.outgoing.next(options.relatedRequestId === undefined ? { message } : { message, relatedRequestId: options.relatedRequestId });
  }

  /** Whether a call with this request id is running in this session. */
  isTracking(requestId: RequestId): boolean {
    return this.inFlight.has(requestId);
  }

  /** Register a call; the returned signal aborts when the call is cancelled or the session closes. */
  track(requestId: RequestId): AbortSignal {
    const controller = new AbortController();
    this.inFlight.set(requestId, controller);
    if (this.closedFlag) controller.abort(new Error('session closed'));
    return controller.signal;
  }

  untrack(requestId: RequestId): void {
    this.inFlight.delete(requestId);
  }

  /** Cancel one in-flight call; false when no such call is running. */
  cancel(requestId: RequestId, reason = 'cancelled by the client'): boolean {
    const controller = this.inFlight.get(requestId);
    if (!controller) return false;
    controller.abort(new Error(reason));
    return true;
  }

  /** Cancel every in-flight call, keeping the session open. */
  cancelAll(reason = 'cancelled'): void {
    for (const controller of this.inFlight.values()) controller.abort(new Error(reason));
  }

  /** End the session: abort every in-flight call and complete the stream. Idempotent. */
  close(reason = 'session closed'): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const controller of this.inFlight.values()) controller.abort(new Error(reason));
    this.inFlight.clear();
    this.outgoing.complete();
  }
}
