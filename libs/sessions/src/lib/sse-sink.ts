import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KEEPALIVE_FRAME, keepaliveTicker } from './sse';
import type { KeepaliveTarget, KeepaliveTicker, SseOutput } from './sse';

/** Milliseconds a client should wait before reconnecting a dropped stream (the SSE `retry:` field). */
export const SSE_RETRY_MS = 1_000;

/** The default bound of one stream's unsent bytes (MCP_MAX_UNSENT_BYTES): 4 MiB. */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/** How an `SseSink` writes: its keepalive interval and the bound of what it may hold unsent. */
export interface SseSinkOptions {
  keepaliveMs: number;
  /**
   * Bytes written to the response but not yet handed to the client's connection that the stream
   * may hold; a run of writes (those made without yielding to a promise or the event loop) whose
   * first write finds more ends the stream instead. So a stream holds at most this plus one run
   * (one message, or one replay from the replay buffer), however long its client does not read.
   */
  maxUnsentBytes: number;
  /** Runs once if the stream is ended past `maxUnsentBytes`, with the bytes then unsent, before the close handlers. */
  onOverflow?: (unsentBytes: number) => void;
}

/** An open Server-Sent Events stream as the stream bookkeeping sees it (an `SseSink`, or a test's stand-in). */
export interface SseStream extends SseOutput {
  readonly closed: boolean;
  /** Run `handler` once when the stream closes (immediately if it already has). */
  onClose(handler: () => void): void;
}

/**
 * One open Server-Sent Events response: frames written as they come, keepalive comments in
 * between (from the shared ticker of its interval, not a timer per stream), and a close callback
 * that runs once, whether the client went away or we ended it. It keeps only the response, not
 * the request. It uses only Node's request and response API, so that a stream can be served
 * without Express's prototypes; on Express's objects it does the same.
 *
 * Back-pressure: Node's `res.write()` buffers whatever the connection cannot take yet, without
 * limit. At the first write of each run of writes made without yielding, the sink reads Node's
 * own count of those bytes (`res.writableLength`, which includes the socket's buffer) and, past
 * `maxUnsentBytes`, destroys the response (its connection and buffer go) rather than buffer on
 * for a client that does not read. The rest of the run goes whole: a resumed stream's replay is
 * one run, and cutting it would end the stream before its client could read any of it. Keepalives are writes too, so an idle stream over the bound is ended at its next keepalive
 * at the latest.
 *
 * A client that half-closes its connection (FIN) is gone: the stream ends at once rather than at
 * the next write that fails.
 */
export class SseSink implements KeepaliveTarget, SseStream {
  private closedFlag = false;
  /** One handler, or several: most streams have exactly one. */
  private closeHandlers: (() => void) | Array<() => void> | undefined = undefined;
  private readonly ticker: KeepaliveTicker;
  private readonly maxUnsentBytes: number;
  private onOverflow: ((unsentBytes: number) => void) | undefined;
  /** Whether the current run of writes already checked the unsent bytes (reset at the next microtask). */
  private checkedThisTurn = false;
  private readonly nextTurn = (): void => {
    this.checkedThisTurn = false;
  };
  /** The client's connection while the stream watches it for the client's FIN. */
  private socket: Socket | undefined = undefined;
  private readonly clientEnded = (): void => {
    if (!this.res.destroyed) this.res.destroy();
    this.markClosed();
  };

  constructor(
    private readonly res: ServerResponse,
    options: SseSinkOptions,
  ) {
    this.maxUnsentBytes = options.maxUnsentBytes;
    this.onOverflow = options.onOverflow;
    this.ticker = keepaliveTicker(options.keepaliveMs);
    this.ticker.add(this);
    res.on('close', () => this.markClosed());
    // A kept-alive connection outlives a POST's stream: the listener goes when the stream closes.
    const socket = res.socket ?? undefined;
    if (socket && !socket.readableEnded) {
      this.socket = socket;
      socket.once('end', this.clientEnded);
    }
  }

  /** Send the SSE headers now (status 200) so the client sees the stream open at once. */
  static open(req: IncomingMessage, res: ServerResponse, options: SseSinkOptions, headers: Record<string, string> = {}): SseSink {
    res.statusCode = 200; // what Express's res.status(200) does
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    return new SseSink(res, options);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  onClose(handler: () => void): void {
    if (this.closedFlag) handler();
    else if (this.closeHandlers === undefined) this.closeHandlers = handler;
    else if (typeof this.closeHandlers === 'function') this.closeHandlers = [this.closeHandlers, handler];
    else this.closeHandlers.push(handler);
  }

  write(chunk: string): void {
    if (this.closedFlag || this.res.writableEnded || this.res.destroyed) return;
    if (!this.checkedThisTurn) {
      const unsent = this.res.writableLength;
      if (unsent > this.maxUnsentBytes) {
        this.overflow(unsent);
        return;
      }
      this.checkedThisTurn = true;
      queueMicrotask(this.nextTurn);
    }
    this.res.write(chunk);
  }

  /** A keepalive comment (called by the ticker). */
  keepalive(): void {
    this.write(KEEPALIVE_FRAME);
  }

  /** End the response (the client sees the stream finish). Idempotent. */
  end(): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
    this.markClosed();
  }

  /** Too much unsent: the response and its buffer go, the stream closes; the overflow is reported once. */
  private overflow(unsentBytes: number): void {
    this.res.destroy();
    const onOverflow = this.onOverflow;
    this.onOverflow = undefined;
    onOverflow?.(unsentBytes);
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.ticker.delete(this);
    this.socket?.off('end', this.clientEnded);
    this.socket = undefined;
    const handlers = this.closeHandlers;
    this.closeHandlers = undefined;
    if (typeof handlers === 'function') handlers();
    else if (handlers !== undefined) for (const handler of handlers) handler();
  }
}
