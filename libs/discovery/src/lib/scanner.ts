import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PLUGIN_ENTRY_FILES } from '@sanctum/protocol';

export interface PluginLocation {
  name: string;
  dir: string;
  entryPath: string;
}

/**
 * Folders of `pluginsDir` that hold an entry file (`cli.py`, `cli.js`, `cli.mjs`, `cli.sh`, or an
 * executable `cli`), sorted by name; folders starting with `.` or `_` are ignored.
 */
export async function scanPlugins(pluginsDir: string, entryFiles: readonly string[] = PLUGIN_ENTRY_FILES): Promise<PluginLocation[]> {
  const entries = await readdir(pluginsDir, { withFileTypes: true });
  const found: PluginLocation[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const dir = join(pluginsDir, entry.name);
    for (const file of entryFiles) {
      const entryPath = join(dir, file);
      const info = await stat(entryPath).catch(() => undefined);
      // A bare `cli` must be executable; the others run through their interpreter.
      if (info?.isFile() && (file !== 'cli' || (info.mode & 0o111) !== 0)) {
        found.push({ name: entry.name, dir, entryPath });
        break;
      }
    }
  }
  return found;
}
