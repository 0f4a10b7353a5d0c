import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Link, Span, TextMapGetter, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { RunResult } from '@sanctum/executor';
import { isPlainObject, isRequest, stringifyExact } from '@sanctum/protocol';
import type { JsonRpcMessage, JsonRpcResponse } from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';
import type { TracingConfig } from '../config/app-config';
import { GatewayTracing } from './gateway-tracing';
import type { ToolCallTrace } from './gateway-tracing';

/**
 * GatewayTracing with OpenTelemetry (docs/monitoring.md#traces): a span per HTTP request or stdio
 * message, a child per MCP method named and attributed by the semantic conventions for MCP, and for
 * a plugin tool call children for its queueing, the plugin process and the result mapping. This
 * module, and the SDK with it, is loaded only when traces are on (GatewayTracing.start).
 */

/** Attributes of the MCP and GenAI conventions (status: development), spelled as they define them. */
const MCP = {
  method: 'mcp.method.name',
  session: 'mcp.session.id',
  protocolVersion: 'mcp.protocol.version',
  resourceUri: 'mcp.resource.uri',
  requestId: 'jsonrpc.request.id',
  statusCode: 'rpc.response.status_code',
  toolName: 'gen_ai.tool.name',
  promptName: 'gen_ai.prompt.name',
  operation: 'gen_ai.operation.name',
} as const;

/** Process attributes of the conventions, and the gateway's own for what they do not name. */
const PROCESS = {
  pid: 'process.pid',
  exitCode: 'process.exit.code',
  executable: 'process.executable.name',
  launch: 'sanctum.plugin.launch',
  plugin: 'sanctum.plugin.name',
  signal: 'sanctum.plugin.signal',
  outcome: 'sanctum.tool.outcome',
} as const;

