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
  /** The same three under a profile endpoint, which narrows what the caller sees to that profile (MCP_PROFILES). */
  ProfileSse: '/profiles/:profile/sse',
  ProfileMessage: '/profiles/:profile/message',
  ProfileMcp: '/profiles/:profile/mcp',
} as const;

/** The profile named by a path of a profile endpoint (`/profiles/<name>/mcp`), or undefined for another path. */
export function profileOfPath(path: string): string | undefined {
  const match = /^\/profiles\/([^/]+)\/(?:sse|message|mcp)$/.exec(path);
  return match === null ? undefined : decodeURIComponent(match[1]);
}

/** Whether a path of the table (`/profiles/:profile/mcp` included) names this request path. */
export function routePathMatches(routePath: string, path: string): boolean {
  if (!routePath.includes(':profile')) return routePath === path;
  return profileOfPath(path) !== undefined && path.slice(path.lastIndexOf('/')) === routePath.slice(routePath.lastIndexOf('/'));
}

export type McpRouteMethod = 'GET' | 'POST' | 'DELETE';

/** The request checks, in the order they run when a route lists several. */
export type CheckName = 'cors' | 'metrics' | 'frontDoor' | 'profile' | 'body' | 'rateLimit';

/** The route handlers: methods of McpRoutesController, each serving one route of the table. */
export type HandlerName = 'sseOpen' | 'sseMessage' | 'ssePost' | 'mcpPost' | 'mcpStream' | 'mcpEnd';

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
 * refusals for Host, Origin, key and body never use up a caller's budget. `profile` records the
 * profile endpoint (404 for a profile the file does not declare) and the `X-Agent-Id` header. A
 * route and its profile endpoint share the handler and the checks. `POST /sse` (a Letta
 * misconfiguration) is answered 405, naming where messages go.
 */
export const MCP_ROUTES: readonly McpRoute[] = [
  { method: 'GET', path: McpPath.Sse, checks: ['profile', 'rateLimit'], handler: 'sseOpen' },
  { method: 'POST', path: McpPath.Sse, checks: ['profile'], handler: 'ssePost' },
  { method: 'POST', path: McpPath.Message, checks: ['profile', 'body', 'rateLimit'], handler: 'sseMessage' },
  { method: 'POST', path: McpPath.Mcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpPost' },
  { method: 'GET', path: McpPath.Mcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpStream' },
  { method: 'DELETE', path: McpPath.Mcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpEnd' },
  { method: 'GET', path: McpPath.ProfileSse, checks: ['profile', 'rateLimit'], handler: 'sseOpen' },
  { method: 'POST', path: McpPath.ProfileSse, checks: ['profile'], handler: 'ssePost' },
  { method: 'POST', path: McpPath.ProfileMessage, checks: ['profile', 'body', 'rateLimit'], handler: 'sseMessage' },
  { method: 'POST', path: McpPath.ProfileMcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpPost' },
  { method: 'GET', path: McpPath.ProfileMcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpStream' },
  { method: 'DELETE', path: McpPath.ProfileMcp, checks: ['profile', 'body', 'rateLimit'], handler: 'mcpEnd' },
];
