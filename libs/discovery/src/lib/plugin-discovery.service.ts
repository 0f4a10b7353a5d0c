import { basename } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import type { CommandSpec, PromptSpec, ResourceSpec, ResourceTemplateSpec } from '@sanctum/protocol';
import { DISCOVERY_LOGGER, DISCOVERY_OPTIONS } from './discovery.constants';
import { ContractViolationError, parseDescribe } from './describe';
import { DiscoveryCache } from './discovery-cache';
import type { CachedDescription } from './discovery-cache';
import { parseCommandHelp, parseCommandList } from './help-parser';
import { PluginRunner } from './plugin-runner';
import { mapLimit } from './pool';
import { WorldWritablePluginsFolderError, scanPlugins } from './scanner';
import type { PluginLocation } from './scanner';

export interface DiscoveryOptions {
  pluginsDir: string;
  /** Per help call. */
  helpTimeoutMs: number;
  /** Help calls running at once. */
  concurrency: number;
  /** JSON file caching descriptions by file identity; undefined = no cache. */
  cacheFile?: string;
  /** Identifies the interpreter in cache keys (e.g. the resolved python path). */
  runtime?: string;
}

export interface DiscoveredPlugin extends PluginLocation {
  commands: CommandSpec[];
  /** How the commands were learnt. */
  via: 'describe' | 'help';
  version?: string;
  /** Environment variables the plugin declared it needs (names or `PREFIX_*`). */
  env?: string[];
  /** Contract v1.1: what the plugin offers besides tools (absent when it offers none). */
  resources?: ResourceSpec[];
  resourceTemplates?: ResourceTemplateSpec[];
  prompts?: PromptSpec[];
  /** Resources, templates or prompts left out, with their field-addressed problems. */
  entryProblems?: string[];
}

/** What a plugin learnt through `--describe` or `--help` (also what the discovery cache keeps). */
export type LearntPlugin = Pick<DiscoveredPlugin, 'commands' | 'via' | 'version' | 'env' | 'resources' | 'resourceTemplates' | 'prompts' | 'entryProblems'>;

export interface SkippedPlugin {
  name: string;
  dir: string;
  reason: string;
}

export interface DiscoveryReport {
  plugins: DiscoveredPlugin[];
  skipped: SkippedPlugin[];
  /** Why the whole plugins folder was refused (world-writable), when it was. */
  refusal?: string;
}

class PluginSkip extends Error {}

