// Property-based fuzzing of the one dispatcher behind every transport, built by the real app.
// Whatever arrives (any text, any JSON, malformed and valid JSON-RPC mixed, batches, deep
// nesting), parsePayload + handlePayload never throw and answer exactly what JSON-RPC 2.0 owes:
// nothing for notifications and responses, otherwise one well-formed response per owed item,
// with the request's id (or null when it cannot be known) and exactly one of result / error.
// The expected answer is computed by an oracle written from the specification, not from the code;
// it reads ids with lossless-json (every number keeps its text), so an id must come back on the
// wire (stringifyExact) with the very digits it was sent with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isLosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { MAX_JSON_DEPTH, parsePayload, stringifyExact } from '@sanctum/protocol';
import { Session } from '@sanctum/sessions';
import { McpDispatcher } from '../src/app/mcp/mcp-dispatcher.service';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const NUM_RUNS = 300;

type Id = string | bigint | null;
/** What the server owes for one item: nothing, or a response carrying this id. */
type Owed = { kind: 'nothing' } | { kind: 'response'; id: Id; invalid: boolean };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PLAIN_INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * JSON-RPC ids: strings or numbers; MCP narrows numbers to integers and forbids null; an id is
 * echoed as sent, so an integer must be written in plain digits (any number of them, not -0).
 * `value` is as lossless-json reads it. The id as the oracle compares it, or undefined.
 */
function validId(value: unknown): string | bigint | undefined {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value) && PLAIN_INTEGER.test(value.toString()) && value.toString() !== '-0') return BigInt(value.toString());
  return undefined;
}

/** A response's id as the oracle compares it: a number must be a safe integer. */
function answeredId(value: unknown): Id | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}

const show = (value: unknown): string => stringifyExact(value);

/** Depth of the deepest container (the root counts 1; scalars add nothing). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    max = Math.max(max, depth);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/** The oracle for one decoded item, from JSON-RPC 2.0 (and MCP's named params); `exact` is the same item read by lossless-json. */
function owedFor(item: unknown, exact: unknown): Owed {
  const invalid = (id: Id): Owed => ({ kind: 'response', id, invalid: true });
  if (!isPlainObject(item) || !isPlainObject(exact)) return invalid(null);
  const knownId = validId(exact['id']) ?? null;
  if (item['jsonrpc'] !== '2.0') return invalid(knownId);
  if ('method' in item) {
    const method = item['method'];
    if (typeof method !== 'string' || method === '') return invalid(knownId);
    // A request's id must be a string or an integer, whatever else the object carries.
    if ('id' in item && validId(exact['id']) === undefined) return invalid(null);
    const params = item['params'];
    if (params !== undefined && !isPlainObject(params)) return invalid(knownId);
    return 'id' in item ? { kind: 'response', id: knownId, invalid: false } : { kind: 'nothing' };
  }
  // A response from the client: JSON-RPC never answers a response.
  if ('result' in item || 'error' in item) return { kind: 'nothing' };
  return invalid(knownId);
}

/** The oracle for a whole text: null, one response, or an array of responses. */
function expectedFor(text: string): { batch: boolean; owed: Array<Extract<Owed, { kind: 'response' }>>; code?: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { batch: false, owed: [{ kind: 'response', id: null, invalid: true }], code: -32700 };
  }
  if (depthOf(raw) > MAX_JSON_DEPTH) return { batch: false, owed: [{ kind: 'response', id: null, invalid: true }], code: -32600 };
  const exact = parseLossless(text, null, { onDuplicateKey: ({ newValue }) => newValue });
  if (Array.isArray(raw) && Array.isArray(exact)) {
    if (raw.length === 0) return { batch: false, owed: [{ kind: 'response', id: null, invalid: true }], code: -32600 };
    return { batch: true, owed: raw.map((item, i) => owedFor(item, exact[i])).filter((o): o is Extract<Owed, { kind: 'response' }> => o.kind === 'response') };
  }
  const owed = owedFor(raw, exact);
  return { batch: false, owed: owed.kind === 'response' ? [owed] : [] };
}

