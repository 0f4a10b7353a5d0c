import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolEntry } from '../catalog';
import { AgentToolset, AGENT_TOOL_NAME } from './agent-toolset';
import { readProfiles } from './profiles-file';
import type { ProfilesDocument } from './profiles-file';
import { ProfilesFileError } from './profiles-file.error';
import { ToolView } from './tool-view';
import { ToolProfilesService } from './tool-profiles.service';
import { Subject } from 'rxjs';
import { FakePluginRunner } from '../../testing';
import type { CatalogChange, ToolCatalogService } from '../tool-catalog.service';

function tool(plugin: string, command: string): ToolEntry {
  return {
    name: `${plugin}__${command}`,
    qualifiedName: `${plugin}.${command}`,
    description: `${command} of ${plugin}`,
    inputSchema: { type: 'object', properties: {} },
    source: {
      kind: 'plugin',
      plugin,
      dir: `/p/${plugin}`,
      entryPath: `/p/${plugin}/cli.py`,
      command: { name: command, description: '', parameters: [] },
    },
  };
}

const CATALOG = [
  tool('botfather', 'send-message'),
  tool('botfather', 'click-button'),
  tool('devops', 'deploy'),
  tool('devops', 'rollback'),
  tool('admin', 'wipe'),
];

function doc(profiles: ProfilesDocument['profiles'], extra: Partial<ProfilesDocument> = {}): ProfilesDocument {
  return { profiles, bindings: { keys: {}, agents: {} }, intentHints: [], ...extra };
}

