// The shared session store against a real redis-server of the test's own (Debian's package): two
// SessionBus objects play two gateway instances. Each test names the failure it guards against.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SessionLimits } from '../session-limits';
import { RedisSessionRegistry } from './redis-session-registry';
import { SessionBus, STOPPED_INSTANCE_MESSAGE } from './session-bus';
import type { SessionBusOptions, StreamEntry } from './session-bus';

const quiet: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function until(predicate: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SessionBus and RedisSessionRegistry on a real Redis', () => {
  let server: ChildProcess;
  let dir: string;
  let url: string;
  let client: Redis;
  const buses: SessionBus[] = [];

  const bus = async (options: Partial<SessionBusOptions> = {}): Promise<SessionBus> => {
    const made = new SessionBus({ url, prefix: 'spec:', streamMaxLen: 1_000, heartbeatMs: 200, idleTtlMs: 60_000, ...options }, quiet);
    await made.connect();
    buses.push(made);
    return made;
  };

  beforeAll(async () => {
    const binary = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || '/usr/bin/redis-server';
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'sanctum-bus-spec-'));
    server = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    client = new Redis(url, { maxRetriesPerRequest: null });
    await until(async () => (await client.ping().catch(() => '')) === 'PONG');
  });

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.shutdown()));
    await client.flushall();
  });

  afterAll(async () => {
    client.disconnect();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 1,000 entries appended on one instance to the holder on another, once each and in order (a lost or doubled wake-up would show)', async () => {
    const [producer, holder] = await Promise.all([bus(), bus()]);
    await producer.saveMeta('s1', { t: 'sse' });
    const got: StreamEntry[] = [];
    const holding = {
      lastId: '0-0',
      deliver(entries: StreamEntry[]) {
        for (const entry of entries) {
          got.push(entry);
          holding.lastId = entry.id;
        }
      },
    };
    holder.hold('s1', holding);
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => producer.append('s1', 'sse', 'm', String(i))));
    await until(() => got.length >= 1_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((e) => e.data)).toEqual(Array.from({ length: 1_000 }, (_, i) => String(i)));
  });

  it('stores nothing for a session that ended or expired (append answers null, no stream key is made)', async () => {
    const one = await bus();
    expect(await one.append('gone', 'sse', 'm', '{}')).toBeNull();
    expect(await client.exists('spec:s:gone:out')).toBe(0);
  });

  it("answers a stopped instance's calls once with -32603, and refuses its late result (no second final response)", async () => {
    // `stopped` beats once a minute: after its heartbeat key is dropped it is silent, as a frozen or killed process.
    const [stopped, reaper] = await Promise.all([bus({ heartbeatMs: 60_000 }), bus()]);
    await stopped.saveMeta('s2', { t: 'sse' });
    stopped.registerCall('s2', '"call-1"', 'sse');
    stopped.registerCall('s2', '7', 'sse');
    await until(async () => (await client.hlen(`spec:i:${stopped.instanceId}:calls`)) === 2);
    await client.del(`spec:i:${stopped.instanceId}`);
    await until(async () => (await client.xlen('spec:s:s2:out')) === 2);
    const entries = (await reaper.readAfter('s2', '0-0')).map((e) => JSON.parse(e.data) as { id: unknown; error: { code: number; message: string } });
    expect(entries.map((e) => e.id).sort()).toEqual([7, 'call-1'].sort());
    for (const entry of entries) expect(entry.error).toEqual({ code: -32603, message: STOPPED_INSTANCE_MESSAGE });
    expect(await stopped.finish('s2', '7', 'sse', '{"jsonrpc":"2.0","id":7,"result":{}}')).toBeNull();
    expect(await client.xlen('spec:s:s2:out')).toBe(2);
  });

  it('ends the HTTP+SSE sessions whose stream a stopped instance held (a POST for them is not accepted for nobody)', async () => {
    const [stopped, reaper] = await Promise.all([bus({ heartbeatMs: 60_000 }), bus()]);
    const ended: string[] = [];
    const subscription = reaper.events$.subscribe((event) => event.type === 'ended' && ended.push(event.sessionId));
    await stopped.saveMeta('held', { t: 'sse' });
    await stopped.append('held', 'sse', 'm', '{}');
    stopped.streamOpened('held');
    await until(async () => (await client.scard(`spec:i:${stopped.instanceId}:sse`)) === 1);
    await client.del(`spec:i:${stopped.instanceId}`);
    await until(() => ended.includes('held'));
    expect(await client.exists('spec:s:held', 'spec:s:held:out', `spec:i:${stopped.instanceId}:sse`)).toBe(0);
    subscription.unsubscribe();
  });

  it('grants one GET stream lease per session: a second instance is refused, a takeover wins, and the old holder learns it lost', async () => {
    const [first, second] = await Promise.all([bus(), bus()]);
    expect(await first.acquireLease('s3', false)).toBe(true);
    expect(await second.acquireLease('s3', false)).toBe(false);
    expect(await second.acquireLease('s3', true)).toBe(true);
    expect(await first.renewLease('s3')).toBe(false);
    expect(await second.renewLease('s3')).toBe(true);
  });

  it('refuses to connect to a Redis that is not there, with its error (no hang)', async () => {
    const port = await freePort();
    const nowhere = new SessionBus({ url: `redis://127.0.0.1:${port}`, prefix: 'spec:', streamMaxLen: 10, heartbeatMs: 200, idleTtlMs: 0, connectTimeoutMs: 2_000 }, quiet);
    await expect(nowhere.connect()).rejects.toThrow(/ECONNREFUSED|no answer/);
  });

  it("registries on two instances: another key's session is not found, and ending it on one drops the other's copy", async () => {
    const [busA, busB] = await Promise.all([bus(), bus()]);
    const limits = new SessionLimits({ maxSessions: 100, maxSessionsPerKey: 100 });
    const a = new RedisSessionRegistry(limits, quiet, busA);
    const b = new RedisSessionRegistry(limits, quiet, busB);
    try {
      const admission = await a.open('streamable-http', 'alpha');
      if (!admission.ok) throw new Error('refused');
      const id = admission.session.id;
      expect(await b.find(id, 'streamable-http', 'bravo')).toBeUndefined();
      const copy = await b.find(id, 'streamable-http', 'alpha');
      expect(copy?.id).toBe(id);
      a.remove(id);
      await until(() => copy?.closed === true);
      expect(await b.find(id, 'streamable-http', 'alpha')).toBeUndefined();
      expect(await client.exists(`spec:s:${id}`)).toBe(0);
    } finally {
      a.onModuleDestroy();
      b.onModuleDestroy();
    }
  });
});
