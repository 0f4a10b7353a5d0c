import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_KEEPALIVE_MS } from './sse';
import { SseSink } from './sse-sink';
import { SESSIONS_OPTIONS } from './sessions.constants';
import type { SessionsModuleOptions } from './sessions.module-definition';

/** Opens SSE responses with the module's keepalive interval, so that no transport repeats it. */
@Injectable()
export class SseSinkFactory {
  readonly keepaliveMs: number;

  constructor(@Inject(SESSIONS_OPTIONS) options: Pick<SessionsModuleOptions, 'keepaliveMs'>) {
    this.keepaliveMs = options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  }

  open(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): SseSink {
    return SseSink.open(req, res, this.keepaliveMs, headers);
  }
}
