import { statSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CommandSpec, PromptSpec, ResourceSpec, ResourceTemplateSpec } from '@sanctum/protocol';

/** What identifies a plugin's code: if any of it changes, the plugin is described again. */
export interface PluginIdentity {
  entryPath: string;
  entryMtimeMs: number;
  entrySize: number;
  entryIno: number;
  dirMtimeMs: number;
  /** The interpreter that ran --describe/--help (a new Python may parse differently). */
  runtime: string;
}

export interface CachedDescription {
  identity: PluginIdentity;
  commands: CommandSpec[];
  via: 'describe' | 'help';
  version?: string;
  env?: string[];
  resources?: ResourceSpec[];
  resourceTemplates?: ResourceTemplateSpec[];
  prompts?: PromptSpec[];
  entryProblems?: string[];
}

/** 3: contract v1.1 (resources, resource templates, prompts); older files are described again. */
const FORMAT = 3;

interface CacheFile {
  format?: number;
  plugins?: CachedDescription[];
  /** The resolved Python interpreter and what it depends on (the executor's record, opaque here). */
  interpreter?: unknown;
}

async function readCacheFile(file: string): Promise<CacheFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
    return parsed?.format === FORMAT ? parsed : undefined;
  } catch {
    return undefined;
  }
}

let writes = 0;

/** Written to a temporary file, then renamed: readers see the old or the new content, never a mix. */
async function writeCacheFile(file: string, content: CacheFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++writes}.tmp`;
  await writeFile(tmp, JSON.stringify(content));
  await rename(tmp, file);
}

/**
 * Discovery results per plugin, keyed by file identity and kept on disk, so that a restart with
 * many unchanged plugins spawns nothing. A missing or unreadable cache file is an empty cache.
 */
export class DiscoveryCache {
  private entries = new Map<string, CachedDescription>();
  private interpreter: unknown;
  private dirty = false;

  constructor(private readonly file: string | undefined) {}

  /** @param blocking synchronous stat calls (see scanPlugins' `blocking`) */
  static async identify(entryPath: string, dir: string, runtime: string, blocking = false): Promise<PluginIdentity> {
    const [entry, folder] = blocking ? [statSync(entryPath), statSync(dir)] : await Promise.all([stat(entryPath), stat(dir)]);
    return { entryPath, entryMtimeMs: entry.mtimeMs, entrySize: entry.size, entryIno: entry.ino, dirMtimeMs: folder.mtimeMs, runtime };
  }

  /** The interpreter record kept in the cache file (see resolvePythonCached), undefined if none. */
  static async readInterpreter(file: string): Promise<unknown> {
    return (await readCacheFile(file))?.interpreter;
  }

  /** Store the interpreter record in the cache file, keeping the plugins described there. */
  static async writeInterpreter(file: string, interpreter: unknown): Promise<void> {
    const current = await readCacheFile(file);
    await writeCacheFile(file, { format: FORMAT, plugins: Array.isArray(current?.plugins) ? current.plugins : [], interpreter });
  }

  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const parsed = await readCacheFile(this.file);
      if (!parsed || !Array.isArray(parsed.plugins)) return;
      this.entries = new Map(parsed.plugins.map((p) => [p.identity.entryPath, p]));
      this.interpreter = parsed.interpreter;
    } catch {
      this.entries.clear();
    }
  }

  get(identity: PluginIdentity): CachedDescription | undefined {
    const hit = this.entries.get(identity.entryPath);
    if (!hit) return undefined;
    const same = (Object.keys(identity) as Array<keyof PluginIdentity>).every((k) => hit.identity[k] === identity[k]);
    return same ? hit : undefined;
  }

  set(description: CachedDescription): void {
    this.entries.set(description.identity.entryPath, description);
    this.dirty = true;
  }

  /** Forget plugins that are gone, then write atomically if anything changed. */
  async save(keep: ReadonlySet<string>): Promise<void> {
    for (const key of [...this.entries.keys()]) {
      if (!keep.has(key)) {
        this.entries.delete(key);
        this.dirty = true;
      }
    }
    if (!this.file || !this.dirty) return;
    await writeCacheFile(this.file, { format: FORMAT, plugins: [...this.entries.values()], interpreter: this.interpreter });
    this.dirty = false;
  }
}
