import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { raw } from 'express';
import { ErrorCode, batchLength, batchTooLarge, failure } from '@sanctum/protocol';
import { SERVER_CONFIG } from '../config/config.slices';
import type { ServerConfig } from '../config/config.slices';
import { sendJson } from './json-reply';
import type { GatewayRequest, RequestCheck } from './request-checks';

/** Whether the request announces a body: a Content-Length above 0, or a Transfer-Encoding. */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

/**
 * Call before answering a request whose body is refused or not read (401, 403, 413, 503...): with a
 * body, the answer says `Connection: close`, and Node ends the connection once the answer is
 * written. Otherwise Node keeps the connection alive by reading the rest of the body and throwing
 * it away, which a client can make last until the request timeout (and cost gigabytes).
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (declaresBody(req)) res.setHeader('Connection', 'close');
}

const messageCounts = Symbol('sanctum.messageCount');
type WithMessageCount = { [messageCounts]?: number };

/** The messages of the request's body (a batch's length, at least 1), set by BodyReader. */
export function messageCountOf(req: GatewayRequest): number {
  return Math.max(1, (req as GatewayRequest & WithMessageCount)[messageCounts] ?? 1);
}

/**
 * Answer a body-reading failure (`express.raw`'s errors) as a JSON-RPC error with its HTTP status:
 * 413 with -32600 for an over-long body, else -32700 "could not be read" (400 aborted or malformed,
 * 415 an unknown Content-Encoding). The connection is closed after it: the rest of the body, if
 * any, is not read.
 */
export function sendBodyError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 400;
  const type = (err as { type?: unknown }).type;
  const message =
    type === 'entity.too.large'
      ? `Request body too large: the limit is ${(err as { limit?: number }).limit ?? 'configured by MCP_MAX_BODY_BYTES'} bytes.`
      : `Request body could not be read: ${(err as Error).message}.`;
  closeAfterAnswer(req, res);
  sendJson(res, status, failure(null, { code: status === 413 ? ErrorCode.InvalidRequest : ErrorCode.ParseError, message }));
}

/**
 * Reads JSON-RPC bodies as bytes (any content type, capped at MCP_MAX_BODY_BYTES), so that the
 * dispatcher, not a generic body parser, decides what is a parse error: `express.raw` (body-parser
 * and raw-body) does the reading, inflates gzip, deflate and br with the limit on the inflated
 * bytes, and refuses other encodings; its failures are answered here as JSON-RPC errors. A request
 * check of the route table (http/routes.ts): body-parser uses only Node's request API.
 *
 * Bounded for hostile clients: at most MCP_MAX_BODIES_IN_FLIGHT bodies are read at once (past it
 * 503); an over-long body is answered 413 as soon as it is known to be (by its Content-Length, or
 * by counting the bytes as they arrive), never after reading it to its end, which body-parser
 * would do; every refusal closes the connection. A batch longer than MCP_MAX_BATCH is refused
 * (400, -32600) once read, before anything parses it, and the batch's length is recorded for the
 * rate limit, which counts each message.
 */
@Injectable()
export class BodyReader {
  private readonly parser: ReturnType<typeof raw>;
  private readonly maxBodyBytes: number;
  /**
   * Bytes an encoded (compressed) body may take on the wire: deflate, gzip and br store
   * incompressible data with a few bytes per 64 KiB block and a short header, so past this the
   * inflated body is surely over MCP_MAX_BODY_BYTES.
   */
  private readonly maxEncodedBytes: number;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private inFlight = 0;

  constructor(@Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'maxBodyBytes' | 'maxBodiesInFlight' | 'maxBatch'>) {
    this.parser = raw({ type: () => true, limit: config.maxBodyBytes });
    this.maxBodyBytes = config.maxBodyBytes;
    this.maxEncodedBytes = config.maxBodyBytes + Math.ceil(config.maxBodyBytes / 1024) + 1024;
    this.maxInFlight = config.maxBodiesInFlight;
    this.maxBatch = config.maxBatch;
  }

  /** Bodies being read now (for tests and metrics). */
  get bodiesInFlight(): number {
    return this.inFlight;
  }

  readonly check: RequestCheck = (req, res, next) => {
    if (!declaresBody(req)) {
      this.parser(req as never, res as never, (err?: unknown) => (err ? sendBodyError(req, res, err) : next()));
      return;
    }
    if (this.inFlight >= this.maxInFlight) {
      closeAfterAnswer(req, res);
      res.setHeader('Retry-After', 1);
      sendJson(
        res,
        503,
        failure(null, {
          code: ErrorCode.ConnectionClosed,
          message: `Server busy: ${this.maxInFlight} request bodies are being read at once, the limit (MCP_MAX_BODIES_IN_FLIGHT); retry in a second.`,
        }),
      );
      return;
    }
    const identity = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() === 'identity';
    const cap = identity ? this.maxBodyBytes : this.maxEncodedBytes;
    if (Number(req.headers['content-length']) > cap) {
      this.tooLarge(req, res);
      return;
    }

    this.inFlight++;
    let released = false;
    let answered = false;
    let received = 0;
    const release = (): void => {
      if (released) return;
      released = true;
      this.inFlight--;
      req.removeListener('data', count);
      req.removeListener('close', release);
    };
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= cap || answered) return;
      answered = true;
      release();
      this.tooLarge(req, res);
    };
    req.on('data', count);
    req.once('close', release);
    this.parser(req as never, res as never, (err?: unknown) => {
      release();
      if (answered) return;
      if (err) {
        sendBodyError(req, res, err);
        return;
      }
      const length = Buffer.isBuffer(req.body) ? batchLength(req.body) : 1;
      if (length > this.maxBatch) {
        sendJson(res, 400, batchTooLarge(length, this.maxBatch).toResponse(null));
        return;
      }
      (req as GatewayRequest & WithMessageCount)[messageCounts] = length;
      next();
    });
  };

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    sendBodyError(req, res, { status: 413, type: 'entity.too.large', limit: this.maxBodyBytes });
  }
}
