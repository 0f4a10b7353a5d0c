import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import {
  ErrorCode,
  Method,
  answersInputRequests,
  SUPPORTED_PROTOCOL_VERSIONS,
  failure,
  isFailure,
  isStatelessVersion,
  isRequest,
  isSupportedVersion,
  missingEnvelope,
  parsePayload,
  revisionOf,
} from '@sanctum/protocol';
import type { JsonRpcRequest, JsonRpcResponse, ParsedPayload } from '@sanctum/protocol';
import { SessionRegistry, SseSinkFactory, StreamableHttpStreams } from '@sanctum/sessions';
import type { Session, SessionStreams, SseSink } from '@sanctum/sessions';
import { APP_LOGGER } from '../logging/logger';
import { sendEmpty, sendJson } from '../http/json-reply';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';
import { principalOf } from '../http/request-checks';
import type { GatewayRequest as Request, GatewayResponse as Response } from '../http/request-checks';
import { StatelessProtocol } from '../mcp/stateless-protocol.service';
import { SessionViews } from '../profiles/session-views.service';
import { responseModeFor } from './response-mode';
import { StatelessHttpReply } from './stateless-http';

/** MCP: without an MCP-Protocol-Version header (and nothing negotiated), assume this revision. */
export const DEFAULT_STREAMABLE_HTTP_VERSION = '2025-03-26';

