import fc from 'fast-check';
import { exactNumber, isInexactNumber, parseExact, parsesExactly, stringifyExact } from './exact-json';

describe('exactNumber', () => {
  it.each<[string, unknown]>([
    ['0', 0],
    ['-7', -7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', -Number.MAX_SAFE_INTEGER],
    ['0.5', 0.5],
    ['1e+21', 1e21],
    ['9007199254740992', 9007199254740992n],
    ['123456789012345678901234567890', 123456789012345678901234567890n],
    ['-123456789012345678901234567890', -123456789012345678901234567890n],
  ])('keeps %s exact (a number when JSON.stringify writes it back the same, else a bigint)', (literal, value) => {
    expect(exactNumber(literal)).toBe(value);
  });

  it.each(['-0', '1e3', '1E+21', '1.0', '1.50', '0.1000000000000000055511151231257827', '1e400'])(
    'marks %s inexact: JSON.parse reads it as a double JSON.stringify writes differently',
    (literal) => {
      const value = exactNumber(literal);
      expect(isInexactNumber(value)).toBe(true);
      expect(String(value)).toBe(literal);
    },
  );
});

describe('parsesExactly', () => {
  it.each([
    '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    '{"jsonrpc":"2.0","id":"123456789012345678901234567890","method":"ping"}',
    '{"s":"a\\"1e3\\\\","t":"-0","n":[-1,0.25,1e+21,9007199254740991]}',
    ' [ 1 , -2 , 3.5 ] ',
    '"\\\\"',
  ])('reads %s with JSON.parse alone (no literal outside a string is inexact)', (text) => {
    expect(parsesExactly(text)).toBe(true);
  });

  it.each([
    '{"id":123456789012345678901234567890}',
    '{"s":"\\\\","id":9007199254740992}',
    '[-0]',
    '{"a":{"b":[1e3]}}',
    '[1.50]',
    '{"x":"\\"","y":0.1000000000000000055511151231257827}',
  ])('sends %s to the exact reader (guards a literal inside or after a string being missed)', (text) => {
    expect(parsesExactly(text)).toBe(false);
  });

  // The fast path's promise: when it is taken, JSON.stringify gives every literal back as sent.
  it('is true only when JSON.parse then JSON.stringify give the text back byte for byte (fast-check)', () => {
    const literal = fc.oneof(
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
      fc.tuple(fc.integer({ min: -99, max: 99 }), fc.nat(99_999)).map(([i, f]) => `${i}.${f}`),
    );
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 5 }), (literals) => {
        const text = `[${literals.join(',')}]`;
        if (parsesExactly(text)) expect(JSON.stringify(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe('parseExact and stringifyExact', () => {
  it('round-trips integers of any size in plain digits, digit for digit (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n })), (integers) => {
        const text = `{"id":${integers[0] ?? 1},"n":[${integers.join(',')}]}`;
        expect(stringifyExact(parseExact(text))).toBe(text);
      }),
    );
  });

  it('reads everything else as JSON.parse does: any JSON value without inexact numbers (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(stringifyExact(parseExact(text))).toBe(text);
      }),
    );
  });

  it('keeps the last of duplicate keys and "__proto__" as an own key, as JSON.parse does', () => {
    const text = '{"a":1,"a":2,"__proto__":{"polluted":true},"n":123456789012345678901234567890}';
    const value = parseExact(text) as Record<string, unknown>;
    expect(value['a']).toBe(2);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(value));
  });

  it('writes a bigint as its digits where JSON.stringify throws', () => {
    const message = { jsonrpc: '2.0', id: -123456789012345678901234567890n, result: { list: [1n, 'x', null] } };
    expect(() => JSON.stringify(message)).toThrow(TypeError);
    expect(stringifyExact(message)).toBe('{"jsonrpc":"2.0","id":-123456789012345678901234567890,"result":{"list":[1,"x",null]}}');
  });

  it('writes what JSON.stringify writes when there is no bigint (toJSON, undefined, NaN)', () => {
    const value = { when: new Date(0), gone: undefined, nan: Number.NaN, list: [undefined], text: 'é\u2028"' };
    expect(stringifyExact(value)).toBe(JSON.stringify(value));
  });

  it('throws a TypeError for a cycle, as JSON.stringify does, also next to a bigint (not a stack overflow)', () => {
    const cycle: Record<string, unknown> = { id: 1 };
    cycle['self'] = cycle;
    expect(() => stringifyExact(cycle)).toThrow(/circular/);
    cycle['id'] = 1n;
    expect(() => stringifyExact(cycle)).toThrow(TypeError);
  });
});
