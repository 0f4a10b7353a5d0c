import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { CallToolResult, InputRequired } from '@sanctum/protocol';
import { ExecutorModule } from './executor.module';
import { ExecutorService } from './executor.service';
import type { InputObtainer, PluginCommandTarget } from './executor.service';
import { inputDocument, readInputRequired } from './input-rounds';
import { resolvePython } from './interpreter';
import type { RunResult } from './runner';

// A plugin that asks for a name (elicitation) until its stdin brings one; `rounds` asks N times,
// keeping a counter in its state; `never` asks forever; `echo` prints what stdin and the env gave it.
const ASKER = String.raw`
import json, os, sys
command = sys.argv[1]
data = sys.stdin.read()
given = json.loads(data) if data.strip() else None
def ask(state):
    print(json.dumps({"input_required": {"requests": {"name": {"elicitation": {"message": "Name?", "requestedSchema": {"type": "object"}}}}, "state": state}}))
if command == "hello":
    if given is None:
        ask({"asked": True})
    else:
        print(json.dumps({"result": {"hello": given["responses"]["name"]["content"]["name"], "state": given["state"]}}))
elif command == "rounds":
    n = (given or {}).get("state") or 0
    if n < 3:
        ask(n + 1)
    else:
        print(json.dumps({"result": {"rounds": n}}))
elif command == "never":
    ask(None)
elif command == "echo":
    print(json.dumps({"result": {"stdin": data, "caps": os.environ.get("MCP_CLIENT_CAPABILITIES")}}))
`;

function run(stdout: string, extra: Partial<RunResult> = {}): RunResult {
  return { exitCode: 0, signal: null, stdout, stderr: '', timedOut: false, cancelled: false, stdoutTruncated: false, stderrTruncated: false, durationMs: 1, ...extra };
}

describe('readInputRequired', () => {
  const asked = { input_required: { requests: { ok: { elicitation: { message: 'Sure?' } } }, state: { step: 1 } } };

  it('reads the requests and the state a plugin asks with', () => {
    expect(readInputRequired(run(JSON.stringify(asked)))).toEqual({ requests: { ok: { kind: 'elicitation', params: { message: 'Sure?' } } }, state: { step: 1 } });
    expect(readInputRequired(run(' {"input_required": {"requests": {"r": {"roots": {}}}}}\n'))).toEqual({ requests: { r: { kind: 'roots', params: {} } }, state: null });
  });

  it('leaves every other output to the result mapping (a result, an error, a failed or cut run)', () => {
    expect(readInputRequired(run('{"result": {"input_required": 1}}'))).toBeUndefined();
    expect(readInputRequired(run('plain text'))).toBeUndefined();
    expect(readInputRequired(run(JSON.stringify(asked), { exitCode: 1 }))).toBeUndefined();
    expect(readInputRequired(run(JSON.stringify(asked), { stdoutTruncated: true }))).toBeUndefined();
  });

  it.each([
    ['{"input_required": ', 'not valid JSON'],
    ['{"input_required": {"requests": {}}}', 'at least one request'],
    ['{"input_required": {"requests": {"a": {"elicitation": {}, "sampling": {}}}}}', 'exactly one of elicitation, sampling, roots'],
    ['{"input_required": {"requests": {"a": {"telepathy": {}}}}}', 'exactly one of'],
    ['{"input_required": {"requests": {"a b": {"roots": {}}}}}', 'must be 1 to 64 of'],
    ['{"input_required": {"requests": {"a": {"sampling": "hi"}}}}', '"sampling" must be an object'],
    ['{"input_required": {"requests": {"a": {"roots": {}}}, "stat": 1}}', 'unknown field stat'],
    ['{"input_required": {"requests": {"a": {"roots": {}}}}, "result": 2}', 'the only field'],
    ['{"error": null, "input_required": {"requests": {"a": {"roots": {}}}}}', 'the only field'],
  ])('names what is wrong with %s', (stdout, problem) => {
    const read = readInputRequired(run(stdout));
    expect(read).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('refuses more than 16 requests in one round', () => {
    const requests = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, { roots: {} }]));
    expect(readInputRequired(run(JSON.stringify({ input_required: { requests } })))).toEqual({ problem: expect.stringContaining('at most 16') });
  });

  it('writes the re-run document with a null state when the plugin gave none', () => {
    expect(JSON.parse(inputDocument({ responses: { a: { action: 'decline' } }, state: undefined }))).toEqual({ responses: { a: { action: 'decline' } }, state: null });
  });
});

