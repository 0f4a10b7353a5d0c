import type { ObjectSchema } from '@sanctum/protocol';
import { validateArguments } from './validate';

/** Shaped like the input schemas the gateway builds from discovered parameters. */
const schema: ObjectSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Who to greet' },
    count: { type: 'integer' },
    ratio: { type: 'number' },
    loud: { type: 'boolean' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    tags: { type: 'array', items: { type: 'string' } },
    meta: { type: 'object' },
  },
  required: ['name', 'count'],
  additionalProperties: false,
};

describe('validateArguments', () => {
  it.each<[string, Record<string, unknown>]>([
    ['the required arguments only', { name: 'Ada', count: 1 }],
    ['every argument', { name: 'Ada', count: 0, ratio: 0.5, loud: false, mode: 'slow', tags: ['a', 'b'], meta: { k: [1] } }],
    ['an integral number for a number', { name: 'Ada', count: 2, ratio: 3 }],
    ['an empty array', { name: '', count: -1, tags: [] }],
  ])('accepts %s', (_name, args) => {
    expect(validateArguments(schema, args)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a missing required argument', { count: 1 }, ["missing required argument 'name'"]],
    ['a string for an integer', { name: 'Ada', count: '1' }, ["'count' must be integer"]],
    ['a fraction for an integer', { name: 'Ada', count: 1.5 }, ["'count' must be integer"]],
    ['a string for a boolean', { name: 'Ada', count: 1, loud: 'true' }, ["'loud' must be boolean"]],
    ['a number for a string', { name: 42, count: 1 }, ["'name' must be string"]],
    ['null for a string', { name: null, count: 1 }, ["'name' must be string"]],
    ['a string for an array', { name: 'Ada', count: 1, tags: 'a' }, ["'tags' must be array"]],
    ['a wrong array item', { name: 'Ada', count: 1, tags: ['a', 2] }, ["'tags.1' must be string"]],
    ['an array for an object', { name: 'Ada', count: 1, meta: [] }, ["'meta' must be object"]],
    ['a value outside the enum', { name: 'Ada', count: 1, mode: 'medium' }, [`'mode' must be one of ["fast","slow"]`]],
    ['an unknown property', { name: 'Ada', count: 1, colour: 'red' }, ["unknown argument 'colour'"]],
  ])('names %s', (_name, args, problems) => {
    expect(validateArguments(schema, args)).toEqual(problems);
  });

  it('reports every problem at once', () => {
    const problems = validateArguments(schema, { count: 'x', mode: 'medium', extra: 1, other: 2 });
    expect(problems).toEqual(
      expect.arrayContaining([
        "missing required argument 'name'",
        "'count' must be integer",
        `'mode' must be one of ["fast","slow"]`,
        "unknown argument 'extra'",
        "unknown argument 'other'",
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('does not coerce or fill in defaults', () => {
    const withDefault: ObjectSchema = { type: 'object', properties: { n: { type: 'integer', default: 3 } }, additionalProperties: false };
    const args: Record<string, unknown> = {};
    expect(validateArguments(withDefault, args)).toEqual([]);
    expect(args).toEqual({});
    const numeric = { n: '3' };
    expect(validateArguments(withDefault, numeric)).toEqual(["'n' must be integer"]);
    expect(numeric).toEqual({ n: '3' });
  });

  it('gives the same answers on repeated use of one schema', () => {
    expect(validateArguments(schema, { name: 'a', count: 1 })).toEqual([]);
    expect(validateArguments(schema, { name: 'a' })).toEqual(["missing required argument 'count'"]);
    expect(validateArguments(schema, { name: 'a', count: 1 })).toEqual([]);
  });

  // Issue 15 item 13: integers beyond 2^53 reach the plugin digit for digit, or are refused.
  it.each<[string, Record<string, unknown>]>([
    ['a bigint for an integer', { name: 'Ada', count: 123456789012345678901234567890n }],
    ['a negative bigint for an integer', { name: 'Ada', count: -9007199254740993n }],
    ['a bigint for a number', { name: 'Ada', count: 1, ratio: 123456789012345678901234567890n }],
    ['a bigint inside an object', { name: 'Ada', count: 1, meta: { id: 123456789012345678901234567890n } }],
    ['a double beyond 2^53 for a number (a double is what it takes)', { name: 'Ada', count: 1, ratio: 1e25 }],
  ])('accepts %s (guards Ajv refusing a bigint as "must be integer")', (_name, args) => {
    expect(validateArguments(schema, args)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'a double beyond 2^53 for an integer',
      { name: 'Ada', count: 1e25 },
      [
        "'count' is 1e+25: an integer beyond 9007199254740991 written with an exponent or a fraction cannot be passed on exactly; send it in plain digits",
      ],
    ],
    [
      'a double beyond 2^53 for a string, once (not also "must be string")',
      { name: 1.2345678901234568e29, count: 1 },
      [
        "'name' is 1.2345678901234568e+29: an integer beyond 9007199254740991 written with an exponent or a fraction cannot be passed on exactly; send it in plain digits",
      ],
    ],
    [
      'a double beyond 2^53 among string items, beside another problem',
      { name: 'Ada', count: 1, tags: ['a', -1e21], mode: 'x' },
      [
        "'tags.1' is -1e+21: an integer beyond 9007199254740991 written with an exponent or a fraction cannot be passed on exactly; send it in plain digits",
        `'mode' must be one of ["fast","slow"]`,
      ],
    ],
    ['a bigint for a string (a provider tool gets values as sent)', { name: 1n, count: 1 }, ["'name' must be string"]],
  ])('refuses %s', (_name, args, problems) => {
    expect(validateArguments(schema, args)).toEqual(problems);
  });

  it('escapes nothing odd in property paths with slashes', () => {
    const slashed: ObjectSchema = { type: 'object', properties: { 'a/b': { type: 'string' } }, additionalProperties: false };
    expect(validateArguments(slashed, { 'a/b': 1 })).toEqual(["'a/b' must be string"]);
  });
});

describe('validateArguments with a JSON Schema 2020-12 schema', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object' as const,
    $defs: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
    additionalProperties: false,
  };

  it('compiles it with the 2020-12 dialect and validates through $defs', () => {
    expect(validateArguments(schema, { name: 'x', address: { city: 'P' } })).toEqual([]);
    expect(validateArguments(schema, { name: 'x', address: {} })).toEqual(["missing required argument 'city'"]);
    expect(validateArguments(schema, { x: 1 })).toEqual(["unknown argument 'x'"]);
  });
});
