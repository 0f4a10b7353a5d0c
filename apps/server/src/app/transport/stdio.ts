import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplicationContext, LoggerService } from '@nestjs/common';
import type { Readable, Writable } from 'node:stream';
import { Method, StatelessMethod, RpcError, isRequest, parsePayload, revisionOf } from '@sanctum/protocol';
import type { ParsedPayload, RevisionKind } from '@sanctum/protocol';
import { ReadBuffer, SessionRegistry, serializeLine } from '@sanctum/sessions';
import type { ReadItem, Session } from '@sanctum/sessions';
import { AppModule } from '../app.module';
import type { AppConfig } from '../config/config';
import { SERVER_CONFIG, SESSIONS_CONFIG } from '../config/config.slices';
import type { ServerConfig, SessionsConfig } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';
import type { StatelessReply } from '../mcp/stateless-connection';
import { StatelessProtocol } from '../mcp/stateless-protocol.service';
import { GatewayTracing } from '../tracing/gateway-tracing';

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
 *
 * The first line fixes the protocol revision of the connection, by the rule Streamable HTTP applies
 * to each POST (`revisionOf`): one whose `_meta` names a protocol version makes it a 2026-07-28
 * (stateless) connection, anything else a connection of the 2025 revisions. A client that probed
 * with `server/discover` and then sends a 2025 `initialize` is moved to the 2025 revisions (the
 * fallback of clients that speak both); any other `initialize` on a 2026-07-28 connection is refused.
 *
 * Back-pressure: once more than MCP_MAX_UNSENT_BYTES written to `output` wait unsent (Node's
 * `writableLength`), `input` is no longer read until `output` drains. Unlike an SSE stream, stdout
 * is not ended past the bound: it is the one connection of the process, and a response dropped
 * would leave its caller waiting for ever. A pipe carries the back-pressure on to the client,
 * whose writes block once stdin's pipe is full; what is still written meanwhile comes from the
 * calls already read, each bounded by the executor's output caps.
 */
export function serveStdio(app: INestApplicationContext, input: Readable, output: Writable, options: StdioOptions = {}): StdioServer {
  const dispatcher = app.get(McpDispatcher);
  const tracing = app.get(GatewayTracing);
  const sessions = app.get(SessionRegistry);
  const logger = app.get<LoggerService>(APP_LOGGER);
  const config = app.get<ServerConfig>(SERVER_CONFIG);
  const { maxUnsentBytes } = app.get<SessionsConfig>(SESSIONS_CONFIG);
  const reader = new ReadBuffer(options.maxLineBytes ?? config.maxBodyBytes);
  const drainTimeoutMs = options.drainTimeoutMs ?? 5_000;

  // The one client of this process: no cap applies (the caps bound what many HTTP clients hold).
  const session = sessions.create('stdio');
  // Protocol revision 2026-07-28 on stdio: one connection; every message a line, no stream to open
  // or end, and the client cancels by request id (notifications/cancelled) instead of going away.
  const stateless = app.get(StatelessProtocol).connect({ principal: undefined, capped: false });
  const statelessReply: StatelessReply = {
    openStream: () => undefined,
    notify: (message) => write(message),
    answer: (response) => write(response),
    accept: () => undefined,
    end: () => undefined,
    closed: false,
    onClose: () => undefined,
  };
  let revision: RevisionKind | undefined;
  /** Whether every message of a stateless connection so far was a server/discover probe. */
  let probesOnly = true;
  const revisionFor = (payload: ParsedPayload): RevisionKind => {
    const kind = revisionOf(payload);
    const first = payload.items[0];
    const method = first?.ok && isRequest(first.message) ? first.message.method : undefined;
    if (revision === undefined) revision = kind;
    else if (revision === 'stateless' && probesOnly && kind === 'session-based' && method === Method.Initialize) revision = 'session-based';
    if (revision === 'stateless' && method !== StatelessMethod.Discover) probesOnly = false;
    return revision;
  };
  sessions.started(session);

  let writable = true;
  /** Reading paused until `output` drains; warned at the first pause of the connection only. */
  let waitingForDrain = false;
  let pauses = 0;
  const write = (message: unknown): void => {
    if (!writable || output.writableEnded || output.destroyed) return;
    output.write(serializeLine(message));
    // 'drain' comes only after a write that found the buffer full (writableNeedDrain).
    if (waitingForDrain || !output.writableNeedDrain || output.writableLength <= maxUnsentBytes) return;
    waitingForDrain = true;
    input.pause();
    const line = `stdio: ${output.writableLength} bytes unsent on stdout (MCP_MAX_UNSENT_BYTES=${maxUnsentBytes}); stdin not read until the client reads`;
    if (pauses++ === 0) logger.warn(line, 'Stdio');
    else logger.debug?.(line, 'Stdio');
    output.once('drain', () => {
      waitingForDrain = false;
      if (stopping === undefined) input.resume();
    });
  };
  const running = new Set<Promise<void>>();
  const subscription = session.outgoing.subscribe(({ message }) => write(message));

  const handle = (item: ReadItem): void => {
    if (!item.ok) {
      write(item.response);
      return;
    }
    const payload = parsePayload(item.line, { maxBatch: config.maxBatch });
    const run = (): Promise<void> =>
      revisionFor(payload) === 'stateless'
        ? handleStateless(payload)
        : dispatcher.handlePayload(payload, session).then((response) => {
            if (response !== null) write(response);
          });
    const task = (tracing.enabled ? tracing.stdioMessage(run) : run()).catch((err: unknown) => logger.error(`stdio: handling a message failed: ${(err as Error).stack ?? String(err)}`, 'Stdio'));
    running.add(task);
    void task.finally(() => running.delete(task));
  };
  const handleStateless = async (payload: ParsedPayload): Promise<void> => {
    if (payload.batch) {
      write(RpcError.invalidRequest('protocol revision 2026-07-28 has no batches; send each message on its own line.').toResponse(null));
      return;
    }
    const [item] = payload.items;
    if (!item.ok) write(item.response);
    else await stateless.handle(item.message, statelessReply);
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
      stateless.stop(reason);
      sessions.remove(session.id, { reason });
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
