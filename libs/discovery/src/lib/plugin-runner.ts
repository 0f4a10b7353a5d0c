/** What discovery needs to run a plugin's `--help`: provided by the app, backed by the executor. */
export interface PluginRunOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: string;
}

export abstract class PluginRunner {
  abstract run(entryPath: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<PluginRunOutput>;
}
