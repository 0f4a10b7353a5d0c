import { Inject, Injectable } from '@nestjs/common';
import type { NestMiddleware } from '@nestjs/common';
import { raw } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, failure } from '@sanctum/protocol';
import { APP_CONFIG } from '../config/config';
import { sendJson } from './json-reply';
import type { AppConfig } from '../config/config';

/**
 * Reads JSON-RPC bodies as bytes (any content type, capped), so that the dispatcher, not a
 * generic body parser, decides what is a parse error. Body-level failures are answered here
 * as JSON-RPC errors with the right HTTP status.
 */
@Injectable()
export class RawBodyMiddleware implements NestMiddleware {
  private readonly parser: ReturnType<typeof raw>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.parser = raw({ type: () => true, limit: config.maxBodyBytes });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    this.parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 400;
      const type = (err as { type?: unknown }).type;
      const message =
        type === 'entity.too.large'
          ? `Request body too large: the limit is ${(err as { limit?: number }).limit ?? 'configured by MCP_MAX_BODY_BYTES'} bytes.`
          : `Request body could not be read: ${(err as Error).message}.`;
      sendJson(res, status, failure(null, { code: status === 413 ? ErrorCode.InvalidRequest : ErrorCode.ParseError, message }));
    });
  }
}
