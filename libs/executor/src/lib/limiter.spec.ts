import { ConcurrencyLimiter } from './limiter';
import type { SlotGrant } from './limiter';

function granted(grant: SlotGrant): () => void {
  if (!grant.ok) throw new Error(`expected a slot, got ${grant.reason}`);
  return grant.release;
}

/** Lets pending promise callbacks run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimiter', () => {
  it('runs up to the global limit, queues FIFO, refuses when the queue is full', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 2, perKeyConcurrency: 0, queueLimit: 2 });
    const a = granted(await limiter.acquire('p'));
    const b = granted(await limiter.acquire('q'));
    const order: string[] = [];
    const c = limiter.acquire('p').then((g) => (order.push('c'), g));
    const d = limiter.acquire('q').then((g) => (order.push('d'), g));
    expect(limiter.stats()).toEqual({ running: 2, queued: 2 });
    await expect(limiter.acquire('r')).resolves.toEqual({ ok: false, reason: 'busy' });

    a();
    const releaseC = granted(await c);
    expect(order).toEqual(['c']);
    expect(limiter.stats()).toEqual({ running: 2, queued: 1 });
    a(); // releasing twice changes nothing
    expect(limiter.stats()).toEqual({ running: 2, queued: 1 });
    b();
    granted(await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('treats 0 as unlimited', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 0, perKeyConcurrency: 0, queueLimit: 0 });
    const grants = await Promise.all(Array.from({ length: 50 }, () => limiter.acquire('p')));
    expect(grants.every((g) => g.ok)).toBe(true);
    expect(limiter.stats()).toEqual({ running: 50, queued: 0 });
  });

  it('refuses at once when there is no queue and no free slot', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, perKeyConcurrency: 0, queueLimit: 0 });
    granted(await limiter.acquire('p'));
    await expect(limiter.acquire('p')).resolves.toEqual({ ok: false, reason: 'busy' });
  });

  it('applies the per-key limit without blocking other keys', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 3, perKeyConcurrency: 1, queueLimit: 5 });
    const p1 = granted(await limiter.acquire('p'));
    let p2Done = false;
    const p2 = limiter.acquire('p').then((g) => ((p2Done = true), g));
    // q runs although a p call waits ahead of it.
    const q1 = granted(await limiter.acquire('q'));
    await tick();
    expect(p2Done).toBe(false);
    expect(limiter.stats()).toEqual({ running: 2, queued: 1 });
    p1();
    granted(await p2)();
    q1();
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('skips a waiter blocked by its key and serves the next one', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 2, perKeyConcurrency: 1, queueLimit: 5 });
    const p1 = granted(await limiter.acquire('p'));
    const q1 = granted(await limiter.acquire('q'));
    let p2Done = false;
    const p2 = limiter.acquire('p').then((g) => ((p2Done = true), g));
    const r1 = limiter.acquire('r');
    q1();
    granted(await r1)();
    await tick();
    expect(p2Done).toBe(false);
    p1();
    granted(await p2)();
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('lets an aborted waiter leave the queue at once with cancelled', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, perKeyConcurrency: 0, queueLimit: 5 });
    const first = granted(await limiter.acquire('p'));
    const controller = new AbortController();
    const waiting = limiter.acquire('p', controller.signal);
    const behind = limiter.acquire('p');
    expect(limiter.stats().queued).toBe(2);
    controller.abort();
    await expect(waiting).resolves.toEqual({ ok: false, reason: 'cancelled' });
    expect(limiter.stats()).toEqual({ running: 1, queued: 1 });
    first();
    granted(await behind)();
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('answers cancelled for an already-aborted signal without taking a slot', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, perKeyConcurrency: 0, queueLimit: 5 });
    const controller = new AbortController();
    controller.abort();
    await expect(limiter.acquire('p', controller.signal)).resolves.toEqual({ ok: false, reason: 'cancelled' });
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });
});
