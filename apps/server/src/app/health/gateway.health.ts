import { Inject, Injectable, Optional } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { stat } from 'node:fs/promises';
import { ExecutorService, runProcess } from '@sanctum/executor';
import { SessionBus, SessionRegistry } from '@sanctum/sessions';
import type { SessionCounts } from '@sanctum/sessions';
import { DISCOVERY_CONFIG } from '../config/config.slices';
import type { DiscoveryConfig } from '../config/config.slices';
import { ToolCatalogService } from '@sanctum/discovery';

const total = (counts: SessionCounts): number => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** How long a successful interpreter probe is trusted, so that probes every second stay cheap. */
const INTERPRETER_PROBE_TTL_MS = 30_000;

/** Terminus indicators for the gateway's own parts. */
@Injectable()
export class GatewayHealthIndicators implements BeforeApplicationShutdown {
  private shuttingDown = false;
  private interpreterProbe: { at: number; ok: boolean; detail: string } | undefined;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly sessions: SessionRegistry,
    private readonly catalog: ToolCatalogService,
    private readonly executor: ExecutorService,
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Optional() @Inject(SessionBus) private readonly bus: SessionBus | null = null,
  ) {}

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /** True once a shutdown began: readiness fails and new requests are refused. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Open sessions, and how many are live (a connection of their client open, or a call running)
   * or idle: a client that left without ending its session (no DELETE) leaves an idle one, until
   * MCP_SESSION_IDLE_TIMEOUT or a cap's eviction ends it.
   */
  sessionsCheck(): HealthIndicatorResult {
    const { live, idle } = this.sessions.countByActivity();
    const shared = this.bus === null ? {} : { allInstances: this.bus.sessionsEverywhere, instance: this.bus.instanceId };
    return this.indicators.check('sessions').up({
      open: this.sessions.count(),
      live: total(live),
      idle: total(idle),
      byTransport: this.sessions.countByTransport(),
      ...shared,
    });
  }

  /** With MCP_REDIS_URL: whether the shared session store answers (readiness fails while it does not). */
  get hasSharedStore(): boolean {
    return this.bus !== null;
  }

  sharedStoreCheck(): HealthIndicatorResult {
    const check = this.indicators.check('sessionStore');
    const bus = this.bus;
    if (bus === null) return check.up({ kind: 'memory' });
    return bus.ready
      ? check.up({ kind: 'redis', instance: bus.instanceId })
      : check.down({ kind: 'redis', instance: bus.instanceId, message: `Redis (MCP_REDIS_URL) is unreachable: ${bus.problem}` });
  }

  pluginsCheck(): HealthIndicatorResult {
    const check = this.indicators.check('plugins');
    const { plugins, skipped } = this.catalog.report;
    const data = { loaded: plugins.length, skipped: skipped.length, tools: this.catalog.list().length };
    return this.catalog.isReady ? check.up(data) : check.down({ ...data, message: 'plugin discovery has not finished' });
  }

  async pluginsDirCheck(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('pluginsDir');
    const refusal = this.catalog.report.refusal;
    if (refusal !== undefined) return check.down({ path: this.config.pluginsDir, message: refusal });
    const info = await stat(this.config.pluginsDir).catch(() => undefined);
    if (info?.isDirectory()) return check.up({ path: this.config.pluginsDir });
    const pickedUp = this.config.watchPlugins ? 'create it (it is loaded when it appears)' : 'create it and restart (MCP_WATCH is off)';
    return check.down({ path: this.config.pluginsDir, message: `the plugins folder does not exist or is not a folder: ${pickedUp}, or set MCP_PLUGINS_DIR` });
  }

  async interpreterCheck(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('interpreter');
    const now = Date.now();
    if (!this.interpreterProbe || !this.interpreterProbe.ok || now - this.interpreterProbe.at > INTERPRETER_PROBE_TTL_MS) {
      const run = await runProcess(this.executor.python, ['-c', 'pass'], { cwd: process.cwd(), env: this.executor.childEnv(), timeoutMs: 5_000 });
      const ok = run.exitCode === 0;
      const detail = ok ? 'starts' : run.spawnError ?? (run.timedOut ? 'did not start within 5 s' : `exited with ${run.exitCode}: ${run.stderr.trim().slice(0, 200)}`);
      this.interpreterProbe = { at: now, ok, detail };
    }
    const data = { python: this.executor.python, message: this.interpreterProbe.detail };
    return this.interpreterProbe.ok ? check.up(data) : check.down(data);
  }

  lifecycleCheck(): HealthIndicatorResult {
    const check = this.indicators.check('lifecycle');
    return this.shuttingDown ? check.down({ message: 'shutting down' }) : check.up();
  }
}
