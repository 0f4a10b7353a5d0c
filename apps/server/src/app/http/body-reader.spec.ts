// BodyReader: every body of an MCP POST is read as bytes whatever its content type, capped at
// MCP_MAX_BODY_BYTES (also after inflating), and a body that cannot be read is refused with the
// right status and a JSON-RPC error (413 -32600 too large, 400/415 -32700 unreadable), even when
// the client goes away mid-body; the server keeps serving afterwards. Bounded for hostile clients:
// a refused body closes the connection without being read on, bodies read at once are capped
// (503), and a batch over MCP_MAX_BATCH is refused with its length recorded for the rate limit.
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { ServerConfig } from '../config/config.slices';
import { sendJson } from './json-reply';
import { BodyReader, messageCountOf } from './body-reader';
import { flood } from '../../../test/raw-http';
import type { Flooded } from '../../../test/raw-http';

const LIMIT = 2048;

type Use = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

interface Seen {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** A server that runs `use` then echoes what it read; records every answer as the server wrote it. */
async function serve(use: Use): Promise<{ server: Server; port: number; seen: Seen[]; counts: number[] }> {
  const seen: Seen[] = [];
  const counts: number[] = [];
  const server = createServer((req, res) => {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      seen.push({ status: res.statusCode, headers: res.getHeaders(), body: chunk === undefined ? '' : String(chunk) });
      return end(chunk);
    }) as ServerResponse['end'];
    use(req, res, () => {
      counts.push(messageCountOf(req));
      const body = (req as { body?: unknown }).body;
      sendJson(res, 200, {
        body: Buffer.isBuffer(body) ? body.toString('base64') : body === undefined ? 'undefined' : typeof body,
        has: 'body' in req,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen, counts };
}

function send(port: number, method: string, headers: Record<string, string>, body?: Buffer, chunked?: Buffer[]): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/mcp', headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        const rest = { ...res.headers };
        delete rest.date;
        resolve({ status: res.statusCode ?? 0, headers: rest, body: data });
      });
    });
    req.on('error', reject);
    for (const chunk of chunked ?? []) req.write(chunk);
    req.end(body);
  });
}

/** Headers and part of the body, then the client goes away. */
function abort(port: number, head: string, partial: string): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(head + partial, () => setTimeout(() => socket.destroy(), 50));
    });
    socket.on('close', () => setTimeout(resolve, 50));
    socket.on('error', () => undefined);
  });
}

