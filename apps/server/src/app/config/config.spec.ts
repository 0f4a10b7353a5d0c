import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, FailClosedError, loadConfig } from './config';
import type { AppConfig } from './config';
import { contextOf, flag, integer, list, oneOf, seconds } from './config.parsers';
import { CONFIG_TABLE, valueOf } from './config.table';
import type { ConfigVariable } from './config.table';

const CWD = '/srv/gateway';
/** A keys file as a container secret is mounted: a comment, one name:key per line. */
const KEYS_FILE = join(mkdtempSync(join(tmpdir(), 'config-keys-')), 'keys');
writeFileSync(KEYS_FILE, '# mounted secret\nci:secret-ci-12\n\nops:secret-ops-34\n');
const PROFILES_FILE = join(mkdtempSync(join(tmpdir(), 'config-profiles-')), 'profiles.json');
writeFileSync(PROFILES_FILE, JSON.stringify({ profiles: { chat: { tools: ['echo_py__*'] } }, bindings: { keys: { ci: 'chat' } } }));
const BROKEN_PROFILES = join(mkdtempSync(join(tmpdir(), 'config-profiles-')), 'profiles.json');
writeFileSync(BROKEN_PROFILES, JSON.stringify({ profiles: { chat: { tools: ['echo_py__*', { plugins: 'echo_py' }] } } }));
/** An environment with a key, so that a non-loopback MCP_HOST is a valid value on its own. */
const KEYED = { MCP_API_KEY: 'secret-key-1' };
/** The variable accepts every value: there is no invalid example. */
const ANYTHING = Symbol('accepts anything');
/** Variables of the system, where set but empty means unset (the XDG Base Directory specification); every other one refuses it. */
const EMPTY_IS_UNSET = ['XDG_CACHE_HOME'];

interface Case {
  /** Expected configuration (a part of it) when the variable is unset. */
  unset: Partial<AppConfig>;
  /** A valid value and the configuration it gives. */
  valid: [raw: string, expected: Partial<AppConfig>];
  invalid: string | typeof ANYTHING;
  /** Other variables the case needs. */
  env?: Record<string, string>;
}

/** A variable that is not part of AppConfig (read elsewhere): its own value, unset and set. */
interface OutsideCase {
  unset: unknown;
  valid: [raw: string, expected: unknown];
  invalid: typeof ANYTHING;
}

const load = (env: Record<string, string>): AppConfig => loadConfig({ HOME: '/home/op', ...env }, CWD);

/** Each expected field equal (not merely matching: `{}` must be an empty record). */
function expectFields(config: AppConfig, expected: Partial<AppConfig>): void {
  for (const [field, value] of Object.entries(expected)) expect({ [field]: config[field as keyof AppConfig] }).toEqual({ [field]: value });
}

