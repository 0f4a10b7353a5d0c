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
  /** Tool calls at least this long are logged at warn. */
  slowCallMs: number;
  /** Discovery cache file; undefined = no cache. */
  discoveryCacheFile: string | undefined;
  /** `stdio`: serve one client on stdin/stdout instead of HTTP (also `--stdio` on the command line). */
  transport: 'http' | 'stdio';
  /** Streamable HTTP sessions with no request and no open stream for this long are ended; 0 = never. */
  sessionIdleTimeoutMs: number;
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
  ) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(got)} is not accepted; expected ${accepted}.`);
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
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('MCP_CORS_ORIGINS', origin, 'a comma-separated list of origins such as https://app.example.com (scheme and host, no path)');
    }
  }

  const pluginsDir = read(env, 'MCP_PLUGINS_DIR') ?? 'mcp/plugins';

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
    slowCallMs: seconds(env, 'MCP_SLOW_CALL', 10_000, 'a number of seconds after which a tool call is logged as slow, e.g. 10'),
    maxBodyBytes: integer(env, 'MCP_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024, 'a byte count from 1024 to 67108864'),
    transport: oneOf(env, 'MCP_TRANSPORT', ['http', 'stdio'] as const, 'http'),
    sessionIdleTimeoutMs: seconds(env, 'MCP_SESSION_IDLE_TIMEOUT', 1_800_000, 'a number of seconds a Streamable HTTP session may stay idle (0 = never expire), e.g. 1800'),
  };
}

