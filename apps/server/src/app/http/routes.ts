/**
 * The MCP routes and the checks each request passes, declared once. Both ways of serving a request
 * use this table, through GatewayRoutes (http/gateway-routes.ts), which turns the names below into
 * functions: on the Express application, EVERY_REQUEST's checks are Nest middleware for every path
 * (AppModule.configure) and McpRoutesController's methods serve the routes (after any other Nest
 * middleware, guards and interceptors); the fast path's `node:http` listener (http/fast-path.ts)
 * runs the same checks, then the same controller methods through Nest's ExternalContextCreator (so
 * guards, interceptors and filters apply there too). A check or route added here applies to both.
 */

/** Paths of the MCP transports. */
export const McpPath = {
  /** HTTP+SSE transport (2024-11-05): the event stream. */
  Sse: '/sse',
  /** HTTP+SSE transport: client messages (`?sessionId=`), or one-shot calls without a session. */
  Message: '/message',
  /** Streamable HTTP transport (2025 revisions and 2026-07-28). */
  Mcp: '/mcp',
} as const;

export type McpRouteMethod = 'GET' | 'POST' | 'DELETE';

/** The request checks, in the order they run when a route lists several. */
export type CheckName = 'cors' | 'metrics' | 'frontDoor' | 'body' | 'rateLimit';

/** The route handlers: methods of McpRoutesController, each serving one route of the table. */
export type HandlerName = 'sseOpen' | 'sseMessage' | 'mcpPost' | 'mcpStream' | 'mcpEnd';

export interface McpRoute {
  method: McpRouteMethod;
  path: (typeof McpPath)[keyof typeof McpPath];
  /** Checks after those every request passes (EVERY_REQUEST), in order. */
  checks: readonly CheckName[];
  handler: HandlerName;
}

/**
 * Checks every request passes, whatever its path (also /health, /metrics and unknown paths):
 * CORS (when MCP_CORS_ORIGINS is set), the request counter, then Host/Origin, draining and the
 * API key (which records the principal).
 */
export const EVERY_REQUEST: readonly CheckName[] = ['cors', 'metrics', 'frontDoor'];

/**
 * The MCP routes: the body is read (capped, 413) before the rate limit counts the request, so that
 * refusals for Host, Origin, key and body never use up a caller's budget.
 */
export const MCP_ROUTES: readonly McpRoute[] = [
  { method: 'GET', path: McpPath.Sse, checks: ['rateLimit'], handler: 'sseOpen' },
  { method: 'POST', path: McpPath.Message, checks: ['body', 'rateLimit'], handler: 'sseMessage' },
  { method: 'POST', path: McpPath.Mcp, checks: ['body', 'rateLimit'], handler: 'mcpPost' },
  { method: 'GET', path: McpPath.Mcp, checks: ['body', 'rateLimit'], handler: 'mcpStream' },
  { method: 'DELETE', path: McpPath.Mcp, checks: ['body', 'rateLimit'], handler: 'mcpEnd' },
];
