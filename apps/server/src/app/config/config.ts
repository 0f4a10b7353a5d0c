import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The gateway's configuration, read once from the environment at startup. */
export interface AppConfig {
  host: string;
  port: number;
  pluginsDir: string;
  /** Default plugin call timeout in ms; 0 = none. */
  pluginTimeoutMs: number;
  /** Per `--help` call during discovery, in ms. */
  discoveryTimeoutMs: number;
  toolNameTemplate: string;
  corsOrigins: string[];
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
  /** Interpreter override; undefined = resolve `python3`'s sys.executable. */
  python: string | undefined;
  sseKeepaliveMs: number;
  maxBodyBytes: number;
  /** Extra variables (names or `PREFIX_*`) passed to every plugin. */
  pluginEnv: string[];
  /** API keys; empty = no authentication (allowed only on a loopback bind or with authDisabled). */
  apiKeys: ApiKey[];
  /** MCP_AUTH_DISABLED=1: run without keys on a non-loopback bind, knowingly. */
  authDisabled: boolean;
  /** MCP_AUTH_LOOPBACK_BYPASS=1: clients connecting from loopback need no key. */
  authLoopbackBypass: boolean;
  /** MCP_HEALTH_AUTH=1: /health endpoints need a key too. */
  healthAuth: boolean;
  /** Origins accepted in an Origin header (besides loopback origins on a loopback bind). */
  allowedOrigins: string[];
  /** Host header names accepted; empty = loopback names on a loopback bind, anything otherwise. */
  allowedHosts: string[];
  /** Requests per minute per key (or per IP without auth); 0 = no limit. */
  rateLimitPerMinute: number;
  maxSessions: number;
  maxSessionsPerKey: number;
  /** Longest accepted string argument, in bytes. */
  maxArgBytes: number;
  /** Largest total of all arguments, in bytes of JSON. */
  maxArgsTotalBytes: number;
  /** Watch MCP_PLUGINS_DIR and reload the catalog on change (MCP_WATCH, default on). */
  watchPlugins: boolean;
  /** Quiet period after the last change before reloading. */
  watchDebounceMs: number;
  /** 2026-07-28 era: how long a client may reuse a server/discover or tools/list result (ttlMs). */
  listTtlMs: number;
  /** On SIGTERM/SIGINT, how long running tool calls may take before they are cancelled. */
  shutdownGraceMs: number;
  /** Per-plugin call timeouts in ms (MCP_PLUGIN_TIMEOUTS=plugin:seconds,...), over the plugin's own. */
  pluginTimeouts: Record<string, number>;
  /** Tool calls at least this long are logged at warn. */
  slowCallMs: number;
  /** Discovery cache file; undefined = no cache. */
  discoveryCacheFile: string | undefined;
  /** `stdio`: serve one client on stdin/stdout instead of HTTP (also `--stdio` on the command line). */
  transport: 'http' | 'stdio';
  /** Streamable HTTP sessions with no request and no open stream for this long are ended; 0 = never. */
  sessionIdleTimeoutMs: number;
  /** Plugin processes running at once for tool calls; 0 = unlimited; undefined = the executor's default (4 per CPU, at least 8). */
  maxConcurrency: number | undefined;
  /** Plugin processes of one plugin running at once; 0 = no per-plugin limit. */
  pluginConcurrency: number;
  /** Tool calls that may wait for a free slot; past it they fail with `busy`. */
  queueLimit: number;
  /** Output caps per plugin call (bytes); past them the call is killed and fails. */
  maxStdoutBytes: number;
  maxStderrBytes: number;
  /** ms between SIGTERM and SIGKILL of a plugin's process group. */
  killGraceMs: number;
  /** MCP_FORK_SERVER: run `cli.py` calls through a warm Python fork server instead of a new interpreter each (default on). */
  forkServer: boolean;
  /** MCP_FORK_EXCLUDE: plugins (folder names) whose calls are always spawned. */
  forkExclude: string[];
}

