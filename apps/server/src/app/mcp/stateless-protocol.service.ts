import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { Subject } from 'rxjs';
import { ToolCatalogService } from '@sanctum/discovery';
import type { ResourceUpdate, ToolEntry } from '@sanctum/discovery';
import {
  ALL_PROTOCOL_VERSIONS,
  ErrorCode,
  JSONRPC_VERSION,
  MetaKey,
  Method,
  StatelessErrorCode,
  StatelessMethod,
  RpcError,
  checkStatelessRequest,
  checkParamHeaders,
  isFailure,
  isPlainObject,
  progressTokenOf,
  stampStatelessResult,
  success,
} from '@sanctum/protocol';
import type { HeaderLookup, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse, StatelessEnvelope } from '@sanctum/protocol';
import { Session, SessionLimits } from '@sanctum/sessions';
import type { Occupancy } from '@sanctum/sessions';
import { randomUUID } from 'node:crypto';
import { DISPATCHER_CONFIG } from '../config/config.slices';
import type { DispatcherConfig } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { McpContent } from './mcp-content.service';
import { McpDispatcher } from './mcp-dispatcher.service';
import { SERVER_INFO, SERVER_INSTRUCTIONS, serverCapabilities } from './server-info';
import { StatelessConnection } from './stateless-connection';
import type { StatelessClient, StatelessReply } from './stateless-connection';

/** Methods of protocol revision 2026-07-28 a client may call here (the content ones when the catalog has content). */
export const STATELESS_METHODS: readonly string[] = [
  StatelessMethod.Discover,
  Method.ToolsList,
  Method.ToolsCall,
  StatelessMethod.Listen,
  Method.ResourcesList,
  Method.ResourceTemplatesList,
  Method.ResourcesRead,
  Method.PromptsList,
  Method.PromptsGet,
  Method.Complete,
];

/** Results clients may cache (SEP-2549): every list, and resources/read. */
const CACHEABLE: readonly string[] = [Method.ToolsList, Method.ResourcesList, Method.ResourceTemplatesList, Method.ResourcesRead, Method.PromptsList];

/** A change a listen stream may be told about. */
type ListenEvent = { kind: 'tools' } | { kind: 'resources' } | { kind: 'prompts' } | { kind: 'updated'; update: ResourceUpdate };

/** What a subscriptions/listen stream asked for and what the gateway can deliver. */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** One open subscriptions/listen stream, whatever carries it (an HTTP response, a stdio connection). */
export interface Listener {
  /** Whether the subscription has ended (at once, when nothing asked for can be delivered). */
  readonly ended: boolean;
  /** Ends the subscription. `graceful`: the final result is sent first (server shutdown). */
  stop(graceful: boolean): void;
}

export interface StatelessAnswer {
  /** HTTP status for a transport that has one: 200, or 404 for a method this revision does not have. */
  status: number;
  response: JsonRpcResponse;
}

/**
 * Protocol revision 2026-07-28 (stateless) over the same catalog, executor and dispatcher as the
 * 2025 revisions: each request brings its own `_meta` envelope, runs in a throwaway session that
 * exists only while it runs, and gets a result stamped with `resultType`, cache hints and `_meta`
 * serverInfo. Catalog changes reach `subscriptions/listen` streams through an RxJS subject.
 *
 * Every transport serves it through a `StatelessConnection` (`connect()`): Streamable HTTP one per
 * POST, stdio one per connection.
 */
@Injectable()
export class StatelessProtocol implements OnApplicationShutdown {
  private readonly catalogChanges = new Subject<ListenEvent>();
  /** Open listen streams and the principal each belongs to. */
  private readonly listeners = new Map<Listener, string | undefined>();

