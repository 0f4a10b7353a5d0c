import type { AppConfig, ApiKey, TracingConfig } from './app-config';
import { ConfigError } from './config.error';
import { contextOf, resolvePath } from './config.parsers';
import type { Env } from './config.parsers';
import { readValues } from './config.table';
import type { ConfigValues } from './config.table';
import { FailClosedError } from './fail-closed.error';

export { KEYLESS_PRINCIPALS, LOG_LEVELS, LOOPBACK_PRINCIPAL } from './app-config';
export type { ApiKey, AppConfig, LogLevel } from './app-config';
export { ConfigError } from './config.error';
export { FailClosedError } from './fail-closed.error';

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * MCP_API_KEY is named `default`. Names and keys are each unique among all keys: a key is known
 * by the one name logs, metrics, caps and session ownership use.
 */
function allKeys(values: ConfigValues): ApiKey[] {
  const keys = [
    ...(values.MCP_API_KEY === undefined ? [] : [{ name: 'default', key: values.MCP_API_KEY }]),
    ...values.MCP_API_KEYS,
    ...values.MCP_API_KEYS_FILE,
  ];
  const names = new Set<string>();
  const owners = new Map<string, string>();
  for (const { name, key } of keys) {
    if (names.has(name)) throw new ConfigError('MCP_API_KEYS', name, 'unique key names');
    names.add(name);
    const owner = owners.get(key);
    if (owner !== undefined) {
      throw new ConfigError(
        'MCP_API_KEYS',
        `${owner}:***,${name}:***`,
        'a key of its own for every name',
        `Invalid configuration: the keys named "${owner}" and "${name}" are the same key (MCP_API_KEY, MCP_API_KEYS); give each name a key of its own.`,
      );
    }
    owners.set(key, name);
  }
  return keys;
}

/**
 * The admin keys of the operator console: the names MCP_CONSOLE_KEYS gives (each a configured key),
 * else a key named `admin`. With MCP_CONSOLE=1, keys but no admin key, or no keys beyond loopback,
 * refuse the start: the console must never be open to whoever reaches the port.
 */
function consoleKeysOf(values: ConfigValues, apiKeys: readonly ApiKey[], host: string, named: boolean): string[] {
  const keyNames = new Set(apiKeys.map((k) => k.name));
  if (apiKeys.length === 0) {
    if (values.MCP_CONSOLE && !isLoopbackHost(host)) {
      throw new ConfigError(
        'MCP_CONSOLE',
        '1',
        'an admin key beyond loopback',
        `Invalid configuration: MCP_CONSOLE=1 on ${host} (beyond loopback) needs an admin key: add one to MCP_API_KEYS and name it in MCP_CONSOLE_KEYS, or bind to 127.0.0.1.`,
      );
    }
    return [];
  }
  const unknown = values.MCP_CONSOLE_KEYS.filter((name) => !keyNames.has(name));
  if (named && unknown.length > 0) {
    throw new ConfigError(
      'MCP_CONSOLE_KEYS',
      values.MCP_CONSOLE_KEYS.join(','),
      'names of configured API keys',
      `Invalid configuration: MCP_CONSOLE_KEYS names ${unknown.map((n) => `"${n}"`).join(', ')}, which is not an API key; expected names from MCP_API_KEY (default), MCP_API_KEYS or MCP_API_KEYS_FILE.`,
    );
  }
  const admins = values.MCP_CONSOLE_KEYS.filter((name) => keyNames.has(name));
  if (values.MCP_CONSOLE && admins.length === 0) {
    throw new ConfigError(
      'MCP_CONSOLE',
      '1',
      'an admin key',
      'Invalid configuration: MCP_CONSOLE=1 needs an admin key: add a key named "admin" to MCP_API_KEYS, or name an existing key in MCP_CONSOLE_KEYS.',
    );
  }
  return admins;
}

/**
 * The configuration for this environment, computed from the table (config.table.ts): each
 * variable parsed or defaulted, then the rules that involve several variables.
 */
/**
 * Traces are on with an exporter chosen (OTEL_TRACES_EXPORTER) or an OTLP endpoint set, unless
 * OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says otherwise.
 */
