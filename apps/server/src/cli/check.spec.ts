import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveryReport, ToolEntry } from '@sanctum/discovery';
import { loadConfig } from '../app/config/config';
import { renderCheck, runCheck } from './check';
import { initPlugin } from './init';

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

  it('lists the profiles with their tools and fails on one that shows none', () => {
    const report: DiscoveryReport = { plugins: [plugin('a', ['x'])], skipped: [] };
    const outcome = renderCheck('/p', report, [tool('a', 'x')], { path: '/p/profiles.json', counts: [{ name: 'chat', tools: 1 }, { name: 'typo', tools: 0 }] });
    expect(outcome.text).toContain('Profiles: /p/profiles.json');
    expect(outcome.text).toContain('ok    chat: 1 tool');
    expect(outcome.text).toContain('NONE  typo: 0 tools');
    expect(outcome.ok).toBe(false);
  });

  it('fails on a refused folder and on an empty one', () => {
    expect(renderCheck('/p', { plugins: [], skipped: [], refusal: 'world-writable' }, []).ok).toBe(false);
    expect(renderCheck('/p', { plugins: [], skipped: [] }, []).text).toContain('no plugin was found');
  });
});

describe('sanctum-mcp check: discovery as the server runs it', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sanctum-check-'));
    initPlugin('weather', dir);
    writeFileSync(join(dir, '.profiles.json'), JSON.stringify({ profiles: { forecasts: { tools: ['weather__*'] }, typo: { tools: ['wether__*'] } } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports a plugin made by init, and a profile whose selector matches nothing", async () => {
    const outcome = await runCheck(loadConfig({ MCP_PLUGINS_DIR: dir, MCP_PROFILES: join(dir, '.profiles.json'), MCP_DISCOVERY_CACHE: 'off', LOG_LEVEL: 'error' }));
    expect(outcome.text).toContain('ok    weather 0.1.0 (2 commands, learnt from --describe)');
    expect(outcome.text).toContain('ok    forecasts: 2 tools');
    expect(outcome.text).toContain('NONE  typo: 0 tools');
    expect(outcome.ok).toBe(false);
  });

  it('fails on a folder that does not exist, without starting anything', async () => {
    const outcome = await runCheck(loadConfig({ MCP_PLUGINS_DIR: join(dir, 'missing'), MCP_DISCOVERY_CACHE: 'off' }));
    expect(outcome).toEqual({ ok: false, text: expect.stringContaining('it is not a folder; give one with --plugins DIR') });
  });
});
