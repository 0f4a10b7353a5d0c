// Pins input rounds (issue #19) across instances: two gateway processes (the production bundle)
// sharing a Redis and one MCP_STATE_SECRET, nginx in front with the documented round-robin
// configuration (no affinity). In 2026-07-28 nothing is kept between rounds, so any instance may
// serve any retry. In the 2025 revisions the client's answer to a request the gateway sent, its
// resumed stream and its cancellation may reach another instance than the one waiting, and a
// killed instance's waiting call gets its one final error. And the start refuses a shared
// deployment without a shared secret. Each test names the failure it guards against.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { interactivePlugins, rawSession } from './interactive-plugin';
import type { InteractivePlugins } from './interactive-plugin';
import { documentedBlock, startNginxInFront } from './nginx';
import type { RunningNginx } from './nginx';
import { startInstance, startRedis } from './scale-out';
import type { Instance, RunningRedis } from './scale-out';
import { SseReader } from './sse-reader';

type Json = Record<string, unknown>;

const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');
const SECRET = 'scale-out-state-secret-0123456789abcdef';
const V = '2026-07-28';

describe('input rounds on two instances behind nginx (round robin) sharing a Redis', () => {
  let redis: RunningRedis;
  let plugins: InteractivePlugins;
  let a: Instance;
  let b: Instance;
  let nginx: RunningNginx;

  beforeAll(async () => {
    redis = await startRedis();
    plugins = interactivePlugins();
    const env = {
      MCP_REDIS_URL: redis.url,
      MCP_PLUGINS_DIR: plugins.dir,
      MCP_SANDBOX_WRITABLE: plugins.writable,
      MCP_STATE_SECRET: SECRET,
      MCP_WATCH: '0',
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    nginx = await startNginxInFront(documentedBlock('upstream sanctum {'), [a.port, b.port]);
  }, 60_000);

  afterAll(async () => {
    await nginx?.close();
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
    plugins?.remove();
  });

  it('2026-07-28: the v2 client completes a three-round tool through nginx, its rounds served by both instances', async () => {
    // Guards against: round state kept in one instance's memory (a retry reaching the other one would
    // fail), or a secret per instance (the other one would refuse the requestState).
    let n = 0;
    const client = new ClientV2(
      { name: 'interactive-scale', version: '2.0.0' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: V } } },
    );
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request: { params: Json }) => {
      asked.push(request.params['message'] as string);
      return { action: 'accept', content: { answer: `r${++n}` } };
    });
    await client.connect(new TransportV2(new URL(`${nginx.baseUrl}/mcp`)));
    try {
      const result = (await client.callTool({ name: 'ask__rounds', arguments: { count: 3 } })) as {
        isError?: boolean;
        structuredContent?: Json;
      };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ answers: ['r1', 'r2', 'r3'], runs: 4 });
      expect(asked).toEqual(['Step 1 of 3', 'Step 2 of 3', 'Step 3 of 3']);
    } finally {
      await client.close();
    }
    // Four POSTs alternate between the instances: both asked a round.
    expect(a.output()).toMatch(/Input required: ask\.rounds .* round \d: step\d/);
    expect(b.output()).toMatch(/Input required: ask\.rounds .* round \d: step\d/);
  });

  it("2025: the answer to A's elicitation/create posted to B (202) reaches the call waiting on A, whose stream carries the result", async () => {
    // Guards against: a client's response accepted only by the instance that sent the request (behind a
    // load balancer it would be lost, and the call would wait until its timeout).
    const session = await rawSession(a.url, { elicitation: {} });
    const { reader } = await session.open(2, 'ask__greet');
    try {
      const request = await session.requestOn(reader);
      expect(request['method']).toBe('elicitation/create');
      expect(typeof request['id']).toBe('string');
      expect(request['params']).toMatchObject({ message: 'What is your name?' });
      const answer = await fetch(`${b.url}/mcp`, {
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: request['id'], result: { action: 'accept', content: { name: 'Remote' } } }),
      });
      expect(answer.status).toBe(202);
      await reader.waitFor((r) => r.messages.some((m) => m['id'] === 2), 8_000);
      const final = reader.messages.find((m) => m['id'] === 2) as Json;
      expect(final['result']).toMatchObject({ structuredContent: { greeting: 'Hello, Remote!', action: 'accept' } });
    } finally {
      reader.close();
    }
    await fetch(`${a.url}/mcp`, { method: 'DELETE', headers: { 'Mcp-Session-Id': session.sessionId } });
  });

  it("2025: A's POST stream dropped during the wait, resumed on B: the request replayed there, the answer to B, the result on B's stream", async () => {
    // Guards against: a call's outgoing requests kept only in the memory of the instance running it (a
    // client reconnecting through the load balancer would never see the question).
    const session = await rawSession(a.url, { elicitation: {} });
    const { reader } = await session.open(3, 'ask__greet');
    const request = await session.requestOn(reader);
    const priming = reader.events[0].id as string;
    reader.close();
    const { reader: resumed } = await SseReader.open(`${b.url}/mcp`, {
      headers: {
        Accept: 'text/event-stream',
        'Mcp-Session-Id': session.sessionId,
        'MCP-Protocol-Version': '2025-11-25',
        'Last-Event-ID': priming,
      },
    });
    if (resumed === undefined) throw new Error('the resume on B was not answered with an event stream');
    try {
      expect(await session.requestOn(resumed)).toEqual(request);
      const answer = await fetch(`${b.url}/mcp`, {
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: request['id'], result: { action: 'accept', content: { name: 'Resumed' } } }),
      });
      expect(answer.status).toBe(202);
      await resumed.waitFor((r) => r.messages.some((m) => m['id'] === 3), 8_000);
      expect(resumed.messages.find((m) => m['id'] === 3)?.['result']).toMatchObject({ structuredContent: { greeting: 'Hello, Resumed!' } });
    } finally {
      resumed.close();
    }
  });

  it('2025: notifications/cancelled posted to B ends the wait on A: A cancels its own request, and the plugin is not re-run', async () => {
    // Guards against: a cancellation that only the instance running the call can act on (behind a
    // load balancer the call would wait on, and a late answer would still run the plugin).
    const log = plugins.runLog('cancel-across');
    const session = await rawSession(a.url, { elicitation: {} });
    const { response, reader } = await SseReader.open(`${a.url}/mcp`, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'ask__greet', arguments: { log } } }),
    });
    if (reader === undefined) throw new Error(`not an event stream (status ${response.status})`);
    try {
      const request = await session.requestOn(reader);
      const cancel = await fetch(`${b.url}/mcp`, {
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'the user gave up' } }),
      });
      expect(cancel.status).toBe(202);
      await reader.waitFor(
        (r) => r.messages.some((m) => m['method'] === 'notifications/cancelled' && (m['params'] as Json)?.['requestId'] === request['id']),
        8_000,
      );
      // A late answer changes nothing.
      await fetch(`${b.url}/mcp`, {
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: request['id'], result: { action: 'accept', content: { name: 'Late' } } }),
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(plugins.runs(log)).toEqual([{ rerun: false }]);
      // The call's own answer, if any, is the gateway's `cancelled` result (as for any cancelled call), never the greeting.
      for (const answer of reader.messages.filter((m) => m['id'] === 5)) {
        expect(answer['result']).toMatchObject({ isError: true, structuredContent: { error: { code: 'cancelled' } } });
      }
    } finally {
      reader.close();
    }
  });

  it('2025 HTTP+SSE: a call posted to B, its elicitation/create on the stream held by A, the answer posted to A, the result on the stream', async () => {
    // Guards against: requests of a session's call sent only to streams on the instance running the call.
    const { reader } = await SseReader.open(`${a.url}/sse`, { headers: { Accept: 'text/event-stream' } });
    if (reader === undefined) throw new Error('GET /sse did not answer with a stream');
    try {
      await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
      const endpoint = reader.events.find((e) => e.event === 'endpoint')?.data as string;
      const sessionId = new URL(endpoint, a.url).searchParams.get('sessionId') as string;
      const post = (base: string, body: Json): Promise<Response> =>
        fetch(`${base}/message?sessionId=${sessionId}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      const messages = (): Json[] =>
        reader.events.filter((e) => e.event !== 'endpoint' && (e.data ?? '') !== '').map((e) => JSON.parse(e.data as string) as Json);

      expect(
        (
          await post(a.url, {
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'raw-sse', version: '1' } },
          })
        ).status,
      ).toBe(202);
      await reader.waitFor(() => messages().some((m) => m['id'] === 1));
      expect((await post(b.url, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
      expect(
        (await post(b.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask__greet', arguments: {} } })).status,
      ).toBe(202);
      await reader.waitFor(() => messages().some((m) => m['method'] === 'elicitation/create'), 8_000);
      const request = messages().find((m) => m['method'] === 'elicitation/create') as Json;
      expect(
        (await post(a.url, { jsonrpc: '2.0', id: request['id'], result: { action: 'accept', content: { name: 'Across' } } })).status,
      ).toBe(202);
      await reader.waitFor(() => messages().some((m) => m['id'] === 2), 8_000);
      expect(messages().find((m) => m['id'] === 2)?.['result']).toMatchObject({ structuredContent: { greeting: 'Hello, Across!' } });
    } finally {
      reader.close();
    }
  });
});

describe('an instance stops while its call waits for the client', () => {
  let redis: RunningRedis;
  let plugins: InteractivePlugins;
  let holder: Instance;
  let runner: Instance;

  beforeAll(async () => {
    redis = await startRedis();
    plugins = interactivePlugins();
    const env = {
      MCP_REDIS_URL: redis.url,
      MCP_PLUGINS_DIR: plugins.dir,
      MCP_SANDBOX_WRITABLE: plugins.writable,
      MCP_STATE_SECRET: SECRET,
      MCP_WATCH: '0',
    };
    [holder, runner] = await Promise.all([startInstance(env), startInstance(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([holder?.close(), runner?.close()]);
    await redis?.close();
    plugins?.remove();
  });

  it('kill -9 of the instance running a waiting call: its stream on the other instance gets exactly one -32603 for it', async () => {
    // Guards against: a call waiting for input left out of the instance's in-flight registry, so that
    // its client waits forever once that instance is gone.
    const { reader } = await SseReader.open(`${holder.url}/sse`, { headers: { Accept: 'text/event-stream' } });
    if (reader === undefined) throw new Error('GET /sse did not answer with a stream');
    try {
      await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
      const endpoint = reader.events.find((e) => e.event === 'endpoint')?.data as string;
      const sessionId = new URL(endpoint, holder.url).searchParams.get('sessionId') as string;
      const post = (base: string, body: Json): Promise<Response> =>
        fetch(`${base}/message?sessionId=${sessionId}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      const messages = (): Json[] =>
        reader.events.filter((e) => e.event !== 'endpoint' && (e.data ?? '') !== '').map((e) => JSON.parse(e.data as string) as Json);
      await post(holder.url, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'raw-sse', version: '1' } },
      });
      await reader.waitFor(() => messages().some((m) => m['id'] === 1));
      await post(holder.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
      expect(
        (await post(runner.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask__greet', arguments: {} } })).status,
      ).toBe(202);
      await reader.waitFor(() => messages().some((m) => m['method'] === 'elicitation/create'), 8_000);
      runner.child.kill('SIGKILL');
      await reader.waitFor(() => messages().some((m) => m['id'] === 2), 8_000);
      await new Promise((r) => setTimeout(r, 500));
      const answers = messages().filter((m) => m['id'] === 2);
      expect(answers).toHaveLength(1);
      expect(answers[0]['error']).toMatchObject({ code: -32603 });
    } finally {
      reader.close();
    }
  });
});

/** The bundle run to its end with `env`: exit code and output, stdout and stderr apart. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', MCP_DISCOVERY_CACHE: 'off', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`still running after 20 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('a shared deployment without a shared state secret', () => {
  it('MCP_REDIS_URL without MCP_STATE_SECRET: exit 2, one line on stderr naming MCP_STATE_SECRET, nothing on stdout', async () => {
    // Guards against: instances each generating their own key (every retry reaching another instance
    // would be refused as tampered); and, as for every start-up error (start-messages.e2e-spec.ts),
    // the reason said once, on stderr, before discovery.
    const redis = await startRedis();
    const plugins = interactivePlugins();
    try {
      const { code, stdout, stderr } = await runToExit({ MCP_REDIS_URL: redis.url, MCP_PLUGINS_DIR: plugins.dir });
      expect(code).toBe(2);
      expect(stderr.split('\n').filter((line) => line.includes('MCP_STATE_SECRET'))).toEqual([
        expect.stringMatching(/^Invalid configuration: MCP_STATE_SECRET .*MCP_REDIS_URL/),
      ]);
      expect(stdout).toBe('');
      expect(stderr).not.toMatch(/Discovered plugin/);
    } finally {
      plugins.remove();
      await redis.close();
    }
  });
});
