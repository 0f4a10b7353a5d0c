import { InMemorySessionRegistry, SessionRegistry } from './session-registry';
import { Session } from './session';

describe('InMemorySessionRegistry', () => {
  let registry: InMemorySessionRegistry;

  beforeEach(() => {
    registry = new InMemorySessionRegistry();
  });

  it('is a SessionRegistry', () => {
    expect(registry).toBeInstanceOf(SessionRegistry);
  });

  it('creates sessions with unique UUIDs and the given transport', () => {
    const a = registry.create('sse');
    const b = registry.create('streamable-http');
    expect(a).toBeInstanceOf(Session);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.id).not.toBe(a.id);
    expect(a.transport).toBe('sse');
    expect(b.transport).toBe('streamable-http');
    expect(a.closed).toBe(false);
  });

  it('gets a session by id, undefined for unknown ids', () => {
    const a = registry.create('sse');
    expect(registry.get(a.id)).toBe(a);
    expect(registry.get('nope')).toBeUndefined();
  });

  it('counts sessions in total and by transport', () => {
    expect(registry.count()).toBe(0);
    expect(registry.countByTransport()).toEqual({ sse: 0, 'streamable-http': 0, stdio: 0, stateless: 0 });
    registry.create('sse');
    registry.create('sse');
    registry.create('streamable-http');
    registry.create('stdio');
    expect(registry.count()).toBe(4);
    expect(registry.countByTransport()).toEqual({ sse: 2, 'streamable-http': 1, stdio: 1, stateless: 0 });
    expect(registry.all()).toHaveLength(4);
  });

  it('remove closes the session, forgets it, and passes the reason on', () => {
    const a = registry.create('sse');
    const b = registry.create('sse');
    const signal = a.track(1);
    const completed = jest.fn();
    a.outgoing.subscribe({ complete: completed });
    expect(registry.remove(a.id, 'client went away')).toBe(true);
    expect(a.closed).toBe(true);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('client went away');
    expect(completed).toHaveBeenCalledTimes(1);
    expect(registry.get(a.id)).toBeUndefined();
    expect(registry.count()).toBe(1);
    expect(registry.countByTransport().sse).toBe(1);
    expect(registry.all()).toEqual([b]);
    expect(b.closed).toBe(false);
  });

  it('remove of an unknown or already removed id returns false', () => {
    const a = registry.create('stateless');
    expect(registry.remove('unknown')).toBe(false);
    expect(registry.remove(a.id)).toBe(true);
    expect(registry.remove(a.id)).toBe(false);
    expect(registry.count()).toBe(0);
  });
});
