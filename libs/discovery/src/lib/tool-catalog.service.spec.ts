import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { FakePluginRunner, PluginFolders } from '../testing';
import type { CatalogChange } from './tool-catalog.service';
import { ToolCatalogService } from './tool-catalog.service';
import { McpTool } from './mcp-tool.decorator';
import { PluginWatcherService } from './plugin-watcher.service';
import { ToolDiscoveryModule } from './tool-discovery.module';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

@Injectable()
class ClockTools {
  @McpTool({ namespace: 'clock', name: 'now', description: 'The time', annotations: { readOnlyHint: true } })
  now(): Record<string, unknown> {
    return { now: 'noon' };
  }
}

const logger = (): jest.Mocked<LoggerService> => ({ log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() });
const warnings = (log: jest.Mocked<LoggerService>): string[] => log.warn.mock.calls.map((call) => String(call[0]));

describe('ToolCatalogService', () => {
  let folders: PluginFolders;
  let runner: FakePluginRunner;
  let log: jest.Mocked<LoggerService>;
  let moduleRef: TestingModule | undefined;

  const start = async (
    options: Partial<ToolDiscoveryModuleOptions> = {},
    providers: Array<new (...args: never[]) => unknown> = [],
  ): Promise<ToolCatalogService> => {
    moduleRef = await Test.createTestingModule({
      imports: [ToolDiscoveryModule.forRoot({ pluginsDir: folders.dir, helpTimeoutMs: 1000, runner, logger: log, ...options })],
      providers,
    }).compile();
    await moduleRef.init();
    return moduleRef.get(ToolCatalogService);
  };

  const plugin = (
    name: string,
    commands: Parameters<FakePluginRunner['describe']>[1],
    about: Parameters<FakePluginRunner['describe']>[2] = {},
  ): void => {
    folders.add(name);
    runner.describe(name, commands, about);
  };

  beforeEach(() => {
    folders = new PluginFolders();
    runner = new FakePluginRunner();
    log = logger();
    moduleRef = undefined;
  });
  afterEach(async () => {
    await moduleRef?.close();
    folders.dispose();
  });

  it('is filled at module init, with names from the default template, and finds tools by plugin.command too', async () => {
    plugin('devops', [{ name: 'deploy', description: 'Deploy', parameters: [{ name: 'env', required: true }] }]);
    const catalog = await start();
    expect(catalog.isReady).toBe(true);
    expect(catalog.list().map((t) => t.name)).toEqual(['devops__deploy']);
    expect(catalog.get('devops.deploy')?.name).toBe('devops__deploy');
    expect(catalog.get('devops__deploy')?.inputSchema).toMatchObject({ type: 'object', required: ['env'] });
    expect(catalog.report.plugins.map((p) => p.name)).toEqual(['devops']);
  });

  it('names tools with the operator template', async () => {
    plugin('devops', [{ name: 'deploy' }]);
    const catalog = await start({ toolNameTemplate: '{command}_on_{plugin}' });
    expect(catalog.list().map((t) => [t.name, t.qualifiedName])).toEqual([['deploy_on_devops', 'devops.deploy']]);
  });

  it('allows dotted names only when the template has a dot', async () => {
    plugin('bot', [{ name: 'send.message' }, { name: 'ping' }]);
    const portable = await start();
    expect(portable.list().map((t) => t.name)).toEqual(['bot__ping']);
    expect(warnings(log)).toEqual([
      expect.stringMatching(/^Skipped tool: tool name 'bot__send\.message' of bot\.send\.message does not match/),
    ]);
    await moduleRef?.close();

    log = logger();
    const dotted = await start({ toolNameTemplate: '{plugin}.{command}' });
    expect(dotted.list().map((t) => t.name)).toEqual(['bot.ping', 'bot.send.message']);
    expect(warnings(log)).toEqual([]);
  });

  it('skips a conflicting tool with a warning and keeps the first', async () => {
    plugin('alpha', [{ name: 'status', description: 'from alpha' }]);
    plugin('beta', [{ name: 'status', description: 'from beta' }, { name: 'other' }]);
    const catalog = await start({ toolNameTemplate: '{command}' });
    expect(catalog.list().map((t) => [t.name, t.description])).toEqual([
      ['other', 'Run `beta other`'],
      ['status', 'from alpha'],
    ]);
    expect(warnings(log)).toEqual([
      "Skipped tool: tool name 'status' of beta.status is already taken by alpha.status; rename the command or change MCP_TOOL_NAME_TEMPLATE.",
    ]);
  });

  it('keeps provider tools across reloads, named by the same template, ahead of plugin tools', async () => {
    plugin('clock', [{ name: 'now', description: 'plugin clock' }]);
    plugin('devops', [{ name: 'deploy' }]);
    const catalog = await start({}, [ClockTools]);
    expect(catalog.list().map((t) => [t.name, t.source.kind])).toEqual([
      ['clock__now', 'provider'],
      ['devops__deploy', 'plugin'],
    ]);
    expect(catalog.get('clock__now')?.annotations).toEqual({ readOnlyHint: true });
    expect(warnings(log)).toEqual([
      expect.stringContaining("Skipped tool: tool name 'clock__now' of clock.now is already taken by clock.now"),
    ]);

    folders.remove('devops');
    expect(await catalog.reload()).toBe(true);
    expect(catalog.list().map((t) => t.name)).toEqual(['clock__now']);
    const tool = catalog.get('clock__now');
    expect(tool?.source.kind === 'provider' ? await tool.source.invoke({}) : undefined).toEqual({ now: 'noon' });
  });

  it('emits changes$ after a reload only when the advertised tools changed', async () => {
    plugin('devops', [{ name: 'deploy', description: 'Deploy' }]);
    const catalog = await start();
    const changes: CatalogChange[] = [];
    catalog.changes$.subscribe((change) => changes.push(change));

    expect(await catalog.reload()).toBe(false);
    expect(changes).toEqual([]);

    plugin('notes', [{ name: 'add' }]);
    expect(await catalog.reload()).toBe(true);
    expect(changes.map((c) => c.tools.map((t) => t.name))).toEqual([['devops__deploy', 'notes__add']]);

    runner.describe('devops', [{ name: 'deploy', description: 'Deploy to an environment' }]);
    await catalog.reload();
    expect(changes).toHaveLength(2);
    expect(changes[1].tools.find((t) => t.name === 'devops__deploy')?.description).toBe('Deploy to an environment');

    // Discovery ran again (a new report), but what clients see is the same.
    runner.describe('devops', [{ name: 'deploy', description: 'Deploy to an environment' }], { version: '2.0.0' });
    expect(await catalog.reload()).toBe(false);
    expect(changes).toHaveLength(2);
    expect(catalog.report.plugins.find((p) => p.name === 'devops')?.version).toBe('2.0.0');
  });

  it('does not emit for the first load at module init', async () => {
    plugin('devops', [{ name: 'deploy' }]);
    const changes: CatalogChange[] = [];
    moduleRef = await Test.createTestingModule({
      imports: [ToolDiscoveryModule.forRoot({ pluginsDir: folders.dir, helpTimeoutMs: 1000, runner, logger: log })],
    }).compile();
    moduleRef.get(ToolCatalogService).changes$.subscribe((change) => changes.push(change));
    await moduleRef.init();
    expect(moduleRef.get(ToolCatalogService).list()).toHaveLength(1);
    expect(changes).toEqual([]);
  });

  it("carries what a call needs: the operator's per-plugin timeout over the command's own, and the declared env", async () => {
    plugin('slow', [{ name: 'crunch', timeout: 2 }], { env: ['SLOW_TOKEN'] });
    plugin('quick', [{ name: 'peek', timeout: 1.5 }, { name: 'poke' }]);
    plugin('constructor', [{ name: 'build' }]);
    const catalog = await start({ pluginTimeouts: { slow: 120_000, absent: 1 } });
    const source = (name: string): unknown => catalog.get(name)?.source;
    expect(source('slow__crunch')).toMatchObject({ kind: 'plugin', plugin: 'slow', timeoutMs: 120_000, env: ['SLOW_TOKEN'] });
    expect(source('quick__peek')).toMatchObject({ timeoutMs: 1500 });
    expect(source('quick__poke')).not.toHaveProperty('timeoutMs');
    expect(source('quick__poke')).not.toHaveProperty('env');
    // A plugin named like an Object.prototype member gets no inherited "timeout".
    expect(source('constructor__build')).not.toHaveProperty('timeoutMs');
    expect(source('slow__crunch')).toMatchObject({
      dir: `${folders.dir}/slow`,
      entryPath: `${folders.dir}/slow/cli.py`,
      command: { name: 'crunch' },
    });
  });

  it('runs discovery through the supplied runner with the help timeout', async () => {
    plugin('devops', [{ name: 'deploy' }]);
    await start({ helpTimeoutMs: 4321 });
    expect(runner.runs).toEqual([{ plugin: 'devops', args: ['--describe'], timeoutMs: 4321 }]);
  });
});