  constructor(
    private readonly dispatcher: McpDispatcher,
    private readonly content: McpContent,
    private readonly catalog: ToolCatalogService,
    private readonly limits: SessionLimits,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  /** The handling of one client's messages: a Streamable HTTP POST, or a whole stdio connection. */
  connect(client: StatelessClient): StatelessConnection {
    return new StatelessConnection(this, client, this.logger);
  }

  /** Open subscriptions/listen streams (for logs and tests). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Why another listen stream for this principal is refused (they hold a connection each, like a
   * session: the same caps apply, counted separately), or undefined when it may open.
   */
  listenRefusal(principal: string | undefined): string | undefined {
    const listeners = this.listeners;
    const open: Occupancy = {
      total: listeners.size,
      ownedBy: (key) => {
        let own = 0;
        for (const owner of listeners.values()) if (owner === key) own++;
        return own;
      },
    };
    return this.limits.refusal('listen-stream', principal, open)?.message;
  }

  /** The plugin catalog changed: tell every listener that asked for tool changes. */
  announceToolsChanged(): void {
    this.catalogChanges.next({ kind: 'tools' });
  }

  /** The resource or prompt lists changed: tell the listeners that asked for those. */
  announceContentChanged(changed: { resources: boolean; prompts: boolean }): void {
    if (changed.resources) this.catalogChanges.next({ kind: 'resources' });
    if (changed.prompts) this.catalogChanges.next({ kind: 'prompts' });
  }

  /** Resources whose file or plugin changed: tell the listeners subscribed to their URIs. */
  announceResourceUpdate(update: ResourceUpdate): void {
    this.catalogChanges.next({ kind: 'updated', update });
  }

  /** Whether revision 2026-07-28 has this method here. */
  serves(method: string): boolean {
    return STATELESS_METHODS.includes(method);
  }

  /**
   * The envelope of a request (or notification) and, when the transport has headers, the headers
   * against the body, including the Mcp-Param-* headers of the named tool's x-mcp-header arguments
   * (an unknown tool is the dispatcher's error). `tool` finds the tool as the caller's profiles show
   * it: a hidden tool's headers are not checked, so that its answer is an unknown tool's. Throws the
   * RpcError to answer.
   */
  check(message: JsonRpcMessage, header: HeaderLookup | undefined, tool: (name: string) => ToolEntry | undefined = (name) => this.catalog.get(name)): StatelessEnvelope {
    const envelope = checkStatelessRequest(message, header);
    if (header && 'id' in message && 'method' in message && message.method === Method.ToolsCall) {
      const name = message.params?.['name'];
      const args = message.params?.['arguments'];
      const entry = typeof name === 'string' ? tool(name) : undefined;
      if (entry && isPlainObject(args)) checkParamHeaders(entry.inputSchema, args, header);
    }
    return envelope;
  }

  /**
   * A throwaway session for one request: owned by the caller's principal, never registered, so no
   * state outlives the request. Its in-flight call is cancelled when it is closed.
   */
  requestSession(principal: string | undefined, envelope: StatelessEnvelope): Session {
    const session = new Session(`stateless-${randomUUID()}`, 'stateless');
    session.owner = principal;
    if (envelope.clientInfo) session.clientInfo = envelope.clientInfo;
    if (envelope.logLevel) session.logLevel = envelope.logLevel;
    session.clientCapabilities = envelope.clientCapabilities;
    session.initialized = true;
    return session;
  }

  /**
   * Whether the request may send messages before its answer: a tools/call that asked for progress
   * or set a log level (over HTTP its answer is then an SSE stream).
   */
  sendsInterimMessages(request: JsonRpcRequest, envelope: StatelessEnvelope): boolean {
    return request.method === Method.ToolsCall && (progressTokenOf(request.params) !== undefined || envelope.logLevel !== undefined);
  }

  /**
   * Whether a message the session emits may reach this request's client: `notifications/message`
   * only when the request set a log level (MCP 2026-07-28: without it the server sends none).
   */
  delivers(envelope: StatelessEnvelope, message: JsonRpcMessage): boolean {
    return !('method' in message) || message.method !== Method.Message || envelope.logLevel !== undefined;
  }

  /** Answer one request (anything but subscriptions/listen, which streams). */
  async respond(request: JsonRpcRequest, session: Session): Promise<StatelessAnswer> {
    switch (request.method) {
      case StatelessMethod.Discover:
        return { status: 200, response: success(request.id, this.stamp(this.discoverResult(), true)) };
      case Method.ToolsList:
      case Method.ToolsCall:
      case Method.ResourcesList:
      case Method.ResourceTemplatesList:
      case Method.ResourcesRead:
      case Method.PromptsList:
      case Method.PromptsGet:
      case Method.Complete: {
        const response = await this.dispatcher.handleMessage(request, session, { stateless: true });
        // handleMessage answers every request; null cannot happen for one with an id.
        const answered = response ?? RpcError.internal('no response').toResponse(request.id);
        // A capability the client did not declare is refused with 400 (MissingRequiredClientCapabilityError).
        if (isFailure(answered)) return { status: answered.error.code === StatelessErrorCode.MissingRequiredClientCapability ? 400 : 200, response: answered };
        return { status: 200, response: success(request.id, this.stamp(answered.result, CACHEABLE.includes(request.method))) };
      }
      default:
        return { status: 404, response: this.methodNotFound(request).toResponse(request.id) };
    }
  }

  methodNotFound(request: JsonRpcRequest): RpcError {
    const removed = [Method.Initialize, Method.Ping, Method.SetLevel] as string[];
    const hint = removed.includes(request.method)
      ? ` ${request.method} does not exist in protocol revision 2026-07-28 (requests carry their own _meta envelope instead); send it without the envelope to use the 2025 revisions.`
      : '';
    return new RpcError(
      ErrorCode.MethodNotFound,
      `Method not found: '${request.method}'. Methods of revision 2026-07-28 here: ${STATELESS_METHODS.join(', ')}.${hint}`,
    );
  }

  discoverResult(): Record<string, unknown> {
    return {
      supportedVersions: [...ALL_PROTOCOL_VERSIONS],
      capabilities: serverCapabilities(this.config.watchPlugins, this.content.offers(), true),
      instructions: SERVER_INSTRUCTIONS,
    };
  }

  private stamp(result: unknown, cacheable: boolean): Record<string, unknown> {
    return stampStatelessResult(result, {
      serverInfo: { name: SERVER_INFO.name, version: SERVER_INFO.version },
      cache: cacheable ? { ttlMs: this.config.listTtlMs, cacheScope: 'private' } : undefined,
    });
  }

  /**
   * subscriptions/listen: opens the reply's stream with the acknowledgement (the filter narrowed to
   * what the gateway can deliver: tool-list changes, and only while it watches the plugins folder),
   * then sends every requested change notification, each tagged with the subscription id (the
   * request's id). Returns the listener, or an error to answer instead (invalid filter).
   */
  listen(
    request: JsonRpcRequest,
    reply: StatelessReply,
    caller: Session,
    onEnd: () => void,
  ): { listener: Listener } | { error: JsonRpcResponse } {
    const owner = caller.owner;
    const filter = request.params?.['notifications'];
    if (!isPlainObject(filter)) {
      return {
        error: RpcError.invalidParams(
          'subscriptions/listen needs params.notifications, an object such as {"toolsListChanged": true}.',
        ).toResponse(request.id),
      };
    }
    const tag = { [MetaKey.SubscriptionId]: request.id };
    const honoured: ListenFilter = {};
    // Changes come from hot reload: without watching the plugins folder there are none to deliver.
    if (this.config.watchPlugins) {
      if (filter['toolsListChanged'] === true) honoured.toolsListChanged = true;
      if (filter['promptsListChanged'] === true) honoured.promptsListChanged = true;
      if (filter['resourcesListChanged'] === true) honoured.resourcesListChanged = true;
      const uris = filter['resourceSubscriptions'];
      if (Array.isArray(uris)) {
        // Only what the caller may read: a URI its profiles hide is left out, as an unknown one.
        const readable = uris.filter((uri): uri is string => typeof uri === 'string' && this.content.visible(uri, caller));
        if (readable.length > 0) honoured.resourceSubscriptions = [...new Set(readable)].slice(0, MAX_LISTEN_URIS);
      }
    }
    reply.openStream();
    reply.notify({ jsonrpc: JSONRPC_VERSION, method: StatelessMethod.Acknowledged, params: { notifications: honoured, _meta: tag } });

    let ended = false;
    const followed = new Set(honoured.resourceSubscriptions ?? []);
    const notify = (method: string, params: Record<string, unknown> = {}): void =>
      reply.notify({ jsonrpc: JSONRPC_VERSION, method, params: { ...params, _meta: tag } });
    const wanted = honoured.toolsListChanged || honoured.promptsListChanged || honoured.resourcesListChanged || followed.size > 0;
    const subscription = wanted
      ? this.catalogChanges.subscribe((event) => {
          if (event.kind === 'tools' && honoured.toolsListChanged) notify(StatelessMethod.ToolsListChanged);
          else if (event.kind === 'prompts' && honoured.promptsListChanged) notify(Method.PromptsListChanged);
          else if (event.kind === 'resources' && honoured.resourcesListChanged) notify(Method.ResourcesListChanged);
          else if (event.kind === 'updated') {
            for (const uri of followed) if (this.catalog.affectedBy(event.update, uri)) notify(Method.ResourceUpdated, { uri });
          }
        })
      : undefined;
    const listener: Listener = {
      get ended() {
        return ended;
      },
      stop: (graceful) => {
        if (ended) return;
        ended = true;
        subscription?.unsubscribe();
        this.listeners.delete(listener);
        if (graceful) reply.answer(success(request.id, this.stamp({ _meta: tag }, false)), 200);
        reply.end();
        onEnd();
      },
    };
    this.listeners.set(listener, owner);
    // Nothing the client asked for can be delivered: say so and end at once.
    if (!wanted) listener.stop(true);
    return { listener };
  }

  /** Server shutdown: every listen stream gets its final result and ends. */
  stopListeners(): void {
    for (const listener of [...this.listeners.keys()]) listener.stop(true);
  }

  onApplicationShutdown(): void {
    this.stopListeners();
    this.catalogChanges.complete();
  }
}

/** The most URIs one listen stream may follow. */
const MAX_LISTEN_URIS = 1_000;
