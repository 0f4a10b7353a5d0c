/** What acquire() gives back: a slot to release when the work ends, or why there is none. */
export type SlotGrant = { ok: true; release: () => void } | { ok: false; reason: 'busy' | 'cancelled' };

export interface LimiterOptions {
  /** Most slots held at once; 0 = unlimited. */
  maxConcurrency: number;
  /** Most slots held at once under one key (one plugin); 0 = no per-key limit. */
  perKeyConcurrency: number;
  /** Most callers waiting for a slot; when full, acquire() answers `busy` at once. */
  queueLimit: number;
}

export interface LimiterStats {
  running: number;
  queued: number;
}

interface Waiter {
  key: string;
  grant: (grant: SlotGrant) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Counting semaphore with an optional per-key limit and a bounded FIFO queue. A freed slot goes
 * to the oldest waiter that may run (one whose key is at its own limit is skipped, so one busy
 * plugin does not block the others). A waiter whose signal aborts leaves the queue at once.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(private readonly options: LimiterOptions) {}

  stats(): LimiterStats {
    return { running: this.running, queued: this.queue.length };
  }

  acquire(key: string, signal?: AbortSignal): Promise<SlotGrant> {
    if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
    if (this.mayRun(key)) return Promise.resolve(this.start(key));
    if (this.queue.length >= this.options.queueLimit) return Promise.resolve({ ok: false, reason: 'busy' });
    return new Promise<SlotGrant>((grant) => {
      const waiter: Waiter = { key, grant, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index < 0) return;
          this.queue.splice(index, 1);
          grant({ ok: false, reason: 'cancelled' });
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
    });
  }

  private mayRun(key: string): boolean {
    const { maxConcurrency, perKeyConcurrency } = this.options;
    if (maxConcurrency > 0 && this.running >= maxConcurrency) return false;
    return perKeyConcurrency <= 0 || (this.runningByKey.get(key) ?? 0) < perKeyConcurrency;
  }

  private start(key: string): SlotGrant {
    this.running += 1;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.running -= 1;
        const left = (this.runningByKey.get(key) ?? 1) - 1;
        if (left > 0) this.runningByKey.set(key, left);
        else this.runningByKey.delete(key);
        this.pump();
      },
    };
  }

  /** Hand free slots to the oldest waiters that may run. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const { maxConcurrency } = this.options;
      if (maxConcurrency > 0 && this.running >= maxConcurrency) return;
      const waiter = this.queue[i];
      if (!this.mayRun(waiter.key)) {
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.grant(this.start(waiter.key));
    }
  }
}