describe.each([
  ['spawned', false],
  ['with the fork server', true],
])('ExecutorService input rounds (%s)', (_label, forkServer) => {
  let service: ExecutorService;
  let dir: string;
  const target = (command: string): PluginCommandTarget => ({
    label: `asker.${command}`,
    entryPath: join(dir, 'cli.py'),
    cwd: dir,
    command,
    parameters: [],
    inputSchema: { type: 'object', properties: {} },
  });

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'input-rounds-')));
    writeFileSync(join(dir, 'cli.py'), ASKER);
    const moduleRef = await Test.createTestingModule({
      imports: [ExecutorModule.forRoot({ python: resolvePython(), timeoutMs: 10_000, forkServer })],
    }).compile();
    service = moduleRef.get(ExecutorService);
    await service.startForkServer();
  });

  afterAll(async () => {
    await service.onModuleDestroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the command again with the answers and the state on stdin, stdin empty on the first run', async () => {
    const seen: Array<{ asked: InputRequired; round: number }> = [];
    const obtain: InputObtainer = async (asked, round) => {
      seen.push({ asked, round });
      return { responses: { name: { action: 'accept', content: { name: 'Ada' } } } };
    };
    const outcome = await service.executeInteractive(target('hello'), {}, { maxRounds: 8 }, obtain);
    expect(outcome.result.structuredContent).toEqual({ hello: 'Ada', state: { asked: true } });
    expect(seen).toEqual([{ asked: { requests: { name: { kind: 'elicitation', params: { message: 'Name?', requestedSchema: { type: 'object' } } } }, state: { asked: true } }, round: 1 }]);
    const first = await service.execute(target('echo'), {}, { env: { MCP_CLIENT_CAPABILITIES: '{"sampling":{}}' } });
    expect(first.result.structuredContent).toEqual({ stdin: '', caps: '{"sampling":{}}' });
  });

  it('goes on for several rounds, numbering them', async () => {
    const rounds: number[] = [];
    const outcome = await service.executeInteractive(target('rounds'), {}, { maxRounds: 8 }, async (_asked, round) => {
      rounds.push(round);
      return { responses: { name: { action: 'accept' } } };
    });
    expect(outcome.result.structuredContent).toEqual({ rounds: 3 });
    expect(rounds).toEqual([1, 2, 3]);
  });

  it('ends a plugin that keeps asking after MCP_INPUT_ROUNDS rounds with a plugin_error', async () => {
    let asked = 0;
    const outcome = await service.executeInteractive(target('never'), {}, { maxRounds: 2 }, async () => {
      asked++;
      return { responses: {} };
    });
    expect(asked).toBe(2);
    expect(outcome.result.isError).toBe(true);
    expect(outcome.result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('after 2 rounds of answers (MCP_INPUT_ROUNDS)') });
  });

  it('ends the call with the obtainer result, or suspends it with the round to answer', async () => {
    const ended: CallToolResult = { content: [{ type: 'text', text: 'not asked' }], isError: true };
    const byResult = await service.executeInteractive(target('hello'), {}, { maxRounds: 8 }, async () => ({ result: ended }));
    expect(byResult.result).toBe(ended);
    const suspended = await service.executeInteractive(target('rounds'), {}, { maxRounds: 8, round: 1, input: { responses: {}, state: 1 } }, async () => 'suspend');
    expect(suspended.suspended).toEqual({ asked: { requests: { name: expect.objectContaining({ kind: 'elicitation' }) }, state: 2 }, round: 2 });
  });

  it('fails a malformed ask as a plugin_error instead of passing it on', async () => {
    writeFileSync(join(dir, 'bad.py'), 'print(\'{"input_required": {"requests": {"x": {"sampling": 1}}}}\')\n');
    const outcome = await service.execute({ ...target('bad'), entryPath: join(dir, 'bad.py') }, {});
    expect(outcome.inputRequired).toBeUndefined();
    expect(outcome.result.structuredContent).toEqual({ error: { code: 'plugin_error', message: expect.stringContaining('asker.bad asked for input in a way the gateway cannot use') } });
  });
});
