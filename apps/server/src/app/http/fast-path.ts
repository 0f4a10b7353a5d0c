import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, HTTP_CODE_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler';
import { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Application, NextFunction, Request, Response } from 'express';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { GatewayHealthIndicators } from '../health/gateway.health';
import { APP_LOGGER } from '../logging/logger';
import { HttpMetricsMiddleware } from '../metrics/http-metrics.middleware';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitGuard } from '../security/rate-limit.guard';
import { RequestGuardMiddleware } from '../security/request-guard.middleware';
import { SseController } from '../transport/sse.controller';
import { StreamableHttpController } from '../transport/streamable-http.controller';
import { AppModule } from '../app.module';
import { RawBodyMiddleware } from './raw-body.middleware';

type Step = (req: Request, res: Response, next: NextFunction) => void;

/** An entry of Express 5's router stack (the `router` package's Layer). */
interface Layer {
  handle: Step;
  slash?: boolean;
  route?: unknown;
}

interface FastRoute {
  /**
   * The route's code uses only Node's request/response API (plus `res.locals`, `req.originalUrl`,
   * `req.baseUrl`): it can run without Express's prototypes (see `FastPath.bare`).
   */
  nodeLevel: boolean;
  /** The controller class and method: the ExecutionContext the rate-limit guard sees. */
  classRef: new (...args: never[]) => unknown;
  handler: (...args: never[]) => unknown;
  /** Nest's status before the handler runs: @HttpCode, else 201 for POST, 200 for GET. */
  status: number;
  call(req: Request, res: Response): Promise<void>;
}

const routes = new WeakMap<Server, FastPath>();

