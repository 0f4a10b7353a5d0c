import { isPlainObject } from './jsonrpc';

/** A progress token: a string or a number; a bigint for an integer beyond 2^53 (see parsePayload). */
export type ProgressToken = string | number | bigint;

/**
 * The `_meta.progressToken` of a request's params, present when the client asked for progress
 * notifications of that request; undefined otherwise.
 */
export function progressTokenOf(params: Record<string, unknown> | undefined): ProgressToken | undefined {
  const meta = params?.['_meta'];
  const token = isPlainObject(meta) ? meta['progressToken'] : undefined;
  return typeof token === 'string' || typeof token === 'number' || typeof token === 'bigint' ? token : undefined;
}
