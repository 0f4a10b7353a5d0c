import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PluginRunner } from './lib/plugin-runner';
import type { PluginRunOutput } from './lib/plugin-runner';

/** A command as a plugin's `--describe` prints it (plugin contract v1). */
export interface FakeCommand {
  name: string;
  description?: string;
  parameters?: ReadonlyArray<Record<string, unknown>>;
  timeout?: number;
  annotations?: Record<string, unknown>;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

/** One call the fake answered. */
export interface FakeRun {
  plugin: string;
  args: readonly string[];
  timeoutMs: number;
}

/**
 * A PluginRunner that answers from memory instead of starting processes, by plugin folder name.
 * A call it has no answer for fails like an argparse CLI that does not know the arguments, so a
 * plugin without answers is skipped by discovery.
 */
export class FakePluginRunner extends PluginRunner {
  readonly runs: FakeRun[] = [];
  private readonly answers = new Map<string, Map<string, PluginRunOutput>>();

  /** `<plugin> --describe` prints a contract v1 description with these commands. */
  describe(plugin: string, commands: readonly FakeCommand[], about: { version?: string; env?: string[] } = {}): this {
    const payload = { contract_version: '1.0', plugin: { name: plugin, ...about }, commands };
    return this.answer(plugin, ['--describe'], { stdout: `${JSON.stringify(payload)}\n` });
  }

  /** `<plugin> --describe` prints a contract v1.1 description: commands plus resources, templates and prompts. */
  describeContent(plugin: string, payload: { commands?: readonly FakeCommand[]; resources?: unknown[]; resource_templates?: unknown[]; prompts?: unknown[] }): this {
    const described = { contract_version: '1.1', plugin: { name: plugin }, commands: [], ...payload };
    return this.answer(plugin, ['--describe'], { stdout: `${JSON.stringify(described)}\n` });
  }

  /** `<plugin> <args>` gives this output (exit code 0 and empty streams unless given). */
  answer(plugin: string, args: readonly string[], output: Partial<PluginRunOutput>): this {
    let byArgs = this.answers.get(plugin);
    if (!byArgs) this.answers.set(plugin, (byArgs = new Map()));
    byArgs.set(args.join('\0'), { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...output });
    return this;
  }

  /** Drop every answer of the plugin. */
  forget(plugin: string): this {
    this.answers.delete(plugin);
    return this;
  }

  async run(_entryPath: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<PluginRunOutput> {
    const plugin = basename(cwd);
    this.runs.push({ plugin, args: [...args], timeoutMs });
    const answer = this.answers.get(plugin)?.get(args.join('\0'));
    if (answer) return { ...answer };
    return {
      exitCode: 2,
      stdout: '',
      stderr: `usage: cli.py [-h]\ncli.py: error: unrecognized arguments: ${args.join(' ')}\n`,
      timedOut: false,
    };
  }
}

/**
 * A temporary plugins folder for discovery to scan. The entry files only need to exist: with a
 * FakePluginRunner nothing runs them.
 */
export class PluginFolders {
  readonly dir = mkdtempSync(join(tmpdir(), 'sanctum-plugins-'));

  /** Creates `<dir>/<name>/<entry>` and returns the entry's path. */
  add(name: string, entry = 'cli.py'): string {
    mkdirSync(join(this.dir, name), { recursive: true, mode: 0o755 });
    const path = join(this.dir, name, entry);
    writeFileSync(path, '#!/usr/bin/env python3\n', { mode: 0o755 });
    return path;
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
