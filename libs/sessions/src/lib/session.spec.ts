import type { JsonRpcMessage } from '@sanctum/protocol';
import { success } from '@sanctum/protocol';
import { Session } from './session';
import type { OutgoingMessage } from './session';

function note(method: string): JsonRpcMessage {
  return { jsonrpc: '2.0', method };
}

function collect(session: Session): { items: OutgoingMessage[]; completed: () => boolean; completions: () => number } {
  const items: OutgoingMessage[] = [];
  let completions = 0;
  session.outgoing.subscribe({ next: (m) => items.push(m), complete: () => (completions += 1) });
  return { items, completed: () => completions > 0, completions: () => completions };
}

describe('Session', () => {
  it('starts open with its id and transport', () => {
    const session = new Session('s-1', 'sse');
    expect(session.id).toBe('s-1');
    expect(session.transport).toBe('sse');
    expect(session.closed).toBe(false);
    expect(session.initialized).toBe(false);
    expect(session.inFlightCount).toBe(0);
  });

  it('queues sent messages in order', () => {
    const session = new Session('s', 'streamable-http');
    const { items } = collect(session);
    session.send(note('a'));
    session.send(success(1, { ok: true }));
    expect(items).toEqual([{ message: note('a') }, { message: success(1, { ok: true }) }]);
  });

  it('drops messages sent after close', () => {
    const session = new Session('s', 'sse');
    const { items } = collect(session);
    session.send(note('before'));
    session.close();
    expect(() => session.send(note('after'))).not.toThrow();
    expect(items).toEqual([{ message: note('before') }]);
  });

  it('cancel aborts only the tracked call it names', () => {
    const session = new Session('s', 'sse');
    const one = session.track(1);
    const two = session.track('two');
    expect(session.inFlightCount).toBe(2);
    expect(session.cancel(1, 'user gave up')).toBe(true);
    expect(one.aborted).toBe(true);
    expect(one.reason).toBeInstanceOf(Error);
    expect((one.reason as Error).message).toBe('user gave up');
    expect(two.aborted).toBe(false);
  });

  it('cancel of an unknown or untracked call returns false', () => {
    const session = new Session('s', 'sse');
    const signal = session.track('x');
    session.untrack('x');
    expect(session.inFlightCount).toBe(0);
    expect(session.cancel('x')).toBe(false);
    expect(session.cancel('never')).toBe(false);
    expect(signal.aborted).toBe(false);
  });

  it('close aborts every in-flight call and completes outgoing', () => {
    const session = new Session('s', 'streamable-http');
    const { completed } = collect(session);
    const signals = [session.track(1), session.track(2), session.track('3')];
    session.close('shutting down');
    expect(session.closed).toBe(true);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(signals.map((s) => (s.reason as Error).message)).toEqual(['shutting down', 'shutting down', 'shutting down']);
    expect(session.inFlightCount).toBe(0);
    expect(completed()).toBe(true);
  });

  it('close is idempotent', () => {
    const session = new Session('s', 'stdio');
    const { completions } = collect(session);
    const signal = session.track(1);
    const aborts = jest.fn();
    signal.addEventListener('abort', aborts);
    session.close('first');
    expect(() => session.close('second')).not.toThrow();
    expect(session.closed).toBe(true);
    expect(completions()).toBe(1);
    expect(aborts).toHaveBeenCalledTimes(1);
    expect((signal.reason as Error).message).toBe('first');
  });

  it('track after close gives an already-aborted signal', () => {
    const session = new Session('s', 'sse');
    session.close();
    const signal = session.track(7);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toMatch(/closed/);
  });

  it('a late subscriber of a closed session sees completion at once', () => {
    const session = new Session('s', 'sse');
    session.close();
    const { items, completed } = collect(session);
    expect(items).toEqual([]);
    expect(completed()).toBe(true);
  });
});

describe('Session direct consumer', () => {
  function consumer(): { next: jest.Mock; complete: jest.Mock } {
    return { next: jest.fn(), complete: jest.fn() };
  }

  it('gets every message sent while attached, alongside outgoing subscribers', () => {
    const session = new Session('s', 'sse');
    const direct = consumer();
    session.attach(direct);
    const { items } = collect(session);
    session.send(note('a'));
    session.send(note('b'), { relatedRequestId: 3 });
    expect(direct.next.mock.calls).toEqual([[{ message: note('a') }], [{ message: note('b'), relatedRequestId: 3 }]]);
    expect(items).toEqual([{ message: note('a') }, { message: note('b'), relatedRequestId: 3 }]);
  });

  it('is completed once when the session closes, and gets nothing after', () => {
    const session = new Session('s', 'sse');
    const direct = consumer();
    session.attach(direct);
    session.close();
    session.close();
    session.send(note('late'));
    expect(direct.complete).toHaveBeenCalledTimes(1);
    expect(direct.next).not.toHaveBeenCalled();
  });

  it('attached to a closed session is completed at once', () => {
    const session = new Session('s', 'sse');
    session.close();
    const direct = consumer();
    session.attach(direct);
    expect(direct.complete).toHaveBeenCalledTimes(1);
  });

  it('detach stops delivery without completing; a second consumer is refused', () => {
    const session = new Session('s', 'sse');
    const first = consumer();
    session.attach(first);
    expect(() => session.attach(consumer())).toThrow(/already has a direct consumer/);
    session.detach(consumer()); // not the attached one: no effect
    session.send(note('a'));
    session.detach(first);
    session.send(note('b'));
    session.close();
    expect(first.next).toHaveBeenCalledTimes(1);
    expect(first.complete).not.toHaveBeenCalled();
    const second = consumer();
    const other = new Session('t', 'sse');
    other.attach(second);
    other.detach(second);
    other.attach(first);
    other.send(note('c'));
    expect(first.next).toHaveBeenCalledTimes(2);
  });

  it('keeps an idle session small: no Subject until outgoing is asked for, no map until a call is tracked', () => {
    const session = new Session('s', 'sse');
    const fields = session as unknown as { subject: unknown; inFlight: unknown };
    session.send(note('nobody listens'));
    expect(session.isTracking(1)).toBe(false);
    expect(session.cancel(1)).toBe(false);
    session.untrack(1);
    session.cancelAll();
    expect(session.inFlightCount).toBe(0);
    expect(fields.subject).toBeUndefined();
    expect(fields.inFlight).toBeUndefined();
    expect(session.outgoing).toBe(session.outgoing);
    session.track(1);
    expect(session.isTracking(1)).toBe(true);
  });

  it('a message sent before anyone subscribed is not replayed to a later subscriber', () => {
    const session = new Session('s', 'streamable-http');
    session.send(note('early'));
    const { items } = collect(session);
    session.send(note('later'));
    expect(items).toEqual([{ message: note('later') }]);
  });
});
