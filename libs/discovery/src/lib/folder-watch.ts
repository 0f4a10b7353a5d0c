import { statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

/** What a FolderWatch reports. */
export interface FolderWatchEvents {
  /** Something inside the folder changed (`file` relative to it, when the platform says). */
  changed(file: string | undefined): void;
  /** The folder exists now (it did not, or it was replaced): its whole content is new. */
  appeared(): void;
  /** The folder is gone (removed, renamed away, or replaced by a file). */
  vanished(): void;
  /** Watching failed; nothing more is reported. */
  failed(error: Error): void;
}

/** Where a FolderWatch stands: watching the folder itself, or the nearest existing folder above it. */
export type FolderWatchState = { readonly watching: 'folder' } | { readonly watching: 'ancestor'; readonly ancestor: string };

interface Identity {
  dev: number;
  ino: number;
}

function folderIdentity(path: string): Identity | undefined {
  try {
    const info = statSync(path);
    return info.isDirectory() ? { dev: info.dev, ino: info.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** The nearest folder at or above `path` that exists (the root at worst). */
function nearestExisting(path: string): string {
  let current = dirname(path);
  while (folderIdentity(current) === undefined) {
    const up = dirname(current);
    if (up === current) break;
    current = up;
  }
  return current;
}

/**
 * Watches a folder that may not exist yet, and may be removed and created again: while it exists,
 * a recursive `fs.watch` of it; while it does not, a plain `fs.watch` of the nearest existing
 * folder above it, moving down as the missing folders are created. Node's watcher of a folder
 * goes silent once that folder is removed (it would never see a new folder of the same name), so
 * every event of the folder's watcher checks that the path still names the same folder.
 */
export class FolderWatch {
  readonly folder: string;
  private watcher: FSWatcher | undefined;
  private identity: Identity | undefined;
  private ancestor: string | undefined;
  private stopped = false;

  constructor(
    folder: string,
    private readonly events: FolderWatchEvents,
    /** Ignore changes of these files (relative to the folder), e.g. bytecode caches. */
    private readonly ignore: (file: string) => boolean = () => false,
  ) {
    this.folder = resolve(folder);
  }

  /** Start watching; reports nothing for what exists now. Throws when the platform cannot watch. */
  start(): FolderWatchState {
    this.identity = folderIdentity(this.folder);
    if (this.identity !== undefined) this.watchFolder();
    else this.watchAncestor();
    return this.state;
  }

  get state(): FolderWatchState {
    return this.ancestor === undefined ? { watching: 'folder' } : { watching: 'ancestor', ancestor: this.ancestor };
  }

  close(): void {
    this.stopped = true;
    this.unwatch();
  }

  private watchFolder(): void {
    this.ancestor = undefined;
    this.attach(watch(this.folder, { recursive: true }, (_event, file) => this.folderEvent(typeof file === 'string' ? file : undefined)));
    // Removed or replaced while the watcher was being set up: it would never say so.
    if (!this.sameFolder(folderIdentity(this.folder))) this.folderEvent(undefined);
  }

  private watchAncestor(): void {
    const ancestor = nearestExisting(this.folder);
    this.ancestor = ancestor;
    this.attach(watch(ancestor, { recursive: false }, (_event, file) => this.ancestorEvent(ancestor, typeof file === 'string' ? file : undefined)));
    // A folder on the way created while the watcher was being set up: it would never say so.
    this.ancestorEvent(ancestor, undefined);
  }

  private sameFolder(now: Identity | undefined): boolean {
    return now !== undefined && this.identity !== undefined && now.dev === this.identity.dev && now.ino === this.identity.ino;
  }

  private attach(watcher: FSWatcher): void {
    this.unwatch();
    this.watcher = watcher;
    watcher.on('error', (err) => this.fail(err));
    watcher.unref();
  }

  private unwatch(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.close();
  }

  private folderEvent(file: string | undefined): void {
    if (this.stopped) return;
    const now = folderIdentity(this.folder);
    if (!this.sameFolder(now)) {
      this.identity = now;
      this.events.vanished();
      if (now !== undefined) this.events.appeared();
      this.rewatch(() => (now === undefined ? this.watchAncestor() : this.watchFolder()));
      return;
    }
    if (file !== undefined && file !== '' && this.ignore(file)) return;
    this.events.changed(file === '' ? undefined : file);
  }

  private ancestorEvent(ancestor: string, file: string | undefined): void {
    if (this.stopped || this.ancestor !== ancestor) return;
    // Only the next folder on the way down matters (the event's file, when given, names it).
    const next = relative(ancestor, this.folder).split(sep)[0];
    if (file !== undefined && file !== '' && file !== next) return;
    const now = folderIdentity(this.folder);
    if (now !== undefined) {
      this.identity = now;
      this.events.appeared();
      this.rewatch(() => this.watchFolder());
      return;
    }
    // A folder on the way was created (watch it, nearer), or the watched one was removed (go up).
    if (nearestExisting(this.folder) !== ancestor) this.rewatch(() => this.watchAncestor());
  }

  private rewatch(watchNext: () => void): void {
    try {
      watchNext();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unwatch();
    this.events.failed(err);
  }
}
