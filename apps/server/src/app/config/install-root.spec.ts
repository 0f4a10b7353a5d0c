import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from './config';
import { installRoot } from './install-root';

const WORKSPACE = resolve(__dirname, '../../../../..');

describe('installRoot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sanctum-install-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the workspace root when running from the sources', () => {
    expect(installRoot()).toBe(WORKSPACE);
  });

  it('is the folder above dist/apps/server for the bundle', () => {
    writeFileSync(join(dir, 'package.json'), '{}');
    mkdirSync(join(dir, 'dist/apps/server'), { recursive: true });
    expect(installRoot(join(dir, 'dist/apps/server'))).toBe(dir);
  });

  it('is undefined when no folder above holds a package.json (a bundle copied somewhere on its own)', () => {
    const looked: string[] = [];
    const nowhere = (path: string): boolean => {
      looked.push(path);
      return false;
    };
    expect(installRoot('/opt/sanctum/server', nowhere)).toBeUndefined();
    expect(looked).toEqual(['/opt/sanctum/server/package.json', '/opt/sanctum/package.json', '/opt/package.json', '/package.json']);
  });
});

describe('the default MCP_PLUGINS_DIR', () => {
  it('guards the desktop-client bug: resolves against the installation, not the working directory', () => {
    expect(loadConfig({}, '/home/someone/Desktop').pluginsDir).toBe(join(WORKSPACE, 'mcp', 'plugins'));
  });

  it('keeps an explicit relative MCP_PLUGINS_DIR relative to the working directory', () => {
    expect(loadConfig({ MCP_PLUGINS_DIR: 'my/plugins' }, '/home/someone/Desktop').pluginsDir).toBe('/home/someone/Desktop/my/plugins');
  });
});
