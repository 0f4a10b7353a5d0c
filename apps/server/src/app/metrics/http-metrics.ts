import { Injectable } from '@nestjs/common';
import { pathOf } from '../http/request-checks';
import type { RequestCheck } from '../http/request-checks';
import { McpPath } from '../http/routes';
import { MetricsService } from './metrics.service';

const ROUTES = [McpPath.Sse, McpPath.Message, McpPath.Mcp, '/health/live', '/health/ready', '/health', '/metrics'];

/** A profile endpoint (`/profiles/<name>/sse|message|mcp`), labelled by its route, not by the name. */
const PROFILE_ROUTE = /^\/profiles\/[^/?]+\/(sse|message|mcp)(?:\?|$)/;

/** Route label from a fixed list, so that arbitrary URLs cannot grow the label set. */
export function routeLabel(path: string): string {
  const profile = PROFILE_ROUTE.exec(path);
  if (profile) return `/profiles/:profile/${profile[1]}`;
  return ROUTES.find((route) => path === route || path.startsWith(`${route}?`)) ?? 'other';
}

type Labels = { route: string; method: string; status: string };

/**
 * Counts every HTTP request when its response closes: Node emits `close` on every response, after
 * `finish` when it was sent, or when the client went away first. A request check of the route
 * table (http/routes.ts), run for every path.
 */
@Injectable()
export class HttpMetrics {
  /** Label sets seen so far (bounded: a fixed route list times methods times statuses). */
  private readonly labels = new Map<string, Labels>();

  constructor(private readonly metrics: MetricsService) {}

  readonly check: RequestCheck = (req, res, next) => {
    const path = pathOf(req);
    const method = req.method ?? '';
    res.on('close', () => this.count(path, method, res.statusCode));
    next();
  };

  private count(path: string, method: string, statusCode: number): void {
    const route = routeLabel(path);
    const key = `${route} ${method} ${statusCode}`;
    let labels = this.labels.get(key);
    if (labels === undefined) {
      labels = { route, method, status: String(statusCode) };
      this.labels.set(key, labels);
    }
    this.metrics.httpRequests.inc(labels);
  }
}
