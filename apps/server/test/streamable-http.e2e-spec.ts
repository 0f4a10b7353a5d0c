// Pins the Streamable HTTP transport at /mcp as raw HTTP: every status code, the session header,
// the standalone GET stream (one per session, priming event, keepalives, Last-Event-ID replay),
// SSE answers and their resumption, cancellation, DELETE and the idle reaper.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SessionRegistry, StreamableHttpStreams } from '@sanctum/sessions';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';
import { SseReader } from './sse-reader';

const PLUGINS_DIR = resolve(__dirname, '../../../mcp/plugins');
const BOTH = 'application/json, text/event-stream';
const LATEST = '2025-11-25';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

async function call(url: string, init: RequestInit): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

function initializeBody(protocolVersion = LATEST, id: number | string = 0): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-http', version: '1' } },
  });
}

describe('Streamable HTTP transport at /mcp', () => {
  let gateway: RunningGateway;
  let workDir: string;
  let mcp: string;

  const post = (body: string, headers: Record<string, string> = {}): Promise<Reply> =>
    call(mcp, { method: 'POST', headers: { Accept: BOTH, 'Content-Type': 'application/json', ...headers }, body });

  /** Initialize a session; returns its id. */
  const initialize = async (protocolVersion = LATEST): Promise<string> => {
    const res = await post(initializeBody(protocolVersion));
    expect(res.status).toBe(200);
    const id = res.headers.get('mcp-session-id');
    expect(id).toBeTruthy();
    return id as string;
  };

  const sessionHeaders = (id: string, version = LATEST): Record<string, string> => ({
    'Mcp-Session-Id': id,
    'MCP-Protocol-Version': version,
  });

  const openGet = (id: string, headers: Record<string, string> = {}) =>
    SseReader.open(mcp, { headers: { Accept: 'text/event-stream', ...sessionHeaders(id), ...headers } });

  const streamsOf = (id: string) => gateway.app.get(StreamableHttpStreams).get(id);
  const sessionOf = (id: string) => gateway.app.get(SessionRegistry).get(id);

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-mcp-http-'));
    const plugins = join(workDir, 'plugins');
    writeSlowPlugin(plugins);
    // The slow plugin writes its marker files into workDir: writable in the plugin sandbox.
    gateway = await startGateway({ MCP_PLUGINS_DIR: plugins, MCP_SSE_KEEPALIVE: '0.2', MCP_MAX_BODY_BYTES: '4096', MCP_SANDBOX_WRITABLE: workDir });
    mcp = `${gateway.baseUrl}/mcp`;
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  describe('POST', () => {
    it.each([
      ['no Accept header', undefined],
      ['only application/json', 'application/json'],
      ['only text/event-stream', 'text/event-stream'],
      ['*/*', '*/*'],
    ])('answers 406 with a JSON-RPC error saying what to send, for %s', async (_name, accept) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (accept) headers['Accept'] = accept;
      const res = await call(mcp, { method: 'POST', headers, body: initializeBody() });
      expect(res.status).toBe(406);
      expect(res.json()).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: expect.stringContaining('Accept: application/json, text/event-stream') },
      });
    });

    it('accepts Accept with parameters and in any order', async () => {
      const res = await post(initializeBody(), { Accept: 'text/event-stream;q=0.9, application/json' });
      expect(res.status).toBe(200);
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/jsonl']])(
      'answers 415 for Content-Type %s',
      async (type) => {
        const res = await post(initializeBody(), { 'Content-Type': type });
        expect(res.status).toBe(415);
        expect(res.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining('Content-Type: application/json') } });
      },
    );

    it('initialize creates a session: Mcp-Session-Id header, JSON body, a log line', async () => {
      const res = await post(initializeBody('2025-06-18'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const id = res.headers.get('mcp-session-id') as string;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.json()).toMatchObject({
        jsonrpc: '2.0',
        id: 0,
        result: { protocolVersion: '2025-06-18', serverInfo: { name: 'sanctum-mcp' } },
      });
      expect(sessionOf(id)?.transport).toBe('streamable-http');
      await eventually(() => gateway.logs.some((l) => l.endsWith(`INFO: Session started: ${id}`)));
    });

    it('a failed initialize keeps no session and sends no Mcp-Session-Id', async () => {
      const before = gateway.app.get(SessionRegistry).count();
      const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }));
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      expect(res.json()).toMatchObject({ id: 1, error: { code: -32602, message: expect.stringContaining('protocolVersion') } });
      expect(gateway.app.get(SessionRegistry).count()).toBe(before);
    });

    it('refuses initialize with an Mcp-Session-Id or inside a batch (400)', async () => {
      const id = await initialize();
      const again = await post(initializeBody(), sessionHeaders(id));
      expect(again.status).toBe(400);
      expect(again.json()).toMatchObject({ error: { code: -32600, message: expect.stringContaining('without an Mcp-Session-Id') } });
      const batch = await post(`[${initializeBody()},{"jsonrpc":"2.0","id":2,"method":"ping"}]`);
      expect(batch.status).toBe(400);
      expect(batch.json()).toMatchObject({ error: { code: -32600, message: expect.stringContaining('on its own') } });
    });

    it('answers a request without Mcp-Session-Id with 400: initialize first and send the header', async () => {
      const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}');
      expect(res.status).toBe(400);
      const { error } = res.json<{ error: { code: number; message: string } }>();
      expect(error.code).toBe(-32000);
      expect(error.message).toMatch(/initialize/);
      expect(error.message).toMatch(/Mcp-Session-Id/);
    });

    it('answers an unknown session with 404 (-32001)', async () => {
      const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', sessionHeaders('00000000-0000-4000-8000-000000000000'));
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ id: null, error: { code: -32001, message: expect.stringContaining('Session not found') } });
    });

    it('answers a session of another transport with 404', async () => {
      const other = gateway.app.get(SessionRegistry).create('sse');
      try {
        const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', sessionHeaders(other.id));
        expect(res.status).toBe(404);
      } finally {
        gateway.app.get(SessionRegistry).remove(other.id);
      }
    });

    it('answers an unsupported MCP-Protocol-Version with 400 listing the supported ones; no header is fine', async () => {
      const id = await initialize();
      const bad = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'Mcp-Session-Id': id, 'MCP-Protocol-Version': '1999-01-01' });
      expect(bad.status).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining('1999-01-01') } });
      expect(bad.json<{ error: { message: string } }>().error.message).toContain('2025-11-25, 2025-06-18, 2025-03-26');
      const none = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'Mcp-Session-Id': id });
      expect(none.status).toBe(200);
      expect(none.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    });

    it('answers requests with JSON: a response, or an array for a batch', async () => {
      const id = await initialize();
      const one = await post('{"jsonrpc":"2.0","id":"a","method":"ping"}', sessionHeaders(id));
      expect(one.status).toBe(200);
      expect(one.headers.get('content-type')).toMatch(/^application\/json/);
      expect(one.headers.get('mcp-session-id')).toBe(id);
      expect(one.json()).toEqual({ jsonrpc: '2.0', id: 'a', result: {} });
      const batch = await post(
        '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","id":3,"method":"nope"}]',
        sessionHeaders(id),
      );
      expect(batch.status).toBe(200);
      const responses = batch.json<Array<Record<string, unknown>>>();
      expect(responses.map((r) => r['id'])).toEqual([1, 2, 3]);
      expect(responses[1]).toMatchObject({ result: { tools: expect.arrayContaining([expect.objectContaining({ name: 'slow__wait' })]) } });
      expect(responses[2]).toMatchObject({ error: { code: -32601 } });
    });

    it('answers notifications and client responses with 202 and no body', async () => {
      const id = await initialize();
      const note = await post('{"jsonrpc":"2.0","method":"notifications/initialized"}', sessionHeaders(id));
      expect(note.status).toBe(202);
      expect(note.text).toBe('');
      expect(sessionOf(id)?.initialized).toBe(true);
      const responses = await post(
        '[{"jsonrpc":"2.0","id":"s1","result":{}},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x"}}]',
        sessionHeaders(id),
      );
      expect(responses.status).toBe(202);
      expect(responses.text).toBe('');
    });

    it('answers a body it cannot read with 400 and the JSON-RPC error', async () => {
      const id = await initialize();
      const parse = await post('{"jsonrpc":', sessionHeaders(id));
      expect(parse.status).toBe(400);
      expect(parse.json()).toMatchObject({ id: null, error: { code: -32700 } });
      const invalid = await post('{"jsonrpc":"1.0","method":"notifications/initialized"}', sessionHeaders(id));
      expect(invalid.status).toBe(400);
      expect(invalid.json()).toMatchObject({ error: { code: -32600 } });
    });

    it('refuses a body over MCP_MAX_BODY_BYTES with 413', async () => {
      const id = await initialize();
      const res = await post(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(8192) } }),
        sessionHeaders(id),
      );
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ error: { message: expect.stringContaining('too large') } });
    });
  });

  describe('DELETE', () => {
    it('ends the session (204, log line); the id is then unknown (404)', async () => {
      const id = await initialize();
      const del = await call(mcp, { method: 'DELETE', headers: sessionHeaders(id) });
      expect(del.status).toBe(204);
      expect(sessionOf(id)).toBeUndefined();
      await eventually(() => gateway.logs.some((l) => l.endsWith(`INFO: Session ended: ${id}`)));
      expect((await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', sessionHeaders(id))).status).toBe(404);
      expect((await call(mcp, { method: 'DELETE', headers: sessionHeaders(id) })).status).toBe(404);
    });

    it('needs a session id (400)', async () => {
      const res = await call(mcp, { method: 'DELETE' });
      expect(res.status).toBe(400);
    });

    it('ends the open GET stream and cancels running calls', async () => {
      const id = await initialize();
      const { reader } = await openGet(id);
      const marker = join(workDir, 'deleted.marker');
      const pending = post(
        JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'slow__wait', arguments: { ms: 5000, marker } } }),
        sessionHeaders(id),
      );
      await eventually(() => (streamsOf(id)?.pendingRequests ?? 0) > 0 && (sessionOf(id)?.inFlightCount ?? 0) > 0);
      const started = Date.now();
      expect((await call(mcp, { method: 'DELETE', headers: sessionHeaders(id) })).status).toBe(204);
      const answer = await pending;
      expect(Date.now() - started).toBeLessThan(4000);
      expect(answer.json()).toMatchObject({ id: 9, result: { isError: true, structuredContent: { error: { code: 'cancelled' } } } });
      await reader?.waitFor((r) => r.ended);
      expect(existsSync(marker)).toBe(false);
    });
  });

  describe('GET stream', () => {
    it('answers 406 without Accept: text/event-stream, 400 without a session, 404 for an unknown one', async () => {
      const id = await initialize();
      const noAccept = await call(mcp, { headers: { Accept: 'application/json', ...sessionHeaders(id) } });
      expect(noAccept.status).toBe(406);
      expect(noAccept.json()).toMatchObject({ error: { message: expect.stringContaining('Accept: text/event-stream') } });
      expect((await call(mcp, { headers: { Accept: 'text/event-stream' } })).status).toBe(400);
      const unknown = await call(mcp, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': 'nope' } });
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toMatchObject({ error: { code: -32001 } });
      const badVersion = await call(mcp, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': id, 'MCP-Protocol-Version': 'x' } });
      expect(badVersion.status).toBe(400);
    });

    it('opens with the SSE headers and a priming event (id, retry, empty data), then keepalives', async () => {
      const id = await initialize();
      const { response, reader } = await openGet(id);
      try {
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        expect(response.headers.get('cache-control')).toContain('no-cache');
        expect(response.headers.get('mcp-session-id')).toBe(id);
        await reader?.waitFor((r) => r.events.length > 0);
        expect(reader?.text).toMatch(/^id: g_\d+\nretry: 1000\ndata: \n\n/);
        await reader?.waitFor((r) => r.text.includes(': keepalive\n\n'), 3_000);
      } finally {
        reader?.close();
      }
    });

    it('sends only a retry field first to clients of revisions before 2025-11-25', async () => {
      const id = await initialize('2025-03-26');
      const { reader } = await SseReader.open(mcp, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': id } });
      try {
        await reader?.waitFor((r) => r.events.length > 0);
        expect(reader?.text.startsWith('retry: 1000\n\n')).toBe(true);
        expect(reader?.events[0]).toEqual({ retry: 1000 });
      } finally {
        reader?.close();
      }
    });

    it('allows one GET stream per session: a second is 409 until the first closes', async () => {
      const id = await initialize();
      const first = await openGet(id);
      const second = await call(mcp, { headers: { Accept: 'text/event-stream', ...sessionHeaders(id) } });
      expect(second.status).toBe(409);
      expect(second.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining('only one') } });
      first.reader?.close();
      await eventually(() => streamsOf(id)?.hasStandaloneStream === false);
      const third = await openGet(id);
      expect(third.response.status).toBe(200);
      third.reader?.close();
    });

    it('carries what session.send() emits, each event with an id', async () => {
      const id = await initialize();
      const { reader } = await openGet(id);
      try {
        await reader?.waitFor((r) => r.events.length > 0);
        sessionOf(id)?.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
        await reader?.waitFor((r) => r.messages.length === 1);
        const event = reader?.events.at(-1);
        expect(event?.event).toBe('message');
        expect(event?.id).toMatch(/^g_\d+$/);
        expect(reader?.messages[0]).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      } finally {
        reader?.close();
      }
    });

    it('replays the events missed while disconnected to a client reconnecting with Last-Event-ID, then goes on live', async () => {
      const id = await initialize();
      const session = sessionOf(id);
      const note = (n: number) => ({
        jsonrpc: '2.0' as const,
        method: 'notifications/message',
        params: { level: 'info', data: `event ${n}` },
      });

      const first = (await openGet(id)).reader as SseReader;
      await first.waitFor((r) => r.events.length > 0);
      session?.send(note(1));
      await first.waitFor((r) => r.messages.length === 1);
      const lastSeen = first.events.at(-1)?.id as string;
      first.close();
      await eventually(() => streamsOf(id)?.hasStandaloneStream === false);

      session?.send(note(2));
      session?.send(note(3));

      const resumed = (await openGet(id, { 'Last-Event-ID': lastSeen })).reader as SseReader;
      try {
        await resumed.waitFor((r) => r.messages.length === 2);
        expect(resumed.messages.map((m) => (m['params'] as { data: string }).data)).toEqual(['event 2', 'event 3']);
        const ids = resumed.events.filter((e) => e.data).map((e) => e.id as string);
        expect(new Set([...ids, lastSeen]).size).toBe(3);
        session?.send(note(4));
        await resumed.waitFor((r) => r.messages.length === 3);
        // It is the session's GET stream now: another plain GET is refused.
        expect((await call(mcp, { headers: { Accept: 'text/event-stream', ...sessionHeaders(id) } })).status).toBe(409);
      } finally {
        resumed.close();
      }
    });

    it('a reconnect with Last-Event-ID replaces a GET stream the server still holds open', async () => {
      const id = await initialize();
      const first = (await openGet(id)).reader as SseReader;
      await first.waitFor((r) => r.events.length > 0);
      const priming = first.events[0].id as string;
      const second = (await openGet(id, { 'Last-Event-ID': priming })).reader as SseReader;
      try {
        await first.waitFor((r) => r.ended);
        sessionOf(id)?.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } });
        await second.waitFor((r) => r.messages.length === 1);
      } finally {
        second.close();
        first.close();
      }
    });

    it('answers a Last-Event-ID this session never issued with 400', async () => {
      const id = await initialize();
      for (const lastEventId of ['g_999999', 'garbage']) {
        const res = await call(mcp, { headers: { Accept: 'text/event-stream', ...sessionHeaders(id), 'Last-Event-ID': lastEventId } });
        expect(res.status).toBe(400);
        expect(res.json()).toMatchObject({ error: { message: expect.stringContaining(lastEventId) } });
      }
    });
  });

  describe('SSE answers and resumption', () => {
    const slowCall = (requestId: number, ms: number, marker: string, progressToken?: string) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: requestId,
        method: 'tools/call',
        params: { name: 'slow__wait', arguments: { ms, marker }, ...(progressToken ? { _meta: { progressToken } } : {}) },
      });

    it('answers a request asking for progress with an SSE stream: priming event, response, end', async () => {
      const id = await initialize();
      const marker = join(workDir, 'sse-answer.marker');
      const { response, reader } = await SseReader.open(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', ...sessionHeaders(id) },
        body: slowCall(21, 50, marker, 'tok-1'),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('mcp-session-id')).toBe(id);
      await reader?.waitFor((r) => r.ended);
      expect(reader?.events[0]).toEqual({ id: expect.stringMatching(/^p\d+_\d+$/), retry: 1000, data: '' });
      expect(reader?.messages).toEqual([
        expect.objectContaining({ id: 21, result: expect.objectContaining({ structuredContent: { waited: 50 } }) }),
      ]);
      expect(reader?.events.at(-1)?.id).toMatch(/^p\d+_\d+$/);
    });

    it('keeps a call running when the client of an SSE answer disconnects; the response is replayed on resume', async () => {
      const id = await initialize();
      const marker = join(workDir, 'resume.marker');
      const { reader } = await SseReader.open(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', ...sessionHeaders(id) },
        body: slowCall(22, 400, marker, 'tok-2'),
      });
      await reader?.waitFor((r) => r.events.length > 0);
      const priming = reader?.events[0].id as string;
      reader?.close();
      // Disconnection is not cancellation: the call finishes.
      await eventually(() => existsSync(marker), 5_000);
      await eventually(() => streamsOf(id)?.pendingRequests === 0);
      const resumed = (await openGet(id, { 'Last-Event-ID': priming })).reader as SseReader;
      await resumed.waitFor((r) => r.ended);
      expect(resumed.messages).toEqual([
        expect.objectContaining({ id: 22, result: expect.objectContaining({ structuredContent: { waited: 400 } }) }),
      ]);
      // The resumed POST stream is not the session's GET stream.
      expect(streamsOf(id)?.hasStandaloneStream).toBe(false);
    });

    it('resuming an SSE answer that is still running keeps the stream open until the response', async () => {
      const id = await initialize();
      const marker = join(workDir, 'resume-live.marker');
      const { reader } = await SseReader.open(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', ...sessionHeaders(id) },
        body: slowCall(23, 600, marker, 'tok-3'),
      });
      await reader?.waitFor((r) => r.events.length > 0);
      const priming = reader?.events[0].id as string;
      reader?.close();
      const resumed = (await openGet(id, { 'Last-Event-ID': priming })).reader as SseReader;
      expect(existsSync(marker)).toBe(false);
      await resumed.waitFor((r) => r.ended, 5_000);
      expect(resumed.messages).toEqual([expect.objectContaining({ id: 23 })]);
    });

    it('keeps a call running when the client of a JSON answer disconnects (not a cancellation)', async () => {
      const id = await initialize();
      const marker = join(workDir, 'json-disconnect.marker');
      const controller = new AbortController();
      const request = fetch(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', ...sessionHeaders(id) },
        body: slowCall(24, 300, marker),
        signal: controller.signal,
      }).catch((err: unknown) => err);
      await eventually(() => (sessionOf(id)?.inFlightCount ?? 0) > 0);
      controller.abort();
      await request;
      await eventually(() => existsSync(marker), 5_000);
      await eventually(() => gateway.logs.some((l) => l.includes(`Tool completed: slow.wait (${id})`)));
    });

    it('cancels a running call on notifications/cancelled', async () => {
      const id = await initialize();
      const marker = join(workDir, 'cancelled.marker');
      const pending = post(slowCall(25, 5000, marker), sessionHeaders(id));
      await eventually(() => (sessionOf(id)?.inFlightCount ?? 0) > 0);
      const started = Date.now();
      const cancel = await post(
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 25, reason: 'changed my mind' } }),
        sessionHeaders(id),
      );
      expect(cancel.status).toBe(202);
      const answer = await pending;
      expect(Date.now() - started).toBeLessThan(4000);
      expect(answer.json()).toMatchObject({ id: 25, result: { isError: true, structuredContent: { error: { code: 'cancelled' } } } });
      expect(existsSync(marker)).toBe(false);
    });
  });
});

