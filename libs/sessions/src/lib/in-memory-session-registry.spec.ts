import { Test } from '@nestjs/testing';
import { RecordingLogger, recordingSessionRegistry } from '../testing';
import { InMemorySessionRegistry } from './in-memory-session-registry';
import { Session } from './session';
import { SessionRegistry } from './session-registry';
import { SESSIONS_LOGGER } from './sessions.constants';
import { SessionsModule } from './sessions.module';

describe('InMemorySessionRegistry', () => {
  let registry: SessionRegistry;
  let logger: RecordingLogger;

  beforeEach(async () => {
    logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRoot({ maxSessions: 3, maxSessionsPerKey: 2, idleTimeoutMs: 0, logger })],
    }).compile();
    registry = moduleRef.get(SessionRegistry);
  });

  it('is what SessionsModule provides by default, logging through the given logger', async () => {
    expect(registry).toBeInstanceOf(InMemorySessionRegistry);
    const moduleRef = await Test.createTestingModule({
      imports: [SessionsModule.forRoot({ maxSessions: 1, maxSessionsPerKey: 1, idleTimeoutMs: 0, logger })],
    }).compile();
    expect(moduleRef.get(SESSIONS_LOGGER)).toBe(logger);
  });

  it('tells when a session is idle: since its probe says, never while a call runs or without a probe', async () => {
    const admission = await registry.open('streamable-http', 'alice');
    if (!admission.ok) throw new Error('refused');
    const { session } = admission;
    expect(registry.idleSince(session.id)).toBeUndefined(); // no probe: live while open
    let since: number | undefined = 1_000;
    registry.evictable(session, () => since);
    expect(registry.idleSince(session.id)).toBe(1_000);
    session.track(7);
    expect(registry.idleSince(session.id)).toBeUndefined(); // a call runs
    session.untrack(7);
    since = undefined; // a stream of its client is open
    expect(registry.idleSince(session.id)).toBeUndefined();
    expect(registry.idleSince('no-such-session')).toBeUndefined();
  });

  describe('open', () => {
    it('opens a session owned by the principal, not yet announced', async () => {
      const admission = await registry.open('sse', 'alice');
      expect(admission.ok).toBe(true);
      if (!admission.ok) return;
      expect(admission.session).toBeInstanceOf(Session);
      expect(admission.session.owner).toBe('alice');
      expect(admission.session.transport).toBe('sse');
      expect(registry.get(admission.session.id)).toBe(admission.session);
      expect(logger.messages()).toEqual([]);
    });

    it('refuses past the global cap (MCP_MAX_SESSIONS), counting every transport and uncapped sessions too', async () => {
      registry.create('stdio');
      expect((await registry.open('sse', 'anonymous')).ok).toBe(true);
      expect((await registry.open('streamable-http', 'bob')).ok).toBe(true);
      const refused = await registry.open('sse', 'carol');
      expect(refused).toEqual({
        ok: false,
        refusal: {
          kind: 'session',
          cap: 'global',
          message: 'Server busy: 3 sessions are open (MCP_MAX_SESSIONS). Close idle sessions or retry later.',
        },
      });
      expect(registry.count()).toBe(3);
    });

    it('refuses past the per-key cap (MCP_MAX_SESSIONS_PER_KEY) for that key only, and frees the slot when one ends', async () => {
      const first = await registry.open('sse', 'alice');
      await registry.open('streamable-http', 'alice');
      const third = await registry.open('sse', 'alice');
      expect(third.ok).toBe(false);
      if (!third.ok) {
        expect(third.refusal.cap).toBe('per-key');
        expect(third.refusal.message).toBe(
          'Too many sessions for this API key: 2 are open (MCP_MAX_SESSIONS_PER_KEY=2). Close some first.',
        );
      }
      expect((await registry.open('sse', 'bob')).ok).toBe(true);
      if (first.ok) registry.remove(first.session.id);
      expect((await registry.open('sse', 'alice')).ok).toBe(true);
    });

    it('applies only the global cap to the anonymous principal', async () => {
      for (let i = 0; i < 3; i++) expect((await registry.open('sse', 'anonymous')).ok).toBe(true);
      const refused = await registry.open('sse', 'anonymous');
      expect(refused.ok || refused.refusal.cap).toBe('global');
    });

    it('never lets concurrent opens take more slots than the cap', async () => {
      const admissions = await Promise.all(Array.from({ length: 5 }, () => registry.open('sse', 'anonymous')));
      expect(admissions.filter((a) => a.ok)).toHaveLength(3);
      expect(registry.count()).toBe(3);
    });
  });

  describe('eviction at a cap', () => {
    /** An open session of `principal` that `open` may evict, idle since `since` (undefined: in use). */
    async function evictable(
      principal: string,
      since: number | undefined,
    ): Promise<{ session: Session; idle: { since: number | undefined } }> {
      const admission = await registry.open('streamable-http', principal);
      if (!admission.ok) throw new Error(`not opened: ${admission.refusal.message}`);
      registry.started(admission.session);
      const idle = { since };
      registry.evictable(admission.session, () => idle.since);
      return { session: admission.session, idle };
    }
    const ended = () => logger.messages().filter((m) => m.startsWith('Session ended'));

    it("at the per-key cap ends the key's longest-idle session instead of refusing, logging it once", async () => {
      const newer = await evictable('alice', 2_000);
      const older = await evictable('alice', 1_000);
      const third = await registry.open('streamable-http', 'alice');
      expect(third.ok).toBe(true);
      expect(older.session.closed).toBe(true);
      expect(registry.get(older.session.id)).toBeUndefined();
      expect(registry.get(newer.session.id)).toBe(newer.session);
      expect(ended()).toEqual([`Session ended: ${older.session.id} (evicted: MCP_MAX_SESSIONS_PER_KEY reached)`]);
      registry.remove(older.session.id);
      expect(ended()).toHaveLength(1);
      expect(registry.totals().evicted).toEqual({ sse: 0, 'streamable-http': 1, stdio: 0, stateless: 0 });
      expect(registry.totals().closed['streamable-http']).toBe(1);
    });

    it('refuses, as before, when every session of the key is in use, and evicts one once it is idle again', async () => {
      const first = await evictable('alice', undefined);
      await evictable('alice', undefined);
      const refused = await registry.open('streamable-http', 'alice');
      expect(refused.ok || refused.refusal.message).toBe(
        'Too many sessions for this API key: 2 are open (MCP_MAX_SESSIONS_PER_KEY=2). Close some first.',
      );
      expect(registry.count()).toBe(2);
      expect(ended()).toEqual([]);
      first.idle.since = Date.now();
      expect((await registry.open('streamable-http', 'alice')).ok).toBe(true);
      expect(first.session.closed).toBe(true);
    });

    it("never evicts another key's session for the per-key cap, nor a session never marked evictable", async () => {
      const bobs = await evictable('bob', 1);
      await registry.open('sse', 'alice');
      await registry.open('sse', 'alice');
      // Both caps are reached: ending bob's session would not let alice in.
      expect((await registry.open('streamable-http', 'alice')).ok).toBe(false);
      expect(bobs.session.closed).toBe(false);
      expect(registry.count()).toBe(3);

      const { registry: roomy } = recordingSessionRegistry({ maxSessions: 10, maxSessionsPerKey: 1 });
      const carols = await roomy.open('streamable-http', 'carol');
      if (carols.ok) roomy.evictable(carols.session, () => 1);
      await roomy.open('sse', 'dave');
      const refused = await roomy.open('streamable-http', 'dave');
      expect(refused.ok || refused.refusal.cap).toBe('per-key');
      expect(carols.ok && carols.session.closed).toBe(false);
    });

    it("at the global cap ends the opener's own longest-idle session first, else anyone's, and refuses when none is idle", async () => {
      const bobs = await evictable('bob', 1_000);
      const alices = await evictable('alice', 5_000);
      const carols = await evictable('carol', 500);
      carols.idle.since = undefined;
      expect((await registry.open('streamable-http', 'alice')).ok).toBe(true);
      expect(alices.session.closed).toBe(true);
      expect(bobs.session.closed).toBe(false);
      expect((await registry.open('sse', 'dave')).ok).toBe(true);
      expect(bobs.session.closed).toBe(true);
      expect(ended()).toEqual([
        `Session ended: ${alices.session.id} (evicted: MCP_MAX_SESSIONS reached)`,
        `Session ended: ${bobs.session.id} (evicted: MCP_MAX_SESSIONS reached)`,
      ]);
      const refused = await registry.open('streamable-http', 'erin');
      expect(refused.ok || refused.refusal.cap).toBe('global');
      expect(carols.session.closed).toBe(false);
    });

    it('does not mark a session it does not hold', async () => {
      const stranger = new Session('elsewhere', 'streamable-http');
      stranger.owner = 'alice';
      registry.evictable(stranger, () => 0);
      await registry.open('sse', 'alice');
      await registry.open('sse', 'alice');
      expect((await registry.open('sse', 'alice')).ok).toBe(false);
      expect(stranger.closed).toBe(false);
    });
  });

  describe('find', () => {
    it("gives the owner its session, and answers another principal's or another transport's like an unknown one", async () => {
      const admission = await registry.open('streamable-http', 'alice');
      if (!admission.ok) throw new Error('not opened');
      const { session } = admission;
      await expect(registry.find(session.id, 'streamable-http', 'alice')).resolves.toBe(session);
      await expect(registry.find(session.id, 'streamable-http', 'bob')).resolves.toBeUndefined();
      await expect(registry.find(session.id, 'streamable-http', undefined)).resolves.toBeUndefined();
      await expect(registry.find(session.id, 'sse', 'alice')).resolves.toBeUndefined();
      await expect(registry.find('00000000-0000-4000-8000-000000000000', 'streamable-http', 'alice')).resolves.toBeUndefined();
      registry.remove(session.id);
      await expect(registry.find(session.id, 'streamable-http', 'alice')).resolves.toBeUndefined();
    });

    it('matches a session created without an owner only for an unknown principal', async () => {
      const session = registry.create('sse');
      await expect(registry.find(session.id, 'sse', undefined)).resolves.toBe(session);
      await expect(registry.find(session.id, 'sse', 'anonymous')).resolves.toBeUndefined();
    });
  });

  describe('the log lines', () => {
    it('logs Session started once, and Session ended once when the session ends', () => {
      const session = registry.create('sse', 'alice');
      registry.started(session);
      registry.started(session);
      expect(registry.remove(session.id, { reason: 'client disconnected' })).toBe(true);
      expect(registry.remove(session.id)).toBe(false);
      expect(logger.entries).toEqual([
        { level: 'log', message: `Session started: ${session.id}`, context: 'Sessions' },
        { level: 'log', message: `Session ended: ${session.id}`, context: 'Sessions' },
      ]);
    });

    it('appends the note of the ending in parentheses', () => {
      const session = registry.create('streamable-http');
      registry.started(session);
      registry.remove(session.id, { reason: 'session idle timeout', note: 'idle: no request or open stream for 1800 s' });
      expect(logger.messages()).toEqual([
        `Session started: ${session.id}`,
        `Session ended: ${session.id} (idle: no request or open stream for 1800 s)`,
      ]);
    });

    it('logs nothing for a session removed before it started (a failed initialize)', async () => {
      const admission = await registry.open('streamable-http', 'alice');
      if (!admission.ok) throw new Error('not opened');
      expect(registry.remove(admission.session.id, { reason: 'initialize failed' })).toBe(true);
      expect(admission.session.closed).toBe(true);
      expect(logger.entries).toEqual([]);
    });

    it('does not announce a session that has ended or that it does not hold', () => {
      const ended = registry.create('sse');
      registry.remove(ended.id);
      registry.started(ended);
      registry.started(new Session('elsewhere', 'sse'));
      expect(logger.entries).toEqual([]);
    });
  });

  describe('remove', () => {
    it('closes the session, aborts its calls with the reason, completes its stream, and forgets it', () => {
      const a = registry.create('sse');
      const b = registry.create('sse');
      const signal = a.track(1);
      const completed = jest.fn();
      a.outgoing.subscribe({ complete: completed });
      expect(registry.remove(a.id, { reason: 'client went away' })).toBe(true);
      expect(a.closed).toBe(true);
      expect(signal.aborted).toBe(true);
      expect((signal.reason as Error).message).toBe('client went away');
      expect(completed).toHaveBeenCalledTimes(1);
      expect(registry.get(a.id)).toBeUndefined();
      expect(registry.count()).toBe(1);
      expect(registry.all()).toEqual([b]);
      expect(b.closed).toBe(false);
    });

    it('returns false for an unknown or already removed id', () => {
      const a = registry.create('stateless');
      expect(registry.remove('unknown')).toBe(false);
      expect(registry.remove(a.id)).toBe(true);
      expect(registry.remove(a.id)).toBe(false);
      expect(registry.count()).toBe(0);
    });

    it('removeAll ends every session with the same ending, logging the started ones', () => {
      const a = registry.create('sse');
      const b = registry.create('stdio');
      registry.create('streamable-http');
      registry.started(a);
      registry.started(b);
      const signal = b.track('x');
      expect(registry.removeAll({ reason: 'server shutting down' })).toBe(3);
      expect(registry.removeAll()).toBe(0);
      expect(registry.count()).toBe(0);
      expect((signal.reason as Error).message).toBe('server shutting down');
      expect(logger.messages().filter((m) => m.startsWith('Session ended'))).toEqual([`Session ended: ${a.id}`, `Session ended: ${b.id}`]);
    });
  });

  describe('counts', () => {
    it('creates sessions with unique UUIDs', () => {
      const a = registry.create('sse');
      const b = registry.create('streamable-http');
      expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(b.id).not.toBe(a.id);
      expect(a.closed).toBe(false);
    });

    it('counts sessions in total and by transport, and totals opened and closed', () => {
      const { registry: big } = recordingSessionRegistry();
      expect(big.countByTransport()).toEqual({ sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 });
      const a = big.create('sse');
      big.create('sse');
      big.create('streamable-http');
      big.create('stdio');
      expect(big.count()).toBe(4);
      expect(big.countByTransport()).toEqual({ sse: 2, 'streamable-http': 1, stdio: 1, stateless: 0 });
      big.remove(a.id);
      big.remove(a.id);
      expect(big.totals()).toEqual({
        opened: { sse: 2, 'streamable-http': 1, stdio: 1, stateless: 0 },
        closed: { sse: 1, 'streamable-http': 0, stdio: 0, stateless: 0 },
        evicted: { sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 },
      });
    });
  });
});
