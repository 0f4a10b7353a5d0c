import { Inject, Injectable, Optional } from '@nestjs/common';
import { SessionBus } from '@sanctum/sessions';
import type { LoggerService } from '@nestjs/common';
import cors from 'cors';
import { SECURITY_CONFIG } from '../config/config.slices';
import type { SecurityConfig } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { HttpMetrics } from '../metrics/http-metrics';
import { FrontDoor } from '../security/front-door';
import { ProfileEndpoint } from '../profiles/profile-endpoint';
import { RateLimit } from '../security/rate-limit';
import { HttpSseTransport } from '../transport/http-sse.transport';
import { whileStoreReachable } from '../transport/shared-store';
import { StreamableHttpTransport } from '../transport/streamable-http.transport';
import { BodyReader } from './body-reader';
import { runChecks, runHandler } from './request-checks';
import type { GatewayRequest, GatewayResponse, RequestCheck, RouteHandler } from './request-checks';
import { EVERY_REQUEST, MCP_ROUTES, routePathMatches } from './routes';
import { GatewayTracing } from '../tracing/gateway-tracing';
import type { CheckName, HandlerName, McpRoute } from './routes';

/** The MCP headers a browser client must be allowed to send and read. */
export const MCP_CORS_HEADERS = ['Content-Type', 'Accept', 'Authorization', 'X-API-Key', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Last-Event-ID', 'X-Agent-Id'];

/** A route of the table with its functions: `serve` runs the route's own checks, then its handler. */
export interface ResolvedRoute extends McpRoute {
  /** The route's checks then its transport adapter's handler; runs after EVERY_REQUEST's checks. */
  serve(req: GatewayRequest, res: GatewayResponse): void;
}

/**
 * The route table (http/routes.ts) with its names turned into functions: the checks built from the
 * configuration, the handlers of the transport adapters (HTTP+SSE, Streamable HTTP). Express and the
 * fast path both serve these (see routes.ts).
 */
@Injectable()
export class GatewayRoutes {
  /** The checks of EVERY_REQUEST that are on (CORS only with MCP_CORS_ORIGINS), in order. */
  readonly everyRequest: readonly RequestCheck[];
  readonly routes: readonly ResolvedRoute[];

  constructor(
    @Inject(SECURITY_CONFIG) config: SecurityConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    metrics: HttpMetrics,
    frontDoor: FrontDoor,
    body: BodyReader,
    rateLimit: RateLimit,
    profile: ProfileEndpoint,
    sse: HttpSseTransport,
    mcp: StreamableHttpTransport,
    @Optional() tracing: GatewayTracing = GatewayTracing.off(),
    @Optional() @Inject(SessionBus) bus: SessionBus | null = null,
  ) {
    // Only a shared store can be unreachable: without one the handlers run as they are.
    const guarded = (handler: RouteHandler): RouteHandler =>
      bus === null ? handler : (req, res) => whileStoreReachable(res, async () => handler(req, res));
    const checks: Record<CheckName, RequestCheck | undefined> = {
      cors: corsCheck(config.corsOrigins),
      metrics: metrics.check,
      frontDoor: frontDoor.check,
      profile: profile.check,
      body: body.check,
      rateLimit: rateLimit.check,
    };
    const handlers: Record<HandlerName, RouteHandler> = {
      sseOpen: guarded((req, res) => sse.open(req, res)),
      sseMessage: guarded((req, res) => sse.message(req, res)),
      ssePost: (req, res) => profile.misdirectedSsePost(req, res),
      mcpPost: guarded((req, res) => mcp.post(req, res)),
      mcpStream: guarded((req, res) => mcp.open(req, res)),
      mcpEnd: guarded((req, res) => mcp.end(req, res)),
    };
    const on = (names: readonly CheckName[]): RequestCheck[] => names.flatMap((name) => checks[name] ?? []);
    this.everyRequest = on(EVERY_REQUEST);
    this.routes = MCP_ROUTES.map((route) => {
      const own = on(route.checks);
      const handler = handlers[route.handler];
      const serve: ResolvedRoute['serve'] = (req, res) => runChecks(own, req, res, this.logger, () => runHandler(handler, req, res, this.logger));
      // Traced: a span per request (tracing/gateway-tracing.ts); off, the route is served as it is.
      const traced: ResolvedRoute['serve'] = (req, res) =>
        tracing.httpRequest(req, res, route.path, (enter) => runChecks(own, req, res, this.logger, () => enter(() => runHandler(handler, req, res, this.logger))));
      return { ...route, serve: tracing.enabled ? traced : serve };
    });
  }

  /** The route for exactly this method and path (no trailing slash, case as declared), if any. */
  find(method: string | undefined, path: string): ResolvedRoute | undefined {
    for (const route of this.routes) if (route.method === method && routePathMatches(route.path, path)) return route;
    return undefined;
  }

  /** The route this controller method serves. */
  byHandler(handler: HandlerName): ResolvedRoute {
    const route = this.routes.find((r) => r.handler === handler);
    if (route === undefined) throw new Error(`the route table has no route for ${handler}`);
    return route;
  }
}

/** CORS for browser clients (MCP_CORS_ORIGINS), answering preflights itself; off without origins. */
function corsCheck(origins: readonly string[]): RequestCheck | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? true : [...origins],
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: MCP_CORS_HEADERS,
    exposedHeaders: ['Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate'],
    maxAge: 600,
  });
}