// Written independently of the table: what an operator gets for each variable.
const CASES: Record<string, Case> = {
  MCP_HOST: { unset: { host: '127.0.0.1' }, valid: ['0.0.0.0', { host: '0.0.0.0' }], invalid: 'my host', env: KEYED },
  MCP_PORT: { unset: { port: 8000 }, valid: ['0', { port: 0 }], invalid: '65536' },
  MCP_TRANSPORT: { unset: { transport: 'http' }, valid: ['STDIO', { transport: 'stdio' }], invalid: 'websocket' },
  MCP_SHUTDOWN_GRACE: { unset: { shutdownGraceMs: 10_000 }, valid: ['2.5', { shutdownGraceMs: 2_500 }], invalid: 'soon' },
  MCP_MAX_BODY_BYTES: { unset: { maxBodyBytes: 1_048_576 }, valid: ['4096', { maxBodyBytes: 4096 }], invalid: '1023' },
  MCP_MAX_BODIES_IN_FLIGHT: { unset: { maxBodiesInFlight: 256 }, valid: ['8', { maxBodiesInFlight: 8 }], invalid: '0' },
  MCP_MAX_BATCH: { unset: { maxBatch: 100 }, valid: ['1', { maxBatch: 1 }], invalid: '1.5' },
  MCP_MAX_BATCH_ANSWER_BYTES: {
    unset: { maxBatchAnswerBytes: 16_777_216 },
    valid: ['65536', { maxBatchAnswerBytes: 65_536 }],
    invalid: '65535',
  },
  MCP_API_KEY: {
    unset: { apiKeys: [] },
    valid: ['secret-key-1', { apiKeys: [{ name: 'default', key: 'secret-key-1' }] }],
    invalid: 'short',
  },
  MCP_API_KEYS: {
    unset: { apiKeys: [] },
    valid: [
      'ops:secret-ops-1, unnamed-secret-2',
      {
        apiKeys: [
          { name: 'ops', key: 'secret-ops-1' },
          { name: 'key2', key: 'unnamed-secret-2' },
        ],
      },
    ],
    invalid: 'ops:short',
  },
  MCP_API_KEYS_FILE: {
    unset: { apiKeys: [], apiKeysFile: undefined },
    valid: [KEYS_FILE, { apiKeys: [{ name: 'ci', key: 'secret-ci-12' }, { name: 'ops', key: 'secret-ops-34' }], apiKeysFile: KEYS_FILE }],
    invalid: join(tmpdir(), 'no-such-keys-file'),
  },
  MCP_AUTH_DISABLED: { unset: { authDisabled: false }, valid: ['1', { authDisabled: true }], invalid: 'maybe' },
  MCP_AUTH_LOOPBACK_BYPASS: { unset: { authLoopbackBypass: false }, valid: ['yes', { authLoopbackBypass: true }], invalid: 'on' },
  MCP_HEALTH_AUTH: { unset: { healthAuth: false }, valid: ['TRUE', { healthAuth: true }], invalid: '2' },
  MCP_ALLOWED_HOSTS: {
    unset: { allowedHosts: [] },
    valid: ['MCP.example.com, [::1]', { allowedHosts: ['mcp.example.com', '[::1]'] }],
    invalid: 'a_b.example',
    env: KEYED,
  },
  MCP_ALLOWED_ORIGINS: {
    unset: { allowedOrigins: [] },
    valid: ['https://app.example.com', { allowedOrigins: ['https://app.example.com'] }],
    invalid: 'app.example.com',
  },
  MCP_CORS_ORIGINS: {
    unset: { corsOrigins: [] },
    valid: ['*,http://localhost:3000', { corsOrigins: ['*', 'http://localhost:3000'], allowedOrigins: ['http://localhost:3000'] }],
    invalid: 'https://app.example.com/path',
  },
  MCP_RATE_LIMIT: { unset: { rateLimitPerMinute: 6000 }, valid: ['0', { rateLimitPerMinute: 0 }], invalid: '1000001' },
  MCP_TRUSTED_PROXIES: {
    unset: { trustedProxies: [] },
    valid: ['loopback, 10.0.0.0/8,2001:db8::1', { trustedProxies: ['loopback', '10.0.0.0/8', '2001:db8::1'] }],
    invalid: '10.0.0.0/33',
  },
  MCP_PUBLIC_BASE_PATH: { unset: { publicBasePath: undefined }, valid: ['/gw/', { publicBasePath: '/gw' }], invalid: '//other.example' },
  MCP_PLUGIN_TIMEOUT: { unset: { pluginTimeoutMs: 300_000 }, valid: ['0', { pluginTimeoutMs: 0 }], invalid: '-5' },
  MCP_KILL_GRACE: { unset: { killGraceMs: 2_000 }, valid: ['0.25', { killGraceMs: 250 }], invalid: '2s' },
  MCP_MAX_CONCURRENCY: { unset: { maxConcurrency: undefined }, valid: ['0', { maxConcurrency: 0 }], invalid: '-1' },
  MCP_PLUGIN_CONCURRENCY: { unset: { pluginConcurrency: 0 }, valid: ['4', { pluginConcurrency: 4 }], invalid: 'four' },
  MCP_QUEUE_LIMIT: { unset: { queueLimit: 100 }, valid: ['0', { queueLimit: 0 }], invalid: '1.5' },
  MCP_MAX_STDOUT_BYTES: { unset: { maxStdoutBytes: 10_485_760 }, valid: ['1024', { maxStdoutBytes: 1024 }], invalid: '1000' },
  MCP_MAX_STDERR_BYTES: { unset: { maxStderrBytes: 1_048_576 }, valid: ['2048', { maxStderrBytes: 2048 }], invalid: '1073741825' },
  MCP_MAX_ARG_BYTES: { unset: { maxArgBytes: 262_144 }, valid: ['16', { maxArgBytes: 16 }], invalid: '0' },
  MCP_MAX_ARGS_BYTES: { unset: { maxArgsTotalBytes: 1_048_576 }, valid: ['64', { maxArgsTotalBytes: 64 }], invalid: '1e6' },
  MCP_PLUGIN_ENV: {
    unset: { pluginEnv: [] },
    valid: ['AWS_*, DATABASE_URL', { pluginEnv: ['AWS_*', 'DATABASE_URL'] }],
    invalid: 'AWS-REGION',
  },
  MCP_PYTHON: { unset: { python: undefined }, valid: [' /opt/py/bin/python3 ', { python: '/opt/py/bin/python3' }], invalid: ANYTHING },
  MCP_FORK_SERVER: { unset: { forkServer: true }, valid: ['0', { forkServer: false }], invalid: 'off' },
  MCP_SANDBOX: { unset: { sandbox: 'auto' }, valid: ['required', { sandbox: 'required' }], invalid: 'on' },
  MCP_PLUGIN_MAX_PROCS: { unset: { maxProcs: 128 }, valid: ['0', { maxProcs: 0 }], invalid: '-1' },
  MCP_PLUGIN_OFFLINE: { unset: { offlinePlugins: [] }, valid: ['*,devops', { offlinePlugins: ['*', 'devops'] }], invalid: 'a/b' },
  MCP_SANDBOX_WRITABLE: { unset: { sandboxWritable: [] }, valid: ['/var/lib/reports', { sandboxWritable: ['/var/lib/reports'] }], invalid: 'relative/folder' },
  MCP_FORK_EXCLUDE: { unset: { forkExclude: [] }, valid: ['botfather,devops', { forkExclude: ['botfather', 'devops'] }], invalid: 'a/b' },
  MCP_PLUGINS_DIR: {
    // The installation's (install-root.spec.ts), not the working directory's.
    unset: { pluginsDir: join(resolve(__dirname, '../../../../..'), 'mcp', 'plugins') },
    valid: ['plugins', { pluginsDir: '/srv/gateway/plugins' }],
    invalid: ANYTHING,
  },
  MCP_DISCOVERY_TIMEOUT: { unset: { discoveryTimeoutMs: 10_000 }, valid: ['3', { discoveryTimeoutMs: 3_000 }], invalid: 'x' },
  MCP_DISCOVERY_CACHE: {
    unset: { discoveryCacheFile: '/home/op/.cache/sanctum-mcp/discovery-v1.json' },
    valid: ['OFF', { discoveryCacheFile: undefined }],
    invalid: ANYTHING,
  },
  XDG_CACHE_HOME: {
    unset: { discoveryCacheFile: '/home/op/.cache/sanctum-mcp/discovery-v1.json' },
    valid: ['/var/cache', { discoveryCacheFile: '/var/cache/sanctum-mcp/discovery-v1.json' }],
    invalid: ANYTHING,
  },
  MCP_TOOL_NAME_TEMPLATE: {
    unset: { toolNameTemplate: '{plugin}__{command}' },
    valid: ['{command}', { toolNameTemplate: '{command}' }],
    invalid: '{plugin}',
  },
  MCP_PLUGIN_TIMEOUTS: {
    unset: { pluginTimeouts: {} },
    valid: ['devops:30,botfather:0.5', { pluginTimeouts: { devops: 30_000, botfather: 500 } }],
    invalid: 'devops=30',
  },
  MCP_WATCH: { unset: { watchPlugins: true }, valid: ['no', { watchPlugins: false }], invalid: 'sometimes' },
  MCP_WATCH_DEBOUNCE: { unset: { watchDebounceMs: 300 }, valid: ['0', { watchDebounceMs: 0 }], invalid: '-1' },
  MCP_PROFILES: {
    unset: { profiles: undefined },
    valid: [
      PROFILES_FILE,
      { profiles: { path: PROFILES_FILE, document: { profiles: { chat: { tools: ['echo_py__*'] } }, bindings: { keys: { ci: 'chat' }, agents: {} }, intentHints: [] } } },
    ],
    invalid: BROKEN_PROFILES,
  },
  MCP_MAX_SESSIONS: { unset: { maxSessions: 10_000 }, valid: ['1', { maxSessions: 1 }], invalid: '0' },
  MCP_MAX_SESSIONS_PER_KEY: { unset: { maxSessionsPerKey: 100 }, valid: ['5', { maxSessionsPerKey: 5 }], invalid: '0' },
  MCP_SESSION_IDLE_TIMEOUT: { unset: { sessionIdleTimeoutMs: 1_800_000 }, valid: ['0', { sessionIdleTimeoutMs: 0 }], invalid: 'never' },
  MCP_SSE_KEEPALIVE: { unset: { sseKeepaliveMs: 15_000 }, valid: ['15', { sseKeepaliveMs: 15_000 }], invalid: '15.001' },
  MCP_MAX_UNSENT_BYTES: { unset: { maxUnsentBytes: 4_194_304 }, valid: ['65536', { maxUnsentBytes: 65_536 }], invalid: '65535' },
  MCP_REDIS_URL: { unset: { redisUrl: undefined }, valid: ['redis://:pw@127.0.0.1:6379/0', { redisUrl: 'redis://:pw@127.0.0.1:6379/0' }], invalid: 'http://127.0.0.1:6379' },
  MCP_REDIS_PREFIX: { unset: { redisPrefix: 'sanctum:' }, valid: ['gw-1:', { redisPrefix: 'gw-1:' }], invalid: 'has space' },
  MCP_REDIS_STREAM_MAXLEN: { unset: { redisStreamMaxLen: 1_000 }, valid: ['10', { redisStreamMaxLen: 10 }], invalid: '9' },
  MCP_REDIS_HEARTBEAT: { unset: { redisHeartbeatMs: 1_000 }, valid: ['0.25', { redisHeartbeatMs: 250 }], invalid: '61' },
  MCP_SLOW_CALL: { unset: { slowCallMs: 10_000 }, valid: ['1.5', { slowCallMs: 1_500 }], invalid: '1,5' },
  MCP_INPUT_ROUNDS: { unset: { inputRounds: 8 }, valid: ['0', { inputRounds: 0 }], invalid: '65' },
  MCP_STATE_SECRET: { unset: { stateSecret: undefined }, valid: ['0123456789abcdef0123456789abcdef', { stateSecret: '0123456789abcdef0123456789abcdef' }], invalid: 'short' },
  MCP_STATE_TTL: { unset: { stateTtlMs: 600_000 }, valid: ['30', { stateTtlMs: 30_000 }], invalid: '0.5' },
  MCP_LIST_TTL: { unset: { listTtlMs: 0 }, valid: ['60', { listTtlMs: 60_000 }], invalid: '1m' },
  LOG_LEVEL: { unset: { logLevel: 'info' }, valid: ['DEBUG', { logLevel: 'debug' }], invalid: 'loud' },
  LOG_FORMAT: { unset: { logFormat: 'text' }, valid: ['json', { logFormat: 'json' }], invalid: 'xml' },
  OTEL_SDK_DISABLED: {
    unset: { tracing: { exporter: 'otlp', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: 'http://localhost:4318/v1/traces' } },
    valid: ['true', { tracing: undefined }],
    invalid: 'perhaps',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' },
  },
  OTEL_TRACES_EXPORTER: { unset: { tracing: undefined }, valid: ['console', { tracing: { exporter: 'console', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: undefined } }], invalid: 'jaeger' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { unset: { tracing: undefined }, valid: ['http://collector:4318/', { tracing: { exporter: 'otlp', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: 'http://collector:4318/v1/traces' } }], invalid: 'collector:4318' },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: { unset: { tracing: undefined }, valid: ['https://collector/v1/traces', { tracing: { exporter: 'otlp', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: 'https://collector/v1/traces' } }], invalid: 'ftp://collector' },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    unset: { tracing: { exporter: 'console', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: undefined } },
    valid: ['http/json', { tracing: { exporter: 'console', protocol: 'http/json', serviceName: 'sanctum-mcp', url: undefined } }],
    invalid: 'grpc',
    env: { OTEL_TRACES_EXPORTER: 'console' },
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    unset: { tracing: { exporter: 'otlp', protocol: 'http/json', serviceName: 'sanctum-mcp', url: undefined } },
    valid: ['http/protobuf', { tracing: { exporter: 'otlp', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: undefined } }],
    invalid: 'grpc',
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
  },
  OTEL_SERVICE_NAME: {
    unset: { tracing: { exporter: 'console', protocol: 'http/protobuf', serviceName: 'sanctum-mcp', url: undefined } },
    valid: ['gw-eu', { tracing: { exporter: 'console', protocol: 'http/protobuf', serviceName: 'gw-eu', url: undefined } }],
    invalid: 'gw eu',
    env: { OTEL_TRACES_EXPORTER: 'console' },
  },
  MCP_CONSOLE: { unset: { console: false, consoleKeys: [] }, valid: ['1', { console: true }], invalid: 'maybe' },
  MCP_CONSOLE_KEYS: {
    unset: { consoleKeys: ['admin'] },
    valid: ['ops', { consoleKeys: ['ops'] }],
    invalid: 'ops key',
    env: { MCP_API_KEYS: 'admin:secret-admin-1,ops:secret-ops-1' },
  },
};

