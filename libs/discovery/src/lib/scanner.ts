import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { PLUGIN_ENTRY_FILES } from '@sanctum/protocol';

export interface PluginLocation {
  name: string;
  dir: string;
  entryPath: string;
}

export interface RefusedPlugin {
  name: string;
  dir: string;
  reason: string;
}

export interface ScanResult {
  plugins: PluginLocation[];
  refused: RefusedPlugin[];
}

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

/**
 * Folders of `pluginsDir` that hold an entry file (`cli.py`, `cli.js`, `cli.mjs`, `cli.sh`, or an
 * executable `cli`), sorted by name; folders starting with `.` or `_` are ignored. Refused, with
 * the reason: a folder or entry whose real path leaves `pluginsDir` (a symlink pointing out), and
 * a folder or entry anyone may write to (anyone could then run code as the gateway).
 */
export async function scanPlugins(pluginsDir: string, entryFiles: readonly string[] = PLUGIN_ENTRY_FILES): Promise<ScanResult> {
  const root = await realpath(pluginsDir);
  const entries = await readdir(pluginsDir, { withFileTypes: true });
  const result: ScanResult = { plugins: [], refused: [] };
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const dir = join(pluginsDir, entry.name);
    const dirInfo = await stat(dir).catch(() => undefined);
    if (!dirInfo?.isDirectory()) continue;
    const refuse = (reason: string): void => {
      result.refused.push({ name: entry.name, dir, reason });
    };
    const realDir = await realpath(dir);
    if (!inside(root, realDir)) {
      refuse(`its real path ${realDir} is outside the plugins folder (a symlink pointing out is not followed)`);
      continue;
    }
    if (dirInfo.mode & 0o002) {
      refuse(`the folder is world-writable (chmod o-w ${dir})`);
      continue;
    }
    for (const file of entryFiles) {
      const entryPath = join(dir, file);
      const info = await stat(entryPath).catch(() => undefined);
      // A bare `cli` must be executable; the others run through their interpreter.
      if (!info?.isFile() || (file === 'cli' && (info.mode & 0o111) === 0)) continue;
      const realEntry = await realpath(entryPath);
      if (!inside(realDir, realEntry)) refuse(`${file} is a link to ${realEntry}, outside the plugin folder`);
      else if (info.mode & 0o002) refuse(`${file} is world-writable (chmod o-w ${entryPath})`);
      else result.plugins.push({ name: entry.name, dir, entryPath });
      break;
    }
  }
  return result;
}
