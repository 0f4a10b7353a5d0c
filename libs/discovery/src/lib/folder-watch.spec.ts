import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderWatch } from './folder-watch';
import type { FolderWatchEvents } from './folder-watch';

/** Records what a FolderWatch reports, and waits for it. */
class Recorder implements FolderWatchEvents {
  readonly seen: string[] = [];
  private waiters: Array<() => void> = [];

  changed(file: string | undefined): void {
    this.push(`changed ${file ?? ''}`.trim());
  }
  appeared(): void {
    this.push('appeared');
  }
  vanished(): void {
    this.push('vanished');
  }
  failed(error: Error): void {
    this.push(`failed ${error.message}`);
  }

  /** Resolves once an event matching `what` was reported (counting those already seen). */
  async until(what: string | RegExp): Promise<void> {
    const matches = (): boolean => this.seen.some((e) => (typeof what === 'string' ? e === what : what.test(e)));
    while (!matches()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  clear(): void {
    this.seen.length = 0;
  }

  private push(event: string): void {
    this.seen.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

describe('FolderWatch', () => {
  let root: string;
  let watch: FolderWatch | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sanctum-folder-watch-'));
  });
  afterEach(() => {
    watch?.close();
    watch = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  const start = (folder: string, ignore?: (file: string) => boolean): Recorder => {
    const recorder = new Recorder();
    watch = new FolderWatch(folder, recorder, ignore);
    watch.start();
    return recorder;
  };

  it('reports changes inside an existing folder, at any depth, except ignored files', async () => {
    const folder = join(root, 'plugins');
    mkdirSync(join(folder, 'notes'), { recursive: true });
    const events = start(folder, (file) => file.includes('__pycache__'));
    expect(watch?.state).toEqual({ watching: 'folder' });
    mkdirSync(join(folder, 'notes', '__pycache__'));
    writeFileSync(join(folder, 'notes', 'cli.py'), 'print(1)\n');
    await events.until('changed notes/cli.py');
    expect(events.seen.filter((e) => e.includes('__pycache__'))).toEqual([]);
  });

  it('guards the restart-needed bug: notices a missing folder being created, even several levels down', async () => {
    const folder = join(root, 'a', 'b', 'plugins');
    const events = start(folder);
    expect(watch?.state).toEqual({ watching: 'ancestor', ancestor: root });
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'a', 'b'));
    mkdirSync(folder);
    await events.until('appeared');
    expect(watch?.state).toEqual({ watching: 'folder' });
    writeFileSync(join(folder, 'x.txt'), 'x');
    await events.until('changed x.txt');
  });

  it('notices the folder being removed, then created again (Node would watch the dead folder forever)', async () => {
    const folder = join(root, 'plugins');
    mkdirSync(folder);
    const events = start(folder);
    writeFileSync(join(folder, 'one.txt'), '1');
    await events.until('changed one.txt');
    rmSync(folder, { recursive: true });
    await events.until('vanished');
    expect(watch?.state).toEqual({ watching: 'ancestor', ancestor: root });
    events.clear();
    mkdirSync(folder);
    await events.until('appeared');
    writeFileSync(join(folder, 'two.txt'), '2');
    await events.until('changed two.txt');
  });

  it('notices the folder being replaced by another one of the same name (a rename into place)', async () => {
    const folder = join(root, 'plugins');
    mkdirSync(folder);
    mkdirSync(join(root, 'staged'));
    writeFileSync(join(root, 'staged', 'ready.txt'), 'r');
    const events = start(folder);
    rmSync(folder, { recursive: true });
    renameSync(join(root, 'staged'), folder);
    await events.until('appeared');
    writeFileSync(join(folder, 'after.txt'), 'a');
    await events.until('changed after.txt');
  });

  it('treats a file where the folder should be as missing, and waits for the folder', async () => {
    const folder = join(root, 'plugins');
    writeFileSync(folder, 'not a folder');
    const events = start(folder);
    expect(watch?.state).toEqual({ watching: 'ancestor', ancestor: root });
    rmSync(folder);
    mkdirSync(folder);
    await events.until('appeared');
  });

  it('reports nothing after close', async () => {
    const folder = join(root, 'plugins');
    const events = start(folder);
    watch?.close();
    mkdirSync(folder);
    // A sibling created after the folder: once its event arrived, the folder's would have too.
    const probe = new Recorder();
    const sibling = new FolderWatch(join(root, 'sibling'), probe);
    sibling.start();
    mkdirSync(join(root, 'sibling'));
    await probe.until('appeared');
    sibling.close();
    expect(events.seen).toEqual([]);
  });
});
