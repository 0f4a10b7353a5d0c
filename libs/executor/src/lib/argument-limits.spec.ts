import { argumentProblems } from './argument-limits';
import type { ArgumentLimits } from './argument-limits';

const LIMITS: ArgumentLimits = { maxArgBytes: 16, maxArgsTotalBytes: 200 };

describe('argumentProblems', () => {
  it('accepts ordinary values of every JSON type, nested ones included', () => {
    expect(argumentProblems({ name: 'Zoë ✓', count: 3, on: true, none: null, list: ['a', 1], deep: { k: 'v' } }, LIMITS)).toEqual([]);
  });

  it('weighs integers beyond 2^53 (bigints) by their digits (guards JSON.stringify throwing on them)', () => {
    const args = { n: 123456789012345678901234567890n, list: [1n] };
    expect(argumentProblems(args, LIMITS)).toEqual([]);
    expect(argumentProblems(args, { ...LIMITS, maxArgsTotalBytes: 46 })).toEqual([
      'the arguments total 47 bytes; the limit is 46 (MCP_MAX_ARGS_BYTES)',
    ]);
  });

  it('accepts a string of exactly the per-string limit in UTF-8 bytes', () => {
    // 8 two-byte characters: 16 bytes, 8 UTF-16 units.
    expect(argumentProblems({ text: 'é'.repeat(8) }, LIMITS)).toEqual([]);
  });

  it('counts UTF-8 bytes, not characters, against the per-string limit', () => {
    expect(argumentProblems({ text: 'é'.repeat(9) }, LIMITS)).toEqual(["'text' is 18 bytes; the limit is 16 (MCP_MAX_ARG_BYTES)"]);
  });

  it('names the path of an over-long string inside arrays and objects', () => {
    const long = 'x'.repeat(17);
    expect(argumentProblems({ list: ['ok', long], deep: { inner: long } }, LIMITS)).toEqual([
      "'list[1]' is 17 bytes; the limit is 16 (MCP_MAX_ARG_BYTES)",
      "'deep.inner' is 17 bytes; the limit is 16 (MCP_MAX_ARG_BYTES)",
    ]);
  });

  it('refuses a NUL byte, which cannot cross argv', () => {
    expect(argumentProblems({ text: 'a\u0000b' }, LIMITS)).toEqual(["'text' contains a NUL byte"]);
  });

  it.each([
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a high surrogate at the end', 'ab\uDBFF'],
    ['two high surrogates', '\uD800\uD800\uDC00'],
  ])('refuses %s (not encodable as UTF-8)', (_name, text) => {
    expect(argumentProblems({ text }, LIMITS)).toEqual(["'text' is not valid Unicode text (lone surrogate)"]);
  });

  it('accepts a well-formed surrogate pair', () => {
    expect(argumentProblems({ text: '😀' }, LIMITS)).toEqual([]);
  });

  it('refuses an oversized total even when each string is within its limit', () => {
    const args = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'y'.repeat(16)]));
    const total = Buffer.byteLength(JSON.stringify(args), 'utf8');
    expect(total).toBeGreaterThan(LIMITS.maxArgsTotalBytes);
    expect(argumentProblems(args, LIMITS)).toEqual([`the arguments total ${total} bytes; the limit is 200 (MCP_MAX_ARGS_BYTES)`]);
  });

  it('checks keys: an argument name or a nested key with a NUL byte or a lone surrogate', () => {
    expect(argumentProblems({ 'a\u0000': 1 }, LIMITS)).toEqual(['an argument name is not valid text']);
    expect(argumentProblems({ '\uD800': 1 }, LIMITS)).toEqual(['an argument name is not valid text']);
    expect(argumentProblems({ deep: { 'b\u0000': 1 } }, LIMITS)).toEqual(["a key under 'deep' is not valid text"]);
    expect(argumentProblems({ deep: { '\uDC00': 1 } }, LIMITS)).toEqual(["a key under 'deep' is not valid text"]);
  });

  it('reports each problem once and at most ten', () => {
    const bad = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, '\u0000']));
    const problems = argumentProblems(bad, { maxArgBytes: 16, maxArgsTotalBytes: 1_000_000 });
    expect(problems).toHaveLength(10);
    expect(new Set(problems).size).toBe(10);
    expect(argumentProblems({ a: { 'x\u0000': 1, 'y\u0000': 2 } }, LIMITS)).toEqual(["a key under 'a' is not valid text"]);
  });
});
