import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InitError, initPlugin, pluginTemplateDir } from './init';

describe('sanctum-mcp init', () => {
  let parent: string;
  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), 'sanctum-init-'))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it("writes the generator's template as a working plugin: its own tests pass and --describe names it", () => {
    const root = initPlugin('weather', parent);
    expect(root).toBe(join(parent, 'weather'));
    expect(statSync(join(root, 'cli.py')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toMatch(/^# weather\n/);
    const described = JSON.parse(execFileSync('python3', ['cli.py', '--describe'], { cwd: root, encoding: 'utf8' })) as { plugin: { name: string } };
    expect(described.plugin.name).toBe('weather');
    execFileSync('python3', ['-m', 'unittest', '-q'], { cwd: root, stdio: 'pipe' });
  });

  it('leaves no EJS tag unrendered', () => {
    const root = initPlugin('tags', parent);
    for (const file of ['cli.py', 'README.md', 'test_cli.py']) expect(readFileSync(join(root, file), 'utf8')).not.toContain('<%');
  });

  it('refuses an existing folder, an invalid name and a missing parent, saying what to do', () => {
    initPlugin('twice', parent);
    expect(() => initPlugin('twice', parent)).toThrow(/already exists. Choose another name/);
    expect(() => initPlugin('Bad Name', parent)).toThrow(InitError);
    expect(() => initPlugin('ok', join(parent, 'missing'))).toThrow(/is not a folder: create it first/);
  });

  it('finds the templates from the sources when no bundle put them beside it', () => {
    expect(pluginTemplateDir()).toMatch(/tools\/nx-plugin\/src\/generators\/mcp-plugin\/files\/__name__$/);
  });
});
