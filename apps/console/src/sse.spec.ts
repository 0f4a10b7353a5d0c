import { SseParser } from './sse';

describe('SseParser', () => {
  it('dispatches events split anywhere across chunks, joining data lines with LF', () => {
    const parser = new SseParser();
    const text = 'event: calls\ndata: [1,\ndata: 2]\n\n: a comment\n\nid: 7\ndata: {"x":1}\n\n';
    const events = [...text].flatMap((ch) => parser.push(ch));
    expect(events).toEqual([
      { event: 'calls', data: '[1,\n2]' },
      { event: 'message', data: '{"x":1}', id: '7' },
    ]);
  });

  it('takes CR LF and lone CR line ends, even with CR LF cut between two chunks', () => {
    const parser = new SseParser();
    expect(parser.push('event: a\r\ndata: 1\r')).toEqual([]);
    expect(parser.push('\n\r\ndata: 2\r\rdata: 3\n\n')).toEqual([
      { event: 'a', data: '1' },
      { event: 'message', data: '2' },
      { event: 'message', data: '3' },
    ]);
  });

  it('does not dispatch an event that has no data line', () => {
    const parser = new SseParser();
    expect(parser.push('event: empty\n\n')).toEqual([]);
  });
});
