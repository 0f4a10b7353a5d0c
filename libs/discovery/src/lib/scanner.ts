import { readdirSync, realpathSync, statSync } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
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

/** The file-system calls of a scan. */
interface ScanFs {
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<Dirent[]>;
  stat(path: string): Promise<Stats>;
}

const nonBlocking: ScanFs = { realpath: (path) => realpath(path), readdir: (path) => readdir(path, { withFileTypes: true }), stat: (path) => stat(path) };

/**
 * The same calls, made synchronously (realpathSync.native is the realpath(3) that fs/promises
 * uses). About 10 ms instead of 30 for 100 plugins, because each asynchronous call waits for a
 * round trip through libuv's thread pool; for when nothing else is waiting on the event loop.
 */
const blocking: ScanFs = {
  realpath: async (path) => realpathSync.native(path),
  readdir: async (path) => readdirSync(path, { withFileTypes: true }),
  stat: async (path) => statSync(path),
};

export interface ScanOptions {
  /** Synchronous file-system calls: faster, but they hold the event loop (for a start, before anything is served). */
  blocking?: boolean;
}

/**
 * Folders of `pluginsDir` that hold an entry file (`cli.py`, `cli.js`, `cli.mjs`, `cli.sh`, or an
 * executable `cli`), sorted by name; folders starting with `.` or `_` are ignored. Refused, with
 * the reason: a folder or entry whose real path leaves `pluginsDir` (a symlink pointing out), and
 * a folder or entry anyone may write to (anyone could then run code as the gateway).
 */
export async function scanPlugins(pluginsDir: string, entryFiles: readonly string[] = PLUGIN_ENTRY_FILES, options: ScanOptions = {}): Promise<ScanResult> {
  const fs = options.blocking ? blocking : nonBlocking;
  const root = await fs.realpath(pluginsDir);
  const entries = await fs.readdir(pluginsDir);
  const result: ScanResult = { plugins: [], refused: [] };
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const dir = join(pluginsDir, entry.name);
    const dirInfo = await fs.stat(dir).catch(() => undefined);
    if (!dirInfo?.isDirectory()) continue;
    const refuse = (reason: string): void => {
      result.refused.push({ name: entry.name, dir, reason });
    };
    const realDir = await fs.realpath(dir);
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
      const info = await fs.stat(entryPath).catch(() => undefined);
      // A `cli` without extension must be executable; the others run through their interpreter.
      if (!info?.isFile() || (file === 'cli' && (info.mode & 0o111) === 0)) continue;
      const realEntry = await fs.realpath(entryPath);
      if (!inside(realDir, realEntry)) refuse(`${file} is a link to ${realEntry}, outside the plugin folder`);
      else if (info.mode & 0o002) refuse(`${file} is world-writable (chmod o-w ${entryPath})`);
      else result.plugins.push({ name: entry.name, dir, entryPath });
      break;
    }
  }
  return result;
}
