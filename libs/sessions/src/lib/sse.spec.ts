import type { JsonRpcMessage } from '@sanctum/protocol';
import { success } from '@sanctum/protocol';
import { Session } from './session';
import { DEFAULT_KEEPALIVE_MS, formatSseComment, formatSseEvent, legacySseStream } from './sse';

describe('formatSseEvent', () => {
  it.each<[string, Parameters<typeof formatSseEvent>[0], string]>([
    ['data only', { data: 'hello' }, 'data: hello\n\n'],
    ['empty data', { data: '' }, 'data: \n\n'],
    ['event and data', { event: 'message', data: '{"a":1}' }, 'event: message\ndata: {"a":1}\n\n'],
    ['id, event, retry and data in that order', { data: 'x', retry: 3000, event: 'message', id: '42' }, 'id: 42\nevent: message\nretry: 3000\ndata: x\n\n'],
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

describe('legacySseStream', () => {
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
    legacySseStream(session, endpoint, 1_000).subscribe({ next: (c) => chunks.push(c), complete });
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
    const sub = legacySseStream(session, endpoint, 1_000).subscribe((c) => chunks.push(c));
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
    const sub = legacySseStream(session, endpoint, 500).subscribe((c) => chunks.push(c));
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
    legacySseStream(session, endpoint, 500).subscribe((c) => chunks.push(c));
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
    legacySseStream(session, endpoint, 500).subscribe({ next: (c) => chunks.push(c), complete });
    expect(chunks).toEqual([endpointFrame]);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('runs on real timers with a small interval', async () => {
    jest.useRealTimers();
    const session = new Session('abc', 'sse');
    const chunks: string[] = [];
    const done = new Promise<void>((resolve) => {
      legacySseStream(session, endpoint, 20).subscribe({ next: (c) => chunks.push(c), complete: resolve });
    });
    await new Promise((r) => setTimeout(r, 110));
    session.close();
    await done;
    expect(chunks[0]).toBe(endpointFrame);
    expect(chunks.filter((c) => c === keepaliveFrame).length).toBeGreaterThanOrEqual(2);
  });
});
