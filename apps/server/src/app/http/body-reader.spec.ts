// BodyReader reads bodies without a content encoding itself: it must do exactly what the
// express.raw middleware it replaced on that road does. Two servers, one with the middleware, one
// with express.raw and the same answers, get the same requests; what each server answered (status,
// headers, body, even when the client has gone) and the body each handler saw must match.
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { raw } from 'express';
import type { AppConfig } from '../config/config';
import { sendJson } from './json-reply';
import { BodyReader, sendBodyError } from './body-reader';

const LIMIT = 2048;

type Use = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The middleware as it was: express.raw for every body, its errors answered the same way. */
function expressRaw(): Use {
  const parser = raw({ type: () => true, limit: LIMIT });
  return (req, res, next) =>
    parser(req as never, res as never, (err?: unknown) => {
      if (!err) next();
      else sendBodyError(res, err);
    });
}

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
  let lean: Awaited<ReturnType<typeof serve>>;
  let reference: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    const reader = new BodyReader({ maxBodyBytes: LIMIT } as AppConfig);
    lean = await serve((req, res, next) => reader.check(req, res, next));
    reference = await serve(expressRaw());
  });

  afterAll(async () => {
    for (const { server } of [lean, reference]) await new Promise((resolve) => server.close(resolve));
  });

  it('reads and refuses bodies exactly as express.raw does', async () => {
    const ping = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const big = Buffer.alloc(LIMIT + 1, 'x');
    const cases: Array<[string, string, Record<string, string>, Buffer | undefined, Buffer[]?]> = [
      ['json', 'POST', { 'Content-Type': 'application/json', 'Content-Length': String(ping.length) }, ping],
      ['text/plain', 'POST', { 'Content-Type': 'text/plain; charset=latin1' }, ping],
      ['no content type', 'POST', { 'Content-Length': String(ping.length) }, ping],
      ['charset nobody knows', 'POST', { 'Content-Type': 'application/json; charset=klingon' }, ping],
      ['chunked', 'POST', {}, undefined, [ping.subarray(0, 10), ping.subarray(10)]],
      ['empty', 'POST', { 'Content-Length': '0' }, Buffer.alloc(0)],
      ['no body', 'GET', {}, undefined],
      ['at the limit', 'POST', { 'Content-Length': String(LIMIT) }, big.subarray(0, LIMIT)],
      ['413 by length', 'POST', { 'Content-Length': String(big.length) }, big],
      ['413 by counting', 'POST', {}, undefined, [big.subarray(0, 1000), big.subarray(1000)]],
      ['identity', 'POST', { 'Content-Encoding': 'Identity' }, ping],
      ['empty encoding', 'POST', { 'Content-Encoding': '' }, ping],
      ['gzip', 'POST', { 'Content-Encoding': 'gzip' }, gzipSync(ping)],
      ['413 inflated', 'POST', { 'Content-Encoding': 'gzip' }, gzipSync(big)],
      ['400 bad gzip', 'POST', { 'Content-Encoding': 'gzip' }, ping],
      ['415 encoding', 'POST', { 'Content-Encoding': 'compress' }, ping],
    ];
    for (const [name, method, headers, body, chunked] of cases) {
      const a = await send(lean.port, method, headers, body, chunked);
      const b = await send(reference.port, method, headers, body, chunked);
      expect({ name, ...a }).toEqual({ name, ...b });
    }
    expect(lean.seen).toEqual(reference.seen);
  });

  it('answers a client that went away mid-body as express.raw does (and keeps serving)', async () => {
    const head = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n';
    for (const target of [lean, reference]) {
      await abort(target.port, head, '{"jsonrpc":');
      await abort(target.port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\n{"jso\r\n');
    }
    expect(lean.seen.slice(-2)).toEqual(reference.seen.slice(-2));
    expect(lean.seen.slice(-1)[0]?.status).toBe(400);
    const ping = Buffer.from('{}');
    expect(await send(lean.port, 'POST', {}, ping)).toEqual(await send(reference.port, 'POST', {}, ping));
  });
});
