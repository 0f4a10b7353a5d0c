import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ExecutorService } from '@sanctum/executor';
import { SessionBus, SessionRegistry, SseSinkFactory } from '@sanctum/sessions';
import { registerSharedStoreMetrics } from './shared-store.metrics';
import type { TransportKind } from '@sanctum/sessions';
import { ToolCatalogService } from '@sanctum/discovery';

/** Where a call ended: `ok`, or the stable error code of the tool result. */
export type CallOutcome = 'ok' | 'invalid_arguments' | 'plugin_error' | 'timeout' | 'cancelled' | 'internal_error' | 'busy' | 'missing_capability' | 'input_required' | 'error';

/** How a resources/read, prompts/get or completion/complete that ran its source ended. */
export type ContentOutcome = Exclude<CallOutcome, 'error'>;

/** Seconds: the buckets of tool calls and of reads, prompt renderings and completions alike. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const TRANSPORTS: TransportKind[] = ['sse', 'streamable-http', 'stdio'];

/**
 * Prometheus metrics (prom-client), one registry per app instance. Labels stay bounded: tool
 * names come from the catalog, routes from a fixed list, never session ids or argument values.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly overflowSubscription: Subscription;

  readonly toolCalls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok or the error code).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Tool calls by the caller's profile chain (MCP_PROFILES; `default` without one). */
  readonly profileCalls = new Counter({
    name: 'mcp_profile_tool_calls_total',
    help: 'Tool calls by the profile (or profiles joined by +) of the calling session, and outcome',
    labelNames: ['profile', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly toolDuration = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'Tool call duration by tool, from invocation to result.',
    labelNames: ['tool'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly contentRequests = new Counter({
    name: 'mcp_content_requests_total',
    help: 'resources/read, prompts/get and completion/complete that ran their source, by kind (resource, prompt, completion), owner (plugin or provider namespace) and outcome.',
    labelNames: ['kind', 'owner', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly contentDuration = new Histogram({
    name: 'mcp_content_request_duration_seconds',
    help: 'Duration of resources/read, prompts/get and completion/complete by kind and owner.',
    labelNames: ['kind', 'owner'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'mcp_executions_in_flight',
    help: 'Tool calls currently running.',
    registers: [this.registry],
  });

  readonly timeouts = new Counter({
    name: 'mcp_plugin_timeouts_total',
    help: 'Plugin calls killed because they ran past their timeout.',
    labelNames: ['tool'] as const,
    registers: [this.registry],
  });

  readonly kills = new Counter({
    name: 'mcp_plugin_kills_total',
    help: 'Plugin process groups killed, by reason (timeout or cancelled).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'mcp_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  /** SSE streams ended because their client did not read (more than MCP_MAX_UNSENT_BYTES unsent). */
  readonly streamsOverflowed = new Counter({
    name: 'mcp_streams_overflowed_total',
    help: 'Streams ended because their client did not read: more than MCP_MAX_UNSENT_BYTES unsent, by transport.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  constructor(
    sessions: SessionRegistry,
    catalog: ToolCatalogService,
    executor: ExecutorService,
    sinks: SseSinkFactory,
    @Optional() @Inject(SessionBus) bus: SessionBus | null = null,
  ) {
    collectDefaultMetrics({ register: this.registry });
    if (bus !== null) registerSharedStoreMetrics(this.registry, bus);
    for (const transport of TRANSPORTS) this.streamsOverflowed.inc({ transport }, 0);
    this.overflowSubscription = sinks.overflows.subscribe(({ transport }) => this.streamsOverflowed.inc({ transport }));
    new Gauge({
      name: 'mcp_plugin_processes_running',
      help: 'Plugin processes running for tool calls (bounded by MCP_MAX_CONCURRENCY).',
      registers: [this.registry],
      collect() {
        this.set(executor.stats().running);
      },
    });
    new Gauge({
      name: 'mcp_executions_queued',
      help: 'Tool calls waiting for a free plugin slot (bounded by MCP_QUEUE_LIMIT).',
      registers: [this.registry],
      collect() {
        this.set(executor.stats().queued);
      },
    });
    new Gauge({
      name: 'mcp_sessions_open',
      help: 'Open sessions by transport.',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const counts = sessions.countByTransport();
        for (const transport of TRANSPORTS) this.set({ transport }, counts[transport]);
      },
    });
    new Gauge({
      name: 'mcp_sessions_live',
      help: 'Open sessions with a connection of their client open (a stream, a POST in progress, the stdio pipes) or a call running, by transport.',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const { live } = sessions.countByActivity();
        for (const transport of TRANSPORTS) this.set({ transport }, live[transport]);
      },
    });
    new Gauge({
      name: 'mcp_sessions_idle',
      help: 'Open sessions with no connection of their client open and no call running (left without DELETE, or between requests), by transport.',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const { idle } = sessions.countByActivity();
        for (const transport of TRANSPORTS) this.set({ transport }, idle[transport]);
      },
    });
    new Gauge({
      name: 'mcp_sessions_opened_total',
      help: 'Sessions opened since start, by transport (a counter exposed as a gauge of the registry total).',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const { opened } = sessions.totals();
        for (const transport of TRANSPORTS) this.set({ transport }, opened[transport]);
      },
    });
    new Gauge({
      name: 'mcp_sessions_closed_total',
      help: 'Sessions closed since start, by transport.',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const { closed } = sessions.totals();
        for (const transport of TRANSPORTS) this.set({ transport }, closed[transport]);
      },
    });
    new Gauge({
      name: 'mcp_sessions_evicted_total',
      help: 'Sessions ended since start to make room at a session cap (the longest-idle one without a live stream or running call), by transport.',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        const { evicted } = sessions.totals();
        for (const transport of TRANSPORTS) this.set({ transport }, evicted[transport]);
      },
    });
    new Gauge({
      name: 'mcp_plugins_discovered',
      help: 'Plugins by discovery state (loaded or skipped).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.set({ state: 'loaded' }, catalog.report.plugins.length);
        this.set({ state: 'skipped' }, catalog.report.skipped.length);
      },
    });
    new Gauge({
      name: 'mcp_tools_registered',
      help: 'Tools in the catalog.',
      registers: [this.registry],
      collect() {
        this.set(catalog.list().length);
      },
    });
  }

  onModuleDestroy(): void {
    this.overflowSubscription.unsubscribe();
  }

  /** Record one finished read, prompt rendering or completion (the owner is the plugin: a bounded label). */
  recordContent(kind: 'resource' | 'prompt' | 'completion', owner: string, outcome: ContentOutcome, seconds: number): void {
    this.contentRequests.inc({ kind, owner, outcome });
    this.contentDuration.observe({ kind, owner }, seconds);
    if (outcome === 'timeout') this.kills.inc({ reason: 'timeout' });
    else if (outcome === 'cancelled') this.kills.inc({ reason: 'cancelled' });
  }

  /** Record one finished call. */
  recordCall(tool: string, outcome: CallOutcome, seconds: number, profile = 'default'): void {
    this.toolCalls.inc({ tool, outcome });
    this.profileCalls.inc({ profile, outcome });
    this.toolDuration.observe({ tool }, seconds);
    if (outcome === 'timeout') {
      this.timeouts.inc({ tool });
      this.kills.inc({ reason: 'timeout' });
    } else if (outcome === 'cancelled') {
      this.kills.inc({ reason: 'cancelled' });
    }
  }
}
