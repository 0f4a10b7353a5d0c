import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { DynamicModule, LoggerService, MiddlewareConsumer, NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_LOGGER } from './logging/logger';
import { DISCOVERY_LOGGER, DISCOVERY_OPTIONS, PluginDiscoveryService, PluginRunner } from '@sanctum/discovery';
import type { DiscoveryOptions } from '@sanctum/discovery';
import { ExecutorModule, resolvePython } from '@sanctum/executor';
import { InMemorySessionRegistry, SessionRegistry } from '@sanctum/sessions';
import { APP_CONFIG } from './config/config';
import type { AppConfig } from './config/config';
import { GatewayHealthIndicators } from './health/gateway.health';
import { HealthController } from './health/health.controller';
import { RawBodyMiddleware } from './http/raw-body.middleware';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { ExecutorPluginRunner } from './mcp/executor-plugin-runner';
import { McpDispatcher } from './mcp/mcp-dispatcher.service';
import { ModernEra } from './mcp/modern-era.service';
import { PluginWatcherService } from './mcp/plugin-watcher.service';
import { ToolCatalogService } from './mcp/tool-catalog.service';
import { RateLimitGuard } from './security/rate-limit.guard';
import { RequestGuardMiddleware } from './security/request-guard.middleware';
import { SessionLimits } from './security/session-limits';
import { GatewayStatusTool } from './tools/gateway-status.tool';
import { ProviderToolsExplorer } from './tools/provider-tools.explorer';
import { ModernHttpTransport } from './transport/modern-http';
import { SseController } from './transport/sse.controller';
import { StreamableHttpController } from './transport/streamable-http.controller';
import { StreamableHttpStreams } from './transport/streamable-http.streams';

/** The gateway: transports and health around one dispatcher, built from the libraries. */
@Module({})
export class AppModule implements NestModule {
  /**
   * @param extensions modules of the deploying team: any provider in them with @McpTool methods
   *   contributes tools to the catalog.
   */
  static forRoot(config: AppConfig, logger: LoggerService, extensions: DynamicModule['imports'] = []): DynamicModule {
    const python = resolvePython(config.python === undefined ? process.env : { ...process.env, MCP_PYTHON: config.python });
    return {
      module: AppModule,
      imports: [
        DiscoveryModule,
        TerminusModule.forRoot({ logger: false }),
        ExecutorModule.forRoot({
          python,
          timeoutMs: config.pluginTimeoutMs,
          envAllow: config.pluginEnv,
          maxConcurrency: config.maxConcurrency,
          pluginConcurrency: config.pluginConcurrency,
          queueLimit: config.queueLimit,
          maxStdoutBytes: config.maxStdoutBytes,
          maxStderrBytes: config.maxStderrBytes,
          killGraceMs: config.killGraceMs,
          forkServer: config.forkServer,
          forkExclude: config.forkExclude,
          logger,
        }),
        ThrottlerModule.forRoot({ throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }] }),
        ...(extensions ?? []),
      ],
      controllers: [SseController, StreamableHttpController, HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_LOGGER, useValue: logger },
        { provide: SessionRegistry, useClass: InMemorySessionRegistry },
        {
          provide: DISCOVERY_OPTIONS,
          useValue: {
            pluginsDir: config.pluginsDir,
            helpTimeoutMs: config.discoveryTimeoutMs,
            concurrency: 8,
            cacheFile: config.discoveryCacheFile,
            runtime: `${python} node-${process.version}`,
          } satisfies DiscoveryOptions,
        },
        { provide: DISCOVERY_LOGGER, useValue: logger },
        { provide: PluginRunner, useClass: ExecutorPluginRunner },
        PluginDiscoveryService,
        ToolCatalogService,
        PluginWatcherService,
        McpDispatcher,
        ModernEra,
        ModernHttpTransport,
        StreamableHttpStreams,
        GatewayHealthIndicators,
        MetricsService,
        ProviderToolsExplorer,
        SessionLimits,
        // One instance, also used by the message fast path (http/fast-path.ts).
        ...(config.rateLimitPerMinute > 0 ? [RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }] : []),
        GatewayStatusTool,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, RequestGuardMiddleware).forRoutes('*path');
    consumer.apply(RawBodyMiddleware).forRoutes('message', 'mcp');
  }
}
