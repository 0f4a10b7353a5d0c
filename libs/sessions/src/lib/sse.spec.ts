import type { JsonRpcMessage } from '@sanctum/protocol';
import { success } from '@sanctum/protocol';
import { take } from 'rxjs';
import { Session } from './session';
import {
  DEFAULT_KEEPALIVE_MS,
  KEEPALIVE_FRAME,
  KeepaliveTicker,
  connectHttpSseStream,
  formatSseComment,
  formatSseEvent,
  keepaliveTicker,
  httpSseStream,
} from './sse';
import type { KeepaliveTarget, SseOutput } from './sse';

describe('formatSseEvent', () => {
  it.each<[string, Parameters<typeof formatSseEvent>[0], string]>([
    ['data only', { data: 'hello' }, 'data: hello\n\n'],
    ['empty data', { data: '' }, 'data: \n\n'],
    ['event and data', { event: 'message', data: '{"a":1}' }, 'event: message\ndata: {"a":1}\n\n'],
    [
      'id, event, retry and data in that order',
      { data: 'x', retry: 3000, event: 'message', id: '42' },
      'id: 42\nevent: message\nretry: 3000\ndata: x\n\n',
    ],
    ['an empty id', { id: '', data: 'x' }, 'id: \ndata: x\n\n'],
    ['multi-line data, one data: line each', { data: 'a\nb\nc' }, 'data: a\ndata: b\ndata: c\n\n'],
    ['CRLF and CR line breaks', { data: 'a\r\nb\rc' }, 'data: a\ndata: b\ndata: c\n\n'],
    ['a trailing newline as an empty data line', { data: 'a\n' }, 'data: a\ndata: \n\n'],
  ])('formats %s', (_name, event, expected) => {
    expect(formatSseEvent(event)).toBe(expected);
  });
});

describe('formatSseComment', () => {
  it.each<[string, string]>([
    ['keepalive', ': keepalive\n\n'],
    ['a\nb', ': a b\n\n'],
    ['a\r\n\r\nb\rc', ': a b c\n\n'],
  ])('formats %j', (text, expected) => {
    expect(formatSseComment(text)).toBe(expected);
  });
});

describe('httpSseStream', () => {
  const endpoint = '/messages?sessionId=abc';
  const endpointFrame = formatSseEvent({ event: 'endpoint', data: endpoint });
  const keepaliveFrame = formatSseComment('keepalive');
  const frame = (message: JsonRpcMessage): string => formatSseEvent({ event: 'message', data: JSON.stringify(message) });

  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps the 15 s default keepalive', () => {
    expect(DEFAULT_KEEPALIVE_MS).toBe(15_000);
  });

  it('emits the endpoint event first, then messages in order, then completes on close', () => {
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    const complete = jest.fn();
    httpSseStream(session, endpoint, 1_000).subscribe({ next: (c) => chunks.push(c), complete });
    expect(chunks).toEqual([endpointFrame]);
    const first: JsonRpcMessage = { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } };
    const second = success(7, { content: [{ type: 'text', text: 'line 1\nline 2' }] });
    session.send(first);
    session.send(second);
    expect(chunks).toEqual([endpointFrame, frame(first), frame(second)]);
    expect(chunks[2]).toBe(`event: message\ndata: ${JSON.stringify(second)}\n\n`);
    expect(complete).not.toHaveBeenCalled();
    session.close();
    expect(complete).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends keepalive comments at the interval', () => {
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    const sub = httpSseStream(session, endpoint, 1_000).subscribe((c) => chunks.push(c));
    jest.advanceTimersByTime(999);
    expect(chunks).toEqual([endpointFrame]);
    jest.advanceTimersByTime(1);
    expect(chunks).toEqual([endpointFrame, keepaliveFrame]);
    session.send(success(1, {}));
    jest.advanceTimersByTime(2_000);
    expect(chunks).toEqual([endpointFrame, keepaliveFrame, frame(success(1, {})), keepaliveFrame, keepaliveFrame]);
    sub.unsubscribe();
  });

  it('stops keepalives and message frames when unsubscribed', () => {
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    const sub = httpSseStream(session, endpoint, 500).subscribe((c) => chunks.push(c));
    jest.advanceTimersByTime(500);
    expect(chunks).toHaveLength(2);
    sub.unsubscribe();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5_000);
    session.send(success(2, {}));
    expect(chunks).toHaveLength(2);
    expect(session.outgoing.observed).toBe(false);
  });

  it('stops keepalives once the session closes', () => {
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    httpSseStream(session, endpoint, 500).subscribe((c) => chunks.push(c));
    jest.advanceTimersByTime(500);
    session.close();
    jest.advanceTimersByTime(5_000);
    expect(chunks).toEqual([endpointFrame, keepaliveFrame]);
    expect(session.outgoing.observed).toBe(false);
  });

  it('on an already-closed session emits the endpoint event and completes at once', () => {
    const session = new Session('abc', 'sse');
    session.close();
    const chunks: string[] = [];
    const complete = jest.fn();
    httpSseStream(session, endpoint, 500).subscribe({ next: (c) => chunks.push(c), complete });
    expect(chunks).toEqual([endpointFrame]);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('taking only the endpoint event leaves nothing attached to the session', () => {
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    httpSseStream(session, endpoint, 500)
      .pipe(take(1))
      .subscribe((c) => chunks.push(c));
    expect(chunks).toEqual([endpointFrame]);
    expect(jest.getTimerCount()).toBe(0);
    const again: string[] = [];
    const sub = httpSseStream(session, endpoint, 500).subscribe((c) => again.push(c));
    session.send(success(3, {}));
    expect(again).toEqual([endpointFrame, frame(success(3, {}))]);
    sub.unsubscribe();
  });

  it('runs on real timers with a small interval', async () => {
    jest.useRealTimers();
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    const done = new Promise<void>((resolve) => {
      httpSseStream(session, endpoint, 20).subscribe({ next: (c) => chunks.push(c), complete: resolve });
    });
    await new Promise((r) => setTimeout(r, 110));
    session.close();
    await done;
    expect(chunks[0]).toBe(endpointFrame);
    expect(chunks.filter((c) => c === keepaliveFrame).length).toBeGreaterThanOrEqual(2);
  });
});

