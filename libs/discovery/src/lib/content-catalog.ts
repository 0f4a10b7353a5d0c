import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { CompletionSpec, ContentSource, PromptArgumentSpec, PromptSpec, ResourceFields } from '@sanctum/protocol';

/** Where a plugin's resource or prompt runs: the plugin, its folder and entry, its limits. */
export interface PluginContentSource {
  kind: 'plugin';
  plugin: string;
  dir: string;
  entryPath: string;
  /** ms, as for the plugin's tools (MCP_PLUGIN_TIMEOUTS); undefined = the executor's default. */
  timeoutMs?: number;
  env?: readonly string[];
}

/** What a resource's or template's content comes from. */
export type ResourceSource = (PluginContentSource & { content: ContentSource }) | ProviderResourceSource;

/** A resource of a Nest provider (`@McpResource`): called in-process with the URI and the template's variables. */
export interface ProviderResourceSource {
  kind: 'provider';
  read: (uri: string, variables: Readonly<Record<string, string>>) => Promise<unknown>;
}

/** The fields MCP `Resource` and `ResourceTemplate` share, and who contributed the entry. */
interface CatalogResourceFields extends ResourceFields {
  /** `plugin` or the provider's namespace: who contributed it (logs, metrics). */
  owner: string;
}

/** One fixed resource of the catalog. Its URI is served as written. */
export interface ResourceEntry extends CatalogResourceFields {
  uri: string;
  size?: number;
  source: ResourceSource;
}

/** One resource template of the catalog. */
export interface ResourceTemplateEntry extends CatalogResourceFields {
  uriTemplate: string;
  /** The parsed template: matches URIs and names the variables. */
  template: UriTemplate;
  completions?: Readonly<Record<string, CompletionSpec | ProviderCompletion>>;
  source: ResourceSource;
}

/** Completion by a Nest provider: a function of the partial value and the context arguments. */
export interface ProviderCompletion {
  kind: 'provider';
  complete: (value: string, context: Readonly<Record<string, string>>) => Promise<string[]>;
}

export type PromptSource = (PluginContentSource & { prompt: PromptSpec['source'] }) | ProviderPromptSource;

/** A prompt of a Nest provider (`@McpPrompt`): called in-process with the arguments. */
export interface ProviderPromptSource {
  kind: 'provider';
  render: (args: Readonly<Record<string, string>>) => Promise<unknown>;
}

export interface PromptArgumentEntry extends Omit<PromptArgumentSpec, 'completion'> {
  completion?: CompletionSpec | ProviderCompletion;
}

/** One prompt of the catalog, named with the tool name template. */
export interface PromptEntry {
  /** The advertised name. */
  name: string;
  /** `plugin.prompt` (or `namespace.prompt`): logs, and accepted by prompts/get like `plugin.command` for tools. */
  qualifiedName: string;
  title?: string;
  description?: string;
  arguments: PromptArgumentEntry[];
  source: PromptSource;
}

/** A URI the catalog can read: a fixed resource, or a template it matched with its variables. */
export type ResourceMatch =
  | { kind: 'resource'; entry: ResourceEntry }
  | { kind: 'template'; entry: ResourceTemplateEntry; variables: Record<string, string> };

/** Two entries claim the same URI, URI template or prompt name: the later one is skipped. */
export class ContentConflictError extends Error {
  constructor(what: string, key: string, existing: string, incoming: string) {
    super(`${what} '${key}' of ${incoming} is already offered by ${existing}; rename it in one of them.`);
    this.name = 'ContentConflictError';
  }
}

export class InvalidPromptNameError extends Error {
  constructor(name: string, qualifiedName: string, pattern: RegExp) {
    super(`prompt name '${name}' of ${qualifiedName} does not match ${pattern.source}; rename the prompt or change MCP_TOOL_NAME_TEMPLATE.`);
    this.name = 'InvalidPromptNameError';
  }
}

const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** A template variable's value: RFC 6570 explodes may give a list; the gateway passes text. */
function flatten(variables: Variables): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) out[key] = Array.isArray(value) ? value.join(',') : value;
  return out;
}

