import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { map, merge } from 'rxjs';
import type { Subscription } from 'rxjs';
import {
  AGENT_TOOL_DESCRIPTION,
  AGENT_TOOL_NAME,
  AgentToolset,
  ToolCatalogService,
  ToolProfilesService,
  agentToolSchema,
} from '@sanctum/discovery';
import type { ProfileCaller, ToolEntry, ToolView } from '@sanctum/discovery';
import { JSONRPC_VERSION, stringifyExact } from '@sanctum/protocol';
import type { CallToolResult } from '@sanctum/protocol';
import { Session, SessionRegistry } from '@sanctum/sessions';
import { APP_LOGGER } from '../logging/logger';
import type { GatewayResponse } from '../http/request-checks';
import { principalOf } from '../http/request-checks';
import { requestCallerOf } from './profile-endpoint';

/** What the gateway keeps of a session for its profiles (its caller is on the session, so that a shared store carries it). */
interface SessionProfileState {
  readonly caller: ProfileCaller;
  /** What its last tools/list showed (fingerprint), once it listed: a change is announced only then. */
  shown?: string;
  /** The agent-driven mode's attached tools, once the session's view enables it. */
  toolset?: AgentToolset;
}

/** The bindings' view of a session's caller. */
function callerOf(session: Session, key: string | undefined): ProfileCaller {
  const caller: ProfileCaller = {};
  if (key !== undefined) caller.key = key;
  if (session.agentId !== undefined) caller.agentId = session.agentId;
  if (session.profileEndpoint !== undefined) caller.endpoint = session.profileEndpoint;
  return caller;
}

/** A tools/call target as the session's view resolves it. */
export type ResolvedTool = { entry: ToolEntry } | { refusal: CallToolResult };

/**
 * Each session's view of the catalog (ToolProfilesService: its key's, agent's and endpoint's
 * profiles) and, where the view enables it, its agent-driven mode (`sanctum__tools`, per session,
 * never for revision 2026-07-28, whose tool list may not depend on earlier requests). After a
 * change of the catalog or the profiles, `notifications/tools/list_changed` goes only to the
 * sessions whose list changed; after an attach or detach, to that session only.
 */