describe('readProfiles', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'profiles-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, value: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('merges a folder of *.json files in name order, the later file winning a profile of the same name', () => {
    mkdirSync(join(dir, 'p'));
    writeFileSync(
      join(dir, 'p', '20-b.json'),
      JSON.stringify({ profiles: { chat: { tools: ['devops__*'] } }, bindings: { keys: { bob: 'chat' } } }),
    );
    writeFileSync(join(dir, 'p', '10-a.json'), JSON.stringify({ profiles: { chat: { tools: ['botfather__*'] }, ops: { tools: [] } } }));
    writeFileSync(join(dir, 'p', 'notes.txt'), 'ignored');
    const merged = readProfiles(join(dir, 'p'));
    expect(merged.profiles['chat'].tools).toEqual(['devops__*']);
    expect(Object.keys(merged.profiles).sort()).toEqual(['chat', 'ops']);
    expect(merged.bindings.keys).toEqual({ bob: 'chat' });
  });

  it('names the field of a selector of the wrong shape instead of failing vaguely', () => {
    const file = write('bad.json', { profiles: { chat: { tools: ['ok', 42] } } });
    expect(() => readProfiles(file)).toThrow(ProfilesFileError);
    expect(() => readProfiles(file)).toThrow(/profiles\.chat\.tools\[1\] must be a tool name, a glob/);
  });

  it('names an unknown field and an override name that is not portable', () => {
    const file = write('bad.json', { profiles: { chat: { tool: [], overrides: { devops__deploy: { name: 'has space' } } } } });
    expect(() => readProfiles(file)).toThrow(/profiles\.chat\.tool is not a known field/);
    expect(() => readProfiles(file)).toThrow(/profiles\.chat\.overrides\.devops__deploy\.name must be 1 to 64 letters/);
  });

  it('refuses a binding to an undeclared profile, naming the binding', () => {
    const file = write('bad.json', { profiles: { chat: {} }, bindings: { keys: { alice: 'chta' } } });
    expect(() => readProfiles(file)).toThrow(/bindings\.keys\.alice names the profile "chta", which no file declares \(declared: chat\)/);
  });

  it('reads YAML files too, alone or merged with JSON in a folder, and names a YAML syntax error', () => {
    mkdirSync(join(dir, 'mixed'));
    writeFileSync(join(dir, 'mixed', '10-base.yaml'), 'profiles:\n  chat:\n    tools: ["botfather__*"]\n    agentMode: true\nbindings:\n  keys:\n    alice: chat\n');
    writeFileSync(join(dir, 'mixed', '20-more.json'), JSON.stringify({ profiles: { ops: { tools: [{ plugin: 'devops' }] } } }));
    const merged = readProfiles(join(dir, 'mixed'));
    expect(merged.profiles['chat']).toEqual({ tools: ['botfather__*'], agentMode: true });
    expect(Object.keys(merged.profiles)).toEqual(['chat', 'ops']);
    expect(merged.bindings.keys).toEqual({ alice: 'chat' });
    expect(() => readProfiles(write('bad.yml', 'profiles:\n  chat: [unclosed\n'))).toThrow(/bad\.yml is not valid: it is not YAML \(/);
    expect(() => readProfiles(write('typed.yaml', 'profiles:\n  chat:\n    tools: [42]\n'))).toThrow(/profiles\.chat\.tools\[0\] must be a tool name/);
  });

  it('refuses text that is not JSON and a folder without JSON files', () => {
    expect(() => readProfiles(write('x.json', '{ nope'))).toThrow(/is not JSON/);
    mkdirSync(join(dir, 'empty'));
    expect(() => readProfiles(join(dir, 'empty'))).toThrow(/holds no \*\.json, \*\.yaml or \*\.yml file/);
    expect(() => readProfiles(join(dir, 'missing.json'))).toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe('ToolView', () => {
  it('shows the whole catalog without a profiles file or without a default profile', () => {
    expect(new ToolView(CATALOG, undefined, { names: ['default'] }).size).toBe(5);
    expect(new ToolView(CATALOG, doc({ chat: {} }), { names: ['default'] }).size).toBe(5);
  });

  it('selects by exact name, glob, plugin and prefix, then takes excludeTools out', () => {
    const d = doc({
      a: { tools: ['botfather__send-message', 'devops.*'], excludeTools: ['devops__rollback'] },
      b: { tools: [{ plugin: 'admin' }, { prefix: 'botfather__c' }] },
    });
    expect(new ToolView(CATALOG, d, { names: ['a'] }).list().map((t) => t.name)).toEqual(['botfather__send-message', 'devops__deploy']);
    expect(new ToolView(CATALOG, d, { names: ['b'] }).list().map((t) => t.name)).toEqual(['admin__wipe', 'botfather__click-button']);
  });

  it('an undeclared profile in a chain shows nothing rather than everything', () => {
    expect(new ToolView(CATALOG, doc({ a: { tools: ['*'] } }), { names: ['a', 'gone'] }).size).toBe(0);
  });

  it('a chain shows the intersection: the endpoint narrows the key', () => {
    const d = doc({ key: { tools: ['botfather__*', 'devops__*'] }, endpoint: { tools: ['devops__*', 'admin__*'] } });
    const view = new ToolView(CATALOG, d, { names: ['key', 'endpoint'] });
    expect(view.list().map((t) => t.name)).toEqual(['devops__deploy', 'devops__rollback']);
    expect(view.get('admin__wipe')).toBeUndefined();
    expect(view.profile).toBe('key+endpoint');
  });

  it('a renamed tool is known by its new name only, not by the old name nor plugin.command', () => {
    const d = doc({ a: { tools: ['devops__*'], overrides: { devops__deploy: { name: 'deploy', description: 'Ship it.' } } } });
    const view = new ToolView(CATALOG, d, { names: ['a'] });
    expect(view.list().map((t) => [t.name, t.description])).toEqual([
      ['deploy', 'Ship it.'],
      ['devops__rollback', 'rollback of devops'],
    ]);
    expect(view.get('deploy')?.qualifiedName).toBe('devops.deploy');
    expect(view.get('devops__deploy')).toBeUndefined();
    expect(view.get('devops.deploy')).toBeUndefined();
    expect(view.get('devops.rollback')?.name).toBe('devops__rollback');
  });
});

describe('AgentToolset', () => {
  const d = doc(
    {
      agent: { tools: ['botfather__*', 'devops__*'], agentMode: { attach: ['botfather__send-message'] } },
      deploys: { tools: ['devops__*', 'admin__*'] },
    },
    {
      intentHints: [
        { intent: 'ship a release', tool: 'devops__deploy' },
        { intent: 'wipe data', tool: 'admin__wipe' },
      ],
    },
  );
  const view = new ToolView(CATALOG, d, { names: ['agent'] });

  it('starts with the attach selectors and lists the view, never beyond it', () => {
    const set = new AgentToolset(view);
    expect(set.attachedNames(view)).toEqual(['botfather__send-message', AGENT_TOOL_NAME]);
    expect(set.handle({ action: 'list-available' }, view, d).value).toEqual({
      tools: ['botfather__click-button', 'botfather__send-message', 'devops__deploy', 'devops__rollback'],
    });
  });

  it('attach and detach answer the original shapes and refuse a tool outside the view', () => {
    const set = new AgentToolset(view);
    const attached = set.handle({ action: 'attach', tools: ['devops__deploy', 'admin__wipe'] }, view, d);
    expect(attached).toEqual({
      value: { attached: ['devops__deploy'], attached_set: ['botfather__send-message', 'devops__deploy', AGENT_TOOL_NAME] },
      changed: true,
    });
    const detached = set.handle({ action: 'detach', tool: 'botfather__send-message' }, view, d);
    expect(detached).toEqual({
      value: { detached: ['botfather__send-message'], attached_set: ['devops__deploy', AGENT_TOOL_NAME] },
      changed: true,
    });
    expect(set.handle({ action: 'detach', tool: AGENT_TOOL_NAME }, view, d)).toEqual({
      value: { detached: [], attached_set: ['devops__deploy', AGENT_TOOL_NAME] },
      changed: false,
    });
  });

  it('attach-profile replaces the set with that profile within the view; an unknown profile is an error', () => {
    const set = new AgentToolset(view);
    expect(set.handle({ action: 'attach-profile', profile: 'deploys' }, view, d).value).toEqual({
      profile: 'deploys',
      attached: ['devops__deploy', 'devops__rollback', AGENT_TOOL_NAME],
    });
    expect(set.handle({ action: 'attach-profile', profile: 'nope' }, view, d)).toEqual({
      value: { error: 'unknown profile: nope' },
      changed: false,
    });
    expect(set.handle({ action: 'fly' }, view, d).value).toEqual({ error: 'unknown action: fly' });
  });

  it('help filters hints by intent and never names a tool the view hides', () => {
    const set = new AgentToolset(view);
    const help = set.handle({ action: 'help' }, view, d).value;
    expect(help['matches']).toEqual([{ intent: 'ship a release', tool: 'devops__deploy' }]);
    expect(help['note']).toBe('Detached tools return attach hint on call. Use attach-profile with one of: agent, deploys.');
    expect(set.handle({ action: 'help', intent: 'wipe' }, view, d).value['matches']).toEqual([]);
  });

  it('answers tool_not_attached with the hint', () => {
    const set = new AgentToolset(view);
    expect(set.notAttached('devops__deploy', view)).toEqual({
      error: 'tool_not_attached',
      tool: 'devops__deploy',
      hint: `Run ${AGENT_TOOL_NAME} action=attach tool=devops__deploy or action=attach-profile`,
      attached: ['botfather__send-message', AGENT_TOOL_NAME],
    });
  });
});

describe('ToolProfilesService bindings', () => {
  it('binds keys, agents and the stdio client, never through an inherited name', () => {
    const document = doc(
      { chat: { tools: ['botfather__*'] }, ops: { tools: ['devops__*'] }, desk: { tools: ['*'] } },
      {
        bindings: { keys: { alice: 'chat' }, agents: { 'agent-1': 'ops' }, stdio: 'desk' },
      },
    );
    const catalog: Pick<ToolCatalogService, 'list' | 'changes$'> = { list: () => [...CATALOG], changes$: new Subject<CatalogChange>() };
    const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const service = new ToolProfilesService(
      { pluginsDir: '/nowhere', helpTimeoutMs: 1, runner: new FakePluginRunner(), profiles: { path: '/nowhere/profiles.json', document } },
      catalog as ToolCatalogService,
      logger,
    );
    expect(service.chainFor({ key: 'alice' }).names).toEqual(['chat']);
    expect(service.chainFor({ key: 'alice', agentId: 'agent-1', endpoint: 'desk' }).names).toEqual(['chat', 'ops', 'desk']);
    expect(service.chainFor({ key: 'constructor', agentId: 'toString' }).names).toEqual(['default']);
    expect(service.chainFor({ stdio: true }).names).toEqual(['desk']);
    expect(service.viewFor({ key: 'alice', agentId: 'agent-1' }).size).toBe(0);
    expect(service.viewFor({ stdio: true }).size).toBe(5);
    // The same view object while nothing changed.
    expect(service.viewFor({ key: 'alice' })).toBe(service.viewFor({ key: 'alice' }));
  });
});

describe('ToolProfilesService warnings', () => {
  it('warns once per tool name past the 48- and 64-character limits, naming the tool and the rule', () => {
    const long = { ...tool('reporting', 'x'.repeat(40)) };
    const longer = { ...tool('reporting', 'y'.repeat(60)) };
    const catalog: Pick<ToolCatalogService, 'list' | 'changes$'> = {
      list: () => [...CATALOG, long, longer],
      changes$: new Subject<CatalogChange>(),
    };
    const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const document = doc({ chat: { tools: ['botfather__*', 'nothing__here'] } });
    const service = new ToolProfilesService(
      { pluginsDir: '/nowhere', helpTimeoutMs: 1, runner: new FakePluginRunner(), profiles: { path: '/nowhere/profiles.json', document } },
      catalog as ToolCatalogService,
      logger,
    );
    service.onApplicationBootstrap();
    const warned = logger.warn.mock.calls.map(([message]) => String(message));
    expect(warned).toContain(
      `Tool name ${long.name} (${long.qualifiedName}) is 51 characters, over the Letta server's 48-character limit; give it a shorter name with a profile override (MCP_PROFILES)`,
    );
    expect(warned.find((m) => m.startsWith(`Tool name ${longer.name}`))).toMatch(
      /is 71 characters, over the Letta server's 48-character limit and Claude's and OpenAI's 64-character limit/,
    );
    expect(warned).toContain('Profile selector profiles.chat.tools[1] "nothing__here" matches no tool');
    service.onApplicationShutdown();
  });
});
