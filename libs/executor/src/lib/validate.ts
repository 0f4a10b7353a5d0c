import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isPlainObject } from '@sanctum/protocol';
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
 * An integer beyond Number.MAX_SAFE_INTEGER held as a double. parsePayload reads such an integer
 * written in plain digits as a bigint, so a double this large was written with an exponent or a
 * fraction (`1e25`, `123456789012345678901234567890.0`) and its digits may not be the client's.
 */
export function isInexactInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

interface InexactInteger {
  /** JSON Pointer of the value, as Ajv's instancePath. */
  pointer: string;
  problem: string;
}

function typesOf(schema: unknown): unknown[] {
  const type = isPlainObject(schema) ? schema['type'] : undefined;
  return Array.isArray(type) ? type : [type];
}

/**
 * Integers beyond 2^53 held as doubles where the schema wants an integer or a string (a number
 * parameter takes a double as it is): the plugin would get digits the client did not send.
 */
function inexactIntegers(schema: unknown, value: unknown, path: string[], found: InexactInteger[]): InexactInteger[] {
  if (isInexactInteger(value)) {
    const types = typesOf(schema);
    if ((types.includes('integer') || types.includes('string')) && !types.includes('number')) {
      found.push({
        pointer: path.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''),
        problem:
          `'${path.join('.')}' is ${String(value)}: an integer beyond ${Number.MAX_SAFE_INTEGER} written with an exponent or a fraction ` +
          'cannot be passed on exactly; send it in plain digits',
      });
    }
  } else if (Array.isArray(value)) {
    const items = isPlainObject(schema) ? schema['items'] : undefined;
    value.forEach((item, i) => inexactIntegers(items, item, [...path, String(i)], found));
  } else if (isPlainObject(value)) {
    const properties = isPlainObject(schema) && isPlainObject(schema['properties']) ? schema['properties'] : {};
    for (const [key, child] of Object.entries(value)) inexactIntegers(properties[key], child, [...path, key], found);
  }
  return found;
}

/** `value` with every bigint as the nearest double, for Ajv (whose number and integer checks want a number); itself when it holds none. */
function withDoubles(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) {
    const items = value.map(withDoubles);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, child]) => [key, withDoubles(child)] as const);
    return entries.some(([key, child]) => child !== value[key]) ? Object.fromEntries(entries) : value;
  }
  return value;
}

/**
 * Validate arguments against a tool's input schema; returns readable problems, empty when valid.
 * Strict (no coercion): a plugin's string parameter sent as a number has already become its text in
 * normalizeArguments, while a provider tool gets its values as sent, so they must match as declared.
 * A bigint (an integer beyond 2^53, exact) is checked as the nearest double and passed on as it is;
 * an integer beyond 2^53 held as a double is refused where an integer or a string is wanted.
 */
export function validateArguments(schema: ObjectSchema, args: Record<string, unknown>): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = (typeof schema['$schema'] === 'string' && DRAFT_2020.test(schema['$schema']) ? ajv2020 : ajv).compile(schema);
    compiled.set(schema, validate);
  }
  const inexact = inexactIntegers(schema, args, [], []);
  if (validate(withDoubles(args)) && inexact.length === 0) return [];
  // An inexact integer is reported once, as itself (not also as "must be string").
  const covered = (pointer: string): boolean => inexact.some((i) => pointer === i.pointer || pointer.startsWith(`${i.pointer}/`));
  const errors = (validate.errors ?? []).filter((error) => !covered(error.instancePath));
  return [...new Set([...inexact.map((i) => i.problem), ...errors.map(describe)])];
}
