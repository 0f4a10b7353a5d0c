import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import { APPEND, FINISH, REAP, RELEASE, RENEW } from './scripts';

/** Where the shared session store lives and how it behaves (MCP_REDIS_*). */
export interface SessionBusOptions {
  /** MCP_REDIS_URL, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** MCP_REDIS_PREFIX: every key and channel starts with it (default `sanctum:`). */
  prefix: string;
  /** MCP_REDIS_STREAM_MAXLEN: about how many entries each session's stream keeps (`XADD MAXLEN ~`). */
  streamMaxLen: number;
  /** MCP_REDIS_HEARTBEAT: ms between heartbeats; an instance silent for three is taken for dead. */
  heartbeatMs: number;
  /** The sessions' sliding TTL (MCP_SESSION_IDLE_TIMEOUT), ms; 0 = the keys do not expire. */
  idleTtlMs: number;
  /** ms to wait for Redis at start before giving up. */
  connectTimeoutMs?: number;
}

/** One entry of a session's stream: its id (the SSE event id), the stream it goes on, its kind and data. */
export interface StreamEntry {
  id: string;
  /** `sse` (HTTP+SSE), `g` (a Streamable HTTP GET stream) or a POST stream's id. */
  to: string;
  /** `m` a JSON-RPC message, `p` a priming event (no data), `e` the end of a POST stream. */
  kind: 'm' | 'p' | 'e';
  data: string;
}

/** What instances tell each other on the events channel. */
export type BusEvent =
  | { type: 'ended'; sessionId: string; from: string }
  | { type: 'changed'; sessionId: string; from: string }
  | { type: 'cancel'; sessionId: string; requestId: string; reason: string; from: string }
  /** A client's response (exact JSON) to a request another instance sent and waits for. */
  | { type: 'response'; sessionId: string; message: string; from: string }
  | { type: 'catalog'; from: string };

/** A session whose client stream this instance holds: entries of its stream are delivered here. */
export interface Holding {
  /** Reading resumes after this entry; `deliver` moves it past what it took. */
  readonly lastId: string;
  deliver(entries: StreamEntry[]): void;
}

/** Where the bus reports its figures (/metrics); every method is optional. */
export interface BusObserver {
  /** Seconds of one append's round trip to Redis. */
  appended?(seconds: number): void;
  /** Seconds from an entry's append to its delivery by the holder (from the entry id's clock). */
  delivered?(lagSeconds: number): void;
  /** Calls of a dead instance answered by this one. */
  reaped?(calls: number): void;
  /** A late final response not stored: the call had already been answered by a reaper. */
  lateResultDropped?(): void;
  /** A Redis error (connection lost, command failed). */
  failed?(): void;
}

const READ_BATCH = 256;
const MISSING_INSTANCE_BEATS = 3;

/** The reason a dead instance's calls are answered with. */
export const STOPPED_INSTANCE_MESSAGE = 'the instance running this call stopped before it finished; retry the call';

/** Key names of the store, one place. */
export class SessionKeys {
  constructor(readonly prefix: string) {}
  meta(sessionId: string): string {
    return `${this.prefix}s:${sessionId}`;
  }
  out(sessionId: string): string {
    return `${this.prefix}s:${sessionId}:out`;
  }
  lease(sessionId: string): string {
    return `${this.prefix}s:${sessionId}:lease`;
  }
  wake(sessionId: string): string {
    return `${this.prefix}s:${sessionId}:wake`;
  }
  heartbeat(instance: string): string {
    return `${this.prefix}i:${instance}`;
  }
  calls(instance: string): string {
    return `${this.prefix}i:${instance}:calls`;
  }
  /** The HTTP+SSE sessions whose stream an instance holds (they end with it). */
  streams(instance: string): string {
    return `${this.prefix}i:${instance}:sse`;
  }
  get instances(): string {
    return `${this.prefix}instances`;
  }
  get counts(): string {
    return `${this.prefix}counts`;
  }
  get events(): string {
    return `${this.prefix}events`;
  }
}

