import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { SessionBus } from '@sanctum/sessions';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The shared session store's figures (MCP_REDIS_URL): how long an append to Redis takes (the
 * bus latency), how long an entry waits before the instance holding its stream delivers it
 * (the stream lag), calls of stopped instances answered here, late results not sent, Redis
 * errors, whether Redis answers, and sessions of all instances.
 */
export function registerSharedStoreMetrics(registry: Registry, bus: SessionBus): void {
  const registers = [registry];
  const append = new Histogram({
    name: 'mcp_bus_append_seconds',
    help: 'Round trip of one append to a session stream in Redis (message, priming or end entry).',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const lag = new Histogram({
    name: 'mcp_bus_stream_lag_seconds',
    help: "Time from an entry's append to its delivery by the instance holding the client's stream (entry id clock; needs synchronised clocks across hosts).",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const reaped = new Counter({
    name: 'mcp_bus_reaped_calls_total',
    help: 'Calls of a stopped instance (no heartbeat) answered by this one with a -32603 error.',
    registers,
  });
  const late = new Counter({
    name: 'mcp_bus_late_results_dropped_total',
    help: 'Final responses not sent because the call had already been answered as stopped (this instance was taken for dead).',
    registers,
  });
  const errors = new Counter({ name: 'mcp_bus_redis_errors_total', help: 'Redis errors: connections lost, commands failed.', registers });
  reaped.inc(0);
  late.inc(0);
  errors.inc(0);
  bus.observer = {
    appended: (seconds) => append.observe(seconds),
    delivered: (seconds) => lag.observe(seconds),
    reaped: (calls) => reaped.inc(calls),
    lateResultDropped: () => late.inc(),
    failed: () => errors.inc(),
  };
  new Gauge({
    name: 'mcp_bus_redis_up',
    help: '1 while Redis (MCP_REDIS_URL) answers, else 0.',
    registers,
    collect() {
      this.set(bus.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcp_sessions_all_instances',
    help: 'Open sessions of every live instance, as of the last heartbeat (mcp_sessions_open counts this instance).',
    registers,
    collect() {
      this.set(bus.sessionsEverywhere);
    },
  });
  new Gauge({
    name: 'mcp_bus_streams_held',
    help: 'Sessions whose stream entries this instance delivers (HTTP+SSE streams opened here, GET streams and resumed POST streams held here).',
    registers,
    collect() {
      this.set(bus.holdingCount);
    },
  });
}
