import { LosslessNumber, isLosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';

/*
 * Numbers read and written exactly.
 *
 * JSON.parse reads every number as a double: `123456789012345678901234567890` becomes
 * 1.2345678901234568e+29, `-0` and `1e3` come back from JSON.stringify as `0` and `1000`. The
 * gateway echoes request ids as sent and passes integer arguments to plugins digit for digit, so
 * a text is read in one of two ways, decided by one pass over its number literals (`exactness`):
 *
 * - every literal is what JSON.stringify writes for its value (the common case: small integers,
 *   short decimals): JSON.parse, nothing else;
 * - otherwise the text is read again by lossless-json, with `exactNumber` for each literal: an
 *   integer written in plain digits beyond Number.MAX_SAFE_INTEGER becomes a bigint (its exact
 *   value, written back as the same digits by `stringifyExact`); any other literal JSON.stringify
 *   would not give back (`-0`, `1e3`, `1.50`, a decimal with more digits than a double holds) is
 *   an InexactNumber (lossless-json's LosslessNumber, holding the literal's text), for the caller
 *   to refuse where exactness is owed (an id) and to read as JSON.parse would everywhere else.
 */

/** A number literal JSON.parse would read as a double that JSON.stringify does not write back as the same text. */
export type InexactNumber = LosslessNumber;

export const isInexactNumber: (value: unknown) => value is InexactNumber = isLosslessNumber;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** The most digits of an integer that is always a safe integer (Number.MAX_SAFE_INTEGER has 16). */
const ALWAYS_SAFE_DIGITS = 15;

/** An integer in plain digits: an optional minus, then digits (JSON allows no leading zero). */
const PLAIN_INTEGER = /^-?\d+$/;

/**
 * What a literal becomes: a number when JSON.stringify writes it back as the same text, a bigint
 * for an integer in plain digits beyond the safe range, an InexactNumber otherwise.
 */
export function exactNumber(literal: string): number | bigint | InexactNumber {
  const value = Number(literal);
  if (PLAIN_INTEGER.test(literal)) {
    if (literal === '-0') return new LosslessNumber(literal);
    return Number.isSafeInteger(value) ? value : BigInt(literal);
  }
  return String(value) === literal ? value : new LosslessNumber(literal);
}

/** Index just past the closing quote of the string whose content starts at `from`. */
function endOfString(text: string, from: number): number {
  let at = from;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let k = quote - 1; k >= from && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/**
 * Whether JSON.parse reads `text` exactly: true when every number literal of it (outside
 * strings) is one that `exactNumber` keeps as a number. Meant for text JSON.parse accepted. One
 * pass; strings are skipped with indexOf, and a literal is converted only when it is not a plain
 * integer of at most 15 digits.
 */
export function parsesExactly(text: string): boolean {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i + 1);
      continue;
    }
    if (c !== MINUS && (c < ZERO || c > NINE)) {
      i++;
      continue;
    }
    const start = i;
    let plain = true;
    for (i++; i < length; i++) {
      const d = text.charCodeAt(i);
      if (d >= ZERO && d <= NINE) continue;
      if (d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS) plain = false;
      else break;
    }
    const digits = c === MINUS ? i - start - 1 : i - start;
    const negativeZero = c === MINUS && i - start === 2 && text.charCodeAt(start + 1) === ZERO;
    if (plain && digits <= ALWAYS_SAFE_DIGITS && !negativeZero) continue;
    if (typeof exactNumber(text.slice(start, i)) !== 'number') return false;
  }
  return true;
}

/**
 * `text` (valid JSON) read with every number as `exactNumber` makes it. Duplicate keys keep the
 * last value, as JSON.parse does. Recursive: call it on text whose nesting is known to be bounded.
 */
export function parseExact(text: string): unknown {
  return parseLossless(text, null, { parseNumber: exactNumber, onDuplicateKey: ({ newValue }) => newValue });
}

/** An InexactNumber read as JSON.parse reads it (a double). */
export function inexactValue(value: InexactNumber): number {
  return Number(value.toString());
}

/**
 * JSON.stringify, and bigints written as their digits (JSON.stringify throws on them): the one
 * way the gateway writes JSON it sends. A value without a bigint costs one JSON.stringify. `space`
 * indents as JSON.stringify's does (tool results' pretty text).
 */
export function stringifyExact(value: unknown, space?: number): string {
  try {
    return JSON.stringify(value, null, space);
  } catch (err) {
    // "Do not know how to serialize a BigInt". A cycle is a TypeError too: its error is the one thrown.
    if (!(err instanceof TypeError)) throw err;
    try {
      return stringifyLossless(value, undefined, space) as string;
    } catch {
      throw err;
    }
  }
}
