/**
 * Integration: generate a plugin into a virtual tree, write it to a real temp folder and run it
 * with the real Python interpreter, then check that the gateway's own parsers accept it.
 */
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseCommandHelp, parseCommandList, parseDescribe } from '@sanctum/discovery';
import { promptFromOutput, renderArgv, resolvePython, resourceContentsFromOutput, runProcess } from '@sanctum/executor';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { mcpPluginGenerator } from './generator';

jest.setTimeout(120_000);

const DESCRIPTION = 'Says "hi" & adds \\ numbers, <b>ünïcode</b> 100% <%= name %>';

// The gateway's own interpreter rule and process runner: what the generated plugin meets in production.
const python = resolvePython();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runPython(args: string[], cwd: string, timeoutMs = 90_000): Promise<Run> {
  const run = await runProcess(python, args, {
    cwd,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHON_COLORS: '0', NO_COLOR: '1', FORCE_COLOR: undefined },
    timeoutMs,
  });
  if (run.spawnError) throw new Error(run.spawnError);
  return { code: run.exitCode, stdout: run.stdout, stderr: run.stderr };
}

/** Write every created or updated file of the tree under `root`, with its mode. */
async function materialize(tree: Tree, root: string): Promise<void> {
  for (const change of tree.listChanges()) {
    if (change.type === 'DELETE' || change.content === null) continue;
    const file = path.join(root, change.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, change.content);
    if (change.options?.mode !== undefined) await chmod(file, change.options.mode);
  }
}

interface Described {
  contract_version: string;
  plugin: { name: string; version: string; description: string };
  commands: Array<{ name: string; description: string; parameters: Array<Record<string, unknown>> }>;
}

describe('a generated plugin', () => {
  let workspace: string;
  let pluginDir: string;
  const cli = (...args: string[]): Promise<Run> => runPython(['cli.py', ...args], pluginDir);

  beforeAll(async () => {
    const tree = createTreeWithEmptyWorkspace();
    await mcpPluginGenerator(tree, { name: 'demo', description: DESCRIPTION });
    workspace = await mkdtemp(path.join(os.tmpdir(), 'mcp-plugin-gen-'));
    await materialize(tree, workspace);
    pluginDir = path.join(workspace, 'mcp', 'plugins', 'demo');
  });

  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('passes its own unittest suite (python -m unittest)', async () => {
    const run = await runPython(['-m', 'unittest', '-v'], pluginDir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/\nOK\n?$/) });
    expect(run.stderr).toMatch(/^Ran (\d+) tests? in /m);
    expect(Number(/^Ran (\d+) tests? in /m.exec(run.stderr)?.[1])).toBeGreaterThanOrEqual(10);
    expect(run.stderr).not.toMatch(/skipped|expected failure/);
  });

  it('has an executable cli.py', async () => {
    expect((await stat(path.join(pluginDir, 'cli.py'))).mode & 0o111).not.toBe(0);
  });

  it('lists both commands under "Available commands:" in --help', async () => {
    const run = await cli('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('\nAvailable commands:\n  greet  Greet someone by name\n  add  Add two integers\n');
    // What the gateway reads from it.
    expect(parseCommandList(run.stdout)).toEqual([
      { name: 'greet', description: 'Greet someone by name' },
      { name: 'add', description: 'Add two integers' },
    ]);
  });

  it('prints contract v1 JSON for --describe, listing both commands', async () => {
    const run = await cli('--describe');
    expect(run.code).toBe(0);
    const described = JSON.parse(run.stdout) as Described;
    expect(described.contract_version).toBe('1.0');
    expect(described.plugin).toEqual({ name: 'demo', version: '0.1.0', description: DESCRIPTION });
    expect(described.commands.map((command) => command.name)).toEqual(['greet', 'add']);
    expect(described.commands[1].parameters).toEqual([
      { name: 'a', type: 'integer', description: 'First addend', required: true },
      { name: 'b', type: 'integer', description: 'Second addend', required: true },
    ]);
  });

  it('is read by the gateway the same way from --help and from --describe', async () => {
    const described = parseDescribe(JSON.parse((await cli('--describe')).stdout));
    for (const command of described.commands) {
      const help = parseCommandHelp((await cli(command.name, '--help')).stdout);
      const fromHelp = help.parameters.map(({ name, type, required }) => ({ name, type, required }));
      const fromDescribe = command.parameters.map(({ name, type, required }) => ({ name, type, required }));
      expect({ command: command.name, parameters: fromHelp }).toEqual({ command: command.name, parameters: fromDescribe });
    }
    const shout = described.commands[0].parameters.find((param) => param.name === 'shout');
    expect(shout).toMatchObject({ type: 'boolean', booleanStyle: 'flag', required: false });
  });

  it('runs tool calls the way the gateway renders them', async () => {
    const { commands } = parseDescribe(JSON.parse((await cli('--describe')).stdout));
    const [greet, add] = commands;
    const greeted = await cli(...renderArgv('greet', greet.parameters, { name: 'Ada', shout: true }));
    expect({ code: greeted.code, out: JSON.parse(greeted.stdout) as unknown }).toEqual({
      code: 0,
      out: { result: { greeting: 'HELLO, ADA!', name: 'Ada', shout: true } },
    });
    const added = await cli(...renderArgv('add', add.parameters, { a: -7, b: 2 }));
    expect({ code: added.code, out: JSON.parse(added.stdout) as unknown }).toEqual({ code: 0, out: { result: { a: -7, b: 2, sum: -5 } } });
  });

  it('reports a failing command as {"error": ...} with exit status 1', async () => {
    const run = await cli('greet', '--name=');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ error: expect.stringContaining('--name is empty') });
    expect(run.stderr).toBe('');
  });
});