const OUTSIDE: Record<string, OutsideCase> = {
  // Read by the bundle's loader (webpack.config.cjs); the table documents it and says how it reads it.
  MCP_CODE_CACHE: { unset: true, valid: ['Off', false], invalid: ANYTHING },
};

const entry = (name: string): ConfigVariable => {
  const found = (CONFIG_TABLE as readonly ConfigVariable[]).find((v) => v.name === name);
  if (!found) throw new Error(`${name} is not in the table`);
  return found;
};

describe('the configuration table', () => {
  it('has a case in this spec for every variable, and every case is a variable of the table', () => {
    expect(CONFIG_TABLE.map((v) => v.name).sort()).toEqual([...Object.keys(CASES), ...Object.keys(OUTSIDE)].sort());
  });

  it('names each variable once', () => {
    const names = CONFIG_TABLE.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('says where a variable that is not part of AppConfig is read', () => {
    for (const name of Object.keys(OUTSIDE)) expect(entry(name).readBy).toMatch(/webpack\.config\.cjs/);
  });

  describe.each(Object.entries(CASES))('%s', (name, { unset, valid: [raw, expected], invalid, env = {} }) => {
    it('has its default when unset', () => {
      expectFields(load(env), unset);
    });

    if (EMPTY_IS_UNSET.includes(name)) {
      it('has its default when set but empty, and the table says so', () => {
        expectFields(load({ ...env, [name]: '' }), unset);
        expectFields(load({ ...env, [name]: '  ' }), unset);
        expect(entry(name).emptyIsUnset).toBe(true);
      });
    } else {
      it.each(['', '  '])('refuses to be set but empty (%p), naming the variable', (blank) => {
        expect.assertions(3);
        try {
          load({ ...env, [name]: blank });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).variable).toBe(name);
          expect((err as Error).message).toMatch(
            new RegExp(`^Invalid configuration: ${name} is set but empty; expected .+\\. Unset it for the default\\.$`),
          );
        }
      });
    }

    it(`takes a valid value (${JSON.stringify(raw)})`, () => {
      expectFields(load({ ...env, [name]: raw }), expected);
    });

    if (invalid === ANYTHING) {
      it('accepts any value, and the table says so', () => {
        expect(() => load({ ...env, [name]: '%odd value, with "quotes" and / slashes' })).not.toThrow();
        expect(entry(name).parser.acceptsAnything).toBe(true);
      });
    } else {
      it(`refuses ${JSON.stringify(invalid)} with a ConfigError naming the variable and what it accepts`, () => {
        expect.assertions(4);
        try {
          load({ ...env, [name]: invalid });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).variable).toBe(name);
          expect((err as Error).message).toMatch(new RegExp(`^Invalid configuration: ${name}=".*" is not accepted; expected .+\\.$`));
          expect(entry(name).parser.acceptsAnything).toBeUndefined();
        }
      });
    }
  });

  describe.each(Object.entries(OUTSIDE))('%s (read outside the loader)', (name, { unset, valid: [raw, expected] }) => {
    const variable = entry(name);
    it('has its default when unset, takes a value and accepts any', () => {
      expect(valueOf(variable, contextOf({}, CWD))).toEqual(unset);
      expect(valueOf(variable, contextOf({ [name]: raw }, CWD))).toEqual(expected);
      expect(valueOf(variable, contextOf({ [name]: 'anything' }, CWD))).toBe(true);
      expect(variable.parser.acceptsAnything).toBe(true);
    });

    it('refuses to be set but empty, as every variable of the gateway does', () => {
      expect(() => load({ [name]: '' })).toThrow(`Invalid configuration: ${name} is set but empty;`);
    });
  });
});

