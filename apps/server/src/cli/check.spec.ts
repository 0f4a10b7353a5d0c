import type { DiscoveryReport, ToolEntry } from '@sanctum/discovery';
import { renderCheck } from './check';

const command = (name: string) => ({ name, description: `does ${name}`, parameters: [] });
const plugin = (name: string, commands: string[]) => ({ name, dir: `/p/${name}`, entryPath: `/p/${name}/cli.py`, via: 'describe' as const, commands: commands.map(command) });
const tool = (plugin: string, cmd: string) =>
  ({ name: `${plugin}__${cmd}`, qualifiedName: `${plugin}.${cmd}`, description: '', inputSchema: { type: 'object' }, source: { kind: 'plugin' } }) as unknown as ToolEntry;

describe('sanctum-mcp check: the report', () => {
  it('lists each plugin with its tools and passes when nothing was skipped', () => {
    const report: DiscoveryReport = { plugins: [plugin('a', ['x', 'y'])], skipped: [] };
    const outcome = renderCheck('/p', report, [tool('a', 'x'), tool('a', 'y')]);
    expect(outcome.ok).toBe(true);
    expect(outcome.text).toContain('ok    a (2 commands, learnt from --describe)');
    expect(outcome.text).toContain('a__x: does x');
    expect(outcome.text).toContain('1 plugin, 2 tools: no problems.');
  });

  it('fails with the reason when a plugin was skipped', () => {
    const report: DiscoveryReport = { plugins: [], skipped: [{ name: 'b', dir: '/p/b', reason: 'no "Available commands:" section' }] };
    const outcome = renderCheck('/p', report, []);
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toContain('SKIP  b: no "Available commands:" section');
  });

  it('fails when a command is not offered (its tool name clashed or was invalid)', () => {
    const outcome = renderCheck('/p', { plugins: [plugin('a', ['x', 'y'])], skipped: [] }, [tool('a', 'x')]);
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toContain('a.y: NOT OFFERED');
  });

  it('fails on a refused folder and on an empty one', () => {
    expect(renderCheck('/p', { plugins: [], skipped: [], refusal: 'world-writable' }, []).ok).toBe(false);
    expect(renderCheck('/p', { plugins: [], skipped: [] }, []).text).toContain('no plugin was found');
  });
});
