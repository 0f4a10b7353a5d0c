import { Injectable } from '@nestjs/common';
import { ToolProfilesService } from '@sanctum/discovery';
import { ErrorCode, failure } from '@sanctum/protocol';
import { closeAfterAnswer } from '../http/body-reader';
import { sendJson } from '../http/json-reply';
import { pathOf } from '../http/request-checks';
import type { GatewayRequest, GatewayResponse, RequestCheck } from '../http/request-checks';
import { profileOfPath } from '../http/routes';

/** What a request says about its caller besides the key: the profile endpoint, the X-Agent-Id header. */
export interface RequestCaller {
  endpoint?: string;
  agentId?: string;
}

const callers = Symbol('sanctum.caller');
type WithCaller = { [callers]?: RequestCaller };

/** The profile endpoint and agent id the `profile` check recorded (none before it ran). */
export function requestCallerOf(res: GatewayResponse): RequestCaller {
  return (res as GatewayResponse & WithCaller)[callers] ?? {};
}

/** The longest X-Agent-Id kept (Letta's ids are `agent-<uuid>`); a longer one is cut. */
const MAX_AGENT_ID = 200;

/** The X-Agent-Id header Letta sends, trimmed; a repeated header (joined with commas) keeps its first value. */
export function agentIdOf(req: GatewayRequest): string | undefined {
  const raw = req.headers['x-agent-id'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.split(',')[0]?.trim();
  return value ? value.slice(0, MAX_AGENT_ID) : undefined;
}

/**
 * The `profile` request check of the MCP routes (http/routes.ts): a profile endpoint
 * (`/profiles/<name>/mcp`, `/sse`, `/message`) must name a profile of MCP_PROFILES (else 404);
 * it and the `X-Agent-Id` header are recorded for the session the request opens. Also the answer
 * to `POST /sse`, a Letta misconfiguration.
 */
@Injectable()
export class ProfileEndpoint {
  constructor(private readonly profiles: ToolProfilesService) {}

  readonly check: RequestCheck = (req, res, next) => {
    const endpoint = profileOfPath(pathOf(req));
    if (endpoint !== undefined && !this.profiles.hasProfile(endpoint)) {
      closeAfterAnswer(req, res);
      sendJson(
        res,
        404,
        failure(null, {
          code: ErrorCode.InvalidRequest,
          message: `Not Found: no profile named "${endpoint}" (MCP_PROFILES); use /mcp, /sse and /message, or the endpoint of a profile the profiles file declares.`,
        }),
      );
      return;
    }
    const caller: RequestCaller = {};
    if (endpoint !== undefined) caller.endpoint = endpoint;
    const agentId = agentIdOf(req);
    if (agentId !== undefined) caller.agentId = agentId;
    (res as GatewayResponse & WithCaller)[callers] = caller;
    next();
  };

  /**
   * `POST /sse`: the HTTP+SSE transport posts its messages elsewhere. Letta configured with the SSE
   * URL for a Streamable HTTP server does this; 405 tells it where to go.
   */
  misdirectedSsePost(req: GatewayRequest, res: GatewayResponse): void {
    const base = pathOf(req).slice(0, -'/sse'.length);
    closeAfterAnswer(req, res);
    res.setHeader('Allow', 'GET');
    sendJson(
      res,
      405,
      failure(null, {
        code: ErrorCode.InvalidRequest,
        message:
          `Method Not Allowed: POST ${base}/sse is not an MCP endpoint. The HTTP+SSE transport opens GET ${base}/sse and posts its messages to ` +
          `${base}/message?sessionId=<id> (the endpoint event names it); a Streamable HTTP client posts to ${base}/mcp.`,
      }),
    );
  }
}
