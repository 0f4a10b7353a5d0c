import type { ServerResponse } from 'node:http';

/**
 * `res.status(status).json(body)` for a JSON-RPC answer, written straight to Node's response: the
 * same status, `Content-Type: application/json; charset=utf-8`, `Content-Length` and bytes as
 * Express 5 sends (no ETag: it is off, see bootstrap.ts), without Express's per-call content-type
 * lookups and charset re-parsing, and without needing Express's response prototype (the fast path
 * serves `GET /sse` without it). For a HEAD request Node itself drops the body and keeps the
 * headers, as Express does. Not for 204/304 answers (Express strips their body headers).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
