import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { LoggerService } from '@nestjs/common';
import { DISCOVERY_LOGGER, DISCOVERY_OPTIONS } from './discovery.constants';
import { DiscoveryCache } from './discovery-cache';
import { PluginDiscoveryService } from './plugin-discovery.service';
import type { DiscoveryOptions } from './plugin-discovery.service';
import { PluginRunner } from './plugin-runner';
import { scanPlugins } from './scanner';
import type { PluginRunOutput } from './plugin-runner';

type Script = Record<string, PluginRunOutput>;
const ok = (stdout: string): PluginRunOutput => ({ exitCode: 0, stdout, stderr: '', timedOut: false });
const fails = (code: number, stderr: string): PluginRunOutput => ({ exitCode: code, stdout: '', stderr, timedOut: false });

const DESCRIBE = JSON.stringify({ contract_version: '1.0', plugin: { version: '3.0.0' }, commands: [{ name: 'go', description: 'Go', parameters: [] }] });
const TOP_HELP = 'usage: cli.py\n\nAvailable commands:\n  hello  Say hello\n\n';
const HELLO_HELP = 'usage: cli.py hello [-h] --name NAME\n\nSay hello.\n\noptions:\n  -h, --help   show this help message and exit\n  --name NAME  Who\n';

/** Scripted runner: answers by plugin folder name and argv, counting calls. */
class ScriptedRunner extends PluginRunner {
  calls: string[] = [];
  constructor(private readonly scripts: Record<string, Script>) {
    super();
  }
  async run(entryPath: string, cwd: string, args: readonly string[]): Promise<PluginRunOutput> {
    const plugin = cwd.split('/').pop() ?? '';
    this.calls.push(`${plugin} ${args.join(' ')}`);
    return this.scripts[plugin]?.[args.join(' ')] ?? fails(2, `unrecognized arguments: ${args.join(' ')}`);
  }
}

const silent: LoggerService = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };

