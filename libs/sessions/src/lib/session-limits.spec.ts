import { Test } from '@nestjs/testing';
import { SessionLimits } from './session-limits';
import type { Occupancy } from './session-limits';
import { SESSIONS_OPTIONS } from './sessions.constants';

/** `total` open, `own` of them for every principal asked about. */
const open = (total: number, owners: Record<string, number> = {}): Occupancy => ({ total, ownedBy: (p) => owners[p] ?? 0 });

describe('SessionLimits', () => {
  let limits: SessionLimits;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [SessionLimits, { provide: SESSIONS_OPTIONS, useValue: { maxSessions: 5, maxSessionsPerKey: 2 } }],
    }).compile();
    limits = moduleRef.get(SessionLimits);
  });

  it('lets a session open below both caps', () => {
    expect(limits.refusal('session', 'alice', open(4, { alice: 1 }))).toBeUndefined();
  });

  it('refuses at the global cap, whoever asks', () => {
    for (const principal of ['alice', 'anonymous', undefined]) {
      expect(limits.refusal('session', principal, open(5))).toEqual({
        kind: 'session',
        cap: 'global',
        message: 'Server busy: 5 sessions are open (MCP_MAX_SESSIONS). Close idle sessions or retry later.',
      });
    }
  });

  it('refuses a key at its own cap, counting only what that key holds', () => {
    expect(limits.refusal('session', 'alice', open(3, { alice: 2, bob: 1 }))).toEqual({
      kind: 'session',
      cap: 'per-key',
      message: 'Too many sessions for this API key: 2 are open (MCP_MAX_SESSIONS_PER_KEY=2). Close some first.',
    });
    expect(limits.refusal('session', 'bob', open(3, { alice: 2, bob: 1 }))).toBeUndefined();
  });

  it('tells apart a key at its own cap when the global cap is reached too (perKeyRefusal)', () => {
    expect(limits.refusal('session', 'alice', open(5, { alice: 2 }))?.cap).toBe('global');
    expect(limits.perKeyRefusal('session', 'alice', open(5, { alice: 2 }))?.cap).toBe('per-key');
    expect(limits.perKeyRefusal('session', 'bob', open(5, { alice: 2, bob: 1 }))).toBeUndefined();
    expect(limits.perKeyRefusal('session', 'anonymous', open(5, { anonymous: 5 }))).toBeUndefined();
  });

  it('exempts the anonymous principal and an unknown one from the per-key cap', () => {
    const ownedBy = jest.fn(() => 4);
    expect(limits.refusal('session', 'anonymous', { total: 4, ownedBy })).toBeUndefined();
    expect(limits.refusal('listen-stream', undefined, { total: 4, ownedBy })).toBeUndefined();
    expect(ownedBy).not.toHaveBeenCalled();
  });

  it('names listen streams in their refusals (the same caps, counted by the caller apart from sessions)', () => {
    expect(limits.refusal('listen-stream', 'alice', open(5))?.message).toBe(
      'Server busy: 5 subscriptions/listen streams are open (MCP_MAX_SESSIONS). Close some or retry later.',
    );
    expect(limits.refusal('listen-stream', 'alice', open(2, { alice: 2 }))?.message).toBe(
      'Too many subscriptions/listen streams for this API key: 2 are open (MCP_MAX_SESSIONS_PER_KEY=2). Close some first.',
    );
  });

  it('refuses caps that are not positive integers', () => {
    expect(() => new SessionLimits({ maxSessions: 0, maxSessionsPerKey: 1 })).toThrow(RangeError);
    expect(() => new SessionLimits({ maxSessions: 1, maxSessionsPerKey: 1.5 })).toThrow(RangeError);
  });
});