describe('Streamable HTTP idle reaper', () => {
  let gateway: RunningGateway;
  let mcp: string;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR, MCP_SESSION_IDLE_TIMEOUT: '0.4' });
    mcp = `${gateway.baseUrl}/mcp`;
  });
  afterAll(() => gateway?.close());

  const initialize = async (): Promise<string> => {
    const res = await call(mcp, { method: 'POST', headers: { Accept: BOTH, 'Content-Type': 'application/json' }, body: initializeBody() });
    return res.headers.get('mcp-session-id') as string;
  };
  const ping = async (id: string): Promise<number> =>
    (
      await call(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', 'Mcp-Session-Id': id },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      })
    ).status;

  it('ends a session with no request and no open stream for MCP_SESSION_IDLE_TIMEOUT, with a log line', async () => {
    const id = await initialize();
    expect(await ping(id)).toBe(200);
    // Polling with requests would keep it alive: watch the registry instead.
    await eventually(() => gateway.app.get(SessionRegistry).get(id) === undefined, 5_000);
    expect(await ping(id)).toBe(404);
    expect(gateway.logs.some((l) => l.includes(`INFO: Session ended: ${id} (idle`))).toBe(true);
  });

  it('keeps a session whose GET stream is open, and reaps it once the stream closes', async () => {
    const id = await initialize();
    const { reader } = await SseReader.open(mcp, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': id } });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(gateway.app.get(SessionRegistry).get(id)).toBeDefined();
    reader?.close();
    await eventually(() => gateway.app.get(SessionRegistry).get(id) === undefined, 5_000);
  });

  it('is off with MCP_SESSION_IDLE_TIMEOUT=0', async () => {
    const other = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR, MCP_SESSION_IDLE_TIMEOUT: '0' });
    try {
      const res = await call(`${other.baseUrl}/mcp`, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json' },
        body: initializeBody(),
      });
      const id = res.headers.get('mcp-session-id') as string;
      expect(other.app.get(StreamableHttpStreams).reapIdle(Date.now() + 10 * 24 * 3600 * 1000)).toEqual([]);
      expect(other.app.get(SessionRegistry).get(id)).toBeDefined();
    } finally {
      await other.close();
    }
  });
});