/** A well-formed JSON-RPC 2.0 response object, as the wire needs it. */
function checkResponse(response: unknown, expected: Extract<Owed, { kind: 'response' }>, code?: number): void {
  if (!isPlainObject(response)) throw new Error(`response is not an object: ${show(response)}`);
  if (response['jsonrpc'] !== '2.0') throw new Error(`jsonrpc is not "2.0": ${show(response)}`);
  if (!('id' in response)) throw new Error(`response has no id: ${show(response)}`);
  const id = answeredId(response['id']);
  if (id === undefined) throw new Error(`response id is neither a string, an exact integer nor null: ${show(response)}`);
  if (id !== expected.id) throw new Error(`response id ${show(id)} does not match ${show(expected.id)}`);
  const hasResult = 'result' in response;
  const hasError = 'error' in response;
  if (hasResult === hasError) throw new Error(`response must have exactly one of result/error: ${show(response)}`);
  if (hasError) {
    const error = response['error'];
    if (!isPlainObject(error) || !Number.isInteger(error['code']) || typeof error['message'] !== 'string') {
      throw new Error(`malformed error object: ${show(response)}`);
    }
    if (expected.invalid && error['code'] !== (code ?? -32600)) {
      throw new Error(`expected error ${code ?? -32600}, got ${show(response)}`);
    }
  } else if (expected.invalid) {
    throw new Error(`an invalid message got a result: ${show(response)}`);
  }
  // Must survive the wire, the id with the digits it was sent with.
  const wire = parseLossless(stringifyExact(response)) as Record<string, unknown>;
  const wireId = wire['id'];
  const sent = expected.id === null || typeof expected.id === 'string' ? expected.id : expected.id.toString();
  if ((isLosslessNumber(wireId) ? wireId.toString() : wireId) !== sent) throw new Error(`the id went out as ${show(wireId)}, sent as ${sent}`);
}

// ---- arbitraries --------------------------------------------------------------------------

const absent = fc.constant(undefined);
/** Integers of up to 40 digits: most beyond 2^53, where JSON.parse would round them. */
const bigIdArb = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });
const idArb = fc.oneof(fc.integer(), bigIdArb, fc.string({ maxLength: 8 }), fc.constant(null), fc.double(), fc.boolean(), fc.constant({}), fc.constant([1]), absent);
const methodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized', 'notifications/cancelled') },
  { weight: 1, arbitrary: fc.constantFrom('', 'resources/list', 'prompts/get', 'rpc.discover', 'tools/call/', '__proto__', 'constructor') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.constant({}), fc.constant(['ping'])) },
);
const toolNameArb = fc.oneof(
  fc.constantFrom('gateway__status', 'gateway.status', 'nope__nothing', '', 'a'.repeat(300), '__proto__', '../../etc/passwd'),
  fc.string({ maxLength: 16 }),
  fc.integer(),
  fc.constant(null),
);
const paramsObjectArb = fc.record(
  {
    name: toolNameArb,
    arguments: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 2 }), absent),
    protocolVersion: fc.oneof(fc.constantFrom('2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '1999-01-01'), fc.string({ maxLength: 10 }), fc.integer()),
    clientInfo: fc.oneof(fc.record({ name: fc.string(), version: fc.string() }), fc.jsonValue({ maxDepth: 1 })),
    requestId: idArb,
    reason: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    _meta: fc.oneof(fc.record({ traceparent: fc.oneof(fc.constant('00-0123456789abcdef0123456789abcdef-0123456789abcdef-01'), fc.string()) }), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);
const paramsArb = fc.oneof({ weight: 4, arbitrary: paramsObjectArb }, { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })) }, { weight: 1, arbitrary: absent });

/** Objects with JSON-RPC fields, each valid or not: requests, notifications, responses, junk. */
const messageArb = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 5, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.constantFrom('1.0', '2', 2, null) }),
    id: idArb,
    method: methodArb,
    params: paramsArb,
    result: fc.jsonValue({ maxDepth: 2 }),
    error: fc.oneof(fc.record({ code: fc.integer(), message: fc.string() }), fc.jsonValue({ maxDepth: 1 })),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

/** Mostly well-formed messages, so the properties reach the handlers and not only the parser. */
const wellFormedArb = fc.oneof(
  fc.record(
    {
      jsonrpc: fc.constant('2.0' as const),
      id: fc.oneof(fc.integer(), bigIdArb, fc.string({ maxLength: 8 })),
      method: fc.constantFrom('initialize', 'ping', 'tools/list', 'tools/call', 'unknown/method'),
      params: paramsObjectArb,
    },
    { requiredKeys: ['jsonrpc', 'method'] },
  ),
  // tools/call that reaches a tool: the in-process gateway__status (no plugin is spawned).
  fc.record({
    jsonrpc: fc.constant('2.0' as const),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
    method: fc.constant('tools/call'),
    params: fc.record(
      {
        name: fc.constantFrom('gateway__status', 'gateway.status'),
        arguments: fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })),
        _meta: fc.record({ traceparent: fc.string() }),
      },
      { requiredKeys: ['name'] },
    ),
  }),
);

/** Wrap a value in `depth` alternating arrays and objects. */
function nest(value: unknown, depth: number): unknown {
  let node = value;
  for (let i = 0; i < depth; i++) node = i % 2 === 0 ? [node] : { k: node };
  return node;
}

