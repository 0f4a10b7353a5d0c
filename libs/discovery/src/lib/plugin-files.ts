import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

/** A resource file could not be served: the message says which file and why. */
export class PluginFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginFileError';
  }
}

/**
 * The bytes of a file a plugin declared as a resource, read by the gateway: only inside the plugin
 * folder, never through a symlink (as plugin folders and entry files: a link could point anywhere
 * the gateway's user may read), only a regular file, at most `maxBytes`.
 */
export async function readPluginFile(dir: string, relativePath: string, maxBytes: number): Promise<Buffer> {
  const root = await realpath(dir);
  const path = resolve(root, relativePath);
  if (!path.startsWith(root + sep)) throw new PluginFileError(`${relativePath} is outside the plugin folder`);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new PluginFileError(`${relativePath} does not exist in the plugin folder`);
  }
  if (real !== path) throw new PluginFileError(`${relativePath} is reached through a symlink, which is refused`);
  // O_NOFOLLOW: a file swapped for a link after the check is refused too.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
    throw new PluginFileError(`${relativePath} cannot be opened (${err.code ?? err.message})`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PluginFileError(`${relativePath} is not a regular file`);
    if (info.size > maxBytes) throw new PluginFileError(`${relativePath} is ${info.size} bytes, over the ${maxBytes}-byte output cap (MCP_MAX_STDOUT_BYTES)`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
