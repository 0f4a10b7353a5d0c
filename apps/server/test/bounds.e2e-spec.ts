// Bodies and batches bounded under hostile clients (issue 15, items 6 and 7), on the fast path and
// on the Express path alike: a refused body (413, 401, 403) is answered, then its connection is
// closed without reading the rest; at most MCP_MAX_BODIES_IN_FLIGHT bodies are read at once (503
// past it); a batch over MCP_MAX_BATCH is one -32600 error with nothing dispatched; each message
// of a batch counts against the rate limit; a batch's answer stays within MCP_MAX_BATCH_ANSWER_BYTES.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { FastPath } from '../src/app/http/fast-path';
import { BodyReader } from '../src/app/http/body-reader';
import { serveStdio } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { flood, raw } from './raw-http';
import type { Flooded } from './raw-http';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const KEY_A = 'alpha-key-0123456789';
const KEY_B = 'bravo-key-0123456789';
const BODY_LIMIT = 256 * 1024;
const ANSWER_LIMIT = 64 * 1024;
const ENV = {
  MCP_PLUGINS_DIR: FIXTURES,
  MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`,
  MCP_MAX_BODY_BYTES: String(BODY_LIMIT),
  MCP_MAX_BODIES_IN_FLIGHT: '3',
  MCP_MAX_BATCH: '10',
  MCP_MAX_BATCH_ANSWER_BYTES: String(ANSWER_LIMIT),
  MCP_RATE_LIMIT: '25',
  MCP_WATCH: '0',
};

const json = { 'Content-Type': 'application/json' };
const A = { ...json, Authorization: `Bearer ${KEY_A}` };
const B = { ...json, Authorization: `Bearer ${KEY_B}` };
const message = (id: number, method: string, params?: Record<string, unknown>): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params ? { params } : {}),
});
const batchOf = (n: number, make: (id: number) => Record<string, unknown>): string =>
  JSON.stringify(Array.from({ length: n }, (_, id) => make(id + 1)));
const echo = (id: number, text: string): Record<string, unknown> =>
  message(id, 'tools/call', { name: 'echo_py__echo', arguments: { text } });

const head = (path: string, headers: string): string => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n\r\n`;
const chunked = (size: number): Buffer =>
  Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 'x'), Buffer.from('\r\n')]);

