import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { DEFAULT_PROFILE, PluginWatcherService, ToolCatalogService, ToolProfilesService } from '@sanctum/discovery';
import type { DiscoveryReport, ToolEntry } from '@sanctum/discovery';
import { JSONRPC_VERSION, Method } from '@sanctum/protocol';
import type { JsonRpcMessage, JsonRpcResponse } from '@sanctum/protocol';
import { Session, SessionRegistry } from '@sanctum/sessions';
import type { ConsoleContent, ConsolePlugins, ConsoleTool, SessionList } from '@sanctum/console-api';
import { APP_LOGGER } from '../logging/logger';
import { McpDispatcher } from '../mcp/mcp-dispatcher.service';
import { RecentCalls } from './recent-calls';

/** Sessions one snapshot lists at most (newest first); the total is always given. */
export const SESSIONS_SHOWN = 500;

const LANGUAGES: Record<string, string> = {
  '.py': 'Python',
  '.js': 'JavaScript (Node.js)',
  '.mjs': 'JavaScript (Node.js)',
  '.sh': 'shell',
};

/** What a running "try it" call reports: its notifications (progress, log lines), then its response. */
export type TryItEvent = { kind: 'notification'; message: JsonRpcMessage } | { kind: 'response'; response: JsonRpcResponse | null };

/**
 * The console's reads of the gateway's state (the catalog, its discovery report, the session
 * registry, the recent calls) and its actions (reload, end a session, try a tool). Nothing here runs
 * on the message path: a "try it" call goes through the one dispatcher like any client's.
 */
@Injectable()
export class ConsoleService {
  private readonly seen = new WeakMap<DiscoveryReport, number>();

  constructor(
    @Inject(ToolCatalogService) private readonly catalog: ToolCatalogService,
    @Inject(PluginWatcherService) private readonly watcher: PluginWatcherService,
    @Inject(SessionRegistry) private readonly sessions: SessionRegistry,
    @Inject(RecentCalls) private readonly calls: RecentCalls,
    @Inject(McpDispatcher) private readonly dispatcher: McpDispatcher,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    @Optional() @Inject(ToolProfilesService) private readonly profiles?: ToolProfilesService,
  ) {}

  plugins(): ConsolePlugins {
    const report = this.catalog.report;
    let discoveredAt = this.seen.get(report);
    if (discoveredAt === undefined) {
      discoveredAt = Date.now();
      this.seen.set(report, discoveredAt);
    }
    const plugins: ConsolePlugins = {
      loaded: report.plugins.map((p) => ({
        name: p.name,
        dir: p.dir,
        language: LANGUAGES[extname(p.entryPath)] ?? 'executable',
        version: p.version,
        via: p.via,
        commands: p.commands.map((c) => ({ name: c.name, description: c.description })),
      })),
      skipped: report.skipped.map((s) => ({ name: s.name, dir: s.dir, reason: s.reason })),
      discoveredAt,
    };
    if (report.refusal !== undefined) plugins.refusal = report.refusal;
    return plugins;
  }

  tools(): ConsoleTool[] {
    const tools = this.catalog.list().map(toConsoleTool);
    const document = this.profiles?.document;
    if (this.profiles === undefined || document === undefined) return tools;
    const names = [DEFAULT_PROFILE, ...Object.keys(document.profiles).filter((n) => n !== DEFAULT_PROFILE)];
    const views = names.map((name) => ({ name, view: this.profiles?.view({ names: [name] }) }));
    for (const tool of tools) tool.profiles = views.filter(({ view }) => view?.get(tool.name) !== undefined).map(({ name }) => name);
    return tools;
  }

