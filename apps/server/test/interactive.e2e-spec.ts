// Pins plugins that ask the client for input (issue #19, plugin contract v1.1 input rounds)
// end to end, with the official clients and, where a client library hides the wire, raw HTTP:
// - 2025 revisions (v1 SDK client over HTTP+SSE, Streamable HTTP, stdio in-process and the real
//   process): a plugin's input_required becomes elicitation/create, sampling/createMessage and
//   roots/list requests to the client (string ids, the plugin's params, all of a round at once); the
//   answers reach the re-run on stdin as {"responses", "state"}; declined, cancelled and JSON-RPC
//   error answers reach the plugin as sent; a client that did not declare a capability is never
//   asked (missing_capability); cancelling the call, the session ending or the command's timeout
//   ends the wait without a re-run; a dropped POST stream resumes with the request replayed;
//   MCP_INPUT_ROUNDS bounds the re-runs; every run sees MCP_CLIENT_CAPABILITIES; malformed rounds
//   are plugin_error.
// - 2026-07-28 (v2 client, raw HTTP): input_required results with inputRequests and a sealed
//   requestState, retries with inputResponses; tampered, foreign (other arguments, other key, other
//   secret) state is -32602; a capability missing from _meta is -32021 (HTTP 400); a partial retry
//   asks only what is missing; MCP_STATE_SECRET.
// - The bundled devops plugin's production deploy confirmation, in both revisions.
// Each test names the failure it guards against.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { ClientCapabilities, CreateMessageResult, ElicitResult, Root } from '@modelcontextprotocol/sdk/types.js';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { interactivePlugins, rawSession } from './interactive-plugin';
import type { InteractivePlugins } from './interactive-plugin';
import { liveProcessesIn } from './process-table';
import { SseReader } from './sse-reader';
import { SDK_TRANSPORTS, connectStreamableHttp } from './sdk-connections';
import { writeSlowPlugin } from './slow-plugin';
import type { Connect, Connection } from './sdk-connections';

type Json = Record<string, unknown>;

/** A request the gateway sent to the client, as the client's handler saw it. */
interface Asked {
  method: string;
  params: Json;
  /** Aborted when the gateway cancelled its request (notifications/cancelled). */
  signal: AbortSignal;
}

interface Answers {
  elicit?: (params: Json, signal: AbortSignal) => ElicitResult | Promise<ElicitResult>;
  sample?: (params: Json, signal: AbortSignal) => CreateMessageResult | Promise<CreateMessageResult>;
  /** The roots, or a function giving them (to see when roots/list arrives). */
  roots?: Root[] | (() => Promise<Root[]>);
}

/**
 * A v1 SDK client declaring exactly the capabilities it has handlers for. `asked` records every
 * request the gateway sent it, those without a handler included (the fallback handler, which
 * answers them with an error).
 */
function clientWith(name: string, answers: Answers): { client: Client; asked: Asked[]; capabilities: ClientCapabilities } {
  const capabilities: ClientCapabilities = {};
  if (answers.elicit) capabilities.elicitation = {};
  if (answers.sample) capabilities.sampling = {};
  if (answers.roots) capabilities.roots = { listChanged: true };
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  const asked: Asked[] = [];
  const { elicit, sample, roots } = answers;
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
      asked.push({ method: request.method, params: request.params as Json, signal: extra.signal });
      return elicit(request.params as Json, extra.signal);
    });
  }
  if (sample) {
    client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => {
      asked.push({ method: request.method, params: request.params as Json, signal: extra.signal });
      return sample(request.params as Json, extra.signal);
    });
  }
  if (roots) {
    client.setRequestHandler(ListRootsRequestSchema, async (request, extra) => {
      asked.push({ method: request.method, params: (request.params ?? {}) as Json, signal: extra.signal });
      return { roots: typeof roots === 'function' ? await roots() : roots };
    });
  }
  client.fallbackRequestHandler = async (request, extra) => {
    asked.push({ method: request.method, params: (request.params ?? {}) as Json, signal: extra.signal });
    throw new McpError(ErrorCode.MethodNotFound, `this client has no handler for ${request.method}`);
  };
  return { client, asked, capabilities };
}

