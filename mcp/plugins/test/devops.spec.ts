import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableCommands, Describe, errorOf, inputRequiredOf, inputRound, PluginRun, resultOf, runPlugin } from './python';

interface LedgerRecord {
  id: number;
  action: 'deploy' | 'rollback';
  app: string;
  environment: string;
  version: string;
  status: string;
  deployed_at: string;
  previous_version?: string | null;
  from_version?: string;
  to_version?: string;
}

/** A production deployment's result: the ledger record, and whether the user confirmed it. */
type ProductionRecord = LedgerRecord & { confirmed: boolean; note?: string };

interface EnvStatus {
  current_version: string | null;
  last_deployed_at: string | null;
  history_count: number;
  last_action: LedgerRecord | null;
}

interface AppStatus {
  app: string;
  deployed: boolean;
  environments: Record<string, EnvStatus>;
}

type EnvironmentStatus = EnvStatus & { app: string; environment: string; deployed: boolean };

interface StateFile {
  format: number;
  next_id: number;
  apps: Record<string, Record<string, { current_version: string; history: LedgerRecord[] }>>;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A fresh ledger in its own temp dir; `run` invokes the plugin against it. */
async function withLedger(
  test: (ledger: { file: string; dir: string; run: (...args: string[]) => Promise<PluginRun> }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devops-spec-'));
  const file = path.join(dir, 'nested', 'ledger.json');
  try {
    await test({ file, dir, run: (...args: string[]) => runPlugin('devops', args, { DEVOPS_STATE_FILE: file }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readState(file: string): Promise<StateFile> {
  return JSON.parse(await readFile(file, 'utf8')) as StateFile;
}

describe('devops plugin', () => {
  it('deploy reports its progress and a log line on stderr, in order, as the gateway reads them', () =>
    withLedger(async ({ run }) => {
      const deploy = await run('deploy', '--app-name=shop-api', '--version=2.4.0', '--environment=staging');
      resultOf(deploy);
      const lines = deploy.stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        { progress: 1, total: 3, message: 'ledger read' },
        { progress: 2, total: 3, message: 'deploying shop-api 2.4.0 to staging' },
        { progress: 3, total: 3, message: 'ledger written' },
        { log: 'info', message: 'deployed shop-api 2.4.0 to staging (previously none)' },
      ]);
    }));

  it.concurrent('deploy records the version and status reports it as current', () =>
    withLedger(async ({ file, run }) => {
      // No MCP_CLIENT_CAPABILITIES: a client that cannot ask, so production deploys go through unconfirmed.
      const first = resultOf<ProductionRecord>(await run('deploy', '--app-name=shop-api', '--version=1.4.0'));
      expect(first).toEqual({
        id: 1,
        action: 'deploy',
        app: 'shop-api',
        environment: 'production',
        version: '1.4.0',
        previous_version: null,
        status: 'deployed',
        deployed_at: expect.stringMatching(ISO_UTC),
        confirmed: false,
        note: expect.stringContaining('this client cannot ask the user'),
      });
      const { confirmed, note, ...second } = resultOf<ProductionRecord>(await run('deploy', '--app-name=shop-api', '--version=2.0.0'));
      expect(second).toMatchObject({ id: 2, version: '2.0.0', previous_version: '1.4.0', status: 'deployed' });
      expect([confirmed, typeof note]).toEqual([false, 'string']);

      const status = resultOf<EnvironmentStatus>(await run('status', '--app-name=shop-api', '--environment=production'));
      expect(status).toEqual({
        app: 'shop-api',
        environment: 'production',
        deployed: true,
        current_version: '2.0.0',
        last_deployed_at: second.deployed_at,
        history_count: 2,
        last_action: second,
      });
      const state = await readState(file);
      expect(state.apps['shop-api']['production'].current_version).toBe('2.0.0');
      expect(state.apps['shop-api']['production'].history.map((r) => r.version)).toEqual(['1.4.0', '2.0.0']);
    }),
  );

  it.concurrent('keeps environments apart and reports them all when --environment is omitted', () =>
    withLedger(async ({ run }) => {
      resultOf(await run('deploy', '--app-name=web', '--version=3.1.0', '--environment=staging'));
      resultOf(await run('deploy', '--app-name=web', '--version=3.0.2'));
      resultOf(await run('deploy', '--app-name=web', '--version=3.2.0-rc1', '--environment=development'));
      const status = resultOf<AppStatus>(await run('status', '--app-name=web'));
      expect(status.app).toBe('web');
      expect(status.deployed).toBe(true);
      expect(Object.keys(status.environments)).toEqual(['development', 'staging', 'production']);
      expect(status.environments['staging']).toMatchObject({ current_version: '3.1.0', history_count: 1 });
      expect(status.environments['production']).toMatchObject({ current_version: '3.0.2', history_count: 1 });
      const staging = resultOf<EnvironmentStatus>(await run('status', '--app-name=web', '--environment=staging'));
      expect(staging.current_version).toBe('3.1.0');
    }),
  );

  it.concurrent('status of an app never deployed says so instead of failing', () =>
    withLedger(async ({ file, run }) => {
      const [all, one] = await Promise.all([run('status', '--app-name=ghost'), run('status', '--app-name=ghost', '--environment=staging')]);
      expect(resultOf<AppStatus>(all)).toEqual({ app: 'ghost', deployed: false, environments: {} });
      expect(resultOf<EnvironmentStatus>(one)).toEqual({
        app: 'ghost',
        environment: 'staging',
        deployed: false,
        current_version: null,
        last_deployed_at: null,
        history_count: 0,
        last_action: null,
      });
      expect(existsSync(file)).toBe(false); // reading never creates the ledger
    }),
  );

  it.concurrent('refuses to roll back to a version never deployed there', () =>
    withLedger(async ({ file, run }) => {
      resultOf(await run('deploy', '--app-name=shop-api', '--version=1.0.0'));
      resultOf(await run('deploy', '--app-name=shop-api', '--version=1.1.0'));
      resultOf(await run('deploy', '--app-name=shop-api', '--version=9.9.9', '--environment=staging'));
      const before = await readFile(file, 'utf8');
      const [unknown, otherEnv, unknownApp] = await Promise.all([
        run('rollback', '--app-name=shop-api', '--version=0.9.0'),
        run('rollback', '--app-name=shop-api', '--version=9.9.9'),
        run('rollback', '--app-name=billing', '--version=1.0.0', '--environment=staging'),
      ]);
      expect(errorOf(unknown)).toBe(
        'cannot roll back shop-api (production) to 0.9.0: that version was never deployed there; deployed versions: 1.0.0, 1.1.0',
      );
      expect(errorOf(otherEnv)).toMatch(/^cannot roll back shop-api \(production\) to 9\.9\.9: that version was never deployed there/);
      expect(errorOf(unknownApp)).toBe(
        'cannot roll back billing (staging) to 1.0.0: that version was never deployed there; deployed versions: none',
      );
      expect(await readFile(file, 'utf8')).toBe(before);
    }),
  );

  it.concurrent('rolls back to a previous version and status shows it', () =>
    withLedger(async ({ run }) => {
      resultOf(await run('deploy', '--app-name=shop-api', '--version=1.0.0'));
      resultOf(await run('deploy', '--app-name=shop-api', '--version=1.1.0'));
      const rollback = resultOf<LedgerRecord>(await run('rollback', '--app-name=shop-api', '--version=1.0.0'));
      expect(rollback).toEqual({
        id: 3,
        action: 'rollback',
        app: 'shop-api',
        environment: 'production',
        version: '1.0.0',
        from_version: '1.1.0',
        to_version: '1.0.0',
        status: 'rolled_back',
        deployed_at: expect.stringMatching(ISO_UTC),
      });
      const status = resultOf<EnvironmentStatus>(await run('status', '--app-name=shop-api', '--environment=production'));
      expect(status).toMatchObject({ current_version: '1.0.0', history_count: 3, last_action: rollback });
      expect(errorOf(await run('rollback', '--app-name=shop-api', '--version=1.0.0'))).toBe(
        'cannot roll back shop-api (production) to 1.0.0: it is already the current version there.',
      );
    }),
  );

  it.concurrent('derives the next version when --version is omitted', () =>
    withLedger(async ({ run }) => {
      const versions: string[] = [];
      const deploy = async (...extra: string[]): Promise<string> => {
        const version = resultOf<LedgerRecord>(await run('deploy', '--app-name=api', ...extra)).version;
        versions.push(version);
        return version;
      };
      expect(await deploy()).toBe('1.0.0');
      expect(await deploy()).toBe('1.0.1');
      expect(await deploy('--version=1.2.9')).toBe('1.2.9');
      expect(await deploy()).toBe('1.2.10');
      resultOf(await run('rollback', '--app-name=api', '--version=1.0.1'));
      expect(await deploy()).toBe('1.2.11'); // from the last deployment, not the rollback target
      expect(await deploy('--version=1.2.10')).toBe('1.2.10'); // a redeploy
      expect(await deploy()).toBe('1.2.12'); // 1.2.11 was deployed already: skipped
      expect(await deploy('--environment=staging')).toBe('1.0.0'); // per environment
      expect(await deploy('--version=build-a')).toBe('build-a');
      expect(errorOf(await run('deploy', '--app-name=api'))).toMatch(
        /cannot derive the next version from 'build-a': it does not end in a number\. Pass --version/,
      );
    }),
  );

  it.concurrent('rejects invalid app names and versions', () =>
    withLedger(async ({ file, run }) => {
      const [slash, dash, long, spaced, tooLong, empty] = await Promise.all([
        run('deploy', '--app-name=../etc', '--version=1.0.0'),
        run('status', '--app-name=-api'),
        run('deploy', `--app-name=${'a'.repeat(65)}`),
        run('deploy', '--app-name=api', '--version=1.0 beta'),
        run('rollback', '--app-name=api', `--version=${'9'.repeat(65)}`),
        run('deploy', '--app-name=api', '--version='),
      ]);
      expect(errorOf(slash)).toMatch(/^invalid app name '\.\.\/etc': use 1-64 characters from letters, digits/);
      expect(errorOf(dash)).toMatch(/^invalid app name '-api'/);
      expect(errorOf(long)).toMatch(/^invalid app name/);
      expect(errorOf(spaced)).toMatch(/^invalid version '1\.0 beta': versions cannot contain whitespace/);
      expect(errorOf(tooLong)).toMatch(/it is 65 characters long; use at most 64/);
      expect(errorOf(empty)).toMatch(/^invalid version: it is empty/);
      expect(existsSync(file)).toBe(false);
    }),
  );

  it.concurrent('reports a corrupt state file by name and leaves it untouched', () =>
    withLedger(async ({ file, run }) => {
      resultOf(await run('deploy', '--app-name=api', '--version=1.0.0'));
      const broken = '{"format": 1, "next_id": 2, "apps": {"api": ';
      await writeFile(file, broken);
      const [deploy, status, rollback] = await Promise.all([
        run('deploy', '--app-name=api', '--version=1.0.1'),
        run('status', '--app-name=api'),
        run('rollback', '--app-name=api', '--version=1.0.0'),
      ]);
      for (const failed of [deploy, status, rollback]) {
        const error = errorOf(failed);
        expect(error).toContain(`the devops state file ${file} is corrupt (not valid JSON`);
        expect(error).toMatch(/left unchanged/);
        expect(failed.stderr).toBe('');
      }
      expect(await readFile(file, 'utf8')).toBe(broken);

      await writeFile(file, '["not", "a", "ledger"]');
      expect(errorOf(await run('status', '--app-name=api'))).toMatch(/is corrupt \(the top level is not a JSON object\)/);
    }),
  );

  it.concurrent('records all of 16 parallel deployments', () =>
    withLedger(async ({ file, run }) => {
      const versions = Array.from({ length: 16 }, (_, i) => `4.${i}.0`);
      const runs = await Promise.all(versions.map((v) => run('deploy', '--app-name=checkout', `--version=${v}`)));
      const records = runs.map((r) => resultOf<LedgerRecord>(r));
      expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));

      const state = await readState(file);
      const env = state.apps['checkout']['production'];
      expect(env.history).toHaveLength(16);
      expect(env.history.map((r) => r.version).sort()).toEqual([...versions].sort());
      expect(env.history.map((r) => r.id)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      // Each deployment saw the one before it as previous: the chain is unbroken.
      env.history.forEach((r, i) => expect(r.previous_version).toBe(i === 0 ? null : env.history[i - 1].version));
      expect(env.current_version).toBe(env.history[15].version);
      expect(state.next_id).toBe(17);
      const status = resultOf<EnvironmentStatus>(await run('status', '--app-name=checkout', '--environment=production'));
      expect(status.history_count).toBe(16);
    }),
  );

  it.concurrent('finds its state file through DEVOPS_STATE_DIR, XDG_STATE_HOME and HOME', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devops-spec-loc-'));
    try {
      const deploy = (env: Record<string, string>): Promise<PluginRun> =>
        runPlugin('devops', ['deploy', '--app-name=api', '--version=1.0.0'], env);
      const home = path.join(dir, 'home');
      const runs = await Promise.all([
        deploy({ DEVOPS_STATE_DIR: path.join(dir, 'state-dir'), XDG_STATE_HOME: path.join(dir, 'xdg'), HOME: home }),
        deploy({ XDG_STATE_HOME: path.join(dir, 'xdg'), HOME: home }),
        deploy({ XDG_STATE_HOME: 'relative/ignored', HOME: home }),
      ]);
      runs.forEach((r) => resultOf(r));
      expect(existsSync(path.join(dir, 'state-dir', 'devops-state.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'xdg', 'sanctum-mcp', 'devops-state.json'))).toBe(true);
      expect(existsSync(path.join(home, '.local', 'state', 'sanctum-mcp', 'devops-state.json'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.concurrent('--help, <command> --help and --describe agree', async () => {
    const [help, described, ...subHelps] = await Promise.all([
      runPlugin('devops', ['--help']),
      runPlugin('devops', ['--describe']),
      runPlugin('devops', ['deploy', '--help']),
      runPlugin('devops', ['rollback', '--help']),
      runPlugin('devops', ['status', '--help']),
    ]);
    expect(help.code).toBe(0);
    const doc = JSON.parse(described.stdout) as Describe;
    expect(described.code).toBe(0);
    expect(doc.contract_version).toBe('1.1');
    expect(doc.plugin.name).toBe('devops');
    const listed = availableCommands(help.stdout);
    expect([...listed.keys()]).toEqual(['deploy', 'rollback', 'status']);
    expect(doc.commands.map((c) => c.name)).toEqual([...listed.keys()]);

    const deploy = doc.commands[0];
    expect(deploy.parameters).toEqual([
      { name: 'app-name', type: 'string', description: expect.any(String), required: true },
      {
        name: 'environment',
        type: 'string',
        description: expect.any(String),
        required: false,
        default: 'production',
        enum: ['development', 'staging', 'production'],
      },
      { name: 'version', type: 'string', description: expect.any(String), required: false },
    ]);
    expect(doc.commands[1].parameters.find((p) => p.name === 'version')?.required).toBe(true);
    expect(doc.commands[2].parameters.map((p) => p.name)).toEqual(['app-name', 'environment']);

    subHelps.forEach((sub, i) => {
      expect(sub.code).toBe(0);
      expect(sub.stdout).toContain(`usage: cli.py ${doc.commands[i].name}`);
      for (const param of doc.commands[i].parameters) expect(sub.stdout).toContain(`--${param.name}`);
    });
    expect(subHelps[0].stdout).toContain('--environment {development,staging,production}');
  });
});

describe('devops plugin: contract v1.1 resource template, prompt and completion', () => {
  it.concurrent('--describe offers the history template and the rollback-plan prompt, completed from the ledger', async () => {
    const doc = JSON.parse((await runPlugin('devops', ['--describe'])).stdout) as Describe & {
      resource_templates: Array<Record<string, unknown>>;
      prompts: Array<Record<string, unknown>>;
    };
    expect(doc.resource_templates).toEqual([
      expect.objectContaining({ uriTemplate: 'devops://apps/{app}/history', mimeType: 'application/json', command: 'history', complete: { app: { command: 'complete-app' } } }),
    ]);
    expect(doc.prompts).toEqual([expect.objectContaining({ name: 'rollback-plan', command: 'rollback-plan' })]);
  });

  it.concurrent('history prints the ledger of one application as the JSON document itself', async () => {
    await withLedger(async ({ run }) => {
      await run('deploy', '--app-name', 'shop', '--version', '1.0.0', '--environment', 'staging');
      await run('deploy', '--app-name', 'shop', '--version', '1.1.0', '--environment', 'staging');
      const history = await run('history', '--uri', 'devops://apps/shop/history', '--app', 'shop');
      expect(history.code).toBe(0);
      const doc = JSON.parse(history.stdout) as { app: string; deployed: boolean; environments: Record<string, { current_version: string; history: LedgerRecord[] }> };
      expect(doc.app).toBe('shop');
      expect(doc.environments['staging'].current_version).toBe('1.1.0');
      expect(doc.environments['staging'].history.map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
      const never = JSON.parse((await run('history', '--uri', 'devops://apps/nope/history', '--app', 'nope')).stdout) as { deployed: boolean };
      expect(never).toEqual({ app: 'nope', deployed: false, environments: {} });
    });
  });

  it.concurrent('rollback-plan names the live version, the one to return to and the command, with the history embedded', async () => {
    await withLedger(async ({ run }) => {
      for (const version of ['1.0.0', '1.1.0', '1.2.0']) await run('deploy', '--app-name', 'shop', '--version', version);
      const plan = await run('rollback-plan', '--app', 'shop');
      expect(plan.code).toBe(0);
      const { description, messages } = JSON.parse(plan.stdout) as { description: string; messages: Array<{ role: string; content: Record<string, unknown> }> };
      expect(description).toBe('Rollback plan for shop in production: 1.2.0 to 1.1.0');
      expect(messages[0].content['text']).toContain('Live now: 1.2.0. Roll back to: 1.1.0');
      expect(messages[0].content['text']).toContain('devops rollback --app-name shop --version 1.1.0 --environment production');
      expect(messages[1].content).toMatchObject({ type: 'resource', resource: { uri: 'devops://apps/shop/history', mimeType: 'application/json' } });
    });
  });

  it.concurrent('rollback-plan refuses, with the reason, an application with nothing to roll back to', async () => {
    await withLedger(async ({ run }) => {
      await run('deploy', '--app-name', 'solo', '--version', '1.0.0');
      expect(errorOf(await run('rollback-plan', '--app', 'solo'))).toContain('no earlier version to roll back to');
      expect(errorOf(await run('rollback-plan', '--app', 'ghost'))).toContain('ghost was never deployed to production');
    });
  });

  it.concurrent('complete-app lists the ledger\'s applications starting with the partial value', async () => {
    await withLedger(async ({ run }) => {
      for (const app of ['shop-api', 'shop-web', 'billing']) await run('deploy', '--app-name', app, '--version', '1.0.0');
      expect(JSON.parse((await run('complete-app', '--argument', 'app', '--value', 'sh')).stdout)).toEqual(['shop-api', 'shop-web']);
      expect(JSON.parse((await run('complete-app', '--argument', 'app', '--value', 'sh', '--environment', 'staging')).stdout)).toEqual([]);
    });
  });
});

/**
 * Input rounds (issue #19): a production deploy asks the user to confirm it when the client
 * declared elicitation; the gateway re-runs the same command with the answer and the state on
 * stdin. Failure modes pinned: a ledger written before (or without) an accepted confirmation, an
 * answer applied to another deployment than the one asked about, a client that cannot ask left
 * waiting, and staging deploys that suddenly ask.
 */
describe('devops plugin: production deploys ask the user to confirm', () => {
  const CAN_ASK = JSON.stringify({ elicitation: {}, roots: { listChanged: true } });

  /** A ledger with shop 1.0.0 live in production; `deploy` runs with the given capabilities and stdin. */
  async function withLiveShop(
    test: (ledger: { file: string; deploy: (args: string[], capabilities?: string, stdin?: string) => Promise<PluginRun> }) => Promise<void>,
  ): Promise<void> {
    await withLedger(async ({ file, run }) => {
      resultOf(await run('deploy', '--app-name=shop', '--version=1.0.0'));
      const deploy = (args: string[], capabilities?: string, stdin?: string): Promise<PluginRun> =>
        runPlugin('devops', ['deploy', '--app-name=shop', ...args], { DEVOPS_STATE_FILE: file, MCP_CLIENT_CAPABILITIES: capabilities }, 20_000, stdin);
      await test({ file, deploy });
    });
  }

  const stateFor = (version: string): Record<string, string> => ({ app: 'shop', version, environment: 'production', confirm: 'deploy' });
  const accept = (confirm: boolean): Record<string, unknown> => ({ confirm: { action: 'accept', content: { confirm } } });

  it.concurrent('asks with one elicitation naming the deployment and the live version, and writes nothing', () =>
    withLiveShop(async ({ file, deploy }) => {
      const before = await readFile(file, 'utf8');
      const asked = await deploy([], CAN_ASK);
      expect(inputRequiredOf(asked)).toEqual({
        requests: {
          confirm: {
            elicitation: {
              message: 'Deploy shop 1.0.1 to production? Live there now: 1.0.0.',
              requestedSchema: {
                type: 'object',
                properties: { confirm: { type: 'boolean', title: 'Deploy to production', description: expect.stringContaining('shop 1.0.1') } },
                required: ['confirm'],
              },
            },
          },
        },
        state: stateFor('1.0.1'),
      });
      expect(asked.stderr).toBe(''); // no progress: nothing is being deployed yet
      expect(await readFile(file, 'utf8')).toBe(before);
    }),
  );

  it.concurrent('asks about a first deployment too, saying nothing is live yet', () =>
    withLedger(async ({ file }) => {
      const asked = await runPlugin('devops', ['deploy', '--app-name=fresh', '--version=0.1.0'], { DEVOPS_STATE_FILE: file, MCP_CLIENT_CAPABILITIES: CAN_ASK });
      const request = inputRequiredOf(asked).requests['confirm']['elicitation'] as { message: string };
      expect(request.message).toBe('Deploy fresh 0.1.0 to production? Nothing of fresh is live there yet.');
      expect(existsSync(file)).toBe(false);
    }),
  );

  it.concurrent('an accepted confirmation with the matching state deploys and says it was confirmed', () =>
    withLiveShop(async ({ file, deploy }) => {
      const done = resultOf<ProductionRecord>(await deploy(['--version=2.0.0'], CAN_ASK, inputRound(accept(true), stateFor('2.0.0'))));
      expect(done).toMatchObject({ id: 2, action: 'deploy', version: '2.0.0', previous_version: '1.0.0', status: 'deployed', confirmed: true });
      expect(done.note).toBeUndefined();
      const env = (await readState(file)).apps['shop']['production'];
      expect(env.current_version).toBe('2.0.0');
      expect(env.history.map((r) => r.version)).toEqual(['1.0.0', '2.0.0']);
    }),
  );

  it.concurrent('declined, cancelled or answered "no": a clear result and not a byte written', () =>
    withLiveShop(async ({ file, deploy }) => {
      const before = await readFile(file, 'utf8');
      const answers: Array<[Record<string, unknown>, string]> = [
        [{ confirm: { action: 'decline' } }, 'the user declined'],
        [{ confirm: { action: 'cancel' } }, 'the user cancelled'],
        [accept(false), 'the user declined'],
      ];
      for (const [responses, reason] of answers) {
        const run = await deploy([], CAN_ASK, inputRound(responses, stateFor('1.0.1')));
        expect(resultOf(run)).toEqual({ deployed: false, app: 'shop', version: '1.0.1', environment: 'production', reason });
        expect(run.stderr).toBe('');
      }
      expect(await readFile(file, 'utf8')).toBe(before);
    }),
  );

  it.concurrent('refuses an answer whose state is missing or names another deployment', () =>
    withLiveShop(async ({ file, deploy }) => {
      const before = await readFile(file, 'utf8');
      const refusals = await Promise.all([
        // A 2026-07-28 client may send inputResponses without a requestState: no question was asked.
        deploy(['--version=2.0.0'], CAN_ASK, inputRound(accept(true), null)),
        deploy(['--version=2.0.0'], CAN_ASK, inputRound(accept(true), stateFor('1.9.9'))),
        deploy(['--version=2.0.0', '--environment=production'], CAN_ASK, inputRound(accept(true), { ...stateFor('2.0.0'), app: 'billing' })),
        deploy(['--version=2.0.0'], CAN_ASK, inputRound(accept(true), 'opaque')),
      ]);
      expect(errorOf(refusals[0])).toBe(
        'the confirmation does not match this deployment (shop 2.0.0 to production): it came without the state of a question this plugin asked. Nothing was deployed; call deploy again to be asked afresh.',
      );
      for (const refused of refusals.slice(1)) expect(errorOf(refused)).toMatch(/^the confirmation does not match this deployment \(shop 2\.0\.0 to production\): it was given for /);
      expect(await readFile(file, 'utf8')).toBe(before);
    }),
  );

  it.concurrent('refuses a confirmation of a derived version once another deployment changed it', () =>
    withLiveShop(async ({ file, deploy }) => {
      const asked = inputRequiredOf(await deploy([], CAN_ASK));
      expect(asked.state).toEqual(stateFor('1.0.1'));
      resultOf(await deploy(['--environment=production', '--version=1.0.1'])); // someone else deploys 1.0.1 meanwhile
      const late = await deploy([], CAN_ASK, inputRound(accept(true), asked.state));
      expect(errorOf(late)).toMatch(/^the confirmation does not match this deployment \(shop 1\.0\.2 to production\)/);
      expect((await readState(file)).apps['shop']['production'].history).toHaveLength(2);
    }),
  );

  it.concurrent('an answer that is no ElicitResult, or the client\'s error, deploys nothing and says why', () =>
    withLiveShop(async ({ file, deploy }) => {
      const before = await readFile(file, 'utf8');
      const [wrongKey, clientError, junk] = await Promise.all([
        deploy([], CAN_ASK, inputRound({ other: { action: 'accept', content: { confirm: true } } }, stateFor('1.0.1'))),
        deploy([], CAN_ASK, inputRound({ confirm: { error: { code: -32600, message: 'elicitation refused' } } }, stateFor('1.0.1'))),
        deploy([], CAN_ASK, 'not json'),
      ]);
      expect(errorOf(wrongKey)).toMatch(/no confirmation under 'confirm'.*Nothing was deployed/);
      expect(errorOf(clientError)).toBe('the client could not ask the user to confirm the deployment (elicitation refused). Nothing was deployed.');
      expect(errorOf(junk)).toMatch(/^stdin does not hold the answers of an input round \(not JSON/);
      expect(await readFile(file, 'utf8')).toBe(before);
    }),
  );

  it.concurrent('a client without elicitation gets the deployment, marked unconfirmed', () =>
    withLiveShop(async ({ file, deploy }) => {
      const [none, samplingOnly, unreadable] = await Promise.all([
        deploy(['--version=2.0.0'], '{}'),
        deploy(['--version=2.1.0'], JSON.stringify({ sampling: {} })),
        deploy(['--version=2.2.0'], 'not json'),
      ]);
      for (const run of [none, samplingOnly, unreadable]) {
        expect(resultOf<ProductionRecord>(run)).toMatchObject({ status: 'deployed', confirmed: false, note: expect.stringContaining('declared no elicitation capability') });
      }
      expect((await readState(file)).apps['shop']['production'].history).toHaveLength(4);
    }),
  );

  it.concurrent('staging and development never ask, even when the client could', () =>
    withLiveShop(async ({ file, deploy }) => {
      for (const environment of ['staging', 'development']) {
        const record = resultOf<LedgerRecord & { confirmed?: boolean }>(await deploy([`--environment=${environment}`, '--version=3.0.0'], CAN_ASK));
        expect(record).toMatchObject({ environment, version: '3.0.0', status: 'deployed' });
        expect('confirmed' in record).toBe(false);
      }
      expect(Object.keys((await readState(file)).apps['shop'])).toEqual(['production', 'staging', 'development']);
    }),
  );

  it.concurrent('--describe and deploy --help say production deploys ask for confirmation', async () => {
    const [described, help] = await Promise.all([runPlugin('devops', ['--describe']), runPlugin('devops', ['deploy', '--help'])]);
    const deploy = (JSON.parse(described.stdout) as Describe).commands.find((c) => c.name === 'deploy');
    expect(deploy?.description).toMatch(/production asks the user to confirm it first when the client can answer \(elicitation\)/);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('production asks the user to confirm it first when the client can answer (elicitation)');
  });
});
