import { ErrorCode } from '@sanctum/protocol';
import { ReadBuffer, serializeLine } from './read-buffer';
import type { ReadItem } from './read-buffer';

const lines = (items: ReadItem[]): string[] => items.map((i) => (i.ok ? i.line : `ERR ${i.response.error.code}`));

describe('ReadBuffer', () => {
  it('cuts one line per newline', () => {
    const buffer = new ReadBuffer(1024);
    expect(lines(buffer.push('{"a":1}\n'))).toEqual(['{"a":1}']);
    expect(buffer.pendingBytes).toBe(0);
  });

  it('holds a partial line until its newline arrives, across several chunks', () => {
    const buffer = new ReadBuffer(1024);
    expect(buffer.push('{"jsonrpc":')).toEqual([]);
    expect(buffer.pendingBytes).toBe(11);
    expect(buffer.push('"2.0",')).toEqual([]);
    expect(lines(buffer.push('"id":1}\n{"b"'))).toEqual(['{"jsonrpc":"2.0","id":1}']);
    expect(lines(buffer.push(':2}\n'))).toEqual(['{"b":2}']);
  });

  it('returns several lines of one chunk in order', () => {
    const buffer = new ReadBuffer(1024);
    expect(lines(buffer.push('{"a":1}\n{"a":2}\n{"a":3}\n{"a"'))).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    expect(buffer.pendingBytes).toBe(4);
  });

  it('accepts CRLF line endings, also when the CR and LF arrive apart', () => {
    const buffer = new ReadBuffer(1024);
    expect(lines(buffer.push('{"a":1}\r\n{"a":2}\r'))).toEqual(['{"a":1}']);
    expect(lines(buffer.push('\n'))).toEqual(['{"a":2}']);
  });

  it('skips empty and blank lines', () => {
    const buffer = new ReadBuffer(1024);
    expect(lines(buffer.push('\n\r\n   \n{"a":1}\n\n\t\n'))).toEqual(['{"a":1}']);
  });

  it('decodes a UTF-8 character split across chunks whole', () => {
    const buffer = new ReadBuffer(1024);
    const bytes = Buffer.from('{"text":"héllo ✓"}\n', 'utf8');
    const split = bytes.indexOf(0xc3) + 1; // in the middle of "é"
    expect(buffer.push(bytes.subarray(0, split))).toEqual([]);
    expect(lines(buffer.push(bytes.subarray(split)))).toEqual(['{"text":"héllo ✓"}']);
  });

  it('accepts a line of exactly the cap, with or without CR', () => {
    const buffer = new ReadBuffer(8);
    expect(lines(buffer.push('12345678\n'))).toEqual(['12345678']);
    expect(lines(buffer.push('12345678\r\n'))).toEqual(['12345678']);
  });

  it('answers an over-long line with one -32600 error and discards it, then reads on', () => {
    const buffer = new ReadBuffer(8);
    const items = buffer.push('123456789\n{"a":1}\n');
    expect(items).toHaveLength(2);
    const [error, next] = items;
    expect(error.ok).toBe(false);
    if (!error.ok) {
      expect(error.response).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest } });
      expect(error.response.error.message).toMatch(/longer than the limit of 8 bytes/);
    }
    expect(next).toEqual({ ok: true, line: '{"a":1}' });
  });

  it('never holds more than the cap of an over-long line spread over many chunks', () => {
    const buffer = new ReadBuffer(16);
    const first = buffer.push('x'.repeat(10));
    expect(first).toEqual([]);
    const second = buffer.push('x'.repeat(10));
    expect(lines(second)).toEqual([`ERR ${ErrorCode.InvalidRequest}`]);
    expect(buffer.pendingBytes).toBe(0);
    for (let i = 0; i < 100; i++) {
      expect(buffer.push('x'.repeat(1000))).toEqual([]);
      expect(buffer.pendingBytes).toBe(0);
    }
    // The rest of the long line up to its newline is dropped; the next line is read normally.
    expect(lines(buffer.push('tail of the long line\n{"ok":true}\n'))).toEqual(['{"ok":true}']);
  });

  it('reset forgets a partial line and the discarding state', () => {
    const buffer = new ReadBuffer(4);
    buffer.push('123456');
    buffer.reset();
    expect(lines(buffer.push('ab\n'))).toEqual(['ab']);
    buffer.push('abc');
    buffer.reset();
    expect(buffer.pendingBytes).toBe(0);
    expect(lines(buffer.push('d\n'))).toEqual(['d']);
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => new ReadBuffer(0)).toThrow(RangeError);
    expect(() => new ReadBuffer(1.5)).toThrow(RangeError);
  });
});

describe('serializeLine', () => {
  it('writes one line of JSON, newlines in strings escaped', () => {
    const line = serializeLine({ jsonrpc: '2.0', id: 1, result: { text: 'a\nb\r\nc' } });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
    expect(JSON.parse(line)).toEqual({ jsonrpc: '2.0', id: 1, result: { text: 'a\nb\r\nc' } });
  });

  it('writes a bigint id as the digits the client sent (guards JSON.stringify throwing on it)', () => {
    expect(serializeLine({ jsonrpc: '2.0', id: 123456789012345678901234567890n, result: {} })).toBe(
      '{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":{}}\n',
    );
  });
});
