import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
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
  /** Accepted plugins holding code or folders anyone may write to (the plugin may import them). */
  warnings: string[];
}

/**
 * The plugins folder itself is writable by every user: anyone on the machine could add a plugin
 * (hot reload would load it within seconds), so nothing in it is loaded.
 */
export class WorldWritablePluginsFolderError extends Error {
  constructor(readonly dir: string, mode: number) {
    super(
      `Refusing the plugins folder ${dir}: it is writable by every user (mode ${(mode & 0o7777).toString(8)}), so anyone on this machine ` +
        `could add a plugin that runs as the gateway. Run chmod o-w ${dir}, or set MCP_PLUGINS_DIR to a folder only the gateway's user can write.`,
    );
    this.name = 'WorldWritablePluginsFolderError';
  }
}

/** Files a plugin may load as code: its modules, scripts and native extensions. */
const CODE_FILE = /\.(py|pyc|so|js|mjs|cjs|json|sh)$/;
/** How much of a plugin folder is looked through for world-writable code (bounded: a start stays fast). */
const MAX_ENTRIES_CHECKED = 2_000;
const MAX_DEPTH = 4;

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

/** The file-system calls of a scan. */
interface ScanFs {
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<Dirent[]>;
  stat(path: string): Promise<Stats>;
  lstat(path: string): Promise<Stats>;
}

const nonBlocking: ScanFs = {
  realpath: (path) => realpath(path),
  readdir: (path) => readdir(path, { withFileTypes: true }),
  stat: (path) => stat(path),
  lstat: (path) => lstat(path),
};

/**
 * The same calls, made synchronously (realpathSync.native is the realpath(3) that fs/promises
 * uses). About 10 ms instead of 30 for 100 plugins, because each asynchronous call waits for a
 * round trip through libuv's thread pool; for when nothing else is waiting on the event loop.
 */
const blocking: ScanFs = {
  realpath: async (path) => realpathSync.native(path),
  readdir: async (path) => readdirSync(path, { withFileTypes: true }),
  stat: async (path) => statSync(path),
  lstat: async (path) => lstatSync(path),
};

export interface ScanOptions {
  /** Synchronous file-system calls: faster, but they hold the event loop (for a start, before anything is served). */
  blocking?: boolean;
}

/**
 * Folders of `pluginsDir` that hold an entry file (`cli.py`, `cli.js`, `cli.mjs`, `cli.sh`, or an
 * executable `cli`), sorted by name; folders starting with `.` or `_` are ignored. Refused, with
 * the reason: a folder or entry whose real path leaves `pluginsDir` (a symlink pointing out), and
 * a folder or entry anyone may write to (anyone could then run code as the gateway). A plugins
 * folder anyone may write to is refused whole (WorldWritablePluginsFolderError). Code files and
 * folders anyone may write to inside an accepted plugin (modules it may import) are warnings.
 */
export async function scanPlugins(pluginsDir: string, entryFiles: readonly string[] = PLUGIN_ENTRY_FILES, options: ScanOptions = {}): Promise<ScanResult> {
  const fs = options.blocking ? blocking : nonBlocking;
  const root = await fs.realpath(pluginsDir);
  const rootInfo = await fs.stat(root);
  if (rootInfo.mode & 0o002) throw new WorldWritablePluginsFolderError(pluginsDir, rootInfo.mode);
  const entries = await fs.readdir(pluginsDir);
  const result: ScanResult = { plugins: [], refused: [], warnings: [] };
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
      else {
        result.plugins.push({ name: entry.name, dir, entryPath });
        for (const path of await worldWritableCode(fs, dir)) {
          result.warnings.push(`Plugin ${entry.name}: ${path} is writable by every user, and the plugin may load it as code (chmod o-w ${path})`);
        }
      }
      break;
    }
  }
  return result;
}

/** Code files and folders under `dir` (not following links) that anyone may write to, a bounded walk. */
async function worldWritableCode(fs: ScanFs, dir: string): Promise<string[]> {
  const found: string[] = [];
  let checked = 0;
  const walk = async (folder: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++checked > MAX_ENTRIES_CHECKED) return;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        const info = await fs.lstat(path).catch(() => undefined);
        if (info && info.mode & 0o002) found.push(path);
        else if (depth < MAX_DEPTH && entry.name !== '__pycache__') await walk(path, depth + 1);
      } else if (entry.isFile() && CODE_FILE.test(entry.name)) {
        const info = await fs.lstat(path).catch(() => undefined);
        if (info && info.mode & 0o002) found.push(path);
      }
    }
  };
  await walk(dir, 1);
  return found;
}
