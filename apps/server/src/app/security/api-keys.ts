import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../config/config';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Constant-time key lookup: every configured key is compared (as fixed-length digests), so the
 * time taken says nothing about which key, or how much of one, matched.
 */
export class ApiKeyVerifier {
  private readonly keys: Array<{ name: string; digest: Buffer }>;

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The name of the matching key, or undefined. */
  verify(candidate: string): string | undefined {
    const given = digest(candidate);
    let match: string | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(given, key.digest) && match === undefined) match = key.name;
    }
    return match;
  }
}

/** What a request presents: one key, or a header holding several different ones. */
export type PresentedKey = { key: string } | { several: 'Authorization' | 'X-API-Key' };

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>` (Authorization
 * first). A client may send a header twice with the same value (Letta Code does): Node joins a
 * repeated header's values with commas, and a key never holds one (a Bearer token cannot, and
 * MCP_API_KEYS separates keys with commas), so the values are split there. The same key repeated
 * is that key; different keys are `several`, refused rather than guessed.
 */
export function presentedKey(headers: Record<string, string | string[] | undefined>): PresentedKey | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const bearer = auth
      .split(',')
      .map((part) => /^Bearer\s+(\S+)$/i.exec(part.trim())?.[1])
      .filter((key): key is string => key !== undefined);
    if (bearer.length > 0) return oneOf(bearer, 'Authorization');
  }
  const header = headers['x-api-key'];
  if (typeof header !== 'string') return undefined;
  const keys = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return keys.length > 0 ? oneOf(keys, 'X-API-Key') : undefined;
}

function oneOf(keys: readonly string[], header: 'Authorization' | 'X-API-Key'): PresentedKey {
  return keys.every((key) => key === keys[0]) ? { key: keys[0] } : { several: header };
}