const headerGetter: TextMapGetter<IncomingMessage['headers']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export class OtelTracing extends GatewayTracing {
  private constructor(
    private readonly tracer: Tracer,
    private readonly provider: BasicTracerProvider,
  ) {
    super(true);
  }

  private readonly propagator = new W3CTraceContextPropagator();

  /**
   * Tracing with the exporter and URL the configuration chose. The exporter reads the other
   * standard OTEL_* variables itself (headers, timeout), the provider the sampler, the batch
   * processor OTEL_BSP_*.
   */
  static override start(config: TracingConfig, version: string): OtelTracing {
    const exporter: SpanExporter =
      config.exporter === 'console'
        ? new ConsoleSpanExporter()
        : config.protocol === 'http/json'
          ? new OtlpJsonExporter({ url: config.url })
          : new OtlpProtobufExporter({ url: config.url });
    const provider = new BasicTracerProvider({
      // service.instance.id tells the instances of a scale-out apart within one trace.
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version, 'service.instance.id': randomUUID() }),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    // One context manager per process (AsyncLocalStorage); a second gateway in the process reuses it.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    return new OtelTracing(provider.getTracer('sanctum-mcp', version), provider);
  }

  /** Sends what is left and stops: Nest calls it when the application closes. */
  override async onApplicationShutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  /**
   * The span of one HTTP request to an MCP route, from the route's checks to the response's end,
   * continuing a `traceparent` header. `serve` gets `enter`, which runs the handler in the span's
   * context again (a body read on the request's stream loses it).
   */
  override httpRequest(req: IncomingMessage, res: ServerResponse, route: string, serve: (enter: (handler: () => void) => void) => void): void {
    const tracer = this.tracer;
    const parent = this.propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_HTTP_ROUTE]: route,
          [ATTR_URL_PATH]: (req.url ?? '/').split('?')[0],
          [ATTR_NETWORK_TRANSPORT]: 'tcp',
        },
      },
      parent,
    );
    res.once('close', () => {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    const ctx = trace.setSpan(parent, span);
    context.with(ctx, () => serve((handler) => context.with(ctx, handler)));
  }

  /** The span of one stdio line (a message or a batch), the parent of its MCP spans. */
  override stdioMessage<T>(handle: () => Promise<T>): Promise<T> {
    return this.tracer.startActiveSpan('stdio message', { kind: SpanKind.INTERNAL, attributes: { [ATTR_NETWORK_TRANSPORT]: 'pipe' } }, (span) =>
      handle().finally(() => span.end()),
    );
  }

  /**
   * The MCP server span of one message: `{method} {tool or prompt}`. Its parent is the context
   * the message's `params._meta` carries (`traceparent`, `tracestate`), with the transport's span
   * as a link, as the conventions ask; else the transport's span.
   */
  override async mcpMessage(message: JsonRpcMessage, session: Session, handle: () => Promise<JsonRpcResponse | null>): Promise<JsonRpcResponse | null> {
    const tracer = this.tracer;
    if (!('method' in message)) return handle();
    const params = isPlainObject(message.params) ? message.params : {};
    const attributes: Attributes = { [MCP.method]: message.method, [ATTR_NETWORK_TRANSPORT]: session.transport === 'stdio' ? 'pipe' : 'tcp' };
    if (isRequest(message)) attributes[MCP.requestId] = stringifyExact(message.id);
    if (session.transport !== 'stateless') attributes[MCP.session] = session.id;
    if (session.protocolVersion) attributes[MCP.protocolVersion] = session.protocolVersion;
    const name = typeof params['name'] === 'string' ? params['name'] : undefined;
    if (message.method === 'tools/call' && name) Object.assign(attributes, { [MCP.toolName]: name, [MCP.operation]: 'execute_tool' });
    if (message.method === 'prompts/get' && name) attributes[MCP.promptName] = name;
    if (typeof params['uri'] === 'string') attributes[MCP.resourceUri] = params['uri'];

    const ambient = context.active();
    const meta = params['_meta'];
    const carried = isPlainObject(meta) ? this.propagator.extract(ROOT_CONTEXT, meta, metaGetter) : ROOT_CONTEXT;
    const remote = trace.getSpanContext(carried);
    const around = trace.getSpanContext(ambient);
    const links: Link[] = remote && around ? [{ context: around }] : [];
    const parent = remote ? carried : ambient;
    const spanName = name && (message.method === 'tools/call' || message.method === 'prompts/get') ? `${message.method} ${name}` : message.method;
    const span = tracer.startSpan(spanName, { kind: SpanKind.SERVER, attributes, links }, parent);
    try {
      const response = await context.with(trace.setSpan(parent, span), handle);
      recordOutcome(span, response);
      return response;
    } finally {
      span.end();
    }
  }

  /** A tool call inside the current MCP span: its context for the plugin, and its child spans at the end. */
  override toolCall(): ToolCallTrace {
    const tracer = this.tracer;
    const parent = context.active();
    const started = performance.timeOrigin + performance.now();
    const env: Record<string, string> = {};
    const carrier: Record<string, string> = {};
    this.propagator.inject(parent, carrier, { set: (c, key, value) => (c[key] = value) });
    if (carrier['traceparent']) env['TRACEPARENT'] = carrier['traceparent'];
    if (carrier['tracestate']) env['TRACESTATE'] = carrier['tracestate'];
    return {
      env,
      finish: ({ plugin, entryPath, run, outcome }) => {
        if (!run) return;
        const ended = performance.timeOrigin + performance.now();
        const startedRun = run.startedAt ?? ended - run.durationMs;
        const exited = startedRun + run.durationMs;
        tracer.startSpan('plugin.queue', { startTime: started, attributes: { [PROCESS.plugin]: plugin } }, parent).end(Math.max(started, startedRun));
        const process = tracer.startSpan(
          `plugin.process ${plugin}`,
          {
            startTime: startedRun,
            attributes: {
              [PROCESS.plugin]: plugin,
              [PROCESS.executable]: basename(entryPath),
              [PROCESS.launch]: run.launch ?? 'spawn',
              ...(run.pid === undefined ? {} : { [PROCESS.pid]: run.pid }),
              ...(run.exitCode === null ? {} : { [PROCESS.exitCode]: run.exitCode }),
              ...(run.signal === null ? {} : { [PROCESS.signal]: run.signal }),
            },
          },
          parent,
        );
        const failure = processFailure(run);
        if (failure) {
          process.setAttribute(ATTR_ERROR_TYPE, failure);
          process.setStatus({ code: SpanStatusCode.ERROR, message: failure });
        }
        process.end(exited);
        tracer
          .startSpan('plugin.result', { startTime: exited, attributes: { [PROCESS.plugin]: plugin, [PROCESS.outcome]: outcome } }, parent)
          .end(Math.max(exited, ended));
      },
    };
  }
}

/** `_meta` values are JSON: only strings are trace context. */
const metaGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (typeof carrier[key] === 'string' ? carrier[key] : undefined),
};

/** error.type and the status: the JSON-RPC error code, or `tool_error` for a result with isError. */
function recordOutcome(span: Span, response: JsonRpcResponse | null): void {
  if (response === null) return;
  if ('error' in response) {
    const code = String(response.error.code);
    span.setAttributes({ [ATTR_ERROR_TYPE]: code, [MCP.statusCode]: code });
    span.setStatus({ code: SpanStatusCode.ERROR, message: response.error.message });
    return;
  }
  const result = response.result;
  if (isPlainObject(result) && result['isError'] === true) {
    span.setAttribute(ATTR_ERROR_TYPE, 'tool_error');
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

function processFailure(run: RunResult): string | undefined {
  if (run.spawnError !== undefined) return 'spawn_error';
  if (run.timedOut) return 'timeout';
  if (run.cancelled) return 'cancelled';
  if (run.outputLimit) return 'output_limit';
  if (run.processLimit !== undefined) return 'process_limit';
  if (run.internalError !== undefined) return 'internal_error';
  if (run.signal !== null) return run.signal;
  if (run.exitCode !== null && run.exitCode !== 0) return String(run.exitCode);
  return undefined;
}
