import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONFIG_TABLE } from './config.table';
import type { ConfigVariable } from './config.table';

// Every MCP_* (and LOG_*) variable the code reads from an environment is in the configuration
// table, and a variable read outside the configuration folder says so (`readBy`) in the table.

const WORKSPACE = resolve(__dirname, '../../../../..');
const CONFIG_DIR = relative(WORKSPACE, __dirname);
/** Ours to declare: the gateway's own variables. Others (PATH, HOME, PYENV_*) belong to the system. */
const OURS = /^(MCP|LOG)_/;

const NAME = String.raw`([A-Z][A-Z0-9_]*)`;
/** The shapes a read of an environment variable takes in this code base. */
const READS = [
  // process.env.X, env.X, env?.X
  new RegExp(String.raw`\benv\s*\??\.\s*${NAME}\b`, 'g'),
  // env['X'], process.env["X"], env?.['X']
  new RegExp(String.raw`\benv\s*(?:\?\.)?\[\s*['"\`]${NAME}['"\`]\s*\]`, 'g'),
  // read(env, 'X') and helpers alike; ctx.read('X')
  new RegExp(String.raw`\(\s*env\s*,\s*['"\`]${NAME}['"\`]`, 'g'),
  new RegExp(String.raw`\.read\(\s*['"\`]${NAME}['"\`]`, 'g'),
];
/** const { X, Y: y } = process.env */
const DESTRUCTURED = /\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g;

function envReads(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of READS) for (const match of source.matchAll(pattern)) found.add(match[1]);
  for (const match of source.matchAll(DESTRUCTURED)) {
    for (const part of match[1].split(',')) {
      const name = /^\s*([A-Z][A-Z0-9_]*)\b/.exec(part)?.[1];
      if (name) found.add(name);
    }
  }
  return [...found];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|cjs|mjs|js)$/.test(entry.name) && !/\.(spec|e2e-spec)\.ts$/.test(entry.name) ? [path] : [];
  });
}

function srcFolders(parent: string): string[] {
  return readdirSync(join(WORKSPACE, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(WORKSPACE, parent, entry.name, 'src'))
    .filter((dir) => {
      try {
        return readdirSync(dir).length > 0;
      } catch {
        return false;
      }
    });
}

/** Variable -> files (relative to the workspace) that read it. */
function scan(): Map<string, string[]> {
  const files = [...srcFolders('apps'), ...srcFolders('libs')].flatMap(sources).concat(join(WORKSPACE, 'apps/server/webpack.config.cjs'));
  const readers = new Map<string, string[]>();
  for (const file of files) {
    for (const name of envReads(readFileSync(file, 'utf8'))) readers.set(name, [...(readers.get(name) ?? []), relative(WORKSPACE, file)]);
  }
  return readers;
}

describe('environment variables the code reads', () => {
  const readers = scan();
  const table = new Map((CONFIG_TABLE as readonly ConfigVariable[]).map((v) => [v.name, v]));

  it('finds the reads in every shape the code uses', () => {
    const sample = [
      "process.env['MCP_A']",
      'process.env.MCP_B?.trim()',
      'env?.["MCP_C"]',
      "read(env, 'MCP_D')",
      "ctx.read('MCP_E')",
      'const { MCP_F, MCP_G: g } = process.env;',
      "const label = 'MCP_NOT_READ';",
      '{ MCP_REQUEST_ID: id }',
    ].join('\n');
    expect(envReads(sample).sort()).toEqual(['MCP_A', 'MCP_B', 'MCP_C', 'MCP_D', 'MCP_E', 'MCP_F', 'MCP_G']);
  });

  it('finds the reads outside the loader the table documents', () => {
    expect(readers.get('MCP_CODE_CACHE')).toContain('apps/server/webpack.config.cjs');
    expect(readers.get('MCP_TRANSPORT')).toContain('apps/server/src/main.ts');
    expect(readers.get('MCP_PYTHON')?.some((file) => file.startsWith('libs/executor/src/'))).toBe(true);
  });

  it('has every MCP_* and LOG_* variable read anywhere in the table', () => {
    const missing = [...readers.entries()]
      .filter(([name]) => OURS.test(name) && !table.has(name))
      .map(([name, files]) => `${name} (read in ${files.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('says in the table who else reads a variable read outside the configuration folder', () => {
    const undeclared = [...readers.entries()]
      .filter(([name, files]) => table.has(name) && files.some((file) => !file.startsWith(CONFIG_DIR)) && !table.get(name)?.readBy)
      .map(([name, files]) => `${name} (read in ${files.join(', ')})`);
    expect(undeclared).toEqual([]);
  });
});
