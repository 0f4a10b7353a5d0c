import type { ToolEntry } from '../catalog';
import type { PromptEntry, ResourceEntry, ResourceTemplateEntry } from '../content-catalog';
import { DEFAULT_PROFILE } from './profiles-file';
import type { ProfileSpec, ProfilesDocument } from './profiles-file';
import { anyOf } from './selectors';
import type { Match, Selectable } from './selectors';

/** What a selector sees of a catalog entry. */
export function selectableOf(entry: ToolEntry): Selectable {
  return { name: entry.name, qualifiedName: entry.qualifiedName, plugin: entry.source.kind === 'plugin' ? entry.source.plugin : undefined };
}

/** Whether a profile (as declared) shows this catalog entry: selected by `tools`, not by `excludeTools`. */
export function profileSelects(spec: ProfileSpec): Match {
  const included = anyOf(spec.tools);
  const excluded = anyOf(spec.excludeTools);
  return (item) => included(item) && !excluded(item);
}

/**
 * The profiles a caller gets, narrowest last: the key's (or `default`), then the agent's
 * (X-Agent-Id), then the endpoint's (`/profiles/<name>/...`). Each may only narrow the one before:
 * the caller sees what all of them show.
 */
export interface ProfileChain {
  readonly names: readonly string[];
}

/**
 * The part of the catalog one caller sees: the entries every profile of its chain shows, under
 * the name and description the narrowest override gives them. Lists and look-ups of a hidden tool
 * behave as for an unknown one; a renamed tool is known by its new name only.
 */
export class ToolView {
  /** The chain's profiles joined by `+`, for logs and metrics (`default`, `ops+readonly`). */
  readonly profile: string;
  private readonly tools: readonly ToolEntry[];
  private readonly byName = new Map<string, ToolEntry>();
  private readonly byQualified = new Map<string, ToolEntry>();
  /** The agent-driven mode of the narrowest profile, with what a session starts with attached. */
  readonly agentMode: { attach: Match } | undefined;
  private readonly resourceMatch: Match;
  private readonly promptMatch: Match;
  private print: string | undefined;

  constructor(catalog: readonly ToolEntry[], document: ProfilesDocument | undefined, chain: ProfileChain) {
    this.profile = chain.names.join('+');
    const specs = chain.names.map((name) => specOf(document, name));
    const selects = specs.map((spec) => (spec === undefined ? () => true : profileSelects(spec)));
    const tools: ToolEntry[] = [];
    const renamed = new Set<ToolEntry>();
    for (const entry of catalog) {
      const item = selectableOf(entry);
      if (!selects.every((select) => select(item))) continue;
      const viewed = overridden(entry, specs);
      if (viewed.name !== entry.name) renamed.add(viewed);
      tools.push(viewed);
    }
    tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const tool of tools) {
      // A renamed tool answers to its new name only; a new name taken already keeps its first owner.
      if (this.byName.has(tool.name)) continue;
      this.byName.set(tool.name, tool);
      if (!renamed.has(tool)) this.byQualified.set(tool.qualifiedName, tool);
    }
    this.tools = tools.filter((tool) => this.byName.get(tool.name) === tool);
    const resources = specs.map((spec) => (spec === undefined ? () => true : anyOf(spec.resources)));
    const prompts = specs.map((spec) => (spec === undefined ? () => true : anyOf(spec.prompts)));
    this.resourceMatch = (item) => resources.every((match) => match(item));
    this.promptMatch = (item) => prompts.every((match) => match(item));
    const narrowest = specs[specs.length - 1];
    const mode = narrowest?.agentMode;
    this.agentMode = mode === undefined || mode === false ? undefined : { attach: anyOf(mode === true ? [] : mode.attach) };
  }

  /** The tools shown, sorted by name. */
  list(): readonly ToolEntry[] {
    return this.tools;
  }

  /** A shown tool by its name here, or by `plugin.command` when the profile did not rename it. */
  get(name: string): ToolEntry | undefined {
    return this.byName.get(name) ?? this.byQualified.get(name);
  }

  get size(): number {
    return this.tools.length;
  }

  /** Whether every profile of the chain shows this resource (selected by URI, `owner.name` or `{"plugin"}`). */
  showsResource(entry: ResourceEntry): boolean {
    return this.resourceMatch({ name: entry.uri, qualifiedName: `${entry.owner}.${entry.name}`, plugin: entry.owner });
  }

  /** The same for a resource template, selected by its URI template. */
  showsTemplate(entry: ResourceTemplateEntry): boolean {
    return this.resourceMatch({ name: entry.uriTemplate, qualifiedName: `${entry.owner}.${entry.name}`, plugin: entry.owner });
  }

  /** Whether every profile of the chain shows this prompt (by name, `plugin.prompt` or `{"plugin"}`). */
  showsPrompt(entry: PromptEntry): boolean {
    return this.promptMatch({
      name: entry.name,
      qualifiedName: entry.qualifiedName,
      plugin: entry.source.kind === 'plugin' ? entry.source.plugin : entry.qualifiedName.split('.')[0],
    });
  }

  /** What clients see of this view; equal fingerprints mean nothing to announce. */
  get fingerprint(): string {
    return (this.print ??= JSON.stringify(this.tools.map((t) => [t.name, t.description, t.inputSchema, t.annotations, t.outputSchema])));
  }
}

function specOf(document: ProfilesDocument | undefined, name: string): ProfileSpec | undefined {
  // No profiles file, or a file without `default`: the default profile shows the whole catalog.
  if (document === undefined) return undefined;
  const spec = Object.hasOwn(document.profiles, name) ? document.profiles[name] : undefined;
  if (spec === undefined && name === DEFAULT_PROFILE) return undefined;
  return spec ?? { tools: [] };
}

/** The entry as the chain shows it: the narrowest profile's override of its name and description wins. */
function overridden(entry: ToolEntry, specs: readonly (ProfileSpec | undefined)[]): ToolEntry {
  let name: string | undefined;
  let description: string | undefined;
  for (const spec of specs) {
    const overrides = spec?.overrides;
    const key = overrides === undefined ? undefined : [entry.name, entry.qualifiedName].find((name) => Object.hasOwn(overrides, name));
    const override = key === undefined ? undefined : overrides?.[key];
    if (override?.name !== undefined) name = override.name;
    if (override?.description !== undefined) description = override.description;
  }
  if (name === undefined && description === undefined) return entry;
  return { ...entry, name: name ?? entry.name, description: description ?? entry.description };
}
