import { PluginRunner } from '@sanctum/discovery';
import type { PluginRunOutput, PluginToolSource, ToolEntry } from '@sanctum/discovery';
import type { ExecutorService, PluginCommandTarget } from '@sanctum/executor';

/**
 * Discovery runs `--describe` and `--help` through the executor, like every other plugin process.
 * The Python fork server is started first (when enabled), so that `--describe` of many Python
 * plugins is forked from a warm interpreter instead of starting one interpreter each.
 */
export class ExecutorPluginRunner extends PluginRunner {
  private forkServerReady: Promise<boolean> | undefined;

  constructor(private readonly executor: ExecutorService) {
    super();
  }

  async run(entryPath: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<PluginRunOutput> {
    if (entryPath.endsWith('.py')) await (this.forkServerReady ??= this.executor.startForkServer());
    return this.executor.runEntry(entryPath, cwd, args, timeoutMs);
  }
}

/** How the executor runs a plugin tool of the catalog. */
export function pluginCommandTarget(entry: ToolEntry, source: PluginToolSource): PluginCommandTarget {
  return {
    label: entry.qualifiedName,
    entryPath: source.entryPath,
    cwd: source.dir,
    command: source.command.name,
    parameters: source.command.parameters,
    inputSchema: entry.inputSchema,
    timeoutMs: source.timeoutMs,
    envAllow: source.env,
  };
}