/** Answered with `status`, then closed at once: only what the socket buffers held was written. */
function expectClosedWith(flooded: Flooded, status: number, text: string): void {
  expect(flooded.closed).toBe(true);
  expect(flooded.answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(flooded.answer.toLowerCase()).toContain('connection: close');
  expect(flooded.answer).toContain(text);
  expect(flooded.ms).toBeLessThan(2_000);
  expect(flooded.sent).toBeLessThan(16 * 1024 * 1024);
}

describe.each([
  ['the fast path', false],
  ['the Express path', true],
])('bounds on %s', (_name, express) => {
  let gateway: RunningGateway;
  const stalled: Socket[] = [];

  beforeAll(async () => {
    gateway = await startGateway(ENV);
    gateway.app.get(FastPath).disabled = express;
  }, 60_000);

  afterAll(async () => {
    for (const socket of stalled) socket.destroy();
    await gateway?.close();
  });

  it('answers 413 to a body past MCP_MAX_BODY_BYTES and closes the connection without reading on', async () => {
    const auth = `Authorization: Bearer ${KEY_A}\r\nContent-Type: application/json`;
    expectClosedWith(
      await flood(gateway.port, head('/mcp', `${auth}\r\nContent-Length: 1000000000`), Buffer.alloc(64 * 1024, 'x')),
      413,
      'Request body too large',
    );
    expectClosedWith(
      await flood(gateway.port, head('/message', `${auth}\r\nTransfer-Encoding: chunked`), chunked(64 * 1024)),
      413,
      'Request body too large',
    );
  });

  it('answers 401 to a keyless client with a body, and 403 to a wrong Host, and closes the connection', async () => {
    expectClosedWith(
      await flood(gateway.port, head('/message', 'Content-Type: application/json\r\nTransfer-Encoding: chunked'), chunked(64 * 1024)),
      401,
      'Unauthorized',
    );
    expectClosedWith(
      await flood(
        gateway.port,
        `POST /mcp HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Length: 1000000000\r\n\r\n`,
        Buffer.alloc(64 * 1024, 'x'),
      ),
      403,
      'Forbidden',
    );
    // Without a body nothing is left to read: the connection may stay open.
    const keyless = await raw(gateway.port, 'GET', '/sse', { Accept: 'text/event-stream' });
    expect(keyless.status).toBe(401);
    expect(keyless.headers['connection']).not.toBe('close');
  });

  it('reads at most MCP_MAX_BODIES_IN_FLIGHT bodies at once: 503 and close past it, served again once they end', async () => {
    const reader = gateway.app.get(BodyReader);
    for (let i = 0; i < 3; i++) {
      const socket = connect(gateway.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        head('/message', `Authorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: 100000`) + '[{"jsonrpc":',
      );
      stalled.push(socket);
    }
    await eventually(() => reader.bodiesInFlight === 3);
    const refused = await raw(gateway.port, 'POST', '/message', A, JSON.stringify(message(1, 'ping')));
    expect(refused.status).toBe(503);
    expect(refused.headers['connection']).toBe('close');
    expect(JSON.parse(refused.body)).toMatchObject({
      id: null,
      error: { code: -32000, message: expect.stringContaining('MCP_MAX_BODIES_IN_FLIGHT') },
    });
    stalled.splice(0).forEach((socket) => socket.destroy());
    await eventually(() => reader.bodiesInFlight === 0);
    expect((await raw(gateway.port, 'POST', '/message', A, JSON.stringify(message(2, 'ping')))).status).toBe(200);
  });

  it('refuses a batch over MCP_MAX_BATCH with one -32600 error (400), dispatching none of it', async () => {
    const reply = await raw(
      gateway.port,
      'POST',
      '/message',
      A,
      batchOf(11, (id) => echo(id, `over-the-cap-${id}`)),
    );
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Invalid Request: a batch of 11 messages is over the limit of 10 per batch; send at most 10 messages in one batch.',
      },
    });
    expect(gateway.logs.filter((line) => line.includes('Tool invoked'))).toEqual([]);
    const atCap = await raw(
      gateway.port,
      'POST',
      '/message',
      A,
      batchOf(10, (id) => message(id, 'ping')),
    );
    expect(atCap.status).toBe(200);
    expect(JSON.parse(atCap.body)).toHaveLength(10);
  });

  it('counts each message of a batch against the rate limit', async () => {
    // KEY_B's own budget of 25 per minute: 10 + 10 fit, the next batch of 10 does not.
    const first = await raw(
      gateway.port,
      'POST',
      '/message',
      B,
      batchOf(10, (id) => message(id, 'ping')),
    );
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-remaining']).toBe('15');
    const second = await raw(
      gateway.port,
      'POST',
      '/message',
      B,
      batchOf(10, (id) => message(id, 'ping')),
    );
    expect(second.headers['x-ratelimit-remaining']).toBe('5');
    const third = await raw(
      gateway.port,
      'POST',
      '/message',
      B,
      batchOf(10, (id) => message(id, 'ping')),
    );
    expect(third.status).toBe(429);
    expect(third.body).toContain('Too many requests: the limit is 25 per minute');
    expect((await raw(gateway.port, 'POST', '/message', B, JSON.stringify(message(1, 'ping')))).status).toBe(429);
  });

  it('keeps a batch answer within MCP_MAX_BATCH_ANSWER_BYTES: the answers past it are errors', async () => {
    const text = 'y'.repeat(20 * 1024);
    const reply = await raw(
      gateway.port,
      'POST',
      '/message',
      A,
      batchOf(8, (id) => echo(id, text)),
    );
    expect(reply.status).toBe(200);
    expect(Buffer.byteLength(reply.body)).toBeLessThan(ANSWER_LIMIT + 8 * 512);
    const answers = JSON.parse(reply.body) as Array<{ id: number; result?: unknown; error?: { code: number; message: string } }>;
    expect(answers.map((answer) => answer.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const kept = answers.filter((answer) => answer.result !== undefined);
    const dropped = answers.filter((answer) => answer.error !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(JSON.stringify(kept[0])).toContain(text);
    for (const answer of dropped) {
      expect(answer.error).toEqual({
        code: -32603,
        message: expect.stringContaining(`the answers of this batch passed the limit of ${ANSWER_LIMIT} bytes. The request was handled`),
      });
    }
  });
});

describe('the batch cap on stdio', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_MAX_BATCH: '3', MCP_WATCH: '0' });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers a line holding a batch over MCP_MAX_BATCH with one -32600 error, and a batch at the cap in full', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const server = serveStdio(gateway.app, input, output);
    const lines = (): unknown[] =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as unknown);
    input.write(`${batchOf(4, (id) => echo(id, 'over'))}\n`);
    await eventually(() => lines().length === 1);
    input.write(`${batchOf(3, (id) => message(id, 'ping'))}\n`);
    await eventually(() => lines().length === 2);
    expect(lines()[0]).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Invalid Request: a batch of 4 messages is over the limit of 3 per batch; send at most 3 messages in one batch.',
      },
    });
    expect(lines()[1]).toHaveLength(3);
    expect(gateway.logs.filter((line) => line.includes('Tool invoked'))).toEqual([]);
    input.end();
    await server.finished;
  });
});
