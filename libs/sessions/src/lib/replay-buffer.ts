/** One stored SSE event: its id, the stream it belongs to, and its serialised data. */
export interface ReplayEvent {
  readonly id: string;
  readonly streamId: string;
  readonly seq: number;
  readonly data: string;
}

/** What a `Last-Event-ID` resumes: the stream it named and the retained events after it. */
export interface ReplayResult {
  streamId: string;
  events: ReplayEvent[];
  /** False when some event after the given id (of any stream) was already evicted: the client may have missed events. */
  complete: boolean;
}

export interface ReplayBufferOptions {
  /** Most events kept (all streams of the session together). Default 1,000. */
  maxEvents?: number;
  /** Most bytes of event data kept (UTF-16 length, as a cheap bound). Default 8 MiB. */
  maxBytes?: number;
}

export const DEFAULT_REPLAY_EVENTS = 1_000;
export const DEFAULT_REPLAY_BYTES = 8 * 1024 * 1024;

const STREAM_ID = /^[A-Za-z0-9]+$/;
const EVENT_ID = /^([A-Za-z0-9]+)_(\d{1,15})$/;

/**
 * The bounded per-session event log behind SSE resumption (Streamable HTTP). Every event of every
 * stream of a session gets an id `<streamId>_<seq>` with one sequence for the whole session, so ids
 * are unique across the session's streams and name the stream they belong to; a client reconnecting
 * with `Last-Event-ID` gets the later events of that stream only. The oldest events are evicted
 * first once either bound is reached.
 */
export class ReplayBuffer {
  readonly maxEvents: number;
  readonly maxBytes: number;
  private readonly events: ReplayEvent[] = [];
  private storedBytes = 0;
  private lastSeq = 0;
  /** Highest sequence number evicted so far (0 = none). */
  private evictedThrough = 0;

  constructor(options: ReplayBufferOptions = {}) {
    this.maxEvents = options.maxEvents ?? DEFAULT_REPLAY_EVENTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_REPLAY_BYTES;
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) throw new RangeError('maxEvents must be a positive integer');
    if (!(this.maxBytes > 0)) throw new RangeError('maxBytes must be positive');
  }

  /** Split an event id into its stream and sequence number; undefined when it is not one of ours. */
  static parseId(id: string): { streamId: string; seq: number } | undefined {
    const match = EVENT_ID.exec(id.trim());
    if (!match) return undefined;
    return { streamId: match[1], seq: Number(match[2]) };
  }

  get size(): number {
    return this.events.length;
  }

  get bytes(): number {
    return this.storedBytes;
  }

  /** Reserve an id without storing anything (e.g. the empty priming event that opens a stream). */
  nextId(streamId: string): string {
    checkStreamId(streamId);
    this.lastSeq += 1;
    return `${streamId}_${this.lastSeq}`;
  }

  /** Store an event and return it with its new id. */
  append(streamId: string, data: string): ReplayEvent {
    checkStreamId(streamId);
    this.lastSeq += 1;
    const event: ReplayEvent = { id: `${streamId}_${this.lastSeq}`, streamId, seq: this.lastSeq, data };
    this.events.push(event);
    this.storedBytes += data.length;
    while (this.events.length > this.maxEvents || (this.storedBytes > this.maxBytes && this.events.length > 0)) {
      const evicted = this.events.shift() as ReplayEvent;
      this.storedBytes -= evicted.data.length;
      this.evictedThrough = evicted.seq;
    }
    return event;
  }

  /**
   * The retained events of the stream named by `lastEventId` that came after it. Undefined when the
   * id is malformed or was never issued by this buffer.
   */
  replayAfter(lastEventId: string): ReplayResult | undefined {
    const parsed = ReplayBuffer.parseId(lastEventId);
    if (!parsed || parsed.seq > this.lastSeq) return undefined;
    const events = this.events.filter((e) => e.streamId === parsed.streamId && e.seq > parsed.seq);
    return { streamId: parsed.streamId, events, complete: this.evictedThrough <= parsed.seq };
  }

  clear(): void {
    this.events.length = 0;
    this.storedBytes = 0;
    this.evictedThrough = this.lastSeq;
  }
}

function checkStreamId(streamId: string): void {
  if (!STREAM_ID.test(streamId)) throw new RangeError(`stream id must be letters and digits only: '${streamId}'`);
}
