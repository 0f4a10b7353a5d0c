import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleInit } from '@nestjs/common';
import { APP_LOGGER } from '../logging/logger';
import { PluginDiscoveryService, ToolCatalog, applyTemplate, buildInputSchema } from '@sanctum/discovery';
import type { DiscoveryReport, ToolEntry } from '@sanctum/discovery';
import type { PluginCommandTarget } from '@sanctum/executor';
import { PORTABLE_TOOL_NAME_PATTERN, TOOL_NAME_PATTERN } from '@sanctum/protocol';
import type { ObjectSchema } from '@sanctum/protocol';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';

/**
 * The tools the gateway serves. Filled from plugin discovery before the server listens, so
 * the first client already sees every tool.
 */
@Injectable()
export class ToolCatalogService implements OnModuleInit {
  private readonly catalog: ToolCatalog;
  private readonly targets = new Map<string, PluginCommandTarget>();
  private readonly providerEntries: ToolEntry[] = [];
  private lastReport: DiscoveryReport = { plugins: [], skipped: [] };
  private ready = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly discovery: PluginDiscoveryService,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {
    // Dotted names only when the operator's template asks for them (e.g. `{plugin}.{command}`).
    this.catalog = new ToolCatalog(config.toolNameTemplate.includes('.') ? TOOL_NAME_PATTERN : PORTABLE_TOOL_NAME_PATTERN);
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get report(): DiscoveryReport {
    return this.lastReport;
  }

  /** Rediscover plugins and rebuild the catalog. Resolves true when the advertised tools changed. */
  async reload(): Promise<boolean> {
    const before = this.fingerprint();
    const report = await this.discovery.discover();
    this.catalog.clear();
    this.targets.clear();
    for (const entry of this.providerEntries) this.tryAdd(entry);
    for (const plugin of report.plugins) {
      for (const command of plugin.commands) {
        const entry: ToolEntry = {
          name: applyTemplate(this.config.toolNameTemplate, plugin.name, command.name),
          qualifiedName: `${plugin.name}.${command.name}`,
          description: command.description,
          inputSchema: (command.inputSchema as ObjectSchema | undefined) ?? buildInputSchema(command.parameters),
          source: { kind: 'plugin', plugin: plugin.name, dir: plugin.dir, entryPath: plugin.entryPath, command },
        };
        if (command.annotations) entry.annotations = command.annotations as ToolEntry['annotations'];
        if (command.outputSchema) entry.outputSchema = command.outputSchema as ObjectSchema;
        if (!this.tryAdd(entry)) continue;
        this.targets.set(entry.name, {
          label: entry.qualifiedName,
          entryPath: plugin.entryPath,
          cwd: plugin.dir,
          command: command.name,
          parameters: command.parameters,
          inputSchema: entry.inputSchema,
          // The operator's per-plugin setting wins over what the plugin declares for itself.
          timeoutMs: this.config.pluginTimeouts[plugin.name] ?? (command.timeout === undefined ? undefined : Math.round(command.timeout * 1000)),
          envAllow: plugin.env,
        });
      }
    }
    this.lastReport = report;
    this.ready = true;
    return this.fingerprint() !== before;
  }

  /** What clients see of the catalog; equal fingerprints mean nothing to announce. */
  private fingerprint(): string {
    return JSON.stringify(this.catalog.list().map((t) => [t.name, t.description, t.inputSchema, t.annotations, t.outputSchema]));
  }

  /**
   * A tool contributed by a Nest provider (see @McpTool): named with the same template as plugin
   * tools, validated and logged the same way, and kept across plugin reloads.
   */
  registerProviderTool(
    options: { namespace: string; name: string; description: string; inputSchema?: ObjectSchema; annotations?: ToolEntry['annotations'] },
    source: ToolEntry['source'],
  ): void {
    const entry: ToolEntry = {
      name: applyTemplate(this.config.toolNameTemplate, options.namespace, options.name),
      qualifiedName: `${options.namespace}.${options.name}`,
      description: options.description,
      inputSchema: options.inputSchema ?? { type: 'object', properties: {}, required: [], additionalProperties: false },
      source,
    };
    if (options.annotations) entry.annotations = options.annotations;
    if (this.tryAdd(entry)) this.providerEntries.push(entry);
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

  list(): ToolEntry[] {
    return this.catalog.list();
  }

  get(name: string): ToolEntry | undefined {
    return this.catalog.get(name);
  }

  /** How the executor runs a plugin tool. */
  target(entry: ToolEntry): PluginCommandTarget | undefined {
    return this.targets.get(entry.name);
  }
}
