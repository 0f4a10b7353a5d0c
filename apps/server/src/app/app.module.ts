import { Inject, Module } from '@nestjs/common';
import type { DynamicModule, LoggerService, MiddlewareConsumer, NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_LOGGER } from './logging/logger';
import { ToolDiscoveryModule } from '@sanctum/discovery';
import { dirname } from 'node:path';
import { ExecutorModule, ExecutorService, FORK_SERVER_SCRIPT, probeSandbox, resolvePython, sandboxShortfall } from '@sanctum/executor';
import type { Sandbox } from '@sanctum/executor';
import { InMemorySessionRegistry, RedisSessionRegistry, SessionsModule } from '@sanctum/sessions';
import type { SessionsModuleExtras, SessionsModuleOptions } from '@sanctum/sessions';
import type { AppConfig } from './config/config';
import { ConfigError } from './config/config.error';
import { configProviders } from './config/config.slices';
import { GatewayHealthIndicators } from './health/gateway.health';
import { HealthController } from './health/health.controller';
import { BodyReader } from './http/body-reader';
import { FastPath } from './http/fast-path';
import { GatewayRoutes } from './http/gateway-routes';
import { McpRoutesController } from './http/mcp-routes.controller';
import { HttpMetrics } from './metrics/http-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { CatalogNotifier } from './mcp/catalog-notifier';
import { ContentNotifier } from './mcp/content-notifier';
import { McpContent } from './mcp/mcp-content.service';
import { ResourceSubscriptions } from './mcp/resource-subscriptions';
import { ExecutorPluginRunner } from './mcp/executor-plugin-runner';
import { McpDispatcher } from './mcp/mcp-dispatcher.service';
import { StatelessProtocol } from './mcp/stateless-protocol.service';
import { PluginInput } from './mcp/input/plugin-input.service';
import { RequestStateSeal } from './mcp/input/request-state';
import { FrontDoor } from './security/front-door';
import { RateLimit } from './security/rate-limit';
import { GatewayStatusTool } from './tools/gateway-status.tool';
import { ProfileEndpoint } from './profiles/profile-endpoint';
import { SessionViews } from './profiles/session-views.service';
import { consoleParts } from './console/console.providers';
import { RecentCalls } from './console/recent-calls';
import { HttpSseTransport } from './transport/http-sse.transport';
import { StreamableHttpTransport } from './transport/streamable-http.transport';
import { GatewayTracing } from './tracing/gateway-tracing';
import { SERVER_INFO } from './mcp/server-info';

/** The gateway: transports and health around one dispatcher, built from the libraries. */
/** The plugin sandbox MCP_SANDBOX asks for; under `required`, a host without it is a configuration error. */
function sandboxFor(config: AppConfig): Sandbox {
  const sandbox = probeSandbox({
    mode: config.sandbox,
    maxProcs: config.maxProcs,
    offline: config.offlinePlugins,
    writable: config.sandboxWritable,
    hidden: config.apiKeysFile === undefined ? [] : [config.apiKeysFile],
    readable: [config.pluginsDir, dirname(FORK_SERVER_SCRIPT)],
  });
  const shortfall = sandboxShortfall(sandbox, config.maxProcs);
  if (shortfall !== undefined) {
    throw new ConfigError(
      'MCP_SANDBOX',
      'required',
      '',
      `Invalid configuration: MCP_SANDBOX=required but this host cannot sandbox plugins: ${shortfall}. Install what is missing, or set MCP_SANDBOX=auto to start with what the host offers.`,
    );
  }
  return sandbox;
}

/**
 * Sessions shared between instances through Redis when MCP_REDIS_URL is set (HTTP transports;
 * a stdio process serves its one client alone), else kept in this process.
 */
function sharedSessions(config: AppConfig): Pick<SessionsModuleOptions, 'redis'> & SessionsModuleExtras {
  if (config.redisUrl === undefined || config.transport === 'stdio') return { registry: InMemorySessionRegistry };
  return {
    registry: RedisSessionRegistry,
    redis: {
      url: config.redisUrl,
      prefix: config.redisPrefix,
      streamMaxLen: config.redisStreamMaxLen,
      heartbeatMs: config.redisHeartbeatMs,
      idleTtlMs: config.sessionIdleTimeoutMs,
    },
  };
}