function tracingOf(values: ConfigValues): TracingConfig | undefined {
  if (values.OTEL_SDK_DISABLED) return undefined;
  const exporter =
    values.OTEL_TRACES_EXPORTER ?? (values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT === undefined && values.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? 'none' : 'otlp');
  if (exporter === 'none') return undefined;
  // The OTLP exporter's rule: the traces URL as given, else the base URL with /v1/traces.
  const url = values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? values.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/*$/, '/v1/traces');
  return { exporter, protocol: values.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? values.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: values.OTEL_SERVICE_NAME, url };
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const values = readValues(contextOf(env, cwd));
  const apiKeys = allKeys(values);
  const host = values.MCP_HOST;
  if (apiKeys.length === 0 && !values.MCP_AUTH_DISABLED) {
    if (!isLoopbackHost(host)) throw new FailClosedError('MCP_HOST', host);
    const publicName = values.MCP_ALLOWED_HOSTS.find((name) => !isLoopbackHost(name));
    if (publicName !== undefined) throw new FailClosedError('MCP_ALLOWED_HOSTS', publicName);
  }
  const consoleKeys = consoleKeysOf(values, apiKeys, host, env['MCP_CONSOLE_KEYS'] !== undefined);

  return {
    host,
    port: values.MCP_PORT,
    pluginsDir: values.MCP_PLUGINS_DIR,
    pluginTimeoutMs: values.MCP_PLUGIN_TIMEOUT,
    discoveryTimeoutMs: values.MCP_DISCOVERY_TIMEOUT,
    toolNameTemplate: values.MCP_TOOL_NAME_TEMPLATE,
    corsOrigins: values.MCP_CORS_ORIGINS,
    logLevel: values.LOG_LEVEL,
    logFormat: values.LOG_FORMAT,
    python: values.MCP_PYTHON,
    sseKeepaliveMs: values.MCP_SSE_KEEPALIVE,
    maxUnsentBytes: values.MCP_MAX_UNSENT_BYTES,
    discoveryCacheFile: values.MCP_DISCOVERY_CACHE,
    pluginEnv: values.MCP_PLUGIN_ENV,
    pluginTimeouts: values.MCP_PLUGIN_TIMEOUTS,
    shutdownGraceMs: values.MCP_SHUTDOWN_GRACE,
    watchPlugins: values.MCP_WATCH,
    watchDebounceMs: values.MCP_WATCH_DEBOUNCE,
    profiles: values.MCP_PROFILES,
    listTtlMs: values.MCP_LIST_TTL,
    tracing: tracingOf(values),
    apiKeys,
    authDisabled: values.MCP_AUTH_DISABLED,
    authLoopbackBypass: values.MCP_AUTH_LOOPBACK_BYPASS,
    healthAuth: values.MCP_HEALTH_AUTH,
    // A browser origin allowed by CORS must also pass the Origin check.
    allowedOrigins: [...values.MCP_ALLOWED_ORIGINS, ...values.MCP_CORS_ORIGINS.filter((o) => o !== '*')],
    allowedHosts: values.MCP_ALLOWED_HOSTS,
    rateLimitPerMinute: values.MCP_RATE_LIMIT,
    trustedProxies: values.MCP_TRUSTED_PROXIES,
    publicBasePath: values.MCP_PUBLIC_BASE_PATH,
    maxSessions: values.MCP_MAX_SESSIONS,
    maxSessionsPerKey: values.MCP_MAX_SESSIONS_PER_KEY,
    maxArgBytes: values.MCP_MAX_ARG_BYTES,
    maxArgsTotalBytes: values.MCP_MAX_ARGS_BYTES,
    slowCallMs: values.MCP_SLOW_CALL,
    inputRounds: values.MCP_INPUT_ROUNDS,
    stateSecret: values.MCP_STATE_SECRET,
    stateTtlMs: values.MCP_STATE_TTL,
    maxBodyBytes: values.MCP_MAX_BODY_BYTES,
    maxBodiesInFlight: values.MCP_MAX_BODIES_IN_FLIGHT,
    maxBatch: values.MCP_MAX_BATCH,
    maxBatchAnswerBytes: values.MCP_MAX_BATCH_ANSWER_BYTES,
    transport: values.MCP_TRANSPORT,
    sessionIdleTimeoutMs: values.MCP_SESSION_IDLE_TIMEOUT,
    redisUrl: values.MCP_REDIS_URL,
    redisPrefix: values.MCP_REDIS_PREFIX,
    redisStreamMaxLen: values.MCP_REDIS_STREAM_MAXLEN,
    redisHeartbeatMs: values.MCP_REDIS_HEARTBEAT,
    maxConcurrency: values.MCP_MAX_CONCURRENCY,
    pluginConcurrency: values.MCP_PLUGIN_CONCURRENCY,
    queueLimit: values.MCP_QUEUE_LIMIT,
    maxStdoutBytes: values.MCP_MAX_STDOUT_BYTES,
    maxStderrBytes: values.MCP_MAX_STDERR_BYTES,
    killGraceMs: values.MCP_KILL_GRACE,
    forkServer: values.MCP_FORK_SERVER,
    forkExclude: values.MCP_FORK_EXCLUDE,
    sandbox: values.MCP_SANDBOX,
    maxProcs: values.MCP_PLUGIN_MAX_PROCS,
    offlinePlugins: values.MCP_PLUGIN_OFFLINE,
    sandboxWritable: values.MCP_SANDBOX_WRITABLE,
    console: values.MCP_CONSOLE,
    consoleKeys,
    apiKeysFile: env['MCP_API_KEYS_FILE']?.trim() ? resolvePath(env['MCP_API_KEYS_FILE'].trim(), contextOf(env, cwd)) : undefined,
  };
}
