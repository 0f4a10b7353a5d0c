import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { APP_LOGGER } from '../logging/logger';
import { argumentProblems, toolResultFromValue, validateArguments } from '@sanctum/executor';
import { ToolCatalogService } from '@sanctum/discovery';
import type { ToolEntry } from '@sanctum/discovery';
import {
  JSONRPC_VERSION,
  LOGGING_LEVELS,
  Method,
  RpcError,
  ToolErrorCode,
  boundBatchAnswer,
  isLoggingLevel,
  isNotification,
  isPlainObject,
  isRequest,
  isRequestId,
  loggingLevelPasses,
  negotiateVersion,
  progressTokenOf,
  stringifyExact,
  success,
  toolError,
} from '@sanctum/protocol';
import type {
  CallToolResult,
  InitializeResult,
  JsonRpcMessage,
  JsonRpcRequest,
  JsonRpcResponse,
  ParsedPayload,
  ProgressToken,
  RequestId,
  Tool,
} from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';
import { randomUUID } from 'node:crypto';
import { DISPATCHER_CONFIG } from '../config/config.slices';
import type { DispatcherConfig } from '../config/config.slices';
import { MetricsService } from '../metrics/metrics.service';
import { RecentCalls } from '../console/recent-calls';
import type { CallOutcome } from '../metrics/metrics.service';
import { SERVER_INFO, SERVER_INSTRUCTIONS, serverCapabilities } from './server-info';
import { pluginCommandTarget } from './executor-plugin-runner';
import { GatewayTracing } from '../tracing/gateway-tracing';
import type { ToolCallTrace } from '../tracing/gateway-tracing';
import { McpContent } from './mcp-content.service';
import type { ContentRequestContext } from './mcp-content.service';
import { SessionViews } from '../profiles/session-views.service';
import { InputRequiredAnswer, PluginInput } from './input/plugin-input.service';
import type { InputCall } from './input/plugin-input.service';

/** One dispatcher behind every transport: JSON-RPC in, JSON-RPC out. */
@Injectable()
export class McpDispatcher {
  constructor(
    private readonly catalog: ToolCatalogService,
    private readonly metrics: MetricsService,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly content: McpContent,
    private readonly views: SessionViews,
    private readonly input: PluginInput,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    @Optional() @Inject(RecentCalls) private readonly recentCalls?: RecentCalls,
    @Optional() private readonly tracing: GatewayTracing = GatewayTracing.off(),
  ) {}

  /** Sessions with tool calls running, and how many each (for a graceful shutdown). */
  private readonly active = new Map<Session, number>();

  /** Tool calls running now, over every transport. */
  get inFlightCalls(): number {
    let total = 0;
    for (const count of this.active.values()) total += count;
    return total;
  }

  /** Cancel every running tool call (their plugin process groups are killed). */
  cancelAll(reason: string): void {
    for (const session of this.active.keys()) session.cancelAll(reason);
  }

  /**
   * Handle a decoded payload (one message or a batch). Returns what goes back to the client:
   * a response, an array of responses for a batch, or null when nothing is owed (notifications
   * and client responses only). A batch's answer is kept within MCP_MAX_BATCH_ANSWER_BYTES: the
   * responses past it become errors saying their answer was dropped.
   */
  async handlePayload(payload: ParsedPayload, session: Session): Promise<JsonRpcResponse | JsonRpcResponse[] | null> {
    const responses = await Promise.all(
      payload.items.map((item) => (item.ok ? this.handleMessage(item.message, session) : Promise.resolve(item.response))),
    );
    const owed = responses.filter((r): r is JsonRpcResponse => r !== null);
    if (owed.length === 0) return null;
    return payload.batch ? boundBatchAnswer(owed, this.config.maxBatchAnswerBytes) : owed[0];
  }

  /** Handle one valid message. Never throws: failures become JSON-RPC error responses. */
  async handleMessage(message: JsonRpcMessage, session: Session, context: ContentRequestContext = { stateless: false }): Promise<JsonRpcResponse | null> {
    // Traced: the message's MCP span (tracing/gateway-tracing.ts) around the same handling.
    if (this.tracing.enabled) return this.tracing.mcpMessage(message, session, () => this.dispatch(message, session, context));
    return this.dispatch(message, session, context);
  }

