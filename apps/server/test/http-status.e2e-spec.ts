// Pins the HTTP surface of the HTTP+SSE transport and the monitoring guide's curl commands:
// every status code the gateway promises, with JSON-RPC error codes where a body is owed.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const PLUGINS_DIR = resolve(__dirname, '../../../mcp/plugins');
const run = promisify(execFile);

/** Open an SSE stream, read until the endpoint event, return it and a closer. */
function openSse(baseUrl: string): Promise<{ endpoint: string; headers: Record<string, string | string[] | undefined>; read: () => string; close: () => void }> {
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    const req = request(`${baseUrl}/sse`, { headers: { Accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const match = /event: endpoint\ndata: (.+)\n\n/.exec(buffer);
        if (match) resolvePromise({ endpoint: match[1], headers: res.headers, read: () => buffer, close: () => req.destroy() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function post(url: string, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<{ status: number; text: string; json: () => unknown }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as unknown };
}

describe('HTTP surface of the HTTP+SSE transport', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR, MCP_SSE_KEEPALIVE: '0.2', MCP_MAX_BODY_BYTES: '2048' });
  });
  afterAll(() => gateway.close());

  it('GET /sse without Accept: text/event-stream is 406 with a message saying what to send', async () => {
    const res = await fetch(`${gateway.baseUrl}/sse`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(406);
    expect(((await res.json()) as { message: string }).message).toContain('Accept: text/event-stream');
  });

  it('GET /sse streams the endpoint event first, with the SSE headers, then keepalives', async () => {
    const sse = await openSse(gateway.baseUrl);
    try {
      expect(sse.endpoint).toMatch(/^\/message\?sessionId=[0-9a-f-]{36}$/);
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(sse.headers['cache-control']).toContain('no-cache');
      expect(sse.headers['x-accel-buffering']).toBe('no');
      expect(sse.read().startsWith('event: endpoint\n')).toBe(true);
      await eventually(() => sse.read().includes(': keepalive\n\n'), 3_000);
    } finally {
      sse.close();
    }
  });

  it('POST /message?sessionId= answers 202 and delivers the response on the stream', async () => {
    const sse = await openSse(gateway.baseUrl);
    try {
      const res = await post(`${gateway.baseUrl}${sse.endpoint}`, '{"jsonrpc":"2.0","id":7,"method":"ping"}');
      expect(res.status).toBe(202);
      await eventually(() => sse.read().includes('event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n'));
    } finally {
      sse.close();
    }
  });

  it('POST /message with an unknown session is 404 with a JSON-RPC error body', async () => {
    const res = await post(`${gateway.baseUrl}/message?sessionId=does-not-exist`, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000, message: expect.stringContaining('GET /sse') } });
  });

  it('POST /message to a session that has disconnected is 404', async () => {
    const sse = await openSse(gateway.baseUrl);
    sse.close();
    await eventually(async () => (await post(`${gateway.baseUrl}${sse.endpoint}`, '{"jsonrpc":"2.0","id":1,"method":"ping"}')).status === 404);
  });

  it.each([
    ['invalid JSON', '{"jsonrpc":', -32700],
    ['a non-object', '42', -32600],
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"ping"}', -32600],
  ])('POST /message with %s answers 400 and the JSON-RPC error %d', async (_name, body, code) => {
    const res = await post(`${gateway.baseUrl}/message`, body);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code } });
  });

  it('POST /message with an invalid body on a session is 400 with the JSON-RPC error', async () => {
    const sse = await openSse(gateway.baseUrl);
    try {
      const res = await post(`${gateway.baseUrl}${sse.endpoint}`, 'not json');
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: -32700 } });
    } finally {
      sse.close();
    }
  });

  it.each([
    ['an unknown method', { method: 'sampling/createMessage' }, -32601, /sampling\/createMessage/],
    ['initialize without protocolVersion', { method: 'initialize', params: {} }, -32602, /protocolVersion/],
    ['tools/call without a name', { method: 'tools/call', params: {} }, -32602, /"name"/],
    ['tools/call with non-object arguments', { method: 'tools/call', params: { name: 'devops__status', arguments: [1] } }, -32602, /"arguments" must be an object/],
    ['an unknown tool', { method: 'tools/call', params: { name: 'ghost__tool', arguments: {} } }, -32602, /Unknown tool: 'ghost__tool'/],
  ])('answers %s with %d and a message saying what was wrong', async (_name, call, code, message) => {
    const res = await post(`${gateway.baseUrl}/message`, JSON.stringify({ jsonrpc: '2.0', id: 'x', ...call }));
    expect(res.status).toBe(200);
    const body = res.json() as { id: string; error: { code: number; message: string } };
    expect(body.id).toBe('x');
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
  });

  it('gives no response to a notification (202, empty body)', async () => {
    const res = await post(`${gateway.baseUrl}/message`, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  it('answers a batch with an array of the owed responses', async () => {
    const res = await post(
      `${gateway.baseUrl}/message`,
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"nope"}]',
    );
    expect(res.json()).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: expect.stringContaining('nope') } },
    ]);
  });

  it('refuses a second running call under the same request id (it could never be cancelled)', async () => {
    const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'devops__status', arguments: { 'app-name': 'x' } } };
    const res = await post(`${gateway.baseUrl}/message`, JSON.stringify([call, call]));
    const [first, second] = res.json() as Array<{ id: number; result?: unknown; error?: { code: number; message: string } }>;
    expect(first.result).toBeDefined();
    expect(second).toMatchObject({ id: 9, error: { code: -32600, message: expect.stringContaining('already running in this session') } });
  });

  it('refuses a body over the cap with 413 and a JSON-RPC error', async () => {
    const res = await post(`${gateway.baseUrl}/message`, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(4096) } }));
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: { message: expect.stringContaining('too large') } });
    expect((await fetch(`${gateway.baseUrl}/health`)).status).toBe(200);
  });

  it('negotiates initialize: echoes a supported version, else answers the latest', async () => {
    for (const [asked, answered] of [
      ['2024-11-05', '2024-11-05'],
      ['2025-03-26', '2025-03-26'],
      ['2025-06-18', '2025-06-18'],
      ['2025-11-25', '2025-11-25'],
      ['2023-01-01', '2025-11-25'],
    ]) {
      const res = await post(
        `${gateway.baseUrl}/message`,
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: asked, capabilities: {}, clientInfo: { name: 'c', version: '1' } } }),
      );
      expect(res.json()).toMatchObject({ result: { protocolVersion: answered, serverInfo: { name: 'sanctum-mcp' } } });
    }
  });
});

