import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import type { RequestOrigin } from '../security/forwarding';
import { sendJson } from './json-reply';

/** A request as the gateway's checks and MCP route handlers see it: Node's, plus the body once read. */
export type GatewayRequest = IncomingMessage & { body?: unknown; originalUrl?: string; baseUrl?: string };
export type GatewayResponse = ServerResponse;

/**
 * One check a request passes before its route's handler: a plain function over Node's request and
 * response (connect-style, like the `cors` package). It either answers the request itself (a
 * refusal: 401, 403, 413, 429, ...) and does not call `next`, or calls `next()` to go on. Calling
 * `next(err)` or throwing is a failure, answered by `answerFailure`.
 *
 * Checks use only Node's API, so the same function runs as a Nest middleware on the Express path
 * and in the fast path's listener, where requests never get Express's prototypes.
 */
export type RequestCheck = (req: GatewayRequest, res: GatewayResponse, next: (err?: unknown) => void) => void;

/** An MCP route's handler: it owns the response (JSON answer or a stream). */
export type RouteHandler = (req: GatewayRequest, res: GatewayResponse) => void | Promise<void>;

/** Where unexpected failures are reported (the gateway's LoggerService). */
export interface FailureLog {
  error(message: string, context?: string): unknown;
}

const principals = Symbol('sanctum.principal');
type WithPrincipal = { [principals]?: string };

/** Record who made the request: an API key's name, `loopback` (bypass), or `anonymous` (auth off). */
export function setPrincipal(res: GatewayResponse, principal: string): void {
  (res as GatewayResponse & WithPrincipal)[principals] = principal;
}

/** Who made the request (set by the front door check), `anonymous` when nothing was recorded. */
export function principalOf(res: GatewayResponse): string {
  return (res as GatewayResponse & WithPrincipal)[principals] ?? 'anonymous';
}

const origins = Symbol('sanctum.origin');
type WithOrigin = { [origins]?: RequestOrigin };

/** Record where the request came from (the front door, from MCP_TRUSTED_PROXIES and the forwarding headers). */
export function setRequestOrigin(res: GatewayResponse, origin: RequestOrigin): void {
  (res as GatewayResponse & WithOrigin)[origins] = origin;
}

/** Where the request came from, as the front door recorded it; undefined before it ran. */
export function requestOriginOf(res: GatewayResponse): RequestOrigin | undefined {
  return (res as GatewayResponse & WithOrigin)[origins];
}

/**
 * The client's address: behind a trusted proxy the one it forwarded, else the peer's. For the
 * rate limit's bucket and the logs.
 */
export function clientAddressOf(req: GatewayRequest, res: GatewayResponse): string {
  return requestOriginOf(res)?.client ?? req.socket.remoteAddress ?? 'unknown';
}

/** The request's path without its query, as the client sent it (Express keeps it in `originalUrl`). */
export function pathOf(req: GatewayRequest): string {
  const url = req.originalUrl ?? req.url ?? '';
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}

/**
 * The answer to an exception on the way to a handler, as Nest's default exception handler gives
 * it, so a client sees the same thing on either path: an HttpException (a Nest guard's refusal, for
 * one) with its status and body; anything else (a bug) 500 with the stack in the log. Nothing is
 * written when the response has already started.
 */
export function answerFailure(err: unknown, res: GatewayResponse, log: FailureLog): void {
  if (!(err instanceof HttpException)) log.error(`Request failed: ${(err as Error)?.stack ?? String(err)}`, 'Http');
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  if (err instanceof HttpException) {
    const body = err.getResponse();
    sendJson(res, err.getStatus(), typeof body === 'object' && body !== null ? body : { statusCode: err.getStatus(), message: body });
    return;
  }
  sendJson(res, 500, { statusCode: 500, message: 'Internal server error' });
}

/**
 * Run `checks` in order, then `done`. A check that answers ends the run; a thrown error or
 * `next(err)` is answered by `answerFailure`.
 */
export function runChecks(checks: readonly RequestCheck[], req: GatewayRequest, res: GatewayResponse, log: FailureLog, done: () => void): void {
  let index = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      answerFailure(err, res, log);
      return;
    }
    const check = checks[index++];
    if (check === undefined) {
      done();
      return;
    }
    try {
      check(req, res, next);
    } catch (thrown) {
      answerFailure(thrown, res, log);
    }
  };
  next();
}

/** Run a route handler, answering a rejection or a throw with `answerFailure`. */
export function runHandler(handler: RouteHandler, req: GatewayRequest, res: GatewayResponse, log: FailureLog): void {
  try {
    const result = handler(req, res);
    if (result instanceof Promise) result.catch((err: unknown) => answerFailure(err, res, log));
  } catch (err) {
    answerFailure(err, res, log);
  }
}
