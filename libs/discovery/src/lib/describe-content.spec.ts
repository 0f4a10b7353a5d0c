import { parseDescribe } from './describe';
import { fillPlaceholders } from './describe-content';

const commands = [{ name: 'go' }];

describe('parseDescribe: contract v1.1 resources, templates and prompts', () => {
  it('maps resources, templates (with completions) and prompts (command and template)', () => {
    const described = parseDescribe({
      contract_version: '1.1',
      commands,
      resources: [
        { uri: 'demo://readme', name: 'readme', title: 'Read me', mimeType: 'text/markdown', file: 'docs/README.md', size: 12 },
        { uri: 'demo://status', name: 'status', command: 'status-json', annotations: { audience: ['user'], priority: 0.5 } },
      ],
      resource_templates: [
        { uriTemplate: 'demo://apps/{app}/history', name: 'history', mimeType: 'application/json', command: 'history', complete: { app: ['api', 'web'] } },
      ],
      prompts: [
        { name: 'notes', description: 'Release notes', arguments: [{ name: 'app', required: true, complete: { command: 'apps' } }], command: 'notes' },
        { name: 'hello', arguments: [{ name: 'who' }], template: 'Say hello to {who}.' },
      ],
    });
    expect(described.problems).toEqual([]);
    expect(described.resources).toEqual([
      { uri: 'demo://readme', name: 'readme', title: 'Read me', mimeType: 'text/markdown', size: 12, source: { kind: 'file', path: 'docs/README.md' } },
      { uri: 'demo://status', name: 'status', annotations: { audience: ['user'], priority: 0.5 }, source: { kind: 'command', command: 'status-json' } },
    ]);
    expect(described.resourceTemplates).toEqual([
      {
        uriTemplate: 'demo://apps/{app}/history',
        name: 'history',
        mimeType: 'application/json',
        source: { kind: 'command', command: 'history' },
        completions: { app: { kind: 'values', values: ['api', 'web'] } },
      },
    ]);
    expect(described.prompts).toEqual([
      {
        name: 'notes',
        description: 'Release notes',
        arguments: [{ name: 'app', required: true, completion: { kind: 'command', command: 'apps' } }],
        source: { kind: 'command', command: 'notes' },
      },
      { name: 'hello', arguments: [{ name: 'who', required: false }], source: { kind: 'template', messages: [{ role: 'user', content: { type: 'text', text: 'Say hello to {who}.' } }] } },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a resource without a uri', { resources: [{ name: 'x', command: 'c' }] }, 'resources[0].uri is required'],
    ['a resource with both command and file', { resources: [{ uri: 'a://b', name: 'x', command: 'c', file: 'f' }] }, 'resources[0] needs exactly one of "command" or "file"'],
    ['a resource file leaving the folder', { resources: [{ uri: 'a://b', name: 'x', file: '../secret' }] }, 'resources[0].file must be a path inside the plugin folder'],
    ['an absolute resource file', { resources: [{ uri: 'a://b', name: 'x', file: '/etc/passwd' }] }, 'resources[0].file must be a path inside the plugin folder'],
    ['a relative uri', { resources: [{ uri: 'no-scheme', name: 'x', command: 'c' }] }, 'resources[0].uri "no-scheme" does not match'],
    ['a template without variables', { resource_templates: [{ uriTemplate: 'a://b', name: 't', command: 'c' }] }, 'resource_templates[0].uriTemplate "a://b" has no {variable}'],
    ['a completion of an unknown variable', { resource_templates: [{ uriTemplate: 'a://{x}', name: 't', command: 'c', complete: { y: ['1'] } }] }, 'resource_templates[0].complete.y names no variable'],
    ['a completion that is neither list nor command', { resource_templates: [{ uriTemplate: 'a://{x}', name: 't', command: 'c', complete: { x: 'nope' } }] }, 'resource_templates[0].complete.x must be a list of at most 100 strings'],
    ['a prompt without command or template', { prompts: [{ name: 'p' }] }, 'prompts[0] needs exactly one of "command" or "template"'],
    ['a placeholder that is no argument', { prompts: [{ name: 'p', template: 'Hi {who}' }] }, 'prompts[0].template uses {who}, which is not one of the prompt\'s arguments'],
    ['an argument declared twice', { prompts: [{ name: 'p', arguments: [{ name: 'a' }, { name: 'a' }], template: 'x' }] }, 'prompts[0].arguments[1].name "a" is declared twice'],
    ['a bad message role', { prompts: [{ name: 'p', template: [{ role: 'system', content: { type: 'text', text: 'x' } }] }] }, 'prompts[0].template[0].role "system" is not one of user, assistant'],
    ['a prompt declared twice', { prompts: [{ name: 'p', template: 'x' }, { name: 'p', template: 'y' }] }, 'prompts[1] "p" is declared twice'],
  ])('leaves out %s with a field-addressed problem, and keeps the rest', (_name, extra, problem) => {
    const described = parseDescribe({ commands, resources: [{ uri: 'ok://1', name: 'ok', command: 'c' }], ...extra });
    expect(described.commands).toHaveLength(1);
    expect(described.problems.join('\n')).toContain(problem);
  });

  it('keeps the valid entries beside a broken one (a broken entry loses only itself)', () => {
    const described = parseDescribe({ commands, prompts: [{ name: 'bad' }, { name: 'good', template: 'fine' }] });
    expect(described.prompts.map((p) => p.name)).toEqual(['good']);
    expect(described.problems).toHaveLength(1);
  });
});

describe('fillPlaceholders', () => {
  it('fills declared arguments and leaves an absent one empty, not "{undefined}"', () => {
    expect(fillPlaceholders('Deploy {app} to {env}.', { app: 'api' })).toBe('Deploy api to .');
  });
});
