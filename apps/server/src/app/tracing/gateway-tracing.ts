import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunResult } from '@sanctum/executor';
import type { JsonRpcMessage, JsonRpcResponse } from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';
import type { TracingConfig } from '../config/app-config';

/** What the dispatcher knows of a plugin tool when the call is over. */
export interface PluginCallTrace {
  readonly plugin: string;
  readonly entryPath: string;
  readonly run: RunResult | undefined;
  /** `ok`, or the tool error code the result carries. */
  readonly outcome: string;
}

/** A tool call being traced: the variables that hand its context to the plugin, and its end. */
export interface ToolCallTrace {
  /** `TRACEPARENT` (and `TRACESTATE`) of the current span, for the plugin's environment. */
  readonly env: Record<string, string>;
  finish(call: PluginCallTrace): void;
}

/**
 * The gateway's traces (docs/monitoring.md#traces), as the transports and the dispatcher see them.
 * Off (`GatewayTracing.off()`), `enabled` is false, the hooks test it and go on: nothing of
 * OpenTelemetry is loaded. On, `start` loads the SDK and returns an OtelTracing (otel-tracing.ts).
 * The methods here are what the hooks would do without traces.
 */
export class GatewayTracing {
  protected constructor(readonly enabled: boolean) {}

  static off(): GatewayTracing {
    return new GatewayTracing(false);
  }

  /** Traces with the exporter and URL the configuration chose (OTEL_*). */
  static start(config: TracingConfig, version: string): GatewayTracing {
    // Loaded here, not imported at the top: with traces off the SDK is never evaluated.
    const { OtelTracing } = require('./otel-tracing') as typeof import('./otel-tracing');
    return OtelTracing.start(config, version);
  }

  /** Nest calls it when the application closes: traces send what is left. */
  async onApplicationShutdown(): Promise<void> {
    return undefined;
  }

  /** Serve an HTTP request of an MCP route; `enter` runs its handler (in the request's span when traced). */
  httpRequest(_req: IncomingMessage, _res: ServerResponse, _route: string, serve: (enter: (handler: () => void) => void) => void): void {
    serve((handler) => handler());
  }

  /** Handle one stdio line. */
  stdioMessage<T>(handle: () => Promise<T>): Promise<T> {
    return handle();
  }

  /** Handle one MCP message. */
  mcpMessage(_message: JsonRpcMessage, _session: Session, handle: () => Promise<JsonRpcResponse | null>): Promise<JsonRpcResponse | null> {
    return handle();
  }

  /** A tool call: no trace context to hand on. */
  toolCall(): ToolCallTrace {
    return { env: {}, finish: () => undefined };
  }
}