describe('the monitoring guide debug commands, run with curl verbatim', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: PLUGINS_DIR });
    delete process.env['TELEGRAM_BOT_TOKEN'];
    delete process.env['TELEGRAM_CHAT_ID'];
  });
  afterAll(() => gateway.close());

  it('curl http://localhost:8000/health', async () => {
    const { stdout } = await run('curl', ['-s', `http://localhost:${gateway.port}/health`]);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ok', sessions: 0 });
  });

  it('curl -H "Accept: text/event-stream" http://localhost:8000/sse', async () => {
    const { stdout } = await run('curl', ['-s', '-N', '--max-time', '1', '-H', 'Accept: text/event-stream', `http://localhost:${gateway.port}/sse`]).catch(
      (err: { stdout: string; code: number }) => {
        expect(err.code).toBe(28); // curl's "operation timed out": the stream stays open
        return { stdout: err.stdout };
      },
    );
    expect(stdout).toMatch(/^event: endpoint\ndata: \/message\?sessionId=[0-9a-f-]{36}\n\n/);
  });

  it('curl -X POST http://localhost:8000/message ... botfather.send-message', async () => {
    const { stdout } = await run('curl', [
      '-s',
      '-X',
      'POST',
      `http://localhost:${gateway.port}/message`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"jsonrpc":"2.0","id":"test","method":"tools/call","params":{"name":"botfather.send-message","arguments":{"message":"/help"}}}',
    ]);
    const body = JSON.parse(stdout) as { id: string; result: { isError: boolean; content: Array<{ text: string }> } };
    expect(body.id).toBe('test');
    // Unconfigured here: an honest error that names the variables to set.
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0].text).toContain('TELEGRAM_BOT_TOKEN');
  });
});
