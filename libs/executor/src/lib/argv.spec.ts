import type { ParameterSpec, ParameterType } from '@sanctum/protocol';
import { keyFor, normalizeArguments, renderArgv } from './argv';
import type { ToolArguments } from './argv';

function param(name: string, type: ParameterType, extra: Partial<ParameterSpec> = {}): ParameterSpec {
  return { name, type, required: false, ...extra };
}

describe('keyFor', () => {
  it.each([
    ['msg_id', 'msg-id'],
    ['msg-id', 'msg-id'],
    ['Msg_ID', 'msg-id'],
    ['a__b', 'a--b'],
    ['plain', 'plain'],
  ])('%s -> %s', (name, key) => {
    expect(keyFor(name)).toBe(key);
  });
});

describe('renderArgv', () => {
  const cases: Array<[string, ParameterSpec[], ToolArguments, string[]]> = [
    ['a string option as --name=value', [param('name', 'string')], { name: 'Ada' }, ['cmd', '--name=Ada']],
    ['a value that looks like a short option', [param('args', 'string')], { args: '-rf' }, ['cmd', '--args=-rf']],
    ['a value that looks like a long option', [param('args', 'string')], { args: '--help' }, ['cmd', '--args=--help']],
    ['a lone dash value', [param('file', 'string')], { file: '-' }, ['cmd', '--file=-']],
    ['an empty string value', [param('name', 'string')], { name: '' }, ['cmd', '--name=']],
    ['a flag-style boolean true', [param('verbose', 'boolean', { booleanStyle: 'flag' })], { verbose: true }, ['cmd', '--verbose']],
    ['a flag-style boolean false', [param('verbose', 'boolean', { booleanStyle: 'flag' })], { verbose: false }, ['cmd']],
    ['a boolean without a style, true (flag style)', [param('verbose', 'boolean')], { verbose: true }, ['cmd', '--verbose']],
    ['a boolean without a style, false (flag style)', [param('verbose', 'boolean')], { verbose: false }, ['cmd']],
    [
      'a value-style boolean true',
      [param('dry-run', 'boolean', { booleanStyle: 'value' })],
      { 'dry-run': true },
      ['cmd', '--dry-run=true'],
    ],
    [
      'a value-style boolean false (never dropped)',
      [param('dry-run', 'boolean', { booleanStyle: 'value' })],
      { 'dry-run': false },
      ['cmd', '--dry-run=false'],
    ],
    ['a scalar array as repeated options', [param('tag', 'array')], { tag: ['a', 'b'] }, ['cmd', '--tag=a', '--tag=b']],
    ['a numeric array as repeated options', [param('n', 'array')], { n: [1, 2.5, -3] }, ['cmd', '--n=1', '--n=2.5', '--n=-3']],
    ['a boolean array as repeated options', [param('b', 'array')], { b: [true, false] }, ['cmd', '--b=true', '--b=false']],
    ['null items inside a scalar array skipped', [param('tag', 'array')], { tag: ['a', null, 'b'] }, ['cmd', '--tag=a', '--tag=b']],
    ['an empty array as nothing', [param('tag', 'array')], { tag: [] }, ['cmd']],
    [
      'an array with objects as one compact JSON option',
      [param('rows', 'array')],
      { rows: [{ a: 1 }, { b: [2, 3] }] },
      ['cmd', '--rows=[{"a":1},{"b":[2,3]}]'],
    ],
    [
      'an array mixing scalars and objects as compact JSON',
      [param('rows', 'array')],
      { rows: ['x', { a: 1 }] },
      ['cmd', '--rows=["x",{"a":1}]'],
    ],
    ['an array of arrays as compact JSON', [param('grid', 'array')], { grid: [[1, 2], [3]] }, ['cmd', '--grid=[[1,2],[3]]']],
    [
      'an object as compact JSON',
      [param('meta', 'object')],
      { meta: { a: 1, b: { c: 'd e' } } },
      ['cmd', '--meta={"a":1,"b":{"c":"d e"}}'],
    ],
    ['an empty object as {}', [param('meta', 'object')], { meta: {} }, ['cmd', '--meta={}']],
    ['a null value skipped', [param('name', 'string')], { name: null }, ['cmd']],
    ['an undefined value skipped', [param('name', 'string')], { name: undefined }, ['cmd']],
    ['an absent value skipped', [param('name', 'string'), param('other', 'string')], { other: 'x' }, ['cmd', '--other=x']],
    ['an integer as an integer', [param('count', 'integer')], { count: 3 }, ['cmd', '--count=3']],
    ['an integral number without a fraction', [param('count', 'number')], { count: 1.0 }, ['cmd', '--count=1']],
    ['a fractional number', [param('ratio', 'number')], { ratio: 2.5 }, ['cmd', '--ratio=2.5']],
    ['a negative integer', [param('offset', 'integer')], { offset: -4 }, ['cmd', '--offset=-4']],
    ['zero', [param('offset', 'integer')], { offset: 0 }, ['cmd', '--offset=0']],
    ['a string with newlines verbatim', [param('text', 'string')], { text: 'line 1\nline 2\r\n' }, ['cmd', '--text=line 1\nline 2\r\n']],
    [
      'a string with unicode verbatim',
      [param('text', 'string')],
      { text: 'héllo wörld ✓ 🎉 日本' },
      ['cmd', '--text=héllo wörld ✓ 🎉 日本'],
    ],
    ['a string containing = verbatim', [param('expr', 'string')], { expr: 'a=b==c' }, ['cmd', '--expr=a=b==c']],
    [
      'a string with quotes and shell metacharacters verbatim',
      [param('q', 'string')],
      { q: `"it's" $HOME; rm -rf / | cat` },
      ['cmd', `--q="it's" $HOME; rm -rf / | cat`],
    ],
    [
      'the flag field instead of --name',
      [param('button_text', 'string', { flag: '--button-text' })],
      { button_text: 'OK' },
      ['cmd', '--button-text=OK'],
    ],
    ['a single-dash flag field', [param('output', 'string', { flag: '-o' })], { output: 'out.txt' }, ['cmd', '-o=out.txt']],
    ['the flag field on a flag-style boolean', [param('force', 'boolean', { flag: '-f' })], { force: true }, ['cmd', '-f']],
    [
      'the flag field on a value-style boolean',
      [param('force', 'boolean', { flag: '--yes', booleanStyle: 'value' })],
      { force: false },
      ['cmd', '--yes=false'],
    ],
    [
      'the flag field on a repeated array',
      [param('tags', 'array', { flag: '--tag' })],
      { tags: ['x', 'y'] },
      ['cmd', '--tag=x', '--tag=y'],
    ],
    ['a positional after --', [param('path', 'string', { positional: true })], { path: 'a.txt' }, ['cmd', '--', 'a.txt']],
    [
      'a positional that looks like an option, after --',
      [param('path', 'string', { positional: true })],
      { path: '-rf' },
      ['cmd', '--', '-rf'],
    ],
    [
      'positionals after options, in declaration order',
      [
        param('src', 'string', { positional: true }),
        param('verbose', 'boolean'),
        param('dst', 'string', { positional: true }),
        param('mode', 'string'),
      ],
      { mode: 'copy', dst: 'b', verbose: true, src: 'a' },
      ['cmd', '--verbose', '--mode=copy', '--', 'a', 'b'],
    ],
    [
      'an array positional spread, nulls skipped',
      [param('files', 'array', { positional: true })],
      { files: ['a', null, 'b', 3] },
      ['cmd', '--', 'a', 'b', '3'],
    ],
    [
      'no -- when the positional is absent',
      [param('path', 'string', { positional: true }), param('x', 'string')],
      { x: '1' },
      ['cmd', '--x=1'],
    ],
    [
      'options in declaration order, not argument order',
      [param('c', 'string'), param('a', 'string'), param('b', 'integer')],
      { b: 2, a: 'A', c: 'C' },
      ['cmd', '--c=C', '--a=A', '--b=2'],
    ],
    ['no arguments at all', [param('x', 'string')], {}, ['cmd']],
    [
      'integers beyond 2^53 (bigints) digit for digit: option, array item, positional (guards JSON.stringify throwing)',
      [param('n', 'integer'), param('ns', 'array'), param('p', 'number', { positional: true })],
      { n: 123456789012345678901234567890n, ns: [-9007199254740993n], p: 18446744073709551616n },
      ['cmd', '--n=123456789012345678901234567890', '--ns=-9007199254740993', '--', '18446744073709551616'],
    ],
    [
      'a bigint inside an object or an array of objects as exact JSON',
      [param('config', 'object'), param('rows', 'array')],
      { config: { id: 123456789012345678901234567890n }, rows: [{ id: 9007199254740993n }] },
      ['cmd', '--config={"id":123456789012345678901234567890}', '--rows=[{"id":9007199254740993}]'],
    ],
  ];

  it.each(cases)('renders %s', (_name, parameters, values, expected) => {
    expect(renderArgv('cmd', parameters, values)).toEqual(expected);
  });

  it('keeps every value in its own argv element', () => {
    const argv = renderArgv('run', [param('a', 'string'), param('b', 'string', { positional: true })], { a: 'x --evil y', b: 'p q' });
    expect(argv).toEqual(['run', '--a=x --evil y', '--', 'p q']);
  });
});

