import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { ErrorCode, failure } from '@sanctum/protocol';
import { SECURITY_CONFIG } from '../config/config.slices';
import type { SecurityConfig } from '../config/config.slices';
import { messageCountOf } from '../http/body-reader';
import { sendJson } from '../http/json-reply';
import { clientAddressOf, principalOf } from '../http/request-checks';
import type { GatewayRequest, GatewayResponse, RequestCheck } from '../http/request-checks';

const WINDOW_MS = 60_000;
const THROTTLER = 'default';

/**
 * Requests per minute per caller (MCP_RATE_LIMIT): keyed by the API key's name, else the client's
 * address (behind a trusted proxy the forwarded one, MCP_TRUSTED_PROXIES). Each message of a
 * batch is one request (the body check records the batch's length), so batching does not
 * multiply a caller's budget. Counted by @nestjs/throttler's storage (sliding
 * window, blocked for the window once over), answered like its guard does: `X-RateLimit-Limit`,
 * `-Remaining`, `-Reset` headers on an allowed request, 429 with `Retry-After` and a JSON-RPC error
 * body past the limit (for a batch, when its messages do not all fit). A request check of the
 * route table (http/routes.ts), after the front door (which records the principal) and the body.
 */
@Injectable()
export class RateLimit implements OnApplicationShutdown {
  private readonly storage: ThrottlerStorageService | ThrottlerStorageRedisService;
  private readonly limit: number;
  /** Counter keys start with it: MCP_REDIS_PREFIX with a shared store, so deployments sharing a Redis count apart. */
  private readonly keyPrefix: string;

  constructor(@Inject(SECURITY_CONFIG) config: SecurityConfig) {
    this.limit = config.rateLimitPerMinute;
    // With a shared store every instance counts in Redis: N per minute in all, whichever instance serves them.
    this.storage =
      config.redisUrl === undefined || this.limit <= 0
        ? new ThrottlerStorageService()
        : new ThrottlerStorageRedisService(sharedCounter(config.redisUrl));
    this.keyPrefix = config.redisUrl === undefined ? '' : `${config.redisPrefix}rl:`;
  }

  /** Off (undefined) when MCP_RATE_LIMIT=0. */
  get check(): RequestCheck | undefined {
    return this.limit > 0 ? (req, res, next) => void this.count(req, res, next) : undefined;
  }

  onApplicationShutdown(): void {
    if (this.storage instanceof ThrottlerStorageService) this.storage.onApplicationShutdown();
    else this.storage.redis.disconnect();
  }

  private async count(req: GatewayRequest, res: GatewayResponse, next: (err?: unknown) => void): Promise<void> {
    const key = `${this.keyPrefix}${THROTTLER}:${trackerOf(req, res)}`;
    const hits = messageCountOf(req);
    let record;
    try {
      // One hit per message, as the storage counts them; once past the limit it blocks, and the rest are not counted.
      record = await this.storage.increment(key, WINDOW_MS, this.limit, WINDOW_MS, THROTTLER);
      for (let hit = 1; hit < hits && !record.isBlocked; hit++) {
        record = await this.storage.increment(key, WINDOW_MS, this.limit, WINDOW_MS, THROTTLER);
      }
    } catch (err) {
      if (this.storage instanceof ThrottlerStorageService) {
        next(err);
        return;
      }
      res.setHeader('Retry-After', '1');
      sendJson(
        res,
        503,
        failure(null, {
          code: ErrorCode.ConnectionClosed,
          message: `Service Unavailable: the rate limit's shared store (Redis, MCP_REDIS_URL) is unreachable: ${(err as Error).message}; retry shortly.`,
        }),
      );
      return;
    }
    if (record.isBlocked) {
      res.setHeader('Retry-After', record.timeToBlockExpire);
      const seconds = Math.max(1, Math.ceil(record.timeToBlockExpire));
      sendJson(
        res,
        429,
        failure(null, {
          code: ErrorCode.ConnectionClosed,
          message: `Too many requests: the limit is ${this.limit} per minute; retry in ${seconds} s.`,
        }),
      );
      return;
    }
    res.setHeader('X-RateLimit-Limit', this.limit);
    res.setHeader('X-RateLimit-Remaining', Math.max(0, this.limit - record.totalHits));
    res.setHeader('X-RateLimit-Reset', record.timeToExpire);
    next();
  }
}

/**
 * The rate limiter's Redis link. No offline queue: while Redis is away a request is refused at
 * once (503) instead of being held. Its connection errors are the session store's to report
 * (SessionBus logs them once); here they only fail the requests that need it.
 */
function sharedCounter(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'sanctum-rate-limit' });
  redis.on('error', () => undefined);
  return redis;
}

function trackerOf(req: GatewayRequest, res: GatewayResponse): string {
  const principal = principalOf(res);
  return principal !== 'anonymous' ? `key:${principal}` : `ip:${clientAddressOf(req, res)}`;
}
