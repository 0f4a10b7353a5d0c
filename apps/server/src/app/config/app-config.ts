import type { ProfilesDocument } from '@sanctum/discovery';
import { ANONYMOUS_PRINCIPAL } from '@sanctum/sessions';

/** The principal of a keyless request from loopback that MCP_AUTH_LOOPBACK_BYPASS=1 admits. */
export const LOOPBACK_PRINCIPAL = 'loopback';

/**
 * The principals of requests without a key. Sessions, caps and rate limits go by principal, so
 * a key named like one of them would share what keyless clients hold: no key may be.
 */
export const KEYLESS_PRINCIPALS: readonly string[] = [ANONYMOUS_PRINCIPAL, LOOPBACK_PRINCIPAL];

/** The gateway's configuration, read once from the environment at startup. */
/** OpenTelemetry traces (OTEL_*): on only when an exporter is chosen or an OTLP endpoint is set. */
export interface TracingConfig {
  exporter: 'otlp' | 'console';
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  /** Where spans are posted; undefined: the exporter's default, http://localhost:4318/v1/traces. */
  url: string | undefined;
}

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
  /** Bytes a stream may hold unsent (MCP_MAX_UNSENT_BYTES): past it an SSE stream ends, stdio stops reading. */
  maxUnsentBytes: number;
  maxBodyBytes: number;
  /** Request bodies being read at once, over all clients; past it 503 (MCP_MAX_BODIES_IN_FLIGHT). */
  maxBodiesInFlight: number;
  /** Most messages in one batch (MCP_MAX_BATCH). */
  maxBatch: number;
  /** Largest answer to a batch in bytes of JSON; the answers past it become errors (MCP_MAX_BATCH_ANSWER_BYTES). */
  maxBatchAnswerBytes: number;
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
  /** MCP_TRUSTED_PROXIES: peers (addresses, CIDRs, proxy-addr names) whose forwarding headers are believed. */
  trustedProxies: string[];
  /** MCP_PUBLIC_BASE_PATH: the prefix of the HTTP+SSE endpoint event (`/gw`); undefined = a trusted proxy's X-Forwarded-Prefix, else none. */
  publicBasePath: string | undefined;
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
  /** MCP_PROFILES: the tool profiles file (or folder) and what it declares; undefined = none. */
  profiles: { path: string; document: ProfilesDocument } | undefined;
  /** Protocol revision 2026-07-28: how long a client may reuse a server/discover or tools/list result (ttlMs). */
  listTtlMs: number;
  /** OpenTelemetry traces; undefined = off. */
  tracing: TracingConfig | undefined;
  /** On SIGTERM/SIGINT, how long running tool calls may take before they are cancelled. */
  shutdownGraceMs: number;
  /** Per-plugin call timeouts in ms (MCP_PLUGIN_TIMEOUTS=plugin:seconds,...), over the plugin's own. */
  pluginTimeouts: Record<string, number>;
  /** Tool calls at least this long are logged at warn. */
  slowCallMs: number;
  /** Re-runs of a plugin with the client's answers allowed per call (MCP_INPUT_ROUNDS). */
  inputRounds: number;
  /** MCP_STATE_SECRET: the key of sealed 2026-07-28 requestState; undefined = generated at start. */
  stateSecret: string | undefined;
  /** How long a sealed requestState is valid (ms). */
  stateTtlMs: number;
  /** Discovery cache file; undefined = no cache. */
  discoveryCacheFile: string | undefined;
  /** `stdio`: serve one client on stdin/stdout instead of HTTP (also `--stdio` on the command line). */
  transport: 'http' | 'stdio';
  /** Streamable HTTP sessions with no request and no open stream for this long are ended; 0 = never. */
  sessionIdleTimeoutMs: number;
  /** MCP_REDIS_URL: sessions shared between instances through this Redis; undefined = in this process. */
  redisUrl: string | undefined;
  /** MCP_REDIS_PREFIX, MCP_REDIS_STREAM_MAXLEN, MCP_REDIS_HEARTBEAT (ms). */
  redisPrefix: string;
  redisStreamMaxLen: number;
  redisHeartbeatMs: number;
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
  /** MCP_SANDBOX: the plugin sandbox (`auto`: what the host offers; `required`: refuse to start without it). */
  sandbox: 'auto' | 'off' | 'required';
  /** MCP_PLUGIN_MAX_PROCS: processes and threads of one call; 0 = no limit. */
  maxProcs: number;
  /** MCP_PLUGIN_OFFLINE: plugins (folder names, `*` = all) without network. */
  offlinePlugins: string[];
  /** MCP_SANDBOX_WRITABLE: folders plugins may write besides /tmp and the state folders. */
  sandboxWritable: string[];
  /** MCP_CONSOLE=1: serve the operator console at /console. */
  console: boolean;
  /** The names of the API keys that may open the console (MCP_CONSOLE_KEYS); empty when no keys are configured. */
  consoleKeys: string[];
  /** MCP_API_KEYS_FILE, resolved: hidden from plugins by the sandbox. */
  apiKeysFile?: string;
}

export interface ApiKey {
  /** Shown in logs and metrics instead of the key. */
  name: string;
  key: string;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
