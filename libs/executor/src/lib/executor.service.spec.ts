import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { CallToolResult, ObjectSchema, ParameterSpec } from '@sanctum/protocol';
import { renderArgv } from './argv';
import { ExecutorModule } from './executor.module';
import { ExecutorService } from './executor.service';
import type { PluginCommandTarget } from './executor.service';
import { resolvePython } from './interpreter';

const FIXTURE_DIR = realpathSync(join(__dirname, '__fixtures__', 'echo'));

const parameters: ParameterSpec[] = [
  { name: 'path', type: 'string', positional: true, required: true },
  { name: 'name', type: 'string', required: true },
  { name: 'count', type: 'integer', required: false },
  { name: 'loud', type: 'boolean', required: false },
  { name: 'strict', type: 'boolean', booleanStyle: 'value', required: false },
  { name: 'tag', type: 'array', items: { type: 'string' }, required: false },
  { name: 'meta', type: 'object', required: false },
  { name: 'mode', type: 'string', enum: ['fast', 'slow'], required: false },
  { name: 'button_text', flag: '--button-text', type: 'string', required: false },
  { name: 'sleep', type: 'number', required: false },
];

const inputSchema: ObjectSchema = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    name: { type: 'string' },
    count: { type: 'integer' },
    loud: { type: 'boolean' },
    strict: { type: 'boolean' },
    tag: { type: 'array', items: { type: 'string' } },
    meta: { type: 'object' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    button_text: { type: 'string' },
    sleep: { type: 'number' },
  },
  required: ['path', 'name'],
  additionalProperties: false,
};

function target(extra: Partial<PluginCommandTarget> = {}): PluginCommandTarget {
  return {
    label: 'echo.show',
    entryPath: join(FIXTURE_DIR, 'cli.py'),
    cwd: FIXTURE_DIR,
    command: 'show',
    parameters,
    inputSchema,
    ...extra,
  };
}

interface EchoReport {
  argv: string[];
  cwd: string;
  env_secret: string | null;
}

function reportOf(result: CallToolResult): EchoReport {
  expect(result.isError).toBeFalsy();
  const structured = result.structuredContent;
  if (!structured) throw new Error(`no structuredContent in ${JSON.stringify(result)}`);
  const { argv, cwd, env_secret } = structured;
  if (!Array.isArray(argv) || typeof cwd !== 'string') throw new Error(`unexpected report ${JSON.stringify(structured)}`);
  return { argv: argv.map(String), cwd, env_secret: typeof env_secret === 'string' ? env_secret : null };
}

function errorCodeOf(result: CallToolResult): unknown {
  const error = result.structuredContent?.['error'];
  return typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
}

