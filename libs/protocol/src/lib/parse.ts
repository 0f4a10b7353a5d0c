import { RpcError } from './errors';
import { inexactValue, isInexactNumber, parseExact, parsesExactly, stringifyExact } from './exact-json';
import type { JsonRpcFailure, JsonRpcMessage, JsonRpcResponse, RequestId } from './jsonrpc';
import { JSONRPC_VERSION, isPlainObject, isRequestId } from './jsonrpc';

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

/** Why `id` is not a request id, and what to send instead. */
function idProblem(id: unknown): string {
  const rule = '"id" must be a string or an integer written in plain digits (such as "req-7" or 7, any number of digits)';
  if (typeof id === 'number' || isInexactNumber(id)) {
    return `${rule}; the number ${String(id)} is not one (a fraction, an exponent or -0), and would not be echoed exactly as sent.`;
  }
  const kind = id === null ? 'null' : Array.isArray(id) ? 'an array' : typeof id === 'object' ? 'an object' : String(id);
  return `${rule}; got ${kind}.`;
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
    return invalid(idProblem(obj['id']));
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

export interface ParseOptions {
  /** Most messages a batch may hold; a longer batch is one -32600 error, none of it dispatched. */
  maxBatch?: number;
}

/** The one error a batch longer than `max` gets (nothing of it is handled). */
export function batchTooLarge(length: number, max: number): RpcError {
  return RpcError.invalidRequest(
    `a batch of ${length} messages is over the limit of ${max} per batch; send at most ${max} messages in one batch.`,
  );
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * How many messages a UTF-8 JSON payload holds, without decoding it: the elements of a top-level
 * array (0 for `[]`), 1 for anything else. One pass over the bytes that tracks only strings and
 * nesting, so a batch can be counted (and refused, and rate-limited per message) before anything
 * is parsed; every structural character of JSON is ASCII, and no byte of a multi-byte UTF-8
 * character is. Malformed JSON gets a count too: it is refused when it is parsed.
 */
export function batchLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i])) i++;
  if (bytes[i] !== OPEN_ARRAY) return 1;
  let depth = 0;
  let commas = 0;
  let content = false;
  let inString = false;
  for (; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (depth === 1 && byte !== CLOSE_ARRAY && !isSpace(byte)) content = true;
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) depth++;
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      if (--depth === 0) break;
    } else if (byte === COMMA && depth === 1) commas++;
  }
  return content ? commas + 1 : 0;
}

function isSpace(byte: number | undefined): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === CR;
}

/** UTF-8 bytes of a string (what it weighs in a body), without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one character of 4 bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A batch's answers kept within `maxBytes` of JSON: in order, every response that still fits is
 * kept; from the first that does not, each response becomes an error with its id saying the answer
 * was dropped (its request was handled: only the answer is not sent). Bounds what one body can
 * cost the server to hold and send, whatever its requests return.
 */
export function boundBatchAnswer(responses: readonly JsonRpcResponse[], maxBytes: number): JsonRpcResponse[] {
  let used = 2; // the array's brackets
  let full = false;
  return responses.map((response) => {
    if (!full) {
      const size = utf8Length(stringifyExact(response)) + 1; // and its comma
      if (used + size <= maxBytes) {
        used += size;
        return response;
      }
      full = true;
    }
    return RpcError.internal(
      `the answer to this request was dropped: the answers of this batch passed the limit of ${maxBytes} bytes. ` +
        'The request was handled; send requests whose answers are large in smaller batches or on their own.',
    ).toResponse(response.id);
  });
}

function tooDeep(): ParsedPayload {
  return {
    batch: false,
    items: [
      { ok: false, response: RpcError.invalidRequest(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels is refused.`).toResponse(null) },
    ],
  };
}

/** Every InexactNumber read as JSON.parse reads it, in place. */
function settle(value: unknown): unknown {
  if (isInexactNumber(value)) return inexactValue(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = settle(value[i]);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) object[key] = settle(object[key]);
  return object;
}

/**
 * A payload read by `parseExact` as the rest of the gateway takes it: integers beyond 2^53 stay
 * bigints, every other InexactNumber becomes the double JSON.parse reads, except a request's id,
 * left for validateMessage to refuse (an id is echoed exactly or not taken).
 */
function settleNumbers(raw: unknown): unknown {
  const messages = Array.isArray(raw) ? raw : [raw];
  const ids = messages.map((m) => (isPlainObject(m) && 'method' in m && isInexactNumber(m['id']) ? m['id'] : undefined));
  settle(raw);
  messages.forEach((m, i) => {
    if (ids[i] !== undefined) (m as Record<string, unknown>)['id'] = ids[i];
  });
  return raw;
}

/**
 * JSON text (a plugin's output) read as JSON.parse reads it, but for integers beyond 2^53, which stay
 * bigints (written back as their digits by stringifyExact). Throws what JSON.parse throws. Text
 * nested deeper than MAX_JSON_DEPTH is left to JSON.parse alone (the exact reader recurses).
 */
export function parseJsonExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (parsesExactly(text) || depthExceeds(value, MAX_JSON_DEPTH)) return value;
  return settle(parseExact(text));
}

/**
 * Decode and validate a request body or a stdio line. Never throws. JSON.parse reads it; only
 * when a number literal would not come back from JSON.stringify as sent (an integer beyond 2^53,
 * `-0`, `1e3`, a long decimal) is it read again exactly (exact-json.ts): request ids are then
 * echoed as sent, and integers beyond 2^53 reach tools as bigints.
 */
export function parsePayload(text: string, options: ParseOptions = {}): ParsedPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { batch: false, items: [{ ok: false, response: RpcError.parseError((err as Error).message).toResponse(null) }] };
  }
  if (!parsesExactly(text)) {
    // The exact reader recurses: it only sees text whose nesting is known to be within the limit.
    if (depthExceeds(raw, MAX_JSON_DEPTH)) return tooDeep();
    try {
      raw = settleNumbers(parseExact(text));
    } catch (err) {
      return { batch: false, items: [{ ok: false, response: RpcError.parseError((err as Error).message).toResponse(null) }] };
    }
  }
  return parseValue(raw, options);
}

/** Validate an already-decoded body (e.g. from a JSON body parser). Never throws. */
export function parseValue(raw: unknown, options: ParseOptions = {}): ParsedPayload {
  if (Array.isArray(raw) && options.maxBatch !== undefined && raw.length > options.maxBatch) {
    return { batch: false, items: [{ ok: false, response: batchTooLarge(raw.length, options.maxBatch).toResponse(null) }] };
  }
  if (depthExceeds(raw, MAX_JSON_DEPTH)) return tooDeep();
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      return {
        batch: false,
        items: [{ ok: false, response: RpcError.invalidRequest('an empty batch array is not a request.').toResponse(null) }],
      };
    }
    return { batch: true, items: raw.map(validateMessage) };
  }
  return { batch: false, items: [validateMessage(raw)] };
}
