import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { stringifyExact } from '@sanctum/protocol';
import { formatSseComment, formatSseEvent } from '@sanctum/sessions';
import type { GatewayRequest, GatewayResponse } from '../http/request-checks';
import { ConsoleService } from './console.service';
import { LogTail } from './log-tail';
import { MetricsHistory } from './metrics-history';
import { RecentCalls } from './recent-calls';

/** How often a connected console is brought up to date. */
export const CONSOLE_TICK_MS = 1_000;
/** Charts are resent every this many ticks (their points are per minute). */
const CHART_TICKS = 10;
/** A comment after this many ticks without an event, so that proxies keep the stream open. */
const KEEPALIVE_TICKS = 15;

interface Viewer {
  res: GatewayResponse;
  calls: number;
  logs: number;
  sessions: string;
  plugins: string;
  ticks: number;
  quiet: number;
}

/**
 * The console's live stream (`GET /console/api/events`): once a second, for each connected
 * console, whatever changed since its last update: `sessions` (the list, when it changed), `calls`
 * and `logs` (the new entries), `plugins` and `tools` (after a reload), and `charts` every ten
 * seconds and after new calls. One timer for all viewers, running only while one is connected: with no console open
 * nothing runs at all.
 */
@Injectable()
export class ConsoleEvents implements OnModuleDestroy {
  private readonly viewers = new Set<Viewer>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ConsoleService) private readonly console: ConsoleService,
    @Inject(RecentCalls) private readonly calls: RecentCalls,
    @Inject(LogTail) private readonly logs: LogTail,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
  ) {}

  /** Consoles connected now. */
  get connected(): number {
    return this.viewers.size;
  }

  open(req: GatewayRequest, res: GatewayResponse, seen: { calls: number; logs: number }): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.write(formatSseComment('sanctum console'));
    const viewer: Viewer = { res, calls: seen.calls, logs: seen.logs, sessions: '', plugins: '', ticks: 0, quiet: 0 };
    this.viewers.add(viewer);
    req.socket.setNoDelay(true);
    res.on('close', () => {
      this.viewers.delete(viewer);
      if (this.viewers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.tick(), CONSOLE_TICK_MS);
      this.timer.unref();
    }
    void this.update(viewer);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const viewer of this.viewers) viewer.res.end();
    this.viewers.clear();
  }

  private async tick(): Promise<void> {
    for (const viewer of this.viewers) await this.update(viewer);
  }

  private async update(viewer: Viewer): Promise<void> {
    const send = (event: string, data: unknown): void => {
      if (!viewer.res.writableEnded) viewer.res.write(formatSseEvent({ event, data: stringifyExact(data) }));
      viewer.quiet = 0;
    };
    const sessions = stringifyExact(this.console.sessionList());
    if (sessions !== viewer.sessions) {
      viewer.sessions = sessions;
      if (!viewer.res.writableEnded) viewer.res.write(formatSseEvent({ event: 'sessions', data: sessions }));
      viewer.quiet = 0;
    }
    const newCalls = this.calls.last > viewer.calls;
    if (newCalls) {
      send('calls', this.calls.list({ after: viewer.calls }));
      viewer.calls = this.calls.last;
    }
    if (this.logs.last > viewer.logs) {
      send('logs', this.logs.since(viewer.logs));
      viewer.logs = this.logs.last;
    }
    const plugins = this.console.plugins();
    const pluginsKey = String(plugins.discoveredAt);
    if (pluginsKey !== viewer.plugins) {
      if (viewer.plugins !== '') {
        send('plugins', plugins);
        send('tools', this.console.tools());
        send('content', this.console.content());
      }
      viewer.plugins = pluginsKey;
    }
    if (newCalls || viewer.ticks % CHART_TICKS === 0) send('charts', await this.history.series());
    viewer.ticks++;
    if (++viewer.quiet >= KEEPALIVE_TICKS && !viewer.res.writableEnded) {
      viewer.res.write(formatSseComment('keepalive'));
      viewer.quiet = 0;
    }
  }
}
