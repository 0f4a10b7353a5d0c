import type { Request, Response } from 'express';
import { formatSseComment } from '@sanctum/sessions';

/** Milliseconds a client should wait before reconnecting a dropped stream (the SSE `retry:` field). */
export const SSE_RETRY_MS = 1_000;

/**
 * One open Server-Sent Events response: frames written as they come, keepalive comments in
 * between, and a close callback that runs once, whether the client went away or we ended it.
 */
export class SseSink {
  private closedFlag = false;
  private readonly timer: NodeJS.Timeout;
  private readonly closeHandlers: Array<() => void> = [];

  constructor(
    private readonly res: Response,
    keepaliveMs: number,
  ) {
    this.timer = setInterval(() => this.write(formatSseComment('keepalive')), keepaliveMs);
    this.timer.unref();
    res.on('close', () => this.markClosed());
  }

  /** Send the SSE headers now (status 200) so the client sees the stream open at once. */
  static open(req: Request, res: Response, keepaliveMs: number, headers: Record<string, string> = {}): SseSink {
    res.status(200);
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

  /** Run `handler` once when the stream closes (immediately if it already has). */
  onClose(handler: () => void): void {
    if (this.closedFlag) handler();
    else this.closeHandlers.push(handler);
  }

  write(chunk: string): void {
    if (this.closedFlag || this.res.writableEnded || this.res.destroyed) return;
    this.res.write(chunk);
  }

  /** End the response (the client sees the stream finish). Idempotent. */
  end(): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.timer);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