describe('rules over several variables', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'gateway.example.com'])('refuses to bind %s without a key (fail closed)', (host) => {
    expect(() => load({ MCP_HOST: host })).toThrow(FailClosedError);
    expect(() => load({ MCP_HOST: host })).toThrow(
      `Refusing to start: MCP_HOST=${host} is reachable from other machines and no API key is configured.`,
    );
  });

  it.each<Record<string, string>>([{ MCP_API_KEY: 'secret-key-1' }, { MCP_API_KEYS: 'ops:secret-ops-1' }, { MCP_AUTH_DISABLED: '1' }])(
    'binds beyond loopback with %p',
    (env) => {
      expect(load({ MCP_HOST: '0.0.0.0', ...env }).host).toBe('0.0.0.0');
    },
  );

  it.each(['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])('binds loopback %s without a key', (host) => {
    expect(load({ MCP_HOST: host }).apiKeys).toEqual([]);
  });

  it.each(['mcp.example.com', 'localhost,gateway', '192.168.1.10'])(
    'refuses MCP_ALLOWED_HOSTS=%s without a key on a loopback bind (fail closed: a proxied name)',
    (hosts) => {
      const refused = hosts.split(',').find((h) => h !== 'localhost');
      expect(() => load({ MCP_ALLOWED_HOSTS: hosts })).toThrow(FailClosedError);
      expect(() => load({ MCP_ALLOWED_HOSTS: hosts })).toThrow(
        `Refusing to start: MCP_ALLOWED_HOSTS accepts ${refused}, a name other machines reach this server by, and no API key is configured.`,
      );
      expect(load({ MCP_ALLOWED_HOSTS: hosts, ...KEYED }).allowedHosts).toEqual(hosts.split(','));
      expect(load({ MCP_ALLOWED_HOSTS: hosts, MCP_AUTH_DISABLED: '1' }).apiKeys).toEqual([]);
    },
  );

  it('takes loopback names in MCP_ALLOWED_HOSTS without a key', () => {
    expect(load({ MCP_ALLOWED_HOSTS: 'localhost,127.0.0.1,[::1]' }).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
  });

  it('refuses an empty MCP_API_KEY instead of running without keys, also behind a public name', () => {
    expect(() => load({ MCP_API_KEY: '' })).toThrow(
      'Invalid configuration: MCP_API_KEY is set but empty; expected a key of at least 8 characters.',
    );
    expect(() => load({ MCP_API_KEY: '', MCP_ALLOWED_HOSTS: 'mcp.example.com' })).toThrow('MCP_API_KEY is set but empty');
    expect(() => load({ MCP_API_KEYS: ' , ' })).toThrow('Invalid configuration: MCP_API_KEYS="," is not accepted;');
  });

  it('refuses two key names sharing one key, naming the names and never the key', () => {
    const message =
      'Invalid configuration: the keys named "agents" and "prometheus" are the same key (MCP_API_KEY, MCP_API_KEYS); give each name a key of its own.';
    expect(() => load({ MCP_API_KEYS: 'agents:secret-key-1,prometheus:secret-key-1' })).toThrow(message);
    expect(() => load({ MCP_API_KEY: 'secret-key-1', MCP_API_KEYS: 'ops:secret-key-1' })).toThrow(
      'the keys named "default" and "ops" are the same key',
    );
    expect(() => load({ MCP_API_KEYS: 'secret-key-1,secret-key-1' })).toThrow('the keys named "key1" and "key2" are the same key');
    try {
      load({ MCP_API_KEYS: 'agents:secret-key-1,prometheus:secret-key-1' });
    } catch (err) {
      expect((err as ConfigError).variable).toBe('MCP_API_KEYS');
      expect((err as Error).message).not.toContain('secret-key-1');
    }
    expect(load({ MCP_API_KEYS: 'agents:secret-key-1,prometheus:secret-key-2' }).apiKeys).toHaveLength(2);
  });

  it('refuses a broken profiles file naming the file and the field (MCP_PROFILES)', () => {
    expect(() => load({ MCP_PROFILES: BROKEN_PROFILES })).toThrow(
      `expected a valid profiles file (${BROKEN_PROFILES}: profiles.chat.tools[1] must be a tool name, a glob such as "devops__*", {"plugin": "<folder>"} or {"prefix": "<text>"}).`,
    );
  });

  it.each(['anonymous', 'loopback'])('refuses a key named %s, the principal of keyless requests', (name) => {
    expect(() => load({ MCP_API_KEYS: `${name}:secret-key-1` })).toThrow(`MCP_API_KEYS="${name}:***" is not accepted`);
  });

  it('allows the CORS origins in the Origin check too, but not `*`', () => {
    const config = load({ MCP_ALLOWED_ORIGINS: 'https://a.example', MCP_CORS_ORIGINS: '*, https://b.example' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.corsOrigins).toEqual(['*', 'https://b.example']);
  });

  it('refuses a key name used twice, also the `default` of MCP_API_KEY', () => {
    expect(() => load({ MCP_API_KEYS: 'ops:secret-ops-1,ops:secret-ops-2' })).toThrow(
      'MCP_API_KEYS="ops" is not accepted; expected unique key names.',
    );
    expect(() => load({ MCP_API_KEY: 'secret-key-1', MCP_API_KEYS: 'default:secret-key-2' })).toThrow(
      'MCP_API_KEYS="default" is not accepted',
    );
  });

  it('never repeats a key in a message', () => {
    expect(() => load({ MCP_API_KEY: 'short' })).toThrow(
      'Invalid configuration: MCP_API_KEY="***" is not accepted; expected a key of at least 8 characters.',
    );
    expect(() => load({ MCP_API_KEYS: 'ops:tiny' })).toThrow('MCP_API_KEYS="ops:***" is not accepted');
    expect(() => load({ MCP_API_KEYS: 'tiny' })).toThrow('MCP_API_KEYS="***" is not accepted');
  });

  it('keeps the SSE keepalive above 0 and at most 15 s', () => {
    expect(() => load({ MCP_SSE_KEEPALIVE: '0' })).toThrow('greater than 0 and at most 15');
    expect(load({ MCP_SSE_KEEPALIVE: '0.5' }).sseKeepaliveMs).toBe(500);
  });

  it('takes the discovery cache folder from XDG_CACHE_HOME, else HOME, else the user’s home', () => {
    expect(load({ XDG_CACHE_HOME: '/xdg' }).discoveryCacheFile).toBe('/xdg/sanctum-mcp/discovery-v1.json');
    expect(load({ XDG_CACHE_HOME: '' }).discoveryCacheFile).toBe('/home/op/.cache/sanctum-mcp/discovery-v1.json');
    expect(loadConfig({}, CWD).discoveryCacheFile).toBe(join(homedir(), '.cache', 'sanctum-mcp', 'discovery-v1.json'));
    expect(load({ MCP_DISCOVERY_CACHE: 'cache.json' }).discoveryCacheFile).toBe('/srv/gateway/cache.json');
  });

  it('gives each load its own lists and records', () => {
    const first = load({});
    first.corsOrigins.push('https://changed.example');
    first.pluginTimeouts['x'] = 1;
    expect(load({}).corsOrigins).toEqual([]);
    expect(load({}).pluginTimeouts).toEqual({});
  });

  it('keeps plugin timeouts in a record without a prototype', () => {
    const { pluginTimeouts } = load({ MCP_PLUGIN_TIMEOUTS: 'constructor:5' });
    expect(Object.getPrototypeOf(pluginTimeouts)).toBeNull();
    expect(pluginTimeouts['constructor']).toBe(5_000);
  });
});

