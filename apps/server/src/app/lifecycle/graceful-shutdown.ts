import type { INestApplication, LoggerService } from '@nestjs/common';
import type { Server } from 'node:http';
import { SessionRegistry } from '@sanctum/sessions';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';
import { StatelessProtocol } from '../mcp/stateless-protocol.service';
import { GatewayHealthIndicators } from '../health/gateway.health';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stop without losing accepted work: stop accepting connections (readiness turns 503), let
 * running tool calls finish within the grace period, then cancel what is left (killing plugin
 * process groups), end every session so streams close cleanly, and close the application.
 */
export async function drainAndClose(app: INestApplication, logger: LoggerService, graceMs: number): Promise<void> {
  const dispatcher = app.get(McpDispatcher);
  const sessions = app.get(SessionRegistry);
  app.get(GatewayHealthIndicators).beforeApplicationShutdown();
  const server = app.getHttpServer() as Server;
  server.close();
  // Idle keep-alive sockets would hold close() open; busy ones finish their response first.
  server.closeIdleConnections();

  const deadline = Date.now() + graceMs;
  if (dispatcher.inFlightCalls > 0) {
    logger.log(`Shutting down: waiting up to ${Math.round(graceMs / 1000)} s for ${dispatcher.inFlightCalls} running tool calls`, 'Main');
  }
  while (dispatcher.inFlightCalls > 0 && Date.now() < deadline) {
    await sleep(50);
    // Keep-alive connections whose answer went out are closed as soon as they fall idle.
    server.closeIdleConnections();
  }
  if (dispatcher.inFlightCalls > 0) {
    logger.warn(`Shutting down: cancelling ${dispatcher.inFlightCalls} tool calls still running after the grace period`, 'Main');
    dispatcher.cancelAll('the server is shutting down');
    const settle = Date.now() + 5_000;
    while (dispatcher.inFlightCalls > 0 && Date.now() < settle) await sleep(20);
  }
  app.get(StatelessProtocol).stopListeners();
  sessions.removeAll({ reason: 'server shutting down' });
  server.closeAllConnections();
  await app.close();
}

/**
 * SIGTERM/SIGINT: drain and exit 0. A second signal while draining exits at once (code 130 for
 * SIGINT, 143 for SIGTERM), as operators expect from Ctrl-C twice.
 */
export function handleSignals(app: INestApplication, logger: LoggerService, graceMs: number): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn(`Received ${signal} again: exiting now`, 'Main');
        // Aborting signals the plugins' process groups synchronously: no orphans left behind.
        app.get(McpDispatcher).cancelAll('the server is exiting');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      logger.log(`Received ${signal}: no new connections; draining`, 'Main');
      drainAndClose(app, logger, graceMs).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`Shutdown failed: ${(err as Error).message}`, 'Main');
          process.exit(1);
        },
      );
    });
  }
}