describe('a generated plugin with --content (a resource and a prompt, contract v1.1)', () => {
  let workspace: string;
  let pluginDir: string;
  const cli = (...args: string[]): Promise<Run> => runPython(['cli.py', ...args], pluginDir);

  beforeAll(async () => {
    const tree = createTreeWithEmptyWorkspace();
    await mcpPluginGenerator(tree, { name: 'cards', content: true });
    workspace = await mkdtemp(path.join(os.tmpdir(), 'mcp-plugin-gen-content-'));
    await materialize(tree, workspace);
    pluginDir = path.join(workspace, 'mcp', 'plugins', 'cards');
  });

  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('still passes its own unittest suite', async () => {
    const run = await runPython(['-m', 'unittest'], pluginDir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/\nOK\n?$/) });
  });

  it('describes the resource and the prompt, accepted by the gateway\'s contract check without problems', async () => {
    const described = parseDescribe(JSON.parse((await cli('--describe')).stdout), 'cards');
    expect(described.contractVersion).toBe('1.1');
    expect(described.problems).toEqual([]);
    expect(described.commands.map((c) => c.name)).toEqual(['greet', 'add']);
    expect(described.resources).toEqual([expect.objectContaining({ uri: 'cards://about', source: { kind: 'command', command: 'about' } })]);
    expect(described.prompts).toEqual([expect.objectContaining({ name: 'greeting-card', source: { kind: 'command', command: 'greeting-card' } })]);
  });

  it('prints the resource and the prompt the way the gateway reads them', async () => {
    const about = await cli('about', '--uri=cards://about');
    expect(about.code).toBe(0);
    const [part] = resourceContentsFromOutput(about.stdout, { uri: 'cards://about', mimeType: 'application/json', label: 'cards.about' });
    expect(JSON.parse((part as { text: string }).text)).toMatchObject({ name: 'cards', commands: ['greet', 'add'] });
    const card = await cli('greeting-card', '--name=Ada', '--occasion=farewell');
    expect(card.code).toBe(0);
    expect(promptFromOutput(card.stdout, 'cards.greeting-card').messages[0].content).toEqual({
      type: 'text',
      text: 'Write the text of a farewell card for Ada: three warm sentences, no more than 60 words.',
    });
  });

  it('keeps --help listing only the tools', async () => {
    expect(parseCommandList((await cli('--help')).stdout)?.map((c) => c.name)).toEqual(['greet', 'add']);
  });
});

describe('a generated plugin without --content', () => {
  it('offers no resources or prompts and stays contract v1.0', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await mcpPluginGenerator(tree, { name: 'plain' });
    const source = tree.read('mcp/plugins/plain/cli.py', 'utf8') ?? '';
    expect(source).toContain('CONTRACT_VERSION = "1.0"');
    expect(source).not.toMatch(/RESOURCES|PROMPTS|CONTENT_HANDLERS/);
  });
});
