import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { ErrorCode, HTTP_SSE_PROTOCOL_VERSION, failure, parsePayload } from '@sanctum/protocol';
import { Session, SessionRegistry, SseSinkFactory, connectHttpSseStream } from '@sanctum/sessions';
import { sendEmpty, sendHtml, sendJson } from '../http/json-reply';
import { SERVER_CONFIG } from '../config/config.slices';
import type { ServerConfig } from '../config/config.slices';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';
import { principalOf, requestOriginOf } from '../http/request-checks';
import { requestCallerOf } from '../profiles/profile-endpoint';
import { SessionViews } from '../profiles/session-views.service';
import type { GatewayRequest, GatewayResponse } from '../http/request-checks';

/** What `GET /sse` needs of its request: Node's, plus what Express sets on it (mount path, routing continuation). */
type SseRequest = GatewayRequest & { next?: unknown };

function bodyText(req: GatewayRequest): string {
  return Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
}

/**
 * `sessionId` of the URL's query, parsed as Express 5's default query parser does
 * (`querystring.parse`): a repeated parameter gives its values joined by commas.
 */
function sessionIdOf(req: GatewayRequest): string | undefined {
  const url = req.url ?? '';
  const start = url.indexOf('?');
  const value = start < 0 ? undefined : parseQuery(url.slice(start + 1))['sessionId'];
  return value === undefined ? undefined : String(value);
}

/**
 * The HTTP+SSE transport (MCP 2024-11-05), which Letta and older clients use:
 * `GET /sse` opens a session stream, `POST /message?sessionId=` feeds it. The handlers of those
 * routes in the route table (http/routes.ts); Node's request and response API only.
 */
@Injectable()
export class HttpSseTransport {
  constructor(
    private readonly sessions: SessionRegistry,
    private readonly dispatcher: McpDispatcher,
    private readonly sinks: SseSinkFactory,
    @Inject(SERVER_CONFIG) private readonly server: ServerConfig,
    private readonly views: SessionViews,
  ) {}

  /**
   * Where the client posts, as the `endpoint` event names it: `/message?sessionId=<id>` under the
   * path the client reached the gateway by. That path is MCP_PUBLIC_BASE_PATH when set, else the
   * `X-Forwarded-Prefix` of a trusted proxy (MCP_TRUSTED_PROXIES), else Express's mount path
   * (none): behind `location /gw/` the client must post to `/gw/message`, not the proxy's root.
   */
  private endpointOf(req: SseRequest, res: GatewayResponse, sessionId: string): string {
    const base = this.server.publicBasePath ?? requestOriginOf(res)?.prefix ?? req.baseUrl ?? '';
    const endpoint = requestCallerOf(res).endpoint;
    return `${base}${endpoint === undefined ? '' : `/profiles/${encodeURIComponent(endpoint)}`}/message?sessionId=${sessionId}`;
  }

  /**
   * `GET /sse`: the stream, announcing where to post (`event: endpoint`). The fast path serves it
   * without Express's prototypes, which cost an idle stream about 2 KB of V8 hidden classes each
   * (docs/benchmarks.md).
   */
  async open(req: SseRequest, res: GatewayResponse): Promise<void> {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      sendJson(res, 406, {
        error: 'Not Acceptable',
        message: 'GET /sse is a Server-Sent Events stream: send the header "Accept: text/event-stream".',
      });
      return;
    }
    const admission = await this.sessions.open('sse', principalOf(res));
    if (!admission.ok) {
      sendJson(res, 503, failure(null, { code: ErrorCode.ConnectionClosed, message: admission.refusal.message }));
      return;
    }
    const { session } = admission;
    this.views.record(session, res);
    session.protocolVersion = HTTP_SSE_PROTOCOL_VERSION;
    this.sessions.started(session);

    // An idle session must stay cheap (10,000 of them is a target): the session writes its frames
    // straight to the response (no RxJS pipeline), keepalives come from one shared ticker (no
    // timer per stream), and nothing of the stream holds on to `req`.
    const sink = this.sinks.open(req, res, { sessionId: session.id, transport: 'sse' });
    connectHttpSseStream(session, this.endpointOf(req, res, session.id), sink);
    sink.onClose(() => this.streamClosed(session));
    // This handler owns the response from here on: Express's routing continuation (the router's
    // `next` closure and everything it holds) will never run again, so let it be collected
    // instead of keeping it alive for the stream's lifetime (Node keeps `req` itself alive).
    req.next = undefined;
  }

  /**
   * The stream closed, because the client went away or because the session ended (which ends the
   * stream): forget the session. Removing it closes it, which also disconnects the stream.
   */
  private streamClosed(session: Session): void {
    this.sessions.remove(session.id, { reason: 'client disconnected' });
  }

  /** `POST /message`: 202 and the answer on the session's stream, or, without a session, the answer in the body. */
  async message(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    const sessionId = sessionIdOf(req);
    const payload = parsePayload(bodyText(req));

    if (sessionId === undefined || sessionId === '') {
      // No session: answer in the HTTP body (what a curl debug call expects).
      const session = new Session(`http-${randomUUID()}`, 'stateless');
      session.owner = principalOf(res);
      this.views.record(session, res);
      try {
        const response = await this.dispatcher.handlePayload(payload, session);
        // A body with nothing dispatchable is a bad request, with or without a session.
        const unreadable = payload.items.every((item) => !item.ok);
        if (response === null) sendEmpty(res, 202);
        else sendJson(res, unreadable ? 400 : 200, response); // what res.status().json() sends
      } finally {
        session.close();
      }
      return;
    }

    // Another key's session is answered like an unknown one: its existence is not disclosed.
    const session = await this.sessions.find(sessionId, 'sse', principalOf(res));
    if (!session) {
      sendJson(
        res,
        404,
        failure(null, {
          code: ErrorCode.ConnectionClosed,
          message: `Session not found: '${sessionId}'. Open a new stream with GET /sse and post to the endpoint it announces.`,
        }),
      );
      return;
    }
    const invalid = payload.items.every((item) => !item.ok);
    if (invalid) {
      // Nothing here can be dispatched: tell the poster directly.
      const responses = payload.items.map((item) => (item.ok ? null : item.response));
      sendJson(res, 400, payload.batch ? responses : responses[0]);
      return;
    }
    sendHtml(res, 202, 'Accepted');
    const response = await this.dispatcher.handlePayload(payload, session);
    if (response === null) return;
    for (const message of Array.isArray(response) ? response : [response]) session.send(message);
  }
}