describe('PluginDiscoveryService', () => {
  let root: string;
  let pluginsDir: string;

  const service = async (runner: PluginRunner, options: Partial<DiscoveryOptions> = {}): Promise<PluginDiscoveryService> => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        PluginDiscoveryService,
        { provide: DISCOVERY_OPTIONS, useValue: { pluginsDir, helpTimeoutMs: 1000, concurrency: 4, ...options } satisfies DiscoveryOptions },
        { provide: PluginRunner, useValue: runner },
        { provide: DISCOVERY_LOGGER, useValue: silent },
      ],
    }).compile();
    return moduleRef.get(PluginDiscoveryService);
  };

  const plugin = (name: string, file = 'cli.py'): string => {
    mkdirSync(join(pluginsDir, name), { recursive: true });
    const path = join(pluginsDir, name, file);
    writeFileSync(path, '# plugin\n', { mode: 0o755 });
    return path;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sanctum-discovery-'));
    pluginsDir = join(root, 'plugins');
    mkdirSync(pluginsDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prefers --describe, falls back to --help, and skips with reasons', async () => {
    plugin('structured');
    plugin('classic');
    plugin('silent');
    const runner = new ScriptedRunner({
      structured: { '--describe': ok(DESCRIBE) },
      classic: { '--help': ok(TOP_HELP), 'hello --help': ok(HELLO_HELP) },
      silent: { '--help': ok('usage: cli.py\n') },
    });
    const report = await (await service(runner)).discover();
    expect(report.plugins.map((p) => [p.name, p.via, p.commands.map((c) => c.name)])).toEqual([
      ['classic', 'help', ['hello']],
      ['structured', 'describe', ['go']],
    ]);
    expect(report.plugins[0].commands[0].parameters).toEqual([
      { name: 'name', flag: '--name', type: 'string', required: true, description: 'Who' },
    ]);
    expect(report.skipped).toEqual([expect.objectContaining({ name: 'silent', reason: expect.stringContaining('no "Available commands:" section') })]);
  });

  it('logs each plugin with its number of commands, singular for one', async () => {
    plugin('one');
    plugin('two');
    const TWO = JSON.stringify({ ...JSON.parse(DESCRIBE), commands: [{ name: 'go', description: 'Go', parameters: [] }, { name: 'stop', description: 'Stop', parameters: [] }] });
    const runner = new ScriptedRunner({ one: { '--describe': ok(DESCRIBE) }, two: { '--describe': ok(TWO) } });
    const log = jest.mocked(silent.log);
    log.mockClear();
    await (await service(runner)).discover();
    const lines = log.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith('Discovered plugin'));
    expect(lines).toEqual(['Discovered plugin: one (1 command)', 'Discovered plugin: two (2 commands)']);
  });

  it('finds plugins in every supported language and ignores folders without an entry', async () => {
    plugin('js', 'cli.js');
    plugin('sh', 'cli.sh');
    plugin('bin', 'cli');
    mkdirSync(join(pluginsDir, 'empty'));
    mkdirSync(join(pluginsDir, '.hidden'));
    const runner = new ScriptedRunner({ js: { '--describe': ok(DESCRIBE) }, sh: { '--describe': ok(DESCRIBE) }, bin: { '--describe': ok(DESCRIBE) } });
    const report = await (await service(runner)).discover();
    expect(report.plugins.map((p) => p.entryPath.split('/').slice(-2).join('/'))).toEqual(['bin/cli', 'js/cli.js', 'sh/cli.sh']);
  });

  it('skips a plugin whose help times out, keeping the others', async () => {
    plugin('slow');
    plugin('fine');
    const runner = new ScriptedRunner({
      slow: { '--help': { exitCode: null, stdout: '', stderr: '', timedOut: true } },
      fine: { '--describe': ok(DESCRIBE) },
    });
    const report = await (await service(runner)).discover();
    expect(report.plugins.map((p) => p.name)).toEqual(['fine']);
    expect(report.skipped[0].reason).toMatch(/did not finish within 1000 ms/);
  });

  it('answers a missing plugins folder with an empty report', async () => {
    rmSync(pluginsDir, { recursive: true });
    await expect((await service(new ScriptedRunner({}))).discover()).resolves.toEqual({ plugins: [], skipped: [] });
  });

  it('reuses cached descriptions for unchanged plugins and re-describes a changed one', async () => {
    const cacheFile = join(root, 'cache', 'discovery.json');
    const a = plugin('a');
    plugin('b');
    const runner = new ScriptedRunner({ a: { '--describe': ok(DESCRIBE) }, b: { '--describe': ok(DESCRIBE) } });
    const discovery = await service(runner, { cacheFile, runtime: 'python-x' });

    await discovery.discover();
    expect(runner.calls.sort()).toEqual(['a --describe', 'b --describe']);

    runner.calls = [];
    const cached = await discovery.discover();
    expect(runner.calls).toEqual([]);
    expect(cached.plugins.map((p) => [p.name, p.version])).toEqual([
      ['a', '3.0.0'],
      ['b', '3.0.0'],
    ]);

    utimesSync(a, new Date(), new Date(Date.now() + 5_000));
    await discovery.discover();
    expect(runner.calls).toEqual(['a --describe']);
  });

  it('keeps the interpreter record in the cache file: written beside the plugins, kept when discovery saves', async () => {
    const cacheFile = join(root, 'cache', 'discovery.json');
    const record = { v: 1, python: '/opt/python3', files: { '/opt/python3': 'stat:1:2:3' } };
    await expect(DiscoveryCache.readInterpreter(cacheFile)).resolves.toBeUndefined();
    await DiscoveryCache.writeInterpreter(cacheFile, record);
    await expect(DiscoveryCache.readInterpreter(cacheFile)).resolves.toEqual(record);

    plugin('a');
    const runner = new ScriptedRunner({ a: { '--describe': ok(DESCRIBE) } });
    const discovery = await service(runner, { cacheFile, runtime: 'python-x' });
    await discovery.discover();
    const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as { plugins: unknown[]; interpreter: unknown };
    expect(saved.plugins).toHaveLength(1);
    expect(saved.interpreter).toEqual(record);

    // A new record leaves the described plugins in place: the next discovery runs nothing.
    await DiscoveryCache.writeInterpreter(cacheFile, { ...record, python: '/opt/python3.13' });
    runner.calls = [];
    await discovery.discover();
    expect(runner.calls).toEqual([]);
    await expect(DiscoveryCache.readInterpreter(cacheFile)).resolves.toEqual({ ...record, python: '/opt/python3.13' });

    writeFileSync(cacheFile, '{not json');
    await expect(DiscoveryCache.readInterpreter(cacheFile)).resolves.toBeUndefined();
  });

  it('does not cache skipped plugins', async () => {
    const cacheFile = join(root, 'discovery.json');
    plugin('broken');
    const runner = new ScriptedRunner({});
    const discovery = await service(runner, { cacheFile });
    await discovery.discover();
    await discovery.discover();
    expect(runner.calls.filter((c) => c === 'broken --describe')).toHaveLength(2);
  });
});

