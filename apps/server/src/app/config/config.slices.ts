import type { AppConfig } from './app-config';
import type { ConfigGroup } from './config.table';

/**
 * The part of AppConfig each module reads, so that a module is given (and its spec builds) only
 * what it uses. A field may be in several slices: the bind address matters to both the server
 * and the security checks.
 */
export const CONFIG_SLICES = {
  server: [
    'host',
    'port',
    'transport',
    'shutdownGraceMs',
    'maxBodyBytes',
    'maxBodiesInFlight',
    'maxBatch',
    'corsOrigins',
    'publicBasePath',
  ],
  security: [
    'host',
    'apiKeys',
    'authDisabled',
    'authLoopbackBypass',
    'healthAuth',
    'allowedHosts',
    'allowedOrigins',
    'corsOrigins',
    'rateLimitPerMinute',
    'trustedProxies',
    'redisUrl',
    'redisPrefix',
  ],
  executor: [
    'python',
    'pluginTimeoutMs',
    'killGraceMs',
    'maxConcurrency',
    'pluginConcurrency',
    'queueLimit',
    'maxStdoutBytes',
    'maxStderrBytes',
    'maxArgBytes',
    'maxArgsTotalBytes',
    'pluginEnv',
    'forkServer',
    'forkExclude',
    'sandbox',
    'maxProcs',
    'offlinePlugins',
    'sandboxWritable',
    'apiKeysFile',
  ],
  discovery: [
    'pluginsDir',
    'discoveryTimeoutMs',
    'discoveryCacheFile',
    'toolNameTemplate',
    'pluginTimeouts',
    'watchPlugins',
    'watchDebounceMs',
    'profiles',
  ],
  sessions: [
    'maxSessions',
    'maxSessionsPerKey',
    'sessionIdleTimeoutMs',
    'sseKeepaliveMs',
    'maxUnsentBytes',
    'redisUrl',
    'redisPrefix',
    'redisStreamMaxLen',
    'redisHeartbeatMs',
  ],
  dispatcher: [
    'slowCallMs',
    'listTtlMs',
    'watchPlugins',
    'maxArgBytes',
    'maxArgsTotalBytes',
    'maxBatchAnswerBytes',
    'maxStdoutBytes',
    'inputRounds',
    'pluginTimeoutMs',
    'stateSecret',
    'stateTtlMs',
  ],
  logging: ['logLevel', 'logFormat'],
  tracing: ['tracing'],
  console: ['console', 'consoleKeys', 'logLevel'],
} as const satisfies Record<ConfigGroup, readonly (keyof AppConfig)[]>;

type Slice<G extends ConfigGroup> = Readonly<Pick<AppConfig, (typeof CONFIG_SLICES)[G][number]>>;

/** Bind address, transport, shutdown, body and batch limits and CORS: what main.ts, bootstrap and the body check use. */
export type ServerConfig = Slice<'server'>;
/** Keys, Host/Origin checks and rate limit: the front door. */
export type SecurityConfig = Slice<'security'>;
/** What ExecutorModule and the argument limits are configured with. */
export type ExecutorConfig = Slice<'executor'>;
/** Plugin folders, discovery, the catalog's naming and timeouts, hot reload. */
export type DiscoveryConfig = Slice<'discovery'>;
/** Session caps, idle timeout, SSE keepalive and the shared store (Redis). */
export type SessionsConfig = Slice<'sessions'>;
/** Slow-call logging, the 2026-07-28 list TTL, whether tools/list can change, argument limits, the batch answer bound. */
export type DispatcherConfig = Slice<'dispatcher'>;
export type LoggingConfig = Slice<'logging'>;
/** Whether and how the gateway traces (GatewayTracing). */
export type TracingSlice = Slice<'tracing'>;
/** Whether the operator console is served, and who may open it. */
export type ConsoleConfig = Slice<'console'>;

/** A copy holding only the slice's fields, so a module cannot come to depend on the rest. */
function slice<G extends ConfigGroup>(group: G, config: AppConfig): Slice<G> {
  const fields: readonly (keyof AppConfig)[] = CONFIG_SLICES[group];
  return Object.fromEntries(fields.map((field) => [field, config[field]])) as Slice<G>;
}

export const serverSlice = (config: AppConfig): ServerConfig => slice('server', config);
export const securitySlice = (config: AppConfig): SecurityConfig => slice('security', config);
export const executorSlice = (config: AppConfig): ExecutorConfig => slice('executor', config);
export const discoverySlice = (config: AppConfig): DiscoveryConfig => slice('discovery', config);
export const sessionsSlice = (config: AppConfig): SessionsConfig => slice('sessions', config);
export const dispatcherSlice = (config: AppConfig): DispatcherConfig => slice('dispatcher', config);
export const loggingSlice = (config: AppConfig): LoggingConfig => slice('logging', config);
export const tracingSlice = (config: AppConfig): TracingSlice => slice('tracing', config);
export const consoleSlice = (config: AppConfig): ConsoleConfig => slice('console', config);

/** DI tokens of the slices: a provider injects the one it reads, never the whole configuration. */
export const SERVER_CONFIG = Symbol('SANCTUM:SERVER_CONFIG');
export const SECURITY_CONFIG = Symbol('SANCTUM:SECURITY_CONFIG');
export const EXECUTOR_CONFIG = Symbol('SANCTUM:EXECUTOR_CONFIG');
export const DISCOVERY_CONFIG = Symbol('SANCTUM:DISCOVERY_CONFIG');
export const SESSIONS_CONFIG = Symbol('SANCTUM:SESSIONS_CONFIG');
export const DISPATCHER_CONFIG = Symbol('SANCTUM:DISPATCHER_CONFIG');
export const CONSOLE_CONFIG = Symbol('SANCTUM:CONSOLE_CONFIG');

/** The slice providers of one configuration (AppModule lists them). */
export function configProviders(config: AppConfig): Array<{ provide: symbol; useValue: object }> {
  return [
    { provide: SERVER_CONFIG, useValue: serverSlice(config) },
    { provide: SECURITY_CONFIG, useValue: securitySlice(config) },
    { provide: EXECUTOR_CONFIG, useValue: executorSlice(config) },
    { provide: DISCOVERY_CONFIG, useValue: discoverySlice(config) },
    { provide: SESSIONS_CONFIG, useValue: sessionsSlice(config) },
    { provide: DISPATCHER_CONFIG, useValue: dispatcherSlice(config) },
    { provide: CONSOLE_CONFIG, useValue: consoleSlice(config) },
  ];
}
