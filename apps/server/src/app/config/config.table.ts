import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TOOL_NAME_TEMPLATE, ProfilesFileError, readProfiles } from '@sanctum/discovery';
import type { ProfilesDocument } from '@sanctum/discovery';
import { DEFAULT_INPUT_ROUNDS, DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_STDERR, DEFAULT_MAX_STDOUT, EXECUTOR_DEFAULT_QUEUE_LIMIT } from '@sanctum/executor';
import { DEFAULT_KEEPALIVE_MS, DEFAULT_MAX_UNSENT_BYTES } from '@sanctum/sessions';
import { KEYLESS_PRINCIPALS, LOG_LEVELS } from './app-config';
import type { ApiKey } from './app-config';
import { BASE_PATH_HINT, TRUSTED_PROXIES_HINT, basePathOf, trustedProxyProblem } from '../security/forwarding';
import { ConfigError } from './config.error';
import { installRoot } from './install-root';
import { checked, flag, integer, list, offWords, oneOf, path, resolvePath, seconds, splitList, text } from './config.parsers';
import type { ConfigContext, Parser } from './config.parsers';

/**
 * The single source of the gateway's configuration: every environment variable it reads, with
 * its parser, default, meaning and the group (and slice) it belongs to. loadConfig, the typed
 * slices and docs/configuration.md are all computed from this table.
 */

/** Groups of the docs page, one per slice (config.slices.ts), in the page's order. */
export const CONFIG_GROUPS = {
  server: 'Server and transports',
  security: 'Security',
  executor: 'Plugin calls',
  discovery: 'Discovery and the tool catalog',
  sessions: 'Sessions and streams',
  dispatcher: 'Dispatcher',
  logging: 'Logging',
  tracing: 'Traces (OpenTelemetry)',
  console: 'Operator console',
} as const;
export type ConfigGroup = keyof typeof CONFIG_GROUPS;

/** A default as the docs show it (markdown) and the value it stands for, fixed or computed at load. */
export type ConfigDefault<T> =
  { readonly text: string; readonly value: T } | { readonly text: string; readonly from: (ctx: ConfigContext) => T };

export interface ConfigVariable<N extends string = string, T = unknown> {
  readonly name: N;
  readonly group: ConfigGroup;
  readonly parser: Parser<T>;
  readonly default: ConfigDefault<T>;
  /** One line for the tables of the docs. */
  readonly meaning: string;
  /** The longer explanation the docs give below the table. */
  readonly note?: string;
  /** Who reads the variable besides (or instead of) loadConfig. */
  readonly readBy?: string;
  /**
   * Set but empty counts as unset, as the convention of a variable the system defines says. Any
   * other variable set but empty is refused: `MCP_API_KEY=` must not quietly mean no key.
   */
  readonly emptyIsUnset?: true;
  /**
   * The command-line flag that sets it (`sanctum-mcp --<flag> <value>`, see apps/server/src/cli):
   * by default the name without `MCP_`, lowercase, `_` as `-`. `false`: no flag (a secret, which
   * `ps` would show every user, or a variable read before the command line is).
   */
  readonly flag?: string | false;
}

function variable<const N extends string, T, D extends T | undefined = T>(
  name: N,
  spec: Omit<ConfigVariable<N, T>, 'name' | 'default'> & { readonly default: ConfigDefault<D> },
): ConfigVariable<N, T | D> {
  return { name, ...spec };
}

/** The command-line flag of a variable (without `--`), or undefined when it has none. */
export function flagOf(variable: ConfigVariable): string | undefined {
  if (variable.flag === false) return undefined;
  return variable.flag ?? variable.name.replace(/^MCP_/, '').toLowerCase().replace(/_/g, '-');
}

/** The variable's value in this environment: parsed when set, else its default; set but empty is refused. */
export function valueOf<T>(variable: ConfigVariable<string, T>, ctx: ConfigContext): T {
  const raw = ctx.read(variable.name);
  if (raw !== undefined) return variable.parser.parse(raw, variable.name, ctx);
  if (ctx.isBlank(variable.name) && !variable.emptyIsUnset) {
    throw new ConfigError(
      variable.name,
      '',
      variable.parser.accepts,
      `Invalid configuration: ${variable.name} is set but empty; expected ${variable.parser.accepts}. Unset it for the default.`,
    );
  }
  return 'value' in variable.default ? variable.default.value : variable.default.from(ctx);
}

const is = <const T extends string | number | boolean>(value: T): ConfigDefault<T> => ({
  text: `\`${value === true ? 1 : value === false ? 0 : value}\``,
  value,
});
const ms = (value: number): ConfigDefault<number> => ({ text: `\`${value / 1000}\``, value });
const bytes = (value: number): ConfigDefault<number> => ({
  text: `\`${value}\`${value >= 1024 * 1024 ? ` (${value / (1024 * 1024)} MiB)` : ''}`,
  value,
});
const unset: ConfigDefault<undefined> = { text: '(none)', value: undefined };

function redisUrlAccepted(value: string): boolean {
  return /^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value);
}

