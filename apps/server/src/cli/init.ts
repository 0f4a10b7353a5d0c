import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { render } from 'ejs';
import { installRoot } from '../app/config/install-root';

/**
 * `sanctum-mcp init <name>`: a new plugin folder from the templates of the Nx generator
 * (tools/nx-plugin/src/generators/mcp-plugin/files/__name__), rendered with ejs as the generator's
 * `generateFiles` does, without Nx. The bundle carries the templates in `plugin-template/` beside
 * main.js (apps/server/webpack.config.cjs); from the sources they are read where they lie.
 */

/** Folder names the gateway accepts and the tool-name template can carry (as the generator checks). */
const PLUGIN_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export class InitError extends Error {
  override readonly name = 'InitError';
}

export function pluginTemplateDir(from: string = __dirname): string {
  const candidates = [join(from, 'plugin-template'), join(from, '../../../../tools/nx-plugin/src/generators/mcp-plugin/files/__name__')];
  const found = candidates.find((dir) => existsSync(join(dir, 'cli.py.template')));
  if (!found) throw new InitError(`The plugin template is missing (looked in ${candidates.join(' and ')}): reinstall sanctum-mcp.`);
  return found;
}

/** Writes `<parent>/<name>/` (cli.py, README.md, test_cli.py) and returns the folder. */
export function initPlugin(name: string, parent: string, templateDir: string = pluginTemplateDir()): string {
  if (!PLUGIN_NAME.test(name))
    throw new InitError(
      `Invalid plugin name ${JSON.stringify(name)}: use 1-64 characters from lowercase letters, digits, '_' and '-', starting with a ` +
        'lowercase letter (for example "weather" or "git-tools"). The name is the folder and the prefix of its tool names.',
    );
  const parentDir = resolve(parent);
  if (!existsSync(parentDir) || !statSync(parentDir).isDirectory())
    throw new InitError(`${parentDir} is not a folder: create it first, or give another with --plugins DIR.`);
  const root = join(parentDir, name);
  if (existsSync(root)) throw new InitError(`Cannot create plugin "${name}": ${root} already exists. Choose another name, or remove it first.`);
  const readme = join(installRoot(templateDir) ?? templateDir, 'README.md');
  const data = {
    name,
    // The generator's --content (an example resource and prompt, contract v1.1): not offered here.
    content: false,
    directory: parentDir,
    pluginRoot: root,
    workspaceReadme: relative(root, readme),
    description: `The ${name} plugin for Sanctum MCP`,
    // JSON string literals are valid Python string literals (same escapes).
    pyName: JSON.stringify(name),
    pyDescription: JSON.stringify(`The ${name} plugin for Sanctum MCP`),
  };
  mkdirSync(root);
  for (const file of readdirSync(templateDir).filter((f) => f.endsWith('.template'))) {
    const target = join(root, file.slice(0, -'.template'.length));
    writeFileSync(target, render(readFileSync(join(templateDir, file), 'utf8'), data));
  }
  chmodSync(join(root, 'cli.py'), 0o755);
  return root;
}