describe('ExecutorService', () => {
  let service: ExecutorService;
  const savedKey = process.env['MCP_API_KEY'];

  beforeAll(async () => {
    process.env['MCP_API_KEY'] = 'super-secret-key';
    const moduleRef = await Test.createTestingModule({
      imports: [ExecutorModule.forRoot({ python: resolvePython(), timeoutMs: 5_000 })],
    }).compile();
    service = moduleRef.get(ExecutorService);
  });

  afterAll(() => {
    if (savedKey === undefined) delete process.env['MCP_API_KEY'];
    else process.env['MCP_API_KEY'] = savedKey;
  });

  it('runs the plugin with argv exactly as rendered, in the plugin folder, without the gateway secret', async () => {
    const args = {
      path: '-rf',
      name: 'Zoë\nsecond line = ok',
      count: 3,
      loud: true,
      strict: false,
      tag: { item: ['a', 'b c'] },
      meta: { k: [1, 2.5], s: 'x' },
      mode: 'fast',
      'button-text': '--help',
    };
    const { result, run } = await service.execute(target(), args);
    expect(run).toBeDefined();
    expect(run?.exitCode).toBe(0);
    const report = reportOf(result);
    const expected = [
      'show',
      '--name=Zoë\nsecond line = ok',
      '--count=3',
      '--loud',
      '--strict=false',
      '--tag=a',
      '--tag=b c',
      '--meta={"k":[1,2.5],"s":"x"}',
      '--mode=fast',
      '--button-text=--help',
      '--',
      '-rf',
    ];
    expect(report.argv).toEqual(expected);
    expect(
      renderArgv('show', parameters, {
        path: '-rf',
        name: args.name,
        count: 3,
        loud: true,
        strict: false,
        tag: ['a', 'b c'],
        meta: args.meta,
        mode: 'fast',
        button_text: '--help',
      }),
    ).toEqual(expected);
    expect(report.cwd).toBe(FIXTURE_DIR);
    expect(process.env['MCP_API_KEY']).toBe('super-secret-key');
    expect(report.env_secret).toBeNull();
  });

  it('runs a string parameter sent as a number or boolean with its JSON text', async () => {
    const { result, run } = await service.execute(target(), { path: 7, name: 12345678, button_text: true, tag: [1.2, 'x'] });
    expect(run?.exitCode).toBe(0);
    expect(reportOf(result).argv).toEqual(['show', '--name=12345678', '--tag=1.2', '--tag=x', '--button-text=true', '--', '7']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an object for a string', { path: 'p', name: { first: 'Ada' } }, "'name' must be string"],
    ['an array for a string', { path: 'p', name: ['Ada'] }, "'name' must be string"],
    ['an object among string items', { path: 'p', name: 'n', tag: [{ a: 1 }] }, "'tag.0' must be string"],
    ['a number outside a string enum', { path: 'p', name: 'n', mode: 1 }, `'mode' must be one of ["fast","slow"]`],
    ['a string for an integer', { path: 'p', name: 'n', count: '3' }, "'count' must be integer"],
  ])('still refuses %s as invalid_arguments without running anything', async (_name, args, problem) => {
    const { result, run } = await service.execute(target(), args);
    expect(run).toBeUndefined();
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: { code: 'invalid_arguments', message: `Invalid arguments for echo.show: ${problem}.` },
    });
  });

  it('passes extra environment variables to the child', () => {
    const env = service.childEnv({ REQUEST_ID: 'r-1' });
    expect(env['REQUEST_ID']).toBe('r-1');
    expect(env['MCP_API_KEY']).toBeUndefined();
    expect(env['PYTHONIOENCODING']).toBe('utf-8');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown key', { path: 'p', name: 'n', colour: 'red' }, /unknown argument 'colour'/],
    ['a wrong type', { path: 'p', name: 'n', count: 'three' }, /'count' must be integer/],
    ['a missing required argument', { path: 'p' }, /missing required argument 'name'/],
    ['an enum violation', { path: 'p', name: 'n', mode: 'medium' }, /'mode' must be one of/],
    ['one argument under two spellings', { path: 'p', name: 'n', button_text: 'a', 'button-text': 'b' }, /given twice/],
  ])('refuses %s with invalid_arguments and spawns nothing', async (_name, args, message) => {
    const { result, run } = await service.execute(target(), args);
    expect(run).toBeUndefined();
    expect(result.isError).toBe(true);
    expect(errorCodeOf(result)).toBe('invalid_arguments');
    const [block] = result.content;
    expect(block.type === 'text' ? block.text : '').toMatch(message);
    expect(block.type === 'text' ? block.text : '').toContain('echo.show');
  });

  it('lets the target timeout override the default', async () => {
    const started = Date.now();
    const { result, run } = await service.execute(target({ timeoutMs: 300 }), { path: 'p', name: 'n', sleep: 10 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(run?.timedOut).toBe(true);
    expect(result.isError).toBe(true);
    expect(errorCodeOf(result)).toBe('timeout');
    const [block] = result.content;
    expect(block.type === 'text' ? block.text : '').toMatch(/after 0\.3 s/);
  });

  it('cancels through the AbortSignal option', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 200);
    const { result, run } = await service.execute(target(), { path: 'p', name: 'n', sleep: 10 }, { signal: controller.signal });
    clearTimeout(timer);
    expect(run?.cancelled).toBe(true);
    expect(errorCodeOf(result)).toBe('cancelled');
  });
});

