import { PORTABLE_TOOL_NAME_PATTERN } from '@sanctum/protocol';
import { CatalogConflictError, InvalidToolNameError, ToolCatalog, applyTemplate } from './catalog';
import type { ToolEntry } from './catalog';

const entry = (name: string, qualifiedName = name): ToolEntry => ({
  name,
  qualifiedName,
  description: 'd',
  inputSchema: { type: 'object', properties: {} },
  source: { kind: 'provider', invoke: async () => null },
});

describe('ToolCatalog', () => {
  it('lists by name whatever the order of discovery, and a caller cannot reorder it', () => {
    const catalog = new ToolCatalog();
    for (const name of ['zeta__run', 'alpha__b', 'Alpha__a', 'alpha__a']) catalog.add(entry(name, name.replace('__', '.')));
    expect(catalog.list().map((t) => t.name)).toEqual(['Alpha__a', 'alpha__a', 'alpha__b', 'zeta__run']);
    catalog.list().reverse();
    expect(catalog.list().map((t) => t.name)).toEqual(['Alpha__a', 'alpha__a', 'alpha__b', 'zeta__run']);
    catalog.add(entry('beta__x', 'beta.x'));
    expect(catalog.list().map((t) => t.name)).toEqual(['Alpha__a', 'alpha__a', 'alpha__b', 'beta__x', 'zeta__run']);
  });

  it('finds a tool by advertised name and by plugin.command', () => {
    const catalog = new ToolCatalog();
    catalog.add(entry('devops__deploy', 'devops.deploy'));
    expect(catalog.get('devops__deploy')?.qualifiedName).toBe('devops.deploy');
    expect(catalog.get('devops.deploy')?.name).toBe('devops__deploy');
    expect(catalog.get('devops')).toBeUndefined();
  });

  it('refuses a duplicate name and leaves the first tool in place', () => {
    const catalog = new ToolCatalog();
    catalog.add(entry('deploy', 'a.deploy'));
    expect(() => catalog.add(entry('deploy', 'b.deploy'))).toThrow(CatalogConflictError);
    expect(() => catalog.add(entry('deploy', 'b.deploy'))).toThrow("tool name 'deploy' of b.deploy is already taken by a.deploy");
    expect(catalog.get('deploy')?.qualifiedName).toBe('a.deploy');
    expect(catalog.size).toBe(1);
  });

  it.each(['has space', 'a'.repeat(65), 'dotted.name', ''])('refuses %p under the portable rule', (name) => {
    expect(() => new ToolCatalog(PORTABLE_TOOL_NAME_PATTERN).add(entry(name, 'x.y'))).toThrow(InvalidToolNameError);
  });

  it('accepts dotted names under the MCP rule (when the template asks for dots)', () => {
    const catalog = new ToolCatalog();
    catalog.add(entry('botfather.send-message'));
    expect(catalog.get('botfather.send-message')).toBeDefined();
  });

  it.each([
    ['{plugin}__{command}', 'devops__deploy'],
    ['{plugin}.{command}', 'devops.deploy'],
    ['{command}', 'deploy'],
  ])('applies the template %s', (template, name) => {
    expect(applyTemplate(template, 'devops', 'deploy')).toBe(name);
  });
});
