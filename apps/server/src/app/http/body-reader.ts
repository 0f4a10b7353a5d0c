import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { raw } from 'express';
import { ErrorCode, failure } from '@sanctum/protocol';
import { SERVER_CONFIG } from '../config/config.slices';
import type { ServerConfig } from '../config/config.slices';
import { sendJson } from './json-reply';
import type { RequestCheck } from './request-checks';

type BodyRequest = IncomingMessage & { body?: unknown };

/** What a body-reading failure carries: the fields `express.raw`'s errors have that are used here. */
interface BodyError {
  status: number;
  type: string;
  message: string;
  limit?: number;
}

function bodyError(status: number, message: string, type: string, limit?: number): BodyError {
  return { status, message, type, limit };
}

/**
 * Answer a body-reading failure (ours or `express.raw`'s) as a JSON-RPC error with its HTTP
 * status: 413 with -32600 for an over-long body, else -32700 "could not be read".
 */
export function sendBodyError(res: ServerResponse, err: unknown): void {
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 400;
  const type = (err as { type?: unknown }).type;
  const message =
    type === 'entity.too.large'
      ? `Request body too large: the limit is ${(err as { limit?: number }).limit ?? 'configured by MCP_MAX_BODY_BYTES'} bytes.`
      : `Request body could not be read: ${(err as Error).message}.`;
  sendJson(res, status, failure(null, { code: status === 413 ? ErrorCode.InvalidRequest : ErrorCode.ParseError, message }));
}

/** on-finished's `isFinished` for a request: nothing more will be read from it. */
function isFinished(req: IncomingMessage): boolean {
  const socket = req.socket;
  return Boolean((req as { upgrade?: boolean }).upgrade || !socket || !socket.readable || (req.complete && !req.readable));
}

/**
 * Reads JSON-RPC bodies as bytes (any content type, capped), so that the dispatcher, not a
 * generic body parser, decides what is a parse error. Body-level failures are answered here
 * as JSON-RPC errors with the right HTTP status.
 *
 * A body without a content encoding (the usual case) is read here, with exactly what
 * `express.raw({ type: () => true, limit })` (body-parser 2 + raw-body 3) does with it: the request
 * skipped when already read or without a body (no Transfer-Encoding, no numeric Content-Length,
 * `req.body` left undefined); 413 up front when Content-Length is over the limit and while counting;
 * 400 "request aborted", "request size did not match content length", or the stream's error; 500
 * when the stream is not readable; after a failure, the rest of the request is read off before
 * the answer. A body with a Content-Encoding goes to `express.raw` itself (it inflates gzip,
 * deflate and br, counts the limit on the inflated bytes, and refuses other encodings with 415).
 * A request check of the route table (http/routes.ts): Node's request and response API only.
 */
@Injectable()
export class BodyReader {
  private readonly parser: ReturnType<typeof raw>;
  private readonly limit: number;

  constructor(@Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'maxBodyBytes'>) {
    this.limit = config.maxBodyBytes;
    this.parser = raw({ type: () => true, limit: config.maxBodyBytes });
  }

  readonly check: RequestCheck = (req, res, next) => this.use(req, res, next);

  private use(req: BodyRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    const answer = (err?: unknown): void => {
      if (!err) next();
      else sendBodyError(res, err);
    };
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity') {
      this.parser(req as never, res as never, answer);
      return;
    }
    this.read(req, answer);
  }

  /** body-parser's `read` with raw-body's `readStream`, for a body without a content encoding. */
  private read(req: BodyRequest, callback: (err?: BodyError) => void): void {
    if (isFinished(req)) return callback();
    if (!('body' in req)) req.body = undefined;
    const contentLength = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && isNaN(contentLength as unknown as number)) return callback();

    const limit = this.limit;
    const length = contentLength !== undefined && !isNaN(contentLength as unknown as number) ? parseInt(contentLength, 10) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let complete = false;

    const cleanup = (): void => {
      req.removeListener('aborted', onAborted);
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onEnd);
      req.removeListener('close', cleanup);
    };
    // After a failure: stop reading, then read off the rest of the request before answering.
    const fail = (err: BodyError): void => {
      complete = true;
      cleanup();
      req.unpipe();
      req.pause();
      dump(req, () => callback(err));
    };
    function onAborted(): void {
      if (!complete) fail(bodyError(400, 'request aborted', 'request.aborted'));
    }
    function onData(chunk: Buffer): void {
      if (complete) return;
      received += chunk.length;
      if (received > limit) fail(bodyError(413, 'request entity too large', 'entity.too.large', limit));
      else chunks.push(chunk);
    }
    function onEnd(err?: Error): void {
      if (complete) return;
      if (err) {
        const status = (err as { status?: unknown }).status;
        const statusCode = (err as { statusCode?: unknown }).statusCode;
        fail(Object.assign(err, { status: typeof status === 'number' && status ? status : typeof statusCode === 'number' && statusCode ? statusCode : 400 }) as unknown as BodyError);
        return;
      }
      if (length !== null && received !== length) {
        fail(bodyError(400, 'request size did not match content length', 'request.size.invalid'));
        return;
      }
      complete = true;
      cleanup();
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      callback();
    }

    // What raw-body checks before reading (answered on the next tick, as it does).
    const refusal =
      length !== null && length > limit
        ? bodyError(413, 'request entity too large', 'entity.too.large', limit)
        : req.readableEncoding !== null
          ? bodyError(500, 'stream encoding should not be set', 'stream.encoding.set')
          : !req.readable
            ? bodyError(500, 'stream is not readable', 'stream.not.readable')
            : undefined;
    if (refusal) {
      complete = true;
      process.nextTick(() => {
        req.unpipe();
        req.pause();
        dump(req, () => callback(refusal));
      });
      return;
    }
    req.on('aborted', onAborted);
    req.on('close', cleanup);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
  }
}

/** body-parser's `dump`: read off the rest of the request, then call back. */
function dump(req: IncomingMessage, callback: () => void): void {
  if (isFinished(req)) {
    callback();
    return;
  }
  let called = false;
  const done = (): void => {
    if (called) return;
    called = true;
    req.removeListener('end', done);
    req.removeListener('close', done);
    callback();
  };
  req.on('end', done);
  req.on('close', done);
  req.resume();
}
