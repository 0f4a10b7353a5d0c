import { stringifyExact } from '@sanctum/protocol';
import { Observable } from 'rxjs';
import type { OutgoingMessage, Session, SessionConsumer } from './session';

/** Serialise one SSE event. Multi-line data is split into several `data:` lines, as the format requires. */
export function formatSseEvent(event: { event?: string; data: string; id?: string; retry?: number }): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** An SSE comment line; clients ignore it, proxies see traffic. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export const DEFAULT_KEEPALIVE_MS = 15_000;

/** The keepalive comment, serialised once. */
export const KEEPALIVE_FRAME = formatSseComment('keepalive');

/** What a keepalive ticker writes to: an open SSE stream. */
export interface KeepaliveTarget {
  keepalive(): void;
}

/** Targets written per turn of the event loop, so that a tick over many streams does not stall it. */
const KEEPALIVE_BATCH = 256;

/**
 * One timer for the keepalives of many SSE streams: every `intervalMs` each registered stream gets
 * one keepalive, instead of one interval timer per stream. The timer runs only while at least one
 * stream is registered, and never keeps the process alive. A stream's first keepalive comes at most
 * `intervalMs` after it registered, then every `intervalMs`. A tick over more than a few hundred
 * streams is spread over several turns of the event loop.
 */
export class KeepaliveTicker {
  private readonly targets = new Set<KeepaliveTarget>();
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The rest of a tick still being written, and its next turn. */
  private sweep: Iterator<KeepaliveTarget> | undefined = undefined;
  private continuation: NodeJS.Immediate | undefined = undefined;

  constructor(readonly intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
  }

  /** Streams registered. */
  get size(): number {
    return this.targets.size;
  }

  add(target: KeepaliveTarget): void {
    this.targets.add(target);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  delete(target: KeepaliveTarget): void {
    if (!this.targets.delete(target) || this.targets.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.continuation !== undefined) clearImmediate(this.continuation);
    this.continuation = undefined;
    this.sweep = undefined;
  }

  private tick(): void {
    // A tick still being written when the next one is due (a very slow loop) is finished first.
    if (this.sweep !== undefined) return;
    this.sweep = this.targets.values();
    this.writeBatch();
  }

  private writeBatch(): void {
    const sweep = this.sweep;
    if (sweep === undefined) return;
    // Set iterators are live: streams removed meanwhile are skipped, streams added are visited.
    for (let n = 0; n < KEEPALIVE_BATCH; n++) {
      const next = sweep.next();
      if (next.done) {
        this.sweep = undefined;
        return;
      }
      next.value.keepalive();
    }
    if (this.sweep !== sweep) return; // a keepalive ended the last stream
    this.continuation = setImmediate(() => {
      this.continuation = undefined;
      this.writeBatch();
    });
    this.continuation.unref();
  }
}

const tickers = new Map<number, KeepaliveTicker>();

/** The process-wide ticker for one keepalive interval. */
export function keepaliveTicker(intervalMs: number = DEFAULT_KEEPALIVE_MS): KeepaliveTicker {
  let ticker = tickers.get(intervalMs);
  if (ticker === undefined) {
    ticker = new KeepaliveTicker(intervalMs);
    tickers.set(intervalMs, ticker);
  }
  return ticker;
}

/** Where an HTTP+SSE stream's frames go (an open HTTP response, or an Observable's subscriber). */
export interface SseOutput {
  write(chunk: string): void;
  /** The session ended: finish the stream. */
  end(): void;
}

/** Frames a session's messages as HTTP+SSE `event: message` events onto an output. One small object per stream. */
class HttpSseConsumer implements SessionConsumer {
  constructor(private readonly output: SseOutput) {}

  next(out: OutgoingMessage): void {
    this.output.write(formatSseEvent({ event: 'message', data: stringifyExact(out.message) }));
  }

  complete(): void {
    this.output.end();
  }
}

/**
 * The HTTP+SSE stream of a session (protocol 2024-11-05) written straight to `output`,
 * without RxJS: first the `endpoint` event that tells the client where to POST, then every
 * outgoing message as an `event: message` frame; `output.end()` when the session closes (at once
 * if it already has). Keepalives are the output's business (see `KeepaliveTicker`). Returns the
 * session's consumer: `session.detach(consumer)` disconnects the stream without ending it.
 */
export function connectHttpSseStream(session: Session, endpointUrl: string, output: SseOutput): SessionConsumer {
  output.write(formatSseEvent({ event: 'endpoint', data: endpointUrl }));
  const consumer = new HttpSseConsumer(output);
  session.attach(consumer);
  return consumer;
}

/**
 * The HTTP+SSE stream of a session as an Observable: the frames of `connectHttpSseStream`,
 * with keepalive comments in between (from the shared ticker of that interval). Completes when
 * the session closes.
 */
export function httpSseStream(session: Session, endpointUrl: string, keepaliveMs = DEFAULT_KEEPALIVE_MS): Observable<string> {
  return new Observable<string>((subscriber) => {
    const ticker = keepaliveTicker(keepaliveMs);
    const target: KeepaliveTarget = { keepalive: () => subscriber.next(KEEPALIVE_FRAME) };
    const consumer = connectHttpSseStream(session, endpointUrl, {
      write: (chunk) => subscriber.next(chunk),
      end: () => {
        ticker.delete(target);
        subscriber.complete();
      },
    });
    if (subscriber.closed) {
      // Completed (closed session) or unsubscribed from within the endpoint event (e.g. `take(1)`).
      session.detach(consumer);
      return undefined;
    }
    ticker.add(target);
    return () => {
      ticker.delete(target);
      session.detach(consumer);
    };
  });
}
