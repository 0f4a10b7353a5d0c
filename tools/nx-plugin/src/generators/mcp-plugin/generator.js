// @ts-check
/**
 * `mcp-plugin` generator: scaffolds a Sanctum MCP plugin folder (`cli.py`, `README.md`,
 * `test_cli.py`) from the templates in ./files.
 *
 * Written as plain CommonJS with JSDoc types (checked by tsc: `// @ts-check` plus `allowJs` in tsconfig.json) because Nx runs
 * local generators from source: a `.ts` generator needs @swc-node/register or ts-node, which this
 * workspace does not install, and Node 20 cannot strip types itself.
 */
'use strict';

const path = require('node:path');
const { generateFiles, logger } = require('@nx/devkit');

/**
 * @typedef {object} McpPluginGeneratorSchema
 * @property {string} name Plugin name: the folder name and the prefix of its tool names.
 * @property {string} [directory] Folder of plugin folders, relative to the workspace root.
 * @property {string} [description] One-line description shown by `--help` and `--describe`.
 * @property {boolean} [content] Also offer a resource and a prompt (contract v1.1).
 */

/**
 * @typedef {object} NormalizedMcpPluginOptions
 * @property {string} name
 * @property {string} directory Normalized, relative to the workspace root, `/`-separated.
 * @property {string} pluginRoot `<directory>/<name>`.
 * @property {string} description
 * @property {boolean} content
 */

/** Folder names the gateway accepts and the tool-name template can carry. */
const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const DEFAULT_DIRECTORY = 'mcp/plugins';
const MAX_DESCRIPTION_LENGTH = 300;
const USAGE = 'npx nx g @sanctum/nx-plugin:mcp-plugin <name> [--directory=mcp/plugins] [--description="..."] [--content]';

/**
 * @param {unknown} value
 * @returns {string}
 */
function checkName(value) {
  const name = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
  if (name === '') {
    throw new Error(`Give the plugin a name: ${USAGE}`);
  }
  if (!PLUGIN_NAME_PATTERN.test(name)) {
    throw new Error(
      `Invalid plugin name ${JSON.stringify(name)}: use 1-64 characters from lowercase letters, digits, '_' and '-', ` +
        `starting with a lowercase letter (for example "weather" or "git-tools"). ` +
        `The name is the plugin's folder and the prefix of its tool names.`,
    );
  }
  return name;
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function checkDirectory(value) {
  const raw = value === undefined || value === null ? DEFAULT_DIRECTORY : String(value).trim();
  const directory = raw
    .replace(/\\/g, '/')
    .replace(/\/+/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (directory === '' || directory === '.') {
    throw new Error(
      `Invalid --directory ${JSON.stringify(raw)}: give the folder that holds the plugin folders, relative to the ` +
        `workspace root (default: ${DEFAULT_DIRECTORY}).`,
    );
  }
  if (path.posix.isAbsolute(directory) || /^[A-Za-z]:/.test(directory) || directory.split('/').includes('..')) {
    throw new Error(
      `Invalid --directory ${JSON.stringify(raw)}: it must be a path inside the workspace, relative to its root ` +
        `(for example ${DEFAULT_DIRECTORY}), without '..'.`,
    );
  }
  return directory;
}

/**
 * C0/C1 controls and the Unicode line/paragraph separators: anything that would break the one-line
 * description in `--help`, `--describe` or the generated Python source.
 *
 * @param {string} char
 * @returns {boolean}
 */
function isControlCharacter(char) {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {string}
 */
function checkDescription(value, name) {
  if (value === undefined || value === null) return `The ${name} plugin for Sanctum MCP`;
  const description = String(value).trim();
  if (description === '') {
    throw new Error('Invalid --description: it is empty. Give one line saying what the plugin does, or leave the option out.');
  }
  if ([...description].some(isControlCharacter)) {
    throw new Error('Invalid --description: it must be a single line without control characters.');
  }
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new Error(`Invalid --description: it is ${description.length} characters long; use at most ${MAX_DESCRIPTION_LENGTH}.`);
  }
  return description;
}

/**
 * Validate the options and work out where the plugin goes. Throws an Error that says what to fix.
 *
 * @param {import('@nx/devkit').Tree} tree
 * @param {McpPluginGeneratorSchema} options
 * @returns {NormalizedMcpPluginOptions}
 */
function normalizeOptions(tree, options) {
  const name = checkName(options.name);
  const directory = checkDirectory(options.directory);
  const description = checkDescription(options.description, name);
  const pluginRoot = `${directory}/${name}`;
  if (tree.exists(pluginRoot)) {
    throw new Error(
      `Cannot create plugin "${name}": ${pluginRoot} already exists. Choose another name, or remove that ` +
        `${tree.isFile(pluginRoot) ? 'file' : 'folder'} first.`,
    );
  }
  const parts = directory.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (tree.isFile(prefix)) {
      throw new Error(`Invalid --directory ${JSON.stringify(directory)}: ${prefix} is a file, not a folder.`);
    }
  }
  if (options.content !== undefined && typeof options.content !== 'boolean') {
    throw new Error(`Invalid --content ${JSON.stringify(options.content)}: it is a switch; give --content (or --content=false).`);
  }
  return { name, directory, pluginRoot, description, content: options.content === true };
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {McpPluginGeneratorSchema} options
 * @returns {Promise<import('@nx/devkit').GeneratorCallback>}
 */
async function mcpPluginGenerator(tree, options) {
  const normalized = normalizeOptions(tree, options);
  generateFiles(tree, path.join(__dirname, 'files'), normalized.directory, {
    name: normalized.name,
    directory: normalized.directory,
    pluginRoot: normalized.pluginRoot,
    workspaceReadme: path.posix.relative(normalized.pluginRoot, 'README.md'),
    description: normalized.description,
    content: normalized.content,
    // JSON string literals are valid Python string literals (same escapes), so the templates
    // can embed user text in Python source without quoting problems.
    pyName: JSON.stringify(normalized.name),
    pyDescription: JSON.stringify(normalized.description),
  });
  tree.changePermissions(`${normalized.pluginRoot}/cli.py`, '755');
  return () => {
    logger.info(
      [
        `Plugin "${normalized.name}" created in ${normalized.pluginRoot}. Next:`,
        `  cd ${normalized.pluginRoot} && python3 -m unittest -v`,
        `  python3 ${normalized.pluginRoot}/cli.py --help`,
        `Replace the example commands (greet, add) in cli.py's COMMANDS table and HANDLERS` +
          (normalized.content ? `, and the example resource and prompt in RESOURCES, PROMPTS and CONTENT_HANDLERS.` : '.'),
      ].join('\n'),
    );
  };
}

module.exports = {
  default: mcpPluginGenerator,
  mcpPluginGenerator,
  normalizeOptions,
  PLUGIN_NAME_PATTERN,
  DEFAULT_DIRECTORY,
};
