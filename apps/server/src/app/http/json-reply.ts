import type { ServerResponse } from 'node:http';
import { stringifyExact } from '@sanctum/protocol';

/**
 * `res.status(status).json(body)` for a JSON-RPC answer, written straight to Node's response: the
 * same status, `Content-Type: application/json; charset=utf-8`, `Content-Length` and bytes as
 * Express 5 sends (no ETag: it is off, see bootstrap.ts), without Express's per-call content-type
 * lookups and charset re-parsing, and without needing Express's response prototype (the fast path
 * serves `GET /sse` without it). For a HEAD request Node itself drops the body and keeps the
 * headers, as Express does. Not for 204/304 answers (Express strips their body headers). The body
 * is written by stringifyExact: a bigint id (an integer beyond 2^53) goes back digit for digit.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyExact(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** `res.status(status).end()`: the status and no body. */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.end();
}

/**
 * `res.status(status).send(text)` for a string, written straight to Node's response: Express 5
 * sends it as `Content-Type: text/html; charset=utf-8` with its `Content-Length` (no ETag: it is
 * off). Only for POST answers (Express would check freshness for GET and HEAD).
 */
export function sendHtml(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
