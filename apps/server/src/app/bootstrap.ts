import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication, LoggerService } from '@nestjs/common';
import { DiscoveryCache } from '@sanctum/discovery';
import { interpreterProblem, resolvePythonCached } from '@sanctum/executor';
import type { InterpreterStore } from '@sanctum/executor';
import { AppModule, sharesSessions } from './app.module';
import { FastPath } from './http/fast-path';
import type { AppConfig } from './config/config';
import { SessionStoreUnreachable } from '@sanctum/sessions';
import { redactedUrl } from './config/config.table';
import { ConfigError } from './config/config.error';

/**
 * The configuration with the Python interpreter resolved: MCP_PYTHON when set, else the
 * `sys.executable` of `python3`. That answer is kept in the discovery cache file and reused while
 * nothing it depends on changed (PATH, working directory, PYENV_* and PYTHON* variables, the
 * `python3` found and the interpreter, pyenv's version files and installed versions), checked
 * with fs.stat: a start then runs no Python (through a pyenv shim that costs about 100 ms).
 * With MCP_DISCOVERY_CACHE=off, Python is asked at every start, as before.
 * An MCP_PYTHON that cannot be run is a configuration error (exit 2), named before discovery.
 */
export async function withInterpreter(config: AppConfig, logger?: LoggerService): Promise<AppConfig> {
  if (config.python !== undefined) {
    const problem = interpreterProblem(config.python);
    if (problem === undefined) return config;
    throw new ConfigError(
      'MCP_PYTHON',
      config.python,
      '',
      `Invalid configuration: MCP_PYTHON=${JSON.stringify(config.python)} cannot run cli.py plugins (${problem}); expected the path of a Python 3 interpreter or a command on PATH, or unset to use the sys.executable of python3.`,
    );
  }
  const file = config.discoveryCacheFile;
  const store: InterpreterStore | undefined = file
    ? { read: () => DiscoveryCache.readInterpreter(file), write: (record) => DiscoveryCache.writeInterpreter(file, record) }
    : undefined;
  const { python, source } = await resolvePythonCached(store);
  logger?.debug?.(`Python interpreter ${python} (${source === 'cache' ? `unchanged since it was resolved, per ${file}` : "python3's sys.executable"})`, 'Main');
  return { ...config, python };
}

/** MCP_REDIS_URL set but Redis does not answer: a configuration problem (exit 2) naming the variable. */
function unreachableStore(err: SessionStoreUnreachable): ConfigError {
  return new ConfigError(
    'MCP_REDIS_URL',
    redactedUrl(err.url),
    '',
    `Invalid configuration: MCP_REDIS_URL=${redactedUrl(err.url)} cannot be reached: ${err.detail}. Start Redis there or fix the URL; unset MCP_REDIS_URL to run one instance with sessions in memory.`,
  );
}

/** Build the Nest application (not yet listening). Shared by main.ts and the end-to-end tests. */
export async function createApp(config: AppConfig, logger: LoggerService, extensions: DynamicModule['imports'] = []): Promise<INestApplication> {
  if (config.stateSecret === undefined && sharesSessions(config)) {
    throw new ConfigError(
      'MCP_STATE_SECRET',
      '',
      '',
      'Invalid configuration: MCP_STATE_SECRET is not set; with MCP_REDIS_URL every instance must seal requestState with the same secret (at least 32 characters, e.g. `openssl rand -hex 32`): set it to one value on all instances.',
    );
  }
  const app = await NestFactory.create(AppModule.forRoot(config, logger, extensions), { bodyParser: false, logger, abortOnError: false }).catch(
    (err: unknown) => {
      throw err instanceof SessionStoreUnreachable ? unreachableStore(err) : err;
    },
  );
  const express = app.getHttpAdapter().getInstance();
  // JSON-RPC answers are never revalidated: skip Express's per-response SHA-1 ETag. No
  // X-Powered-By either: it only tells an attacker what runs here, and the fast path sends none.
  express.set('etag', false);
  express.disable('x-powered-by');
  // The MCP routes (http/routes.ts) in front of Express, same checks, same order; CORS is one of them.
  app.get(FastPath).install(app, AppModule);
  return app;
}
