import type { JsonRpcRequest } from '@sanctum/protocol';

/** How a Streamable HTTP POST that carries requests is answered. */
export type ResponseMode = 'json' | 'sse';

/** Whether the request asked for progress notifications (`_meta.progressToken`, a string or number). */
export function hasProgressToken(request: JsonRpcRequest): boolean {
  const meta = request.params?.['_meta'];
  const token = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['progressToken'] : undefined;
  return typeof token === 'string' || typeof token === 'number';
}

/**
 * JSON (one body with the response, or an array for a batch) unless a request may emit
 * notifications before its response: today that is a request carrying `_meta.progressToken`,
 * the client's ask for progress notifications. Those are answered with an SSE stream
 * (`text/event-stream`) so related notifications (`session.send(message, { relatedRequestId })`)
 * can precede the response on the same stream.
 */
export function responseModeFor(requests: readonly JsonRpcRequest[]): ResponseMode {
  return requests.some(hasProgressToken) ? 'sse' : 'json';
}