describe('PluginWatcherService', () => {
  let folders: PluginFolders;
  let runner: FakePluginRunner;
  let moduleRef: TestingModule;

  const start = async (options: Partial<ToolDiscoveryModuleOptions>): Promise<ToolCatalogService> => {
    moduleRef = await Test.createTestingModule({
      imports: [ToolDiscoveryModule.forRoot({ pluginsDir: folders.dir, helpTimeoutMs: 1000, runner, logger: logger(), ...options })],
    }).compile();
    await moduleRef.init();
    return moduleRef.get(ToolCatalogService);
  };

  beforeEach(() => {
    folders = new PluginFolders();
    runner = new FakePluginRunner();
  });
  afterEach(async () => {
    await moduleRef.close();
    folders.dispose();
  });

  it('reloads after a change in the plugins folder and the catalog announces it', async () => {
    const catalog = await start({ watch: true, watchDebounceMs: 20 });
    const changed = new Promise<CatalogChange>((resolve) => catalog.changes$.subscribe(resolve));
    runner.describe('notes', [{ name: 'add' }]);
    folders.add('notes');
    expect((await changed).tools.map((t) => t.name)).toEqual(['notes__add']);
  });

  it('guards the restart-needed bug: loads a plugins folder created after the start, unloads it when removed, reloads it when recreated', async () => {
    const log = logger();
    const pluginsDir = join(folders.dir, 'later', 'plugins');
    const catalog = await start({ pluginsDir, watch: true, watchDebounceMs: 20, logger: log });
    expect(catalog.list()).toEqual([]);
    expect(warnings(log)).toContain(`Plugins folder ${pluginsDir} does not exist: watching ${folders.dir} for it to appear`);
    const next = (): Promise<string[]> =>
      new Promise((resolve) => {
        const subscription = catalog.changes$.subscribe((change) => {
          subscription.unsubscribe();
          resolve(change.tools.map((t) => t.name));
        });
      });
    runner.describe('notes', [{ name: 'add' }]);

    const appeared = next();
    mkdirSync(join(pluginsDir, 'notes'), { recursive: true });
    writeFileSync(join(pluginsDir, 'notes', 'cli.py'), '#!/usr/bin/env python3\n');
    expect(await appeared).toEqual(['notes__add']);
    expect(log.log.mock.calls.map((call) => String(call[0]))).toContain(`Plugins folder ${pluginsDir} appeared: loading its plugins`);

    const vanished = next();
    rmSync(pluginsDir, { recursive: true });
    expect(await vanished).toEqual([]);
    expect(warnings(log)).toContain(`Plugins folder ${pluginsDir} is gone: unloading its plugins, and watching for it to appear again`);

    const back = next();
    mkdirSync(join(pluginsDir, 'notes'), { recursive: true });
    writeFileSync(join(pluginsDir, 'notes', 'cli.py'), '#!/usr/bin/env python3\n');
    expect(await back).toEqual(['notes__add']);
  });

  it('names the plugins folder by its absolute path, also when it was given relative', async () => {
    const log = logger();
    const relativeDir = relative(process.cwd(), folders.dir);
    await start({ pluginsDir: relativeDir, watch: false, logger: log });
    expect(log.log.mock.calls.map((call) => String(call[0]))).toContain(`Plugin discovery finished: 0 loaded, 0 skipped, from ${folders.dir}`);
  });

  it('coalesces concurrent reloadNow calls into one more run', async () => {
    const catalog = await start({ watch: false });
    const reload = jest.spyOn(catalog, 'reload');
    const watcher = moduleRef.get(PluginWatcherService);
    await Promise.all([watcher.reloadNow(), watcher.reloadNow(), watcher.reloadNow()]);
    expect(reload).toHaveBeenCalledTimes(2);
  });

  it('keeps the previous catalog when a reload fails', async () => {
    runner.describe('notes', [{ name: 'add' }]);
    folders.add('notes');
    const catalog = await start({ watch: false });
    jest.spyOn(catalog, 'reload').mockRejectedValueOnce(new Error('disk on fire'));
    await moduleRef.get(PluginWatcherService).reloadNow();
    expect(catalog.list().map((t) => t.name)).toEqual(['notes__add']);
  });
});
