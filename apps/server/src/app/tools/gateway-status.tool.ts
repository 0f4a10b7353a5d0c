import { Injectable } from '@nestjs/common';
import { McpTool, ToolCatalogService } from '@sanctum/discovery';
import { SessionRegistry } from '@sanctum/sessions';
import { SERVER_INFO } from '../mcp/server-info';

/** The gateway's own in-process tool: what an agent can learn about the gateway itself. */
@Injectable()
export class GatewayStatusTool {
  private readonly startedAt = Date.now();

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly catalog: ToolCatalogService,
  ) {}

  @McpTool({
    namespace: 'gateway',
    name: 'status',
    description: 'Report the gateway version, uptime, open sessions by transport, and the loaded and skipped plugins.',
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  })
  status(): Record<string, unknown> {
    const { plugins, skipped } = this.catalog.report;
    return {
      server: SERVER_INFO,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      sessions: { open: this.sessions.count(), byTransport: this.sessions.countByTransport() },
      plugins: plugins.map((p) => ({ name: p.name, commands: p.commands.map((c) => c.name), via: p.via })),
      skipped: skipped.map((s) => ({ name: s.name, reason: s.reason })),
      tools: this.catalog.list().length,
    };
  }
}