/** A Redis URL with its password, if any, replaced (messages and the log never repeat it). */
export function redactedUrl(value: string): string {
  return value.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
const noItems: ConfigDefault<never[]> = { text: '(none)', from: () => [] };

const ORIGIN = /^https?:\/\/[^/\s]+$/;
const ORIGIN_HINT = 'a comma-separated list of origins such as https://app.example.com (scheme and host, no path)';
const MIB = 1024 * 1024;
/** The MCP specification's SSE guidance: a keepalive at most 15 s apart keeps proxies from closing idle streams. */
const MAX_KEEPALIVE_MS = 15_000;

const API_KEYS_HINT = `comma-separated name:key pairs (name of letters, digits, _ . -, not ${KEYLESS_PRINCIPALS.join(' or ')}; key of at least 8 characters)`;
const apiKeys: Parser<ApiKey[]> = {
  type: 'list of name:key',
  accepts: API_KEYS_HINT,
  parse(raw, name) {
    const items = splitList(raw);
    if (items.length === 0) throw new ConfigError(name, raw, API_KEYS_HINT);
    return items.map((item, index) => {
      const colon = item.indexOf(':');
      const [keyName, key] = colon > 0 ? [item.slice(0, colon), item.slice(colon + 1)] : [`key${index + 1}`, item];
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(keyName) || KEYLESS_PRINCIPALS.includes(keyName) || key.length < 8)
        throw new ConfigError(name, colon > 0 ? `${keyName}:***` : '***', API_KEYS_HINT);
      return { name: keyName, key };
    });
  },
};

const trustedProxies: Parser<string[]> = {
  type: 'list',
  accepts: TRUSTED_PROXIES_HINT,
  parse(raw, name) {
    const items = splitList(raw);
    if (items.length === 0) throw new ConfigError(name, raw, TRUSTED_PROXIES_HINT);
    for (const item of items) if (trustedProxyProblem(item) !== undefined) throw new ConfigError(name, item, TRUSTED_PROXIES_HINT);
    return items;
  },
};

const publicBasePath: Parser<string> = {
  type: 'path',
  accepts: BASE_PATH_HINT,
  parse(raw, name) {
    const path = basePathOf(raw);
    if (path === undefined) throw new ConfigError(name, raw, BASE_PATH_HINT);
    return path;
  },
};