function serialize(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = stringifyLossless(value); // a bigint id, written as its digits
  }
  return text === undefined ? 'undefined' : text;
}

/** Ids that are numbers but not integers in plain digits: none could be echoed as sent, so each is refused. */
const literalIdArb = fc
  .tuple(fc.constantFrom('-0', '1e3', '1E2', '1.0', '1e400', '-1e+21', '12345678901234567890.5', '0.1000000000000000055511151231257827'), fc.constantFrom('ping', 'tools/list'))
  .map(([id, method]) => `{"jsonrpc":"2.0","id":${id},"method":"${method}"}`);

const textArb: fc.Arbitrary<string> = fc.oneof(
  fc.json(),
  fc.anything().map(serialize),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '[]', '{}', 'null', '[[]]', '[{}]', '{"jsonrpc":"2.0"', '\u0000', '[1,2,3]', '"str"'),
  fc.oneof(messageArb, wellFormedArb).map(serialize),
  literalIdArb,
  fc.array(fc.oneof({ weight: 3, arbitrary: messageArb }, { weight: 2, arbitrary: wellFormedArb }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 8 }).map(serialize),
);

const deepArb: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(messageArb, wellFormedArb), fc.integer({ min: 1, max: MAX_JSON_DEPTH + 16 }), fc.constantFrom<'params' | 'root' | 'batch'>('params', 'root', 'batch'))
  .map(([message, depth, where]) => {
    if (where === 'root') return serialize(nest(message, depth));
    if (where === 'batch') return serialize([message, nest({ jsonrpc: '2.0', id: 1, method: 'ping' }, depth)]);
    return serialize({ ...message, params: { arguments: nest('x', depth) } });
  });

// ---- properties ---------------------------------------------------------------------------

describe('McpDispatcher under arbitrary input (fast-check)', () => {
  let gateway: RunningGateway;
  let dispatcher: McpDispatcher;
  let emptyPlugins: string;
  let sessions = 0;

  beforeAll(async () => {
    emptyPlugins = mkdtempSync(join(tmpdir(), 'sanctum-fuzz-plugins-'));
    gateway = await startGateway({ MCP_PLUGINS_DIR: emptyPlugins });
    dispatcher = gateway.app.get(McpDispatcher);
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(emptyPlugins, { recursive: true, force: true });
  });

  /** The property: never throws, and answers exactly what the oracle says is owed. */
  async function answersAsOwed(text: string): Promise<void> {
    await check(text);
  }

  async function check(text: string): Promise<void> {
    const session = new Session(`fuzz-${++sessions}`, 'stateless');
    try {
      const expected = expectedFor(text);
      const response = await dispatcher.handlePayload(parsePayload(text), session);
      if (expected.owed.length === 0) {
        if (response !== null) throw new Error(`expected no response, got ${show(response)}`);
        return;
      }
      if (response === null) throw new Error(`expected ${expected.owed.length} response(s), got null`);
      if (expected.batch) {
        if (!Array.isArray(response)) throw new Error(`a batch must be answered with an array: ${show(response)}`);
        if (response.length !== expected.owed.length) throw new Error(`expected ${expected.owed.length} responses, got ${response.length}`);
        response.forEach((r, i) => checkResponse(r, expected.owed[i], expected.code));
      } else {
        if (Array.isArray(response)) throw new Error(`a single message must not be answered with an array: ${show(response)}`);
        checkResponse(response, expected.owed[0], expected.code);
      }
    } finally {
      session.close();
    }
  }

  it('answers any text, JSON value, message or batch as JSON-RPC 2.0 requires', async () => {
    await fc.assert(fc.asyncProperty(textArb, answersAsOwed), { numRuns: NUM_RUNS });
  });

  it('answers deeply nested payloads (around the depth limit) without throwing', async () => {
    await fc.assert(fc.asyncProperty(deepArb, answersAsOwed), { numRuns: NUM_RUNS });
  });

  it('answers well-formed requests with their own id and a result or a JSON-RPC error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wellFormedArb, { minLength: 1, maxLength: 5 }), async (messages) => {
        await answersAsOwed(serialize(messages.length === 1 ? messages[0] : messages));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it.each<[string, string]>([
    ['a request with a fractional id and a result member', '{"jsonrpc":"2.0","method":"ping","id":1.5,"result":0}'],
    ['a request with an object id and an error member', '{"jsonrpc":"2.0","method":"ping","id":{},"error":{"code":1,"message":"m"}}'],
    ['a request with a null id and a result member', '{"jsonrpc":"2.0","method":"ping","id":null,"result":null}'],
  ])('refuses %s with -32600 and id null', async (_name, text) => {
    await check(text);
  });
});
