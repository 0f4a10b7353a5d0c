import { argumentsOf, fieldsOf, initialValues } from './form';

const DEPLOY = {
  type: 'object',
  properties: {
    'app-name': { type: 'string', description: 'Application name' },
    environment: { type: 'string', enum: ['development', 'staging', 'production'], default: 'production' },
    replicas: { type: 'integer' },
    ratio: { type: 'number' },
    dry: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    labels: { type: 'object' },
  },
  required: ['app-name', 'dry'],
};

describe('the try-it form from an input schema', () => {
  const fields = fieldsOf(DEPLOY);

  it('makes one field per property, with required flags, enums and JSON for arrays and objects', () => {
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['app-name', 'string', true],
      ['environment', 'enum', false],
      ['replicas', 'integer', false],
      ['ratio', 'number', false],
      ['dry', 'boolean', true],
      ['tags', 'json', false],
      ['labels', 'json', false],
    ]);
    expect(fields[1].options).toEqual(['development', 'staging', 'production']);
    expect(fields[5].jsonType).toBe('array');
    expect(initialValues(fields)['environment']).toBe('production');
  });

  it('reads typed arguments back and leaves empty optional fields out', () => {
    const result = argumentsOf(fields, {
      'app-name': 'shop',
      environment: 'staging',
      replicas: '3',
      ratio: '0.5',
      dry: 'false',
      tags: '["a","b"]',
      labels: '',
    });
    expect(result).toEqual({
      ok: true,
      arguments: { 'app-name': 'shop', environment: 'staging', replicas: 3, ratio: 0.5, dry: false, tags: ['a', 'b'] },
    });
  });

  it('names every field that is missing or does not parse, instead of sending a wrong call', () => {
    const result = argumentsOf(fields, {
      'app-name': ' ',
      environment: 'qa',
      replicas: '1.5',
      ratio: 'x',
      dry: '',
      tags: '{"a":1}',
      labels: '{broken',
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        'app-name': 'required',
        environment: 'one of development, staging, production',
        replicas: 'a whole number',
        ratio: 'a number',
        dry: 'required',
        tags: 'a JSON array, e.g. ["a", "b"]',
        labels: 'valid JSON',
      },
    });
  });

  it('gives no fields for a schema without properties, and keeps an enum of numbers as numbers', () => {
    expect(fieldsOf({ type: 'object' })).toEqual([]);
    const level = fieldsOf({ type: 'object', properties: { level: { enum: [1, 2, 3] } } });
    expect(argumentsOf(level, { level: '2' })).toEqual({ ok: true, arguments: { level: 2 } });
  });
});