  content(): ConsoleContent {
    const fields = (e: { name: string; title?: string; description?: string; mimeType?: string; owner: string }) => ({
      name: e.name,
      ...(e.title === undefined ? {} : { title: e.title }),
      ...(e.description === undefined ? {} : { description: e.description }),
      ...(e.mimeType === undefined ? {} : { mimeType: e.mimeType }),
      owner: e.owner,
    });
    return {
      resources: this.catalog.listResources().map((r) => ({ uri: r.uri, ...fields(r) })),
      templates: this.catalog.listResourceTemplates().map((t) => ({ uriTemplate: t.uriTemplate, ...fields(t) })),
      prompts: this.catalog.listPrompts().map((p) => ({
        name: p.name,
        qualifiedName: p.qualifiedName,
        ...(p.title === undefined ? {} : { title: p.title }),
        ...(p.description === undefined ? {} : { description: p.description }),
        arguments: p.arguments.map((a) => ({
          name: a.name,
          ...(a.description === undefined ? {} : { description: a.description }),
          required: a.required,
        })),
      })),
    };
  }

  sessionList(): SessionList {
    const all = this.sessions.all();
    const lastCalls = this.calls.lastCallBySession();
    const shown = all.sort((a, b) => b.createdAt - a.createdAt).slice(0, SESSIONS_SHOWN);
    return {
      total: all.length,
      sessions: shown.map((s) => ({
        id: s.id,
        transport: s.transport,
        protocolVersion: s.protocolVersion,
        client: s.clientInfo,
        owner: s.owner,
        agentId: s.agentId,
        profileEndpoint: s.profileEndpoint,
        createdAt: s.createdAt,
        lastCallAt: lastCalls.get(s.id),
        idleSince: this.sessions.idleSince(s.id),
        inFlight: s.inFlightCount,
      })),
    };
  }

  /** The same reload the plugins-folder watcher runs. */
  async reload(principal: string): Promise<ConsolePlugins> {
    this.logger.log(`Console: ${principal} reloads the plugins`, 'Console');
    await this.watcher.reloadNow();
    return this.plugins();
  }

  /** End a session as the idle reaper would: its calls are cancelled and `Session ended` is logged. */
  endSession(id: string, principal: string): boolean {
    const ended = this.sessions.remove(id, { reason: 'ended from the console', note: `ended from the console by ${principal}` });
    if (ended) this.logger.log(`Console: ${principal} ended session ${id}`, 'Console');
    return ended;
  }

  /**
   * Run a tool as a client would, under the admin's principal, in a session of its own that is
   * never registered: its progress and log notifications and then its response go to `emit`.
   * Closing the returned session (the browser went away) cancels the call.
   */
  tryIt(
    principal: string,
    name: string,
    args: Record<string, unknown>,
    emit: (event: TryItEvent) => void,
  ): { session: Session; done: Promise<void> } {
    const session = new Session(`console-${randomUUID()}`, 'stateless');
    session.owner = principal;
    session.initialized = true;
    session.logLevel = 'debug';
    const subscription = session.outgoing.subscribe((out) => emit({ kind: 'notification', message: out.message }));
    this.logger.log(
      { message: `Console: ${principal} tries ${name} (${session.id})`, sessionId: session.id, tool: name, key: principal },
      'Console',
    );
    const request: JsonRpcMessage = {
      jsonrpc: JSONRPC_VERSION,
      id: 1,
      method: Method.ToolsCall,
      params: { name, arguments: args, _meta: { progressToken: session.id } },
    };
    const done = this.dispatcher.handleMessage(request, session).then((response) => {
      subscription.unsubscribe();
      emit({ kind: 'response', response });
      session.close();
    });
    return { session, done };
  }
}

function toConsoleTool(entry: ToolEntry): ConsoleTool {
  const tool: ConsoleTool = {
    name: entry.name,
    qualifiedName: entry.qualifiedName,
    description: entry.description,
    source: entry.source.kind === 'plugin' ? entry.source.plugin : 'provider',
    inputSchema: entry.inputSchema,
  };
  if (entry.outputSchema) tool.outputSchema = entry.outputSchema;
  if (entry.annotations) tool.annotations = entry.annotations;
  return tool;
}
