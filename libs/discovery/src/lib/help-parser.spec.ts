import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParameterSpec } from '@sanctum/protocol';
import { parseCommandHelp, parseCommandList } from './help-parser';
import type { CommandHelp } from './help-parser';

// The fixtures are real argparse output written by __fixtures__/make_fixtures.py (Python 3.11,
// plus the *_py313 ones from 3.13); send_legacy_headings.txt is send.txt with the pre-3.10
// "optional arguments:" heading.
const FIXTURES = join(__dirname, '__fixtures__');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const SEND: CommandHelp = {
  description:
    'Send a message to a channel of the chat service. The message is delivered at once unless the channel is muted; the command prints the id of the new message.',
  parameters: [
    { name: 'to', flag: '--to', type: 'string', required: true, description: 'Channel to post to' },
    { name: 'message', flag: '--message', type: 'string', required: true, description: 'Message body' },
    { name: 'priority', flag: '--priority', type: 'string', required: false, enum: ['low', 'normal', 'high'], description: 'Delivery priority' },
    { name: 'level', flag: '--level', type: 'integer', required: false, enum: [1, 2, 3], description: 'Importance level' },
    { name: 'urgent', flag: '--urgent', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Mark the message as urgent' },
    { name: 'no-color', flag: '--no-color', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Disable colours' },
    { name: 'retries', flag: '--retries', type: 'integer', required: false, description: 'How many times to retry' },
    { name: 'timeout', flag: '--timeout', type: 'number', required: false, description: 'Timeout in seconds (float)' },
    // `N` is not a type convention: argparse's type=int is invisible here.
    { name: 'count', flag: '--count', type: 'string', required: false, description: 'Copies to send' },
    {
      name: 'button-text',
      flag: '--button-text',
      type: 'string',
      required: false,
      description: 'Text of the action button shown under the message; long enough that argparse has to wrap it over several lines',
    },
    { name: 'attachment-content-type-override', flag: '--attachment-content-type-override', type: 'string', required: false, description: 'MIME type to force' },
    { name: 'thread', flag: '--thread', type: 'string', required: false },
    { name: 'v', flag: '-v', type: 'boolean', required: false, booleanStyle: 'flag', description: 'More output (repeatable)' },
    { name: 'q', flag: '-q', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Quiet' },
    { name: 'r', flag: '-r', type: 'number', required: false, description: 'Sampling ratio (number)' },
  ],
};

const LIST_ITEMS: CommandHelp = {
  description: 'List the items of a store.',
  parameters: [
    { name: 'store', positional: true, type: 'string', required: true, description: 'Store to read' },
    { name: 'paths', positional: true, type: 'array', items: { type: 'string' }, required: false, description: 'Only items under these paths' },
    { name: 'tag', flag: '--tag', type: 'array', items: { type: 'string' }, required: false, description: 'Tags to match', default: ['a', 'b'] },
    { name: 'exclude', flag: '--exclude', type: 'array', items: { type: 'string' }, required: false, description: 'Tags to leave out' },
    { name: 'ids', flag: '--ids', type: 'array', items: { type: 'integer' }, required: false, description: 'Item ids' },
    { name: 'point', flag: '--point', type: 'array', items: { type: 'number' }, required: false, description: 'Anchor point (float)' },
    { name: 'size', flag: '--size', type: 'array', items: { type: 'integer' }, required: false, description: 'Width and height' },
    { name: 'limit', flag: '--limit', type: 'integer', required: false, description: 'Maximum items', default: 20 },
    { name: 'ratio', flag: '--ratio', type: 'number', required: false, description: 'Sampling ratio', default: 0.5 },
    { name: 'sort', flag: '--sort', type: 'string', required: false, enum: ['name', 'date'], description: 'Sort key', default: 'name' },
    { name: 'format', flag: '--format', type: 'string', required: false, description: 'Output format' },
    { name: 'dry-run', flag: '--dry-run', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Only print what would happen', default: false },
    { name: 'label', flag: '--label', type: 'string', required: false, description: 'Label of the listing', default: 'all items' },
    { name: 'page', flag: '--page', type: 'integer', required: false, description: 'Page to show' },
  ],
};

const UPLOAD: CommandHelp = {
  description: 'Upload one file to the storage service.\nThe file is streamed; nothing is kept locally.',
  parameters: [
    { name: 'source', positional: true, type: 'string', required: true, description: 'File to upload' },
    { name: 'destination', positional: true, type: 'string', required: false, description: 'Remote folder' },
    { name: 'arg3', positional: true, type: 'string', required: true, enum: ['fast', 'safe'], description: 'Transfer mode' },
    { name: 'PART', positional: true, type: 'array', items: { type: 'integer' }, required: true, description: 'First and last part (int)' },
    // A required mutually exclusive group `(--public | --private)`: neither alone is required.
    { name: 'public', flag: '--public', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Anyone can read it' },
    { name: 'private', flag: '--private', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Only you can read it' },
    { name: 'json', flag: '--json', type: 'boolean', required: false, booleanStyle: 'flag', description: 'JSON output' },
    { name: 'yaml', flag: '--yaml', type: 'boolean', required: false, booleanStyle: 'flag', description: 'YAML output' },
    { name: 'k', flag: '-k', type: 'string', required: true, description: 'API key' },
    { name: 'user', flag: '--user', type: 'string', required: false, description: 'User name' },
    { name: 'f', flag: '-f', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Overwrite' },
    { name: 'verify', flag: '--verify', type: 'boolean', required: false, booleanStyle: 'flag', description: 'Check the upload' },
  ],
};

const TAG: CommandHelp = {
  description: 'Tag items.',
  parameters: [
    { name: 'NAME', positional: true, type: 'string', required: true },
    { name: 'TARGET', positional: true, type: 'array', items: { type: 'string' }, required: true },
    { name: 'colour', flag: '--colour', type: 'string', required: false },
  ],
};

const CONVERT: CommandHelp = {
  description: 'Convert an image.\nNotes: - metadata is kept - dst is overwritten',
  parameters: [
    // `src` is printed after `dst` (its group comes later) but declared first: the usage decides.
    { name: 'src', positional: true, type: 'string', required: true, description: 'Image to read' },
    { name: 'dst', positional: true, type: 'string', required: true, description: 'Image to write' },
    { name: 'quality', flag: '--quality', type: 'integer', required: true, description: 'JPEG quality' },
  ],
};

const GREET: CommandHelp = {
  description: '',
  parameters: [{ name: 'name', positional: true, type: 'string', required: true, description: 'Who to greet' }],
};

const STATS: CommandHelp = { description: '', parameters: [] };

const TOP: CommandHelp = {
  description: 'Demo plugin exercising the argparse features discovery must read.',
  parameters: [{ name: 'COMMAND', positional: true, type: 'array', items: { type: 'string' }, required: true }],
};

const COMMAND_HELP_CASES: Array<[string, CommandHelp]> = [
  ['send.txt', SEND],
  ['send_narrow.txt', SEND],
  ['send_long_prog.txt', SEND],
  ['send_py313.txt', SEND],
  ['send_legacy_headings.txt', SEND],
  ['list_items.txt', LIST_ITEMS],
  ['list_items_narrow.txt', LIST_ITEMS],
  ['list_items_py313.txt', LIST_ITEMS],
  ['upload.txt', UPLOAD],
  ['tag.txt', TAG],
  ['convert.txt', CONVERT],
  ['greet.txt', GREET],
  ['stats.txt', STATS],
  ['top.txt', TOP],
  ['top_plain.txt', TOP],
];

const TOP_COMMANDS = [
  { name: 'send', description: 'Send a message to a channel' },
  { name: 'list-items', description: 'List the items of a store, optionally filtered by tag; this description is long enough to wrap onto a second line' },
  { name: 'upload', description: 'Upload files with credentials' },
  { name: 'tag', description: 'Tag items' },
  { name: 'stats', description: '' },
];

const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.txt'));

describe('fixtures', () => {
  it('are all covered by the tables below', () => {
    expect(fixtureNames.length).toBeGreaterThan(0);
    expect(COMMAND_HELP_CASES.map(([name]) => name).sort()).toEqual([...fixtureNames].sort());
  });
});

describe('parseCommandList', () => {
  it.each(fixtureNames.map((name) => [name]))('reads %s', (name) => {
    expect(parseCommandList(fixture(name))).toStrictEqual(name === 'top.txt' ? TOP_COMMANDS : null);
  });

  it('reads the CRLF form of the same help', () => {
    expect(parseCommandList(fixture('top.txt').replace(/\n/g, '\r\n'))).toStrictEqual(TOP_COMMANDS);
  });

  it.each([
    ['an empty string', ''],
    ['text without the section', 'usage: cli.py [-h]\n\nJust a tool.\n'],
    ['a heading that is only part of a line', 'See Available commands: below\n  send  Send\n'],
  ])('answers null for %s', (_name, text) => {
    expect(parseCommandList(text)).toBeNull();
  });

  it.each([
    ['followed by a blank line and text', 'Available commands:\n\nNothing here yet.\n'],
    ['at the end of the text', 'Available commands:'],
    ['followed by Examples', 'Available commands:\nExamples:\n  cli.py x\n'],
    ['followed by a non-indented line', 'Available commands:\nsend  Send\n'],
  ])('answers [] for an empty section %s', (_name, text) => {
    expect(parseCommandList(text)).toEqual([]);
  });

  it('ends the section at a blank line, an Examples line or a non-indented line', () => {
    expect(parseCommandList('Available commands:\n  a  A\n\n  b  B\n')).toEqual([{ name: 'a', description: 'A' }]);
    expect(parseCommandList('Available commands:\n  a  A\n  Examples:\n  b  B\n')).toEqual([{ name: 'a', description: 'A' }]);
    expect(parseCommandList('Available commands:\n  a  A\nMore:\n  b  B\n')).toEqual([{ name: 'a', description: 'A' }]);
  });

  it('tolerates blank lines between the heading and the first entry', () => {
    expect(parseCommandList('Available commands:\n\n  a  A\n')).toEqual([{ name: 'a', description: 'A' }]);
  });

  it('skips invalid names together with their continuation lines', () => {
    const text = [
      'Available commands:',
      '  good      Fine',
      '  bad/name  Not a command name',
      '            and its second line',
      '  _hidden   Must start with a letter or digit',
      '  v2.up_load-x  Dots, dashes and underscores are fine',
      '  good      A repeated name keeps the first entry',
      '',
    ].join('\n');
    expect(parseCommandList(text)).toEqual([
      { name: 'good', description: 'Fine' },
      { name: 'v2.up_load-x', description: 'Dots, dashes and underscores are fine' },
    ]);
  });

  it('needs at least two spaces of indentation and joins wrapped descriptions with single spaces', () => {
    const text = 'Available commands:\n   one     First   line\n            second\n\t\n';
    expect(parseCommandList(text)).toEqual([{ name: 'one', description: 'First line second' }]);
    expect(parseCommandList('Available commands:\n one  Too shallow\n  two  Fine\n')).toEqual([{ name: 'two', description: 'Fine' }]);
  });

  it('takes a description that starts on the next line of a long name', () => {
    expect(parseCommandList('Available commands:\n  a-very-long-command-name\n              Does things\n')).toEqual([
      { name: 'a-very-long-command-name', description: 'Does things' },
    ]);
  });

  it('does not throw on garbage', () => {
    for (const text of ['Available commands:\n  \u0000\u0001  \uffff', 'Available commands:\n' + '  x'.repeat(10000), '\r\r\r', undefined as unknown as string]) {
      expect(() => parseCommandList(text)).not.toThrow();
    }
  });
});

describe('parseCommandHelp', () => {
  it.each(COMMAND_HELP_CASES)('reads %s', (name, expected) => {
    expect(parseCommandHelp(fixture(name))).toStrictEqual(expected);
  });

  it('reads CRLF output like LF output', () => {
    expect(parseCommandHelp(fixture('upload.txt').replace(/\n/g, '\r\n'))).toStrictEqual(UPLOAD);
  });

  it('ignores terminal colour codes', () => {
    const esc = String.fromCharCode(27);
    const coloured = fixture('send.txt').replace(/--to TO/g, `${esc}[1;36m--to${esc}[0m ${esc}[33mTO${esc}[0m`);
    expect(parseCommandHelp(coloured)).toStrictEqual(SEND);
  });

  it('reads the Python 3.8 form of nargs * and a required nargs + option', () => {
    const text = [
      'usage: cli.py files [-h] --names NAMES [NAMES ...] [files [files ...]]',
      '',
      'positional arguments:',
      '  files',
      '',
      'optional arguments:',
      '  -h, --help            show this help message and exit',
      '  --names NAMES [NAMES ...]',
      '',
    ].join('\n');
    expect(parseCommandHelp(text)).toStrictEqual({
      description: '',
      parameters: [
        { name: 'files', positional: true, type: 'array', items: { type: 'string' }, required: false },
        { name: 'names', flag: '--names', type: 'array', items: { type: 'string' }, required: true },
      ],
    });
  });

  it('finds a positional spelled like a prog word at the end of the usage', () => {
    const text = 'usage: cli.py greet name greet\n\npositional arguments:\n  name   Who\n  greet  What to say\n';
    expect(parseCommandHelp(text).parameters).toStrictEqual([
      { name: 'name', positional: true, type: 'string', required: true, description: 'Who' },
      { name: 'greet', positional: true, type: 'string', required: true, description: 'What to say' },
    ]);
  });

  it('reads integer choices, numeric choices and choices of an array', () => {
    const text = [
      'usage: cli.py pick [-h] [--n {1,2,3}] [--f {0.5,1.5}] [--m {a,b} [{a,b} ...]] {1,2}',
      '',
      'positional arguments:',
      '  {1,2}',
      '',
      'options:',
      '  -h, --help     show this help message and exit',
      '  --n {1,2,3}    (default: 2)',
      '  --f {0.5,1.5}',
      '  --m {a,b} [{a,b} ...]',
      '',
    ].join('\n');
    expect(parseCommandHelp(text).parameters).toStrictEqual([
      { name: 'arg1', positional: true, type: 'integer', enum: [1, 2], required: true },
      { name: 'n', flag: '--n', type: 'integer', enum: [1, 2, 3], required: false, default: 2 },
      { name: 'f', flag: '--f', type: 'number', enum: [0.5, 1.5], required: false },
      { name: 'm', flag: '--m', type: 'array', items: { type: 'string', enum: ['a', 'b'] }, required: false },
    ]);
  });

  describe('type conventions', () => {
    const one = (invocation: string, help = ''): ParameterSpec => {
      const text = `usage: cli.py x [-h] [${invocation}]\n\noptions:\n  -h, --help  show this help message and exit\n  ${invocation}  ${help}\n`;
      const [parameter] = parseCommandHelp(text).parameters;
      return parameter;
    };

    it.each([
      ['--a INT', '', 'integer'],
      ['--a int', '', 'integer'],
      ['--a Integer', '', 'integer'],
      ['--a FLOAT', '', 'number'],
      ['--a number', '', 'number'],
      ['--a N', '', 'string'],
      ['--a NUM', '', 'string'],
      ['--a INTERVAL', '', 'string'],
      ['--a A', 'Count (integer)', 'integer'],
      ['--a A', 'Count (INT)', 'integer'],
      ['--a A', 'Scale (number)', 'number'],
      ['--a A', 'Scale ( float )', 'number'],
      ['--a A', 'An integer value', 'string'],
      ['--a FLOAT', 'Whole (int)', 'integer'],
      ['--a', 'A flag (integer)', 'boolean'],
    ])('%s with help %j is %s', (invocation, help, type) => {
      expect(one(invocation, help).type).toBe(type);
    });

    it('makes fixed-count and open-ended metavars arrays of the element type', () => {
      expect(one('--a INT INT')).toMatchObject({ type: 'array', items: { type: 'integer' } });
      expect(one('--a X Y', '(float)')).toMatchObject({ type: 'array', items: { type: 'number' } });
      expect(one('--a [A ...]')).toMatchObject({ type: 'array', items: { type: 'string' } });
      expect(one('--a [A]')).toMatchObject({ type: 'string' });
    });

    it.each([
      ['--a INT', 'x (default: 7)', 7],
      ['--a INT', 'x (default: -3)', -3],
      ['--a INT', 'x (default: seven)', undefined],
      ['--a FLOAT', 'x (default: 1e-3)', 0.001],
      ['--a FLOAT', 'x (default: inf)', undefined],
      ['--a A', 'x (default: None)', undefined],
      ['--a A', 'x (default: some text)', 'some text'],
      ['--a', 'x (default: True)', true],
      ['--a', 'x (default: 0)', undefined],
      ['--a A [A ...]', 'x (default: [])', []],
      ['--a A [A ...]', `x (default: ['a, b', "c'd"])`, ['a, b', "c'd"]],
      ['--a INT [INT ...]', 'x (default: (1, 2))', [1, 2]],
      ['--a INT [INT ...]', "x (default: ['1'])", undefined],
      ['--a A [A ...]', 'x (default: abc)', undefined],
    ])('%s with help %j has default %j', (invocation, help, value) => {
      const parameter = one(invocation, help);
      expect(parameter.default).toStrictEqual(value);
      expect(parameter.description).toBe('x');
    });

    it('keeps a default that is not at the end in the description', () => {
      expect(one('--a INT', 'Retries (default: 3) before giving up')).toMatchObject({ default: 3, description: 'Retries (default: 3) before giving up' });
    });
  });

  it('keeps a positional of a custom usage string when argparse lists it', () => {
    const text = 'usage: cli.py run [options] <file>\n\npositional arguments:\n  file        Input\n\noptions:\n  -h, --help  show this help message and exit\n  --fast      Go\n';
    expect(parseCommandHelp(text)).toStrictEqual({
      description: '',
      parameters: [
        { name: 'file', positional: true, type: 'string', required: true, description: 'Input' },
        { name: 'fast', flag: '--fast', type: 'boolean', booleanStyle: 'flag', required: false, description: 'Go' },
      ],
    });
  });

  it('reads sections without a usage line and keeps epilog text out', () => {
    const text = [
      'A tool.',
      '',
      'options:',
      '  --level LEVEL  How loud',
      '                 it is',
      '',
      'Examples:',
      '  cli.py x --level 3',
      '  lonely',
      '',
      'Trailing --epilog text.',
      '  --ghost  never read',
    ].join('\n');
    expect(parseCommandHelp(text)).toStrictEqual({
      description: '',
      parameters: [{ name: 'level', flag: '--level', type: 'string', required: false, description: 'How loud it is' }],
    });
  });

  it('does not let a positional name collide with an option name', () => {
    const text = 'usage: cli.py x [-h] [--name NAME] name\n\npositional arguments:\n  name\n\noptions:\n  -h, --help   show this help message and exit\n  --name NAME\n';
    expect(parseCommandHelp(text).parameters.map((parameter) => [parameter.name, parameter.flag])).toEqual([
      ['name', undefined],
      ['name_2', '--name'],
    ]);
  });

  it.each([
    ['an empty string', ''],
    ['whitespace', ' \n\t\r\n  '],
    ['prose', 'This program has no help.\nIt just runs.'],
    ['only a usage line', 'usage: cli.py x'],
    ['unbalanced usage brackets', 'usage: cli.py x [[[--a A ((| ]]]]) {a,b\n\noptions:\n  --a A  x\n'],
    ['a heading with nothing under it', 'usage: x\n\noptions:\n'],
    ['binary noise', '\u0000\u0001\u0002 usage: \uffff\n  --\n  -\n  ,\n  {}  (default: \n'],
  ])('does not throw on %s', (_name, text) => {
    const parsed = parseCommandHelp(text);
    expect(typeof parsed.description).toBe('string');
    expect(Array.isArray(parsed.parameters)).toBe(true);
  });

  it('does not throw on non-string input', () => {
    expect(parseCommandHelp(undefined as unknown as string)).toEqual({ description: '', parameters: [] });
  });

  it('does not throw on any truncation or mangling of the fixtures', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (const name of fixtureNames) {
      const text = fixture(name);
      for (let cut = 0; cut < text.length; cut += 7) {
        expect(() => parseCommandHelp(text.slice(0, cut))).not.toThrow();
        expect(() => parseCommandList(text.slice(cut))).not.toThrow();
      }
      for (let round = 0; round < 50; round++) {
        const chars = [...text];
        for (let k = 0; k < 20; k++) chars.splice(random(chars.length), random(3), ' [](){}|,-\n'[random(12)] ?? '');
        expect(() => parseCommandHelp(chars.join(''))).not.toThrow();
      }
    }
  });
});

describe('wrapped help text', () => {
  it('rejoins a word that textwrap broke after its hyphen', () => {
    const help = [
      'usage: cli.py click [-h] --button-text TEXT',
      '',
      'options:',
      '  -h, --help          show this help message and exit',
      '  --button-text TEXT  Press a button of an inline-',
      '                      keyboard, then wait',
      '',
    ].join('\n');
    expect(parseCommandHelp(help).parameters[0].description).toBe('Press a button of an inline-keyboard, then wait');
  });
});
