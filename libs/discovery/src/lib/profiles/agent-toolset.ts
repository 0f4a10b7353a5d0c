import type { ObjectSchema } from '@sanctum/protocol';
import type { ToolEntry } from '../catalog';
import { DEFAULT_PROFILE } from './profiles-file';
import type { ProfilesDocument } from './profiles-file';
import { profileSelects, selectableOf } from './tool-view';
import type { ToolView } from './tool-view';

/** The tool of the agent-driven mode, named as in the Python original (sanctumos/smcp 3.1). */
export const AGENT_TOOL_NAME = 'sanctum__tools';

export const AGENT_ACTIONS = ['help', 'list-available', 'list-attached', 'attach', 'detach', 'attach-profile'] as const;

/** `sanctum__tools`'s input schema: the original's, with the profiles this file declares. */
export function agentToolSchema(document: ProfilesDocument | undefined): ObjectSchema {
  const profiles = Object.keys(document?.profiles ?? {}).sort();
  return {
    type: 'object',
    properties: {
      action: { type: 'string', enum: [...AGENT_ACTIONS] },
      tool: { type: 'string' },
      tools: { type: 'array', items: { type: 'string' } },
      profile: profiles.length > 0 ? { type: 'string', enum: profiles } : { type: 'string' },
      intent: { type: 'string' },
    },
    required: ['action'],
    additionalProperties: false,
  } as ObjectSchema;
}

export const AGENT_TOOL_DESCRIPTION = 'Sanctum SMCP governor: help, list/attach/detach tools, apply profiles.';

/** An action's answer, and whether the attached set changed (then the session is told list_changed). */
export interface AgentAnswer {
  value: Record<string, unknown>;
  changed: boolean;
}

/**
 * The tools one session has attached in the agent-driven mode: the original's `Governor`, but per
 * session and bounded by the session's view (what its profiles show). Tools are remembered by
 * `plugin.command`, so a rename by a reloaded profile keeps them attached.
 */
export class AgentToolset {
  private readonly attached = new Set<string>();

  constructor(view: ToolView) {
    const attach = view.agentMode?.attach;
    if (attach) for (const tool of view.list()) if (attach(selectableOf(tool))) this.attached.add(tool.qualifiedName);
  }

  /** What tools/list shows: `sanctum__tools`' entry first, then the attached tools the view still shows. */
  listed(view: ToolView): ToolEntry[] {
    return view.list().filter((tool) => this.attached.has(tool.qualifiedName));
  }

  isAttached(tool: ToolEntry): boolean {
    return this.attached.has(tool.qualifiedName);
  }

  /** Names as the session sees them, `sanctum__tools` included, sorted (the original's `list-attached`). */
  attachedNames(view: ToolView): string[] {
    return [AGENT_TOOL_NAME, ...this.listed(view).map((tool) => tool.name)].sort();
  }

  /** One call of `sanctum__tools` (arguments already validated against agentToolSchema). */
  handle(args: Record<string, unknown>, view: ToolView, document: ProfilesDocument | undefined): AgentAnswer {
    const action = String(args['action'] ?? '')
      .trim()
      .toLowerCase()
      .replace(/_/g, '-');
    const names = Array.isArray(args['tools'])
      ? args['tools'].map(String)
      : typeof args['tool'] === 'string' && args['tool']
        ? [args['tool']]
        : [];
    switch (action) {
      case 'list-available':
        return { value: { tools: view.list().map((tool) => tool.name) }, changed: false };
      case 'list-attached':
        return { value: { tools: this.attachedNames(view) }, changed: false };
      case 'attach': {
        const ok = names.filter((name) => {
          if (name === AGENT_TOOL_NAME) return true;
          const tool = view.get(name);
          if (tool === undefined) return false;
          this.attached.add(tool.qualifiedName);
          return true;
        });
        return { value: { attached: ok, attached_set: this.attachedNames(view) }, changed: ok.some((name) => name !== AGENT_TOOL_NAME) };
      }
      case 'detach': {
        const ok = names.filter((name) => {
          const tool = name === AGENT_TOOL_NAME ? undefined : view.get(name);
          return tool !== undefined && this.attached.delete(tool.qualifiedName);
        });
        return { value: { detached: ok, attached_set: this.attachedNames(view) }, changed: ok.length > 0 };
      }
      case 'attach-profile': {
        const profile = String(args['profile'] ?? DEFAULT_PROFILE).trim();
        const spec = document !== undefined && Object.hasOwn(document.profiles, profile) ? document.profiles[profile] : undefined;
        if (spec === undefined && profile !== DEFAULT_PROFILE) return { value: { error: `unknown profile: ${profile}` }, changed: false };
        const select = spec === undefined ? () => true : profileSelects(spec);
        const before = [...this.attached].sort().join('\n');
        this.attached.clear();
        for (const tool of view.list()) if (select(selectableOf(tool))) this.attached.add(tool.qualifiedName);
        return { value: { profile, attached: this.attachedNames(view) }, changed: [...this.attached].sort().join('\n') !== before };
      }
      case 'help': {
        const intent = String(args['intent'] ?? '')
          .trim()
          .toLowerCase();
        // Only hints about tools this session may use: the others are not to be revealed.
        const hints = (document?.intentHints ?? []).filter((hint) => view.get(hint.tool) !== undefined);
        const matches =
          intent === '' ? hints : hints.filter((h) => h.intent.toLowerCase().includes(intent) || h.tool.toLowerCase().includes(intent));
        const profiles =
          Object.keys(document?.profiles ?? {})
            .sort()
            .join(', ') || DEFAULT_PROFILE;
        return {
          value: { matches, note: `Detached tools return attach hint on call. Use attach-profile with one of: ${profiles}.` },
          changed: false,
        };
      }
      default:
        return { value: { error: `unknown action: ${action}` }, changed: false };
    }
  }

  /** The original's answer to a call of a tool the view shows but the session has not attached. */
  notAttached(name: string, view: ToolView): Record<string, unknown> {
    return {
      error: 'tool_not_attached',
      tool: name,
      hint: `Run ${AGENT_TOOL_NAME} action=attach tool=${name} or action=attach-profile`,
      attached: this.attachedNames(view),
    };
  }
}
