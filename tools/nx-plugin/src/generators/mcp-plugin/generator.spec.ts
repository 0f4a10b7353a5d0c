import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DIRECTORY, mcpPluginGenerator, PLUGIN_NAME_PATTERN } from './generator';

const PLUGIN_ROOT = path.resolve(__dirname, '../../..');

function created(tree: Tree): string[] {
  return tree
    .listChanges()
    .filter((change) => change.type === 'CREATE')
    .map((change) => change.path)
    .sort();
}

describe('mcp-plugin generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  describe('files', () => {
    it('creates cli.py, README.md and test_cli.py in mcp/plugins/<name> by default', async () => {
      const before = created(tree);
      await mcpPluginGenerator(tree, { name: 'weather' });
      expect(created(tree).filter((file) => !before.includes(file))).toEqual([
        'mcp/plugins/weather/README.md',
        'mcp/plugins/weather/cli.py',
        'mcp/plugins/weather/test_cli.py',
      ]);
    });

    it('fills in the name and a default description, and leaves no template syntax behind', async () => {
      await mcpPluginGenerator(tree, { name: 'weather' });
      const cli = tree.read('mcp/plugins/weather/cli.py', 'utf-8') ?? '';
      expect(cli).toMatch(/^#!\/usr\/bin\/env python3\n/);
      expect(cli).toContain('PLUGIN_NAME = "weather"\n');
      expect(cli).toContain('PLUGIN_DESCRIPTION = "The weather plugin for Sanctum MCP"\n');
      expect(cli).toContain('CONTRACT_VERSION = "1.0"');
      expect(cli).toContain('lines = ["Available commands:"]');
      expect(cli).toContain('formatter_class=argparse.RawDescriptionHelpFormatter');
      expect(tree.read('mcp/plugins/weather/test_cli.py', 'utf-8')).toContain('PLUGIN_NAME = "weather"\n');
      const readme = tree.read('mcp/plugins/weather/README.md', 'utf-8') ?? '';
      expect(readme).toMatch(/^# weather\n\nThe weather plugin for Sanctum MCP\n/);
      expect(readme).toContain('`weather__<command>`');
      // The README sits in mcp/plugins/weather/: three levels below the workspace README.
      expect(readme).toContain('[Sanctum MCP](../../../README.md)');
      expect(readme).toContain('cd mcp/plugins/weather && python3 -m unittest -v');
      for (const file of ['cli.py', 'test_cli.py', 'README.md']) {
        expect(tree.read(`mcp/plugins/weather/${file}`, 'utf-8')).not.toMatch(/<%|%>|__name__\/|\.template/);
      }
    });

    it('makes cli.py executable', async () => {
      await mcpPluginGenerator(tree, { name: 'weather' });
      const change = tree.listChanges().find((c) => c.path === 'mcp/plugins/weather/cli.py');
      expect(change?.options?.mode).toBe('755');
    });

    it('embeds the description as a Python string literal, without HTML escaping', async () => {
      const description = 'Says "hi" & adds \\ numbers <b>ünïcode</b> 100% <%= name %>';
      await mcpPluginGenerator(tree, { name: 'quirky', description: `  ${description}  ` });
      const cli = tree.read('mcp/plugins/quirky/cli.py', 'utf-8') ?? '';
      expect(cli).toContain(`PLUGIN_DESCRIPTION = ${JSON.stringify(description)}\n`);
      expect(cli).toContain(String.raw`PLUGIN_DESCRIPTION = "Says \"hi\" & adds \\ numbers`);
      expect(tree.read('mcp/plugins/quirky/README.md', 'utf-8')).toContain(`\n${description}\n`);
    });

    it('honours --directory and normalizes it', async () => {
      await mcpPluginGenerator(tree, { name: 'demo', directory: './tools/sandbox/' });
      expect(tree.exists('tools/sandbox/demo/cli.py')).toBe(true);
      expect(tree.read('tools/sandbox/demo/README.md', 'utf-8')).toContain('cd tools/sandbox/demo && python3 -m unittest');
      await mcpPluginGenerator(tree, { name: 'deeper', directory: 'a/b/c' });
      expect(tree.read('a/b/c/deeper/README.md', 'utf-8')).toContain('[Sanctum MCP](../../../../README.md)');
    });

    it('returns a callback that prints the next steps', async () => {
      const callback = await mcpPluginGenerator(tree, { name: 'weather' });
      expect(typeof callback).toBe('function');
    });
  });

  describe('validation', () => {
    it.each([
      ['Weather'],
      ['1weather'],
      ['-weather'],
      ['_weather'],
      ['weather.v2'],
      ['weather api'],
      ['wéather'],
      ['../weather'],
      ['a/b'],
      ['w'.repeat(65)],
    ])('refuses the name %j', async (name) => {
      await expect(mcpPluginGenerator(tree, { name })).rejects.toThrow(`Invalid plugin name ${JSON.stringify(name)}`);
      expect(tree.listChanges().some((change) => change.path.startsWith('mcp/'))).toBe(false);
    });

    it('asks for a name when there is none', async () => {
      await expect(mcpPluginGenerator(tree, { name: '  ' })).rejects.toThrow(
        /Give the plugin a name: npx nx g @sanctum\/nx-plugin:mcp-plugin <name>/,
      );
    });

    it.each([['a'], ['git-tools'], ['snake_case_2'], ['w'.repeat(64)]])('accepts the name %j', async (name) => {
      expect(PLUGIN_NAME_PATTERN.test(name)).toBe(true);
      await mcpPluginGenerator(tree, { name });
      expect(tree.exists(`mcp/plugins/${name}/cli.py`)).toBe(true);
    });

    it('refuses a plugin folder that already exists, and writes nothing', async () => {
      tree.write('mcp/plugins/devops/cli.py', '# the real devops plugin\n');
      const before = tree.listChanges().length;
      await expect(mcpPluginGenerator(tree, { name: 'devops' })).rejects.toThrow(
        'Cannot create plugin "devops": mcp/plugins/devops already exists. Choose another name, or remove that folder first.',
      );
      expect(tree.listChanges()).toHaveLength(before);
      expect(tree.read('mcp/plugins/devops/cli.py', 'utf-8')).toBe('# the real devops plugin\n');
    });

    it('refuses a file in the way of the plugin folder', async () => {
      tree.write('mcp/plugins/notes', 'not a folder');
      await expect(mcpPluginGenerator(tree, { name: 'notes' })).rejects.toThrow(/mcp\/plugins\/notes already exists.*remove that file/);
    });

    it('refuses the same name twice', async () => {
      await mcpPluginGenerator(tree, { name: 'weather' });
      await expect(mcpPluginGenerator(tree, { name: 'weather' })).rejects.toThrow(/already exists/);
    });

    it.each([['/etc/plugins'], ['../outside'], ['mcp/../../outside'], ['C:/plugins'], [''], ['.']])(
      'refuses the directory %j',
      async (directory) => {
        await expect(mcpPluginGenerator(tree, { name: 'weather', directory })).rejects.toThrow(/^Invalid --directory/);
      },
    );

    it('refuses a directory that runs through a file', async () => {
      tree.write('mcp/plugins', 'a file');
      await expect(mcpPluginGenerator(tree, { name: 'weather' })).rejects.toThrow('mcp/plugins is a file, not a folder');
    });

    it.each([
      ['line one\nline two', /single line/],
      ['tab\there', /single line/],
      ['para\u2028graph', /single line/],
      ['   ', /it is empty/],
      ['x'.repeat(301), /use at most 300/],
    ])('refuses the description %j', async (description, message) => {
      await expect(mcpPluginGenerator(tree, { name: 'weather', description })).rejects.toThrow(message);
    });
  });

  describe('registration', () => {
    it('is declared in generators.json with a schema that matches the generator', () => {
      const pkg = readJsonFile<{ name: string; generators: string }>(path.join(PLUGIN_ROOT, 'package.json'));
      expect(pkg.name).toBe('@sanctum/nx-plugin');
      const collection = readJsonFile<{ generators: Record<string, { factory: string; schema: string }> }>(
        path.join(PLUGIN_ROOT, pkg.generators),
      );
      const entry = collection.generators['mcp-plugin'];
      expect(path.resolve(PLUGIN_ROOT, entry.factory)).toBe(path.join(__dirname, 'generator'));
      // Nx calls `module.default ?? module` of the factory module.
      const factory = jest.requireActual<{ default: unknown }>(path.resolve(PLUGIN_ROOT, entry.factory)).default;
      expect(factory).toBe(mcpPluginGenerator);
      const schema = readJsonFile<{ properties: Record<string, { default?: unknown }>; required: string[] }>(
        path.resolve(PLUGIN_ROOT, entry.schema),
      );
      expect(Object.keys(schema.properties).sort()).toEqual(['content', 'description', 'directory', 'name']);
      expect(schema.properties['directory'].default).toBe(DEFAULT_DIRECTORY);
      expect(schema.required).toEqual(['name']);
    });

    it('is reachable through the tsconfig path Nx uses to find the local plugin', () => {
      const workspace = readJsonFile<{ compilerOptions: { paths: Record<string, string[]> } }>(
        path.resolve(PLUGIN_ROOT, '../../tsconfig.base.json'),
      );
      expect(workspace.compilerOptions.paths['@sanctum/nx-plugin']).toEqual(['./tools/nx-plugin/src/index.ts']);
    });
  });
});

function readJsonFile<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
