import { RpcError } from './errors';
import type { JsonRpcFailure, JsonRpcMessage, RequestId } from './jsonrpc';
import { JSONRPC_VERSION, isRequestId } from './jsonrpc';

/** One item of an incoming payload: a valid message, or the error response it deserves. */
export type ParsedItem = { ok: true; message: JsonRpcMessage } | { ok: false; response: JsonRpcFailure };

export interface ParsedPayload {
  batch: boolean;
  items: ParsedItem[];
}

/** Deepest nesting accepted in a message; deeper payloads are refused, not recursed into. */
export const MAX_JSON_DEPTH = 64;

function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function idOf(raw: Record<string, unknown>): RequestId | null {
  return isRequestId(raw['id']) ? raw['id'] : null;
}

/** Validate one decoded JSON value as a JSON-RPC 2.0 message. */
export function validateMessage(raw: unknown): ParsedItem {
  const invalid = (detail: string, id: RequestId | null = null): ParsedItem => ({
    ok: false,
    response: RpcError.invalidRequest(detail).toResponse(id),
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return invalid('each message must be a JSON object.');
  }
  const obj = raw as Record<string, unknown>;
  const id = idOf(obj);
  if (obj['jsonrpc'] !== JSONRPC_VERSION) {
    return invalid('"jsonrpc" must be exactly "2.0".', id);
  }
  // A response may carry id null (the error of an unreadable request); a request never may.
  if ('id' in obj && !isRequestId(obj['id']) && ('method' in obj || !('result' in obj || 'error' in obj))) {
    return invalid('"id" must be a string or an integer.');
  }
  if ('method' in obj) {
    if (typeof obj['method'] !== 'string' || obj['method'] === '') {
      return invalid('"method" must be a non-empty string.', id);
    }
    const params = obj['params'];
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return invalid('"params" must be an object when present (MCP uses named parameters).', id);
    }
    return { ok: true, message: obj as unknown as JsonRpcMessage };
  }
  if ('result' in obj || 'error' in obj) {
    return { ok: true, message: obj as unknown as JsonRpcMessage };
  }
  return invalid('a message needs "method" (request or notification) or "result"/"error" (response).', id);
}

/** Decode and validate a request body or a stdio line. Never throws. */
export function parsePayload(text: string): ParsedPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { batch: false, items: [{ ok: false, response: RpcError.parseError((err as Error).message).toResponse(null) }] };
  }
  return parseValue(raw);
}

/** Validate an already-decoded body (e.g. from a JSON body parser). Never throws. */
export function parseValue(raw: unknown): ParsedPayload {
  if (depthExceeds(raw, MAX_JSON_DEPTH)) {
    return {
      batch: false,
      items: [{ ok: false, response: RpcError.invalidRequest(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels is refused.`).toResponse(null) }],
    };
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      return { batch: false, items: [{ ok: false, response: RpcError.invalidRequest('an empty batch array is not a request.').toResponse(null) }] };
    }
    return { batch: true, items: raw.map(validateMessage) };
  }
  return { batch: false, items: [validateMessage(raw)] };
}
