import { progressTokenOf } from '@sanctum/protocol';
import type { JsonRpcRequest } from '@sanctum/protocol';

/** How a Streamable HTTP POST that carries requests is answered. */
export type ResponseMode = 'json' | 'sse';

/**
 * JSON (one body with the response, or an array for a batch) unless a request may emit
 * notifications before its response: today that is a request carrying `_meta.progressToken`,
 * the client's ask for progress notifications. Those are answered with an SSE stream
 * (`text/event-stream`) so related notifications (`session.send(message, { relatedRequestId })`)
 * can precede the response on the same stream.
 */
export function responseModeFor(requests: readonly JsonRpcRequest[]): ResponseMode {
  return requests.some((request) => progressTokenOf(request.params) !== undefined) ? 'sse' : 'json';
}
