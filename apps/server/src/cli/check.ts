import { existsSync, statSync } from 'node:fs';
import { ToolCatalogService, ToolProfilesService } from '@sanctum/discovery';
import type { DiscoveryReport, ToolEntry } from '@sanctum/discovery';
import { withInterpreter } from '../app/bootstrap';
import type { AppConfig } from '../app/config/config';
import { createLogger } from '../app/logging/logger';
import { createStdioApp } from '../app/transport/stdio';

/** What `sanctum-mcp check` prints, and whether it found a problem (exit 1). */
export interface CheckOutcome {
  readonly text: string;
  readonly ok: boolean;
}

/** A profile of MCP_PROFILES and how many tools its view shows. */
export interface ProfileCount {
  readonly name: string;
  readonly tools: number;
}

/**
 * The check's report: each plugin with the tools it offers (or why they are not offered), each
 * skipped plugin with the reason, each profile of MCP_PROFILES with the tools it shows. A problem is
 * a refused folder, a skipped plugin, a command whose tool the catalog refused (a name clash or an
 * invalid name), no plugin at all, or a profile that shows no tool. A profile selector that matches
 * nothing is a warning on stderr (ToolProfilesService).
 */
export function renderCheck(
  pluginsDir: string,
  report: DiscoveryReport,
  tools: readonly ToolEntry[],
  profiles?: { path: string; counts: readonly ProfileCount[] },
): CheckOutcome {
  const lines = [`Plugins folder: ${pluginsDir}`];
  const problems: string[] = [];
  if (report.refusal) problems.push(`the folder is refused: ${report.refusal}`);
  const byCommand = new Map(tools.map((tool) => [tool.qualifiedName, tool]));
  for (const plugin of report.plugins) {
    const version = plugin.version ? ` ${plugin.version}` : '';
    lines.push('', `ok    ${plugin.name}${version} (${plugin.commands.length} command${plugin.commands.length === 1 ? '' : 's'}, learnt from --${plugin.via})`);
    for (const command of plugin.commands) {
      const tool = byCommand.get(`${plugin.name}.${command.name}`);
      if (tool) lines.push(`        ${tool.name}: ${command.description || '(no description)'}`);
      else {
        lines.push(`        ${plugin.name}.${command.name}: NOT OFFERED (its tool name is invalid or taken; the log above says which)`);
        problems.push(`${plugin.name}.${command.name} is not offered`);
      }
    }
    if (plugin.env && plugin.env.length > 0) lines.push(`        environment it reads: ${plugin.env.join(', ')}`);
  }
  for (const skipped of report.skipped) {
    lines.push('', `SKIP  ${skipped.name}: ${skipped.reason}`);
    problems.push(`${skipped.name} was skipped`);
  }
  if (report.plugins.length === 0 && report.skipped.length === 0 && !report.refusal) problems.push('no plugin was found');
  if (profiles) {
    // The file was read and checked when the configuration loaded (a broken one exits 2 there).
    lines.push('', `Profiles: ${profiles.path}`);
    for (const { name, tools: count } of profiles.counts) {
      lines.push(`${count > 0 ? 'ok  ' : 'NONE'}  ${name}: ${count} tool${count === 1 ? '' : 's'}`);
      if (count === 0) problems.push(`profile ${name} shows no tool`);
    }
  }
  const offered = tools.filter((tool) => tool.source.kind === 'plugin').length;
  lines.push(
    '',
    problems.length === 0
      ? `${report.plugins.length} plugin${report.plugins.length === 1 ? '' : 's'}, ${offered} tool${offered === 1 ? '' : 's'}: no problems.`
      : `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}.`,
  );
  return { text: `${lines.join('\n')}\n`, ok: problems.length === 0 };
}

/**
 * `sanctum-mcp check`: discovery exactly as the server runs it (the same modules, sandbox,
 * interpreter and cache), without serving anything. Discovery's warnings go to stderr.
 */
export async function runCheck(config: AppConfig): Promise<CheckOutcome> {
  const folder = config.pluginsDir;
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    return { text: `Plugins folder: ${folder}\n\n1 problem: it is not a folder; give one with --plugins DIR.\n`, ok: false };
  const logger = createLogger({ level: 'warn', format: config.logFormat, stream: 'stderr' });
  const app = await createStdioApp(await withInterpreter({ ...config, watchPlugins: false }, logger), logger);
  try {
    const catalog = app.get(ToolCatalogService);
    const profiles = app.get(ToolProfilesService);
    const document = profiles.document;
    const counts = document ? Object.keys(document.profiles).map((name) => ({ name, tools: profiles.view({ names: [name] }).size })) : [];
    return renderCheck(folder, catalog.report, catalog.list(), config.profiles && { path: config.profiles.path, counts });
  } finally {
    await app.close();
  }
}
