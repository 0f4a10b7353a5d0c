// A small Server-Sent Events reader over fetch for the transport tests: keeps the raw text, the
// parsed events (id, event, data, retry) and whether the server ended the stream.
import { eventually } from './gateway';

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

export class SseReader {
  text = '';
  readonly events: SseEvent[] = [];
  ended = false;
  private consumed = 0;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    void this.pump();
  }

  /** Fetch `url`; a reader when the answer is an event stream, else the plain response. */
  static async open(url: string, init: RequestInit = {}): Promise<{ response: Response; reader?: SseReader }> {
    const controller = new AbortController();
    const response = await fetch(url, { ...init, signal: controller.signal });
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return { response };
    return { response, reader: new SseReader(response, controller) };
  }

  /** Events that carry JSON-RPC messages, parsed. */
  get messages(): Array<Record<string, unknown>> {
    return this.events
      .filter((e) => e.data !== undefined && e.data !== '')
      .map((e) => JSON.parse(e.data as string) as Record<string, unknown>);
  }

  async waitFor(predicate: (reader: SseReader) => boolean, timeoutMs = 5_000): Promise<void> {
    await eventually(() => predicate(this), timeoutMs);
  }

  /** Drop the connection from the client side. */
  close(): void {
    this.controller.abort();
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    if (!body) return;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.text += decoder.decode(value, { stream: true });
        this.parse();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  private parse(): void {
    for (;;) {
      const end = this.text.indexOf('\n\n', this.consumed);
      if (end === -1) return;
      const block = this.text.slice(this.consumed, end);
      this.consumed = end + 2;
      const event: SseEvent = {};
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        fields += 1;
        if (name === 'id') event.id = value;
        else if (name === 'event') event.event = value;
        else if (name === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
        else if (name === 'retry') event.retry = Number(value);
      }
      if (fields > 0) this.events.push(event);
    }
  }
}