/** Characters that make `parseurl` (Express's `req.query`) parse a URL with `url.parse`. */
const ODD_URL = /[\t\n\f\r #\u00a0\ufeff]/;

/**
 * The message path (`POST /mcp`, `POST /message`) and `GET /sse` served without Express's router
 * and Nest's router proxy, which took most of the CPU of a request (docs/benchmarks.md), and
 * without Express's prototypes, which cost an idle stream memory and every request CPU. It runs
 * the same code in the same order as the Express path, on the same objects:
 *
 * 1. what `app.handle` does: `X-Powered-By`, `req.res`/`res.req`, Express's request and response
 *    prototypes (so `res.status().json()`, `req.query`, `req.ip`, `res.locals` work as before),
 *    `res.locals`. The prototypes are left out when nothing on the road needs them (`bare`; the
 *    routes' code uses Node's API and `sendJson`/`sendEmpty`/`sendHtml`): each request and
 *    response given Express's prototypes gets V8 hidden classes of its own (about 2 KB per idle
 *    stream, docs/benchmarks.md), and the swap and the polymorphic code after it cost every
 *    message POST CPU. They are given only if the request is refused with an exception
 *    (Nest's `ExceptionsHandler` answers with `res.status().json()`), and `POST /message` keeps them
 *    when its URL is one Express's `req.query` would parse with `url.parse` (see `sessionIdOf`);
 * 2. the application-level middlewares Express held when this path was installed, i.e. those
 *    registered before Nest's own at init: the hook layer of Nest's ExpressAdapter, the CORS
 *    middleware of `app.enableCors` (when CORS is on);
 * 3. `HttpMetricsMiddleware`, `RequestGuardMiddleware` (Host/Origin 403, draining 503, API key
 *    401, principal) and, for the POSTs, `RawBodyMiddleware` (413, unreadable body), the classes
 *    Nest mounts;
 * 4. `RateLimitGuard` (the same instance and throttler storage Nest uses; 429 + Retry-After);
 * 5. the status Nest sets before a handler (201 for POST, 200 for GET, or `@HttpCode`), then the
 *    controller method;
 *    an exception goes to Nest's default `ExceptionsHandler`, as from the router.
 *
 * Everything else (other methods and paths, `/mcp/`, `/MCP`, `HEAD /sse`, ...) goes to Express
 * unchanged. The path stays off (every request goes to Express) if the application has anything Nest would run
 * that this path does not: global or controller-level guards other than the rate limit,
 * interceptors, pipes or filters, a global prefix or versioning, or another module's middleware.
 */
export class FastPath {
  /** Requests this path answered (for tests). */
  served = 0;
  /** Of those, requests started without Express's prototypes (for tests). */
  servedBare = 0;
  /** Off: every request goes to Express (the parity test compares both). */
  disabled = false;
  private eligible: boolean | undefined;
  /**
   * Whether the routes may skip Express's prototypes: the middlewares before Nest's are only
   * Node-level ones (the hook layer of Nest's ExpressAdapter with no hook set, the CORS
   * middleware), and `trust proxy` is off (so Express's `req.ip`, which the
   * rate-limit guard reads, is the socket's address, its fallback without the prototype).
   */
  private bare = false;
  /** Express parses queries with its default, `querystring.parse` (see `sessionIdOf`). */
  private bareQuery = false;
  private readonly express: Application & { request: object; response: object };
  private poweredBy = true;
  private readonly steps: Step[];
  private readonly guard: RateLimitGuard | undefined;
  private readonly exceptions: ExceptionsHandler;
  private readonly mcp: FastRoute;
  private readonly message: FastRoute;
  private readonly sse: FastRoute;

  private readonly before: Layer[];

  constructor(private readonly app: INestApplication) {
    const adapter = app.getHttpAdapter();
    this.express = adapter.getInstance();
    this.before = [...(this.express as unknown as { router: { stack: Layer[] } }).router.stack];
    const config = app.get<AppConfig>(APP_CONFIG);
    const logger = app.get<LoggerService>(APP_LOGGER);
    const metrics = new HttpMetricsMiddleware(app.get(MetricsService));
    const guard = new RequestGuardMiddleware(config, logger, app.get(GatewayHealthIndicators));
    const body = new RawBodyMiddleware(config);
    this.steps = [
      ...this.before.map((layer) => layer.handle),
      (req, res, next) => metrics.use(req, res, next),
      (req, res, next) => guard.use(req, res, next),
      (req, res, next) => body.use(req, res, next),
    ];
    this.guard = config.rateLimitPerMinute > 0 ? app.get(RateLimitGuard) : undefined;
    this.exceptions = new ExceptionsHandler(adapter);

    const mcp = app.get(StreamableHttpController);
    const sse = app.get(SseController);
    this.mcp = {
      nodeLevel: true,
      classRef: StreamableHttpController,
      handler: StreamableHttpController.prototype.post,
      status: statusOf(StreamableHttpController.prototype.post, 201),
      call: (req, res) => mcp.post(req, res),
    };
    this.message = {
      nodeLevel: true,
      classRef: SseController,
      handler: SseController.prototype.message,
      status: statusOf(SseController.prototype.message, 201),
      call: (req, res) => sse.message(this.sessionIdOf(req), req, res),
    };
    this.sse = {
      nodeLevel: true,
      classRef: SseController,
      handler: SseController.prototype.open,
      status: statusOf(SseController.prototype.open, 200),
      call: async (req, res) => sse.open(req, res),
    };
  }

  /** Serve the request if it is a message POST or `GET /sse`; false when Express should have it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.disabled) return false;
    const method = req.method;
    if (method !== 'POST' && method !== 'GET') return false;
    const url = req.url ?? '';
    const end = url.indexOf('?');
    const path = end < 0 ? url : url.slice(0, end);
    const route = method === 'GET' ? (path === '/sse' ? this.sse : undefined) : path === '/mcp' ? this.mcp : path === '/message' ? this.message : undefined;
    if (route === undefined) return false;
    this.eligible ??= this.checkEligible();
    if (!this.eligible) return false;
    this.served++;
    this.run(req as Request, res as Response, route);
    return true;
  }

  private run(req: Request, res: Response, route: FastRoute): void {
    // What Express's app.handle and router do before the first middleware.
    if (this.poweredBy) res.setHeader('X-Powered-By', 'Express');
    req.res = res;
    res.req = req;
    if (route.nodeLevel && this.bare && (route !== this.message || (this.bareQuery && !ODD_URL.test(req.url)))) this.servedBare++;
    else this.dress(req, res);
    if (!res.locals) res.locals = Object.create(null);
    req.originalUrl = req.url;
    req.baseUrl = '';

    let index = 0;
    const next: NextFunction = (err?: unknown) => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') {
        this.fail(err, req, res, next);
        return;
      }
      const step = this.steps[index++];
      if (step === undefined) {
        void this.dispatch(req, res, route, next);
        return;
      }
      try {
        step(req, res, next);
      } catch (thrown) {
        this.fail(thrown, req, res, next);
      }
    };
    req.next = next;
    next();
  }

  /**
   * `@Query('sessionId')` of `POST /message`: Express's `req.query` when the request has Express's
   * prototype, else what it computes: the query of `parseurl` (the text after the first `?` of a
   * URL without the characters that make it fall back to `url.parse`, see `ODD_URL`) through
   * Express 5's default "simple" query parser, `querystring.parse` (checked in `checkEligible`).
   */
  private sessionIdOf(req: Request): string | undefined {
    if (Object.getPrototypeOf(req) === this.express.request) return req.query['sessionId'] as string | undefined;
    const url = req.url;
    const start = url.indexOf('?');
    return parseQuery(start < 0 ? '' : url.slice(start + 1))['sessionId'] as string | undefined;
  }

  /** What Nest's router-execution-context does: guards, the handler's status, the handler. */
  private async dispatch(req: Request, res: Response, route: FastRoute, next: NextFunction): Promise<void> {
    try {
      if (this.guard) {
        const context = new ExecutionContextHost([req, res, next], route.classRef as never, route.handler as never);
        context.setType('http');
        if (!(await this.guard.canActivate(context))) throw new ForbiddenException(FORBIDDEN_MESSAGE);
      }
      res.statusCode = route.status; // what Express's res.status() does with a valid code
      await route.call(req, res);
    } catch (err) {
      this.fail(err, req, res, next);
    }
  }

  private fail(err: unknown, req: Request, res: Response, next: NextFunction): void {
    this.dress(req, res); // Nest's ExceptionsHandler answers through Express's response methods
    this.exceptions.next(err as Error, new ExecutionContextHost([req, res, next]));
  }

  /** Give the request and response Express's prototypes (what `app.handle` does), once. */
  private dress(req: Request, res: Response): void {
    if (Object.getPrototypeOf(req) !== this.express.request) Object.setPrototypeOf(req, this.express.request);
    if (Object.getPrototypeOf(res) !== this.express.response) Object.setPrototypeOf(res, this.express.response);
  }

  /**
   * Whether this layer is the one Nest's ExpressAdapter adds in its constructor (the first of the
   * stack) and it only calls `next()`: no request or response hook is set on the adapter.
   */
  private isNestHook(layer: Layer): boolean {
    const adapter = this.app.getHttpAdapter();
    return layer === this.before[0] && Reflect.get(adapter, 'onRequestHook') === undefined && Reflect.get(adapter, 'onResponseHook') === undefined;
  }

  /** True when Nest would run nothing on these routes beyond what this path runs. */
  private checkEligible(): boolean {
    const config: unknown = Reflect.get(this.app, 'config');
    if (!(config instanceof ApplicationConfig)) return false;
    // The middlewares seen at install are mounted on every path and still come first.
    const stack = (this.express as unknown as { router: { stack: Layer[] } }).router.stack;
    if (this.before.some((layer, i) => layer.slash !== true || layer.route !== undefined || stack[i] !== layer)) return false;
    this.poweredBy = this.express.enabled('x-powered-by');
    this.bareQuery = this.express.get('query parser fn') === parseQuery;
    this.bare = !this.express.enabled('trust proxy') && this.before.every((layer) => this.isNestHook(layer) || layer.handle.name === 'corsMiddleware');
    if (config.getGlobalPrefix() !== '' || config.getVersioning() !== undefined) return false;
    if (config.getGlobalFilters().length > 0 || config.getGlobalPipes().length > 0 || config.getGlobalInterceptors().length > 0) return false;
    if (config.getGlobalRequestFilters().length > 0 || config.getGlobalRequestPipes().length > 0 || config.getGlobalRequestInterceptors().length > 0) return false;
    if (config.getGlobalRequestGuards().length > 0) return false;
    const guards = config.getGlobalGuards();
    if (guards.length !== (this.guard ? 1 : 0) || (this.guard && guards[0] !== this.guard)) return false;
    for (const route of [this.mcp, this.message, this.sse]) {
      for (const key of [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA]) {
        if (Reflect.getMetadata(key, route.classRef) !== undefined || Reflect.getMetadata(key, route.handler) !== undefined) return false;
      }
    }
    for (const module of this.app.get(ModulesContainer).values()) {
      const type = module.metatype as { prototype?: { configure?: unknown } } | undefined;
      if (type !== AppModule && typeof type?.prototype?.configure === 'function') return false;
    }
    return true;
  }
}

function statusOf(handler: object, byMethod: number): number {
  const code: unknown = Reflect.getMetadata(HTTP_CODE_METADATA, handler);
  return typeof code === 'number' ? code : byMethod;
}

/**
 * Put the fast path in front of the Express application on the app's HTTP server. Call it once,
 * when the Nest application is created and configured (`enableCors`), before `init`/`listen`.
 */
export function installFastPath(app: INestApplication): FastPath {
  const server = app.getHttpServer() as Server;
  const express = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
  const fast = new FastPath(app);
  const listeners = server.listeners('request');
  if (listeners.length !== 1 || listeners[0] !== express) {
    fast.disabled = true; // someone else owns the server's requests: leave them alone
    return fast;
  }
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!fast.handle(req, res)) express(req, res);
  });
  routes.set(server, fast);
  return fast;
}

/** The fast path installed on this server, if any. */
export function fastPathOf(server: Server): FastPath | undefined {
  return routes.get(server);
}