describe('parser builders', () => {
  const ctx = contextOf({}, CWD);

  it('integer: whole numbers within the range', () => {
    const parser = integer(1, 10, 'a number from 1 to 10');
    expect(parser.parse('10', 'N', ctx)).toBe(10);
    for (const raw of ['0', '11', '1.0', '+1', '0x5'])
      expect(() => parser.parse(raw, 'N', ctx)).toThrow(`N="${raw}" is not accepted; expected a number from 1 to 10.`);
  });

  it('seconds: fractions to whole milliseconds, bounds in ms', () => {
    const parser = seconds('a duration', { aboveMs: 0, atMostMs: 2_000 });
    expect(parser.parse('0.0015', 'S', ctx)).toBe(2);
    expect(parser.parse('2', 'S', ctx)).toBe(2_000);
    for (const raw of ['0', '2.001', '-1', '1s', '.5']) expect(() => parser.parse(raw, 'S', ctx)).toThrow(ConfigError);
  });

  it('flag: 1/true/yes and 0/false/no, any case', () => {
    const parser = flag();
    expect(['1', 'True', 'YES'].map((raw) => parser.parse(raw, 'F', ctx))).toEqual([true, true, true]);
    expect(['0', 'FALSE', 'no'].map((raw) => parser.parse(raw, 'F', ctx))).toEqual([false, false, false]);
    expect(() => parser.parse('On', 'F', ctx)).toThrow('F="on" is not accepted; expected 1 (on) or 0 (off).');
  });

  it('one of: case-insensitive, the message lists the choices', () => {
    const parser = oneOf(['a', 'b']);
    expect(parser.parse('B', 'O', ctx)).toBe('b');
    expect(() => parser.parse('c', 'O', ctx)).toThrow('expected one of a, b.');
  });

  it('list: items trimmed, blanks skipped, the first bad item named, only commas refused', () => {
    const parser = list(/^[a-z]+$/, 'words', (item) => item.toUpperCase());
    expect(parser.parse(' a , ,b,', 'L', ctx)).toEqual(['A', 'B']);
    expect(() => parser.parse('a,B2,c3', 'L', ctx)).toThrow('L="B2" is not accepted; expected words.');
    expect(() => parser.parse(', ,', 'L', ctx)).toThrow('L=", ," is not accepted; expected words.');
  });
});

