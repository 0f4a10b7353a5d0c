import { Observable, interval, map, merge } from 'rxjs';
import type { Session } from './session';

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

/**
 * The legacy HTTP+SSE stream of a session (protocol 2024-11-05): first the `endpoint` event that
 * tells the client where to POST, then every outgoing message as an `event: message` frame,
 * with keepalive comments in between. Completes when the session closes.
 */
export function legacySseStream(session: Session, endpointUrl: string, keepaliveMs = DEFAULT_KEEPALIVE_MS): Observable<string> {
  return new Observable<string>((subscriber) => {
    subscriber.next(formatSseEvent({ event: 'endpoint', data: endpointUrl }));
    const messages = session.outgoing.pipe(map(({ message }) => formatSseEvent({ event: 'message', data: JSON.stringify(message) })));
    const keepalive = interval(keepaliveMs).pipe(map(() => formatSseComment('keepalive')));
    const sub = merge(messages, keepalive).subscribe({
      next: (chunk) => subscriber.next(chunk),
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    // merge completes only when both complete; the session's end must end the stream.
    const end = session.outgoing.subscribe({ complete: () => subscriber.complete() });
    return () => {
      sub.unsubscribe();
      end.unsubscribe();
    };
  });
}