describe('KeepaliveTicker', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  function target(): KeepaliveTarget & { count: number } {
    const t = { count: 0, keepalive: () => (t.count += 1) };
    return t;
  }

  it('runs one timer for all its streams, and none while it has none', () => {
    const ticker = new KeepaliveTicker(1_000);
    expect(jest.getTimerCount()).toBe(0);
    const a = target();
    const b = target();
    ticker.add(a);
    jest.advanceTimersByTime(400);
    ticker.add(b);
    expect(jest.getTimerCount()).toBe(1);
    expect(ticker.size).toBe(2);
    jest.advanceTimersByTime(600);
    expect([a.count, b.count]).toEqual([1, 1]);
    jest.advanceTimersByTime(1_000);
    expect([a.count, b.count]).toEqual([2, 2]);
    ticker.delete(a);
    jest.advanceTimersByTime(1_000);
    expect([a.count, b.count]).toEqual([2, 3]);
    ticker.delete(b);
    ticker.delete(b);
    expect(ticker.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('spreads a tick over many streams across turns of the event loop, skipping streams removed meanwhile', () => {
    const ticker = new KeepaliveTicker(1_000);
    const targets = Array.from({ length: 1_000 }, () => target());
    for (const t of targets) ticker.add(t);
    jest.advanceTimersByTime(1_000);
    const first = targets.filter((t) => t.count === 1).length;
    expect(first).toBe(256);
    ticker.delete(targets[999]);
    for (let turn = 0; turn < 5; turn++) jest.advanceTimersByTime(1); // the rest of the tick runs on setImmediate
    expect(targets.slice(0, 999).every((t) => t.count === 1)).toBe(true);
    expect(targets[999].count).toBe(0);
    for (const t of targets) ticker.delete(t);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops cleanly when the last stream goes away in the middle of a tick', () => {
    const ticker = new KeepaliveTicker(1_000);
    const targets = Array.from({ length: 600 }, () => target());
    // The first stream ends every stream when it gets its keepalive (e.g. a write fails and closes all).
    targets[0].keepalive = () => {
      for (const t of targets) ticker.delete(t);
    };
    for (const t of targets) ticker.add(t);
    jest.advanceTimersByTime(1_000);
    expect(targets.slice(1).every((t) => t.count === 0)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    ticker.add(targets[1]);
    jest.advanceTimersByTime(1_000);
    expect(targets[1].count).toBe(1);
    ticker.delete(targets[1]);
  });

  it('is shared per interval', () => {
    expect(keepaliveTicker(1_234)).toBe(keepaliveTicker(1_234));
    expect(keepaliveTicker(1_234)).not.toBe(keepaliveTicker(4_321));
    expect(keepaliveTicker().intervalMs).toBe(DEFAULT_KEEPALIVE_MS);
    expect(() => new KeepaliveTicker(0)).toThrow(RangeError);
  });

  it('writes the keepalive comment', () => {
    expect(KEEPALIVE_FRAME).toBe(': keepalive\n\n');
  });
});

describe('connectHttpSseStream', () => {
  function output(): SseOutput & { chunks: string[]; ended: number } {
    const out = { chunks: [] as string[], ended: 0, write: (c: string) => out.chunks.push(c), end: () => (out.ended += 1) };
    return out;
  }

  it('writes the endpoint event, then every message, and ends the output once when the session closes', () => {
    const session = new Session('abc', 'sse');
    const out = output();
    connectHttpSseStream(session, '/message?sessionId=abc', out);
    expect(out.chunks).toEqual(['event: endpoint\ndata: /message?sessionId=abc\n\n']);
    session.send(success(1, { ok: true }));
    expect(out.chunks[1]).toBe(`event: message\ndata: ${JSON.stringify(success(1, { ok: true }))}\n\n`);
    session.close();
    session.close();
    session.send(success(2, {}));
    expect(out.chunks).toHaveLength(2);
    expect(out.ended).toBe(1);
    expect(session.outgoing.observed).toBe(false);
  });

  it('frames a bigint id and progress token digit for digit (guards JSON.stringify throwing on them)', () => {
    const session = new Session('abc', 'sse');
    const out = output();
    connectHttpSseStream(session, '/message?sessionId=abc', out);
    session.send({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 123456789012345678901234567890n, progress: 1 },
    });
    session.send(success(-123456789012345678901234567890n, {}));
    expect(out.chunks.slice(1)).toEqual([
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":123456789012345678901234567890,"progress":1}}\n\n',
      'event: message\ndata: {"jsonrpc":"2.0","id":-123456789012345678901234567890,"result":{}}\n\n',
    ]);
  });

  it('detached, it gets no more frames and is not ended', () => {
    const session = new Session('abc', 'sse');
    const out = output();
    const consumer = connectHttpSseStream(session, '/e', out);
    session.detach(consumer);
    session.send(success(1, {}));
    session.close();
    expect(out.chunks).toHaveLength(1);
    expect(out.ended).toBe(0);
  });

  it('on a closed session writes the endpoint event and ends at once', () => {
    const session = new Session('abc', 'sse');
    session.close();
    const out = output();
    connectHttpSseStream(session, '/e', out);
    expect(out.chunks).toHaveLength(1);
    expect(out.ended).toBe(1);
  });
});