describe('the operator console (MCP_CONSOLE, MCP_CONSOLE_KEYS)', () => {
  const refusal = (env: Record<string, string>): ConfigError => {
    try {
      load(env);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('the configuration was accepted');
  };

  it('refuses a console beyond loopback without keys, even with MCP_AUTH_DISABLED=1', () => {
    const err = refusal({ MCP_CONSOLE: '1', MCP_HOST: '0.0.0.0', MCP_AUTH_DISABLED: '1' });
    expect(err.variable).toBe('MCP_CONSOLE');
    expect(err.message).toMatch(/needs an admin key/);
  });

  it('refuses a console with keys but no admin key among them, saying how to name one', () => {
    const err = refusal({ MCP_CONSOLE: '1', MCP_API_KEYS: 'agents:secret-agents-1' });
    expect(err.variable).toBe('MCP_CONSOLE');
    expect(err.message).toMatch(/MCP_CONSOLE_KEYS/);
  });

  it('refuses MCP_CONSOLE_KEYS naming a key that does not exist, even with the console off', () => {
    const err = refusal({ MCP_CONSOLE_KEYS: 'ops,nobody', MCP_API_KEYS: 'ops:secret-ops-1' });
    expect(err.variable).toBe('MCP_CONSOLE_KEYS');
    expect(err.message).toMatch(/"nobody"/);
  });

  it('takes the key named admin by default, and no admin at all without keys on loopback', () => {
    expect(load({ MCP_CONSOLE: '1', MCP_API_KEYS: 'admin:secret-admin-1,agents:secret-agents-1' }).consoleKeys).toEqual(['admin']);
    expect(load({ MCP_CONSOLE: '1' }).consoleKeys).toEqual([]);
  });
});
