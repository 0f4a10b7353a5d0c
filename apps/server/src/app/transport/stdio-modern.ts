import { Method, ModernMethod, RpcError, checkModernRequest, isNotification, isRequest, isRequestId } from '@sanctum/protocol';
import type { JsonRpcMessage, JsonRpcRequest, RequestId } from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';
import { MODERN_METHODS } from '../mcp/modern-era.service';
import type { Listener, ModernEra } from '../mcp/modern-era.service';

/**
 * One stdio connection in the stateless era (MCP 2026-07-28): every request is checked against
 * its own `_meta` envelope (there are no headers on stdio), runs in its own throwaway session (its
 * progress and, when it set a log level, its log lines are written as they come), and
 * `notifications/cancelled` cancels a running call (no response follows) or ends a
 * subscriptions/listen by request id.
 */
export class ModernStdioConnection {
  private readonly running = new Map<RequestId, Session>();
  private readonly listeners = new Map<RequestId, Listener>();
  /** Calls the client cancelled: their answers are not sent (MCP: no response to a cancelled request). */
  private readonly cancelled = new Set<RequestId>();

  constructor(
    private readonly era: ModernEra,
    private readonly write: (message: unknown) => void,
  ) {}

  /** Handle one message of the connection; resolves when its answer (if any) was written. */
  async handle(message: JsonRpcMessage): Promise<void> {
    if (isNotification(message)) {
      if (message.method === Method.Cancelled) this.cancel(message.params?.['requestId']);
      return;
    }
    if (!isRequest(message)) return; // a response from the client: nothing is owed
    try {
      const envelope = checkModernRequest(message);
      if (!(MODERN_METHODS as readonly string[]).includes(message.method)) throw this.era.methodNotFound(message);
      if (this.running.has(message.id) || this.listeners.has(message.id)) {
        throw RpcError.invalidRequest(`a request with id ${JSON.stringify(message.id)} is already running on this connection; use a new id for each request.`);
      }
      if (message.method === ModernMethod.Listen) {
        this.listen(message);
        return;
      }
      const session = this.era.requestSession(undefined, envelope);
      const subscription = session.outgoing.subscribe(({ message: out }) => {
        if (this.era.delivers(envelope, out as { method?: string })) this.write(out);
      });
      this.running.set(message.id, session);
      try {
        const answer = await this.era.handle(message, session);
        if (!this.cancelled.has(message.id)) this.write(answer.response);
      } finally {
        this.cancelled.delete(message.id);
        this.running.delete(message.id);
        subscription.unsubscribe();
        session.close('request answered');
      }
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      this.write(err.toResponse(message.id));
    }
  }

  /** The connection ends: running calls are cancelled, listen subscriptions end without a result. */
  stop(reason: string): void {
    for (const session of this.running.values()) session.close(reason);
    for (const listener of [...this.listeners.values()]) listener.stop(false);
  }

  private listen(request: JsonRpcRequest): void {
    const opened = this.era.listen(request, (out) => this.write(out), () => this.listeners.delete(request.id));
    if ('error' in opened) this.write(opened.error);
    else if (!opened.listener.ended) this.listeners.set(request.id, opened.listener);
  }

  private cancel(requestId: unknown): void {
    if (!isRequestId(requestId)) return;
    if (this.running.get(requestId)?.cancel(requestId, 'cancelled by the client')) this.cancelled.add(requestId);
    this.listeners.get(requestId)?.stop(false);
  }
}