/** The last line of a process's output: where tracebacks and argparse put the actual error. */
function lastLine(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Finds plugins and learns their commands from `cli.py --help` and `cli.py <command> --help`. */
@Injectable()
export class PluginDiscoveryService {
  constructor(
    @Inject(DISCOVERY_OPTIONS) private readonly options: DiscoveryOptions,
    private readonly runner: PluginRunner,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {}

  /** Whether discover() ran before. */
  private discovered = false;

  async discover(): Promise<DiscoveryReport> {
    let locations: PluginLocation[];
    let refused: SkippedPlugin[];
    let warnings: string[];
    // The first discovery runs while the application starts, before anything is served: its scan
    // and cache look-ups may hold the event loop (synchronous file-system calls, about 30 ms less
    // for 100 plugins). Reloads do not.
    const blocking = !this.discovered;
    this.discovered = true;
    try {
      ({ plugins: locations, refused, warnings } = await scanPlugins(this.options.pluginsDir, undefined, { blocking }));
    } catch (err) {
      if (err instanceof WorldWritablePluginsFolderError) {
        this.logger.error(err.message);
        return { plugins: [], skipped: [], refusal: err.message };
      }
      this.logger.warn(`Plugins directory ${this.options.pluginsDir} cannot be read: ${(err as Error).message}`);
      return { plugins: [], skipped: [] };
    }
    for (const warning of warnings) this.logger.warn(warning);
    const cache = new DiscoveryCache(this.options.cacheFile);
    await cache.load();
    const outcomes = await mapLimit(locations, this.options.concurrency, async (location) => {
      try {
        const identity = await DiscoveryCache.identify(location.entryPath, location.dir, this.options.runtime ?? '', blocking);
        const cached = cache.get(identity);
        if (cached) return { ok: true as const, plugin: { ...location, ...learntFrom(cached) } };
        const learnt = await this.learn(location);
        cache.set({ identity, ...learnt });
        return { ok: true as const, plugin: { ...location, ...learnt } };
      } catch (err) {
        return { ok: false as const, skipped: { name: location.name, dir: location.dir, reason: (err as Error).message } };
      }
    });
    await cache.save(new Set(outcomes.filter((o) => o.ok).map((o) => (o.ok ? o.plugin.entryPath : '')))).catch((err: unknown) => {
      this.logger.warn(`Discovery cache ${this.options.cacheFile} could not be written: ${(err as Error).message}`);
    });
    const report: DiscoveryReport = { plugins: [], skipped: [] };
    for (const plugin of refused) {
      report.skipped.push(plugin);
      this.logger.warn(`Refused plugin: ${plugin.name}: ${plugin.reason}`);
    }
    for (const outcome of outcomes) {
      if (outcome.ok) {
        report.plugins.push(outcome.plugin);
        const plugin = outcome.plugin;
        this.logger.log(`Discovered plugin: ${plugin.name} (${countOf(plugin.commands.length, 'command')})`);
        const offers = [
          [plugin.resources?.length ?? 0, 'resource'],
          [plugin.resourceTemplates?.length ?? 0, 'resource template'],
          [plugin.prompts?.length ?? 0, 'prompt'],
        ] as const;
        const offered = offers.filter(([n]) => n > 0).map(([n, noun]) => countOf(n, noun));
        if (offered.length > 0) this.logger.log(`Plugin ${plugin.name} offers ${offered.join(', ')}`);
        for (const problem of plugin.entryProblems ?? []) this.logger.warn(`Skipped entry of plugin ${plugin.name}: ${problem}`);
        this.logger.debug?.(`Plugin ${outcome.plugin.name} described itself via --${outcome.plugin.via}`);
      } else {
        report.skipped.push(outcome.skipped);
        this.logger.warn(`Skipped plugin: ${outcome.skipped.name}: ${outcome.skipped.reason}`);
      }
    }
    this.logger.log(`Plugin discovery finished: ${report.plugins.length} loaded, ${report.skipped.length} skipped, from ${this.options.pluginsDir}`);
    return report;
  }

  /**
   * Structured first: `--describe` printing contract-v1 JSON. A plugin that does not know the flag
   * (non-zero exit, or output that is not JSON) falls back to help parsing; one that prints JSON
   * breaking the contract is skipped with the field-addressed problems.
   */
  private async learn(location: PluginLocation): Promise<LearntPlugin> {
    const out = await this.runner.run(location.entryPath, location.dir, ['--describe'], this.options.helpTimeoutMs);
    const text = out.stdout.trim();
    if (out.exitCode === 0 && !out.timedOut && !out.spawnError && text.startsWith('{')) {
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch (err) {
        throw new PluginSkip(`\`${basename(location.entryPath)} --describe\` printed invalid JSON: ${(err as Error).message}`);
      }
      try {
        const described = parseDescribe(payload, location.name);
        const offered = described.resources.length + described.resourceTemplates.length + described.prompts.length;
        if (described.commands.length === 0 && offered === 0) {
          const lost = described.problems.length > 0 ? `: ${described.problems.join('; ')}` : '';
          throw new PluginSkip(`\`--describe\` lists no commands, resources or prompts${lost}`);
        }
        const learnt: LearntPlugin = { commands: described.commands, via: 'describe', version: described.plugin?.version, env: described.plugin?.env };
        if (described.resources.length > 0) learnt.resources = described.resources;
        if (described.resourceTemplates.length > 0) learnt.resourceTemplates = described.resourceTemplates;
        if (described.prompts.length > 0) learnt.prompts = described.prompts;
        if (described.problems.length > 0) learnt.entryProblems = described.problems;
        return learnt;
      } catch (err) {
        if (err instanceof ContractViolationError) throw new PluginSkip(err.message);
        throw err;
      }
    }
    if (out.spawnError) throw new PluginSkip(`\`${basename(location.entryPath)}\` could not start: ${out.spawnError}`);
    return { commands: await this.describe(location), via: 'help' };
  }

  private async help(location: PluginLocation, args: string[]): Promise<string> {
    const out = await this.runner.run(location.entryPath, location.dir, args, this.options.helpTimeoutMs);
    const what = `\`${[basename(location.entryPath), ...args].join(' ')}\``;
    if (out.spawnError) throw new PluginSkip(`${what} could not start: ${out.spawnError}`);
    if (out.timedOut) throw new PluginSkip(`${what} did not finish within ${this.options.helpTimeoutMs} ms`);
    if (out.exitCode !== 0) {
      const detail = lastLine(out.stderr) || lastLine(out.stdout);
      throw new PluginSkip(`${what} exited with code ${out.exitCode}${detail ? `: ${detail}` : ''}`);
    }
    return out.stdout;
  }

  private async describe(location: PluginLocation): Promise<CommandSpec[]> {
    const list = parseCommandList(await this.help(location, ['--help']));
    const entry = basename(location.entryPath);
    if (list === null) throw new PluginSkip(`\`${entry} --help\` has no "Available commands:" section (and \`--describe\` is not supported)`);
    if (list.length === 0) throw new PluginSkip(`the "Available commands:" section of \`${entry} --help\` lists no commands`);
    return Promise.all(
      list.map(async (summary) => {
        const parsed = parseCommandHelp(await this.help(location, [summary.name, '--help']));
        return {
          name: summary.name,
          description: parsed.description || summary.description || `Run \`${location.name} ${summary.name}\``,
          parameters: parsed.parameters,
        };
      }),
    );
  }
}

/** What a cache entry says about its plugin (everything but the identity it is keyed by). */
function learntFrom(cached: CachedDescription): LearntPlugin {
  const learnt: LearntPlugin = { commands: cached.commands, via: cached.via, version: cached.version, env: cached.env };
  if (cached.resources) learnt.resources = cached.resources;
  if (cached.resourceTemplates) learnt.resourceTemplates = cached.resourceTemplates;
  if (cached.prompts) learnt.prompts = cached.prompts;
  if (cached.entryProblems) learnt.entryProblems = cached.entryProblems;
  return learnt;
}

/** `1 command`, `3 commands`: the log line reads as English. */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
