import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The gateway's installation: the nearest folder at or above `from` that holds a `package.json`.
 * From the sources that is the workspace root (above `apps/server/src/app/config`); from the
 * bundle, the folder above `dist/apps/server/main.js` (the bundled code's `__dirname` is main.js's
 * folder), as in the repository and the container image (`/app`). Undefined when no folder above
 * holds one (a bundle copied somewhere on its own).
 */
export function installRoot(from: string = __dirname, exists: (path: string) => boolean = existsSync): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (exists(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
