import type { IncomingMessage, ServerResponse } from 'node:http';
import { KEEPALIVE_FRAME, keepaliveTicker } from './sse';
import type { KeepaliveTarget, KeepaliveTicker, SseOutput } from './sse';

/** Milliseconds a client should wait before reconnecting a dropped stream (the SSE `retry:` field). */
export const SSE_RETRY_MS = 1_000;

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
 */
export class SseSink implements KeepaliveTarget, SseStream {
  private closedFlag = false;
  /** One handler, or several: most streams have exactly one. */
  private closeHandlers: (() => void) | Array<() => void> | undefined = undefined;
  private readonly ticker: KeepaliveTicker;

  constructor(
    private readonly res: ServerResponse,
    keepaliveMs: number,
  ) {
    this.ticker = keepaliveTicker(keepaliveMs);
    this.ticker.add(this);
    res.on('close', () => this.markClosed());
  }

  /** Send the SSE headers now (status 200) so the client sees the stream open at once. */
  static open(req: IncomingMessage, res: ServerResponse, keepaliveMs: number, headers: Record<string, string> = {}): SseSink {
    res.statusCode = 200; // what Express's res.status(200) does
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    return new SseSink(res, keepaliveMs);
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

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.ticker.delete(this);
    const handlers = this.closeHandlers;
    this.closeHandlers = undefined;
    if (typeof handlers === 'function') handlers();
    else if (handlers !== undefined) for (const handler of handlers) handler();
  }
}