describe('ExecutorService limits', () => {
  async function serviceWith(options: {
    maxConcurrency?: number;
    pluginConcurrency?: number;
    queueLimit?: number;
  }): Promise<ExecutorService> {
    const moduleRef = await Test.createTestingModule({
      imports: [ExecutorModule.forRoot({ python: resolvePython(), timeoutMs: 5_000, killGraceMs: 300, ...options })],
    }).compile();
    return moduleRef.get(ExecutorService);
  }

  const sleepy = (seconds: number): Record<string, unknown> => ({ path: 'p', name: 'n', sleep: seconds });

  it('defaults to at least 8 slots and a queue of 100', async () => {
    const service = await serviceWith({});
    const stats = service.stats();
    expect(stats).toMatchObject({ running: 0, queued: 0, queueLimit: 100 });
    expect(stats.maxConcurrency).toBeGreaterThanOrEqual(8);
  });

  it('runs up to the limit, queues one and refuses the rest with busy', async () => {
    const service = await serviceWith({ maxConcurrency: 2, queueLimit: 1 });
    const started = Date.now();
    const calls = [0, 1, 2].map(() => service.execute(target(), sleepy(0.6)));
    await new Promise((r) => setTimeout(r, 50));
    expect(service.stats()).toMatchObject({ running: 2, queued: 1 });
    const refused = await service.execute(target(), sleepy(0.6));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(refused.run).toBeUndefined();
    expect(errorCodeOf(refused.result)).toBe('busy');
    const [block] = refused.result.content;
    expect(block.type === 'text' ? block.text : '').toMatch(/at capacity.*echo\.show was not started.*Retry/);
    const outcomes = await Promise.all(calls);
    for (const { result } of outcomes) expect(result.isError).toBeFalsy();
    expect(service.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('lets a queued call leave the queue at once when cancelled', async () => {
    const service = await serviceWith({ maxConcurrency: 1, queueLimit: 5 });
    const running = service.execute(target(), sleepy(0.8));
    const controller = new AbortController();
    const queued = service.execute(target(), sleepy(0.1), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    expect(service.stats()).toMatchObject({ running: 1, queued: 1 });
    const abortedAt = Date.now();
    controller.abort();
    const outcome = await queued;
    expect(Date.now() - abortedAt).toBeLessThan(300);
    expect(outcome.run).toBeUndefined();
    expect(errorCodeOf(outcome.result)).toBe('cancelled');
    expect(service.stats()).toMatchObject({ running: 1, queued: 0 });
    expect((await running).result.isError).toBeFalsy();
  });

  it('applies the per-plugin limit', async () => {
    const service = await serviceWith({ maxConcurrency: 0, pluginConcurrency: 1, queueLimit: 5 });
    const first = service.execute(target(), sleepy(0.4));
    const second = service.execute(target(), sleepy(0.1));
    await new Promise((r) => setTimeout(r, 50));
    expect(service.stats()).toMatchObject({ running: 1, queued: 1, maxConcurrency: 0 });
    const [a, b] = await Promise.all([first, second]);
    expect(a.result.isError).toBeFalsy();
    expect(b.result.isError).toBeFalsy();
  });

  it('releases the slot when a call times out', async () => {
    const service = await serviceWith({ maxConcurrency: 1, queueLimit: 0 });
    const { result } = await service.execute(target({ timeoutMs: 200 }), sleepy(10));
    expect(errorCodeOf(result)).toBe('timeout');
    expect(service.stats()).toMatchObject({ running: 0, queued: 0 });
    const again = await service.execute(target(), sleepy(0));
    expect(again.result.isError).toBeFalsy();
  });
});

describe('ExecutorService with the fork server', () => {
  const lines: string[] = [];
  const logger = { log: (m: string) => lines.push(`log ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };

  async function moduleWith(options: { forkExclude?: string[] } = {}) {
    return Test.createTestingModule({
      imports: [
        ExecutorModule.forRoot({ python: resolvePython(), timeoutMs: 5_000, killGraceMs: 300, forkServer: true, logger, ...options }),
      ],
    }).compile();
  }

  it('starts the server on the first Python call, which is spawned; later calls are forked with the same results', async () => {
    const moduleRef = await moduleWith();
    const service = moduleRef.get(ExecutorService);
    const plain = await Test.createTestingModule({
      imports: [ExecutorModule.forRoot({ python: resolvePython(), timeoutMs: 5_000 })],
    }).compile();
    const spawning = plain.get(ExecutorService);
    try {
      expect(service.forkServerStats()).toMatchObject({ state: 'idle', forked: 0 });
      expect(spawning.forkServerStats()).toBeUndefined();
      const args = { path: '-rf', name: 'Zoë\nsecond line = ok', tag: ['a', 'b c'], meta: { k: [1] } };
      const first = await service.execute(target(), args, { env: { MCP_REQUEST_ID: 'r-1' } });
      expect(service.forkServerStats()).toMatchObject({ forked: 0, spawned: 1 });
      expect(await service.startForkServer()).toBe(true);
      expect(lines.some((l) => /^log Python fork server ready \(pid \d+, Python 3\.\d+\.\d+, \d+ ms\)/.test(l))).toBe(true);
      const forked = await service.execute(target(), args, { env: { MCP_REQUEST_ID: 'r-1' } });
      const spawned = await spawning.execute(target(), args, { env: { MCP_REQUEST_ID: 'r-1' } });
      expect(service.forkServerStats()).toMatchObject({ state: 'ready', forked: 1, spawned: 1, cold: 0 });
      expect(forked.result).toEqual(spawned.result);
      expect(first.result).toEqual(spawned.result);
      expect(reportOf(forked.result).env_secret).toBeNull();

      const timedOut = await service.execute(target({ timeoutMs: 300 }), { path: 'p', name: 'n', sleep: 10 });
      expect(errorCodeOf(timedOut.result)).toBe('timeout');
      expect(timedOut.result).toEqual((await spawning.execute(target({ timeoutMs: 300 }), { path: 'p', name: 'n', sleep: 10 })).result);
      expect(service.forkServerStats()).toMatchObject({ forked: 2 });
      expect(service.stats()).toMatchObject({ running: 0, queued: 0 });
    } finally {
      await moduleRef.close();
    }
    // Module destroy stops the server.
    expect(service.forkServerStats()).toMatchObject({ state: 'stopped', pid: null });
  });

  it('always spawns an excluded plugin', async () => {
    const moduleRef = await moduleWith({ forkExclude: ['other', 'echo'] });
    const service = moduleRef.get(ExecutorService);
    try {
      expect(await service.startForkServer()).toBe(true);
      const { result } = await service.execute(target(), { path: 'p', name: 'n' });
      expect(reportOf(result).argv).toEqual(['show', '--name=n', '--', 'p']);
      expect(service.forkServerStats()).toMatchObject({ forked: 0, spawned: 0 });
    } finally {
      await moduleRef.close();
    }
  });
});
