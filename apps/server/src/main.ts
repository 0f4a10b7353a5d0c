import 'reflect-metadata';
import { Console } from 'node:console';
import { dirname } from 'node:path';
import { createApp, withInterpreter } from './app/bootstrap';
import { ConfigError, loadConfig } from './app/config/config';
import type { AppConfig } from './app/config/config';
import { BindError, bindError, checkBind } from './app/lifecycle/bind-check';
import { handleSignals } from './app/lifecycle/graceful-shutdown';
import { createLogger } from './app/logging/logger';
import { SERVER_INFO } from './app/mcp/server-info';
import { createStdioApp, serveStdio } from './app/transport/stdio';
import { runCheck } from './cli/check';
import { PROGRAM, UsageError, parseCommandLine, renderHelp } from './cli/command-line';
import { InitError, initPlugin } from './cli/init';

/** In stdio mode stdout carries only JSON-RPC: anything a library prints with console goes to stderr. */
function keepStdoutForProtocol(): void {
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const target = console as unknown as Record<string, unknown>;
  const source = toStderr as unknown as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    if (key !== 'Console' && typeof source[key] === 'function') target[key] = source[key];
  }
}

/**
 * Start-up completed: the loader at the top of the bundle (apps/server/webpack.config.cjs) may
 * now keep the V8 code cache at exit, if it had none that matched.
 */
function started(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('sanctum.started')] = true;
}

async function serveHttp(config: AppConfig): Promise<void> {
  // Before anything is logged or started: a taken port is one line, not a discovery and a stack.
  await checkBind(config.port, config.host);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const app = await createApp(await withInterpreter(config, logger), logger);
  handleSignals(app, logger, config.shutdownGraceMs);
  await app.listen(config.port, config.host).catch((err: unknown) => {
    throw bindError(err, config.port, config.host) ?? err;
  });
  const url = await app.getUrl();
  logger.log(`Sanctum MCP listening on ${url.replace('[::1]', 'localhost')} (Streamable HTTP: /mcp, SSE: /sse, health: /health)`, 'Main');
  started();
}

async function serveOverStdio(config: AppConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, stream: 'stderr' });
  const app = await createStdioApp(await withInterpreter(config, logger), logger);
  const server = serveStdio(app, process.stdin, process.stdout);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void server.stop(`received ${signal}`));
  logger.log('Sanctum MCP serving one client over stdio (JSON-RPC on stdin/stdout, logs on stderr)', 'Main');
  started();
  await server.finished;
  await app.close();
  process.exit(0);
}

async function main(): Promise<void> {
  const command = parseCommandLine(process.argv.slice(2));
  if (command.kind === 'help') return void process.stdout.write(renderHelp());
  if (command.kind === 'version') return void process.stdout.write(`${SERVER_INFO.version}\n`);
  if (command.kind === 'init') {
    // Only --plugins: the folder a plugin author works in, not the one a gateway serves.
    const folder = initPlugin(command.name, command.env['MCP_PLUGINS_DIR'] ?? process.cwd());
    process.stdout.write(
      `Plugin "${command.name}" created in ${folder}. Next:\n  cd ${folder} && python3 -m unittest -v\n` +
        `  ${PROGRAM} check --plugins ${dirname(folder)}\nReplace the example commands (greet, add) in cli.py's COMMANDS table and HANDLERS.\n`,
    );
    return;
  }
  // A flag wins over the environment: it sets its variable before anything reads one.
  Object.assign(process.env, command.env);
  if (command.kind === 'check') {
    keepStdoutForProtocol();
    const outcome = await runCheck(loadConfig());
    process.stdout.write(outcome.text);
    process.exit(outcome.ok ? 0 : 1);
  }
  const stdio = process.env['MCP_TRANSPORT']?.trim().toLowerCase() === 'stdio';
  if (stdio) keepStdoutForProtocol();

  const config = loadConfig();
  if (stdio || config.transport === 'stdio') await serveOverStdio(config);
  else await serveHttp(config);
}

main().catch((err: unknown) => {
  // What the operator can fix in the environment exits 2, in one line naming the variable.
  if (err instanceof ConfigError || err instanceof BindError || err instanceof UsageError || err instanceof InitError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Sanctum MCP failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