const accept = (content: Record<string, string | number | boolean>): ElicitResult => ({ action: 'accept', content });
const sampled = (text: string): CreateMessageResult => ({
  role: 'assistant',
  content: { type: 'text', text },
  model: 'test-model',
  stopReason: 'endTurn',
});
/** An answer that never comes: settles (rejects) only when the gateway cancels its request. */
const never = (_params: Json, signal: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled by the gateway')), { once: true }));

interface ToolResult {
  isError?: boolean;
  structuredContent?: Json;
  content?: Array<{ type: string; text?: string }>;
}
const textOf = (result: ToolResult): string => (result.content ?? []).map((c) => c.text ?? '').join('\n');

/** The apps of the devops ledger (DEVOPS_STATE_FILE), by environment; {} before the first write. */
function ledgerApps(): Record<string, Record<string, { current_version: string }>> {
  if (!existsSync(plugins.devopsState)) return {};
  return (JSON.parse(readFileSync(plugins.devopsState, 'utf8')) as { apps: Record<string, Record<string, { current_version: string }>> })
    .apps;
}

let plugins: InteractivePlugins;
let gateway: RunningGateway;

beforeAll(async () => {
  plugins = interactivePlugins({ devops: true });
  process.env['DEVOPS_STATE_FILE'] = plugins.devopsState;
  gateway = await startGateway({ MCP_PLUGINS_DIR: plugins.dir, MCP_SANDBOX_WRITABLE: plugins.writable, MCP_WATCH: '0' });
});

afterAll(async () => {
  await gateway?.close();
  delete process.env['DEVOPS_STATE_FILE'];
  plugins?.remove();
});

/** Connect a client over `connect`, run `body`, close the connection whatever happened. */
async function withConnection<T>(connect: Connect, client: Client, body: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await connect(gateway, client);
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

describe.each(SDK_TRANSPORTS)('2025 revisions, the v1 client over %s', (_name, kind, connect) => {
  it("an accepted elicitation: elicitation/create with the plugin's params, the re-run gets the answer and its state back", async () => {
    // Guards against: params rewritten on the way, the answer or the plugin's state lost before the re-run.
    const { client, asked } = clientWith(`elicit-${kind}`, { elicit: () => accept({ name: 'Ada' }) });
    await withConnection(connect, client, async (connection) => {
      const result = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ greeting: 'Hello, Ada!', action: 'accept', state: { asked: 'greet' } });
      expect(asked.map((a) => [a.method, a.params])).toEqual([
        [
          'elicitation/create',
          {
            message: 'What is your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          },
        ],
      ]);
      const line = `Input required: ask.greet (${connection.sessionId()}) round 1: name`;
      await eventually(() => gateway.logs.some((l) => l.includes(line)));
    });
  });

  it("sampling: sampling/createMessage with the plugin's messages, the re-run gets the CreateMessageResult", async () => {
    // Guards against: a sampling request sent as something else, or the model's reply not reaching the plugin.
    const { client, asked } = clientWith(`sample-${kind}`, { sample: () => sampled('a short story') });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__summarize', arguments: { text: 'a long story' } })) as ToolResult;
      expect(asked.map((a) => a.method)).toEqual(['sampling/createMessage']);
      expect(asked[0].params).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'Summarize: a long story' } }],
        maxTokens: 50,
      });
      expect(result.structuredContent).toEqual({ summary: 'a short story', model: 'test-model', role: 'assistant' });
    });
  });

  it("roots: roots/list, the re-run names the client's roots", async () => {
    const roots = [
      { uri: 'file:///home/ada/project', name: 'project' },
      { uri: 'file:///srv/data', name: 'data' },
    ];
    const { client, asked } = clientWith(`roots-${kind}`, { roots });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__where', arguments: {} })) as ToolResult;
      expect(asked.map((a) => a.method)).toEqual(['roots/list']);
      expect(result.structuredContent).toEqual({ roots: roots.map((r) => r.uri), names: ['project', 'data'] });
    });
  });

  it.each(['ask', 'ask_js'])(
    'two rounds (%s): each answer reaches the next run, in order, with the state of the round before',
    async (plugin) => {
      // Guards against: a second input_required treated as the result, answers swapped between rounds,
      // and (ask_js is spawned, ask forked) stdin delivered by only one way of starting a plugin.
      let n = 0;
      const { client, asked } = clientWith(`rounds-${kind}`, { elicit: () => accept({ answer: `answer ${++n}` }) });
      await withConnection(connect, client, async () => {
        const result = (await client.callTool({ name: `${plugin}__rounds`, arguments: { count: 2 } })) as ToolResult;
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ answers: ['answer 1', 'answer 2'], runs: 3 });
        expect(asked.map((a) => a.params['message'])).toEqual(['Step 1 of 2', 'Step 2 of 2']);
      });
    },
  );

  it('one round asking all three kinds: the requests are all sent before any is answered', async () => {
    // Guards against: a round's requests sent one after the other (each waiting for the answer of the one before).
    const pending: string[] = [];
    const allThere = (): Promise<void> => eventually(() => pending.length === 3, 4_000);
    const { client } = clientWith(`mixed-${kind}`, {
      elicit: async () => {
        pending.push('elicitation');
        await allThere();
        return accept({ name: 'Grace' });
      },
      sample: async () => {
        pending.push('sampling');
        await allThere();
        return sampled('hi there');
      },
      roots: async () => {
        pending.push('roots');
        await allThere();
        return [{ uri: 'file:///work' }];
      },
    });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__mixed', arguments: {} })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ name: 'Grace', text: 'hi there', roots: ['file:///work'] });
      expect([...pending].sort()).toEqual(['elicitation', 'roots', 'sampling']);
    });
  });

  it('two calls of one session waiting at once: each answer reaches its own call, whatever the order of the answers', async () => {
    // Guards against: answers matched to calls by arrival (or one pending request per session), which
    // would give one call the other's answer.
    const { client } = clientWith(`concurrent-${kind}`, {
      elicit: async (params) => {
        const message = params['message'] as string;
        // The first call's question is answered last.
        if (message === 'Step 1 of 1') await new Promise((r) => setTimeout(r, 300));
        return accept({ answer: `for ${message}` });
      },
    });
    await withConnection(connect, client, async () => {
      const [one, two] = (await Promise.all([
        client.callTool({ name: 'ask__rounds', arguments: { count: 1 } }),
        client.callTool({ name: 'ask__rounds', arguments: { count: 2 } }),
      ])) as ToolResult[];
      expect(one.structuredContent).toEqual({ answers: ['for Step 1 of 1'], runs: 2 });
      expect(two.structuredContent).toEqual({ answers: ['for Step 1 of 2', 'for Step 2 of 2'], runs: 3 });
    });
  });

  it.each([
    ['declined', 'decline'],
    ['cancelled', 'cancel'],
  ] as const)('a %s elicitation reaches the plugin as the ElicitResult the client sent', async (_word, action) => {
    // Guards against: a declined or cancelled answer turned into an error, or into an accept.
    const { client } = clientWith(`${action}-${kind}`, { elicit: () => ({ action }) });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ greeting: null, action, state: { asked: 'greet' } });
    });
  });

  it('a JSON-RPC error from the client reaches the plugin as {"error": {"code", "message"}}', async () => {
    // Guards against: the client's error dropped (the plugin waiting for nothing) or the call failing instead.
    const { client } = clientWith(`error-${kind}`, {
      elicit: () => {
        throw new McpError(-32042, 'the user closed the dialog');
      },
    });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        client_error: { code: -32042, message: expect.stringContaining('the user closed the dialog') },
      });
    });
  });

  it('a client without the capability is never asked: isError missing_capability naming it', async () => {
    // Guards against: a request the client cannot answer sent anyway (it would fail or hang), or a silent empty result.
    const { client, asked } = clientWith(`nocaps-${kind}`, {});
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect(result.isError).toBe(true);
      expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('missing_capability');
      expect(textOf(result)).toMatch(/elicitation/);
    });
    expect(asked).toEqual([]);
  });

  it('a client with elicitation only, asked for all three kinds: missing_capability names sampling and roots, and nothing is asked', async () => {
    // Guards against: the declared part of a round asked while the rest cannot be (a half-answered round).
    const { client, asked } = clientWith(`partial-${kind}`, { elicit: () => accept({ name: 'x' }) });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__mixed', arguments: {} })) as ToolResult;
      expect(result.isError).toBe(true);
      expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('missing_capability');
      expect(textOf(result)).toMatch(/sampling/);
      expect(textOf(result)).toMatch(/roots/);
    });
    expect(asked).toEqual([]);
  });

  it("every run gets MCP_CLIENT_CAPABILITIES: the client's declared capabilities, on the first run and on the re-run", async () => {
    // Guards against: capabilities missing on the re-run, or a default that hides what the client declared.
    const { client, capabilities } = clientWith(`caps-${kind}`, {
      elicit: () => accept({ answer: 'ok' }),
      sample: () => sampled('unused'),
    });
    await withConnection(connect, client, async () => {
      const result = (await client.callTool({ name: 'ask__caps', arguments: {} })) as ToolResult;
      expect(result.structuredContent).toEqual({ first: capabilities, rerun: capabilities, asked: true });
    });
    const bare = clientWith(`bare-caps-${kind}`, {});
    await withConnection(connect, bare.client, async () => {
      // Without elicitation the plugin does not ask, and goes on with "{}".
      const result = (await bare.client.callTool({ name: 'ask__caps', arguments: {} })) as ToolResult;
      expect(result.structuredContent).toEqual({ first: {}, asked: false });
    });
  });

  it('the session ending during the wait: the call ends as cancelled and the plugin is not re-run', async () => {
    // Guards against: a wait (and a plugin re-run) outliving its session.
    const { client, asked } = clientWith(`end-${kind}`, { elicit: never });
    const log = plugins.runLog('end');
    const connection = await connect(gateway, client);
    const call = client.callTool({ name: 'ask__greet', arguments: { log } }).catch((err: unknown) => err);
    await eventually(() => asked.length === 1, 5_000);
    const sessionId = connection.sessionId() as string;
    await connection.close();
    await call;
    const ended = new RegExp(`Tool failed: ask\\.greet \\(${sessionId}\\) in \\d+ ms \\(cancelled\\)`);
    await eventually(() => gateway.logs.some((l) => ended.test(l)), 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(plugins.runs(log)).toEqual([{ rerun: false }]);
    expect(liveProcessesIn(join(plugins.dir, 'ask'))).toEqual([]);
  });

  it('cancelling the call during the wait: the gateway cancels its own request, the plugin is not re-run, nothing is left running, the session goes on', async () => {
    // Guards against: a wait that outlives the call (the answer arriving later re-runs the plugin), a
    // pending request the client keeps showing its user, a session left broken.
    let first = true;
    const { client, asked } = clientWith(`cancel-${kind}`, {
      elicit: (params, signal) => {
        if (first) {
          first = false;
          return never(params, signal);
        }
        return accept({ name: 'Again' });
      },
    });
    const log = plugins.runLog('cancel');
    await withConnection(connect, client, async () => {
      const aborter = new AbortController();
      const call = client.callTool({ name: 'ask__greet', arguments: { log } }, undefined, { signal: aborter.signal });
      await eventually(() => asked.length === 1, 5_000);
      aborter.abort('the user gave up');
      await expect(call).rejects.toThrow();
      await eventually(() => asked[0].signal.aborted, 5_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(plugins.runs(log)).toEqual([{ rerun: false }]);
      expect(liveProcessesIn(join(plugins.dir, 'ask'))).toEqual([]);
      const again = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect(again.structuredContent).toMatchObject({ greeting: 'Hello, Again!' });
    });
  });
});

