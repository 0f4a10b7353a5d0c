import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { ChartSeries } from './api';

const OUTCOME_COLORS: Record<string, string> = {
  ok: '#2e7d32',
  invalid_arguments: '#f9a825',
  plugin_error: '#c62828',
  timeout: '#6a1b9a',
  cancelled: '#546e7a',
  busy: '#ef6c00',
  internal_error: '#ad1457',
  error: '#d84315',
};

const HOUR_S = 3600;

interface Line {
  label: string;
  color: string;
  values: Array<number | null>;
}

/** One uPlot chart over the per-minute times; rebuilt when its data change. */
function Chart({ id, title, unit, times, lines }: { id: string; title: string; unit: string; times: number[]; lines: Line[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const end = (times.at(-1) ?? Date.now()) / 1000;
    const options: uPlot.Options = {
      title,
      width: Math.max(320, el.clientWidth || 640),
      height: 220,
      scales: {
        // Always the last hour, whatever the number of points so far.
        x: { time: true, range: () => [end - HOUR_S, end + 30] },
        y: { range: (_u, min, max) => [0, Math.max(1, max ?? 0, min ?? 0) * 1.1] },
      },
      axes: [{}, { label: unit }],
      series: [
        {},
        ...lines.map((line) => ({ label: line.label, stroke: line.color, width: 2, points: { show: true, size: 6, fill: line.color } })),
      ],
    };
    const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...lines.map((line) => line.values)];
    const chart = new uPlot(options, data, el);
    return () => chart.destroy();
  }, [title, unit, times, lines]);
  return <div class="chart" id={id} ref={box} data-points={times.length} />;
}

/** Calls per minute by outcome, latency percentiles, sessions: the last hour from the gateway's metrics. */
export function Charts({ charts }: { charts: ChartSeries }) {
  const { callLines, latencyLines, sessionLines } = useMemo(
    () => ({
      callLines: Object.keys(charts.calls)
        .sort()
        .map((outcome): Line => ({ label: outcome, color: OUTCOME_COLORS[outcome] ?? '#455a64', values: charts.calls[outcome] })),
      latencyLines: [
        { label: 'p50', color: '#1565c0', values: charts.p50 },
        { label: 'p95', color: '#ef6c00', values: charts.p95 },
        { label: 'p99', color: '#c62828', values: charts.p99 },
      ],
      sessionLines: [{ label: 'sessions', color: '#00695c', values: charts.sessions }],
    }),
    [charts],
  );
  return (
    <div class="charts">
      <Chart id="chart-calls" title="Calls per minute by outcome" unit="calls" times={charts.times} lines={callLines} />
      <Chart id="chart-latency" title="Call latency percentiles (ms)" unit="ms" times={charts.times} lines={latencyLines} />
      <Chart id="chart-sessions" title="Open sessions" unit="sessions" times={charts.times} lines={sessionLines} />
      <p class="hint">
        One point per minute over the last hour (the last one is the minute in progress), from the gateway's own metrics
        (mcp_tool_calls_total, mcp_tool_call_duration_seconds, open sessions).
      </p>
    </div>
  );
}
