import type { CommandSpec, ObjectSchema, ToolAnnotations } from '@sanctum/protocol';
import { TOOL_NAME_PATTERN } from '@sanctum/protocol';

export const DEFAULT_TOOL_NAME_TEMPLATE = '{plugin}__{command}';

/** One tool of the catalog, whichever source contributed it. */
export interface ToolEntry {
  /** The advertised name. */
  name: string;
  /** `plugin.command` for plugin tools; the name for in-process tools. Used in logs. */
  qualifiedName: string;
  description: string;
  inputSchema: ObjectSchema;
  annotations?: ToolAnnotations;
  outputSchema?: ObjectSchema;
  source: PluginToolSource | ProviderToolSource;
}

export interface PluginToolSource {
  kind: 'plugin';
  plugin: string;
  dir: string;
  entryPath: string;
  command: CommandSpec;
  /**
   * ms a call may take: the operator's per-plugin setting (MCP_PLUGIN_TIMEOUTS), else the command's
   * own `timeout`; undefined = the executor's default, 0 = none.
   */
  timeoutMs?: number;
  /** Environment variables (names or `PREFIX_*`) the plugin declared it needs. */
  env?: readonly string[];
}

export interface ProviderToolSource {
  kind: 'provider';
  invoke: (args: Record<string, unknown>) => Promise<unknown>;
}

export function applyTemplate(template: string, plugin: string, command: string): string {
  return template.replace(/\{plugin\}/g, plugin).replace(/\{command\}/g, command);
}

export class CatalogConflictError extends Error {
  constructor(name: string, existing: string, incoming: string) {
    super(`tool name '${name}' of ${incoming} is already taken by ${existing}; rename the command or change MCP_TOOL_NAME_TEMPLATE.`);
    this.name = 'CatalogConflictError';
  }
}

export class InvalidToolNameError extends Error {
  constructor(name: string, qualifiedName: string, pattern: RegExp) {
    super(`tool name '${name}' of ${qualifiedName} does not match ${pattern.source}; rename the command or change MCP_TOOL_NAME_TEMPLATE.`);
    this.name = 'InvalidToolNameError';
  }
}

/** The set of tools the gateway serves, looked up by advertised name or by `plugin.command`. */
export class ToolCatalog {
  private readonly byName = new Map<string, ToolEntry>();
  private readonly byQualified = new Map<string, ToolEntry>();
  /** list()'s answer, built once per change of the catalog. */
  private sorted: ToolEntry[] | undefined = undefined;

  constructor(private readonly namePattern: RegExp = TOOL_NAME_PATTERN) {}

  /** Throws CatalogConflictError / InvalidToolNameError and leaves the catalog unchanged. */
  add(entry: ToolEntry): void {
    if (!this.namePattern.test(entry.name)) throw new InvalidToolNameError(entry.name, entry.qualifiedName, this.namePattern);
    const clash = this.byName.get(entry.name) ?? this.byQualified.get(entry.name);
    if (clash) throw new CatalogConflictError(entry.name, clash.qualifiedName, entry.qualifiedName);
    this.byName.set(entry.name, entry);
    this.byQualified.set(entry.qualifiedName, entry);
    this.sorted = undefined;
  }

  get(name: string): ToolEntry | undefined {
    return this.byName.get(name) ?? this.byQualified.get(name);
  }

  /**
   * Every tool, sorted by name: the same catalog always lists in the same order, however
   * concurrently its plugins were discovered (MCP 2026-07-28 asks tools/list to be deterministic).
   */
  list(): ToolEntry[] {
    this.sorted ??= [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return [...this.sorted];
  }

  get size(): number {
    return this.byName.size;
  }

  clear(): void {
    this.sorted = undefined;
    this.byName.clear();
    this.byQualified.clear();
  }
}
