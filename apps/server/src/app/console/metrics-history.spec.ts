import { quantile, seriesOf } from './metrics-history';
import type { MetricsSnapshot } from './metrics-history';

describe('quantile (as histogram_quantile)', () => {
  const buckets: Array<[number, number]> = [
    [0.01, 0],
    [0.1, 50],
    [1, 100],
    [Infinity, 100],
  ];

  it('interpolates inside the bucket that holds the rank', () => {
    expect(quantile(buckets, 0.5)).toBeCloseTo(0.1);
    expect(quantile(buckets, 0.25)).toBeCloseTo(0.055);
    expect(quantile(buckets, 0.75)).toBeCloseTo(0.55);
  });

  it('answers the last finite bound when the rank falls in +Inf, and null without observations', () => {
    expect(
      quantile(
        [
          [0.1, 1],
          [Infinity, 10],
        ],
        0.99,
      ),
    ).toBe(0.1);
    expect(quantile([], 0.5)).toBeNull();
    expect(
      quantile(
        [
          [0.1, 0],
          [Infinity, 0],
        ],
        0.5,
      ),
    ).toBeNull();
  });
});

describe('seriesOf', () => {
  const snap = (at: number, ok: number, failed: number, under100ms: number, sessions: number): MetricsSnapshot => ({
    at,
    calls: { ok, plugin_error: failed },
    buckets: [
      [0.1, under100ms],
      [Infinity, ok + failed],
    ],
    sessions,
  });

  it('turns cumulative snapshots into calls per interval by outcome, percentiles and sessions', () => {
    const series = seriesOf([snap(0, 0, 0, 0, 1), snap(60_000, 10, 2, 12, 3), snap(120_000, 10, 2, 12, 2)]);
    expect(series.times).toEqual([60_000, 120_000]);
    expect(series.calls).toEqual({ ok: [10, 0], plugin_error: [2, 0] });
    expect(series.p50[0]).toBe(50);
    expect(series.p50[1]).toBeNull();
    expect(series.sessions).toEqual([3, 2]);
  });

  it('counts an outcome first seen after the first snapshot from zero', () => {
    const first: MetricsSnapshot = { at: 0, calls: {}, buckets: [], sessions: 0 };
    const series = seriesOf([first, snap(60_000, 4, 1, 5, 0)]);
    expect(series.calls).toEqual({ ok: [4], plugin_error: [1] });
  });
});
