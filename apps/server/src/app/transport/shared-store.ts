import { ErrorCode, failure } from '@sanctum/protocol';
import { SessionStoreUnavailable } from '@sanctum/sessions';
import { sendJson } from '../http/json-reply';
import type { GatewayResponse } from '../http/request-checks';

/**
 * Run a transport step that reads the shared session store (MCP_REDIS_URL). While Redis is
 * unreachable the step is answered 503 with `Retry-After` (the client may retry; running calls
 * keep their results for when Redis is back) instead of failing as a 500 or hanging.
 */
export async function whileStoreReachable(res: GatewayResponse, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (!(err instanceof SessionStoreUnavailable) || res.headersSent) throw err;
    res.setHeader('Retry-After', '1');
    sendJson(res, 503, failure(null, { code: ErrorCode.ConnectionClosed, message: `Service Unavailable: ${err.message}.` }));
  }
}
