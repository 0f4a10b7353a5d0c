// Percentiles and number formatting.

/**
 * Nearest-rank percentile of a sample (p in 0..100); NaN for an empty sample.
 * @param {ArrayLike<number>} values
 * @param {number} p
 * @returns {number}
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  return percentile(values, 50);
}

/**
 * @param {number[]} values
 * @returns {{n: number, p50: number, p99: number, mean: number, max: number}}
 */
export function summary(values) {
  const n = values.length;
  const mean = n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n;
  return { n, p50: percentile(values, 50), p99: percentile(values, 99), mean, max: n === 0 ? Number.NaN : Math.max(...values) };
}

/**
 * Milliseconds with a precision that suits their size.
 * @param {number} ms
 * @returns {string}
 */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return 'n/a';
  const size = Math.abs(ms);
  if (size < 1) return `${ms.toFixed(3)} ms`;
  if (size < 10) return `${ms.toFixed(2)} ms`;
  if (size < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * @param {number} n
 * @param {number} [digits]
 * @returns {string}
 */
export function fmtNum(n, digits = 0) {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * @param {number} bytes
 * @returns {string}
 */
export function fmtMB(bytes) {
  if (!Number.isFinite(bytes)) return 'n/a';
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * @param {number} ratio
 * @returns {string}
 */
export function fmtRatio(ratio) {
  if (!Number.isFinite(ratio)) return 'n/a';
  return `${ratio.toFixed(2)}x`;
}
