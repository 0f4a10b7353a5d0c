import { isPlainObject } from './jsonrpc';

/**
 * The `_meta.progressToken` of a request's params (a string or a number), present when the client
 * asked for progress notifications of that request; undefined otherwise.
 */
export function progressTokenOf(params: Record<string, unknown> | undefined): string | number | undefined {
  const meta = params?.['_meta'];
  const token = isPlainObject(meta) ? meta['progressToken'] : undefined;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}
