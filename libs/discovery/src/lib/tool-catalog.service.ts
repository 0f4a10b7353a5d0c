import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import { PORTABLE_TOOL_NAME_PATTERN, TOOL_NAME_PATTERN } from '@sanctum/protocol';
import type { ObjectSchema } from '@sanctum/protocol';
import { DEFAULT_TOOL_NAME_TEMPLATE, ToolCatalog, applyTemplate } from './catalog';
import type { PluginToolSource, ProviderToolSource, ToolEntry } from './catalog';
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
}

/**
 * The tools the gateway serves. Filled from plugin discovery at module init, before the server
 * listens, so the first client already sees every tool.
 */
@Injectable()
export class ToolCatalogService implements OnModuleInit, OnModuleDestroy {
  private readonly catalog: ToolCatalog;
  private readonly template: string;
  private readonly pluginTimeouts: Readonly<Record<string, number>>;
  private readonly providerEntries: ToolEntry[] = [];
  private readonly changed = new Subject<CatalogChange>();
  private lastReport: DiscoveryReport = { plugins: [], skipped: [] };
  private ready = false;

  /**
   * Emits after a reload that changed the advertised tools (names, descriptions, schemas,
   * annotations), synchronously before reload() resolves. Not for the first load: nothing had
   * been advertised before it.
   */
  readonly changes$: Observable<CatalogChange> = this.changed.asObservable();

  constructor(
    @Inject(TOOL_DISCOVERY_OPTIONS) options: ToolDiscoveryModuleOptions,
    private readonly discovery: PluginDiscoveryService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {
    this.template = options.toolNameTemplate ?? DEFAULT_TOOL_NAME_TEMPLATE;
    this.pluginTimeouts = options.pluginTimeouts ?? {};
    // Dotted names only when the operator's template asks for them (e.g. `{plugin}.{command}`).
    this.catalog = new ToolCatalog(this.template.includes('.') ? TOOL_NAME_PATTERN : PORTABLE_TOOL_NAME_PATTERN);
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    this.changed.complete();
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
    const report = await this.discovery.discover();
    this.catalog.clear();
    for (const entry of this.providerEntries) this.tryAdd(entry);
    for (const plugin of report.plugins) {
      for (const command of plugin.commands) this.tryAdd(this.pluginEntry(plugin, command));
    }
    const announced = this.ready;
    this.lastReport = report;
    this.ready = true;
    const changed = this.fingerprint() !== before;
    if (changed && announced) this.changed.next({ tools: this.catalog.list() });
    return changed;
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

  /** Every advertised tool, sorted by name. */
  list(): ToolEntry[] {
    return this.catalog.list();
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
