import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { ErrorCode, Method, ModernMethod, RpcError, checkModernRequest, checkParamHeaders, isRequest, isRequestId } from '@sanctum/protocol';
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse, ModernEnvelope } from '@sanctum/protocol';
import { SseSink, formatSseEvent } from '@sanctum/sessions';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { APP_LOGGER } from '../logging/logger';
import { MODERN_METHODS, ModernEra } from '../mcp/modern-era.service';
import { ToolCatalogService } from '@sanctum/discovery';
import { sendEmpty, sendJson } from '../http/json-reply';
import { principalOf } from '../http/request-checks';
import type { GatewayRequest as Request, GatewayResponse as Response } from '../http/request-checks';
import { hasProgressToken } from './response-mode';

function frame(message: unknown): string {
  return formatSseEvent({ event: 'message', data: JSON.stringify(message) });
}

/**
 * Streamable HTTP for the stateless era (MCP 2026-07-28), one POST at a time: the envelope and the
 * MCP-Protocol-Version / Mcp-Method / Mcp-Name headers are checked against the body (HTTP 400 with
 * -32602, -32020 or -32022), notifications get 202, methods this era lacks 404 with -32601.
 * Answers are JSON, or an SSE stream when the call may send progress or log notifications first
 * (they go on that stream only). Nothing outlives the request: the call runs in a throwaway
 * session, and a client that closes the stream before the answer cancels the call (its plugin's
 * process group is killed). subscriptions/listen streams catalog changes until either side ends it.
 */
@Injectable()
export class ModernHttpTransport {
  constructor(
    private readonly era: ModernEra,
    private readonly catalog: ToolCatalogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  async serve(req: Request, res: Response, message: JsonRpcMessage, header: (name: string) => string | undefined): Promise<void> {
    const id = isRequest(message) ? message.id : 'id' in message && isRequestId(message.id) ? message.id : null;
    let envelope: ModernEnvelope;
    try {
      envelope = checkModernRequest(message, header);
      if (isRequest(message) && message.method === Method.ToolsCall) this.checkParams(message, header);
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      sendJson(res, 400, err.toResponse(id));
      return;
    }
    // Notifications (and stray responses): this revision defines none from client to server over HTTP.
    if (!isRequest(message)) {
      sendEmpty(res, 202);
      return;
    }
    if (!(MODERN_METHODS as readonly string[]).includes(message.method)) {
      sendJson(res, 404, this.era.methodNotFound(message).toResponse(message.id));
      return;
    }
    if (message.method === ModernMethod.Listen) {
      this.listen(req, res, message);
      return;
    }
    const streamed = message.method === Method.ToolsCall && (hasProgressToken(message) || envelope.logLevel !== undefined);
    await (streamed ? this.answerWithStream(req, res, message, envelope) : this.answerWithJson(res, message, envelope));
  }

  /** Mcp-Param-* headers of the named tool's x-mcp-header arguments (an unknown tool is the dispatcher's error). */
  private checkParams(request: JsonRpcRequest, header: (name: string) => string | undefined): void {
    const name = request.params?.['name'];
    const args = request.params?.['arguments'];
    const entry = typeof name === 'string' ? this.catalog.get(name) : undefined;
    if (entry && typeof args === 'object' && args !== null && !Array.isArray(args)) {
      checkParamHeaders(entry.inputSchema, args as Record<string, unknown>, header);
    }
  }

  private async answerWithJson(res: Response, request: JsonRpcRequest, envelope: ModernEnvelope): Promise<void> {
    const session = this.era.requestSession(principalOf(res), envelope);
    let answered = false;
    res.on('close', () => {
      if (!answered) session.close('the client closed the request stream');
    });
    try {
      const answer = await this.era.handle(request, session);
      answered = true;
      if (res.destroyed || res.writableEnded) {
        this.logger.debug?.(`${request.method} ${JSON.stringify(request.id)}: the client went away first; the call was cancelled.`, 'StreamableHttp');
        return;
      }
      sendJson(res, answer.status, answer.response);
    } finally {
      session.close('request answered');
    }
  }

  private async answerWithStream(req: Request, res: Response, request: JsonRpcRequest, envelope: ModernEnvelope): Promise<void> {
    const session = this.era.requestSession(principalOf(res), envelope);
    const sink = SseSink.open(req, res, this.config.sseKeepaliveMs);
    let answered = false;
    sink.onClose(() => {
      if (!answered) session.close('the client closed the request stream');
    });
    const subscription = session.outgoing.subscribe(({ message }) => {
      if (this.era.delivers(envelope, message as { method?: string })) sink.write(frame(message));
    });
    try {
      const answer = await this.era.handle(request, session);
      answered = true;
      sink.write(frame(answer.response));
    } finally {
      subscription.unsubscribe();
      session.close('request answered');
      sink.end();
    }
  }

  /** subscriptions/listen: an SSE stream opened by the acknowledgement; an invalid filter is answered in JSON. */
  private listen(req: Request, res: Response, request: JsonRpcRequest): void {
    const principal = principalOf(res);
    const refusal = this.era.listenRefusal(principal);
    if (refusal) {
      sendJson(res, 503, new RpcError(ErrorCode.ConnectionClosed, refusal).toResponse(request.id));
      return;
    }
    let sink: SseSink | undefined;
    const send = (message: JsonRpcMessage | JsonRpcResponse): void => {
      sink ??= SseSink.open(req, res, this.config.sseKeepaliveMs);
      sink.write(frame(message));
    };
    const opened = this.era.listen(request, send, () => sink?.end(), principal);
    if ('error' in opened) {
      sendJson(res, 200, opened.error);
      return;
    }
    if (sink === undefined || sink.closed || opened.listener.ended) return;
    sink.onClose(() => opened.listener.stop(false));
    this.logger.debug?.(`Listen stream ${JSON.stringify(request.id)} opened (${this.era.listenerCount} open)`, 'StreamableHttp');
  }
}