  private async dispatch(message: JsonRpcMessage, session: Session, context: ContentRequestContext): Promise<JsonRpcResponse | null> {
    if (isNotification(message)) {
      this.handleNotification(message.method, message.params ?? {}, session);
      return null;
    }
    if (!isRequest(message)) {
      // A response from the client to a request of ours (elicitation, sampling, roots): nothing to answer.
      session.receive(message);
      return null;
    }
    try {
      return success(message.id, await this.handleRequest(message, session, context));
    } catch (err) {
      if (err instanceof InputRequiredAnswer) return success(message.id, err.body);
      if (err instanceof RpcError) return err.toResponse(message.id);
      this.logger.error(`Request ${message.method} failed: ${(err as Error).stack ?? String(err)}`, 'McpDispatcher');
      return RpcError.internal('the gateway failed while handling this request; see the server log.').toResponse(message.id);
    }
  }

  private handleNotification(method: string, params: Record<string, unknown>, session: Session): void {
    switch (method) {
      case Method.Initialized:
        session.initialized = true;
        session.changed();
        return;
      case Method.Cancelled: {
        const requestId = params['requestId'];
        if (isRequestId(requestId)) {
          const reason = typeof params['reason'] === 'string' ? params['reason'] : undefined;
          session.cancel(requestId, reason);
        }
        return;
      }
      default:
        // Unknown notifications are ignored, as JSON-RPC requires.
        return;
    }
  }

  private async handleRequest(request: JsonRpcRequest, session: Session, context: ContentRequestContext): Promise<unknown> {
    const params = request.params ?? {};
    switch (request.method) {
      case Method.Initialize:
        return this.initialize(params, session);
      case Method.Ping:
        return {};
      case Method.SetLevel: {
        const level = params['level'];
        if (!isLoggingLevel(level)) {
          throw RpcError.invalidParams(`logging/setLevel needs "level", one of ${LOGGING_LEVELS.join(', ')}.`);
        }
        session.logLevel = level;
        session.changed();
        return {};
      }
      case Method.ToolsList:
        return { tools: this.views.tools(session).map(toTool) };
      case Method.ToolsCall:
        return this.callTool(request, params, session, context);
      case Method.ResourcesList:
        return this.content.listResources(params, session);
      case Method.ResourceTemplatesList:
        return this.content.listResourceTemplates(params, session);
      case Method.ResourcesRead:
        return this.content.readResource(request.id, params, session, context);
      case Method.ResourcesSubscribe:
        return this.content.subscribe(params, session, context);
      case Method.ResourcesUnsubscribe:
        return this.content.unsubscribe(params, session);
      case Method.PromptsList:
        return this.content.listPrompts(params, session);
      case Method.PromptsGet:
        return this.content.getPrompt(request.id, params, session, context);
      case Method.Complete:
        return this.content.complete(request.id, params, session);
      default:
        throw RpcError.methodNotFound(request.method);
    }
  }

  private initialize(params: Record<string, unknown>, session: Session): InitializeResult {
    const requested = params['protocolVersion'];
    if (typeof requested !== 'string') {
      throw RpcError.invalidParams('initialize needs "protocolVersion" (a string such as "2025-11-25").');
    }
    session.protocolVersion = negotiateVersion(requested);
    const capabilities = params['capabilities'];
    session.clientCapabilities = isPlainObject(capabilities) ? capabilities : {};
    const info = params['clientInfo'];
    if (isPlainObject(info)) {
      session.clientInfo = {
        name: typeof info['name'] === 'string' ? info['name'] : undefined,
        version: typeof info['version'] === 'string' ? info['version'] : undefined,
      };
    }
    session.changed();
    return {
      protocolVersion: session.protocolVersion,
      // The agent-driven mode announces its own changes of the list, watched folder or not.
      capabilities: serverCapabilities(this.config.watchPlugins || this.views.changesToolList(session), this.content.offers()),
      serverInfo: SERVER_INFO,
      instructions: SERVER_INSTRUCTIONS,
    };
  }