/** MCP_API_KEYS_FILE: the path resolved; the keys read from it, in MCP_API_KEYS's form. */
const apiKeysFile: Parser<ApiKey[]> = {
  type: 'file path',
  accepts: 'the path of a readable file of name:key lines (or comma-separated pairs)',
  parse(raw, name, ctx) {
    const file = resolvePath(raw, ctx);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(name, raw, `the path of a readable file of name:key lines (this one cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    if (lines.length === 0) throw new ConfigError(name, raw, 'a file of name:key lines (this one holds no key)');
    return apiKeys.parse(lines.join(','), name, ctx);
  },
};

const PLUGIN_TIMEOUTS_HINT = 'a comma-separated list of plugin:seconds pairs (0 = no timeout), e.g. devops:30,botfather:10';
const pluginTimeouts: Parser<Record<string, number>> = {
  type: 'list of plugin:seconds',
  accepts: PLUGIN_TIMEOUTS_HINT,
  parse(raw, name) {
    // No prototype: a plugin folder may be called `constructor` or `__proto__`.
    const timeouts = Object.create(null) as Record<string, number>;
    const items = splitList(raw);
    if (items.length === 0) throw new ConfigError(name, raw, PLUGIN_TIMEOUTS_HINT);
    for (const item of items) {
      const match = /^([^\s:,/]+):(\d+(?:\.\d+)?)$/.exec(item);
      if (!match) throw new ConfigError(name, item, PLUGIN_TIMEOUTS_HINT);
      timeouts[match[1]] = Math.round(Number(match[2]) * 1000);
    }
    return timeouts;
  },
};

/** MCP_PROFILES: the file or folder resolved, and its profiles, read and checked at start. */
const profilesFile: Parser<{ path: string; document: ProfilesDocument }> = {
  type: 'file or folder path',
  accepts: 'the path of a JSON or YAML profiles file, or of a folder of *.json, *.yaml and *.yml profiles files (docs/security.md#tool-profiles)',
  parse(raw, name, ctx) {
    const file = resolvePath(raw, ctx);
    try {
      return { path: file, document: readProfiles(file) };
    } catch (err) {
      if (!(err instanceof ProfilesFileError)) throw err;
      throw new ConfigError(name, raw, `a valid profiles file (${err.file}: ${err.problems.join('; ')})`);
    }
  },
};

const XDG_CACHE_HOME = variable('XDG_CACHE_HOME', {
  group: 'discovery',
  parser: path('a folder path'),
  default: { text: '`$HOME/.cache`', from: (ctx) => join(ctx.read('HOME') ?? homedir(), '.cache') },
  meaning: "base folder of the discovery cache (and of the V8 code cache when the bundle's folder is read-only)",
  readBy: '`apps/server/webpack.config.cjs` too (the loader at the top of the bundle, for the V8 code cache)',
  // The XDG Base Directory specification: empty is as unset.
  emptyIsUnset: true,
});

export const CONFIG_TABLE = [
  variable('MCP_HOST', {
    group: 'server',
    parser: checked('a host name or IP address such as 127.0.0.1 or 0.0.0.0', (value) => !/\s/.test(value)),
    default: is('127.0.0.1'),
    meaning: 'address to bind',
    note:
      'Beyond loopback the server refuses to start without an API key (`MCP_API_KEY` or `MCP_API_KEYS`), unless `MCP_AUTH_DISABLED=1`; ' +
      'so it does on a loopback bind when `MCP_ALLOWED_HOSTS` names a host that is not a loopback name (a reverse proxy or a published port).',
  }),
  variable('MCP_PORT', {
    group: 'server',
    parser: integer(0, 65535, 'a TCP port number from 0 to 65535'),
    default: is(8000),
    meaning: 'port to bind (`0` = any free port)',
  }),
  variable('MCP_PUBLIC_BASE_PATH', {
    group: 'server',
    parser: publicBasePath,
    default: { text: "a trusted proxy's `X-Forwarded-Prefix`, else none", value: undefined },
    meaning:
      'the path prefix clients reach the gateway under behind a reverse proxy (`/gw`): the HTTP+SSE `endpoint` event names `<prefix>/message?sessionId=...`',
    note:
      'Set it when a proxy serves the gateway under a path (`location /gw/`) and does not send `X-Forwarded-Prefix`; ' +
      'it wins over that header. See `docs/deployment.md`.',
  }),
  variable('MCP_TRANSPORT', {
    group: 'server',
    parser: oneOf(['http', 'stdio']),
    default: is('http'),
    meaning:
      '`http`, or `stdio` to serve one client on stdin/stdout (JSON-RPC lines on stdout, logs on stderr, no port); same as the `--stdio` argument',
    note:
      'Desktop clients should run `node dist/apps/server/main.js --stdio` after one `npm run build`, not `npm start` (npm and Nx print to stdout). ' +
      'Anything a library prints with `console` goes to stderr in stdio mode.',
    readBy: '`apps/server/src/main.ts` too, before the configuration is loaded, so that stdout carries only JSON-RPC from the first line',
  }),
  variable('MCP_SHUTDOWN_GRACE', {
    group: 'server',
    parser: seconds('a number of seconds running calls may take to finish at shutdown, e.g. 10'),
    default: ms(10_000),
    meaning: 'on SIGTERM/SIGINT, seconds running tool calls may take before they are cancelled; a second signal exits at once',
  }),
  variable('MCP_MAX_BODY_BYTES', {
    group: 'server',
    parser: integer(1024, 64 * MIB, 'a byte count from 1024 to 67108864'),
    default: bytes(MIB),
    meaning: 'largest accepted POST body; larger is `413`',
    note: 'In stdio mode, the longest accepted input line: a longer one is answered with a JSON-RPC `-32600` error and discarded.',
  }),
  variable('MCP_MAX_BODIES_IN_FLIGHT', {
    group: 'server',
    parser: integer(1, 1_000_000, 'a number of request bodies from 1 to 1000000'),
    default: is(256),
    meaning: 'request bodies read at once, over all clients; past it a request with a body gets `503` and its connection is closed',
    note:
      'With `MCP_MAX_BODY_BYTES`, this bounds the memory that bodies being read can hold: at most their product (256 MiB with the defaults). ' +
      'A body counts from its headers until it is read, refused, or its client goes away; requests without a body do not count.',
  }),
  variable('MCP_MAX_BATCH', {
    group: 'server',
    parser: integer(1, 100_000, 'a number of messages from 1 to 100000'),
    default: is(100),
    meaning: 'most messages in one JSON-RPC batch; a longer batch is one `-32600` error (HTTP `400`), none of it handled',
    note: 'Each message of a batch counts against `MCP_RATE_LIMIT`. In stdio mode, the same cap applies to a batch on one line.',
  }),
  variable('MCP_CODE_CACHE', {
    flag: false,
    group: 'server',
    parser: offWords(['0', 'false', 'no', 'off']),
    default: is(true),
    meaning: 'compile the bundle with a V8 code cache: about 100 ms less per start; `0` = compile without it',
    note:
      '`dist/apps/server/main.js` keeps the cache in `main.js.v8cache` beside it (or `$XDG_CACHE_HOME/sanctum-mcp/code-*.v8cache`, else under `~/.cache`, ' +
      'when that folder is read-only), written at exit after a complete start and used while the bundle, its size and mtime, the Node.js version ' +
      "and V8's flags are the same.",
    readBy:
      '`apps/server/webpack.config.cjs` only (the loader at the top of the bundle, before any configuration is read); it is not part of `AppConfig`',
  }),

  variable('MCP_API_KEY', {
    flag: false,
    group: 'security',
    parser: checked(
      'a key of at least 8 characters',
      (value) => value.length >= 8,
      () => '***',
    ),
    default: unset,
    meaning: 'one API key, named `default` in logs and metrics',
    note: 'With no key at all (neither `MCP_API_KEY` nor `MCP_API_KEYS`) the server runs without authentication, which it allows only on a loopback bind or with `MCP_AUTH_DISABLED=1`. See `docs/security.md`.',
  }),
  variable('MCP_API_KEYS', {
    flag: false,
    group: 'security',
    parser: apiKeys,
    default: noItems,
    meaning:
      'API keys, `name:key,...` (a key without a name is named `key1`, `key2`, ... by its position); the names appear in logs and metrics',
    note: 'Each name and each key is used once among `MCP_API_KEY` and `MCP_API_KEYS`: a key shared by two names is refused. The names `anonymous` and `loopback` are the principals of keyless requests and are refused.',
  }),
  variable('MCP_API_KEYS_FILE', {
    flag: 'api-key-file',
    group: 'security',
    parser: apiKeysFile,
    default: noItems,
    meaning:
      'a file of API keys in the form of `MCP_API_KEYS` (`name:key`, one per line or comma-separated; `#` starts a comment line), as container secrets are mounted; read at start',
    note: 'Its keys join those of `MCP_API_KEY` and `MCP_API_KEYS` under the same rules. Plugins cannot read the file: the sandbox puts an empty file in its place.',
  }),
  variable('MCP_AUTH_DISABLED', {
    group: 'security',
    parser: flag(),
    default: is(false),
    meaning: '`1`: run without API keys on a non-loopback bind, knowingly',
  }),
  variable('MCP_AUTH_LOOPBACK_BYPASS', {
    group: 'security',
    parser: flag(),
    default: is(false),
    meaning: '`1`: clients connecting from loopback need no key; a key they send is still checked',
    note:
      'A loopback request without `Authorization` and `X-API-Key` is admitted as the principal `loopback`, which owns its own sessions: it cannot use or end a session a key opened. ' +
      'A request that sends either header is checked as from anywhere (a wrong or unusable key is `401`, a right one is that key). ' +
      'Never for a request that came through a reverse proxy: one from `MCP_TRUSTED_PROXIES`, or carrying `X-Forwarded-For`, `Forwarded`, `X-Real-IP` or the like, or whose `Host` is not a loopback name.',
  }),
  variable('MCP_HEALTH_AUTH', {
    group: 'security',
    parser: flag(),
    default: is(false),
    meaning: '`1`: the `/health` endpoints need a key too',
  }),
  variable('MCP_ALLOWED_HOSTS', {
    group: 'security',
    parser: list(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, 'a comma-separated list of host names, e.g. mcp.example.com,localhost', (host) =>
      host.toLowerCase(),
    ),
    default: { text: 'loopback names on a loopback bind, any otherwise', from: () => [] },
    meaning:
      '`Host` header names accepted (DNS-rebinding protection); a name beyond loopback needs an API key, as a bind beyond loopback does',
  }),
  variable('MCP_ALLOWED_ORIGINS', {
    group: 'security',
    parser: list(ORIGIN, ORIGIN_HINT),
    default: { text: 'loopback origins on a loopback bind', from: () => [] },
    meaning: '`Origin` header values accepted (DNS-rebinding protection); the `MCP_CORS_ORIGINS` are accepted too',
    note: 'A request without an `Origin` header (any client that is not a browser) is not checked; `Origin: null` is always refused.',
  }),
  variable('MCP_CORS_ORIGINS', {
    group: 'security',
    parser: list(/^\*$|^https?:\/\/[^/\s]+$/, ORIGIN_HINT),
    default: { text: '(off)', from: () => [] },
    meaning: 'comma-separated browser origins allowed by CORS (`*` for any)',
  }),
  variable('MCP_RATE_LIMIT', {
    group: 'security',
    parser: integer(0, 1_000_000, 'a number of requests per minute per key (0 = no limit)'),
    default: is(6000),
    meaning: 'requests per minute per API key (or per client address without keys); `0` = off',
  }),
  variable('MCP_TRUSTED_PROXIES', {
    group: 'security',
    parser: trustedProxies,
    default: noItems,
    meaning:
      'reverse proxies (addresses, CIDR ranges, `loopback`) whose `X-Forwarded-For` / `Forwarded` give the client address, and whose `X-Forwarded-Prefix` the base path',
    note:
      "For a request from one of them, the client is the right-most `X-Forwarded-For` entry (else `Forwarded` `for=`) that is not a trusted proxy: the rate limit's bucket and the log lines use it. " +
      "Other peers' forwarding headers are not believed. A request from a trusted proxy, or carrying any forwarding header, never gets `MCP_AUTH_LOOPBACK_BYPASS`. See `docs/security.md`.",
  }),

  variable('MCP_PLUGIN_TIMEOUT', {
    group: 'executor',
    parser: seconds('a number of seconds (0 = no timeout), e.g. 300'),
    default: ms(300_000),
    meaning: 'seconds a tool call may run before its process group is killed; `0` = no limit',
    note:
      'Clients wait less by default: the official TypeScript SDK (v1 and v2, its `timeout` request option) and Letta Code give up after 60 s. ' +
      'Have long calls report progress (clients can restart their timeout at each `notifications/progress`: the SDK\'s `resetTimeoutOnProgress`), ' +
      'or set this (or `MCP_PLUGIN_TIMEOUTS`) below the clients\' timeout. See `docs/deployment.md` (client timeouts).',
  }),
  variable('MCP_KILL_GRACE', {
    group: 'executor',
    parser: seconds('a number of seconds between SIGTERM and SIGKILL of a plugin, e.g. 2'),
    default: ms(DEFAULT_KILL_GRACE_MS),
    meaning: "seconds between `SIGTERM` and `SIGKILL` when a call's process group is killed (timeout, cancellation, output cap)",
  }),
  variable('MCP_MAX_CONCURRENCY', {
    group: 'executor',
    parser: integer(0, 100_000, 'a number of plugin processes running at once (0 = unlimited), e.g. 16'),
    default: { text: '4 per CPU, at least 8', value: undefined },
    meaning: 'plugin processes running at once for tool calls; `0` = unlimited',
  }),
  variable('MCP_PLUGIN_CONCURRENCY', {
    group: 'executor',
    parser: integer(0, 100_000, 'a number of processes of one plugin running at once (0 = no per-plugin limit), e.g. 4'),
    default: is(0),
    meaning: 'plugin processes of any one plugin running at once; `0` = no per-plugin limit',
  }),
  variable('MCP_QUEUE_LIMIT', {
    group: 'executor',
    parser: integer(0, 1_000_000, 'a number of tool calls that may wait for a free slot (0 = none wait), e.g. 100'),
    default: is(EXECUTOR_DEFAULT_QUEUE_LIMIT),
    meaning: 'tool calls that may wait (first in, first out) for a free slot; past it a call fails at once with the error code `busy`',
  }),
  variable('MCP_MAX_STDOUT_BYTES', {
    group: 'executor',
    parser: integer(1024, 1024 * MIB, 'a byte count from 1024 to 1073741824, e.g. 10485760'),
    default: bytes(DEFAULT_MAX_STDOUT),
    meaning:
      'largest plugin stdout; past it the call is killed and fails with `plugin_error` (a resource read or prompt rendering with `-32603`); also the largest resource file the gateway reads',
  }),
  variable('MCP_MAX_STDERR_BYTES', {
    group: 'executor',
    parser: integer(1024, 1024 * MIB, 'a byte count from 1024 to 1073741824, e.g. 1048576'),
    default: bytes(DEFAULT_MAX_STDERR),
    meaning: 'largest plugin stderr; past it the call is killed and fails with `plugin_error`',
  }),
  variable('MCP_MAX_ARG_BYTES', {
    group: 'executor',
    parser: integer(1, 64 * MIB, 'a byte count, e.g. 262144'),
    default: bytes(256 * 1024),
    meaning: 'longest string argument of a call, in bytes; past it `invalid_arguments`',
  }),
  variable('MCP_MAX_ARGS_BYTES', {
    group: 'executor',
    parser: integer(1, 64 * MIB, 'a byte count, e.g. 1048576'),
    default: bytes(MIB),
    meaning: 'largest arguments object of a call, in bytes of JSON; past it `invalid_arguments`',
  }),
  variable('MCP_PLUGIN_ENV', {
    group: 'executor',
    parser: list(
      /^[A-Za-z_][A-Za-z0-9_]*\*?$/,
      'a comma-separated list of variable names or prefixes ending in *, e.g. TELEGRAM_*,AWS_REGION',
    ),
    default: noItems,
    meaning:
      'extra environment variables passed to every plugin: names or prefixes ending in `*` (`AWS_*,DATABASE_URL`); see `docs/security.md`',
  }),
  variable('MCP_PYTHON', {
    group: 'executor',
    parser: text('any interpreter path or command name'),
    default: { text: '`sys.executable` of `python3`', value: undefined },
    meaning: 'interpreter for `cli.py` plugins, resolved once (never a pyenv shim per call); when set, nothing is resolved or cached',
    readBy:
      "the executor's interpreter resolution too (`resolvePython` in `libs/executor/src/lib/interpreter.ts`), which the app hands the configured value",
  }),
  variable('MCP_FORK_SERVER', {
    group: 'executor',
    parser: flag(),
    default: is(true),
    meaning:
      '`1`: `cli.py` tool calls are forked from a warm Python process instead of starting an interpreter per call; `0`: always spawn',
    note:
      'About 4 times faster for the bundled plugins: standard library modules are preloaded and scripts compiled once. ' +
      'The fork server starts at discovery, when the first `cli.py` plugin is not in the discovery cache (else at the first Python call), ' +
      "and discovery's `--describe` calls of `cli.py` plugins are forked from it too (the `--help` fallback is spawned, with `LANG=C`). " +
      'Each call stays isolated as with a spawn (own process group, cwd, exact environment, stdin closed, same timeout, cancel and output-cap handling). ' +
      'A call whose start-up environment (`PYTHON*`, `LC_*`, `LANG`, `TZ`, `HOME`) differs, or whose plugin folder holds a module named like a preloaded one, ' +
      'gets a fresh interpreter. If the fork server fails, calls are spawned and it is restarted after 30 s.',
  }),
  variable('MCP_FORK_EXCLUDE', {
    group: 'executor',
    parser: list(/^[^\s,/]+$/, 'a comma-separated list of plugin folder names, e.g. botfather,devops'),
    default: noItems,
    meaning: 'plugin folder names whose calls are always spawned, never forked from the fork server',
    note: 'For example a plugin that needs its own string-hash seed per call, or reads `/proc/self/cmdline`. Their `--describe` at discovery is spawned too.',
  }),
  variable('MCP_SANDBOX', {
    group: 'executor',
    parser: oneOf(['auto', 'off', 'required']),
    default: is('auto'),
    meaning:
      'the plugin sandbox: `auto` uses what the host offers and says what is missing, `required` refuses to start without it (exit 2), `off` runs plugins unconfined',
    note:
      'Isolation needs bubblewrap (`bwrap`) and `tini` on PATH and unprivileged user namespaces; the process limit needs a pids cgroup the gateway may write (root, or a delegated cgroup). ' +
      'The start-up line `Plugin sandbox: ...` says which parts are active. See `docs/security.md`.',
  }),
  variable('MCP_PLUGIN_MAX_PROCS', {
    group: 'executor',
    parser: integer(0, 1_000_000, 'a number of processes and threads from 0 (no limit) to 1000000'),
    default: is(128),
    meaning: 'processes and threads one plugin call may have at once (the sandbox\'s own not counted); `0` = no limit',
    note: 'A call whose fork or thread is refused at the limit is ended with a `plugin_error` naming it. A Node.js plugin uses about 10 threads.',
  }),
  variable('MCP_PLUGIN_OFFLINE', {
    group: 'executor',
    parser: list(/^(\*|[^\s,/]+)$/, 'a comma-separated list of plugin folder names, or * for every plugin, e.g. devops'),
    default: noItems,
    meaning: 'plugins (folder names, or `*` for all) whose calls get no network: an empty network namespace of their own',
    note: 'Needs the sandbox\'s isolation; without it (`MCP_SANDBOX=off`, or bubblewrap missing) plugins keep the network, and the start-up line says so.',
  }),
  variable('MCP_SANDBOX_WRITABLE', {
    group: 'executor',
    parser: list(/^\/[^,]*$/, 'a comma-separated list of absolute folder paths, e.g. /var/lib/reports'),
    default: noItems,
    meaning: 'folders plugins may write besides their private `/tmp` and the state folders (everything else is read-only to them)',
    note: 'Always writable: `$XDG_STATE_HOME` (default `~/.local/state`, created when missing) and the folders named by `*_STATE_DIR` and `*_STATE_FILE` variables of the gateway\'s environment (devops\'s `DEVOPS_STATE_DIR`, `DEVOPS_STATE_FILE`). A folder that does not exist is not bound, and the start-up line names it.',
  }),

  variable('MCP_PLUGINS_DIR', {
    flag: 'plugins',
    readBy: '`apps/server/src/main.ts` too, as `sanctum-mcp init --plugins DIR` (the folder the new plugin goes in; the flag only, default the working directory)',
    group: 'discovery',
    parser: path('a folder path, absolute or relative to the working directory'),
    // A desktop client starts `--stdio` from its own working directory: the default must not depend on it.
    default: { text: '`mcp/plugins` of the installation', from: (ctx) => join(installRoot() ?? ctx.cwd, 'mcp', 'plugins') },
    meaning: 'folder of plugin folders (a relative value is taken against the working directory)',
    note:
      'The default is `mcp/plugins` in the installation (the folder holding the gateway\'s `package.json`, above `dist/`), whatever the working directory: a desktop client that starts `main.js --stdio` from elsewhere finds the bundled plugins. A relative value you set is taken against the working directory. The start-up log names the absolute folder (`Plugin discovery finished: … from <folder>`). The folder may be created after the start: with `MCP_WATCH` on, its plugins are loaded when it appears, unloaded if it is removed, and loaded again when it comes back; until then `/health` and `/health/ready` answer 503.',
  }),
  variable('MCP_DISCOVERY_TIMEOUT', {
    group: 'discovery',
    parser: seconds('a number of seconds for each plugin --help call, e.g. 10'),
    default: ms(10_000),
    meaning: 'seconds for each `--describe` or `--help` call at discovery',
  }),
  variable('MCP_DISCOVERY_CACHE', {
    group: 'discovery',
    parser: {
      type: 'path or off',
      accepts: 'a file path (absolute or relative to the working directory), or off',
      acceptsAnything: true,
      parse: (raw, _name, ctx) => (raw.toLowerCase() === 'off' ? undefined : resolvePath(raw, ctx)),
    },
    default: {
      text: '`$XDG_CACHE_HOME/sanctum-mcp/discovery-v1.json`',
      from: (ctx) => join(valueOf(XDG_CACHE_HOME, ctx), 'sanctum-mcp', 'discovery-v1.json'),
    },
    meaning: 'file caching what each plugin described; `off` disables it',
    note:
      "Entries are keyed by the entry file's identity (path, size, mtime, inode), the folder's mtime and the interpreter. " +
      'The file also keeps the resolved interpreter, reused while `PATH`, the working directory, `PYENV_*`/`PYTHON*` variables, the `python3` found, ' +
      "the interpreter file and pyenv's version files are unchanged (checked with `stat`; other version-manager shims are run at every start).",
  }),
  XDG_CACHE_HOME,
  variable('MCP_TOOL_NAME_TEMPLATE', {
    group: 'discovery',
    parser: checked('a template containing {command}, e.g. {plugin}__{command}, {plugin}.{command} or {command}', (value) =>
      value.includes('{command}'),
    ),
    default: is(DEFAULT_TOOL_NAME_TEMPLATE),
    meaning: 'advertised tool names; `{plugin}.{command}` gives the upstream names. Calls are also accepted as `plugin.command`',
  }),
  variable('MCP_PLUGIN_TIMEOUTS', {
    group: 'discovery',
    parser: pluginTimeouts,
    default: { text: '(none)', from: () => Object.create(null) as Record<string, number> },
    meaning:
      "per-plugin timeouts, `plugin:seconds,...` (`devops:30`); they override `MCP_PLUGIN_TIMEOUT` and a command's own `timeout` from `--describe`",
  }),
  variable('MCP_WATCH', {
    group: 'discovery',
    parser: flag(),
    default: is(true),
    meaning: 'watch `MCP_PLUGINS_DIR` and reload the catalog on change, sending `notifications/tools/list_changed`; `0` = off',
  }),
  variable('MCP_WATCH_DEBOUNCE', {
    group: 'discovery',
    parser: seconds('a number of seconds to wait after the last change, e.g. 0.3'),
    default: ms(300),
    meaning: 'seconds of quiet after the last change before reloading',
  }),
  variable('MCP_PROFILES', {
    group: 'discovery',
    parser: profilesFile,
    default: unset,
    meaning:
      'tool profiles: a JSON or YAML file, or a folder of `*.json`, `*.yaml` and `*.yml` merged in name order, declaring which tools, resources and prompts each API key, agent (`X-Agent-Id`), the stdio client and each `/profiles/<name>/…` endpoint sees; reloaded on change with `MCP_WATCH`',
    note:
      'Without it every caller sees the whole catalog. A broken file stops the start with the field named; a broken edit while serving keeps the previous profiles. See `docs/security.md#tool-profiles`.',
  }),

  variable('MCP_MAX_SESSIONS', {
    group: 'sessions',
    parser: integer(1, 1_000_000, 'a positive number of sessions'),
    default: is(10_000),
    meaning: 'open sessions in all; at it the longest-idle `/mcp` session is ended, else a new one is `503`',
    note: 'HTTP+SSE and Streamable HTTP sessions count together; `subscriptions/listen` streams of protocol revision 2026-07-28 have the same caps, counted apart.',
  }),
  variable('MCP_MAX_SESSIONS_PER_KEY', {
    group: 'sessions',
    parser: integer(1, 1_000_000, 'a positive number of sessions'),
    default: is(100),
    meaning: 'open sessions per API key; at it an idle `/mcp` session of the key is ended, else a new one is `503`',
  }),
  variable('MCP_SESSION_IDLE_TIMEOUT', {
    group: 'sessions',
    parser: seconds('a number of seconds a Streamable HTTP session may stay idle (0 = never expire), e.g. 1800'),
    default: ms(1_800_000),
    meaning: 'seconds a Streamable HTTP (`/mcp`) session may go without a request or an open GET stream before it is ended; `0` = never',
  }),
  variable('MCP_SSE_KEEPALIVE', {
    group: 'sessions',
    parser: seconds('a number of seconds between SSE keepalive comments, greater than 0 and at most 15', {
      aboveMs: 0,
      atMostMs: MAX_KEEPALIVE_MS,
    }),
    default: ms(DEFAULT_KEEPALIVE_MS),
    meaning: 'seconds between `: keepalive` comments on SSE streams (at most 15)',
  }),
  variable('MCP_MAX_UNSENT_BYTES', {
    group: 'sessions',
    parser: integer(64 * 1024, 1024 * MIB, 'a byte count from 65536 to 1073741824, e.g. 4194304'),
    default: bytes(DEFAULT_MAX_UNSENT_BYTES),
    meaning:
      'bytes a stream may hold written but not yet sent to a client that does not read; past it an SSE stream is ended, stdio stops reading stdin until stdout drains',
    note: 'A Streamable HTTP client resumes an ended stream with `Last-Event-ID`: its events stay in the replay buffer.',
  }),

  variable('MCP_REDIS_URL', {
    group: 'sessions',
    parser: checked('a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0', redisUrlAccepted, redactedUrl),
    default: unset,
    meaning:
      'share sessions between gateway instances through this Redis (behind a load balancer): session state, message streams, GET stream leases, running calls and rate limits',
    note: 'Unset: one process, sessions in memory. Set: the gateway does not start while Redis cannot be reached (exit 2); see `docs/deployment.md#several-instances`.',
  }),
  variable('MCP_REDIS_PREFIX', {
    group: 'sessions',
    parser: checked('letters, digits and `:_.-`, at most 64, e.g. sanctum:', (value) => /^[A-Za-z0-9:_.-]{1,64}$/.test(value)),
    default: is('sanctum:'),
    meaning: 'the start of every Redis key and channel the gateway uses (several deployments can share one Redis)',
  }),
  variable('MCP_REDIS_STREAM_MAXLEN', {
    group: 'sessions',
    parser: integer(10, 1_000_000, 'a number of entries from 10 to 1000000'),
    default: is(1_000),
    meaning:
      "about how many messages each session's Redis stream keeps for `Last-Event-ID` resumption (`XADD MAXLEN ~`); a resume from an older event is refused",
  }),
  variable('MCP_REDIS_HEARTBEAT', {
    group: 'sessions',
    parser: seconds('a number of seconds between heartbeats, greater than 0 and at most 60, e.g. 1', { aboveMs: 0, atMostMs: 60_000 }),
    default: ms(1_000),
    meaning:
      "seconds between an instance's heartbeats; one silent for three is taken for stopped: its running calls are answered with an error and its GET stream leases lapse",
  }),

  variable('MCP_SLOW_CALL', {
    group: 'dispatcher',
    parser: seconds('a number of seconds after which a tool call is logged as slow, e.g. 10'),
    default: ms(10_000),
    meaning: 'seconds after which a tool call is logged at warn as slow',
  }),
  variable('MCP_INPUT_ROUNDS', {
    group: 'dispatcher',
    parser: integer(0, 64, 'a whole number from 0 to 64, e.g. 8'),
    default: is(DEFAULT_INPUT_ROUNDS),
    meaning:
      'how many times one call may re-run its plugin with the client\'s answers (a plugin that asks for input: elicitation, sampling, roots); asking again after that fails the call with `plugin_error`',
    note: '`0`: plugins may not ask at all. See `docs/plugin-development.md#asking-the-client-input-rounds`.',
  }),
  variable('MCP_STATE_SECRET', {
    flag: false,
    group: 'dispatcher',
    parser: checked('a secret of at least 32 characters, e.g. the output of `openssl rand -hex 32`', (value) => value.length >= 32, () => '***'),
    default: unset,
    meaning:
      'the key that seals the `requestState` of protocol revision 2026-07-28 (authenticated encryption), so that any instance can serve a retry and no client can alter it',
    note: 'Unset on a single instance: a key is generated at start (said so in the log), and a retry after a restart is refused. With `MCP_REDIS_URL` it must be set, to the same value on every instance, or the start is refused (exit 2).',
  }),
  variable('MCP_STATE_TTL', {
    group: 'dispatcher',
    parser: seconds('a number of seconds from 1 to 86400, e.g. 600', { aboveMs: 999, atMostMs: 86_400_000 }),
    default: ms(600_000),
    meaning: 'seconds a sealed `requestState` stays valid; a retry after that is refused with -32602 and the client starts the call again',
  }),
  variable('MCP_MAX_BATCH_ANSWER_BYTES', {
    group: 'dispatcher',
    parser: integer(64 * 1024, 1024 * MIB, 'a byte count from 65536 to 1073741824'),
    default: bytes(16 * MIB),
    meaning: 'largest answer to a batch, in bytes of JSON; the answers past it become errors saying the answer was dropped',
  }),
  variable('MCP_LIST_TTL', {
    group: 'dispatcher',
    parser: seconds('a number of seconds a 2026-07-28 client may cache tools/list and server/discover, e.g. 60 (0 = always refetch)'),
    default: ms(0),
    meaning:
      'seconds a protocol revision 2026-07-28 client may reuse a `server/discover` or `tools/list` result (`ttlMs`); `0` = always refetch',
    note: 'Catalog changes reach `subscriptions/listen` streams either way.',
  }),

  variable('MCP_CONSOLE', {
    group: 'console',
    parser: flag(),
    default: is(false),
    meaning: '`1`: serve the operator console at `/console` (plugins, tools, sessions, recent calls, charts, log tail)',
    note: 'Off by default. With API keys configured, the console needs an admin key (`MCP_CONSOLE_KEYS`); without keys it is served on a loopback bind only, and starting it beyond loopback without keys is refused. See `docs/monitoring.md`.',
  }),
  variable('MCP_CONSOLE_KEYS', {
    group: 'console',
    parser: list(/^[A-Za-z0-9_.-]+$/, 'a comma-separated list of API key names, e.g. admin,oncall'),
    default: { text: '`admin`', value: ['admin'] },
    meaning: 'names of the API keys (from `MCP_API_KEY`, `MCP_API_KEYS`, `MCP_API_KEYS_FILE`) that may open the console',
    note: 'Every name set here must be a configured key. Unset, a key named `admin` is the admin key; with `MCP_CONSOLE=1` and keys but no admin key among them, the start is refused.',
  }),

  variable('LOG_LEVEL', {
    group: 'logging',
    parser: oneOf(LOG_LEVELS),
    default: is('info'),
    meaning: '`error`, `warn`, `info` or `debug`',
  }),
  variable('LOG_FORMAT', {
    group: 'logging',
    parser: oneOf(['text', 'json']),
    default: is('text'),
    meaning: '`text` or `json` (one JSON object per line)',
  }),

  // The standard variables of the OpenTelemetry SDK: the ones that decide whether the gateway
  // traces and how it exports. The exporter and the SDK read the rest of OTEL_* themselves.
  variable('OTEL_SDK_DISABLED', {
    group: 'tracing',
    parser: flag(),
    default: is(false),
    meaning: '`1`: no traces, whatever the other variables say',
    flag: false,
  }),
  variable('OTEL_TRACES_EXPORTER', {
    group: 'tracing',
    parser: oneOf(['otlp', 'console', 'none']),
    default: { text: '`otlp` when an OTLP endpoint is set, else `none`', value: undefined },
    meaning: '`otlp` (OTLP/HTTP to the endpoint), `console` (spans printed to stdout, stderr with `--stdio`) or `none`',
    note:
      'Traces are off unless this variable or an OTLP endpoint is set. When they are off, the hooks on the message path are one test of a flag (`docs/benchmarks.md`).',
    flag: false,
  }),
  variable('OTEL_EXPORTER_OTLP_ENDPOINT', {
    group: 'tracing',
    parser: checked('an http:// or https:// URL such as http://localhost:4318', (value) => /^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)),
    default: unset,
    meaning: 'base URL of the OTLP/HTTP receiver; spans go to `<url>/v1/traces`. Setting it turns traces on',
    readBy: 'the OpenTelemetry exporter too, which also reads `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT` and their `_TRACES_` forms; plugins get it (`docs/monitoring.md#traces`)',
    flag: false,
  }),
  variable('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', {
    group: 'tracing',
    parser: checked('an http:// or https:// URL such as http://localhost:4318/v1/traces', (value) => /^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)),
    default: unset,
    meaning: 'the full URL spans are posted to, instead of `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. Setting it turns traces on',
    readBy: 'the OpenTelemetry exporter too; plugins get it',
    flag: false,
  }),
  variable('OTEL_EXPORTER_OTLP_PROTOCOL', {
    group: 'tracing',
    parser: oneOf(['http/protobuf', 'http/json']),
    default: is('http/protobuf'),
    meaning: 'the OTLP encoding: `http/protobuf` or `http/json` (`grpc` is not offered)',
    readBy: 'plugins too',
    flag: false,
  }),
  variable('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', {
    group: 'tracing',
    parser: oneOf(['http/protobuf', 'http/json']),
    default: { text: '`OTEL_EXPORTER_OTLP_PROTOCOL`', value: undefined },
    meaning: 'the OTLP encoding of traces, when it differs from `OTEL_EXPORTER_OTLP_PROTOCOL`',
    readBy: 'plugins too',
    flag: false,
  }),
  variable('OTEL_SERVICE_NAME', {
    group: 'tracing',
    parser: checked('a service name without blanks, e.g. sanctum-mcp-eu', (value) => !/\s/.test(value)),
    default: is('sanctum-mcp'),
    meaning: "the `service.name` of the gateway's spans",
    flag: false,
  }),
] as const;

type TableEntry = (typeof CONFIG_TABLE)[number];

/** Every variable's value by name, typed by its parser and default. */
export type ConfigValues = { [V in TableEntry as V['name']]: V extends ConfigVariable<string, infer T> ? T : never };

export type ConfigVariableName = TableEntry['name'];

/** Parses every variable of the table; the first invalid one throws its ConfigError. */
export function readValues(ctx: ConfigContext): ConfigValues {
  const values: Record<string, unknown> = {};
  for (const entry of CONFIG_TABLE as readonly ConfigVariable[]) values[entry.name] = valueOf(entry, ctx);
  return values as ConfigValues;
}
