import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import { PORTABLE_TOOL_NAME_PATTERN, TOOL_NAME_PATTERN } from '@sanctum/protocol';
import type { ObjectSchema } from '@sanctum/protocol';
import { DEFAULT_TOOL_NAME_TEMPLATE, ToolCatalog, applyTemplate } from './catalog';
import type { PluginToolSource, ProviderToolSource, ToolEntry } from './catalog';
import { ContentCatalog, templateEntry } from './content-catalog';
import type {
  PluginContentSource,
  PromptEntry,
  ResourceEntry,
  ResourceMatch,
  ResourceTemplateEntry,
} from './content-catalog';
import { DISCOVERY_LOGGER, TOOL_DISCOVERY_OPTIONS } from './discovery.constants';
import type { McpToolOptions } from './mcp-tool.decorator';
import { PluginDiscoveryService } from './plugin-discovery.service';
import type { DiscoveredPlugin, DiscoveryReport } from './plugin-discovery.service';
import { buildInputSchema } from './schema';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

/** A reload changed what clients see of the catalog. */
export interface CatalogChange {
  /** The advertised tools after the reload, sorted by name. */
  readonly tools: readonly ToolEntry[];
  /** Which lists changed: tools, resources (with resource templates), prompts. */
  readonly toolsChanged: boolean;
  readonly resourcesChanged: boolean;
  readonly promptsChanged: boolean;
}

/**
 * After a reload: the resources whose backing file or plugin changed (fixed resources by URI,
 * templates by URI template), for `notifications/resources/updated`.
 */
export interface ResourceUpdate {
  readonly uris: readonly string[];
  readonly uriTemplates: readonly string[];
}

/**
 * The tools the gateway serves. Filled from plugin discovery at module init, before the server
 * listens, so the first client already sees every tool.
 */
@Injectable()
export class ToolCatalogService implements OnModuleInit, OnModuleDestroy {
  private readonly catalog: ToolCatalog;
  private readonly content: ContentCatalog;
  /** What each resource's content depends on (file or plugin identity), by URI or URI template. */
  private revisions = new Map<string, string>();
  private readonly template: string;
  private readonly pluginTimeouts: Readonly<Record<string, number>>;
  private readonly providerEntries: ToolEntry[] = [];
  private readonly providerResources: ResourceEntry[] = [];
  private readonly providerTemplates: ResourceTemplateEntry[] = [];
  private readonly providerPrompts: PromptEntry[] = [];
  private readonly changed = new Subject<CatalogChange>();
  private readonly updated = new Subject<ResourceUpdate>();
  private lastReport: DiscoveryReport = { plugins: [], skipped: [] };
  private ready = false;

  /**
   * Emits after a reload that changed the advertised tools (names, descriptions, schemas,
   * annotations), synchronously before reload() resolves. Not for the first load: nothing had
   * been advertised before it.
   */
  readonly changes$: Observable<CatalogChange> = this.changed.asObservable();

  /** Emits after a reload in which the file or plugin behind some resources changed (not on the first load). */
  readonly resourceUpdates$: Observable<ResourceUpdate> = this.updated.asObservable();

