import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { TransportKind } from './session';
import { DEFAULT_KEEPALIVE_MS } from './sse';
import { DEFAULT_MAX_UNSENT_BYTES, SseSink } from './sse-sink';
import { SESSIONS_LOGGER, SESSIONS_LOG_CONTEXT, SESSIONS_OPTIONS } from './sessions.constants';
import type { SessionsModuleOptions } from './sessions.module-definition';

/** Whose stream a sink is: named in the overflow line and counted by transport. */
export interface SseStreamOwner {
  /** The session's id (for protocol revision 2026-07-28, the request's throwaway session, or the listen stream's name). */
  sessionId: string;
  transport: TransportKind;
}

/** A stream ended because its client did not read: what it held unsent, and the bound. */
export interface StreamOverflow extends SseStreamOwner {
  unsentBytes: number;
  maxUnsentBytes: number;
}

/** The warn line of an overflowed stream (monitoring documents it). */
export function overflowLine(overflow: StreamOverflow): string {
  return `Stream of session ${overflow.sessionId} closed: ${overflow.unsentBytes} bytes unsent (MCP_MAX_UNSENT_BYTES=${overflow.maxUnsentBytes})`;
}

/**
 * Opens SSE responses with the module's keepalive interval and bound of unsent bytes, so that no
 * transport repeats them. A stream ended past the bound is logged at warn and published on
 * `overflows` (the app's metrics count them; the library knows no metrics).
 */
@Injectable()
export class SseSinkFactory {
  readonly keepaliveMs: number;
  readonly maxUnsentBytes: number;
  private readonly overflowed = new Subject<StreamOverflow>();
  /** Every stream ended for holding more than `maxUnsentBytes` unsent, once each. */
  readonly overflows: Observable<StreamOverflow> = this.overflowed.asObservable();

  constructor(
    @Inject(SESSIONS_OPTIONS) options: Pick<SessionsModuleOptions, 'keepaliveMs' | 'maxUnsentBytes'>,
    @Inject(SESSIONS_LOGGER) private readonly logger: LoggerService,
  ) {
    this.keepaliveMs = options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.maxUnsentBytes = options.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
  }

  open(req: IncomingMessage, res: ServerResponse, owner: SseStreamOwner, headers: Record<string, string> = {}): SseSink {
    const { maxUnsentBytes } = this;
    return SseSink.open(
      req,
      res,
      {
        keepaliveMs: this.keepaliveMs,
        maxUnsentBytes,
        onOverflow: (unsentBytes) => this.report({ ...owner, unsentBytes, maxUnsentBytes }),
      },
      headers,
    );
  }

  private report(overflow: StreamOverflow): void {
    this.logger.warn(overflowLine(overflow), SESSIONS_LOG_CONTEXT);
    this.overflowed.next(overflow);
  }
}
