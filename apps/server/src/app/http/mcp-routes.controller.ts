import { Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { GatewayRoutes } from './gateway-routes';
import type { GatewayRequest, GatewayResponse } from './request-checks';
import { McpPath } from './routes';
import type { HandlerName } from './routes';

/**
 * The MCP routes of the table (http/routes.ts) on the Express application: Nest runs every
 * middleware, guard and interceptor of the application before these methods, which hand the
 * request to the route's own checks and its transport adapter. The fast path calls the same methods
 * (through Nest's ExternalContextCreator). Each method serves the route whose `handler` is its name;
 * the decorators repeat the table's method and path (a spec checks they agree). The adapters own
 * the response (answers and streams), hence @Res().
 */
@Controller()
export class McpRoutesController {
  constructor(private readonly routes: GatewayRoutes) {}

  @Get([McpPath.Sse, McpPath.ProfileSse])
  sseOpen(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('sseOpen', req, res);
  }

  @Post([McpPath.Message, McpPath.ProfileMessage])
  sseMessage(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('sseMessage', req, res);
  }

  @Post([McpPath.Sse, McpPath.ProfileSse])
  ssePost(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('ssePost', req, res);
  }

  @Post([McpPath.Mcp, McpPath.ProfileMcp])
  mcpPost(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('mcpPost', req, res);
  }

  @Get([McpPath.Mcp, McpPath.ProfileMcp])
  mcpStream(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('mcpStream', req, res);
  }

  @Delete([McpPath.Mcp, McpPath.ProfileMcp])
  mcpEnd(@Req() req: GatewayRequest, @Res() res: GatewayResponse): void {
    this.serve('mcpEnd', req, res);
  }

  private serve(handler: HandlerName, req: GatewayRequest, res: GatewayResponse): void {
    this.routes.byHandler(handler).serve(req, res);
  }
}