  constructor(
    @Inject(TOOL_DISCOVERY_OPTIONS) options: ToolDiscoveryModuleOptions,
    private readonly discovery: PluginDiscoveryService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {
    this.template = options.toolNameTemplate ?? DEFAULT_TOOL_NAME_TEMPLATE;
    this.pluginTimeouts = options.pluginTimeouts ?? {};
    // Dotted names only when the operator's template asks for them (e.g. `{plugin}.{command}`).
    const namePattern = this.template.includes('.') ? TOOL_NAME_PATTERN : PORTABLE_TOOL_NAME_PATTERN;
    this.catalog = new ToolCatalog(namePattern);
    this.content = new ContentCatalog(namePattern);
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    this.changed.complete();
    this.updated.complete();
  }

  /** Whether the first discovery has finished. */
  get isReady(): boolean {
    return this.ready;
  }

  /** What the last discovery found and skipped. */
  get report(): DiscoveryReport {
    return this.lastReport;
  }

  /** Rediscover plugins and rebuild the catalog. Resolves true when the advertised tools changed. */
  async reload(): Promise<boolean> {
    const before = this.fingerprint();
    const resourcesBefore = this.content.resourcesFingerprint();
    const promptsBefore = this.content.promptsFingerprint();
    const report = await this.discovery.discover();
    const revisions = await contentRevisions(report.plugins);
    this.catalog.clear();
    this.content.clear();
    for (const entry of this.providerEntries) this.tryAdd(entry);
    for (const entry of this.providerResources) this.tryAddContent('resource', entry.uri, () => this.content.addResource(entry));
    for (const entry of this.providerTemplates) this.tryAddContent('resource template', entry.uriTemplate, () => this.content.addTemplate(entry));
    for (const entry of this.providerPrompts) this.tryAddContent('prompt', entry.name, () => this.content.addPrompt(entry));
    for (const plugin of report.plugins) {
      for (const command of plugin.commands) this.tryAdd(this.pluginEntry(plugin, command));
      this.addPluginContent(plugin);
    }
    const announced = this.ready;
    this.lastReport = report;
    this.ready = true;
    const toolsChanged = this.fingerprint() !== before;
    const resourcesChanged = this.content.resourcesFingerprint() !== resourcesBefore;
    const promptsChanged = this.content.promptsFingerprint() !== promptsBefore;
    const previous = this.revisions;
    this.revisions = revisions;
    if (announced && (toolsChanged || resourcesChanged || promptsChanged)) {
      this.changed.next({ tools: this.catalog.list(), toolsChanged, resourcesChanged, promptsChanged });
    }
    if (announced) {
      const moved = (key: string): boolean => previous.has(key) && previous.get(key) !== revisions.get(key);
      const uris = this.content.listResources().filter((r) => moved(r.uri)).map((r) => r.uri);
      const uriTemplates = this.content.listTemplates().filter((t) => moved(t.uriTemplate)).map((t) => t.uriTemplate);
      if (uris.length > 0 || uriTemplates.length > 0) this.updated.next({ uris, uriTemplates });
    }
    return toolsChanged || resourcesChanged || promptsChanged;
  }

  /**
   * A tool contributed by a Nest provider (see @McpTool): named with the same template as plugin
   * tools, validated and logged the same way, and kept across plugin reloads.
   */
  registerProviderTool(options: McpToolOptions, source: ProviderToolSource): void {
    const entry: ToolEntry = {
      name: applyTemplate(this.template, options.namespace, options.name),
      qualifiedName: `${options.namespace}.${options.name}`,
      description: options.description,
      inputSchema: options.inputSchema ?? { type: 'object', properties: {}, required: [], additionalProperties: false },
      source,
    };
    if (options.annotations) entry.annotations = options.annotations;
    if (this.tryAdd(entry)) this.providerEntries.push(entry);
  }

  /**
   * A resource, resource template or prompt contributed by a Nest provider (see @McpResource,
   * @McpPrompt): validated and named like plugin entries, and kept across plugin reloads.
   */
  registerProviderResource(entry: ResourceEntry): void {
    if (this.tryAddContent('resource', entry.uri, () => this.content.addResource(entry))) this.providerResources.push(entry);
  }

  registerProviderTemplate(entry: Omit<ResourceTemplateEntry, 'template'>): void {
    const parsed = templateEntry(entry);
    if (this.tryAddContent('resource template', entry.uriTemplate, () => this.content.addTemplate(parsed))) this.providerTemplates.push(parsed);
  }

  /** `namespace` plays the role of a plugin name in the name template. */
  registerProviderPrompt(namespace: string, entry: Omit<PromptEntry, 'name' | 'qualifiedName'> & { name: string }): void {
    const named: PromptEntry = { ...entry, name: applyTemplate(this.template, namespace, entry.name), qualifiedName: `${namespace}.${entry.name}` };
    if (this.tryAddContent('prompt', named.qualifiedName, () => this.content.addPrompt(named))) this.providerPrompts.push(named);
  }

  /** Every advertised tool, sorted by name. */
  list(): ToolEntry[] {
    return this.catalog.list();
  }

  /** Every fixed resource, sorted by URI. */
  listResources(): ResourceEntry[] {
    return this.content.listResources();
  }

  /** Every resource template, sorted by URI template. */
  listResourceTemplates(): ResourceTemplateEntry[] {
    return this.content.listTemplates();
  }

  /** Every prompt, sorted by advertised name. */
  listPrompts(): PromptEntry[] {
    return this.content.listPrompts();
  }

  /** What serves a URI: the fixed resource, else the first matching template and its variables. */
  findResource(uri: string): ResourceMatch | undefined {
    return this.content.findResource(uri);
  }

  /** Whether an update concerns a URI: named in it, or served by one of its templates. */
  affectedBy(update: ResourceUpdate, uri: string): boolean {
    if (update.uris.includes(uri)) return true;
    if (update.uriTemplates.length === 0) return false;
    const match = this.content.findResource(uri);
    return match?.kind === 'template' && update.uriTemplates.includes(match.entry.uriTemplate);
  }

  /** A resource template by its URI template. */
  getResourceTemplate(uriTemplate: string): ResourceTemplateEntry | undefined {
    return this.content.getTemplate(uriTemplate);
  }

  /** A prompt by advertised name or by `plugin.prompt`. */
  getPrompt(name: string): PromptEntry | undefined {
    return this.content.getPrompt(name);
  }

  /** A tool by advertised name or by `plugin.command`. */
  get(name: string): ToolEntry | undefined {
    return this.catalog.get(name);
  }

  private pluginEntry(plugin: DiscoveredPlugin, command: DiscoveredPlugin['commands'][number]): ToolEntry {
    const source: PluginToolSource = { kind: 'plugin', plugin: plugin.name, dir: plugin.dir, entryPath: plugin.entryPath, command };
    // The operator's per-plugin setting wins over what the plugin declares for itself.
    const timeoutMs = Object.hasOwn(this.pluginTimeouts, plugin.name)
      ? this.pluginTimeouts[plugin.name]
      : command.timeout === undefined
        ? undefined
        : Math.round(command.timeout * 1000);
    if (timeoutMs !== undefined) source.timeoutMs = timeoutMs;
    if (plugin.env) source.env = plugin.env;
    const entry: ToolEntry = {
      name: applyTemplate(this.template, plugin.name, command.name),
      qualifiedName: `${plugin.name}.${command.name}`,
      description: command.description,
      inputSchema: (command.inputSchema as ObjectSchema | undefined) ?? buildInputSchema(command.parameters),
      source,
    };
    if (command.annotations) entry.annotations = command.annotations as ToolEntry['annotations'];
    if (command.outputSchema) entry.outputSchema = command.outputSchema as ObjectSchema;
    return entry;
  }

  private addPluginContent(plugin: DiscoveredPlugin): void {
    const source: PluginContentSource = { kind: 'plugin', plugin: plugin.name, dir: plugin.dir, entryPath: plugin.entryPath };
    if (Object.hasOwn(this.pluginTimeouts, plugin.name)) source.timeoutMs = this.pluginTimeouts[plugin.name];
    if (plugin.env) source.env = plugin.env;
    for (const spec of plugin.resources ?? []) {
      const { source: content, ...fields } = spec;
      const entry: ResourceEntry = { ...fields, owner: plugin.name, source: { ...source, content } };
      this.tryAddContent('resource', spec.uri, () => this.content.addResource(entry));
    }
    for (const spec of plugin.resourceTemplates ?? []) {
      const { source: content, ...fields } = spec;
      const entry = templateEntry({ ...fields, owner: plugin.name, source: { ...source, content } });
      this.tryAddContent('resource template', spec.uriTemplate, () => this.content.addTemplate(entry));
    }
    for (const spec of plugin.prompts ?? []) {
      const entry: PromptEntry = {
        name: applyTemplate(this.template, plugin.name, spec.name),
        qualifiedName: `${plugin.name}.${spec.name}`,
        arguments: spec.arguments,
        source: { ...source, prompt: spec.source },
      };
      if (spec.title !== undefined) entry.title = spec.title;
      if (spec.description !== undefined) entry.description = spec.description;
      this.tryAddContent('prompt', entry.qualifiedName, () => this.content.addPrompt(entry));
    }
  }

  private tryAddContent(what: string, key: string, add: () => void): boolean {
    try {
      add();
      return true;
    } catch (err) {
      this.logger.warn(`Skipped ${what}: ${(err as Error).message}`, 'Discovery');
      return false;
    }
  }

  /** What clients see of the catalog; equal fingerprints mean nothing to announce. */
  private fingerprint(): string {
    return JSON.stringify(this.catalog.list().map((t) => [t.name, t.description, t.inputSchema, t.annotations, t.outputSchema]));
  }

  private tryAdd(entry: ToolEntry): boolean {
    try {
      this.catalog.add(entry);
      return true;
    } catch (err) {
      this.logger.warn(`Skipped tool: ${(err as Error).message}`, 'Discovery');
      return false;
    }
  }
}

/**
 * What the content of each plugin resource depends on, by URI (fixed resources) or URI template: a
 * file's identity for file resources, the plugin's entry file and folder for command resources.
 */
async function contentRevisions(plugins: readonly DiscoveredPlugin[]): Promise<Map<string, string>> {
  const revisions = new Map<string, string>();
  const identity = async (path: string): Promise<string> => {
    const info = await stat(path).catch(() => undefined);
    return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
  };
  await Promise.all(
    plugins.map(async (plugin) => {
      if (!plugin.resources && !plugin.resourceTemplates) return;
      const own = `${await identity(plugin.entryPath)}/${await identity(plugin.dir)}`;
      for (const resource of plugin.resources ?? []) {
        revisions.set(resource.uri, resource.source.kind === 'file' ? await identity(join(plugin.dir, resource.source.path)) : own);
      }
      for (const template of plugin.resourceTemplates ?? []) revisions.set(template.uriTemplate, own);
    }),
  );
  return revisions;
}