function bodyText(req: Request): string {
  return Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/** Media types of an Accept header, parameters and q-values dropped. */
function acceptedTypes(req: Request): string[] {
  return (header(req, 'accept') ?? '').split(',').map((part) => part.split(';')[0].trim().toLowerCase());
}

function isJson(req: Request): boolean {
  return (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

function reject(res: Response, status: number, code: number, message: string): void {
  sendJson(res, status, failure(null, { code, message }));
}

/**
 * The Streamable HTTP transport at `/mcp`. Each POST is of the revision `revisionOf` gives it:
 * protocol revision 2026-07-28 goes to the stateless handling (mcp/stateless-connection.ts, through
 * the reply of stateless-http.ts); the rest of this class is the 2025 revisions (2025-03-26,
 * 2025-06-18, 2025-11-25). There POST carries client messages (answered with JSON, or with an SSE stream when a request may emit
 * notifications first), GET opens the session's server-to-client stream (resumable with
 * Last-Event-ID), DELETE ends the session. The handlers of those routes in the route table
 * (http/routes.ts).
 *
 * Disconnection is not cancellation (MCP 2025-03-26 and later): a POST whose client goes away
 * keeps its calls running. In SSE mode the responses stay in the session's replay buffer and a
 * client that reconnects with GET + Last-Event-ID receives them; in JSON mode there is no event id
 * to resume from, and the standalone stream must not carry responses, so the late response is
 * dropped (logged at debug). Clients cancel with `notifications/cancelled`; DELETE and the idle
 * reaper end the session, which aborts whatever still runs.
 */
@Injectable()
export class StreamableHttpTransport {
  constructor(
    private readonly sessions: SessionRegistry,
    private readonly streams: StreamableHttpStreams,
    private readonly dispatcher: McpDispatcher,
    private readonly sinks: SseSinkFactory,
    private readonly stateless: StatelessProtocol,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    private readonly views: SessionViews,
  ) {}

  async post(req: Request, res: Response): Promise<void> {
    const accept = acceptedTypes(req);
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      reject(
        res,
        406,
        ErrorCode.ConnectionClosed,
        'Not Acceptable: POST /mcp answers with JSON or an SSE stream; send the header "Accept: application/json, text/event-stream" (both types).',
      );
      return;
    }
    if (!isJson(req)) {
      reject(
        res,
        415,
        ErrorCode.ConnectionClosed,
        'Unsupported Media Type: POST /mcp takes JSON-RPC; send the header "Content-Type: application/json".',
      );
      return;
    }

    const payload = parsePayload(bodyText(req));
    const messages = payload.items.flatMap((item) => (item.ok ? [item.message] : []));
    const requests = messages.filter(isRequest);

    if (revisionOf(payload) === 'stateless') {
      if (payload.batch) {
        reject(
          res,
          400,
          ErrorCode.InvalidRequest,
          'Invalid Request: protocol revision 2026-07-28 has no batches; send each request in its own POST.',
        );
        return;
      }
      const connection = this.stateless.connect({
        principal: principalOf(res),
        capped: true,
        bind: (session) => this.views.record(session, res),
        tool: this.views.toolLookup(res),
      });
      await connection.handle(messages[0], new StatelessHttpReply(req, res, this.sinks), (name) => header(req, name));
      return;
    }
    const claimedVersion = header(req, 'mcp-protocol-version');
    if (claimedVersion !== undefined && isStatelessVersion(claimedVersion)) {
      const id = !payload.batch && requests.length === 1 ? requests[0].id : null;
      sendJson(res, 400, missingEnvelope(claimedVersion).toResponse(id));
      return;
    }

    const sessionId = header(req, 'mcp-session-id');

    if (requests.some((r) => r.method === Method.Initialize)) {
      if (sessionId !== undefined) {
        reject(
          res,
          400,
          ErrorCode.InvalidRequest,
          'Invalid Request: initialize starts a new session and must be sent without an Mcp-Session-Id header (this session is already initialized).',
        );
        return;
      }
      if (payload.items.length > 1) {
        reject(res, 400, ErrorCode.InvalidRequest, 'Invalid Request: initialize must be sent on its own, not in a batch.');
        return;
      }
      await this.initialize(payload, principalOf(res), res);
      return;
    }

    const found = await this.findSession(req, res);
    if (!found) return;
    const { session, streams } = found;
    if (!this.checkVersion(req, res)) return;
    res.setHeader('Mcp-Session-Id', session.id);

    if (requests.length === 0) {
      // Notifications and client responses only: 202 with no body, or 400 with what could not be read.
      streams.touch();
      const errors = await this.dispatcher.handlePayload(payload, session);
      if (errors === null) sendEmpty(res, 202);
      else sendJson(res, 400, errors);
      return;
    }

    if (responseModeFor(requests) === 'sse') await this.answerWithStream(req, res, payload, requests, session, streams);
    else await this.answerWithJson(req, res, payload, requests, session, streams);
  }

  async open(req: Request, res: Response): Promise<void> {
    if (!acceptedTypes(req).includes('text/event-stream')) {
      reject(
        res,
        406,
        ErrorCode.ConnectionClosed,
        'Not Acceptable: GET /mcp is a Server-Sent Events stream; send the header "Accept: text/event-stream".',
      );
      return;
    }
    const found = await this.findSession(req, res);
    if (!found) return;
    const { session, streams } = found;
    if (!this.checkVersion(req, res)) return;
    const open = (): SseSink => this.sinks.open(req, res, { sessionId: session.id, transport: 'streamable-http' }, { 'Mcp-Session-Id': session.id });

    const lastEventId = header(req, 'last-event-id');
    if (lastEventId !== undefined) {
      const resumed = await streams.resume(lastEventId, open);
      if (resumed?.refused) {
        reject(
          res,
          400,
          ErrorCode.ConnectionClosed,
          `Bad Request: the events after Last-Event-ID '${lastEventId}' are no longer kept (MCP_REDIS_STREAM_MAXLEN); some would be missing. Reconnect without Last-Event-ID to open a new stream.`,
        );
        return;
      }
      if (!resumed) {
        reject(
          res,
          400,
          ErrorCode.ConnectionClosed,
          `Bad Request: Last-Event-ID '${lastEventId}' was not issued in this session; reconnect without Last-Event-ID to open a new stream.`,
        );
        return;
      }
      if (!resumed.complete) {
        this.logger.warn(
          `Session ${session.id}: resumed stream ${resumed.streamId} after events already dropped from the replay buffer`,
          'StreamableHttp',
        );
      }
      this.logger.debug?.(
        `Session ${session.id}: resumed stream ${resumed.streamId} (${resumed.replayed} events replayed)`,
        'StreamableHttp',
      );
      return;
    }

    if (!(await streams.claimStandalone())) {
      reject(
        res,
        409,
        ErrorCode.ConnectionClosed,
        'Conflict: this session already has an open GET stream and only one is allowed; close it first, or reconnect with Last-Event-ID to replace it.',
      );
      return;
    }
    streams.openStandalone(open(), this.versionOf(req, session));
  }

  async end(req: Request, res: Response): Promise<void> {
    const found = await this.findSession(req, res);
    if (!found) return;
    if (!this.checkVersion(req, res)) return;
    const { session } = found;
    this.sessions.remove(session.id, { reason: 'session ended by the client' });
    sendEmpty(res, 204);
  }

  private async initialize(payload: ParsedPayload, principal: string, res: Response): Promise<void> {
    const admission = await this.sessions.open('streamable-http', principal);
    if (!admission.ok) {
      reject(res, 503, ErrorCode.ConnectionClosed, admission.refusal.message);
      return;
    }
    const { session } = admission;
    this.views.record(session, res);
    const streams = this.streams.attach(session);
    const response = await this.dispatchCounted(payload, session, streams);
    if (response === null || Array.isArray(response) || isFailure(response)) {
      // The client learns nothing it could use: no session is kept (it never started, so no log line).
      this.sessions.remove(session.id, { reason: 'initialize failed' });
      sendJson(res, 200, response);
      return;
    }
    this.sessions.started(session);
    res.setHeader('Mcp-Session-Id', session.id);
    sendJson(res, 200, response);
  }

  /** Dispatch while the session counts a running request (the idle reaper and eviction leave it alone). */
  private async dispatchCounted(
    payload: ParsedPayload,
    session: Session,
    streams: SessionStreams,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | null> {
    streams.beginRequest();
    try {
      return await this.dispatcher.handlePayload(payload, session);
    } finally {
      streams.endRequest();
    }
  }

  /**
   * JSON, unless a request sends the client a request of its own first (a plugin asking for
   * elicitation, sampling or roots): then the POST becomes an SSE stream at that moment, and its
   * responses follow on it.
   */
  private async answerWithJson(
    req: Request,
    res: Response,
    payload: ParsedPayload,
    requests: JsonRpcRequest[],
    session: Session,
    streams: SessionStreams,
  ): Promise<void> {
    // Only a client that declared it can answer is ever asked (the hot path of the others is unchanged).
    const deferred = answersInputRequests(session.clientCapabilities)
      ? streams.deferPost(
          requests.map((r) => r.id),
          () => ({ sink: this.openPostSink(req, res, session), protocolVersion: this.versionOf(req, session) }),
        )
      : undefined;
    let response: JsonRpcResponse | JsonRpcResponse[] | null;
    try {
      response = await this.dispatchCounted(payload, session, streams);
    } finally {
      if (deferred) streams.settleDeferred(deferred);
    }
    const post = deferred?.post;
    if (post) {
      for (const each of Array.isArray(response) ? response : response === null ? [] : [response]) streams.emitOnPost(post, each);
      streams.finishPost(post);
      return;
    }
    // Closed before the answer: Node marks a response destroyed when its connection closes first.
    if (res.destroyed) {
      this.logger.debug?.(`Session ${session.id}: the client disconnected before its response was ready; dropped.`, 'StreamableHttp');
      return;
    }
    if (response === null) sendEmpty(res, 202);
    else sendJson(res, 200, response); // the hot path of POST /mcp
  }

  /** The SSE stream answering a POST of this session. */
  private openPostSink(req: Request, res: Response, session: Session): SseSink {
    return this.sinks.open(req, res, { sessionId: session.id, transport: 'streamable-http' }, { 'Mcp-Session-Id': session.id });
  }

  private async answerWithStream(
    req: Request,
    res: Response,
    payload: ParsedPayload,
    requests: JsonRpcRequest[],
    session: Session,
    streams: SessionStreams,
  ): Promise<void> {
    const sink = this.openPostSink(req, res, session);
    const post = streams.openPost(
      requests.map((r) => r.id),
      sink,
      this.versionOf(req, session),
    );
    streams.beginRequest();
    try {
      await Promise.all(
        payload.items.map(async (item) => {
          const response = item.ok ? await this.dispatcher.handleMessage(item.message, session) : item.response;
          if (response !== null) streams.emitOnPost(post, response);
        }),
      );
    } finally {
      streams.endRequest();
      streams.finishPost(post);
    }
  }

  /** The session named by Mcp-Session-Id; answers 400 (no header) or 404 (unknown) itself. */
  private async findSession(req: Request, res: Response): Promise<{ session: Session; streams: SessionStreams } | undefined> {
    const id = header(req, 'mcp-session-id');
    if (id === undefined) {
      reject(
        res,
        400,
        ErrorCode.ConnectionClosed,
        'Bad Request: the Mcp-Session-Id header is missing. Send an initialize request first (without the header), then send the Mcp-Session-Id of its response on every request.',
      );
      return undefined;
    }
    // Another API key's session is answered like an unknown one: its existence is not disclosed.
    const session = await this.sessions.find(id, 'streamable-http', principalOf(res));
    const streams = session === undefined ? undefined : this.streams.of(session);
    if (!session || !streams) {
      reject(
        res,
        404,
        ErrorCode.SessionNotFound,
        `Session not found: '${id}'. It has ended or never existed; start a new session with an initialize request sent without Mcp-Session-Id.`,
      );
      return undefined;
    }
    return { session, streams };
  }

  /** A present MCP-Protocol-Version must be one we speak (400 otherwise). */
  private checkVersion(req: Request, res: Response): boolean {
    const version = header(req, 'mcp-protocol-version');
    if (version === undefined || isSupportedVersion(version)) return true;
    reject(
      res,
      400,
      ErrorCode.ConnectionClosed,
      `Bad Request: unsupported MCP-Protocol-Version '${version}'. Supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
    );
    return false;
  }

  /** The header, else the version negotiated at initialize, else 2025-03-26 (MCP's rule). */
  private versionOf(req: Request, session: Session): string {
    return header(req, 'mcp-protocol-version') ?? session.protocolVersion ?? DEFAULT_STREAMABLE_HTTP_VERSION;
  }
}
