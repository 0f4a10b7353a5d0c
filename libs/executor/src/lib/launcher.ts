import { basename, extname } from 'node:path';

export interface LaunchConfig {
  /** Resolved Python interpreter (never a version-manager shim). */
  python: string;
}

/** The program and leading arguments that run a plugin entry file. */
export function commandLineFor(entryPath: string, config: LaunchConfig): { program: string; args: string[] } {
  switch (extname(entryPath)) {
    case '.py':
      return { program: config.python, args: [basename(entryPath)] };
    case '.js':
    case '.mjs':
      return { program: process.execPath, args: [basename(entryPath)] };
    case '.sh':
      return { program: 'bash', args: [basename(entryPath)] };
    default:
      return { program: entryPath, args: [] };
  }
}
