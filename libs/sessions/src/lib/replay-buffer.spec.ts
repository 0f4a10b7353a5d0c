import { DEFAULT_REPLAY_EVENTS, ReplayBuffer } from './replay-buffer';

describe('ReplayBuffer', () => {
  it('gives each event an id naming its stream, with one sequence for the session', () => {
    const buffer = new ReplayBuffer();
    expect(buffer.append('g', 'a').id).toBe('g_1');
    expect(buffer.append('p1', 'b').id).toBe('p1_2');
    expect(buffer.nextId('g')).toBe('g_3');
    expect(buffer.append('g', 'c')).toEqual({ id: 'g_4', streamId: 'g', seq: 4, data: 'c' });
    expect(buffer.size).toBe(3);
  });

  it('keeps 1,000 events by default', () => {
    expect(DEFAULT_REPLAY_EVENTS).toBe(1_000);
    expect(new ReplayBuffer().maxEvents).toBe(1_000);
  });

  it('replays the events of the named stream after the given id, and only those', () => {
    const buffer = new ReplayBuffer();
    const priming = buffer.nextId('g');
    const first = buffer.append('g', 'one');
    const post = buffer.append('p1', 'post event');
    expect(post.id).toBe('p1_3');
    buffer.append('g', 'two');
    buffer.append('g', 'three');
    expect(buffer.replayAfter(priming)).toEqual({ streamId: 'g', events: expect.any(Array), complete: true });
    expect(buffer.replayAfter(priming)?.events.map((e) => e.data)).toEqual(['one', 'two', 'three']);
    expect(buffer.replayAfter(first.id)?.events.map((e) => e.data)).toEqual(['two', 'three']);
    expect(buffer.replayAfter(post.id)?.events).toEqual([]);
    expect(buffer.replayAfter('p1_0')?.events.map((e) => e.data)).toEqual(['post event']);
  });

  it('answers undefined for ids it never issued or cannot read', () => {
    const buffer = new ReplayBuffer();
    buffer.append('g', 'x');
    for (const id of ['g_2', 'g_99', 'nope', '', 'g-1', 'g_', '_1', 'g_1_2', 'a b_1']) {
      expect(buffer.replayAfter(id)).toBeUndefined();
    }
    expect(buffer.replayAfter(' g_1 ')).toEqual({ streamId: 'g', events: [], complete: true });
  });

  it('evicts the oldest events past the event bound and says when a replay is incomplete', () => {
    const buffer = new ReplayBuffer({ maxEvents: 3 });
    for (let i = 1; i <= 5; i++) buffer.append('g', `e${i}`);
    expect(buffer.size).toBe(3);
    expect(buffer.replayAfter('g_1')).toEqual({
      streamId: 'g',
      events: [expect.objectContaining({ data: 'e3' }), expect.objectContaining({ data: 'e4' }), expect.objectContaining({ data: 'e5' })],
      complete: false,
    });
    expect(buffer.replayAfter('g_2')?.complete).toBe(true);
    expect(buffer.replayAfter('g_3')?.events.map((e) => e.data)).toEqual(['e4', 'e5']);
  });

  it('evicts the oldest events past the byte bound', () => {
    const buffer = new ReplayBuffer({ maxBytes: 10 });
    buffer.append('g', '1234');
    buffer.append('g', '5678');
    expect(buffer.bytes).toBe(8);
    buffer.append('g', 'abcd');
    expect(buffer.size).toBe(2);
    expect(buffer.bytes).toBe(8);
    buffer.append('g', 'x'.repeat(20)); // bigger than the bound on its own: kept nowhere
    expect(buffer.size).toBe(0);
    expect(buffer.bytes).toBe(0);
    expect(buffer.replayAfter('g_1')).toEqual({ streamId: 'g', events: [], complete: false });
  });

  it('clear drops every event and later replays say so', () => {
    const buffer = new ReplayBuffer();
    buffer.append('g', 'a');
    buffer.append('g', 'b');
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.replayAfter('g_1')).toEqual({ streamId: 'g', events: [], complete: false });
    expect(buffer.append('g', 'c').id).toBe('g_3');
  });

  it('refuses stream ids that would make ambiguous event ids, and bad bounds', () => {
    const buffer = new ReplayBuffer();
    expect(() => buffer.append('a_b', 'x')).toThrow(RangeError);
    expect(() => buffer.nextId('')).toThrow(RangeError);
    expect(() => new ReplayBuffer({ maxEvents: 0 })).toThrow(RangeError);
    expect(() => new ReplayBuffer({ maxBytes: 0 })).toThrow(RangeError);
  });

  it('parses ids', () => {
    expect(ReplayBuffer.parseId('p12_345')).toEqual({ streamId: 'p12', seq: 345 });
    expect(ReplayBuffer.parseId('p12-345')).toBeUndefined();
  });
});