describe('normalizeArguments', () => {
  const parameters: ParameterSpec[] = [
    param('msg-id', 'string'),
    param('dry_run', 'boolean'),
    param('tags', 'array'),
    param('meta', 'object'),
    param('count', 'integer'),
  ];

  const cases: Array<[string, ToolArguments, ToolArguments, string[], string[]]> = [
    ['exact spellings', { 'msg-id': 'm1', count: 2 }, { 'msg-id': 'm1', count: 2 }, [], []],
    ['an underscore spelling of a hyphenated name', { msg_id: 'm1' }, { 'msg-id': 'm1' }, [], []],
    ['a hyphen spelling of an underscored name', { 'dry-run': true }, { dry_run: true }, [], []],
    ['a different case', { MSG_ID: 'm1', Count: 3 }, { 'msg-id': 'm1', count: 3 }, [], []],
    ['one key under two spellings', { 'msg-id': 'first', msg_id: 'second' }, { 'msg-id': 'first' }, [], ['msg-id']],
    ['one key under two case spellings', { count: 1, COUNT: 2 }, { count: 1 }, [], ['count']],
    ['unknown keys', { 'msg-id': 'm', bogus: 1, 'also-bogus': 2 }, { 'msg-id': 'm' }, ['bogus', 'also-bogus'], []],
    ['Letta {"item": x} on an array parameter', { tags: { item: 'a' } }, { tags: ['a'] }, [], []],
    ['Letta {"item": [..]} on an array parameter', { tags: { item: ['a', 'b'] } }, { tags: ['a', 'b'] }, [], []],
    ['Letta {"item": {..}} on an array parameter', { tags: { item: { k: 1 } } }, { tags: [{ k: 1 }] }, [], []],
    ['{"item": x} on an object parameter (kept)', { meta: { item: 'a' } }, { meta: { item: 'a' } }, [], []],
    [
      'an object with more keys than item on an array parameter (kept)',
      { tags: { item: 'a', other: 1 } },
      { tags: { item: 'a', other: 1 } },
      [],
      [],
    ],
    ['a plain array (kept)', { tags: ['x'] }, { tags: ['x'] }, [], []],
    ['null and undefined kept for validation', { 'msg-id': null, count: undefined }, { 'msg-id': null, count: undefined }, [], []],
    ['nothing', {}, {}, [], []],
  ];

  it.each(cases)('maps %s', (_name, args, values, unknown, duplicates) => {
    const result = normalizeArguments(parameters, args);
    expect(result.values).toEqual(values);
    expect(Object.keys(result.values)).toEqual(Object.keys(values));
    expect(result.unknown).toEqual(unknown);
    expect(result.duplicates).toEqual(duplicates);
  });

  it('feeds renderArgv: normalized values render in declaration order', () => {
    const { values } = normalizeArguments(parameters, { count: 1, tags: { item: ['x', 'y'] }, msg_id: '-m', DRY_RUN: true });
    expect(renderArgv('send', parameters, values)).toEqual(['send', '--msg-id=-m', '--dry_run', '--tags=x', '--tags=y', '--count=1']);
  });
});

