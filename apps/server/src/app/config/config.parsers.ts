import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './config.error';

export type Env = Readonly<Record<string, string | undefined>>;

/** What a parser or a computed default may look at besides the variable's own value. */
export interface ConfigContext {
  /** Relative paths are resolved against it. */
  readonly cwd: string;
  /** A variable's value, trimmed; undefined when unset or blank. */
  read(name: string): string | undefined;
  /** The variable is set, but empty or only blanks. */
  isBlank(name: string): boolean;
}

export function contextOf(env: Env, cwd: string): ConfigContext {
  return {
    cwd,
    read(name) {
      const value = env[name]?.trim();
      return value === '' ? undefined : value;
    },
    isBlank: (name) => env[name]?.trim() === '',
  };
}

/** Turns a variable's trimmed, non-empty value into what the gateway uses, or throws a ConfigError naming it. */
export interface Parser<T> {
  /** Short kind for the docs: integer, seconds, flag, list, ... */
  readonly type: string;
  /** What is accepted, in the words of the ConfigError message ("expected ..."). */
  readonly accepts: string;
  /** Every value is accepted: there is nothing to reject. */
  readonly acceptsAnything?: true;
  parse(raw: string, name: string, ctx: ConfigContext): T;
}

const DIGITS = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** Whole numbers from min to max; signs, fractions and exponents are refused. */
export function integer(min: number, max: number, accepts: string): Parser<number> {
  return {
    type: 'integer',
    accepts,
    parse(raw, name) {
      if (!DIGITS.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(name, raw, accepts);
      return Number(raw);
    },
  };
}

/** Seconds (fractions allowed) read as whole milliseconds; optional bounds in ms. */
export function seconds(accepts: string, bounds: { aboveMs?: number; atMostMs?: number } = {}): Parser<number> {
  return {
    type: 'seconds',
    accepts,
    parse(raw, name) {
      if (!DECIMAL.test(raw)) throw new ConfigError(name, raw, accepts);
      const ms = Math.round(Number(raw) * 1000);
      if ((bounds.aboveMs !== undefined && ms <= bounds.aboveMs) || (bounds.atMostMs !== undefined && ms > bounds.atMostMs)) {
        throw new ConfigError(name, raw, accepts);
      }
      return ms;
    },
  };
}

const ON = ['1', 'true', 'yes'];
const OFF = ['0', 'false', 'no'];

export function flag(): Parser<boolean> {
  const accepts = '1 (on) or 0 (off)';
  return {
    type: 'flag',
    accepts,
    parse(raw, name) {
      const value = raw.toLowerCase();
      if (ON.includes(value)) return true;
      if (OFF.includes(value)) return false;
      throw new ConfigError(name, value, accepts);
    },
  };
}

/** A flag read outside the configuration loader that never refuses a value: only these words turn it off. */
export function offWords(words: readonly string[]): Parser<boolean> {
  return {
    type: 'flag',
    accepts: `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]} turn it off; any other value leaves it on`,
    acceptsAnything: true,
    parse: (raw) => !words.includes(raw.toLowerCase()),
  };
}

/** Case-insensitive choice among values. */
export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  const accepts = `one of ${values.join(', ')}`;
  const isValue = (value: string): value is T => (values as readonly string[]).includes(value);
  return {
    type: 'one of',
    accepts,
    parse(raw, name) {
      const value = raw.toLowerCase();
      if (!isValue(value)) throw new ConfigError(name, value, accepts);
      return value;
    },
  };
}

/** Comma-separated items, blanks skipped; each must match the pattern (the message names the first that does not). */
export function list(pattern: RegExp, accepts: string, map: (item: string) => string = (item) => item): Parser<string[]> {
  return {
    type: 'list',
    accepts,
    parse(raw, name) {
      const items = splitList(raw);
      // Only commas: as empty as an empty value.
      if (items.length === 0) throw new ConfigError(name, raw, accepts);
      for (const item of items) if (!pattern.test(item)) throw new ConfigError(name, item, accepts);
      return items.map(map);
    },
  };
}

export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Any single value, taken as given. */
export function text(accepts: string): Parser<string> {
  return { type: 'text', accepts, acceptsAnything: true, parse: (raw) => raw };
}

/** A single value that must pass a rule; `shown` is what the message repeats of it (a secret is not repeated). */
export function checked(
  accepts: string,
  accept: (value: string) => boolean,
  shown: (value: string) => string = (value) => value,
): Parser<string> {
  return {
    type: 'text',
    accepts,
    parse(raw, name) {
      if (!accept(raw)) throw new ConfigError(name, shown(raw), accepts);
      return raw;
    },
  };
}

/** Any path: absolute as given, relative against the working directory. */
export function path(accepts = 'a file or folder path, absolute or relative to the working directory'): Parser<string> {
  return { type: 'path', accepts, acceptsAnything: true, parse: (raw, _name, ctx) => resolvePath(raw, ctx) };
}

export function resolvePath(value: string, ctx: ConfigContext): string {
  return isAbsolute(value) ? value : resolve(ctx.cwd, value);
}