  private async callTool(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    session: Session,
    context: ContentRequestContext,
  ): Promise<CallToolResult | Record<string, unknown>> {
    const name = params['name'];
    if (typeof name !== 'string' || name === '') {
      throw RpcError.invalidParams('tools/call needs "name": the tool name from tools/list.');
    }
    const args = params['arguments'] ?? {};
    if (!isPlainObject(args)) {
      throw RpcError.invalidParams('"arguments" must be an object mapping argument names to values.');
    }
    // The session's view (its profiles) decides: a hidden tool is answered exactly as an unknown one.
    const found = this.views.resolve(session, name);
    if (!found) {
      throw RpcError.invalidParams(`Unknown tool: '${name}'. Call tools/list to see the available tools.`);
    }
    if ('refusal' in found) return found.refusal;
    const entry = found.entry;

    // Cancellation addresses calls by request id: a second running call under the same id could
    // never be cancelled (nor ended with the session), so it is refused.
    if (session.isTracking(request.id)) {
      throw RpcError.invalidRequest(
        `a request with id ${stringifyExact(request.id)} is already running in this session; use a new id for each request.`,
      );
    }
    const label = `${entry.qualifiedName} (${session.id})`;
    const meta = params['_meta'];
    const traceparent = isPlainObject(meta) && typeof meta['traceparent'] === 'string' ? meta['traceparent'] : undefined;
    const requestId = traceparent && TRACEPARENT.test(traceparent) ? traceparent.split('-')[1] : randomUUID();
    const profile = this.views.profileOf(session);
    const fields = { sessionId: session.id, requestId, tool: entry.qualifiedName, key: session.owner, profile };
    this.logger.log({ message: `Tool invoked: ${label}`, ...fields }, 'Tools');
    const started = performance.now();
    const signal = session.track(request.id);
    this.active.set(session, (this.active.get(session) ?? 0) + 1);
    this.metrics.inFlight.inc();
    let result: CallToolResult | InputRequiredAnswer;
    try {
      const env: Record<string, string> = { MCP_REQUEST_ID: requestId };
      // Traced, the plugin continues the tool call's span; else the caller's context, as it came.
      const trace = this.tracing.enabled ? this.tracing.toolCall() : undefined;
      if (trace) Object.assign(env, trace.env);
      else if (traceparent && TRACEPARENT.test(traceparent)) {
        env['TRACEPARENT'] = traceparent;
        if (isPlainObject(meta) && typeof meta['tracestate'] === 'string') env['TRACESTATE'] = meta['tracestate'];
      }
      const call: InputCall = {
        session,
        stateless: context.stateless,
        requestId: request.id,
        params,
        target: `tools/call ${entry.qualifiedName}`,
        label: entry.qualifiedName,
      };
      result = await this.invoke(entry, args, signal, env, call, this.pluginLines(entry, session, request.id, progressTokenOf(params)), trace);
    } finally {
      session.untrack(request.id);
      const left = (this.active.get(session) ?? 1) - 1;
      if (left > 0) this.active.set(session, left);
      else this.active.delete(session);
      this.metrics.inFlight.dec();
    }
    const elapsed = performance.now() - started;
    const durationMs = Math.round(elapsed);
    if (result instanceof InputRequiredAnswer) {
      // A 2026-07-28 round goes back to the client; its retry is another call.
      this.metrics.recordCall(entry.qualifiedName, 'input_required', elapsed / 1000, profile);
      this.logger.log({ message: `Tool needs input: ${label} in ${durationMs} ms`, ...fields, durationMs, outcome: 'input_required' }, 'Tools');
      return result.body;
    }
    const outcome = outcomeOf(result);
    this.metrics.recordCall(entry.qualifiedName, outcome, elapsed / 1000, profile);
    this.recentCalls?.record({
      tool: entry.qualifiedName,
      sessionId: session.id,
      transport: session.transport,
      principal: session.owner,
      durationMs,
      outcome,
      result,
      arguments: args,
    });
    const done = { ...fields, durationMs, outcome };
    if (result.isError) {
      this.logger.warn({ message: `Tool failed: ${label} in ${durationMs} ms (${outcome})`, ...done }, 'Tools');
    } else if (durationMs >= this.config.slowCallMs) {
      this.logger.warn(
        { message: `Tool completed: ${label} in ${durationMs} ms (slow: over ${this.config.slowCallMs} ms)`, ...done },
        'Tools',
      );
    } else {
      this.logger.log({ message: `Tool completed: ${label} in ${durationMs} ms`, ...done }, 'Tools');
    }
    return result;
  }

