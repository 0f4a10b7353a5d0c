import { ErrorCode } from './errors';
import { batchLength, boundBatchAnswer, parseJsonExact, parsePayload, parseValue, MAX_JSON_DEPTH } from './parse';
import { stringifyExact } from './exact-json';
import { success } from './jsonrpc';
import type { JsonRpcRequest, JsonRpcResponse } from './jsonrpc';
import type { ParsedPayload } from './parse';
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

// Issue 15 item 13: JSON.parse turned the id 123456789012345678901234567890 into
// 1.2345678901234568e+29, so the answer's id matched nothing the client sent.
describe('parsePayload: numbers exact', () => {
  const BIG = '123456789012345678901234567890';
  const requestOf = (parsed: ParsedPayload, index = 0): JsonRpcRequest => {
    const item = parsed.items[index];
    if (!item.ok) throw new Error(`refused: ${item.response.error.message}`);
    return item.message as JsonRpcRequest;
  };

  it.each([BIG, `-${BIG}`, '9007199254740992', '18446744073709551616'])(
    'echoes the id %s digit for digit (guards JSON.parse rounding it to a double)',
    (digits) => {
      const request = requestOf(parsePayload(`{"jsonrpc":"2.0","id":${digits},"method":"ping"}`));
      expect(request.id).toBe(BigInt(digits));
      expect(stringifyExact(success(request.id, {}))).toBe(`{"jsonrpc":"2.0","id":${digits},"result":{}}`);
    },
  );

  it('keeps every id of a batch exact, each beside the others', () => {
    const parsed = parsePayload(
      `[{"jsonrpc":"2.0","id":${BIG},"method":"ping"},{"jsonrpc":"2.0","id":7,"method":"ping"},{"jsonrpc":"2.0","id":"${BIG}","method":"ping"}]`,
    );
    expect(parsed.batch).toBe(true);
    expect([0, 1, 2].map((i) => requestOf(parsed, i).id)).toEqual([BigInt(BIG), 7, BIG]);
  });

  it('keeps a big progressToken and a big requestId to cancel exact, and big integer arguments as bigints', () => {
    const call = requestOf(
      parsePayload(
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"n":${BIG},"list":[${BIG}]},"_meta":{"progressToken":${BIG}}}}`,
      ),
    );
    expect(call.params).toEqual({ name: 't', arguments: { n: BigInt(BIG), list: [BigInt(BIG)] }, _meta: { progressToken: BigInt(BIG) } });
    const cancel = requestOf(parsePayload(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${BIG}}}`));
    expect(cancel.params).toEqual({ requestId: BigInt(BIG) });
  });

  it.each([
    ['-0', '-0'],
    ['1e3', '1e3'],
    ['1.0', '1.0'],
    ['1.5', '1.5'],
    ['1e400', '1e400'],
    ['1e+21', '1e+21'],
    ['1.2345678901234568e+29', '1.2345678901234568e+29'],
  ])('refuses the id %s with -32600 naming it, as it could not be echoed exactly', (_name, literal) => {
    const [item] = parsePayload(`{"jsonrpc":"2.0","id":${literal},"method":"ping"}`).items;
    expect(item.ok).toBe(false);
    if (!item.ok) {
      expect(item.response.id).toBeNull();
      expect(item.response.error.code).toBe(ErrorCode.InvalidRequest);
      expect(item.response.error.message).toBe(
        `Invalid Request: "id" must be a string or an integer written in plain digits (such as "req-7" or 7, any number of digits); the number ${literal} is not one (a fraction, an exponent or -0), and would not be echoed exactly as sent.`,
      );
    }
  });

  it('reads other inexact numbers as JSON.parse does, in the same text as an exact id', () => {
    const text = `{"jsonrpc":"2.0","id":${BIG},"method":"tools/call","params":{"a":1.50,"b":-0,"c":1e3,"d":0.1000000000000000055511151231257827,"e":[1E2]}}`;
    const request = requestOf(parsePayload(text));
    const plain = JSON.parse(text) as JsonRpcRequest;
    expect(request.params).toEqual(plain.params);
    expect(Object.is(request.params?.['b'], -0)).toBe(true);
  });

  it('gives the same messages as JSON.parse when no number is inexact (the fast path)', () => {
    const text = '[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"x":0.5,"y":"123456789012345678901234567890","z":-3}}]';
    const parsed = parsePayload(text);
    expect(parsed.items.map((i) => i.ok && i.message)).toEqual(JSON.parse(text));
  });

  it('refuses deep nesting holding a big integer as too deep, without overflowing the stack', () => {
    const depth = 100_000;
    const [item] = parsePayload(`${'['.repeat(depth)}${BIG}${']'.repeat(depth)}`).items;
    expect(!item.ok && item.response.error.message).toMatch(/nesting deeper than 64 levels/);
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

  it('weighs an answer with a bigint id as it is sent (guards JSON.stringify throwing on it)', () => {
    const big: JsonRpcResponse = { jsonrpc: '2.0', id: 123456789012345678901234567890n, result: {} };
    const bytes = Buffer.byteLength(stringifyExact(big));
    expect(boundBatchAnswer([big], 2 + bytes + 1)).toEqual([big]);
    expect(boundBatchAnswer([big], 2 + bytes)[0]).toMatchObject({ id: big.id, error: { code: ErrorCode.InternalError } });
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

describe('parseJsonExact (plugin output)', () => {
  it('keeps integers beyond 2^53 as bigints and reads every other number as JSON.parse does', () => {
    expect(parseJsonExact('{"a": 123456789012345678901234567890, "b": 1.50, "c": -0, "d": [9007199254740993]}')).toEqual({
      a: 123456789012345678901234567890n,
      b: 1.5,
      c: -0,
      d: [9007199254740993n],
    });
  });

  it('is JSON.parse for text without such numbers, and throws what it throws', () => {
    expect(parseJsonExact('{"a": [1, 2.5, "x"]}')).toEqual({ a: [1, 2.5, 'x'] });
    expect(() => parseJsonExact('{"a":')).toThrow(SyntaxError);
  });

  it('leaves text nested past the limit to JSON.parse (the failure: a stack overflow in the exact reader)', () => {
    const deep = `${'['.repeat(100_000)}12345678901234567890${']'.repeat(100_000)}`;
    expect(Array.isArray(parseJsonExact(deep))).toBe(true);
  });
});
