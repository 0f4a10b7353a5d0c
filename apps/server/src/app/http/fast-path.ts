import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { APP_LOGGER } from '../logging/logger';
import { GatewayRoutes } from './gateway-routes';
import type { GatewayRequest } from './request-checks';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The fast path: the MCP routes of the route table (http/routes.ts) served by a `node:http`
 * listener in front of Express. It runs the same functions as the Express path (GatewayRoutes:
 * every request's checks, the route's checks, its handler), without Express's router, Nest's
 * router proxy and Express's request/response prototypes, which took most of the CPU of a message
 * POST and about 2 KB of V8 hidden classes per idle stream (docs/benchmarks.md). Anything else
 * (other paths and methods, `/mcp/`, `/MCP`, `HEAD /sse`) goes to Express, which serves the same
 * table through Nest middleware (AppModule.configure).
 *
 * What the Express path could run and this path cannot is Nest middleware of other modules (an
 * extension module's `configure`): with any, the fast path stays off and says so in a warn line.
 * Nest guards, interceptors, pipes and filters apply to Nest controllers (/health, /metrics) only,
 * on either path: the MCP routes are not controllers. A check for the MCP routes goes in the table.
 */
@Injectable()
export class FastPath {
  /** Requests this listener served (for tests). */
  served = 0;
  /** Off: every request goes to Express (the parity test compares both). */
  disabled = false;

  constructor(
    private readonly routes: GatewayRoutes,
    private readonly modules: ModulesContainer,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  /**
   * Why the fast path cannot serve the table exactly as Express would, or undefined when it can:
   * a module other than `own` (the gateway's AppModule, which mounts only the table) configures
   * Nest middleware, which would run on the Express path only.
   */
  refusal(own: object): string | undefined {
    const configuring: string[] = [];
    for (const module of this.modules.values()) {
      const type = module.metatype as { name?: string; prototype?: { configure?: unknown } } | undefined;
      if (type && type !== own && typeof type.prototype?.configure === 'function') configuring.push(type.name ?? 'an anonymous module');
    }
    if (configuring.length === 0) return undefined;
    return (
      `${configuring.join(', ')} configure${configuring.length === 1 ? 's' : ''} Nest middleware, which only the Express path runs; ` +
      'every request is served by Express (slower). Put request checks for the MCP routes in the route table (apps/server/src/app/http/routes.ts) instead.'
    );
  }

  /** Serve the request if the table has its method and exact path; false when Express should have it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.disabled) return false;
    const url = req.url ?? '';
    const end = url.indexOf('?');
    const route = this.routes.find(req.method, end < 0 ? url : url.slice(0, end));
    if (route === undefined) return false;
    this.served++;
    this.routes.serve(route, req as GatewayRequest, res);
    return true;
  }

  /**
   * Put this listener in front of the application's Express handler on its HTTP server. Call once,
   * when the application is created (createApp), before `init`/`listen`. Stays off, with a warn
   * line, when `refusal` says so or when the server's request listener is not the Express one.
   */
  install(app: INestApplication, own: object): void {
    const refused = this.refusal(own);
    const server = app.getHttpServer() as Server;
    const express = app.getHttpAdapter().getInstance() as RequestListener;
    const listeners = server.listeners('request');
    const reason = refused ?? (listeners.length !== 1 || listeners[0] !== express ? 'the HTTP server has request listeners other than Express.' : undefined);
    if (reason !== undefined) {
      this.disabled = true;
      this.logger.warn(`Fast path off: ${reason}`, 'Http');
      return;
    }
    server.removeListener('request', express);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.handle(req, res)) express(req, res);
    });
  }
}
