import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ObjectSchema } from '@sanctum/protocol';

const options = { allErrors: true, strict: false, coerceTypes: false, useDefaults: false } as const;
const ajv = new Ajv(options);
/** Schemas a plugin declares verbatim may be JSON Schema 2020-12 (`$schema` says so). */
const ajv2020 = new Ajv2020(options);
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;
const compiled = new WeakMap<ObjectSchema, ValidateFunction>();

function describe(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = path.length > 0 ? `'${path.join('.')}'` : 'arguments';
  switch (error.keyword) {
    case 'required':
      return `missing required argument '${String(error.params['missingProperty'])}'`;
    case 'additionalProperties':
      return `unknown argument '${String(error.params['additionalProperty'])}'`;
    case 'type':
      return `${field} must be ${String(error.params['type'])}`;
    case 'enum':
      return `${field} must be one of ${JSON.stringify(error.params['allowedValues'])}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Validate arguments against a tool's input schema; returns readable problems, empty when valid.
 * Strict (no coercion): a plugin's string parameter sent as a number has already become its text in
 * normalizeArguments, while a provider tool gets its values as sent, so they must match as declared.
 */
export function validateArguments(schema: ObjectSchema, args: Record<string, unknown>): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = (typeof schema['$schema'] === 'string' && DRAFT_2020.test(schema['$schema']) ? ajv2020 : ajv).compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(args)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}
