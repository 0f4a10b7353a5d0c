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