describe('PluginDiscoveryService refusing unsafe plugin folders', () => {
  let root: string;
  let pluginsDir: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sanctum-unsafe-'));
    pluginsDir = join(root, 'plugins');
    mkdirSync(pluginsDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const discover = async (): Promise<Awaited<ReturnType<PluginDiscoveryService['discover']>>> => {
    const runner = new ScriptedRunner({ good: { '--describe': ok(DESCRIBE) } });
    const moduleRef = await Test.createTestingModule({
      providers: [
        PluginDiscoveryService,
        { provide: DISCOVERY_OPTIONS, useValue: { pluginsDir, helpTimeoutMs: 1000, concurrency: 2 } satisfies DiscoveryOptions },
        { provide: PluginRunner, useValue: runner },
        { provide: DISCOVERY_LOGGER, useValue: silent },
      ],
    }).compile();
    return moduleRef.get(PluginDiscoveryService).discover();
  };

  it('refuses a symlinked folder that leaves the plugins folder, and a world-writable one', async () => {
    mkdirSync(join(pluginsDir, 'good'));
    writeFileSync(join(pluginsDir, 'good', 'cli.py'), '#');
    const outside = join(root, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(outside, 'cli.py'), '#');
    symlinkSync(outside, join(pluginsDir, 'escape'));
    mkdirSync(join(pluginsDir, 'open'));
    writeFileSync(join(pluginsDir, 'open', 'cli.py'), '#');
    chmodSync(join(pluginsDir, 'open'), 0o777);
    mkdirSync(join(pluginsDir, 'linked'));
    symlinkSync(join(outside, 'cli.py'), join(pluginsDir, 'linked', 'cli.py'));

    const report = await discover();
    expect(report.plugins.map((p) => p.name)).toEqual(['good']);
    expect(Object.fromEntries(report.skipped.map((s) => [s.name, s.reason]))).toEqual({
      escape: expect.stringContaining('outside the plugins folder'),
      open: expect.stringContaining('world-writable'),
      linked: expect.stringContaining('outside the plugin folder'),
    });
  });
});

describe('PluginDiscoveryService and world-writable places', () => {
  let root: string;
  let pluginsDir: string;
  let logged: { warn: string[]; error: string[] };

  const discover = async () => {
    const logger: LoggerService = {
      log: jest.fn(),
      debug: jest.fn(),
      warn: (message: string) => logged.warn.push(message),
      error: (message: string) => logged.error.push(message),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        PluginDiscoveryService,
        { provide: DISCOVERY_OPTIONS, useValue: { pluginsDir, helpTimeoutMs: 1000, concurrency: 2 } satisfies DiscoveryOptions },
        { provide: PluginRunner, useValue: new ScriptedRunner({ tool: { '--describe': ok(DESCRIBE) } }) },
        { provide: DISCOVERY_LOGGER, useValue: logger },
      ],
    }).compile();
    return moduleRef.get(PluginDiscoveryService).discover();
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sanctum-open-'));
    pluginsDir = join(root, 'plugins');
    mkdirSync(join(pluginsDir, 'tool', 'lib'), { recursive: true });
    writeFileSync(join(pluginsDir, 'tool', 'cli.py'), '# plugin\n');
    writeFileSync(join(pluginsDir, 'tool', 'helper.py'), '# imported by cli.py\n');
    writeFileSync(join(pluginsDir, 'tool', 'README.txt'), 'not code\n');
    logged = { warn: [], error: [] };
  });
  afterEach(() => {
    chmodSync(pluginsDir, 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a plugins folder anyone may write to: nothing in it is loaded, the reason is logged and reported', async () => {
    chmodSync(pluginsDir, 0o777);
    const report = await discover();
    expect(report.plugins).toEqual([]);
    expect(report.refusal).toContain(`Refusing the plugins folder ${pluginsDir}: it is writable by every user (mode 777)`);
    expect(report.refusal).toContain(`chmod o-w ${pluginsDir}`);
    expect(logged.error).toEqual([report.refusal]);
  });

  it('loads a plugin whose modules anyone may write to, with a warning naming each (code files and folders only)', async () => {
    chmodSync(join(pluginsDir, 'tool', 'helper.py'), 0o666);
    chmodSync(join(pluginsDir, 'tool', 'README.txt'), 0o666);
    chmodSync(join(pluginsDir, 'tool', 'lib'), 0o777);
    const report = await discover();
    expect(report.plugins.map((p) => p.name)).toEqual(['tool']);
    expect(report.refusal).toBeUndefined();
    expect(logged.warn.sort()).toEqual(
      [
        `Plugin tool: ${join(pluginsDir, 'tool', 'helper.py')} is writable by every user, and the plugin may load it as code (chmod o-w ${join(pluginsDir, 'tool', 'helper.py')})`,
        `Plugin tool: ${join(pluginsDir, 'tool', 'lib')} is writable by every user, and the plugin may load it as code (chmod o-w ${join(pluginsDir, 'tool', 'lib')})`,
      ].sort(),
    );
  });

  it('warns about nothing when only the gateway user may write', async () => {
    const report = await discover();
    expect(report.plugins.map((p) => p.name)).toEqual(['tool']);
    expect(logged.warn).toEqual([]);
    expect(logged.error).toEqual([]);
  });
});

