import { ContractViolationError, parseDescribe } from './describe';

describe('parseDescribe (plugin contract v1)', () => {
  it('accepts an upstream-style payload and maps every parameter kind', () => {
    const described = parseDescribe({
      contract_version: '1.0',
      plugin: { name: 'p', version: '2.1.0', description: 'd' },
      commands: [
        {
          name: 'run',
          description: 'Run it',
          timeout: 5,
          parameters: [
            { name: 'msg', type: 'string', required: true, description: 'Message' },
            { name: 'n', type: 'integer', default: 3 },
            { name: 'force', type: 'boolean', action: 'store_true' },
            { name: 'strict', type: 'boolean' },
            { name: 'quiet', arg_style: 'flag' },
            { name: 'tags', type: 'array' },
            { name: 'level', type: 'string', choices: ['a', 'b'] },
            { name: 'opts', type: 'object', properties: { x: { type: 'integer' } } },
          ],
          extra_key: 'allowed',
        },
      ],
    });
    expect(described.plugin?.version).toBe('2.1.0');
    const [command] = described.commands;
    expect(command.timeout).toBe(5);
    expect(command.parameters).toEqual([
      { name: 'msg', flag: '--msg', type: 'string', required: true, description: 'Message' },
      { name: 'n', flag: '--n', type: 'integer', required: false, default: 3 },
      { name: 'force', flag: '--force', type: 'boolean', required: false, booleanStyle: 'flag' },
      { name: 'strict', flag: '--strict', type: 'boolean', required: false, booleanStyle: 'value' },
      { name: 'quiet', flag: '--quiet', type: 'boolean', required: false, booleanStyle: 'flag' },
      { name: 'tags', flag: '--tags', type: 'array', required: false, items: { type: 'string' } },
      { name: 'level', flag: '--level', type: 'string', required: false, enum: ['a', 'b'] },
      { name: 'opts', flag: '--opts', type: 'object', required: false, schema: { properties: { x: { type: 'integer' } } } },
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a bad parameter type', { commands: [{ name: 'go', parameters: [{ name: 'a' }, { name: 'b' }, { name: 'c', type: 'str' }] }] }, 'commands[0].parameters[2].type "str" is not one of string, number, integer, boolean, array, object'],
    ['no commands key', { plugin: {} }, 'commands is required'],
    ['a command without a name', { commands: [{ description: 'x' }] }, 'commands[0].name is required'],
    ['a non-boolean required', { commands: [{ name: 'go', parameters: [{ name: 'a', required: 'yes' }] }] }, 'commands[0].parameters[0].required "yes" must be boolean'],
    ['a bad action', { commands: [{ name: 'go', parameters: [{ name: 'a', action: 'count' }] }] }, 'commands[0].parameters[0].action "count" is not one of store_true, store_false'],
    ['a duplicated command', { commands: [{ name: 'go' }, { name: 'go' }] }, 'commands[1].name "go" is declared twice'],
    ['a parameter in two spellings', { commands: [{ name: 'go', parameters: [{ name: 'dry-run' }, { name: 'dry_run' }] }] }, 'commands[0].parameters[1].name "dry_run" is declared twice'],
  ])('refuses %s with a field-addressed message', (_name, payload, message) => {
    expect(() => parseDescribe(payload)).toThrow(ContractViolationError);
    expect(() => parseDescribe(payload)).toThrow(message);
  });
});

describe('parseDescribe with a verbatim inputSchema', () => {
  const schema2020 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: { address: { type: 'object', properties: { city: { type: 'string' } } } },
    properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
    additionalProperties: false,
  };

  it('keeps a 2020-12 schema unchanged', () => {
    const described = parseDescribe({ commands: [{ name: 'go', inputSchema: schema2020, parameters: [{ name: 'name' }, { name: 'address', type: 'object' }] }] });
    expect(described.commands[0].inputSchema).toEqual(schema2020);
  });

  it('refuses a schema property without a parameter (it could never reach argv)', () => {
    expect(() => parseDescribe({ commands: [{ name: 'go', inputSchema: schema2020, parameters: [{ name: 'name' }] }] })).toThrow(
      'commands[0].inputSchema.properties.address has no matching parameter',
    );
  });

  it('refuses a schema that does not compile', () => {
    expect(() => parseDescribe({ commands: [{ name: 'go', inputSchema: { type: 'object', properties: { a: { type: 'nonsense' } } }, parameters: [{ name: 'a' }] }] })).toThrow(
      /commands\[0\]\.inputSchema is not a usable JSON Schema/,
    );
  });
});
