import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplicationContext, LoggerService } from '@nestjs/common';
import type { Readable, Writable } from 'node:stream';
import { parsePayload } from '@sanctum/protocol';
import { ReadBuffer, SessionRegistry, serializeLine } from '@sanctum/sessions';
import type { ReadItem, Session } from '@sanctum/sessions';
import { AppModule } from '../app.module';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { APP_LOGGER } from '../logging/logger';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';

export interface StdioOptions {
  /** Longest accepted line in bytes; default MCP_MAX_BODY_BYTES. */
  maxLineBytes?: number;
  /** How long stop() waits for cancelled calls to settle before flushing anyway (ms). Default 5 s. */
  drainTimeoutMs?: number;
}

export interface StdioServer {
  readonly session: Session;
  /** Resolves once the input ended (or stop() ran), running calls settled and the output was flushed. */
  readonly finished: Promise<void>;
  /** End the session: cancel running calls, write what they answer, flush. Idempotent. */
  stop(reason?: string): Promise<void>;
}

/**
 * The gateway without HTTP: the same module, no server, no port. For `--stdio`, where stdout belongs
 * to the protocol; the logger given must write to stderr.
 */
export function createStdioApp(
  config: AppConfig,
  logger: LoggerService,
  extensions: DynamicModule['imports'] = [],
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forRoot(config, logger, extensions), { logger, abortOnError: false });
}

/**
 * The stdio transport: newline-delimited JSON-RPC on `input`, one JSON line per message on
 * `output`, one 'stdio' session for the connection. Lines are handled concurrently (a
 * `notifications/cancelled` must reach a running call); a line over the size cap is answered with
 * -32600 and discarded. Nothing but JSON-RPC is ever written to `output`.
 */
export function serveStdio(app: INestApplicationContext, input: Readable, output: Writable, options: StdioOptions = {}): StdioServer {
  const dispatcher = app.get(McpDispatcher);
  const sessions = app.get(SessionRegistry);
  const logger = app.get<LoggerService>(APP_LOGGER);
  const config = app.get<AppConfig>(APP_CONFIG);
  const reader = new ReadBuffer(options.maxLineBytes ?? config.maxBodyBytes);
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000;

  const session = sessions.create('stdio');
  logger.log(`Session started: ${session.id}`, 'Sessions');

  let writable = true;
  const write = (message: unknown): void => {
    if (writable && !output.writableEnded && !output.destroyed) output.write(serializeLine(message));
  };
  const running = new Set<Promise<void>>();
  const subscription = session.outgoing.subscribe(({ message }) => write(message));

  const handle = (item: ReadItem): void => {
    if (!item.ok) {
      write(item.response);
      return;
    }
    const task = dispatcher
      .handlePayload(parsePayload(item.line), session)
      .then((response) => {
        if (response !== null) write(response);
      })
      .catch((err: unknown) => logger.error(`stdio: handling a message failed: ${(err as Error).stack ?? String(err)}`, 'Stdio'));
    running.add(task);
    void task.finally(() => running.delete(task));
  };
  const onData = (chunk: Buffer | string): void => {
    for (const item of reader.push(chunk)) handle(item);
  };

  let resolveFinished: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  let stopping: Promise<void> | undefined;

  const stop = (reason = 'stdio transport stopped'): Promise<void> => {
    stopping ??= (async () => {
      input.off('data', onData);
      input.pause();
      if (reader.pendingBytes > 0)
        logger.warn(`stdio: input ended inside a message (${reader.pendingBytes} bytes without a newline); ignored.`, 'Stdio');
      reader.reset();
      // Closing the session aborts running calls; their (cancelled) answers are still written.
      if (sessions.remove(session.id, reason)) logger.log(`Session ended: ${session.id}`, 'Sessions');
      await settle([...running], drainTimeoutMs);
      subscription.unsubscribe();
      await flush(output, () => writable);
      resolveFinished();
    })();
    return stopping;
  };

  output.on('error', (err: Error) => {
    // The reader went away (EPIPE): nothing more can be delivered.
    writable = false;
    logger.warn(`stdio: output failed (${err.message}); stopping.`, 'Stdio');
    void stop('output closed');
  });
  input.on('data', onData);
  input.once('end', () => void stop('stdin closed'));
  input.once('error', (err: Error) => void stop(`stdin failed: ${err.message}`));

  return { session, finished, stop };
}

function settle(tasks: Promise<void>[], timeoutMs: number): Promise<void> {
  if (tasks.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    void Promise.allSettled(tasks).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves when everything written so far has been handed to the OS (or the stream is gone). */
function flush(output: Writable, writable: () => boolean): Promise<void> {
  if (!writable() || output.writableEnded || output.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => output.write('', () => resolve()));
}
