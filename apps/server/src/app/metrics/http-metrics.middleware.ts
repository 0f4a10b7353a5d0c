import { Injectable } from '@nestjs/common';
import type { NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

const ROUTES = ['/sse', '/message', '/mcp', '/health/live', '/health/ready', '/health', '/metrics'];

/** Route label from a fixed list, so that arbitrary URLs cannot grow the label set. */
export function routeLabel(path: string): string {
  return ROUTES.find((route) => path === route || path.startsWith(`${route}?`)) ?? 'other';
}

/** Counts every HTTP request when its response finishes (or the client goes away). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    let counted = false;
    const count = (): void => {
      if (counted) return;
      counted = true;
      this.metrics.httpRequests.inc({ route: routeLabel(req.originalUrl.split('?')[0]), method: req.method, status: String(res.statusCode) });
    };
    res.on('finish', count);
    res.on('close', count);
    next();
  }
}
