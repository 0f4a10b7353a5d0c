import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { SessionRegistry } from '@sanctum/sessions';
import { ToolCatalogService } from '../mcp/tool-catalog.service';

/** Terminus indicators for the gateway's own parts: sessions and the plugin catalog. */
@Injectable()
export class GatewayHealthIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly sessions: SessionRegistry,
    private readonly catalog: ToolCatalogService,
  ) {}

  sessionsCheck(): HealthIndicatorResult {
    return this.indicators.check('sessions').up({ open: this.sessions.count(), byTransport: this.sessions.countByTransport() });
  }

  pluginsCheck(): HealthIndicatorResult {
    const check = this.indicators.check('plugins');
    const { plugins, skipped } = this.catalog.report;
    const data = { loaded: plugins.length, skipped: skipped.length, tools: this.catalog.list().length };
    return this.catalog.isReady ? check.up(data) : check.down({ ...data, message: 'plugin discovery has not finished' });
  }
}
