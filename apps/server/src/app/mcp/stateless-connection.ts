import type { LoggerService } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ErrorCode, Method, StatelessMethod, RpcError, isNotification, isRequest, isRequestId, stringifyExact } from '@sanctum/protocol';
import type { HeaderLookup, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse, StatelessEnvelope, RequestId } from '@sanctum/protocol';
import type { ToolEntry } from '@sanctum/discovery';
import type { Session } from '@sanctum/sessions';
import type { Listener, StatelessProtocol } from './stateless-protocol.service';

/**
 * How a transport delivers what the 2026-07-28 handling says about one message: Streamable HTTP
 * answers its POST (JSON with a status, or an SSE stream once interim messages come first), stdio
 * writes lines.
 */
export interface StatelessReply {
  /**
   * Interim messages will precede the answer (progress, log lines, a listen stream): HTTP opens an
   * SSE stream. `sessionId` is the request's throwaway session (a listen stream has none).
   */
  openStream(sessionId?: string): void;
  /** An interim message (sent only after openStream()). */
  notify(message: JsonRpcMessage): void;
  /** The answer; `status` is for a transport that has one (HTTP), and unused once a stream is open. */
  answer(response: JsonRpcResponse, status: number): void;
  /** Nothing is owed (a notification, a stray response): HTTP answers 202. */
  accept(): void;
  /** The exchange of this message is over: HTTP ends its stream. */
  end(): void;
  /** Whether the client went away, so that an answer would reach nobody. */
  readonly closed: boolean;
  /** Runs `listener` once when the client goes away (at once if it has); stdio never does (its client cancels by request id). */
  onClose(listener: () => void): void;
}

/** Who sends the messages of a connection. */
export interface StatelessClient {
  /** The caller's principal (an API key's name): it owns the throwaway sessions and listen streams. */
  principal: string | undefined;
  /** Whether the session caps bound its listen streams: yes over HTTP (many clients), not on stdio (the one client of the process). */
  capped: boolean;
  /** Binds each throwaway session to the request's caller (its profiles); HTTP records the request's. */
  bind?: (session: Session) => void;
  /** A tool by name as the caller's profiles show it, for the checks made before the session exists. */
  tool?: (name: string) => ToolEntry | undefined;
}

interface Running {
  session: Session;
  /** The client cancelled it: MCP sends no response to a cancelled request. */
  cancelled: boolean;
}

/**
 * One client's messages in protocol revision 2026-07-28, whatever the transport: each request is
 * checked against its own `_meta` envelope (and against the HTTP headers when there are some),
 * refused when the revision lacks its method, and run in its own throwaway session, whose progress
 * and (when the request set a log level) log lines go out before the answer. The client cancels a
 * call by going away (HTTP: its plugin's process group is killed) or with `notifications/cancelled`
 * (no response follows), which also ends a subscriptions/listen of that request id.
 */
export class StatelessConnection {
  private readonly running = new Map<RequestId, Running>();
  private readonly listeners = new Map<RequestId, Listener>();

  constructor(
    private readonly protocol: StatelessProtocol,
    private readonly client: StatelessClient,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Handle one message of protocol revision 2026-07-28; resolves when its answer (if any) was
   * given. `header` reads the request headers of a transport that has them (HTTP).
   */
  async handle(message: JsonRpcMessage, reply: StatelessReply, header?: HeaderLookup): Promise<void> {
    if (!isRequest(message)) {
      // Over HTTP a notification must agree with its headers (refused with 400 and the id of a stray
      // response, else null); without headers (stdio) a notification is acted on, never answered.
      if (header) {
        try {
          this.protocol.check(message, header, this.client.tool);
        } catch (err) {
          if (!(err instanceof RpcError)) throw err;
          reply.answer(err.toResponse('id' in message && isRequestId(message.id) ? message.id : null), 400);
          return;
        }
      }
      if (isNotification(message) && message.method === Method.Cancelled) this.cancel(message.params?.['requestId']);
      reply.accept();
      return;
    }
    let envelope: StatelessEnvelope;
    try {
      envelope = this.protocol.check(message, header, this.client.tool);
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      reply.answer(err.toResponse(message.id), 400);
      return;
    }
    if (!this.protocol.serves(message.method)) {
      reply.answer(this.protocol.methodNotFound(message).toResponse(message.id), 404);
      return;
    }
    if (this.running.has(message.id) || this.listeners.has(message.id)) {
      const duplicate = RpcError.invalidRequest(
        `a request with id ${stringifyExact(message.id)} is already running on this connection; use a new id for each request.`,
      );
      reply.answer(duplicate.toResponse(message.id), 400);
      return;
    }
    if (message.method === StatelessMethod.Listen) this.listen(message, envelope, reply);
    else await this.call(message, envelope, reply);
  }

  /** The connection ends: running calls are cancelled, listen subscriptions end without a result. */
  stop(reason: string): void {
    for (const { session } of this.running.values()) session.close(reason);
    for (const listener of [...this.listeners.values()]) listener.stop(false);
  }

  private async call(request: JsonRpcRequest, envelope: StatelessEnvelope, reply: StatelessReply): Promise<void> {
    const session = this.protocol.requestSession(this.client.principal, envelope);
    this.client.bind?.(session);
    const running: Running = { session, cancelled: false };
    this.running.set(request.id, running);
    let subscription: Subscription | undefined;
    if (this.protocol.sendsInterimMessages(request, envelope)) {
      reply.openStream(session.id);
      subscription = session.outgoing.subscribe(({ message }) => {
        if (this.protocol.delivers(envelope, message)) reply.notify(message);
      });
    }
    let answered = false;
    reply.onClose(() => {
      if (!answered) session.close('the client closed the request stream');
    });
    try {
      const answer = await this.protocol.respond(request, session);
      answered = true;
      if (running.cancelled) return;
      if (reply.closed) {
        this.logger.debug?.(
          `${request.method} ${stringifyExact(request.id)}: the client went away first; the call was cancelled.`,
          'Stateless',
        );
        return;
      }
      reply.answer(answer.response, answer.status);
    } finally {
      this.running.delete(request.id);
      subscription?.unsubscribe();
      session.close('request answered');
      reply.end();
    }
  }

  /** subscriptions/listen: a stream opened by the acknowledgement; an invalid filter is answered at once. */
  private listen(request: JsonRpcRequest, envelope: StatelessEnvelope, reply: StatelessReply): void {
    const { principal, capped } = this.client;
    const refusal = capped ? this.protocol.listenRefusal(principal) : undefined;
    if (refusal) {
      reply.answer(new RpcError(ErrorCode.ConnectionClosed, refusal).toResponse(request.id), 503);
      return;
    }
    // The caller's view (its profiles) decides which resources it may follow, as for resources/read.
    const session = this.protocol.requestSession(principal, envelope);
    this.client.bind?.(session);
    const opened = this.protocol.listen(request, reply, session, () => this.listeners.delete(request.id));
    if ('error' in opened) {
      reply.answer(opened.error, 200);
      return;
    }
    const { listener } = opened;
    if (listener.ended) return;
    this.listeners.set(request.id, listener);
    reply.onClose(() => listener.stop(false));
    this.logger.debug?.(`Listen stream ${stringifyExact(request.id)} opened (${this.protocol.listenerCount} open)`, 'Stateless');
  }

  private cancel(requestId: unknown): void {
    if (!isRequestId(requestId)) return;
    const running = this.running.get(requestId);
    if (running?.session.cancel(requestId, 'cancelled by the client')) running.cancelled = true;
    this.listeners.get(requestId)?.stop(false);
  }
}
