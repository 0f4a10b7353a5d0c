import { isPlainObject, stringifyExact } from '@sanctum/protocol';
import type { ParameterSpec } from '@sanctum/protocol';
import { isInexactInteger } from './validate';

/** Arguments as an agent sent them, keyed by the canonical parameter name. */
export type ToolArguments = Record<string, unknown>;

/** Hyphen and underscore spellings of a key name the same parameter (`msg_id` == `msg-id`). */
export function keyFor(name: string): string {
  return name.replace(/_/g, '-').toLowerCase();
}

export interface NormalizedArguments {
  /** Arguments keyed by the parameter's declared name. */
  values: ToolArguments;
  /** Keys that match no declared parameter. */
  unknown: string[];
  /** Parameters given twice under different spellings. */
  duplicates: string[];
}

/**
 * A number or boolean as its JSON text; a bigint (an integer beyond 2^53, see parsePayload) as its
 * digits. Anything else as it is, and so is an integer beyond 2^53 that arrived as a double: its
 * text may not be what the client sent, and validateArguments refuses it.
 */
function scalarAsText(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean' || (typeof value === 'number' && !isInexactInteger(value))) return JSON.stringify(value);
  return value;
}

/**
 * A number or boolean for a string parameter (or for a string item of an array parameter) as its
 * JSON text: the command line carries only text, so `12345678` and `"12345678"` reach the plugin
 * alike, and so do `123456789012345678901234567890` and its string. Parameters learned from
 * `--help` are strings (argparse help has no types) while clients and models send numbers.
 * Objects and arrays are left alone, so validation still refuses them.
 */
function asCommandLineText(param: ParameterSpec, value: unknown): unknown {
  if (param.type === 'string') return scalarAsText(value);
  if (param.type === 'array' && Array.isArray(value) && param.items?.type === 'string') return value.map(scalarAsText);
  return value;
}

/**
 * Map the caller's keys onto declared parameters (hyphen/underscore insensitive), undo Letta's
 * habit of wrapping an array argument as `{"item": x}` or `{"item": [x, ...]}`, and give a string
 * parameter sent as a number or boolean its JSON text (see asCommandLineText). Provider tools do
 * not come here: they get the values as sent, checked by validateArguments alone.
 */
export function normalizeArguments(parameters: readonly ParameterSpec[], args: ToolArguments): NormalizedArguments {
  const byKey = new Map(parameters.map((p) => [keyFor(p.name), p] as const));
  // No prototype: a parameter may be called `constructor` or `toString`.
  const values: ToolArguments = Object.create(null) as ToolArguments;
  const unknown: string[] = [];
  const duplicates: string[] = [];
  for (const [key, raw] of Object.entries(args)) {
    const param = byKey.get(keyFor(key));
    if (!param) {
      unknown.push(key);
      continue;
    }
    if (Object.hasOwn(values, param.name)) {
      duplicates.push(param.name);
      continue;
    }
    let value = raw;
    if (param.type === 'array' && isPlainObject(value) && Object.keys(value).length === 1 && 'item' in value) {
      const inner = value['item'];
      value = Array.isArray(inner) ? inner : [inner];
    }
    values[param.name] = asCommandLineText(param, value);
  }
  return { values, unknown, duplicates };
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return stringifyExact(value);
}

function optionName(param: ParameterSpec): string {
  return param.flag ?? `--${param.name}`;
}

/**
 * Render validated arguments as argv for `cli <command> ...`. Options always use the
 * `--name=value` form, so a value that starts with `-` can never be read as an option.
 * Positionals follow a `--` separator for the same reason.
 */
export function renderArgv(command: string, parameters: readonly ParameterSpec[], values: ToolArguments): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (const param of parameters) {
    const value = Object.hasOwn(values, param.name) ? values[param.name] : undefined;
    if (value === undefined || value === null) continue;
    if (param.positional) {
      if (Array.isArray(value)) positionals.push(...value.filter((v) => v !== null).map(scalarText));
      else positionals.push(scalarText(value));
      continue;
    }
    const flag = optionName(param);
    if (param.type === 'boolean' && param.booleanStyle !== 'value') {
      if (value === true) options.push(flag);
      continue;
    }
    if (Array.isArray(value)) {
      const structured = value.some((v) => typeof v === 'object' && v !== null);
      if (structured) options.push(`${flag}=${stringifyExact(value)}`);
      else for (const item of value) if (item !== null) options.push(`${flag}=${scalarText(item)}`);
      continue;
    }
    options.push(`${flag}=${scalarText(value)}`);
  }
  return positionals.length > 0 ? [command, ...options, '--', ...positionals] : [command, ...options];
}