describe('BodyReader', () => {
  let target: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    const reader = new BodyReader({ maxBodyBytes: LIMIT, maxBodiesInFlight: 100, maxBatch: 100 } as ServerConfig);
    target = await serve((req, res, next) => reader.check(req, res, next));
  });

  afterAll(async () => {
    await new Promise((resolve) => target.server.close(resolve));
  });

  const ping = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  const big = Buffer.alloc(LIMIT + 1, 'x');
  const read = (bytes: Buffer): string => JSON.stringify({ body: bytes.toString('base64'), has: true });

  it.each<[string, string, Record<string, string>, Buffer | undefined, Buffer[] | undefined, number, string]>([
    ['json', 'POST', { 'Content-Type': 'application/json', 'Content-Length': String(ping.length) }, ping, undefined, 200, read(ping)],
    ['text/plain with a charset', 'POST', { 'Content-Type': 'text/plain; charset=latin1' }, ping, undefined, 200, read(ping)],
    ['no content type', 'POST', { 'Content-Length': String(ping.length) }, ping, undefined, 200, read(ping)],
    ['a charset nobody knows', 'POST', { 'Content-Type': 'application/json; charset=klingon' }, ping, undefined, 200, read(ping)],
    ['chunked', 'POST', {}, undefined, [ping.subarray(0, 10), ping.subarray(10)], 200, read(ping)],
    ['empty', 'POST', { 'Content-Length': '0' }, Buffer.alloc(0), undefined, 200, read(Buffer.alloc(0))],
    ['no body', 'GET', {}, undefined, undefined, 200, JSON.stringify({ body: 'undefined', has: true })],
    ['at the limit', 'POST', { 'Content-Length': String(LIMIT) }, big.subarray(0, LIMIT), undefined, 200, read(big.subarray(0, LIMIT))],
    ['identity', 'POST', { 'Content-Encoding': 'Identity' }, ping, undefined, 200, read(ping)],
    ['gzip', 'POST', { 'Content-Encoding': 'gzip' }, gzipSync(ping), undefined, 200, read(ping)],
    [
      '413 by length',
      'POST',
      { 'Content-Length': String(big.length) },
      big,
      undefined,
      413,
      'Request body too large: the limit is 2048 bytes.',
    ],
    [
      '413 by counting',
      'POST',
      {},
      undefined,
      [big.subarray(0, 1000), big.subarray(1000)],
      413,
      'Request body too large: the limit is 2048 bytes.',
    ],
    [
      '413 inflated',
      'POST',
      { 'Content-Encoding': 'gzip' },
      gzipSync(big),
      undefined,
      413,
      'Request body too large: the limit is 2048 bytes.',
    ],
    ['400 bad gzip', 'POST', { 'Content-Encoding': 'gzip' }, ping, undefined, 400, 'Request body could not be read: Bad Request.'],
    [
      '415 unknown encoding',
      'POST',
      { 'Content-Encoding': 'compress' },
      ping,
      undefined,
      415,
      'Request body could not be read: unsupported content encoding "compress".',
    ],
  ])('%s', async (_name, method, headers, body, chunked, status, text) => {
    const answer = await send(target.port, method, headers, body, chunked);
    expect(answer.status).toBe(status);
    if (status === 200) {
      expect(answer.body).toBe(text);
    } else {
      const error = JSON.parse(answer.body) as { id: unknown; error: { code: number; message: string } };
      expect(error).toEqual({ jsonrpc: '2.0', id: null, error: { code: status === 413 ? -32600 : -32700, message: text } });
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    }
  });

  it('answers a client that went away mid-body with 400 and keeps serving', async () => {
    await abort(target.port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n', '{"jsonrpc":');
    expect(target.seen.slice(-1)[0]).toMatchObject({ status: 400 });
    expect(target.seen.slice(-1)[0]?.body).toContain('request aborted');
    await abort(target.port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\n{"jso\r\n');
    expect(target.seen.slice(-1)[0]).toMatchObject({ status: 400 });
    const small = Buffer.from('{}');
    expect(await send(target.port, 'POST', {}, small)).toMatchObject({ status: 200, body: read(small) });
  });
});


/** One chunk of a chunked body. */
const framed = (data: Buffer): Buffer => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);

describe('BodyReader under hostile clients', () => {
  let target: Awaited<ReturnType<typeof serve>>;
  let reader: BodyReader;
  const stalled: Socket[] = [];

  beforeAll(async () => {
    reader = new BodyReader({ maxBodyBytes: LIMIT, maxBodiesInFlight: 2, maxBatch: 3 } as ServerConfig);
    target = await serve((req, res, next) => reader.check(req, res, next));
  });

  afterAll(async () => {
    for (const socket of stalled) socket.destroy();
    target.server.closeAllConnections();
    await new Promise((resolve) => target.server.close(resolve));
  });

  const waitFor = async (test: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(test()).toBe(true);
  };
  const ping = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  const MAX = 64 * 1024 * 1024;
  const head = (headers: string): string => `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n\r\n`;
  const expectClosed413 = (flooded: Flooded): void => {
    expect(flooded.closed).toBe(true);
    expect(flooded.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(flooded.answer.toLowerCase()).toContain('connection: close');
    expect(flooded.answer).toContain('Request body too large: the limit is 2048 bytes.');
    // Answered and closed at once, not after the client gave up: only what the socket buffers held got through.
    expect(flooded.ms).toBeLessThan(2_000);
    expect(flooded.sent).toBeLessThan(16 * 1024 * 1024);
  };

  it('answers 413 to a too-long Content-Length and closes without reading the body', async () => {
    expectClosed413(await flood(target.port, head('Content-Length: 1000000000'), Buffer.alloc(16 * 1024, 'x'), 5_000, MAX));
  });

  it('answers 413 as soon as a chunked body passes the limit, and closes', async () => {
    expectClosed413(await flood(target.port, head('Transfer-Encoding: chunked'), framed(Buffer.alloc(16 * 1024, 'x')), 5_000, MAX));
  });

  it('answers 413 to an endless gzip body once its compressed bytes alone pass the limit, and closes', async () => {
    const member = framed(gzipSync(Buffer.alloc(1024 * 1024))); // each inflates to 1 MiB
    expectClosed413(await flood(target.port, head('Transfer-Encoding: chunked\r\nContent-Encoding: gzip'), member, 5_000, MAX));
  });

  it('records a batch of 3 as 3 messages, and refuses a batch over MCP_MAX_BATCH with one -32600 error', async () => {
    const batch = (n: number): Buffer =>
      Buffer.from(JSON.stringify(Array.from({ length: n }, (_, id) => ({ jsonrpc: '2.0', id, method: 'ping' }))));
    expect((await send(target.port, 'POST', {}, batch(3))).status).toBe(200);
    expect((await send(target.port, 'POST', {}, ping)).status).toBe(200);
    expect(target.counts.slice(-2)).toEqual([3, 1]);
    const passed = target.counts.length;
    const refused = await send(target.port, 'POST', {}, batch(4));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Invalid Request: a batch of 4 messages is over the limit of 3 per batch; send at most 3 messages in one batch.',
      },
    });
    expect(target.counts).toHaveLength(passed);
  });

  it('reads at most MCP_MAX_BODIES_IN_FLIGHT bodies at once: past it 503 and close, until one ends', async () => {
    for (let i = 0; i < 2; i++) {
      const socket = connect(target.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(head('Content-Length: 1000') + '{"jsonrpc":');
      stalled.push(socket);
    }
    await waitFor(() => reader.bodiesInFlight === 2);
    const refused = await send(target.port, 'POST', {}, ping);
    expect(refused.status).toBe(503);
    expect(refused.headers['connection']).toBe('close');
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32000,
        message: 'Server busy: 2 request bodies are being read at once, the limit (MCP_MAX_BODIES_IN_FLIGHT); retry in a second.',
      },
    });
    // A request without a body is not one of them.
    expect((await send(target.port, 'GET', {})).status).toBe(200);
    stalled.splice(0).forEach((socket) => socket.destroy());
    await waitFor(() => reader.bodiesInFlight === 0);
    expect(await send(target.port, 'POST', {}, ping)).toMatchObject({
      status: 200,
      body: JSON.stringify({ body: ping.toString('base64'), has: true }),
    });
  });
});