export interface ApiKey {
  /** Shown in logs and metrics instead of the key. */
  name: string;
  key: string;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const APP_CONFIG = Symbol('SANCTUM:APP_CONFIG');

/** A configuration problem: names the variable, what it got and what is accepted. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    got: string,
    accepted: string,
    message = `Invalid configuration: ${variable}=${JSON.stringify(got)} is not accepted; expected ${accepted}.`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, accepted: string): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(name, raw, accepted);
  return Number(raw);
}

function seconds(env: Env, name: string, fallback: number, accepted: string): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, raw, accepted);
  return Math.round(Number(raw) * 1000);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, raw, `one of ${values.join(', ')}`);
  return raw as T;
}

function keepalive(env: Env): number {
  const accepted = 'a number of seconds between SSE keepalive comments, greater than 0 and at most 15';
  const ms = seconds(env, 'MCP_SSE_KEEPALIVE', 15_000, accepted);
  if (ms <= 0 || ms > 15_000) throw new ConfigError('MCP_SSE_KEEPALIVE', read(env, 'MCP_SSE_KEEPALIVE') ?? '', accepted);
  return ms;
}

/**
 * Binding beyond loopback without keys would publish every plugin to the network: refuse,
 * unless the operator says so explicitly.
 */
export class FailClosedError extends ConfigError {
  constructor(host: string) {
    super(
      'MCP_HOST',
      host,
      'a loopback address, or an API key',
      `Refusing to start: MCP_HOST=${host} is reachable from other machines and no API key is configured. ` +
        'Set MCP_API_KEY=<secret> (or MCP_API_KEYS=name:key,...), bind to 127.0.0.1, or set MCP_AUTH_DISABLED=1 to run without authentication on purpose.',
    );
    this.name = 'FailClosedError';
  }
}

const ORIGIN = /^https?:\/\/[^/\s]+$/;
const ORIGIN_HINT = 'a comma-separated list of origins such as https://app.example.com (scheme and host, no path)';

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function flag(env: Env, name: string): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new ConfigError(name, raw, '1 (on) or 0 (off)');
}

function list(env: Env, name: string, pattern: RegExp, accepted: string): string[] {
  const items = (read(env, name) ?? '').split(',').map((i) => i.trim()).filter(Boolean);
  for (const item of items) if (!pattern.test(item)) throw new ConfigError(name, item, accepted);
  return items;
}

/** MCP_API_KEY (named `default`) and MCP_API_KEYS (`name:key` or bare keys, comma-separated). */
function loadApiKeys(env: Env): ApiKey[] {
  const keys: ApiKey[] = [];
  const single = read(env, 'MCP_API_KEY');
  if (single) keys.push({ name: 'default', key: single });
  const many = (read(env, 'MCP_API_KEYS') ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  many.forEach((item, index) => {
    const colon = item.indexOf(':');
    const [name, key] = colon > 0 ? [item.slice(0, colon), item.slice(colon + 1)] : [`key${index + 1}`, item];
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || key.length < 8) {
      throw new ConfigError('MCP_API_KEYS', colon > 0 ? `${name}:***` : '***', 'comma-separated name:key pairs (name of letters, digits, _ . -; key of at least 8 characters)');
    }
    keys.push({ name, key });
  });
  if (single !== undefined && single.length < 8) throw new ConfigError('MCP_API_KEY', '***', 'a key of at least 8 characters');
  const names = new Set<string>();
  for (const { name } of keys) {
    if (names.has(name)) throw new ConfigError('MCP_API_KEYS', name, 'unique key names');
    names.add(name);
  }
  return keys;
}

