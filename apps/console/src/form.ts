/**
 * The "try it" form of a tool, generated from its input schema (JSON Schema, an object schema as
 * MCP requires): one field per property, and the values read back as the call's arguments.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  /** The schema's default, as the field's text (JSON for `json` fields). */
  defaultText?: string;
  /** `enum` fields: the allowed values. */
  options?: unknown[];
  /** `json` fields: the JSON type the value must have (`array`, `object` or any). */
  jsonType?: 'array' | 'object' | 'any';
}

/** What a field holds: its text, or for a boolean `true`, `false` or '' (not sent). */
export type FieldValue = string;

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

function typeOf(schema: Schema): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  return undefined;
}

export function fieldsOf(inputSchema: unknown): Field[] {
  if (!isObject(inputSchema) || !isObject(inputSchema['properties'])) return [];
  const required = new Set(
    Array.isArray(inputSchema['required']) ? inputSchema['required'].filter((r): r is string => typeof r === 'string') : [],
  );
  return Object.entries(inputSchema['properties']).map(([name, raw]): Field => {
    const schema = isObject(raw) ? raw : {};
    const field: Field = { name, kind: 'json', required: required.has(name) };
    if (typeof schema['description'] === 'string') field.description = schema['description'];
    const type = typeOf(schema);
    if (Array.isArray(schema['enum'])) {
      field.kind = 'enum';
      field.options = schema['enum'];
    } else if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') {
      field.kind = type;
    } else {
      field.jsonType = type === 'array' || type === 'object' ? type : 'any';
    }
    if ('default' in schema) {
      const value = schema['default'];
      field.defaultText = field.kind === 'json' || typeof value !== 'string' ? JSON.stringify(value) : value;
    }
    return field;
  });
}

/** The fields' starting values: their defaults, else empty. */
export function initialValues(fields: readonly Field[]): Record<string, FieldValue> {
  return Object.fromEntries(fields.map((f) => [f.name, f.defaultText ?? '']));
}

export type ArgumentsResult = { ok: true; arguments: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/**
 * The call's arguments from the fields' values: an empty optional field is left out, an empty
 * required one is an error, numbers and JSON must parse, an enum value must be one of its options.
 */
export function argumentsOf(fields: readonly Field[], values: Readonly<Record<string, FieldValue>>): ArgumentsResult {
  const args: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const text = (values[field.name] ?? '').trim();
    if (text === '') {
      if (field.required) errors[field.name] = 'required';
      continue;
    }
    switch (field.kind) {
      case 'string':
        args[field.name] = values[field.name];
        break;
      case 'boolean':
        if (text !== 'true' && text !== 'false') errors[field.name] = 'true or false';
        else args[field.name] = text === 'true';
        break;
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (!Number.isFinite(n)) errors[field.name] = 'a number';
        else if (field.kind === 'integer' && !Number.isInteger(n)) errors[field.name] = 'a whole number';
        else args[field.name] = n;
        break;
      }
      case 'enum': {
        const option = (field.options ?? []).find((o) => String(o) === text);
        if (option === undefined) errors[field.name] = `one of ${(field.options ?? []).map(String).join(', ')}`;
        else args[field.name] = option;
        break;
      }
      case 'json': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          errors[field.name] = 'valid JSON';
          break;
        }
        if (field.jsonType === 'array' && !Array.isArray(parsed)) errors[field.name] = 'a JSON array, e.g. ["a", "b"]';
        else if (field.jsonType === 'object' && !isObject(parsed)) errors[field.name] = 'a JSON object, e.g. {"key": "value"}';
        else args[field.name] = parsed;
        break;
      }
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, arguments: args };
}