  /**
   * Structured stderr lines of a running plugin: `{"progress": n, "total"?: m, "message"?: s}`
   * becomes notifications/progress (only when the request asked with a progressToken, and only
   * when not decreasing); `{"log": level, "message": text}` becomes notifications/message when it
   * passes the session's level. Other stderr is kept for error excerpts only.
   */
  private pluginLines(
    entry: ToolEntry,
    session: Session,
    requestId: RequestId,
    progressToken: ProgressToken | undefined,
  ): (line: string) => void {
    let last = -Infinity;
    const plugin = entry.qualifiedName.split('.')[0];
    return (line) => {
      if (!line.startsWith('{')) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (!isPlainObject(parsed)) return;
      const progress = parsed['progress'];
      if (typeof progress === 'number' && Number.isFinite(progress)) {
        // MCP: progress increases with every notification; repeats and decreases are dropped.
        if (progressToken === undefined || progress <= last) return;
        last = progress;
        const notification: Record<string, unknown> = { progressToken, progress };
        if (typeof parsed['total'] === 'number') notification['total'] = parsed['total'];
        if (typeof parsed['message'] === 'string') notification['message'] = parsed['message'];
        session.send({ jsonrpc: JSONRPC_VERSION, method: Method.Progress, params: notification }, { relatedRequestId: requestId });
        return;
      }
      const level = parsed['log'];
      if (isLoggingLevel(level) && loggingLevelPasses(level, session.logLevel)) {
        const data = parsed['data'] ?? parsed['message'] ?? '';
        session.send(
          { jsonrpc: JSONRPC_VERSION, method: Method.Message, params: { level, logger: plugin, data } },
          { relatedRequestId: requestId },
        );
      }
    };
  }

  private async invoke(
    entry: ToolEntry,
    args: Record<string, unknown>,
    signal: AbortSignal,
    env: Record<string, string>,
    call: InputCall,
    onStderrLine?: (line: string) => void,
    trace?: ToolCallTrace,
  ): Promise<CallToolResult | InputRequiredAnswer> {
    const limits = argumentProblems(args, this.config);
    if (limits.length > 0) {
      return toolError(ToolErrorCode.InvalidArguments, `Invalid arguments for ${entry.qualifiedName}: ${limits.join('; ')}.`);
    }
    if (entry.source.kind === 'provider') {
      const problems = validateArguments(entry.inputSchema, args);
      if (problems.length > 0) {
        return toolError(ToolErrorCode.InvalidArguments, `Invalid arguments for ${entry.qualifiedName}: ${problems.join('; ')}.`);
      }
      try {
        return toolResultFromValue(await entry.source.invoke(args));
      } catch (err) {
        return toolError(ToolErrorCode.InternalError, `${entry.qualifiedName} failed: ${(err as Error).message}`);
      }
    }
    const outcome = await this.input.run(pluginCommandTarget(entry, entry.source), args, { signal, env, onStderrLine }, call);
    if (outcome instanceof InputRequiredAnswer) {
      trace?.finish({ plugin: entry.source.plugin, entryPath: entry.source.entryPath, run: undefined, outcome: 'input_required' });
      return outcome;
    }
    trace?.finish({ plugin: entry.source.plugin, entryPath: entry.source.entryPath, run: outcome.run, outcome: outcomeOf(outcome.result) });
    return outcome.result;
  }
}

/** W3C trace context: version-traceid-parentid-flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function outcomeOf(result: CallToolResult): CallOutcome {
  if (!result.isError) return 'ok';
  const error = isPlainObject(result.structuredContent) ? result.structuredContent['error'] : undefined;
  const code = isPlainObject(error) ? error['code'] : undefined;
  return typeof code === 'string' && (Object.values(ToolErrorCode) as string[]).includes(code) ? (code as CallOutcome) : 'error';
}

function toTool(entry: ToolEntry): Tool {
  const tool: Tool = { name: entry.name, description: entry.description, inputSchema: entry.inputSchema as Tool['inputSchema'] };
  if (entry.annotations) tool.annotations = entry.annotations;
  if (entry.outputSchema) tool.outputSchema = entry.outputSchema as Tool['outputSchema'];
  return tool;
}