function pluginTimeouts(env: Env): Record<string, number> {
  const accepted = 'a comma-separated list of plugin:seconds pairs (0 = no timeout), e.g. devops:30,botfather:10';
  const timeouts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const item of (read(env, 'MCP_PLUGIN_TIMEOUTS') ?? '').split(',').map((i) => i.trim()).filter(Boolean)) {
    const match = /^([^\s:,/]+):(\d+(?:\.\d+)?)$/.exec(item);
    if (!match) throw new ConfigError('MCP_PLUGIN_TIMEOUTS', item, accepted);
    timeouts[match[1]] = Math.round(Number(match[2]) * 1000);
  }
  return timeouts;
}

function pluginEnv(env: Env): string[] {
  const names = (read(env, 'MCP_PLUGIN_ENV') ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) {
      throw new ConfigError('MCP_PLUGIN_ENV', name, 'a comma-separated list of variable names or prefixes ending in *, e.g. TELEGRAM_*,AWS_REGION');
    }
  }
  return names;
}

/** MCP_DISCOVERY_CACHE: a file path, or `off`; default under XDG_CACHE_HOME (or ~/.cache). */
function discoveryCache(env: Env, cwd: string): string | undefined {
  const raw = read(env, 'MCP_DISCOVERY_CACHE');
  if (raw?.toLowerCase() === 'off') return undefined;
  if (raw) return isAbsolute(raw) ? raw : resolve(cwd, raw);
  const base = read(env, 'XDG_CACHE_HOME') ?? join(read(env, 'HOME') ?? homedir(), '.cache');
  return join(base, 'sanctum-mcp', 'discovery-v1.json');
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const host = read(env, 'MCP_HOST') ?? '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError('MCP_HOST', host, 'a host name or IP address such as 127.0.0.1 or 0.0.0.0');

  const template = read(env, 'MCP_TOOL_NAME_TEMPLATE') ?? '{plugin}__{command}';
  if (!template.includes('{command}')) {
    throw new ConfigError('MCP_TOOL_NAME_TEMPLATE', template, 'a template containing {command}, e.g. {plugin}__{command}, {plugin}.{command} or {command}');
  }

  const corsOrigins = (read(env, 'MCP_CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !ORIGIN.test(origin)) throw new ConfigError('MCP_CORS_ORIGINS', origin, ORIGIN_HINT);
  }

  const pluginsDir = read(env, 'MCP_PLUGINS_DIR') ?? 'mcp/plugins';
  const apiKeys = loadApiKeys(env);
  const authDisabled = flag(env, 'MCP_AUTH_DISABLED');
  if (apiKeys.length === 0 && !authDisabled && !isLoopbackHost(host)) {
    throw new FailClosedError(host);
  }

  return {
    host,
    port: integer(env, 'MCP_PORT', 8000, 0, 65535, 'a TCP port number from 0 to 65535'),
    pluginsDir: isAbsolute(pluginsDir) ? pluginsDir : resolve(cwd, pluginsDir),
    pluginTimeoutMs: seconds(env, 'MCP_PLUGIN_TIMEOUT', 300_000, 'a number of seconds (0 = no timeout), e.g. 300'),
    discoveryTimeoutMs: seconds(env, 'MCP_DISCOVERY_TIMEOUT', 10_000, 'a number of seconds for each plugin --help call, e.g. 10'),
    toolNameTemplate: template,
    corsOrigins,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['text', 'json'] as const, 'text'),
    python: read(env, 'MCP_PYTHON'),
    sseKeepaliveMs: keepalive(env),
    discoveryCacheFile: discoveryCache(env, cwd),
    pluginEnv: pluginEnv(env),
    pluginTimeouts: pluginTimeouts(env),
    shutdownGraceMs: seconds(env, 'MCP_SHUTDOWN_GRACE', 10_000, 'a number of seconds running calls may take to finish at shutdown, e.g. 10'),
    watchPlugins: read(env, 'MCP_WATCH') === undefined ? true : flag(env, 'MCP_WATCH'),
    watchDebounceMs: seconds(env, 'MCP_WATCH_DEBOUNCE', 300, 'a number of seconds to wait after the last change, e.g. 0.3'),
    listTtlMs: seconds(env, 'MCP_LIST_TTL', 0, 'a number of seconds a 2026-07-28 client may cache tools/list and server/discover, e.g. 60 (0 = always refetch)'),
    apiKeys,
    authDisabled,
    authLoopbackBypass: flag(env, 'MCP_AUTH_LOOPBACK_BYPASS'),
    healthAuth: flag(env, 'MCP_HEALTH_AUTH'),
    allowedOrigins: [...list(env, 'MCP_ALLOWED_ORIGINS', ORIGIN, ORIGIN_HINT), ...corsOrigins.filter((o) => o !== '*')],
    allowedHosts: list(env, 'MCP_ALLOWED_HOSTS', /^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, 'a comma-separated list of host names, e.g. mcp.example.com,localhost').map((h) => h.toLowerCase()),
    rateLimitPerMinute: integer(env, 'MCP_RATE_LIMIT', 6000, 0, 1_000_000, 'a number of requests per minute per key (0 = no limit)'),
    maxSessions: integer(env, 'MCP_MAX_SESSIONS', 10_000, 1, 1_000_000, 'a positive number of sessions'),
    maxSessionsPerKey: integer(env, 'MCP_MAX_SESSIONS_PER_KEY', 100, 1, 1_000_000, 'a positive number of sessions'),
    maxArgBytes: integer(env, 'MCP_MAX_ARG_BYTES', 256 * 1024, 1, 64 * 1024 * 1024, 'a byte count, e.g. 262144'),
    maxArgsTotalBytes: integer(env, 'MCP_MAX_ARGS_BYTES', 1024 * 1024, 1, 64 * 1024 * 1024, 'a byte count, e.g. 1048576'),
    slowCallMs: seconds(env, 'MCP_SLOW_CALL', 10_000, 'a number of seconds after which a tool call is logged as slow, e.g. 10'),
    maxBodyBytes: integer(env, 'MCP_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024, 'a byte count from 1024 to 67108864'),
    transport: oneOf(env, 'MCP_TRANSPORT', ['http', 'stdio'] as const, 'http'),
    sessionIdleTimeoutMs: seconds(env, 'MCP_SESSION_IDLE_TIMEOUT', 1_800_000, 'a number of seconds a Streamable HTTP session may stay idle (0 = never expire), e.g. 1800'),
    maxConcurrency: read(env, 'MCP_MAX_CONCURRENCY') === undefined ? undefined : integer(env, 'MCP_MAX_CONCURRENCY', 0, 0, 100_000, 'a number of plugin processes running at once (0 = unlimited), e.g. 16'),
    pluginConcurrency: integer(env, 'MCP_PLUGIN_CONCURRENCY', 0, 0, 100_000, 'a number of processes of one plugin running at once (0 = no per-plugin limit), e.g. 4'),
    queueLimit: integer(env, 'MCP_QUEUE_LIMIT', 100, 0, 1_000_000, 'a number of tool calls that may wait for a free slot (0 = none wait), e.g. 100'),
    maxStdoutBytes: integer(env, 'MCP_MAX_STDOUT_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024, 'a byte count from 1024 to 1073741824, e.g. 10485760'),
    maxStderrBytes: integer(env, 'MCP_MAX_STDERR_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024, 'a byte count from 1024 to 1073741824, e.g. 1048576'),
    killGraceMs: seconds(env, 'MCP_KILL_GRACE', 2_000, 'a number of seconds between SIGTERM and SIGKILL of a plugin, e.g. 2'),
    forkServer: read(env, 'MCP_FORK_SERVER') === undefined ? true : flag(env, 'MCP_FORK_SERVER'),
    forkExclude: list(env, 'MCP_FORK_EXCLUDE', /^[^\s,/]+$/, 'a comma-separated list of plugin folder names, e.g. botfather,devops'),
  };
}

