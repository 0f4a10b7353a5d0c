import type { CallToolResult } from '@sanctum/protocol';
import { STDERR_EXCERPT_CHARS, mapRunResult, toolResultFromValue } from './result';
import type { RunResult } from './runner';

const LABEL = 'demo.run';

function run(overrides: Partial<RunResult> = {}): RunResult {
  return {
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    cancelled: false,
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: 12,
    ...overrides,
  };
}

function errorOf(result: CallToolResult): { code: unknown; message: unknown } | undefined {
  const error = result.structuredContent?.['error'];
  if (typeof error !== 'object' || error === null) return undefined;
  return { code: Reflect.get(error, 'code'), message: Reflect.get(error, 'message') };
}

function textOf(result: CallToolResult): string {
  expect(result.content).toHaveLength(1);
  const [block] = result.content;
  if (block.type !== 'text') throw new Error(`expected a text block, got ${block.type}`);
  return block.text;
}

describe('mapRunResult: successful output', () => {
  it.each<[string, string, string]>([
    ['{"result": "text"} as that text', '{"result": "hello\\nworld"}', 'hello\nworld'],
    ['{"result": [1,2]} as pretty JSON text', '{"result": [1, 2]}', JSON.stringify([1, 2], null, 2)],
    ['{"result": 42} as text', '{"result": 42}', '42'],
    ['{"result": true} as text', '{"result": true}', 'true'],
    ['{"result": null} as text', '{"result": null}', 'null'],
    ['{"result": ...} surrounded by whitespace', '\n  {"result": "padded"}  \n', 'padded'],
    ['non-JSON stdout verbatim', '  plain output\nsecond line\n', '  plain output\nsecond line\n'],
    ['broken JSON verbatim', '{"result": ', '{"result": '],
    ['a JSON array verbatim', '[1, 2, 3]\n', '[1, 2, 3]\n'],
    ['{"error": null, "result": x} as the result', '{"error": null, "result": "fine"}', 'fine'],
    ['empty stdout as empty text', '', ''],
  ])('maps %s', (_name, stdout, text) => {
    const result = mapRunResult(run({ stdout }), LABEL);
    expect(textOf(result)).toBe(text);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toBeUndefined();
  });

  it('maps {"result": {...}} to pretty JSON text and structuredContent', () => {
    const value = { name: 'Ada', tags: ['a', 'b'], nested: { n: 1 } };
    const result = mapRunResult(run({ stdout: JSON.stringify({ result: value }) }), LABEL);
    expect(textOf(result)).toBe(JSON.stringify(value, null, 2));
    expect(result.structuredContent).toEqual(value);
    expect(result.isError).toBeFalsy();
  });

  it.each<[string, Record<string, unknown>]>([
    ['a v3.1 success with fields beside result', { ok: true, result: 5, a: 2, b: 3 }],
    ['{"ok": true, "result": x} (ok is a field too)', { ok: true, result: 'x' }],
    ['an object without result/content/error', { other: 1, nested: { list: [1, 'two'] } }],
    ['{"error": null} with other fields', { error: null, status: 'idle' }],
    ['result beside content blocks', { result: 1, content: [{ type: 'text', text: 'caption' }] }],
  ])('maps %s to pretty JSON text and structuredContent of every field', (_name, output) => {
    const result = mapRunResult(run({ stdout: `${JSON.stringify(output)}\n` }), LABEL);
    expect(result).toEqual({ content: [{ type: 'text', text: JSON.stringify(output, null, 2) }], structuredContent: output });
  });

  it('passes through valid MCP content blocks', () => {
    const content = [
      { type: 'text', text: 'caption' },
      { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
      { type: 'resource_link', uri: 'file:///tmp/x.txt', name: 'x.txt' },
      { type: 'resource', resource: { uri: 'file:///tmp/y.txt', text: 'y' } },
    ];
    const result = mapRunResult(run({ stdout: JSON.stringify({ content }) }), LABEL);
    expect(result).toEqual({ content });
  });

  it.each<[string, unknown]>([
    ['an unknown block type', [{ type: 'video', data: 'x' }]],
    ['a text block without text', [{ type: 'text' }]],
    ['an image block without mimeType', [{ type: 'image', data: 'abc' }]],
    [
      'one bad block among good ones',
      [
        { type: 'text', text: 'ok' },
        { type: 'image', data: 1, mimeType: 'image/png' },
      ],
    ],
    ['a resource without uri', [{ type: 'resource', resource: { text: 'y' } }]],
    ['an empty list', []],
    ['a non-list', { type: 'text', text: 'x' }],
  ])('treats {"content": ...} with %s as any other object', (_name, content) => {
    const result = mapRunResult(run({ stdout: JSON.stringify({ content }) }), LABEL);
    expect(result).toEqual({ content: [{ type: 'text', text: JSON.stringify({ content }, null, 2) }], structuredContent: { content } });
  });
});

describe('mapRunResult: failures', () => {
  it.each<[string, Partial<RunResult>, string, RegExp | string]>([
    ['{"error": "msg"} with exit 1', { exitCode: 1, stdout: '{"error": "msg"}' }, 'plugin_error', 'msg'],
    ['{"error": "msg"} with exit 0', { exitCode: 0, stdout: '{"error": "msg"}\n' }, 'plugin_error', 'msg'],
    ['{"error": {"message": "m"}}', { exitCode: 1, stdout: '{"error": {"message": "m"}}' }, 'plugin_error', 'm'],
    ['{"error": {...}} without a message as JSON', { exitCode: 1, stdout: '{"error": {"code": 7}}' }, 'plugin_error', '{"code":7}'],
    [
      'a non-zero exit with stderr',
      { exitCode: 2, stdout: '', stderr: 'Traceback: boom\n' },
      'plugin_error',
      `${LABEL} exited with code 2: Traceback: boom`,
    ],
    [
      'a non-zero exit with stderr and a JSON result',
      { exitCode: 3, stdout: '{"result": "x"}', stderr: 'bad' },
      'plugin_error',
      `${LABEL} exited with code 3: bad`,
    ],
    [
      'a non-zero exit with only stdout',
      { exitCode: 4, stdout: 'usage: cli ...\n' },
      'plugin_error',
      `${LABEL} exited with code 4: usage: cli ...`,
    ],
    ['a non-zero exit printing nothing', { exitCode: 5 }, 'plugin_error', `${LABEL} exited with code 5 and printed nothing.`],
    ['a kill by signal', { exitCode: null, signal: 'SIGKILL', stderr: 'oom' }, 'plugin_error', `${LABEL} was killed by SIGKILL: oom`],
    [
      'a kill by an unknown signal',
      { exitCode: null, signal: null },
      'plugin_error',
      `${LABEL} was killed by a signal and printed nothing.`,
    ],
    ['a spawn error', { exitCode: null, spawnError: 'spawn python3 ENOENT' }, 'internal_error', /spawn python3 ENOENT/],
    [
      'a run the gateway lost (fork server died), whatever was read',
      {
        exitCode: null,
        stdout: '{"result": "x"}',
        timedOut: true,
        internalError: 'the Python fork server failed while the call was running (it was killed by SIGKILL)',
      },
      'internal_error',
      /^demo\.run did not finish: the Python fork server failed while the call was running \(it was killed by SIGKILL\); the plugin's processes were killed\.$/,
    ],
    ['a cancellation', { exitCode: null, signal: 'SIGTERM', cancelled: true }, 'cancelled', /cancelled/],
    ['truncated stdout', { exitCode: 0, stdout: '{"result": "x"}', stdoutTruncated: true }, 'plugin_error', /truncated/],
    [
      'stdout past its cap',
      {
        exitCode: null,
        signal: 'SIGTERM',
        stdout: '{"result": "x"}',
        stdoutTruncated: true,
        outputLimit: { stream: 'stdout', limitBytes: 10 * 1024 * 1024 },
      },
      'plugin_error',
      /^demo\.run printed more than 10 MiB on stdout; the output was truncated at 10485760 bytes and the plugin's processes were killed\.$/,
    ],
    [
      'stderr past its cap',
      { exitCode: null, signal: 'SIGTERM', stderrTruncated: true, outputLimit: { stream: 'stderr', limitBytes: 1000 } },
      'plugin_error',
      /more than 1000 bytes on stderr; the output was truncated at 1000 bytes/,
    ],
  ])('maps %s', (_name, overrides, code, message) => {
    const result = mapRunResult(run(overrides), LABEL);
    expect(result.isError).toBe(true);
    const error = errorOf(result);
    expect(error?.code).toBe(code);
    if (typeof message === 'string') expect(error?.message).toBe(message);
    else expect(error?.message).toMatch(message);
    expect(textOf(result)).toBe(error?.message);
  });

  it('keeps the other fields of a v3.1 error in the text and in structuredContent.error', () => {
    const stdout = '{"ok": false, "error": "invalid_operation", "hint": "use add, sub, mul or div"}\n';
    const result = mapRunResult(run({ exitCode: 1, stdout }), LABEL);
    expect(result).toEqual({
      content: [{ type: 'text', text: 'invalid_operation\n{\n  "ok": false,\n  "hint": "use add, sub, mul or div"\n}' }],
      structuredContent: { error: { ok: false, hint: 'use add, sub, mul or div', code: 'plugin_error', message: 'invalid_operation' } },
      isError: true,
    });
    expect(mapRunResult(run({ exitCode: 0, stdout }), LABEL)).toEqual(result);
  });

  it("keeps an error object's fields beside its message, the gateway's code winning in structuredContent", () => {
    const result = mapRunResult(run({ exitCode: 1, stdout: '{"error": {"message": "m", "code": 7, "retry": true}, "attempt": 2}' }), LABEL);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('m\n{\n  "attempt": 2,\n  "code": 7,\n  "retry": true\n}');
    expect(result.structuredContent).toEqual({ error: { attempt: 2, retry: true, code: 'plugin_error', message: 'm' } });
  });

  it('gives a plugin field named code or message only in the text', () => {
    const result = mapRunResult(run({ exitCode: 1, stdout: '{"error": "denied", "code": "E42", "message": "ask an admin"}' }), LABEL);
    expect(textOf(result)).toBe('denied\n{\n  "code": "E42",\n  "message": "ask an admin"\n}');
    expect(result.structuredContent).toEqual({ error: { code: 'plugin_error', message: 'denied' } });
  });

  it.each<[number | undefined, RegExp]>([
    [5000, /after 5 s/],
    [1500, /after 1\.5 s/],
    [300_000, /after 300 s/],
  ])('maps a timeout (timeoutMs %p) to code timeout mentioning the seconds', (timeoutMs, seconds) => {
    const result = mapRunResult(run({ exitCode: null, signal: 'SIGTERM', timedOut: true }), LABEL, timeoutMs);
    expect(result.isError).toBe(true);
    expect(errorOf(result)?.code).toBe('timeout');
    expect(errorOf(result)?.message).toMatch(seconds);
    expect(errorOf(result)?.message).toContain(LABEL);
  });

  it('maps a timeout without a known limit', () => {
    const result = mapRunResult(run({ exitCode: null, timedOut: true }), LABEL);
    expect(errorOf(result)?.code).toBe('timeout');
    expect(errorOf(result)?.message).toMatch(/timed out/);
  });

  it('prefers spawn error over timeout, timeout over cancellation', () => {
    expect(errorOf(mapRunResult(run({ spawnError: 'x', timedOut: true, cancelled: true }), LABEL))?.code).toBe('internal_error');
    expect(errorOf(mapRunResult(run({ timedOut: true, cancelled: true }), LABEL, 1000))?.code).toBe('timeout');
  });

  it('caps a long stderr excerpt, keeping its end', () => {
    const stderr = `${'x'.repeat(STDERR_EXCERPT_CHARS * 3)}THE END`;
    const message = errorOf(mapRunResult(run({ exitCode: 1, stderr }), LABEL))?.message;
    expect(typeof message).toBe('string');
    const text = String(message);
    expect(text.endsWith('THE END')).toBe(true);
    expect(text).toContain(`…${stderr.slice(-STDERR_EXCERPT_CHARS)}`);
    expect(text.length).toBeLessThanOrEqual(`${LABEL} exited with code 1: …`.length + STDERR_EXCERPT_CHARS);
  });

  it('quotes a stderr of exactly the cap without an ellipsis', () => {
    const stderr = 'y'.repeat(STDERR_EXCERPT_CHARS);
    expect(errorOf(mapRunResult(run({ exitCode: 1, stderr }), LABEL))?.message).toBe(`${LABEL} exited with code 1: ${stderr}`);
  });
});

describe('toolResultFromValue: one mapping for a provider tool and a plugin', () => {
  // A provider tool returning v and a plugin printing {"result": v} must give the same result.
  it.each<[string, unknown, CallToolResult]>([
    [
      'an object',
      { name: 'Ada', tags: ['a'] },
      {
        content: [{ type: 'text', text: '{\n  "name": "Ada",\n  "tags": [\n    "a"\n  ]\n}' }],
        structuredContent: { name: 'Ada', tags: ['a'] },
      },
    ],
    ['an array', [1, 'two', { three: 3 }], { content: [{ type: 'text', text: '[\n  1,\n  "two",\n  {\n    "three": 3\n  }\n]' }] }],
    ['a string', 'hello\nworld', { content: [{ type: 'text', text: 'hello\nworld' }] }],
    ['a number', 42.5, { content: [{ type: 'text', text: '42.5' }] }],
    ['a boolean', false, { content: [{ type: 'text', text: 'false' }] }],
    ['null', null, { content: [{ type: 'text', text: 'null' }] }],
    [
      'an object holding "result"',
      { result: 'x' },
      { content: [{ type: 'text', text: '{\n  "result": "x"\n}' }], structuredContent: { result: 'x' } },
    ],
  ])('maps %s the same way from both', (_name, value, expected) => {
    const fromProvider = toolResultFromValue(value);
    const fromPlugin = mapRunResult(run({ stdout: `${JSON.stringify({ result: value })}\n` }), LABEL);
    expect(fromProvider).toEqual(expected);
    expect(fromPlugin).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a v3.1 success object', { ok: true, result: 5, a: 2, b: 3 }],
    ['an object without result', { status: 'deployed', version: '3.1.4' }],
  ])('maps %s printed bare like a provider tool returning it', (_name, value) => {
    expect(mapRunResult(run({ stdout: JSON.stringify(value) }), LABEL)).toEqual(toolResultFromValue(value));
  });

  it('gives a provider tool that returns nothing the empty text of a plugin that prints nothing', () => {
    expect(toolResultFromValue(undefined)).toEqual({ content: [{ type: 'text', text: '' }] });
    expect(toolResultFromValue(undefined)).toEqual(mapRunResult(run({ stdout: '' }), LABEL));
  });
});

describe('integers beyond 2^53 in a result keep their digits', () => {
  const BIG = '123456789012345678901234567890';

  it('in a plugin\'s {"result": ...}: structuredContent holds a bigint, the text the digits (the failure: 1.2345678901234568e+29)', () => {
    const result = mapRunResult(run({ stdout: `{"result": {"order": ${BIG}, "price": 1.5}}` }), 'shop.order');
    expect(result.structuredContent).toEqual({ order: BigInt(BIG), price: 1.5 });
    expect(result.content).toEqual([{ type: 'text', text: `{\n  "order": ${BIG},\n  "price": 1.5\n}` }]);
  });

  it('in a bare value and in an error object\'s other fields', () => {
    expect(mapRunResult(run({ stdout: `{"result": ${BIG}}` }), 'shop.order').content).toEqual([{ type: 'text', text: BIG }]);
    const failed = mapRunResult(run({ stdout: `{"error": "no such order", "order": ${BIG}}`, exitCode: 1 }), 'shop.order');
    expect(failed.content).toEqual([{ type: 'text', text: `no such order\n{\n  "order": ${BIG}\n}` }]);
    expect(failed.structuredContent).toMatchObject({ error: { order: BigInt(BIG), code: 'plugin_error' } });
  });

  it('in a provider tool\'s bigint value (the failure: JSON.stringify throws, an internal_error)', () => {
    expect(toolResultFromValue({ id: BigInt(BIG) })).toEqual({ content: [{ type: 'text', text: `{\n  "id": ${BIG}\n}` }], structuredContent: { id: BigInt(BIG) } });
  });
});
