import type { JsonSchema, ObjectSchema, ParameterSpec, ParameterType } from '@sanctum/protocol';

const TYPES: ReadonlySet<string> = new Set<ParameterType>(['string', 'integer', 'number', 'boolean', 'array', 'object']);

/** The plugin's own help text, or a generated one so that every property is described. */
function describe(parameter: ParameterSpec): string {
  const given = typeof parameter.description === 'string' ? parameter.description.trim() : '';
  if (given !== '') return given;
  if (parameter.positional) return `Value for the positional argument ${parameter.name}`;
  const flag = parameter.flag ?? parameter.name;
  if (parameter.type === 'boolean' && parameter.booleanStyle !== 'value') return `Set to true to pass ${flag}`;
  return `Value for ${flag}`;
}

function propertySchema(parameter: ParameterSpec): JsonSchema {
  const type: ParameterType = TYPES.has(parameter.type) ? parameter.type : 'string';
  const schema: JsonSchema = { ...(parameter.schema ?? {}), type, description: describe(parameter) };
  const choices = Array.isArray(parameter.enum) && parameter.enum.length > 0 ? [...parameter.enum] : undefined;
  if (type === 'array') {
    const items: JsonSchema = parameter.items && typeof parameter.items === 'object' ? { ...parameter.items } : { type: 'string' };
    // An enum on an array parameter lists the allowed elements (a whole-array enum would only
    // accept those exact arrays), so it moves to the items unless they have their own.
    if (choices && items.enum === undefined) items.enum = choices;
    schema.items = items;
  } else if (choices) {
    schema.enum = choices;
  }
  if (parameter.default !== undefined) schema.default = parameter.default;
  return schema;
}

/**
 * JSON Schema for a tool's arguments: type object, properties with descriptions, required,
 * additionalProperties false.
 *
 * `required` is always present, `[]` when nothing is required, so that every tool's schema has
 * the same shape. When two parameters share a name the first one wins.
 */
export function buildInputSchema(parameters: ParameterSpec[]): ObjectSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const parameter of Array.isArray(parameters) ? parameters : []) {
    if (!parameter || typeof parameter.name !== 'string' || parameter.name === '' || Object.hasOwn(properties, parameter.name)) continue;
    // defineProperty: a name such as `__proto__` must become a property, not a prototype.
    Object.defineProperty(properties, parameter.name, { value: propertySchema(parameter), enumerable: true, writable: true, configurable: true });
    if (parameter.required === true) required.push(parameter.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
