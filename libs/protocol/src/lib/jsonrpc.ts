/** JSON-RPC 2.0 wire envelopes (https://www.jsonrpc.org/specification). */

export const JSONRPC_VERSION = '2.0' as const;

/**
 * A request id as the client sent it: a string, or an integer written in plain digits (a number
 * within Number.MAX_SAFE_INTEGER, a bigint beyond it, so that it is echoed digit for digit).
 */
export type RequestId = string | number | bigint;

export interface JsonRpcRequest {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: typeof JSONRPC_VERSION;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcSuccess {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RequestId;
  result: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcFailure {
  jsonrpc: typeof JSONRPC_VERSION;
  /** null when the request id could not be determined (parse error, invalid request). */
  id: RequestId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A string or an exact integer. A number beyond Number.MAX_SAFE_INTEGER is not one: parsePayload
 * reads such an integer written in plain digits as a bigint, so a number that large was written
 * with an exponent or a fraction (`1e+21`), or lost digits on the way.
 */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
}

export function isRequest(message: unknown): message is JsonRpcRequest {
  return isPlainObject(message) && typeof message['method'] === 'string' && 'id' in message;
}

export function isNotification(message: unknown): message is JsonRpcNotification {
  return isPlainObject(message) && typeof message['method'] === 'string' && !('id' in message);
}

export function isResponse(message: unknown): message is JsonRpcResponse {
  return (
    isPlainObject(message) &&
    !('method' in message) &&
    'id' in message &&
    ('result' in message || 'error' in message)
  );
}

export function isFailure(message: unknown): message is JsonRpcFailure {
  return isResponse(message) && 'error' in message;
}

export function success(id: RequestId, result: unknown): JsonRpcSuccess {
  return { jsonrpc: JSONRPC_VERSION, id, result };
}

export function failure(id: RequestId | null, error: JsonRpcErrorObject): JsonRpcFailure {
  return { jsonrpc: JSONRPC_VERSION, id, error };
}