describe('Streamable HTTP sessions at the per-key cap', () => {
  const KEY = 'eviction-key-0123456789';
  let gateway: RunningGateway;
  let mcp: string;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR, MCP_API_KEY: KEY, MCP_MAX_SESSIONS_PER_KEY: '2' });
    mcp = `${gateway.baseUrl}/mcp`;
  });
  afterAll(() => gateway?.close());

  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    Accept: BOTH,
    'Content-Type': 'application/json',
    Authorization: `Bearer ${KEY}`,
    ...extra,
  });
  const initialize = (): Promise<Reply> => call(mcp, { method: 'POST', headers: headers(), body: initializeBody() });
  const ping = async (id: string): Promise<number> =>
    (
      await call(mcp, {
        method: 'POST',
        headers: headers({ 'Mcp-Session-Id': id, 'MCP-Protocol-Version': LATEST }),
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      })
    ).status;
  const evictions = (): string[] => gateway.logs.filter((l) => l.includes('(evicted: MCP_MAX_SESSIONS_PER_KEY reached)'));

  it('ends the longest-idle abandoned session for a new initialize, and refuses only while every session streams', async () => {
    // Two clients initialize and go away without DELETE.
    const oldest = (await initialize()).headers.get('mcp-session-id') as string;
    await new Promise((r) => setTimeout(r, 20));
    const abandoned = (await initialize()).headers.get('mcp-session-id') as string;
    expect(oldest && abandoned).toBeTruthy();

    const third = await initialize();
    expect(third.status).toBe(200);
    const newest = third.headers.get('mcp-session-id') as string;
    expect(await ping(oldest)).toBe(404);
    expect(await ping(abandoned)).toBe(200);
    expect(await ping(newest)).toBe(200);
    expect(evictions()).toEqual([expect.stringContaining(`INFO: Session ended: ${oldest} (evicted: MCP_MAX_SESSIONS_PER_KEY reached)`)]);
    const metrics = await call(`${gateway.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(metrics.text).toContain('mcp_sessions_evicted_total{transport="streamable-http"} 1');

    // Both remaining sessions hold a GET stream: nothing is idle, so the cap refuses as before.
    const streams = await Promise.all(
      [abandoned, newest].map((id) =>
        SseReader.open(mcp, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${KEY}`, 'Mcp-Session-Id': id } }),
      ),
    );
    try {
      expect(streams.map(({ response }) => response.status)).toEqual([200, 200]);
      const refused = await initialize();
      expect(refused.status).toBe(503);
      expect(refused.text).toContain('MCP_MAX_SESSIONS_PER_KEY=2');
      expect(await ping(abandoned)).toBe(200);
      expect(evictions()).toHaveLength(1);
    } finally {
      for (const { reader } of streams) reader?.close();
    }
  });
});
