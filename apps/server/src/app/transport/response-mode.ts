import { INPUT_KINDS, Method, isPlainObject, progressTokenOf } from '@sanctum/protocol';
import type { JsonRpcRequest } from '@sanctum/protocol';

/** How a Streamable HTTP POST that carries requests is answered. */
export type ResponseMode = 'json' | 'sse';

/** Requests whose plugin may ask the client for input (elicitation, sampling, roots) before answering. */
const MAY_ASK: readonly string[] = [Method.ToolsCall, Method.PromptsGet, Method.ResourcesRead];

/**
 * JSON (one body with the response, or an array for a batch) unless a request may emit messages
 * before its response: a request carrying `_meta.progressToken` (the client's ask for progress
 * notifications), or a tools/call, prompts/get or resources/read of a client that declared it can
 * answer requests (elicitation, sampling or roots), whose plugin may ask it something. Those are
 * answered with an SSE stream (`text/event-stream`) so related messages
 * (`session.send(message, { relatedRequestId })`) can precede the response on the same stream.
 */
export function responseModeFor(requests: readonly JsonRpcRequest[], clientCapabilities?: Record<string, unknown>): ResponseMode {
  if (requests.some((request) => progressTokenOf(request.params) !== undefined)) return 'sse';
  const answers = clientCapabilities !== undefined && INPUT_KINDS.some((kind) => isPlainObject(clientCapabilities[kind]));
  return answers && requests.some((request) => MAY_ASK.includes(request.method)) ? 'sse' : 'json';
}