/**
 * The key of sealed 2026-07-28 requestState: MCP_STATE_SECRET, shared by every instance. Unset, one
 * instance generates one and says so (createApp refuses instances sharing sessions without it).
 */
function stateSeal(config: AppConfig, logger: LoggerService): RequestStateSeal {
  if (config.stateSecret !== undefined) return new RequestStateSeal(config.stateSecret, config.stateTtlMs);
  logger.log('MCP_STATE_SECRET is not set: requestState (protocol revision 2026-07-28 input rounds) is sealed with a key generated at start; a retry after a restart is refused', 'Gateway');
  return RequestStateSeal.generated(config.stateTtlMs);
}

/** Whether this configuration shares sessions with other instances (MCP_REDIS_URL, over HTTP). */
export function sharesSessions(config: AppConfig): boolean {
  return sharedSessions(config).redis !== undefined;
}

@Module({})
export class AppModule implements NestModule {
  /**
   * @param extensions modules of the deploying team: any provider in them with @McpTool methods
   *   contributes tools to the catalog.
   */
  static forRoot(config: AppConfig, logger: LoggerService, extensions: DynamicModule['imports'] = []): DynamicModule {
    const python = resolvePython(config.python === undefined ? process.env : { ...process.env, MCP_PYTHON: config.python });
    const executor = ExecutorModule.forRoot({
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
      sandbox: sandboxFor(config),
      logger,
    });
    const operatorConsole = consoleParts(config.console);
    return {
      module: AppModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        executor,
        // The same executor module (one ExecutorService) runs discovery's --describe and --help.
        ToolDiscoveryModule.forRootAsync({
          imports: [executor],
          inject: [ExecutorService],
          useFactory: (executorService: ExecutorService) => ({
            pluginsDir: config.pluginsDir,
            helpTimeoutMs: config.discoveryTimeoutMs,
            cacheFile: config.discoveryCacheFile,
            runtime: `${python} node-${process.version}`,
            toolNameTemplate: config.toolNameTemplate,
            pluginTimeouts: config.pluginTimeouts,
            watch: config.watchPlugins,
            watchDebounceMs: config.watchDebounceMs,
            profiles: config.profiles,
            runner: new ExecutorPluginRunner(executorService),
            logger,
          }),
        }),
        SessionsModule.forRoot({
          maxSessions: config.maxSessions,
          maxSessionsPerKey: config.maxSessionsPerKey,
          idleTimeoutMs: config.sessionIdleTimeoutMs,
          keepaliveMs: config.sseKeepaliveMs,
          maxUnsentBytes: config.maxUnsentBytes,
          logger,
          ...sharedSessions(config),
        }),
        ...(extensions ?? []),
      ],
      controllers: [McpRoutesController, HealthController, MetricsController, ...operatorConsole.controllers],
      providers: [
        ...configProviders(config),
        { provide: APP_LOGGER, useValue: logger },
        CatalogNotifier,
        ContentNotifier,
        McpContent,
        ResourceSubscriptions,
        McpDispatcher,
        StatelessProtocol,
        PluginInput,
        { provide: RequestStateSeal, useFactory: () => stateSeal(config, logger) },
        GatewayHealthIndicators,
        MetricsService,
        HttpSseTransport,
        StreamableHttpTransport,
        HttpMetrics,
        FrontDoor,
        BodyReader,
        RateLimit,
        GatewayRoutes,
        FastPath,
        GatewayStatusTool,
        ProfileEndpoint,
        SessionViews,
        // OpenTelemetry traces (OTEL_*), or off: the hooks of the transports and the dispatcher test `enabled`.
        { provide: GatewayTracing, useFactory: () => (config.tracing ? GatewayTracing.start(config.tracing, SERVER_INFO.version) : GatewayTracing.off()) },
        RecentCalls,
        ...operatorConsole.providers,
      ],
    };
  }

  constructor(@Inject(GatewayRoutes) private readonly routes: GatewayRoutes) {}

  /**
   * The route table's checks for every request, on every path of the Express application; the MCP
   * routes themselves are McpRoutesController's. The fast path runs the same (http/fast-path.ts).
   */
  configure(consumer: MiddlewareConsumer): void {
    if (this.routes.everyRequest.length > 0) consumer.apply(...this.routes.everyRequest).forRoutes('*path');
  }
}