describe('scanPlugins, blocking (first discovery) and not (reloads)', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sanctum-scan-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds, orders and refuses the same folders either way', async () => {
    const pluginsDir = join(root, 'plugins');
    const outside = join(root, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(outside, 'cli.py'), '#');
    for (const [name, file, mode] of [
      ['Zeta', 'cli.js', 0o644],
      ['alpha', 'cli.py', 0o644],
      ['beta', 'cli', 0o755],
      ['not-executable', 'cli', 0o644],
      ['open', 'cli.sh', 0o666],
      ['_private', 'cli.py', 0o644],
      ['.hidden', 'cli.py', 0o644],
    ] as const) {
      mkdirSync(join(pluginsDir, name), { recursive: true });
      writeFileSync(join(pluginsDir, name, file), '#', { mode });
      chmodSync(join(pluginsDir, name, file), mode);
    }
    mkdirSync(join(pluginsDir, 'empty'));
    writeFileSync(join(pluginsDir, 'a-file'), '#');
    symlinkSync(outside, join(pluginsDir, 'escape'));
    mkdirSync(join(pluginsDir, 'linked'));
    symlinkSync(join(outside, 'cli.py'), join(pluginsDir, 'linked', 'cli.py'));

    const blocking = await scanPlugins(pluginsDir, undefined, { blocking: true });
    expect(await scanPlugins(pluginsDir)).toEqual(blocking);
    expect(blocking.plugins.map((p) => p.name)).toEqual(['alpha', 'beta', 'Zeta']);
    expect(blocking.refused.map((p) => p.name)).toEqual(['escape', 'linked', 'open']);
    await expect(scanPlugins(join(root, 'missing'), undefined, { blocking: true })).rejects.toThrow('ENOENT');
    await expect(scanPlugins(join(root, 'missing'))).rejects.toThrow('ENOENT');
  });
});