@Injectable()
export class SessionViews implements OnModuleInit, OnModuleDestroy {
  private readonly states = new WeakMap<Session, SessionProfileState>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly profiles: ToolProfilesService,
    private readonly catalog: ToolCatalogService,
    private readonly sessions: SessionRegistry,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  onModuleInit(): void {
    this.subscription = merge(
      this.catalog.changes$.pipe(map((change) => change.toolsChanged)),
      this.profiles.changes$.pipe(map(() => false)),
    ).subscribe((toolsChanged) => this.refresh(toolsChanged));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** Bind a new session to the request that opened it: its key, profile endpoint and X-Agent-Id. */
  record(session: Session, res: GatewayResponse): void {
    const { endpoint, agentId } = requestCallerOf(res);
    session.agentId = agentId;
    session.profileEndpoint = endpoint;
    session.changed();
    this.states.set(session, { caller: callerOf(session, principalOf(res)) });
    if (agentId !== undefined || endpoint !== undefined) {
      const parts = [agentId === undefined ? '' : `agent ${agentId}`, `profile ${this.viewOf(session).profile}`].filter(Boolean);
      this.logger.log(
        { message: `Session ${session.id}: ${parts.join(', ')}`, sessionId: session.id, agentId, profile: this.viewOf(session).profile },
        'Profiles',
      );
    }
  }

  /** Tools by name as the caller of this request sees them, for checks made before its session exists. */
  toolLookup(res: GatewayResponse): (name: string) => ToolEntry | undefined {
    const { endpoint, agentId } = requestCallerOf(res);
    const caller: ProfileCaller = { key: principalOf(res) };
    if (endpoint !== undefined) caller.endpoint = endpoint;
    if (agentId !== undefined) caller.agentId = agentId;
    const view = this.profiles.viewFor(caller);
    return (name) => view.get(name);
  }

  /** Whether the session's tool list changes by its own requests (the agent-driven mode): initialize says `listChanged`. */
  changesToolList(session: Session): boolean {
    return session.transport !== 'stateless' && this.viewOf(session).agentMode !== undefined;
  }

  /** The session's profile chain as logs and metrics name it (`default`, `ops+readonly`). */
  profileOf(session: Session): string {
    return this.viewOf(session).profile;
  }

  /** What tools/list shows this session. */
  tools(session: Session): ToolEntry[] {
    const state = this.state(session);
    const view = this.profiles.viewFor(state.caller);
    state.shown = this.fingerprint(session, state, view);
    return this.listed(session, state, view);
  }

  /**
   * A tools/call's tool for this session: undefined for a name its view does not show (answered
   * exactly as an unknown tool), the original's `tool_not_attached` for a shown tool the agent has
   * not attached.
   */
  resolve(session: Session, name: string): ResolvedTool | undefined {
    const state = this.state(session);
    const view = this.profiles.viewFor(state.caller);
    const toolset = this.toolsetOf(session, state, view);
    if (toolset !== undefined && name === AGENT_TOOL_NAME) return { entry: this.agentTool(session) };
    const entry = view.get(name);
    if (entry === undefined) return undefined;
    if (toolset !== undefined && !toolset.isAttached(entry)) {
      const refusal = toolset.notAttached(entry.name, view);
      return { refusal: { content: [{ type: 'text', text: stringifyExact(refusal, 2) }], structuredContent: refusal, isError: true } };
    }
    return { entry };
  }

  /** The session's view of the catalog: its tools, and which resources, templates and prompts it shows. */
  viewOf(session: Session): ToolView {
    return this.profiles.viewFor(this.state(session).caller);
  }

  private state(session: Session): SessionProfileState {
    let state = this.states.get(session);
    if (state === undefined) {
      // Not recorded here: a stdio session (a 2025 session, or a 2026-07-28 request: stateless and
      // owned by nobody), one another instance opened (sessions shared through Redis, whose caller
      // came with it), or the console's try-it session (owned by the admin's key).
      const stdio = session.transport === 'stdio' || (session.transport === 'stateless' && session.owner === undefined);
      state = { caller: stdio ? { ...callerOf(session, session.owner), stdio: true } : callerOf(session, session.owner) };
      this.states.set(session, state);
    }
    return state;
  }

  private toolsetOf(session: Session, state: SessionProfileState, view: ToolView): AgentToolset | undefined {
    if (view.agentMode === undefined || session.transport === 'stateless') {
      state.toolset = undefined;
      return undefined;
    }
    return (state.toolset ??= new AgentToolset(view));
  }

  private listed(session: Session, state: SessionProfileState, view: ToolView): ToolEntry[] {
    const toolset = this.toolsetOf(session, state, view);
    if (toolset === undefined) return [...view.list()];
    return [this.agentTool(session), ...toolset.listed(view)];
  }

  private fingerprint(session: Session, state: SessionProfileState, view: ToolView): string {
    const toolset = this.toolsetOf(session, state, view);
    return toolset === undefined ? view.fingerprint : `${view.fingerprint}\n${toolset.attachedNames(view).join(',')}`;
  }

  /** `sanctum__tools` for this session: an in-process tool whose calls act on the session's toolset. */
  private agentTool(session: Session): ToolEntry {
    return {
      name: AGENT_TOOL_NAME,
      qualifiedName: 'sanctum.tools',
      description: AGENT_TOOL_DESCRIPTION,
      inputSchema: agentToolSchema(this.profiles.document),
      source: { kind: 'provider', invoke: async (args) => this.agentCall(session, args) },
    };
  }

  private agentCall(session: Session, args: Record<string, unknown>): Record<string, unknown> {
    const state = this.state(session);
    const view = this.profiles.viewFor(state.caller);
    const toolset = this.toolsetOf(session, state, view);
    if (toolset === undefined) return { error: `${AGENT_TOOL_NAME} is not enabled for this session` };
    const answer = toolset.handle(args, view, this.profiles.document);
    if (answer.changed) {
      state.shown = this.fingerprint(session, state, view);
      // After the answer, which is on its way once this call returns.
      setImmediate(() => session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/tools/list_changed' }));
    }
    return answer.value;
  }

  /**
   * The catalog or the profiles changed: tell each session that listed its tools whether what it
   * would see now differs; when the catalog's tools changed, also each session that did not list
   * them here. Returns how many sessions were told.
   */
  refresh(toolsChanged = false): number {
    let told = 0;
    // The sessions opened on this instance (with sessions shared through Redis, each is told once).
    for (const session of this.sessions.listening()) {
      const state = this.states.get(session);
      if (state?.shown === undefined) {
        // Its list was not shown here (never listed, or listed through another instance): what it
        // saw is unknown, so a change of the catalog's tools is announced to it.
        if (toolsChanged && session.transport !== 'stateless') {
          session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/tools/list_changed' });
          told++;
        }
        continue;
      }
      const now = this.fingerprint(session, state, this.profiles.viewFor(state.caller));
      if (now === state.shown) continue;
      state.shown = now;
      session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/tools/list_changed' });
      told++;
    }
    if (told > 0 || this.profiles.document !== undefined)
      this.logger.log(`Tools changed for ${told} sessions; each was sent tools/list_changed`, 'Profiles');
    return told;
  }
}