type ScriptCommands = {
  sanctumAppend(meta: string, out: string, ...args: (string | number)[]): Promise<string | null>;
  sanctumFinish(meta: string, out: string, calls: string, ...args: (string | number)[]): Promise<string | null>;
  sanctumReap(hb: string, calls: string, instances: string, counts: string, streams: string, ...args: (string | number)[]): Promise<number>;
  sanctumRenew(lease: string, meta: string, out: string, ...args: (string | number)[]): Promise<number>;
  sanctumRelease(lease: string, instance: string): Promise<number>;
};
type ScriptedRedis = Redis & ScriptCommands;

function entriesOf(raw: [string, string[]][]): StreamEntry[] {
  return raw.map(([id, fields]) => {
    const entry: StreamEntry = { id, to: '', kind: 'm', data: '' };
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = fields[i + 1];
      if (fields[i] === 'to') entry.to = value;
      else if (fields[i] === 'k') entry.kind = value as StreamEntry['kind'];
      else if (fields[i] === 'd') entry.data = value;
    }
    return entry;
  });
}

/** `a` after `b`, for stream entry ids (`<ms>-<seq>`). */
export function entryIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

/** A Redis stream entry id, as clients give it back in Last-Event-ID. */
export const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * This instance's link to the shared session store: two ioredis connections (commands, and a
 * subscriber for wake-ups and events), the scripts, this instance's heartbeat and call registry,
 * the reaper of dead instances' calls, and the reader that delivers stream entries to the
 * sessions whose client streams this instance holds.
 *
 * While Redis is unreachable ioredis reconnects by itself and queues commands (its offline
 * queue): appends of calls that finish meanwhile are sent, in order, when it is back. Lookups of
 * sessions are refused at once instead (`ready` is false), so that clients get a 503, not a hang.
 */
export class SessionBus {
  readonly instanceId = randomUUID();
  readonly keys: SessionKeys;
  readonly events$ = new Subject<BusEvent>();
  observer: BusObserver = {};
  private readonly redis: ScriptedRedis;
  private readonly subscriber: Redis;
  private readonly holdings = new Map<string, Holding>();
  private readonly woken = new Set<string>();
  private readingScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  /**
   * Counts the subscriber's reconnections: events published while it was away are lost, so what
   * an instance learned from them (a copy of a session's state being current) holds only within
   * one epoch.
   */
  epoch = 0;
  /** No reaping before this time (ms since epoch): set when the link to Redis comes back. */
  private reapNotBefore = 0;
  /** The subscriber has connected once: a later `ready` is a reconnection. */
  private subscribedOnce = false;
  private lastError: string | undefined;
  /** This instance's open sessions, published with each heartbeat (for the all-instances count). */
  localCount: () => number = () => 0;
  /** All instances' open sessions, as of the last heartbeat. */
  private allCount = 0;

  constructor(
    readonly options: SessionBusOptions,
    private readonly logger: LoggerService,
  ) {
    this.keys = new SessionKeys(options.prefix);
    const common = { lazyConnect: true, maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: `sanctum-${this.instanceId}` };
    this.redis = new Redis(options.url, common) as ScriptedRedis;
    this.redis.defineCommand('sanctumAppend', { numberOfKeys: 2, lua: APPEND });
    this.redis.defineCommand('sanctumFinish', { numberOfKeys: 3, lua: FINISH });
    this.redis.defineCommand('sanctumReap', { numberOfKeys: 5, lua: REAP });
    this.redis.defineCommand('sanctumRenew', { numberOfKeys: 3, lua: RENEW });
    this.redis.defineCommand('sanctumRelease', { numberOfKeys: 1, lua: RELEASE });
    this.subscriber = new Redis(options.url, common);
    for (const [name, client] of [
      ['commands', this.redis],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (err: Error) => this.failed(`${name} connection: ${err.message}`));
      client.on('ready', () => this.recovered(name));
    }
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
  }

