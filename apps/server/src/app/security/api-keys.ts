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

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1].trim();
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}
