// autocannon runs with per-response latencies kept at full precision (autocannon's own
// histogram records whole milliseconds, too coarse for sub-millisecond protocol calls).
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { percentile } from './stats.mjs';

/**
 * @typedef {object} LoadResult
 * @property {number} rps 2xx responses per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} ok 2xx responses
 * @property {number} non2xx
 * @property {number} errors connection errors
 * @property {number} timeouts
 * @property {number} durationS
 * @property {number} bytesPerResponse mean response size (headers and body)
 * @property {number[]} [latencies] kept only until merged
 */

/**
 * POST `body` to `url` with `connections` keep-alive connections for `durationS` seconds.
 * `[<id>]` in the body is replaced by a unique id per request (JSON-RPC ids must not repeat).
 * @param {{url: string, headers: Record<string, string>, body: string, connections: number, durationS: number}} options
 * @returns {Promise<LoadResult>}
 */
export function post(options) {
  return new Promise((resolve, reject) => {
    /** @type {number[]} */
    const latencies = [];
    let bytes = 0;
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        idReplacement: options.body.includes('[<id>]'),
        connections: options.connections,
        pipelining: 1,
        duration: options.durationS,
        timeout: 10,
        bailout: 1000,
      },
      (/** @type {Error | null} */ err, /** @type {any} */ result) => {
        if (err) {
          reject(err);
          return;
        }
        const ok = result['2xx'];
        resolve({
          rps: ok / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS: result.duration,
          bytesPerResponse: latencies.length ? bytes / latencies.length : Number.NaN,
          latencies,
        });
      },
    );
    /** @type {(client: unknown, statusCode: number, resBytes: number, responseTime: number) => void} */
    const onResponse = (_client, statusCode, resBytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(responseTime);
        bytes += resBytes;
      }
    };
    instance.on('response', onResponse);
  });
}

/**
 * Merge several runs of the same case (rounds): rates are summed over time, latencies pooled.
 * @param {LoadResult[]} runs
 * @returns {LoadResult & {rounds: number[]}}
 */
export function merge(runs) {
  const latencies = runs.flatMap((r) => r.latencies ?? []);
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const durationS = runs.reduce((a, r) => a + r.durationS, 0);
  const merged = {
    rps: ok / durationS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok,
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    timeouts: runs.reduce((a, r) => a + r.timeouts, 0),
    durationS,
    bytesPerResponse: runs.reduce((a, r) => a + r.bytesPerResponse, 0) / runs.length,
    rounds: runs.map((r) => Math.round(r.rps)),
  };
  for (const r of runs) delete r.latencies;
  return merged;
}
