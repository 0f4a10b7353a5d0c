import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParameterSpec } from '@sanctum/protocol';
import { parseCommandHelp } from './help-parser';
import { buildInputSchema } from './schema';

describe('buildInputSchema', () => {
  it('builds a closed object schema with an empty required list when nothing is given', () => {
    expect(buildInputSchema([])).toStrictEqual({ type: 'object', properties: {}, required: [], additionalProperties: false });
  });

  it('maps each parameter to a described, typed property and lists the required ones in order', () => {
    const parameters: ParameterSpec[] = [
      { name: 'source', positional: true, type: 'string', required: true, description: 'File to upload' },
      { name: 'to', flag: '--to', type: 'string', required: true, description: 'Channel' },
      { name: 'level', flag: '--level', type: 'integer', required: false, enum: [1, 2, 3], default: 2, description: 'Level' },
      { name: 'ratio', flag: '--ratio', type: 'number', required: false, default: 0.5, description: 'Ratio' },
      { name: 'urgent', flag: '--urgent', type: 'boolean', booleanStyle: 'flag', required: false, description: 'Urgent' },
      { name: 'meta', flag: '--meta', type: 'object', required: false, description: 'Metadata' },
    ];
    expect(buildInputSchema(parameters)).toStrictEqual({
      type: 'object',
      properties: {
        source: { type: 'string', description: 'File to upload' },
        to: { type: 'string', description: 'Channel' },
        level: { type: 'integer', description: 'Level', enum: [1, 2, 3], default: 2 },
        ratio: { type: 'number', description: 'Ratio', default: 0.5 },
        urgent: { type: 'boolean', description: 'Urgent' },
        meta: { type: 'object', description: 'Metadata' },
      },
      required: ['source', 'to'],
      additionalProperties: false,
    });
  });

  it.each<[string, ParameterSpec, string]>([
    ['an option', { name: 'button-text', flag: '--button-text', type: 'string', required: false }, 'Value for --button-text'],
    ['a blank description', { name: 'n', flag: '-n', type: 'integer', required: false, description: '   ' }, 'Value for -n'],
    ['a flag', { name: 'q', flag: '-q', type: 'boolean', booleanStyle: 'flag', required: false }, 'Set to true to pass -q'],
    ['a value boolean', { name: 'on', flag: '--on', type: 'boolean', booleanStyle: 'value', required: false }, 'Value for --on'],
    ['a positional', { name: 'src', positional: true, type: 'string', required: true }, 'Value for the positional argument src'],
    ['a parameter with neither', { name: 'odd', type: 'string', required: false }, 'Value for odd'],
  ])('generates a description for %s', (_name, parameter, description) => {
    expect(buildInputSchema([parameter]).properties[parameter.name].description).toBe(description);
  });

  it('trims a given description', () => {
    expect(buildInputSchema([{ name: 'a', flag: '--a', type: 'string', required: false, description: '  Text \n' }]).properties['a'].description).toBe('Text');
  });

  it('always gives arrays items, string by default', () => {
    const schema = buildInputSchema([
      { name: 'tags', flag: '--tags', type: 'array', required: false },
      { name: 'ids', flag: '--ids', type: 'array', items: { type: 'integer' }, required: false, default: [1] },
    ]);
    expect(schema.properties['tags']).toStrictEqual({ type: 'array', description: 'Value for --tags', items: { type: 'string' } });
    expect(schema.properties['ids']).toStrictEqual({ type: 'array', description: 'Value for --ids', items: { type: 'integer' }, default: [1] });
  });

  it('moves an array parameter enum onto its items', () => {
    const schema = buildInputSchema([
      { name: 'm', flag: '--m', type: 'array', enum: ['a', 'b'], required: false },
      { name: 'k', flag: '--k', type: 'array', enum: ['a'], items: { type: 'string', enum: ['x'] }, required: false },
    ]);
    expect(schema.properties['m']).toStrictEqual({ type: 'array', description: 'Value for --m', items: { type: 'string', enum: ['a', 'b'] } });
    expect(schema.properties['k'].items).toStrictEqual({ type: 'string', enum: ['x'] });
  });

  it('ignores items on non-arrays, empty enums, and keeps falsy defaults', () => {
    const schema = buildInputSchema([
      { name: 'a', flag: '--a', type: 'string', items: { type: 'integer' }, enum: [], default: '', required: false },
      { name: 'b', flag: '--b', type: 'boolean', booleanStyle: 'flag', default: false, required: false },
      { name: 'c', flag: '--c', type: 'integer', default: 0, required: false },
    ]);
    expect(schema.properties['a']).toStrictEqual({ type: 'string', description: 'Value for --a', default: '' });
    expect(schema.properties['b'].default).toBe(false);
    expect(schema.properties['c'].default).toBe(0);
  });

  it('does not share enum, items or parameter objects with the input', () => {
    const parameter: ParameterSpec = { name: 't', flag: '--t', type: 'array', items: { type: 'string' }, required: false };
    const choice: ParameterSpec = { name: 'c', flag: '--c', type: 'string', enum: ['x'], required: false };
    const schema = buildInputSchema([parameter, choice]);
    expect(schema.properties['t'].items).not.toBe(parameter.items);
    expect(schema.properties['c'].enum).not.toBe(choice.enum);
  });

  it('keeps the first of two parameters with the same name, and lists it once', () => {
    const schema = buildInputSchema([
      { name: 'x', flag: '--x', type: 'string', required: true, description: 'first' },
      { name: 'x', positional: true, type: 'integer', required: true, description: 'second' },
    ]);
    expect(schema.properties).toStrictEqual({ x: { type: 'string', description: 'first' } });
    expect(schema.required).toEqual(['x']);
  });

  it('treats an unknown type as string and a name like __proto__ as a plain property', () => {
    const schema = buildInputSchema([
      { name: '__proto__', flag: '--__proto__', type: 'string', required: true },
      { name: 'w', flag: '--w', type: 'weird' as ParameterSpec['type'], required: false },
    ]);
    expect(Object.keys(schema.properties)).toEqual(['__proto__', 'w']);
    expect(Object.getPrototypeOf(schema.properties)).toBe(Object.prototype);
    expect(schema.properties['w'].type).toBe('string');
    expect(schema.required).toEqual(['__proto__']);
  });

  it('turns a parsed argparse help into a schema where every property is described', () => {
    const help = readFileSync(join(__dirname, '__fixtures__', 'upload.txt'), 'utf8');
    const schema = buildInputSchema(parseCommandHelp(help).parameters);
    expect(schema.required).toEqual(['source', 'arg3', 'PART', 'k']);
    expect(schema.properties['PART']).toStrictEqual({ type: 'array', description: 'First and last part (int)', items: { type: 'integer' } });
    expect(schema.properties['arg3']).toStrictEqual({ type: 'string', description: 'Transfer mode', enum: ['fast', 'safe'] });
    for (const property of Object.values(schema.properties)) expect(property.description).toEqual(expect.any(String));
    expect(JSON.parse(JSON.stringify(schema))).toStrictEqual(schema);
  });
});
