import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { ExternalContextCreator, ModulesContainer } from '@nestjs/core';
import { APP_LOGGER } from '../logging/logger';
import { GatewayRoutes } from './gateway-routes';
import { McpRoutesController } from './mcp-routes.controller';
import { answerFailure, runChecks } from './request-checks';
import type { GatewayRequest, GatewayResponse } from './request-checks';
import type { HandlerName, McpRoute } from './routes';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type ControllerMethod = (req: GatewayRequest, res: GatewayResponse) => Promise<unknown>;

/**
 * The fast path: the MCP routes of the route table (http/routes.ts) served by a `node:http`
 * listener in front of Express. It runs what the Express path runs (every request's checks, then
 * McpRoutesController's method for the route with the application's guards, interceptors and
 * exception filters, through Nest's public ExternalContextCreator), without Express's router,
 * Nest's router proxy and Express's request/response prototypes, which took most of the CPU of a
 * message POST and about 2 KB of V8 hidden classes per idle stream (docs/benchmarks.md). Anything
 * else (other paths and methods, `/mcp/`, `/MCP`, `HEAD /sse`) goes to Express.
 *
 * What this path cannot run is Nest middleware of other modules (an extension module's
 * `configure`): with any, the fast path stays off and says so in a warn line. Request checks for
 * the MCP routes belong in the table, where both paths run them.
 */
@Injectable()
export class FastPath {
  /** Requests this listener served (for tests). */
  served = 0;
  /** Off: every request goes to Express (the parity test compares both). */
  disabled = false;
  /** Per route of the table: its controller method with the application's enhancers (set by install). */
  private readonly methods = new Map<McpRoute, ControllerMethod>();

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
    const method = route === undefined ? undefined : this.methods.get(route);
    if (method === undefined) return false;
    this.served++;
    runChecks(this.routes.everyRequest, req, res, this.logger, () => {
      method(req, res).catch((err: unknown) => answerFailure(err, res, this.logger));
    });
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
    const controller = app.get(McpRoutesController);
    const contexts = app.get(ExternalContextCreator);
    for (const route of this.routes.routes) {
      const name: HandlerName = route.handler;
      this.methods.set(route, contexts.create(controller, controller[name] as (...args: unknown[]) => unknown, name) as ControllerMethod);
    }
    server.removeListener('request', express);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.handle(req, res)) express(req, res);
    });
  }
}
