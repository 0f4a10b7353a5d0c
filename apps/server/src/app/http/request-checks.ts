import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './json-reply';

/** A request as the gateway's checks and MCP route handlers see it: Node's, plus the body once read. */
export type GatewayRequest = IncomingMessage & { body?: unknown; originalUrl?: string; baseUrl?: string };
export type GatewayResponse = ServerResponse;

/**
 * One check a request passes before its route's handler: a plain function over Node's request and
 * response (connect-style, like the `cors` package). It either answers the request itself (a
 * refusal: 401, 403, 413, 429, ...) and does not call `next`, or calls `next()` to go on. Calling
 * `next(err)` or throwing is an unexpected failure, answered by `answerUnexpected`.
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

/** The request's path without its query, as the client sent it (Express keeps it in `originalUrl`). */
export function pathOf(req: GatewayRequest): string {
  const url = req.originalUrl ?? req.url ?? '';
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}

/**
 * The answer to a failure nobody expected (a bug): the status and body Nest's default exception
 * handler gives for an unknown error, so a client sees the same thing on either path; the stack
 * goes to the log. Nothing is written when the response has already started.
 */
export function answerUnexpected(err: unknown, res: GatewayResponse, log: FailureLog): void {
  log.error(`Request failed: ${(err as Error)?.stack ?? String(err)}`, 'Http');
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  sendJson(res, 500, { statusCode: 500, message: 'Internal server error' });
}

/**
 * Run `checks` in order, then `done`. A check that answers ends the run; a thrown error or
 * `next(err)` is answered by `answerUnexpected`.
 */
export function runChecks(checks: readonly RequestCheck[], req: GatewayRequest, res: GatewayResponse, log: FailureLog, done: () => void): void {
  let index = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      answerUnexpected(err, res, log);
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
      answerUnexpected(thrown, res, log);
    }
  };
  next();
}

/** Run a route handler, answering a rejection or a throw with `answerUnexpected`. */
export function runHandler(handler: RouteHandler, req: GatewayRequest, res: GatewayResponse, log: FailureLog): void {
  try {
    const result = handler(req, res);
    if (result instanceof Promise) result.catch((err: unknown) => answerUnexpected(err, res, log));
  } catch (err) {
    answerUnexpected(err, res, log);
  }
}
