import { ErrorCode } from './errors';
import { batchLength, boundBatchAnswer, parsePayload, parseValue, MAX_JSON_DEPTH } from './parse';
import type { JsonRpcResponse } from './jsonrpc';
import { negotiateVersion, LATEST_PROTOCOL_VERSION } from './versions';

describe('parsePayload', () => {
  it('answers invalid JSON with -32700 and a null id', () => {
    const { items } = parsePayload('{"jsonrpc":');
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item.ok).toBe(false);
    if (!item.ok) {
      expect(item.response.id).toBeNull();
      expect(item.response.error.code).toBe(ErrorCode.ParseError);
      expect(item.response.error.message).toMatch(/not valid JSON/);
    }
  });

  it.each([
    ['a string', '"hello"', /JSON object/],
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"ping"}', /"jsonrpc" must be exactly "2.0"/],
    ['a numeric method', '{"jsonrpc":"2.0","id":1,"method":5}', /"method" must be a non-empty string/],
    ['positional params', '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}', /"params" must be an object/],
    ['an object id', '{"jsonrpc":"2.0","id":{},"method":"ping"}', /"id" must be a string or an integer/],
    ['neither method nor result', '{"jsonrpc":"2.0","id":1}', /needs "method"/],
    ['an empty batch', '[]', /empty batch/],
  ])('refuses %s with -32600', (_name, text, message) => {
    const { items } = parsePayload(text);
    const [item] = items;
    expect(item.ok).toBe(false);
    if (!item.ok) {
      expect(item.response.error.code).toBe(ErrorCode.InvalidRequest);
      expect(item.response.error.message).toMatch(message);
    }
  });

  it('keeps the id of an invalid request when it is readable', () => {
    const [item] = parsePayload('{"jsonrpc":"1.0","id":"abc","method":"ping"}').items;
    expect(!item.ok && item.response.id).toBe('abc');
  });

  it('accepts requests, notifications and responses', () => {
    const { items } = parsePayload(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"result":{}}]',
    );
    expect(items.map((i) => i.ok)).toEqual([true, true, true]);
  });

  it('marks batches and validates each member on its own', () => {
    const parsed = parsePayload('[{"jsonrpc":"2.0","id":1,"method":"ping"}, 3]');
    expect(parsed.batch).toBe(true);
    expect(parsed.items.map((i) => i.ok)).toEqual([true, false]);
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) deep = { a: deep };
    const [item] = parseValue({ jsonrpc: '2.0', id: 1, method: 'ping', params: deep }).items;
    expect(item.ok).toBe(false);
    if (!item.ok) expect(item.response.error.message).toMatch(/nesting deeper/);
  });
});

describe('the batch cap (maxBatch)', () => {
  const batch = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })));

  it('accepts a batch at the cap', () => {
    const parsed = parsePayload(batch(3), { maxBatch: 3 });
    expect(parsed.batch).toBe(true);
    expect(parsed.items.map((i) => i.ok)).toEqual([true, true, true]);
  });

  it('answers a longer batch with one -32600 error naming the cap, and none of its messages', () => {
    const parsed = parsePayload(batch(4), { maxBatch: 3 });
    expect(parsed).toEqual({
      batch: false,
      items: [
        {
          ok: false,
          response: {
            jsonrpc: '2.0',
            id: null,
            error: {
              code: ErrorCode.InvalidRequest,
              message: 'Invalid Request: a batch of 4 messages is over the limit of 3 per batch; send at most 3 messages in one batch.',
            },
          },
        },
      ],
    });
  });

  it('has no cap unless given one', () => {
    expect(parsePayload(batch(500)).items).toHaveLength(500);
  });
});

describe('batchLength', () => {
  const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

  it.each([
    ['a single message', '{"jsonrpc":"2.0","id":1,"method":"ping"}', 1],
    ['an empty batch', ' [ \n ] ', 0],
    ['one message', '[{"a":1}]', 1],
    ['three messages', ' [{"a":[1,2,{"b":3}]}, {"c":"x,y"} ,3]', 3],
    ['commas, brackets and escaped quotes inside strings', '[{"s":"a,\\"],[{,"}, "\\\\", {"t":"é,ü,😀"}]', 3],
    ['not JSON at all', 'hello, world', 1],
    ['an unterminated array', '[1,2,', 3],
  ])('%s', (_name, text, length) => {
    expect(batchLength(bytes(text))).toBe(length);
    if (length > 0 && text.trim().startsWith('[') && !text.endsWith(',')) expect((JSON.parse(text) as unknown[]).length).toBe(length);
  });

  it('counts a large batch as JSON.parse does', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'tools/call',
      params: { name: 'a,[b]', arguments: { q: '{"x":[1,2]}' } },
    }));
    expect(batchLength(bytes(JSON.stringify(messages, null, 1)))).toBe(1000);
  });
});

describe('boundBatchAnswer', () => {
  const ok = (id: number, text: string): JsonRpcResponse => ({ jsonrpc: '2.0', id, result: { text } });
  const size = (response: JsonRpcResponse): number => Buffer.byteLength(JSON.stringify(response));

  it('keeps answers that fit, unchanged', () => {
    const answers = [ok(1, 'a'), ok(2, 'b')];
    expect(boundBatchAnswer(answers, 1000)).toEqual(answers);
  });

  it('turns every answer from the first that does not fit into an error with its id', () => {
    const answers = [ok(1, 'x'.repeat(100)), ok(2, 'y'.repeat(100)), ok(3, 'z')];
    const limit = 2 + size(answers[0]) + 1 + 50; // room for the small third answer, not for the second
    const bounded = boundBatchAnswer(answers, limit);
    expect(bounded[0]).toBe(answers[0]);
    for (const [index, response] of bounded.slice(1).entries()) {
      expect(response).toMatchObject({ jsonrpc: '2.0', id: index + 2, error: { code: ErrorCode.InternalError } });
      expect('error' in response && response.error.message).toContain(
        `answers of this batch passed the limit of ${limit} bytes. The request was handled`,
      );
    }
  });

  it('weighs answers in UTF-8 bytes, as they are sent', () => {
    const wide = ok(1, 'é'.repeat(100)); // 200 bytes of text in 100 UTF-16 units
    expect(boundBatchAnswer([wide], 2 + size(wide) + 1)).toEqual([wide]);
    expect(boundBatchAnswer([wide], 2 + size(wide))[0]).toMatchObject({ id: 1, error: { code: ErrorCode.InternalError } });
  });
});

describe('negotiateVersion', () => {
  it.each(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'])('echoes supported %s', (v) => {
    expect(negotiateVersion(v)).toBe(v);
  });
  it.each(['1999-01-01', undefined, 42])('answers the latest for %p', (v) => {
    expect(negotiateVersion(v)).toBe(LATEST_PROTOCOL_VERSION);
  });
});
