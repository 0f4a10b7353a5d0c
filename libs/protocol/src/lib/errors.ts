import type { JsonRpcErrorObject, JsonRpcFailure, RequestId } from './jsonrpc';
import { failure } from './jsonrpc';

/** JSON-RPC 2.0 and MCP error codes. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Server error: refused before dispatch (auth, limits, unknown HTTP+SSE session, shutdown). */
  ConnectionClosed: -32000,
  /** Streamable HTTP: the Mcp-Session-Id names no live session (HTTP 404). */
  SessionNotFound: -32001,
  /** resources/read of a URI the server does not have (the 2025 revisions; 2026-07-28 uses -32602, SEP-2164). */
  ResourceNotFound: -32002,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A JSON-RPC error raised inside the dispatcher. It becomes a response at the transport edge
 * with toJson(); the message always says what the caller should fix.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toJson(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  toResponse(id: RequestId | null): JsonRpcFailure {
    return failure(id, this.toJson());
  }

  static parseError(detail: string): RpcError {
    return new RpcError(ErrorCode.ParseError, `Parse error: the body is not valid JSON (${detail}).`);
  }

  static invalidRequest(detail: string): RpcError {
    return new RpcError(ErrorCode.InvalidRequest, `Invalid Request: ${detail}`);
  }

  static methodNotFound(method: string): RpcError {
    return new RpcError(
      ErrorCode.MethodNotFound,
      `Method not found: '${method}'. Supported methods: initialize, ping, tools/list, tools/call, logging/setLevel, and, when the plugins offer them, resources/*, prompts/* and completion/complete.`,
    );
  }

  /**
   * resources/read of a URI nothing serves: -32002 in the 2025 revisions, -32602 in 2026-07-28
   * (SEP-2164); `data.uri` names it either way.
   */
  static resourceNotFound(uri: string, code: typeof ErrorCode.ResourceNotFound | typeof ErrorCode.InvalidParams): RpcError {
    return new RpcError(code, `Resource not found: '${uri}'. Call resources/list and resources/templates/list to see what this server offers.`, {
      uri,
    });
  }

  static invalidParams(detail: string): RpcError {
    return new RpcError(ErrorCode.InvalidParams, `Invalid params: ${detail}`);
  }

  static internal(detail: string): RpcError {
    return new RpcError(ErrorCode.InternalError, `Internal error: ${detail}`);
  }
}
