import { Inject, Injectable } from '@nestjs/common';
import type { RecentCall } from '@sanctum/console-api';
import type { CallToolResult } from '@sanctum/protocol';
import type { CallOutcome } from '../metrics/metrics.service';
import { CONSOLE_CONFIG } from '../config/config.slices';
import type { ConsoleConfig } from '../config/config.slices';

/** Calls the console keeps, newest last; older ones are overwritten. */
export const RECENT_CALLS_CAPACITY = 500;
/** Longest error text (the message with its stderr excerpt) a recent call keeps. */
const ERROR_EXCERPT_CHARS = 600;

/** What the dispatcher hands over when a call finishes. */
export interface FinishedCall extends Pick<RecentCall, 'tool' | 'sessionId' | 'transport' | 'principal' | 'durationMs'> {
  outcome: CallOutcome;
  result: CallToolResult;
  arguments: Record<string, unknown>;
}

export interface RecentCallFilter {
  tool?: string;
  outcome?: string;
  sessionId?: string;
  /** Only calls with a seq above this one. */
  after?: number;
}

/**
 * A bounded in-memory ring of the last finished calls. The dispatcher writes one entry per
 * finished call (the only work the console adds to the message path); with the console off the
 * ring has no room and the write returns at once.
 */
@Injectable()
export class RecentCalls {
  readonly capacity: number;
  private readonly ring: Array<RecentCall | undefined>;
  private seq = 0;
  /** LOG_LEVEL=debug: argument values are kept (never at other levels). */
  readonly keepsArguments: boolean;

  constructor(@Inject(CONSOLE_CONFIG) config: Pick<ConsoleConfig, 'console' | 'logLevel'>) {
    this.capacity = config.console ? RECENT_CALLS_CAPACITY : 0;
    this.ring = new Array<RecentCall | undefined>(this.capacity);
    this.keepsArguments = config.logLevel === 'debug';
  }

  /** The seq of the newest call (0 before the first). */
  get last(): number {
    return this.seq;
  }

  record(call: FinishedCall): void {
    if (this.capacity === 0) return;
    const seq = ++this.seq;
    const entry: RecentCall = {
      seq,
      at: Date.now(),
      tool: call.tool,
      sessionId: call.sessionId,
      transport: call.transport,
      principal: call.principal,
      durationMs: call.durationMs,
      outcome: call.outcome,
    };
    if (call.result.isError) entry.error = errorText(call.result);
    if (this.keepsArguments) entry.arguments = call.arguments;
    this.ring[seq % this.capacity] = entry;
  }

  /** The calls still in the ring that pass the filter, oldest first. */
  list(filter: RecentCallFilter = {}): RecentCall[] {
    const out: RecentCall[] = [];
    const first = Math.max(1, this.seq - this.capacity + 1, (filter.after ?? 0) + 1);
    for (let seq = first; seq <= this.seq; seq++) {
      const call = this.ring[seq % this.capacity];
      if (call === undefined || call.seq !== seq) continue;
      if (filter.tool !== undefined && call.tool !== filter.tool) continue;
      if (filter.outcome !== undefined && call.outcome !== filter.outcome) continue;
      if (filter.sessionId !== undefined && call.sessionId !== filter.sessionId) continue;
      out.push(call);
    }
    return out;
  }

  /** When each session's newest call still in the ring finished (ms since epoch). */
  lastCallBySession(): Map<string, number> {
    const last = new Map<string, number>();
    for (const call of this.list()) last.set(call.sessionId, call.at);
    return last;
  }
}

function errorText(result: CallToolResult): string {
  const text = result.content
    .map((block) => (block.type === 'text' ? block.text : ''))
    .filter((t) => t !== '')
    .join('\n');
  return text.length > ERROR_EXCERPT_CHARS ? `${text.slice(0, ERROR_EXCERPT_CHARS)}…` : text;
}
