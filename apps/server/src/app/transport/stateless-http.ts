import { randomUUID } from 'node:crypto';
import { stringifyExact } from '@sanctum/protocol';
import type { JsonRpcMessage, JsonRpcResponse } from '@sanctum/protocol';
import { formatSseEvent } from '@sanctum/sessions';
import type { SseSink, SseSinkFactory } from '@sanctum/sessions';
import { sendEmpty, sendJson } from '../http/json-reply';
import type { GatewayRequest, GatewayResponse } from '../http/request-checks';
import type { StatelessReply } from '../mcp/stateless-connection';

function frame(message: JsonRpcMessage): string {
  return formatSseEvent({ event: 'message', data: stringifyExact(message) });
}

/**
 * One POST /mcp of protocol revision 2026-07-28 as the reply of the stateless handling: the answer
 * as JSON with its status, or, once interim messages come first (progress, log lines, a listen
 * stream), an SSE stream carrying them and then the answer. The client going away is its
 * response closing.
 */
export class StatelessHttpReply implements StatelessReply {
  private sink: SseSink | undefined;

  constructor(
    private readonly req: GatewayRequest,
    private readonly res: GatewayResponse,
    private readonly sinks: SseSinkFactory,
  ) {}

  openStream(sessionId = `stateless-${randomUUID()}`): void {
    this.sink ??= this.sinks.open(this.req, this.res, { sessionId, transport: 'streamable-http' });
  }

  notify(message: JsonRpcMessage): void {
    this.sink?.write(frame(message));
  }

  answer(response: JsonRpcResponse, status: number): void {
    if (this.sink) this.sink.write(frame(response));
    else sendJson(this.res, status, response);
  }

  accept(): void {
    sendEmpty(this.res, 202);
  }

  end(): void {
    this.sink?.end();
  }

  get closed(): boolean {
    return this.sink ? this.sink.closed : this.res.destroyed || this.res.writableEnded;
  }

  onClose(listener: () => void): void {
    if (this.sink) this.sink.onClose(listener);
    else if (this.closed) listener();
    else this.res.once('close', listener);
  }
}