describe('2025 revisions: what does not depend on the transport (v1 client over Streamable HTTP)', () => {
  it("an unanswered request is bounded by the command's timeout: isError timeout, and the plugin is not re-run", async () => {
    // Guards against: a call that waits for a client forever (the command declares "timeout": 1).
    const { client, asked } = clientWith('timeout', { elicit: never });
    await withConnection(connectStreamableHttp, client, async () => {
      const started = Date.now();
      const result = (await client.callTool({ name: 'ask__hurry', arguments: {} })) as ToolResult;
      expect(result.isError).toBe(true);
      expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(5_000);
      // The request it gave up on is cancelled, so the client stops showing it to its user.
      await eventually(() => asked[0]?.signal.aborted === true, 3_000);
    });
  });

  it.each([
    ['no-requests', /requests/],
    ['not-an-object', /requests/],
    ['no-kind', /\bq\b/],
    ['two-kinds', /\bq\b/],
    ['unknown-kind', /\bq\b.*elicitation, sampling, roots/],
    ['bad-key', /bad key!/],
    ['too-many', /16/],
  ])('a malformed input_required (%s) is a plugin_error naming what is wrong, and nothing is asked', async (kind, names) => {
    // Guards against: a broken round sent to the client as it is, or reported as an empty success.
    const { client, asked } = clientWith(`malformed-${kind}`, {
      elicit: () => accept({ answer: 'x' }),
      sample: () => sampled('x'),
      roots: [],
    });
    await withConnection(connectStreamableHttp, client, async () => {
      const result = (await client.callTool({ name: 'ask__malformed', arguments: { kind } })) as ToolResult;
      expect(result.isError).toBe(true);
      expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('plugin_error');
      expect(textOf(result)).toMatch(/input_required/);
      expect(textOf(result)).toMatch(names);
    });
    expect(asked).toEqual([]);
  });

  it('a POST stream dropped during the wait: resumed with Last-Event-ID, the elicitation/create is replayed and its answer completes the call', async () => {
    // Guards against: a disconnect (which is not a cancellation) losing the gateway's request, so that
    // the call waits until its timeout; or the answer no longer matched to the call.
    const session = await rawSession(gateway.baseUrl, { elicitation: {} });
    const { reader } = await session.open(7, 'ask__greet');
    const request = await session.requestOn(reader);
    expect(request).toMatchObject({ method: 'elicitation/create', id: expect.any(String) });
    const priming = reader.events[0].id as string;
    expect(priming).toBeDefined();
    reader.close();
    const { reader: resumed } = await SseReader.open(`${gateway.baseUrl}/mcp`, {
      headers: {
        Accept: 'text/event-stream',
        'Mcp-Session-Id': session.sessionId,
        'MCP-Protocol-Version': '2025-11-25',
        'Last-Event-ID': priming,
      },
    });
    if (resumed === undefined) throw new Error('the resume was not answered with an event stream');
    try {
      const replayed = await session.requestOn(resumed);
      expect(replayed).toEqual(request);
      expect((await session.post({ jsonrpc: '2.0', id: request['id'], result: accept({ name: 'Back' }) })).status).toBe(202);
      await resumed.waitFor((r) => r.messages.some((m) => m['id'] === 7));
      expect(resumed.messages.find((m) => m['id'] === 7)?.['result']).toMatchObject({ structuredContent: { greeting: 'Hello, Back!' } });
    } finally {
      resumed.close();
    }
  });

  it('a raw answer that is no ElicitResult, one to an unknown id, and a second answer: the call gets one answer, the plugin one re-run', async () => {
    // Guards against: a malformed answer passed on as the client's, a stray response breaking the
    // session, and a duplicate answer re-running the plugin twice.
    const log = plugins.runLog('raw-answers');
    const session = await rawSession(gateway.baseUrl, { elicitation: {} });
    const { response, reader } = await SseReader.open(`${gateway.baseUrl}/mcp`, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'ask__greet', arguments: { log } } }),
    });
    if (reader === undefined) throw new Error(`not an event stream (status ${response.status})`);
    try {
      const request = await session.requestOn(reader);
      expect((await session.post({ jsonrpc: '2.0', id: 'nobody-asked-this', result: accept({ name: 'Stray' }) })).status).toBe(202);
      expect((await session.post({ jsonrpc: '2.0', id: request['id'], result: { action: 'maybe' } })).status).toBe(202);
      await reader.waitFor((r) => r.messages.some((m) => m['id'] === 4));
      const final = reader.messages.find((m) => m['id'] === 4) as { result: ToolResult };
      // Either the call ends with an error naming what an ElicitResult must be, or the plugin gets
      // {"error": ...} in its place (as for a JSON-RPC error): never the malformed answer as if valid.
      expect(final.result.structuredContent?.['action']).not.toBe('maybe');
      expect(JSON.stringify(final.result)).toMatch(/ElicitResult/);

      expect((await session.post({ jsonrpc: '2.0', id: request['id'], result: accept({ name: 'Late' }) })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      // The late second answer re-ran nothing (at most the one re-run of the first answer).
      expect(plugins.runs(log)[0]).toEqual({ rerun: false });
      expect(plugins.runs(log).filter((run) => run.rerun).length).toBeLessThanOrEqual(1);
      // The session is still usable.
      const ping = await session.post({ jsonrpc: '2.0', id: 5, method: 'ping' });
      expect(ping.status).toBe(200);
    } finally {
      reader.close();
    }
  });

  it("POST /message without a session (the seed's curl): no client to ask, so missing_capability in the HTTP body", async () => {
    // Guards against: a sessionless call waiting for an answer that has no way to come.
    const reply = await fetch(`${gateway.baseUrl}/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask.greet', arguments: {} } }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { result?: ToolResult; error?: unknown };
    // Not revision 2026-07-28 (no _meta envelope): a tool result, not a JSON-RPC -32021.
    expect(body.error).toBeUndefined();
    const result = body.result as ToolResult;
    expect(result.isError).toBe(true);
    expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('missing_capability');
  });

  it.each(['ask', 'ask_js'])(
    'a re-run (%s) that reads one byte of a 200 KB answer and exits: the call completes, and the gateway goes on',
    async (plugin) => {
      // Guards against: a write to a plugin's stdin that it closed (EPIPE) failing the call or the gateway,
      // or a write that blocks forever on a full pipe.
      const big = 'y'.repeat(200 * 1024);
      const { client } = clientWith(`peek-${plugin}`, { sample: () => sampled(big) });
      await withConnection(connectStreamableHttp, client, async () => {
        const result = (await client.callTool({ name: `${plugin}__peek`, arguments: {} })) as ToolResult;
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ peeked: '{' });
        const again = (await client.callTool({ name: 'ask__summarize', arguments: { text: 'small' } })) as ToolResult;
        expect(again.structuredContent).toMatchObject({ summary: big });
      });
    },
  );

  it('three rounds: three requests, one per round, and the log line of each round', async () => {
    let n = 0;
    const { client, asked } = clientWith('three', { elicit: () => accept({ answer: `a${++n}` }) });
    await withConnection(connectStreamableHttp, client, async (connection) => {
      const result = (await client.callTool({ name: 'ask__rounds', arguments: { count: 3 } })) as ToolResult;
      expect(result.structuredContent).toEqual({ answers: ['a1', 'a2', 'a3'], runs: 4 });
      expect(asked).toHaveLength(3);
      for (const [round, key] of [
        [1, 'step1'],
        [2, 'step2'],
        [3, 'step3'],
      ] as const) {
        const line = `Input required: ask.rounds (${connection.sessionId()}) round ${round}: ${key}`;
        await eventually(() => gateway.logs.some((l) => l.includes(line)));
      }
    });
  });

  it('prompts/get and resources/read whose commands ask: the same rounds, then the prompt and the resource', async () => {
    // Guards against: input rounds wired for tools/call only.
    const { client, asked } = clientWith('content', {
      elicit: (params) => (params['message'] === 'Which topic?' ? accept({ answer: 'caching' }) : accept({ name: 'Lin' })),
    });
    await withConnection(connectStreamableHttp, client, async () => {
      const prompt = await client.getPrompt({ name: 'ask__briefing', arguments: {} });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Brief me on caching' } }]);
      const resource = await client.readResource({ uri: 'ask://whoami' });
      expect(resource.contents).toEqual([{ uri: 'ask://whoami', mimeType: 'text/plain', text: 'You are Lin' }]);
      expect(asked.map((a) => a.params['message'])).toEqual(['Which topic?', 'Who are you?']);
    });
  });

  it('devops deploy to production: an accepted confirmation writes the ledger (confirmed: true)', async () => {
    // Guards against: a production deploy recorded without the user's yes when the client can ask.
    const { client, asked } = clientWith('devops-yes', { elicit: () => accept({ confirm: true }) });
    await withConnection(connectStreamableHttp, client, async () => {
      const result = (await client.callTool({
        name: 'devops__deploy',
        arguments: { 'app-name': 'shop-yes', version: '2.0.0', environment: 'production' },
      })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ app: 'shop-yes', version: '2.0.0', confirmed: true });
      expect(asked).toHaveLength(1);
      expect(asked[0].params['message']).toMatch(/shop-yes/);
      expect(asked[0].params['requestedSchema']).toMatchObject({ properties: { confirm: { type: 'boolean' } }, required: ['confirm'] });
      expect(ledgerApps()['shop-yes']?.['production']?.current_version).toBe('2.0.0');
    });
  });

  it('devops deploy to production: a declined confirmation writes nothing (deployed: false)', async () => {
    // Guards against: a "no" that deploys anyway, or that is reported as a failure.
    const { client, asked } = clientWith('devops-no', { elicit: () => ({ action: 'decline' }) });
    await withConnection(connectStreamableHttp, client, async () => {
      const result = (await client.callTool({
        name: 'devops__deploy',
        arguments: { 'app-name': 'shop-no', version: '2.0.0', environment: 'production' },
      })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ deployed: false, app: 'shop-no', version: '2.0.0', environment: 'production' });
      expect(asked).toHaveLength(1);
      const status = (await client.callTool({ name: 'devops__status', arguments: { 'app-name': 'shop-no' } })) as ToolResult;
      expect(status.structuredContent).toMatchObject({ app: 'shop-no', deployed: false });
      expect(ledgerApps()['shop-no']).toBeUndefined();
    });
  });
});

describe('2025 revisions: MCP_INPUT_ROUNDS bounds the re-runs', () => {
  let bounded: RunningGateway;
  beforeAll(async () => {
    bounded = await startGateway({
      MCP_PLUGINS_DIR: plugins.dir,
      MCP_SANDBOX_WRITABLE: plugins.writable,
      MCP_WATCH: '0',
      MCP_INPUT_ROUNDS: '2',
    });
  });
  afterAll(async () => {
    await bounded?.close();
  });

  const connectBounded = (client: Client): Promise<Connection> => connectStreamableHttp(bounded, client);

  it('two re-runs are allowed with MCP_INPUT_ROUNDS=2; a plugin that asks again after them is a plugin_error naming MCP_INPUT_ROUNDS', async () => {
    // Guards against: a plugin that always asks looping forever; an off-by-one that refuses the allowed rounds.
    let n = 0;
    const { client, asked } = clientWith('bounded', { elicit: () => accept({ answer: `b${++n}` }) });
    const connection = await connectBounded(client);
    try {
      const allowed = (await client.callTool({ name: 'ask__rounds', arguments: { count: 2 } })) as ToolResult;
      expect(allowed.structuredContent).toEqual({ answers: ['b1', 'b2'], runs: 3 });
      asked.length = 0;
      const endless = (await client.callTool({ name: 'ask__forever', arguments: {} })) as ToolResult;
      expect(endless.isError).toBe(true);
      expect((endless.structuredContent?.['error'] as Json)?.['code']).toBe('plugin_error');
      expect(textOf(endless)).toContain('MCP_INPUT_ROUNDS');
      // The third question is not put to the user: its answer could not be used.
      expect(asked).toHaveLength(2);
    } finally {
      await connection.close();
    }
  });

  it('the same bound in 2026-07-28 (the round count travels in the requestState): plugin_error after two re-runs', async () => {
    // Guards against: a bound kept only in a session (a stateless client could retry forever).
    let n = 0;
    const v2 = v2Client({ elicit: () => accept({ answer: `c${++n}` }), base: bounded.baseUrl });
    const client = await v2.connect();
    try {
      const endless = (await client.callTool({ name: 'ask__forever', arguments: {} })) as ToolResult;
      expect(endless.isError).toBe(true);
      expect((endless.structuredContent?.['error'] as Json)?.['code']).toBe('plugin_error');
      expect(textOf(endless)).toContain('MCP_INPUT_ROUNDS');
      expect(v2.asked).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});

describe('2025 revisions: a call waiting for its client holds no plugin slot', () => {
  let narrow: RunningGateway;
  beforeAll(async () => {
    writeSlowPlugin(plugins.dir);
    narrow = await startGateway({
      MCP_PLUGINS_DIR: plugins.dir,
      MCP_SANDBOX_WRITABLE: plugins.writable,
      MCP_WATCH: '0',
      MCP_MAX_CONCURRENCY: '1',
      MCP_QUEUE_LIMIT: '0',
    });
  });
  afterAll(async () => {
    await narrow?.close();
  });

  it('with MCP_MAX_CONCURRENCY=1 and no queue, another call runs (not busy) while one waits for its user', async () => {
    // Guards against: a slot held while nothing runs, so that users slow to answer make the gateway
    // answer everyone else `busy`.
    const waiting = clientWith('waiting', { elicit: never });
    const other = clientWith('other', {});
    const first = await connectStreamableHttp(narrow, waiting.client);
    const second = await connectStreamableHttp(narrow, other.client);
    try {
      const pending = waiting.client.callTool({ name: 'ask__greet', arguments: {} }).catch((err: unknown) => err);
      await eventually(() => waiting.asked.length === 1, 5_000);
      const result = (await other.client.callTool({ name: 'ask__caps', arguments: {} })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ first: {}, asked: false });
      await first.close();
      await pending;
      // The limit is in force: a call that does run holds the one slot, and the next is busy.
      const running = other.client.callTool({ name: 'slow__wait', arguments: { ms: 800, marker: join(plugins.writable, 'slow.marker') } });
      await eventually(() => narrow.logs.some((l) => l.includes('Tool invoked: slow.wait')), 5_000);
      const refused = (await other.client.callTool({ name: 'ask__caps', arguments: {} })) as ToolResult;
      expect((refused.structuredContent?.['error'] as Json)?.['code']).toBe('busy');
      await running;
    } finally {
      await second.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2026-07-28
// ---------------------------------------------------------------------------------------------

const V = '2026-07-28';

function v2Client(
  options: {
    elicit?: (params: Json) => ElicitResult;
    sample?: (params: Json) => CreateMessageResult;
    fetch?: typeof fetch;
    base?: string;
  } = {},
): {
  connect(): Promise<ClientV2>;
  asked: Asked[];
} {
  const capabilities: { elicitation?: Record<string, never>; sampling?: Record<string, never> } = {};
  if (options.elicit) capabilities.elicitation = {};
  if (options.sample) capabilities.sampling = {};
  const client = new ClientV2({ name: 'interactive-v2', version: '2.0.0' }, { capabilities, versionNegotiation: { mode: { pin: V } } });
  const asked: Asked[] = [];
  const { elicit, sample } = options;
  if (elicit) {
    client.setRequestHandler('elicitation/create', async (request: { method: string; params: Json }) => {
      asked.push({ method: request.method, params: request.params, signal: new AbortController().signal });
      return elicit(request.params);
    });
  }
  if (sample) {
    client.setRequestHandler('sampling/createMessage', async (request: { method: string; params: Json }) => {
      asked.push({ method: request.method, params: request.params, signal: new AbortController().signal });
      return sample(request.params);
    });
  }
  return {
    asked,
    connect: async () => {
      await client.connect(
        new TransportV2(new URL(`${options.base ?? gateway.baseUrl}/mcp`), options.fetch ? { fetch: options.fetch } : {}),
      );
      return client;
    },
  };
}

interface Wire {
  status: number;
  /** The JSON-RPC response to the request (from a JSON body or the call's event stream). */
  message: Json;
}

/** One 2026-07-28 tools/call over raw HTTP, with the given client capabilities and retry fields. */
async function call2026(
  base: string,
  id: string | number,
  name: string,
  args: Json,
  options: { capabilities?: Json; inputResponses?: Json; requestState?: string; key?: string } = {},
): Promise<Wire> {
  const params: Json = {
    name,
    arguments: args,
    _meta: {
      'io.modelcontextprotocol/protocolVersion': V,
      'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {},
      'io.modelcontextprotocol/clientInfo': { name: 'interactive-raw', version: '1.0.0' },
    },
  };
  if (options.inputResponses !== undefined) params['inputResponses'] = options.inputResponses;
  if (options.requestState !== undefined) params['requestState'] = options.requestState;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': V,
    'Mcp-Method': 'tools/call',
    'Mcp-Name': name,
  };
  if (options.key !== undefined) headers['Authorization'] = `Bearer ${options.key}`;
  const reply = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }),
  });
  const text = await reply.text();
  if ((reply.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const messages = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5).trim()) as Json);
    const message = messages.find((m) => m['id'] === id);
    if (message === undefined) throw new Error(`no response to ${id} on the stream:\n${text}`);
    return { status: reply.status, message };
  }
  return { status: reply.status, message: JSON.parse(text) as Json };
}

interface InputRequiredResult {
  resultType: string;
  inputRequests: Record<string, { method: string; params: Json }>;
  requestState: string;
}

/** The input_required result of a wire answer (fails the test with the answer when it is none). */
function inputRequired(wire: Wire): InputRequiredResult {
  const result = wire.message['result'] as InputRequiredResult | undefined;
  if (result?.resultType !== 'input_required') throw new Error(`not an input_required result: ${JSON.stringify(wire.message)}`);
  return result;
}

/** `state` with one character in its middle changed. */
function tampered(state: string): string {
  const at = Math.floor(state.length / 2);
  return `${state.slice(0, at)}${state[at] === 'A' ? 'B' : 'A'}${state.slice(at + 1)}`;
}

describe('2026-07-28: input_required results and retries', () => {
  it.each([
    ['ask', 2],
    ['ask', 3],
    ['ask_js', 3],
  ] as const)(
    'the v2 client completes %s__rounds with %i rounds, each auto-fulfilled through its elicitation handler',
    async (plugin, count) => {
      // Guards against: a requestState that does not carry the plugin's state to the next round, or a
      // round answered but not re-run (the client would loop until its round cap).
      let n = 0;
      const v2 = v2Client({ elicit: () => accept({ answer: `v${++n}` }) });
      const client = await v2.connect();
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(V);
        const result = (await client.callTool({ name: `${plugin}__rounds`, arguments: { count } })) as ToolResult;
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ answers: Array.from({ length: count }, (_, i) => `v${i + 1}`), runs: count + 1 });
        expect(v2.asked.map((a) => a.params['message'])).toEqual(Array.from({ length: count }, (_, i) => `Step ${i + 1} of ${count}`));
        if (plugin === 'ask_js') expect(result.structuredContent?.['capabilities']).toEqual({ elicitation: {} });
      } finally {
        await client.close();
      }
    },
  );

  it('the v2 client: sampling auto-fulfilled through its sampling handler', async () => {
    const v2 = v2Client({ sample: () => sampled('short version') });
    const client = await v2.connect();
    try {
      const result = (await client.callTool({ name: 'ask__summarize', arguments: { text: 'long version' } })) as ToolResult;
      expect(result.structuredContent).toEqual({ summary: 'short version', model: 'test-model', role: 'assistant' });
      expect(v2.asked[0].params).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'Summarize: long version' } }],
        maxTokens: 50,
      });
    } finally {
      await client.close();
    }
  });

  it('the v2 client: prompts/get and resources/read whose commands ask are auto-fulfilled too', async () => {
    // Guards against: input_required results only on tools/call in this revision.
    const v2 = v2Client({
      elicit: (params) => (params['message'] === 'Which topic?' ? accept({ answer: 'queues' }) : accept({ name: 'Kim' })),
    });
    const client = await v2.connect();
    try {
      const prompt = await client.getPrompt({ name: 'ask__briefing', arguments: {} });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Brief me on queues' } }]);
      const resource = await client.readResource({ uri: 'ask://whoami' });
      expect(resource.contents).toEqual([{ uri: 'ask://whoami', mimeType: 'text/plain', text: 'You are Kim' }]);
    } finally {
      await client.close();
    }
  });

  it('an answer that is not what was asked (an ElicitResult without a valid action): -32602 naming the key', async () => {
    // Guards against: a malformed answer passed to the plugin as if the client had answered.
    const first = inputRequired(await call2026(gateway.baseUrl, 'b1', 'ask__greet', {}, { capabilities: { elicitation: {} } }));
    const retry = await call2026(
      gateway.baseUrl,
      'b2',
      'ask__greet',
      {},
      {
        capabilities: { elicitation: {} },
        inputResponses: { name: { action: 'maybe' } },
        requestState: first.requestState,
      },
    );
    expect(retry.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('inputResponses.name') });
  });

  it('the wire: inputRequests keyed as the plugin keyed them, {method, params}, and an opaque requestState', async () => {
    // Guards against: the plugin's request kinds leaking instead of MCP methods, or state sent in the clear.
    const first = inputRequired(await call2026(gateway.baseUrl, 'w1', 'ask__greet', {}, { capabilities: { elicitation: {} } }));
    expect(first.inputRequests).toEqual({
      name: {
        method: 'elicitation/create',
        params: {
          message: 'What is your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
      },
    });
    expect(typeof first.requestState).toBe('string');
    expect(first.requestState).not.toContain('greet'); // sealed, not the plugin's state in the clear
    const done = await call2026(
      gateway.baseUrl,
      'w2',
      'ask__greet',
      {},
      {
        capabilities: { elicitation: {} },
        inputResponses: { name: accept({ name: 'Zoe' }) },
        requestState: first.requestState,
      },
    );
    expect(done.status).toBe(200);
    expect(done.message['result']).toMatchObject({
      resultType: 'complete',
      structuredContent: { greeting: 'Hello, Zoe!', action: 'accept', state: { asked: 'greet' } },
    });
  });

  it('a tampered requestState: JSON-RPC -32602 naming requestState, and the plugin is not re-run', async () => {
    // Guards against: state a client altered (or made up) reaching the plugin as if the plugin had written it.
    const log = plugins.runLog('tampered');
    const first = inputRequired(await call2026(gateway.baseUrl, 't1', 'ask__greet', { log }, { capabilities: { elicitation: {} } }));
    const retry = await call2026(
      gateway.baseUrl,
      't2',
      'ask__greet',
      { log },
      {
        capabilities: { elicitation: {} },
        inputResponses: { name: accept({ name: 'Mallory' }) },
        requestState: tampered(first.requestState),
      },
    );
    expect(retry.message['id']).toBe('t2');
    expect(retry.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
    expect(plugins.runs(log)).toEqual([{ rerun: false }]);
  });

  it('a requestState of another call (other arguments): -32602', async () => {
    // Guards against: one call's state (and so its confirmation) replayed on a call with other arguments.
    const first = inputRequired(await call2026(gateway.baseUrl, 'o1', 'ask__rounds', { count: 2 }, { capabilities: { elicitation: {} } }));
    const retry = await call2026(
      gateway.baseUrl,
      'o2',
      'ask__rounds',
      { count: 3 },
      {
        capabilities: { elicitation: {} },
        inputResponses: { step1: accept({ answer: 'x' }) },
        requestState: first.requestState,
      },
    );
    expect(retry.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
  });

  it('a retry whose inputResponses lack a requested key: a fresh input_required asking only the missing key, then the complete result with both', async () => {
    // Guards against: a partial answer re-running the plugin (it would find a key missing), or answers
    // already given being lost (nothing is kept between rounds but the requestState).
    const caps = { elicitation: {} };
    const first = inputRequired(await call2026(gateway.baseUrl, 'p1', 'ask__pair', {}, { capabilities: caps }));
    expect(Object.keys(first.inputRequests).sort()).toEqual(['first', 'second']);
    const partial = await call2026(
      gateway.baseUrl,
      'p2',
      'ask__pair',
      {},
      {
        capabilities: caps,
        inputResponses: { first: accept({ answer: 'one' }) },
        requestState: first.requestState,
      },
    );
    const again = inputRequired(partial);
    expect(Object.keys(again.inputRequests)).toEqual(['second']);
    expect(again.inputRequests['second']).toEqual(first.inputRequests['second']);
    const done = await call2026(
      gateway.baseUrl,
      'p3',
      'ask__pair',
      {},
      {
        capabilities: caps,
        inputResponses: { second: accept({ answer: 'two' }) },
        requestState: again.requestState,
      },
    );
    expect(done.message['result']).toMatchObject({
      resultType: 'complete',
      structuredContent: { first: 'one', second: 'two', keys: ['first', 'second'], state: { asked: 'pair' } },
    });
  });

  it('inputResponses without a requestState (answered before being asked): the plugin runs with "state": null', async () => {
    // Guards against: unsolicited answers refused, or given a state the plugin never wrote.
    const done = await call2026(
      gateway.baseUrl,
      'u1',
      'ask__greet',
      {},
      { capabilities: { elicitation: {} }, inputResponses: { name: accept({ name: 'Early' }) } },
    );
    expect(done.message['result']).toMatchObject({
      resultType: 'complete',
      structuredContent: { greeting: 'Hello, Early!', action: 'accept', state: null },
    });
  });

  it('devops with the v2 client: the production confirmation auto-fulfilled, accepted, writes the ledger', async () => {
    const v2 = v2Client({ elicit: () => accept({ confirm: true }) });
    const client = await v2.connect();
    try {
      const result = (await client.callTool({
        name: 'devops__deploy',
        arguments: { 'app-name': 'shop-v2', version: '5.0.0', environment: 'production' },
      })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ app: 'shop-v2', version: '5.0.0', confirmed: true });
      expect(v2.asked).toHaveLength(1);
      expect(ledgerApps()['shop-v2']?.['production']?.current_version).toBe('5.0.0');
    } finally {
      await client.close();
    }
  });

  it('devops: a "yes" sent without a requestState (never asked) deploys nothing', async () => {
    // Guards against: a client confirming a production deployment nobody was asked about (the plugin
    // gets "state": null and must refuse).
    const done = await call2026(
      gateway.baseUrl,
      'd1',
      'devops__deploy',
      { 'app-name': 'shop-unasked', version: '1.0.0', environment: 'production' },
      { capabilities: { elicitation: {} }, inputResponses: { confirm: accept({ confirm: true }) } },
    );
    const result = done.message['result'] as ToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Nothing was deployed/);
    expect(ledgerApps()['shop-unasked']).toBeUndefined();
  });

  it('a plugin asking for sampling while _meta clientCapabilities lacks it: HTTP 400, -32021, requiredCapabilities {"sampling": {}}', async () => {
    // Guards against: an input_required the client cannot fulfil (it would fail later, less clearly).
    const wire = await call2026(gateway.baseUrl, 'm1', 'ask__summarize', { text: 'x' }, { capabilities: { elicitation: {} } });
    expect(wire.status).toBe(400);
    expect(wire.message['id']).toBe('m1');
    expect(wire.message['error']).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
  });

  it('a round asking all three kinds of a client with elicitation only: -32021 naming both missing capabilities', async () => {
    const wire = await call2026(gateway.baseUrl, 'm2', 'ask__mixed', {}, { capabilities: { elicitation: {} } });
    expect(wire.status).toBe(400);
    expect(wire.message['error']).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {}, roots: {} } } });
    expect(Object.keys(((wire.message['error'] as Json)['data'] as Json)['requiredCapabilities'] as Json).sort()).toEqual([
      'roots',
      'sampling',
    ]);
  });
});

describe("API keys: a key's input rounds are its own (MCP_API_KEYS with two keys)", () => {
  const KEY_A = 'key-a-0123456789abcdef';
  const KEY_B = 'key-b-0123456789abcdef';
  let keyed: RunningGateway;
  beforeAll(async () => {
    keyed = await startGateway({
      MCP_PLUGINS_DIR: plugins.dir,
      MCP_SANDBOX_WRITABLE: plugins.writable,
      MCP_WATCH: '0',
      MCP_API_KEYS: `a:${KEY_A},b:${KEY_B}`,
    });
  });
  afterAll(async () => {
    await keyed?.close();
  });

  it('the state key a was given, sent by key b: -32602; sent by key a: the complete result', async () => {
    // Guards against: a caller replaying another principal's state (another user's confirmation).
    const caps = { elicitation: {} };
    const first = inputRequired(await call2026(keyed.baseUrl, 'k1', 'ask__greet', {}, { capabilities: caps, key: KEY_A }));
    const inputResponses = { name: accept({ name: 'Bea' }) };
    const foreign = await call2026(
      keyed.baseUrl,
      'k2',
      'ask__greet',
      {},
      { capabilities: caps, key: KEY_B, inputResponses, requestState: first.requestState },
    );
    expect(foreign.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
    const own = await call2026(
      keyed.baseUrl,
      'k3',
      'ask__greet',
      {},
      { capabilities: caps, key: KEY_A, inputResponses, requestState: first.requestState },
    );
    expect(own.message['result']).toMatchObject({ resultType: 'complete', structuredContent: { greeting: 'Hello, Bea!' } });
  });

  it("2025: key b cannot answer the request sent to key a's session (404); key a's answer then completes the call", async () => {
    // Guards against: another principal answering a user's question (a confirmation) in their place.
    const session = await rawSession(keyed.baseUrl, { elicitation: {} }, KEY_A);
    const { reader } = await session.open(2, 'ask__greet');
    try {
      const request = await session.requestOn(reader);
      const foreign = await session.post(
        { jsonrpc: '2.0', id: request['id'], result: accept({ name: 'Intruder' }) },
        { ...session.headers, Authorization: `Bearer ${KEY_B}` },
      );
      expect(foreign.status).toBe(404);
      const own = await session.post({ jsonrpc: '2.0', id: request['id'], result: accept({ name: 'Owner' }) });
      expect(own.status).toBe(202);
      await reader.waitFor((r) => r.messages.some((m) => m['id'] === 2));
      expect(reader.messages.find((m) => m['id'] === 2)?.['result']).toMatchObject({ structuredContent: { greeting: 'Hello, Owner!' } });
    } finally {
      reader.close();
    }
  });
});

describe('MCP_INPUT_ROUNDS=0 and MCP_STATE_TTL', () => {
  let none: RunningGateway;
  let brief: RunningGateway;
  beforeAll(async () => {
    const base = { MCP_PLUGINS_DIR: plugins.dir, MCP_SANDBOX_WRITABLE: plugins.writable, MCP_WATCH: '0' };
    [none, brief] = await Promise.all([startGateway({ ...base, MCP_INPUT_ROUNDS: '0' }), startGateway({ ...base, MCP_STATE_TTL: '1' })]);
  });
  afterAll(async () => {
    await Promise.all([none?.close(), brief?.close()]);
  });

  it('MCP_INPUT_ROUNDS=0: a plugin that asks is a plugin_error naming MCP_INPUT_ROUNDS, in both revisions, and nobody is asked', async () => {
    // Guards against: an operator's "no questions" setting ignored for the first round.
    const { client, asked } = clientWith('no-rounds', { elicit: () => accept({ name: 'x' }) });
    const connection = await connectStreamableHttp(none, client);
    try {
      const result = (await client.callTool({ name: 'ask__greet', arguments: {} })) as ToolResult;
      expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('plugin_error');
      expect(textOf(result)).toContain('MCP_INPUT_ROUNDS');
    } finally {
      await connection.close();
    }
    expect(asked).toEqual([]);
    const wire = await call2026(none.baseUrl, 'n1', 'ask__greet', {}, { capabilities: { elicitation: {} } });
    const result = wire.message['result'] as ToolResult & { resultType?: string };
    expect(result.resultType).not.toBe('input_required');
    expect((result.structuredContent?.['error'] as Json)?.['code']).toBe('plugin_error');
  });

  it('MCP_STATE_TTL=1: a retry after more than a second is -32602 naming requestState', async () => {
    // Guards against: a sealed state (a confirmation) that stays good forever.
    const first = inputRequired(await call2026(brief.baseUrl, 'e1', 'ask__greet', {}, { capabilities: { elicitation: {} } }));
    await new Promise((r) => setTimeout(r, 1_300));
    const late = await call2026(
      brief.baseUrl,
      'e2',
      'ask__greet',
      {},
      {
        capabilities: { elicitation: {} },
        inputResponses: { name: accept({ name: 'Late' }) },
        requestState: first.requestState,
      },
    );
    expect(late.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
  });
});

describe('the real process over stdio (the bundle, --stdio)', () => {
  const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
  const env = (): Record<string, string> => ({
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    MCP_PLUGINS_DIR: plugins.dir,
    MCP_DISCOVERY_CACHE: 'off',
    MCP_WATCH: '0',
  });

  it('2025 (v1 client): the elicitation/create goes out on stdout among the JSON-RPC lines, the answer comes back on stdin', async () => {
    // Guards against: the gateway's requests (or a log line) breaking stdout's JSON-RPC framing in the real process.
    let n = 0;
    const { client, asked } = clientWith('stdio-process', { elicit: () => accept({ answer: `p${++n}` }) });
    const transport = new StdioClientTransport({ command: process.execPath, args: [MAIN, '--stdio'], env: env(), stderr: 'pipe' });
    const errors: Error[] = [];
    client.onerror = (err) => errors.push(err);
    await client.connect(transport);
    try {
      const result = (await client.callTool({ name: 'ask__rounds', arguments: { count: 2 } })) as ToolResult;
      expect(result.structuredContent).toEqual({ answers: ['p1', 'p2'], runs: 3 });
      expect(asked).toHaveLength(2);
      expect(errors).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('2026-07-28 (v2 client): input_required results over stdio, auto-fulfilled', async () => {
    let n = 0;
    const transport = new StdioClientTransportV2({ command: process.execPath, args: [MAIN, '--stdio'], env: env(), stderr: 'pipe' });
    const client = new ClientV2(
      { name: 'stdio-v2', version: '2.0.0' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: V } } },
    );
    client.setRequestHandler('elicitation/create', async () => accept({ answer: `s${++n}` }));
    await client.connect(transport);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(V);
      const result = (await client.callTool({ name: 'ask__rounds', arguments: { count: 2 } })) as ToolResult;
      expect(result.structuredContent).toEqual({ answers: ['s1', 's2'], runs: 3 });
    } finally {
      await client.close();
    }
  });
});

describe('the state secret (MCP_STATE_SECRET)', () => {
  const SECRET = 'a-shared-state-secret-of-32-characters!';
  const started: RunningGateway[] = [];
  const another = async (env: Record<string, string> = {}): Promise<RunningGateway> => {
    const one = await startGateway({ MCP_PLUGINS_DIR: plugins.dir, MCP_SANDBOX_WRITABLE: plugins.writable, MCP_WATCH: '0', ...env });
    started.push(one);
    return one;
  };
  afterAll(async () => {
    await Promise.all(started.map((one) => one.close()));
  });
  const greet = (base: string, id: string, requestState?: string): Promise<Wire> =>
    call2026(
      base,
      id,
      'ask__greet',
      {},
      {
        capabilities: { elicitation: {} },
        ...(requestState === undefined ? {} : { requestState, inputResponses: { name: accept({ name: 'Sam' }) } }),
      },
    );

  it('unset on one instance: a key is generated at start (logged), and another such instance refuses its states', async () => {
    // Guards against: a fixed built-in key (every unconfigured gateway would accept every other's states).
    expect(gateway.logs.some((l) => /MCP_STATE_SECRET is not set/.test(l) && /generated/.test(l))).toBe(true);
    const other = await another();
    const first = inputRequired(await greet(gateway.baseUrl, 's1'));
    const elsewhere = await greet(other.baseUrl, 's2', first.requestState);
    expect(elsewhere.message['error']).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
  });

  it('the same MCP_STATE_SECRET on two gateways: a state sealed by one is opened by the other', async () => {
    // Guards against: state bound to the instance that issued it (a retry through a load balancer would fail).
    const [one, two] = await Promise.all([another({ MCP_STATE_SECRET: SECRET }), another({ MCP_STATE_SECRET: SECRET })]);
    expect(one.logs.some((l) => /MCP_STATE_SECRET is not set/.test(l))).toBe(false);
    const first = inputRequired(await greet(one.baseUrl, 'x1'));
    const done = await greet(two.baseUrl, 'x2', first.requestState);
    expect(done.message['result']).toMatchObject({
      resultType: 'complete',
      structuredContent: { greeting: 'Hello, Sam!', state: { asked: 'greet' } },
    });
  });

  it('a secret shorter than 32 characters stops the start with an error naming MCP_STATE_SECRET', async () => {
    await expect(another({ MCP_STATE_SECRET: 'too-short' })).rejects.toThrow(/MCP_STATE_SECRET/);
  });
});