  /** Connect both links (refused after `connectTimeoutMs`); throws with Redis's error when it cannot. */
  async connect(): Promise<void> {
    const timeout = this.options.connectTimeoutMs ?? 5_000;
    const attempt = async (): Promise<void> => {
      await this.redis.connect();
      await this.subscriber.connect();
      await this.redis.ping();
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        attempt(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(this.lastError ?? `no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      this.close();
      throw new Error(this.lastError ?? (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
    await this.subscriber.subscribe(this.keys.events);
    this.subscribedOnce = true;
    await this.beat();
    const every = this.options.heartbeatMs;
    this.timers = [
      setInterval(() => void this.beat().catch(() => undefined), every),
      setInterval(() => void this.reapDead().catch(() => undefined), every),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Both links are connected and answering. */
  get ready(): boolean {
    return !this.closed && this.redis.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** The last connection error, for readiness and the log. */
  get problem(): string | undefined {
    return this.ready ? undefined : this.lastError ?? `redis ${this.redis.status}`;
  }

  /** Open sessions of every live instance, as of the last heartbeat. */
  get sessionsEverywhere(): number {
    return this.allCount;
  }

  /** Disconnect (server shutdown): this instance's heartbeat and registry are dropped, its calls were ended. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.redis.status === 'ready') {
      await this.redis
        .multi()
        .del(this.keys.heartbeat(this.instanceId), this.keys.calls(this.instanceId), this.keys.streams(this.instanceId))
        .srem(this.keys.instances, this.instanceId)
        .hdel(this.keys.counts, this.instanceId)
        .exec()
        .catch(() => undefined);
    }
    this.close();
  }

  // --- session metadata ---------------------------------------------------------------

  /** Store a session's fields (and start its TTL). */
  async saveMeta(sessionId: string, fields: Record<string, string>): Promise<void> {
    const key = this.keys.meta(sessionId);
    const multi = this.redis.multi().hset(key, fields);
    if (this.options.idleTtlMs > 0) multi.pexpire(key, this.options.idleTtlMs);
    await multi.exec();
  }

  /** A session's fields, sliding its TTL; undefined when it ended or expired. */
  async loadMeta(sessionId: string): Promise<Record<string, string> | undefined> {
    const key = this.keys.meta(sessionId);
    const multi = this.redis.multi().hgetall(key);
    if (this.options.idleTtlMs > 0) multi.pexpire(key, this.options.idleTtlMs).pexpire(this.keys.out(sessionId), this.options.idleTtlMs);
    const replies = await multi.exec();
    const fields = replies?.[0]?.[1] as Record<string, string> | undefined;
    return fields === undefined || Object.keys(fields).length === 0 ? undefined : fields;
  }

  /** Slide the TTL of these sessions' keys (their streams are open here). */
  touch(sessionIds: readonly string[]): void {
    const ttl = this.options.idleTtlMs;
    if (ttl <= 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) pipeline.pexpire(this.keys.meta(id), ttl).pexpire(this.keys.out(id), ttl);
    void pipeline.exec().catch(() => undefined);
  }

  /** Whether the session still exists in the store. */
  async exists(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.meta(sessionId))) === 1;
  }

  /** End a session everywhere: its keys are deleted and every instance drops its copy. */
  async endSession(sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.meta(sessionId), this.keys.out(sessionId), this.keys.lease(sessionId))
      .publish(this.keys.events, JSON.stringify({ type: 'ended', sessionId, from: this.instanceId } satisfies BusEvent))
      .exec();
  }

  publish(event: BusEvent): void {
    void this.redis.publish(this.keys.events, JSON.stringify(event)).catch(() => undefined);
  }

  // --- the session streams --------------------------------------------------------------

  /** Append an entry (and wake its holder); resolves to its id, or null when the session is gone. */
  async append(sessionId: string, to: string, kind: StreamEntry['kind'], data: string): Promise<string | null> {
    const started = performance.now();
    const id = await this.redis.sanctumAppend(
      this.keys.meta(sessionId),
      this.keys.out(sessionId),
      this.options.streamMaxLen,
      this.options.idleTtlMs,
      to,
      kind,
      data,
      this.keys.wake(sessionId),
    );
    this.observer.appended?.((performance.now() - started) / 1000);
    return id;
  }

  /** An HTTP+SSE session whose stream this instance holds: if the instance stops, the session ends. */
  streamOpened(sessionId: string): void {
    void this.redis.sadd(this.keys.streams(this.instanceId), sessionId).catch(() => undefined);
  }

  streamClosed(sessionId: string): void {
    void this.redis.srem(this.keys.streams(this.instanceId), sessionId).catch(() => undefined);
  }

  /** Register a call this instance runs for a session whose client is served elsewhere. */
  registerCall(sessionId: string, requestIdJson: string, to: string): void {
    void this.redis.hset(this.keys.calls(this.instanceId), `${sessionId} ${requestIdJson}`, `${sessionId} ${to} ${requestIdJson}`).catch(() => undefined);
  }

  /** Forget a registered call that ends without a final response on the stream (e.g. cancelled). */
  unregisterCall(sessionId: string, requestIdJson: string): void {
    void this.redis.hdel(this.keys.calls(this.instanceId), `${sessionId} ${requestIdJson}`).catch(() => undefined);
  }

  /**
   * The final response of a registered call; null when the call was already answered (this
   * instance was taken for dead meanwhile) or the session is gone.
   */
  async finish(sessionId: string, requestIdJson: string, to: string, data: string): Promise<string | null> {
    const started = performance.now();
    const id = await this.redis.sanctumFinish(
      this.keys.meta(sessionId),
      this.keys.out(sessionId),
      this.keys.calls(this.instanceId),
      `${sessionId} ${requestIdJson}`,
      this.options.streamMaxLen,
      this.options.idleTtlMs,
      to,
      'm',
      data,
      this.keys.wake(sessionId),
    );
    this.observer.appended?.((performance.now() - started) / 1000);
    if (id === null) this.observer.lateResultDropped?.();
    return id;
  }

  /** Entries after `afterId` (exclusive), oldest first. */
  async readAfter(sessionId: string, afterId: string, count = 10_000): Promise<StreamEntry[]> {
    return this.readRange(sessionId, `(${afterId}`, count);
  }

  /** Entries from `fromId` on (inclusive: the first is the entry `fromId` when the stream still has it), oldest first. */
  async readFrom(sessionId: string, fromId: string, count = 10_000): Promise<StreamEntry[]> {
    return this.readRange(sessionId, fromId, count);
  }

  private async readRange(sessionId: string, start: string, count: number): Promise<StreamEntry[]> {
    const raw = (await this.redis.xrange(this.keys.out(sessionId), start, '+', 'COUNT', count)) as [string, string[]][];
    return entriesOf(raw);
  }

  /** The id of the stream's oldest kept entry (older ones were trimmed, MAXLEN), undefined when it is empty. */
  async firstEntryId(sessionId: string): Promise<string | undefined> {
    const raw = (await this.redis.xrange(this.keys.out(sessionId), '-', '+', 'COUNT', 1)) as [string, string[]][];
    return raw[0]?.[0];
  }

  /** The id of the stream's newest entry (`0-0` when empty): a new holder reads after it. */
  async lastEntryId(sessionId: string): Promise<string> {
    const raw = (await this.redis.xrevrange(this.keys.out(sessionId), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return raw[0]?.[0] ?? '0-0';
  }

  /** Deliver this session's new entries here from now on (reading after `holding.lastId`). */
  hold(sessionId: string, holding: Holding): void {
    const first = !this.holdings.has(sessionId);
    this.holdings.set(sessionId, holding);
    if (first) void this.subscriber.subscribe(this.keys.wake(sessionId)).catch(() => undefined);
    this.wake(sessionId);
  }

  /** Stop delivering this session's entries here. */
  unhold(sessionId: string, holding?: Holding): void {
    if (holding !== undefined && this.holdings.get(sessionId) !== holding) return;
    if (!this.holdings.delete(sessionId)) return;
    void this.subscriber.unsubscribe(this.keys.wake(sessionId)).catch(() => undefined);
  }

  /** Streamable HTTP sessions whose GET stream this instance holds (they are told of catalog changes here). */
  readonly getStreamsHeld = new Set<string>();

  get holdingCount(): number {
    return this.holdings.size;
  }

  // --- GET stream leases ----------------------------------------------------------------

  /** Take the lease of a session's GET stream: false when another instance holds it (unless `takeover`). */
  async acquireLease(sessionId: string, takeover: boolean): Promise<boolean> {
    const key = this.keys.lease(sessionId);
    const ms = this.leaseMs;
    const reply = takeover ? await this.redis.set(key, this.instanceId, 'PX', ms) : await this.redis.set(key, this.instanceId, 'PX', ms, 'NX');
    if (reply === 'OK') return true;
    return (await this.redis.get(key)) === this.instanceId;
  }

  /** Keep the lease (and the session's keys) alive; false when another instance took it. */
  async renewLease(sessionId: string): Promise<boolean> {
    const reply = await this.redis.sanctumRenew(
      this.keys.lease(sessionId),
      this.keys.meta(sessionId),
      this.keys.out(sessionId),
      this.instanceId,
      this.leaseMs,
      this.options.idleTtlMs,
    );
    return reply === 1;
  }

  releaseLease(sessionId: string): void {
    void this.redis.sanctumRelease(this.keys.lease(sessionId), this.instanceId).catch(() => undefined);
  }

  /** A lease outlives three heartbeats: a holder that stops renewing loses it within that. */
  get leaseMs(): number {
    return this.options.heartbeatMs * MISSING_INSTANCE_BEATS;
  }

  // --- heartbeat and the reaper ------------------------------------------------------------

  private async beat(): Promise<void> {
    const replies = await this.redis
      .multi()
      .set(this.keys.heartbeat(this.instanceId), String(Date.now()), 'PX', this.options.heartbeatMs * MISSING_INSTANCE_BEATS)
      .sadd(this.keys.instances, this.instanceId)
      .hset(this.keys.counts, this.instanceId, String(this.localCount()))
      .hvals(this.keys.counts)
      .exec();
    const counts = (replies?.[3]?.[1] as string[] | undefined) ?? [];
    this.allCount = counts.reduce((sum, n) => sum + (Number(n) || 0), 0);
  }

  /** Answer the calls of every instance whose heartbeat expired (each call once, whoever gets there first). */
  private async reapDead(): Promise<void> {
    // Right after Redis itself was away, every heartbeat may have lapsed: give the others three
    // beats to show they are alive before taking them for stopped.
    const mayReap = (): boolean => this.ready && Date.now() >= this.reapNotBefore;
    if (!mayReap()) return;
    const instances = await this.redis.smembers(this.keys.instances);
    const others = instances.filter((id) => id !== this.instanceId);
    if (others.length === 0) return;
    const alive = await Promise.all(others.map((id) => this.redis.exists(this.keys.heartbeat(id))));
    for (const [i, id] of others.entries()) {
      if (alive[i] === 1 || !mayReap()) continue;
      const answered = await this.redis.sanctumReap(
        this.keys.heartbeat(id),
        this.keys.calls(id),
        this.keys.instances,
        this.keys.counts,
        this.keys.streams(id),
        id,
        this.options.prefix,
        this.options.streamMaxLen,
        this.options.idleTtlMs,
        JSON.stringify(STOPPED_INSTANCE_MESSAGE),
        this.keys.events,
        JSON.stringify({ type: 'ended', sessionId: '%s', from: this.instanceId } satisfies BusEvent),
      );
      if (answered > 0) {
        this.observer.reaped?.(answered);
        this.logger.warn(`Instance ${id} stopped (no heartbeat): answered its ${answered} running calls with an error`, 'SessionBus');
      }
    }
  }

  // --- delivery ----------------------------------------------------------------------------

  private onMessage(channel: string, message: string): void {
    if (channel === this.keys.events) {
      let event: BusEvent;
      try {
        event = JSON.parse(message) as BusEvent;
      } catch {
        return;
      }
      // Its own announcements come back too: only an end is acted on (idempotently; the reaper's
      // ends concern copies it may hold itself).
      if (event.type === 'ended' || event.from !== this.instanceId) this.events$.next(event);
      return;
    }
    const prefix = `${this.options.prefix}s:`;
    if (channel.startsWith(prefix) && channel.endsWith(':wake')) this.wake(channel.slice(prefix.length, -':wake'.length));
  }

  private wake(sessionId: string): void {
    if (!this.holdings.has(sessionId)) return;
    this.woken.add(sessionId);
    if (this.readingScheduled) return;
    this.readingScheduled = true;
    setImmediate(() => void this.readWoken());
  }

  /** One XREAD for every woken session; a session with a full batch is woken again. */
  private async readWoken(): Promise<void> {
    this.readingScheduled = false;
    const ids = [...this.woken].filter((id) => this.holdings.has(id));
    this.woken.clear();
    if (ids.length === 0) return;
    const keys = ids.map((id) => this.keys.out(id));
    const after = ids.map((id) => (this.holdings.get(id) as Holding).lastId);
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = (await this.redis.xread('COUNT', READ_BATCH, 'STREAMS', ...keys, ...after)) as [string, [string, string[]][]][] | null;
    } catch (err) {
      this.failed(`reading session streams: ${(err as Error).message}`);
      for (const id of ids) this.woken.add(id);
      return; // read again when the connection is back (recovered)
    }
    const now = Date.now();
    for (const [key, raw] of reply ?? []) {
      const sessionId = ids[keys.indexOf(key)];
      const holding = this.holdings.get(sessionId);
      if (holding === undefined || raw.length === 0) continue;
      const entries = entriesOf(raw).filter((e) => entryIdAfter(e.id, holding.lastId));
      if (entries.length === 0) continue;
      for (const entry of entries) this.observer.delivered?.(Math.max(0, now - Number(entry.id.split('-')[0])) / 1000);
      try {
        holding.deliver(entries);
      } catch (err) {
        this.logger.error(`Session ${sessionId}: delivering stream entries failed: ${(err as Error).message}`, 'SessionBus');
      }
      if (raw.length >= READ_BATCH) this.wake(sessionId);
    }
  }

  private failed(message: string): void {
    this.observer.failed?.();
    if (this.lastError !== message) this.logger.error(`Redis (MCP_REDIS_URL): ${message}`, 'SessionBus');
    this.lastError = message;
  }

  private recovered(name: 'commands' | 'subscriber'): void {
    if (name === 'commands' && this.subscribedOnce) this.reapNotBefore = Date.now() + this.options.heartbeatMs * MISSING_INSTANCE_BEATS;
    if (this.lastError !== undefined) {
      this.logger.log(`Redis (MCP_REDIS_URL): ${name} connection is back`, 'SessionBus');
      this.lastError = undefined;
    }
    if (name !== 'subscriber' || !this.subscribedOnce) return;
    this.epoch += 1;
    // Wake-ups published while the subscriber was away are lost: read every held stream now, and
    // once more a moment later (an append may land between the reconnection and the resubscription).
    const wakeAll = (): void => {
      for (const id of this.holdings.keys()) this.wake(id);
    };
    wakeAll();
    setTimeout(wakeAll, 500).unref();
  }

  private close(): void {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.redis.disconnect();
    this.subscriber.disconnect();
    this.events$.complete();
  }
}