describe('normalizeArguments: numbers and booleans for string parameters', () => {
  const parameters: ParameterSpec[] = [
    param('msg-id', 'string'),
    param('version', 'string'),
    param('pin', 'string', { positional: true }),
    param('names', 'array', { items: { type: 'string' } }),
    param('counts', 'array', { items: { type: 'integer' } }),
    param('any', 'array'),
    param('count', 'integer'),
    param('ratio', 'number'),
    param('loud', 'boolean'),
  ];

  const cases: Array<[string, ToolArguments, ToolArguments]> = [
    ['an integer as its JSON text', { 'msg-id': 12345678 }, { 'msg-id': '12345678' }],
    ['a fraction as its JSON text', { version: 1.2 }, { version: '1.2' }],
    ['a negative number and zero', { 'msg-id': -7, version: 0 }, { 'msg-id': '-7', version: '0' }],
    ['an exponent as JSON writes it', { 'msg-id': 1e15 }, { 'msg-id': '1000000000000000' }],
    [
      'an integer beyond 2^53 in plain digits (a bigint) as the same digits',
      { 'msg-id': 123456789012345678901234567890n },
      { 'msg-id': '123456789012345678901234567890' },
    ],
    ["a double beyond 2^53, left for validation to refuse (its digits may not be the client's)", { 'msg-id': 1e21 }, { 'msg-id': 1e21 }],
    ['bigints among string items as their digits', { names: [-98765432109876543210n] }, { names: ['-98765432109876543210'] }],
    ['true and false as their JSON text', { 'msg-id': true, version: false }, { 'msg-id': 'true', version: 'false' }],
    ['a number for a positional string', { pin: 42 }, { pin: '42' }],
    ['numbers and booleans among string items', { names: ['a', 1, 2.5, true] }, { names: ['a', '1', '2.5', 'true'] }],
    ['Letta {"item": 7} on a string array', { names: { item: 7 } }, { names: ['7'] }],
    ['an object for a string (left for validation)', { 'msg-id': { id: 1 } }, { 'msg-id': { id: 1 } }],
    ['an array for a string (left for validation)', { 'msg-id': [1, 2] }, { 'msg-id': [1, 2] }],
    ['an object among string items (left for validation)', { names: [1, { a: 1 }] }, { names: ['1', { a: 1 }] }],
    ['null for a string (not given)', { 'msg-id': null }, { 'msg-id': null }],
    ['a string for a string, unchanged', { 'msg-id': '0012' }, { 'msg-id': '0012' }],
    ['numbers for integer items, unchanged', { counts: [1, 2] }, { counts: [1, 2] }],
    ['numbers for untyped items, unchanged', { any: [1, true] }, { any: [1, true] }],
    ['numbers and booleans for typed parameters, unchanged', { count: 3, ratio: 0.5, loud: true }, { count: 3, ratio: 0.5, loud: true }],
    ['a string for an integer, unchanged (validation refuses it)', { count: '3' }, { count: '3' }],
  ];

  it.each(cases)('maps %s', (_name, args, values) => {
    expect(normalizeArguments(parameters, args)).toEqual({ values, unknown: [], duplicates: [] });
  });

  it('renders the text on the command line', () => {
    const { values } = normalizeArguments(parameters, { msg_id: 12345678, version: 1.2, names: [true], pin: 3 });
    expect(renderArgv('click', parameters, values)).toEqual(['click', '--msg-id=12345678', '--version=1.2', '--names=true', '--', '3']);
  });
});

describe('parameter names that are Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty'])('treats %s as an ordinary parameter', (name) => {
    const params = [{ name, type: 'string' as const, required: false }];
    expect(normalizeArguments(params, { [name]: 'x' })).toEqual({ values: { [name]: 'x' }, unknown: [], duplicates: [] });
    expect(renderArgv('cmd', params, {})).toEqual(['cmd']);
  });
});