/**
 * The resources, resource templates and prompts the gateway serves, from every source. Lists are
 * sorted (by URI, URI template, name) so the same catalog always lists in the same order.
 */
export class ContentCatalog {
  private readonly resources = new Map<string, ResourceEntry>();
  private readonly templates = new Map<string, ResourceTemplateEntry>();
  private readonly prompts = new Map<string, PromptEntry>();
  private readonly promptsByQualified = new Map<string, PromptEntry>();

  constructor(private readonly promptNamePattern: RegExp) {}

  /** Throws ContentConflictError and leaves the catalog unchanged. */
  addResource(entry: ResourceEntry): void {
    const clash = this.resources.get(entry.uri);
    if (clash) throw new ContentConflictError('resource', entry.uri, clash.owner, entry.owner);
    this.resources.set(entry.uri, entry);
  }

  /** Throws ContentConflictError and leaves the catalog unchanged. */
  addTemplate(entry: ResourceTemplateEntry): void {
    const clash = this.templates.get(entry.uriTemplate);
    if (clash) throw new ContentConflictError('resource template', entry.uriTemplate, clash.owner, entry.owner);
    this.templates.set(entry.uriTemplate, entry);
  }

  /** Throws ContentConflictError / InvalidPromptNameError and leaves the catalog unchanged. */
  addPrompt(entry: PromptEntry): void {
    if (!this.promptNamePattern.test(entry.name)) throw new InvalidPromptNameError(entry.name, entry.qualifiedName, this.promptNamePattern);
    const clash = this.prompts.get(entry.name) ?? this.promptsByQualified.get(entry.name);
    if (clash) throw new ContentConflictError('prompt', entry.name, clash.qualifiedName, entry.qualifiedName);
    this.prompts.set(entry.name, entry);
    this.promptsByQualified.set(entry.qualifiedName, entry);
  }

  listResources(): ResourceEntry[] {
    return [...this.resources.values()].sort(byKey((r) => r.uri));
  }

  listTemplates(): ResourceTemplateEntry[] {
    return [...this.templates.values()].sort(byKey((t) => t.uriTemplate));
  }

  listPrompts(): PromptEntry[] {
    return [...this.prompts.values()].sort(byKey((p) => p.name));
  }

  /** A fixed resource first; else the first template (in list order) whose pattern matches the URI. */
  findResource(uri: string): ResourceMatch | undefined {
    const entry = this.resources.get(uri);
    if (entry) return { kind: 'resource', entry };
    for (const template of this.listTemplates()) {
      let variables: Variables | null;
      try {
        variables = template.template.match(uri);
      } catch {
        variables = null;
      }
      if (variables) return { kind: 'template', entry: template, variables: flatten(variables) };
    }
    return undefined;
  }

  /** A prompt by advertised name or by `plugin.prompt`. */
  getPrompt(name: string): PromptEntry | undefined {
    return this.prompts.get(name) ?? this.promptsByQualified.get(name);
  }

  /** A template by its URI template (completion/complete's `ref/resource`). */
  getTemplate(uriTemplate: string): ResourceTemplateEntry | undefined {
    return this.templates.get(uriTemplate);
  }

  clear(): void {
    this.resources.clear();
    this.templates.clear();
    this.prompts.clear();
    this.promptsByQualified.clear();
  }

  /** What clients see of the resources and templates; equal fingerprints mean nothing to announce. */
  resourcesFingerprint(): string {
    return JSON.stringify([
      this.listResources().map((r) => [r.uri, r.name, r.title, r.description, r.mimeType, r.size, r.annotations]),
      this.listTemplates().map((t) => [t.uriTemplate, t.name, t.title, t.description, t.mimeType, t.annotations]),
    ]);
  }

  /** What clients see of the prompts. */
  promptsFingerprint(): string {
    return JSON.stringify(
      this.listPrompts().map((p) => [p.name, p.title, p.description, p.arguments.map((a) => [a.name, a.description, a.required])]),
    );
  }
}

/** A template entry from its parts (the template parsed once). */
export function templateEntry(fields: Omit<ResourceTemplateEntry, 'template'>): ResourceTemplateEntry {
  return { ...fields, template: new UriTemplate(fields.uriTemplate) };
}
