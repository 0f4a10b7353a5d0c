import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');

/** A plugins folder for the console specs: the bundled devops plugin and one that discovery skips. */
export function consolePlugins(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-plugins-'));
  cpSync(join(REPO, 'mcp/plugins/devops'), join(dir, 'devops'), { recursive: true });
  cpSync(join(__dirname, 'fixtures/plugins/broken_describe'), join(dir, 'broken_describe'), { recursive: true });
  return dir;
}
