import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { installRoot } from '../config/install-root';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

export interface ConsoleAsset {
  type: string;
  body: Buffer;
}

/** Where `nx run console:build` puts the console: `dist/apps/console` of the installation. */
export function consoleAssetsDir(root: string | undefined = installRoot()): string | undefined {
  return root === undefined ? undefined : join(root, 'dist', 'apps', 'console');
}

/**
 * The console's built files, read once at start into memory (a few hundred KB) and served by name
 * only: no path from a request ever reaches the file system.
 */
export class ConsoleAssets {
  private readonly files = new Map<string, ConsoleAsset>();

  constructor(readonly dir: string | undefined = consoleAssetsDir()) {
    if (dir === undefined || !existsSync(join(dir, 'index.html'))) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const type = TYPES[extname(name)];
      if (type !== undefined && statSync(path).isFile()) this.files.set(name, { type, body: readFileSync(path) });
    }
  }

  /** Whether the build was found. */
  get built(): boolean {
    return this.files.has('index.html');
  }

  get(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }
}
