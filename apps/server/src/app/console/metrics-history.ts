import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SessionRegistry } from '@sanctum/sessions';
import type { ChartSeries } from '@sanctum/console-api';
import { MetricsService } from '../metrics/metrics.service';

/** One point per minute, an hour of them: what the console's charts show. */
export const CHART_STEP_MS = 60_000;
export const CHART_POINTS = 60;

/** The gateway's own cumulative metrics at one moment. */
export interface MetricsSnapshot {
  at: number;
  /** Tool calls so far by outcome (summed over tools). */
  calls: Record<string, number>;
  /** The duration histogram summed over tools: [upper bound in seconds, cumulative count], +Inf last. */
  buckets: Array<[number, number]>;
  sessions: number;
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket as
 * Prometheus's histogram_quantile does; past the last finite bound, that bound.
 */
export function quantile(buckets: ReadonlyArray<readonly [number, number]>, q: number): number | null {
  const total = buckets.length === 0 ? 0 : buckets[buckets.length - 1][1];
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** What happened between two snapshots. */
export function intervalOf(
  from: MetricsSnapshot,
  to: MetricsSnapshot,
): { calls: Record<string, number>; buckets: Array<[number, number]> } {
  const calls: Record<string, number> = {};
  for (const [outcome, count] of Object.entries(to.calls)) {
    const delta = count - (from.calls[outcome] ?? 0);
    if (delta > 0) calls[outcome] = delta;
  }
  const buckets = to.buckets.map(([le, count], i): [number, number] => [le, count - (from.buckets[i]?.[1] ?? 0)]);
  return { calls, buckets };
}

/** Chart series from snapshots taken one step apart (the last may be "now"). */
export function seriesOf(snapshots: readonly MetricsSnapshot[], stepMs = CHART_STEP_MS): ChartSeries {
  const series: ChartSeries = { stepMs, times: [], calls: {}, p50: [], p95: [], p99: [], sessions: [] };
  const intervals = snapshots.slice(1).map((to, i) => ({ to, ...intervalOf(snapshots[i], to) }));
  const outcomes = new Set(intervals.flatMap((i) => Object.keys(i.calls)));
  for (const outcome of outcomes) series.calls[outcome] = [];
  for (const { to, calls, buckets } of intervals) {
    series.times.push(to.at);
    for (const outcome of outcomes) series.calls[outcome].push(calls[outcome] ?? 0);
    const ms = (q: number): number | null => {
      const value = quantile(buckets, q);
      return value === null ? null : Math.round(value * 1000 * 10) / 10;
    };
    series.p50.push(ms(0.5));
    series.p95.push(ms(0.95));
    series.p99.push(ms(0.99));
    series.sessions.push(to.sessions);
  }
  return series;
}

/**
 * Samples the gateway's own metrics (MetricsService's prom-client registry and the session
 * registry) once a minute and keeps an hour of snapshots, so that the console's charts read the
 * same numbers /metrics serves. Nothing runs per message.
 */
@Injectable()
export class MetricsHistory implements OnModuleInit, OnModuleDestroy {
  private readonly snapshots: MetricsSnapshot[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(SessionRegistry) private readonly sessions: SessionRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.snapshots.push(await this.snapshot());
    this.timer = setInterval(() => void this.sample(), CHART_STEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The last hour, per minute, with the minute in progress last. */
  async series(): Promise<ChartSeries> {
    return seriesOf([...this.snapshots, await this.snapshot()]);
  }

  private async sample(): Promise<void> {
    this.snapshots.push(await this.snapshot());
    if (this.snapshots.length > CHART_POINTS + 1) this.snapshots.shift();
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const [calls, duration] = await Promise.all([this.metrics.toolCalls.get(), this.metrics.toolDuration.get()]);
    const byOutcome: Record<string, number> = {};
    for (const { labels, value } of calls.values) {
      const outcome = String(labels['outcome']);
      byOutcome[outcome] = (byOutcome[outcome] ?? 0) + value;
    }
    const byBound = new Map<number, number>();
    for (const { labels, value, metricName } of duration.values) {
      if (metricName !== 'mcp_tool_call_duration_seconds_bucket') continue;
      const bound = (labels as Record<string, string | number | undefined>)['le'];
      const le = bound === '+Inf' ? Infinity : Number(bound);
      byBound.set(le, (byBound.get(le) ?? 0) + value);
    }
    const buckets = [...byBound.entries()].sort((a, b) => a[0] - b[0]);
    return { at: Date.now(), calls: byOutcome, buckets, sessions: this.sessions.count() };
  }
}
