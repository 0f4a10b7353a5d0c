import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { Injectable } from '@nestjs/common';
import { FakePluginRunner, PluginFolders } from '../testing';
import { McpPrompt, McpResource } from './mcp-content.decorators';
import type { CatalogChange, ResourceUpdate } from './tool-catalog.service';
import { ToolCatalogService } from './tool-catalog.service';
import { ToolDiscoveryModule } from './tool-discovery.module';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

const logger = (): jest.Mocked<LoggerService> => ({ log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() });
const lines = (fn: jest.MockInstance<unknown, unknown[]>): string[] => fn.mock.calls.map((call) => String(call[0]));

describe('ToolCatalogService: resources, resource templates and prompts', () => {
  let folders: PluginFolders;
  let runner: FakePluginRunner;
  let log: jest.Mocked<LoggerService>;
  let moduleRef: TestingModule | undefined;

  const start = async (options: Partial<ToolDiscoveryModuleOptions> = {}, providers: Array<new () => unknown> = []): Promise<ToolCatalogService> => {
    moduleRef = await Test.createTestingModule({
      imports: [ToolDiscoveryModule.forRoot({ pluginsDir: folders.dir, helpTimeoutMs: 1000, runner, logger: log, watch: false, ...options })],
      providers,
    }).compile();
    await moduleRef.init();
    return moduleRef.get(ToolCatalogService);
  };

  beforeEach(() => {
    folders = new PluginFolders();
    runner = new FakePluginRunner();
    log = logger();
  });
  afterEach(async () => {
    await moduleRef?.close();
    folders.dispose();
  });

  const devops = (promptName = 'release-notes'): void => {
    runner.describeContent('devops', {
      commands: [{ name: 'deploy' }],
      resources: [{ uri: 'devops://ledger', name: 'ledger', file: 'ledger.json', mimeType: 'application/json' }],
      resource_templates: [{ uriTemplate: 'devops://apps/{app}/history', name: 'history', command: 'history' }],
      prompts: [{ name: promptName, arguments: [{ name: 'app', required: true }], command: 'notes' }],
    });
  };

  it('names prompts with the tool name template, serves URIs as written and matches templates', async () => {
    folders.add('devops');
    devops();
    const catalog = await start();
    expect(catalog.listPrompts().map((p) => [p.name, p.qualifiedName])).toEqual([['devops__release-notes', 'devops.release-notes']]);
    expect(catalog.getPrompt('devops.release-notes')?.name).toBe('devops__release-notes');
    expect(catalog.listResources().map((r) => r.uri)).toEqual(['devops://ledger']);
    expect(catalog.findResource('devops://apps/api/history')).toMatchObject({ kind: 'template', variables: { app: 'api' } });
    expect(catalog.findResource('devops://ledger')).toMatchObject({ kind: 'resource' });
    expect(catalog.findResource('devops://nothing')).toBeUndefined();
    expect(lines(log.log)).toContain('Plugin devops offers 1 resource, 1 resource template, 1 prompt');
  });

  it('uses {command} as the bare prompt name when the template is {command}', async () => {
    folders.add('devops');
    devops();
    const catalog = await start({ toolNameTemplate: '{command}' });
    expect(catalog.listPrompts().map((p) => p.name)).toEqual(['release-notes']);
  });

  it('skips the later of two entries claiming one URI, with a log line, and keeps the first', async () => {
    folders.add('a');
    folders.add('b');
    runner.describeContent('a', { resources: [{ uri: 'x://same', name: 'first', command: 'c' }] });
    runner.describeContent('b', { resources: [{ uri: 'x://same', name: 'second', command: 'c' }], prompts: [{ name: 'p', template: 'hi' }] });
    const catalog = await start();
    expect(catalog.listResources().map((r) => r.name)).toEqual(['first']);
    expect(catalog.listPrompts()).toHaveLength(1);
    expect(lines(log.warn)).toContain("Skipped resource: resource 'x://same' of b is already offered by a; rename it in one of them.");
  });

  it('loads a plugin that offers only prompts, and logs a broken entry without losing the plugin', async () => {
    folders.add('talk');
    runner.describeContent('talk', { prompts: [{ name: 'bad' }, { name: 'good', template: 'ok' }] });
    const catalog = await start();
    expect(catalog.listPrompts().map((p) => p.name)).toEqual(['talk__good']);
    expect(lines(log.warn)).toContain('Skipped entry of plugin talk: prompts[0] needs exactly one of "command" or "template"');
  });

  it('announces prompt and resource list changes apart from tool changes', async () => {
    folders.add('devops');
    devops();
    const catalog = await start();
    const changes: CatalogChange[] = [];
    catalog.changes$.subscribe((c) => changes.push(c));
    devops('rollback-plan');
    expect(await catalog.reload()).toBe(true);
    expect(changes).toEqual([expect.objectContaining({ toolsChanged: false, resourcesChanged: false, promptsChanged: true })]);
  });

  it('reports resources/updated for a file resource whose file changed, and not for the others', async () => {
    folders.add('devops');
    const file = join(folders.dir, 'devops', 'ledger.json');
    writeFileSync(file, '[]');
    devops();
    const catalog = await start();
    const updates: ResourceUpdate[] = [];
    catalog.resourceUpdates$.subscribe((u) => updates.push(u));
    await catalog.reload();
    expect(updates).toEqual([]);
    writeFileSync(file, '[{"app":"api"}]');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    await catalog.reload();
    expect(updates).toEqual([{ uris: ['devops://ledger'], uriTemplates: [] }]);
  });

  it('takes @McpResource and @McpPrompt through the contract check: a broken one is skipped with its problems, the others kept across reloads', async () => {
    @Injectable()
    class Notes {
      @McpResource({ namespace: 'notes', uri: 'notes://all', name: 'all' })
      all(): string {
        return '[]';
      }

      @McpResource({ namespace: 'notes', uri: 'not a uri', name: 'bad' })
      bad(): string {
        return '';
      }

      @McpPrompt({ namespace: 'notes', name: 'summary', arguments: [{ name: 'topic', required: true }] })
      summary(args: Record<string, string>): string {
        return `Summarise the notes on ${args['topic']}.`;
      }
    }
    const catalog = await start({}, [Notes]);
    await catalog.reload();
    expect(catalog.listResources().map((r) => [r.uri, r.owner])).toEqual([['notes://all', 'notes']]);
    expect(catalog.listPrompts().map((p) => [p.name, p.qualifiedName, p.arguments])).toEqual([['notes__summary', 'notes.summary', [{ name: 'topic', required: true }]]]);
    expect(lines(log.warn).join('\n')).toContain('Skipped resource of provider notes.bad: resources[0].uri "not a uri" does not match');
  });
});
