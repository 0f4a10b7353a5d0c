// BodyReader: every body of an MCP POST is read as bytes whatever its content type, capped at
// MCP_MAX_BODY_BYTES (also after inflating), and a body that cannot be read is refused with the
// right status and a JSON-RPC error (413 -32600 too large, 400/415 -32700 unreadable), even when
// the client goes away mid-body; the server keeps serving afterwards.
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AppConfig } from '../config/config';
import { sendJson } from './json-reply';
import { BodyReader } from './body-reader';

const LIMIT = 2048;

type Use = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

interface Seen {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** A server that runs `use` then echoes what it read; records every answer as the server wrote it. */
async function serve(use: Use): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      seen.push({ status: res.statusCode, headers: res.getHeaders(), body: chunk === undefined ? '' : String(chunk) });
      return end(chunk);
    }) as ServerResponse['end'];
    use(req, res, () => {
      const body = (req as { body?: unknown }).body;
      sendJson(res, 200, { body: Buffer.isBuffer(body) ? body.toString('base64') : body === undefined ? 'undefined' : typeof body, has: 'body' in req });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
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
    const reader = new BodyReader({ maxBodyBytes: LIMIT } as AppConfig);
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
    ['413 by length', 'POST', { 'Content-Length': String(big.length) }, big, undefined, 413, 'Request body too large: the limit is 2048 bytes.'],
    ['413 by counting', 'POST', {}, undefined, [big.subarray(0, 1000), big.subarray(1000)], 413, 'Request body too large: the limit is 2048 bytes.'],
    ['413 inflated', 'POST', { 'Content-Encoding': 'gzip' }, gzipSync(big), undefined, 413, 'Request body too large: the limit is 2048 bytes.'],
    ['400 bad gzip', 'POST', { 'Content-Encoding': 'gzip' }, ping, undefined, 400, 'Request body could not be read: Bad Request.'],
    ['415 unknown encoding', 'POST', { 'Content-Encoding': 'compress' }, ping, undefined, 415, 'Request body could not be read: unsupported content encoding "compress".'],
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
