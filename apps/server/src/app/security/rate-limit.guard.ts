import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ErrorCode, failure } from '@sanctum/protocol';

/**
 * @nestjs/throttler keyed by caller (API key name, else client IP) across all routes, answering
 * 429 with `Retry-After` and a JSON-RPC error body.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const principal = (request.res as Response | undefined)?.locals['principal'];
    return typeof principal === 'string' && principal !== 'anonymous' ? `key:${principal}` : `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new HttpException(
      failure(null, { code: ErrorCode.ConnectionClosed, message: `Too many requests: the limit is ${detail.limit} per minute; retry in ${seconds} s.` }),
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
