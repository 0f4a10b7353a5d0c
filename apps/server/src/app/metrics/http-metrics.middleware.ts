import { Injectable } from '@nestjs/common';
import type { NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

const ROUTES = ['/sse', '/message', '/mcp', '/health/live', '/health/ready', '/health', '/metrics'];

/** Route label from a fixed list, so that arbitrary URLs cannot grow the label set. */
export function routeLabel(path: string): string {
  return ROUTES.find((route) => path === route || path.startsWith(`${route}?`)) ?? 'other';
}

type Labels = { route: string; method: string; status: string };

/**
 * Counts every HTTP request when its response closes: Node emits `close` on every response, after
 * `finish` when it was sent, or when the client went away first. Only Node's API is used (plus
 * `req.originalUrl`, which Express and the fast path set).
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  /** Label sets seen so far (bounded: a fixed route list times methods times statuses). */
  private readonly labels = new Map<string, Labels>();

  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    res.on('close', () => this.count(req.originalUrl, req.method, res.statusCode));
    next();
  }

  private count(url: string, method: string, statusCode: number): void {
    const end = url.indexOf('?');
    const route = routeLabel(end < 0 ? url : url.slice(0, end));
    const key = `${route} ${method} ${statusCode}`;
    let labels = this.labels.get(key);
    if (labels === undefined) {
      labels = { route, method, status: String(statusCode) };
      this.labels.set(key, labels);
    }
    this.metrics.httpRequests.inc(labels);
  }
}
