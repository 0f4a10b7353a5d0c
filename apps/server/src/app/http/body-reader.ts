import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { raw } from 'express';
import { ErrorCode, failure } from '@sanctum/protocol';
import { SERVER_CONFIG } from '../config/config.slices';
import type { ServerConfig } from '../config/config.slices';
import { sendJson } from './json-reply';
import type { RequestCheck } from './request-checks';

/**
 * Answer a body-reading failure (`express.raw`'s errors) as a JSON-RPC error with its HTTP status:
 * 413 with -32600 for an over-long body, else -32700 "could not be read" (400 aborted or malformed,
 * 415 an unknown Content-Encoding).
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

/**
 * Reads JSON-RPC bodies as bytes (any content type, capped at MCP_MAX_BODY_BYTES), so that the
 * dispatcher, not a generic body parser, decides what is a parse error: `express.raw` (body-parser
 * and raw-body) does the reading, inflates gzip, deflate and br with the limit on the inflated
 * bytes, and refuses other encodings; its failures are answered here as JSON-RPC errors. A request
 * check of the route table (http/routes.ts): body-parser uses only Node's request API.
 */
@Injectable()
export class BodyReader {
  private readonly parser: ReturnType<typeof raw>;

  constructor(@Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'maxBodyBytes'>) {
    this.parser = raw({ type: () => true, limit: config.maxBodyBytes });
  }

  readonly check: RequestCheck = (req, res, next) => {
    this.parser(req as never, res as never, (err?: unknown) => {
      if (!err) next();
      else sendBodyError(res, err);
    });
  };
}
