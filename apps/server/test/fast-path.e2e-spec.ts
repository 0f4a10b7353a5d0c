// The fast path (the route table's MCP routes served by a node:http listener in front of Express,
// see src/app/http/fast-path.ts) must answer exactly as the Express path, where Nest middleware
// serves the same table, does. Two gateways with the same configuration get the same requests, one
// with the fast path and one with it off; status, headers and bodies must match (dates, session ids
// and rate-limit clocks normalized). A module that configures Nest middleware (which only the
// Express path could run) turns the fast path off with a warn line, and its middleware runs.
import { request } from 'node:http';
import { Injectable, Module } from '@nestjs/common';
import type { CallHandler, ExecutionContext, MiddlewareConsumer, NestInterceptor, NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FastPath } from '../src/app/http/fast-path';
import { MCP_ROUTES } from '../src/app/http/routes';
import { GatewayHealthIndicators } from '../src/app/health/gateway.health';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { raw } from './raw-http';
import type { Reply } from './raw-http';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');
const KEY_A = 'alpha-key-0123456789';
const KEY_B = 'bravo-key-0123456789';
const ORIGIN = 'http://app.example';
const ENV = {
  MCP_PLUGINS_DIR: FIXTURES,
  MCP_API_KEYS: `alpha:${KEY_A},bravo:${KEY_B}`,
  MCP_RATE_LIMIT: '13',
  MCP_MAX_BODY_BYTES: '2048',
  MCP_CORS_ORIGINS: ORIGIN,
  MCP_MAX_SESSIONS_PER_KEY: '1',
  MCP_WATCH: '0',
};

/**
 * `GET` a stream: the status, headers and, for a 200, the body up to the end of its first event
 * (the stream stays open until `close`); any other answer is read to its end.
 */
function openStream(port: number, path: string, headers: Record<string, string>): Promise<{ reply: Reply; close: () => void }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, headers }, (res) => {
      let data = '';
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolvePromise({ reply: { status: res.statusCode ?? 0, headers: res.headers, body: data }, close: () => req.destroy() });
      };
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        data += c;
        if (res.statusCode === 200 && data.includes('\n\n')) finish();
      });
      res.on('end', finish);
    });
    req.on('error', reject);
    req.end();
  });
}

const ACCEPT = 'application/json, text/event-stream';
const rpc = (id: number, method: string, params?: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });
const json = { 'Content-Type': 'application/json' };
const statelessMeta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'parity', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** One gateway's answers to the whole sequence, normalized for comparison. */
async function exchange(gateway: RunningGateway): Promise<Array<{ name: string; reply: Reply }>> {
  const out: Array<{ name: string; reply: Reply }> = [];
  const sessionIds: string[] = [];
  const send = async (name: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> => {
    const reply = await raw(gateway.port, method, path, headers, body);
    const id = reply.headers['mcp-session-id'];
    if (typeof id === 'string' && !sessionIds.includes(id)) sessionIds.push(id);
    out.push({ name, reply });
    return reply;
  };
  const mcp = (key: string, extra: Record<string, string> = {}): Record<string, string> => ({ ...json, Accept: ACCEPT, ...bearer(key), ...extra });
  const sendBytes = async (name: string, path: string, headers: Record<string, string>, body: Buffer): Promise<Reply> => {
    const reply = await raw(gateway.port, 'POST', path, headers, body);
    out.push({ name, reply });
    return reply;
  };
  const streams: Array<() => void> = [];
  const sse = async (name: string, headers: Record<string, string>, path = '/sse'): Promise<Reply> => {
    const { reply, close } = await openStream(gateway.port, path, headers);
    const id = /sessionId=([\w-]+)/.exec(reply.body)?.[1];
    if (id !== undefined && !sessionIds.includes(id)) sessionIds.push(id);
    out.push({ name, reply });
    streams.push(close);
    return reply;
  };
  const stream = { Accept: 'text/event-stream' };

  // Refused before any route: Host, Origin, API key (none of these count against the rate limit).
  await send('403 host', 'POST', '/mcp', { ...mcp(KEY_A), Host: 'evil.example' }, rpc(1, 'ping'));
  await send('403 origin', 'POST', '/message', { ...json, ...bearer(KEY_A), Origin: 'http://evil.example' }, rpc(1, 'ping'));
  await send('401 no key', 'POST', '/mcp', { ...json, Accept: ACCEPT, Origin: ORIGIN }, rpc(1, 'ping'));
  await send('401 bad key', 'POST', '/message', { ...json, 'X-API-Key': 'nope' }, rpc(1, 'ping'));
  await send('413 body', 'POST', '/message', { ...json, ...bearer(KEY_A) }, rpc(1, 'ping', { pad: 'x'.repeat(4096) }));
  await send('413 body mcp', 'POST', '/mcp', mcp(KEY_A), rpc(1, 'ping', { pad: 'x'.repeat(4096) }));
  // Body-level refusals (before the rate limit): by Content-Length up front, by counting (chunked,
  // or inflated), content encodings express.raw does not know or cannot inflate.
  const big = Buffer.from(rpc(1, 'ping', { pad: 'x'.repeat(4096) }));
  await sendBytes('413 by length mcp', '/mcp', { ...mcp(KEY_A), 'Content-Length': String(big.length) }, big);
  await sendBytes('413 by length message', '/message', { ...json, ...bearer(KEY_A), 'Content-Length': String(big.length) }, big);
  const bomb = gzipSync(big);
  await sendBytes('413 inflated', '/message', { ...json, ...bearer(KEY_A), 'Content-Encoding': 'gzip', 'Content-Length': String(bomb.length) }, bomb);
  await sendBytes('415 content encoding', '/message', { ...json, ...bearer(KEY_A), 'Content-Encoding': 'compress' }, Buffer.from(rpc(1, 'ping')));
  await sendBytes('400 bad gzip', '/mcp', { ...mcp(KEY_A), 'Content-Encoding': 'gzip' }, Buffer.from(rpc(1, 'ping')));
  await sse('403 host sse', { ...stream, ...bearer(KEY_A), Host: 'evil.example' });
  await sse('403 origin sse', { ...stream, ...bearer(KEY_A), Origin: 'http://evil.example' });
  await sse('403 origin null sse', { ...stream, ...bearer(KEY_A), Origin: 'null' });
  await sse('401 no key sse', { ...stream, Origin: ORIGIN });
  await sse('401 bad key sse', { ...stream, Authorization: 'Bearer nope' });
  // Allowed (each of these counts: the limit is 13 per minute per key).
  await send('200 stateless ping', 'POST', '/message', { ...json, ...bearer(KEY_A), Origin: ORIGIN }, rpc(2, 'ping'));
  await send('400 parse error', 'POST', '/message', { ...json, ...bearer(KEY_A) }, '{"jsonrpc":');
  await send('404 sse session', 'POST', '/message?sessionId=nope', { ...json, ...bearer(KEY_A) }, rpc(3, 'ping'));
  await send('404 sse session (array)', 'POST', '/message?sessionId=a&sessionId=b', { ...json, ...bearer(KEY_A) }, rpc(3, 'ping'));
  await send('406 accept', 'POST', '/mcp', { ...json, ...bearer(KEY_A) }, rpc(4, 'ping'));
  await send('404 mcp session', 'POST', '/mcp', mcp(KEY_A, { 'Mcp-Session-Id': 'nope', 'MCP-Protocol-Version': '2025-11-25' }), rpc(5, 'ping'));
  const init = await send(
    '200 initialize',
    'POST',
    '/mcp',
    mcp(KEY_A, { Origin: ORIGIN }),
    rpc(6, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'parity', version: '1.0.0' } }),
  );
  const session = { 'Mcp-Session-Id': String(init.headers['mcp-session-id']), 'MCP-Protocol-Version': '2025-11-25' };
  await send('202 initialized', 'POST', '/mcp', mcp(KEY_A, session), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  await send('200 ping', 'POST', '/mcp', mcp(KEY_A, session), rpc(7, 'ping'));
  await send('200 tools/list', 'POST', '/mcp', mcp(KEY_A, session), rpc(8, 'tools/list'));
  await send('404 session of another key', 'POST', '/mcp', mcp(KEY_B, session), rpc(9, 'ping'));
  await send(
    '200 stateless tools/list',
    'POST',
    '/mcp',
    mcp(KEY_A, { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/list' }),
    rpc(10, 'tools/list', { _meta: statelessMeta }),
  );
  await send('400 stateless without headers', 'POST', '/mcp', mcp(KEY_A), rpc(11, 'tools/list', { _meta: statelessMeta }));
  // Past the limit: 429 with Retry-After, for the key that used it up only.
  await send('200 last allowed', 'POST', '/message', { ...json, ...bearer(KEY_A) }, rpc(12, 'ping'));
  await send('429 mcp', 'POST', '/mcp', mcp(KEY_A, session), rpc(13, 'ping'));
  await send('429 message', 'POST', '/message', { ...json, ...bearer(KEY_A), Origin: ORIGIN }, rpc(14, 'ping'));
  await send('200 other key', 'POST', '/message', { ...json, ...bearer(KEY_B) }, rpc(15, 'ping'));
  await sendBytes('200 gzip body', '/message', { ...json, ...bearer(KEY_B), 'Content-Encoding': 'GZIP' }, gzipSync(rpc(15, 'ping')));
  await sendBytes('200 identity body', '/message', { ...json, ...bearer(KEY_B), 'Content-Encoding': 'identity' }, Buffer.from(rpc(15, 'ping')));
  await send('200 text/plain message', 'POST', '/message', { 'Content-Type': 'text/plain', ...bearer(KEY_B) }, rpc(15, 'ping'));
  await send('200 no content type message', 'POST', '/message', bearer(KEY_B), rpc(15, 'ping'));
  await sse('429 sse', { ...stream, ...bearer(KEY_A), Origin: ORIGIN });
  // GET /sse (KEY_B: its own rate budget; one session per key): 406, the stream, the key's limit.
  await sse('406 sse accept', { Accept: 'application/json', ...bearer(KEY_B) });
  await sse('406 sse no accept', { ...bearer(KEY_B), Origin: ORIGIN });
  const opened = await sse('200 sse stream', { ...stream, ...bearer(KEY_B), Origin: ORIGIN });
  const endpoint = /data: (\S+)/.exec(opened.body)?.[1] ?? '/message?sessionId=none';
  await send('202 sse message', 'POST', endpoint, { ...json, ...bearer(KEY_B) }, rpc(18, 'ping'));
  await send('400 sse message', 'POST', endpoint, { ...json, ...bearer(KEY_B) }, '{"jsonrpc":');
  await sse('503 sse key limit', { ...stream, ...bearer(KEY_B) });
  await sse('503 sse key limit (query)', { ...stream, 'X-API-Key': KEY_B }, '/sse?probe=1');
  for (const close of streams.splice(0)) close();
  // Not on the fast path: same answers either way.
  await send('204 preflight', 'OPTIONS', '/mcp', { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' });
  await send('404 other path', 'POST', '/mcp/', mcp(KEY_B), rpc(16, 'ping'));
  // Draining: 503 and Connection: close.
  gateway.app.get(GatewayHealthIndicators).beforeApplicationShutdown();
  await send('503 draining', 'POST', '/message', { ...json, ...bearer(KEY_B) }, rpc(17, 'ping'));
  await sse('503 draining sse', { ...stream, ...bearer(KEY_B), Origin: ORIGIN });
  for (const close of streams.splice(0)) close();

  const normalize = (text: string): string => sessionIds.reduce((t, id, i) => t.split(id).join(`<session ${i}>`), text);
  return out.map(({ name, reply }) => {
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [key, value] of Object.entries(reply.headers)) {
      if (key === 'date') continue;
      headers[key] = ['x-ratelimit-reset', 'retry-after'].includes(key) ? '<seconds>' : typeof value === 'string' ? normalize(value) : value;
    }
    return { name, reply: { status: reply.status, headers, body: normalize(reply.body) } };
  });
}

describe('message fast path', () => {
  let fast: RunningGateway;
  let slow: RunningGateway;

  beforeAll(async () => {
    fast = await startGateway(ENV);
    slow = await startGateway(ENV);
    slow.app.get(FastPath).disabled = true;
  }, 60_000);

  afterAll(async () => {
    await fast?.close();
    await slow?.close();
  });

  it('answers POST /mcp, POST /message and GET /sse exactly as the Express path does', async () => {
    const viaFast = await exchange(fast);
    const viaExpress = await exchange(slow);
    expect(viaFast).toEqual(viaExpress);

    const statuses = Object.fromEntries(viaFast.map(({ name, reply }) => [name, reply.status]));
    expect(statuses).toMatchObject({
      '403 host': 403,
      '403 origin': 403,
      '401 no key': 401,
      '413 body': 413,
      '413 by length mcp': 413,
      '413 by length message': 413,
      '413 inflated': 413,
      '415 content encoding': 415,
      '400 bad gzip': 400,
      '200 gzip body': 200,
      '200 identity body': 200,
      '200 text/plain message': 200,
      '200 no content type message': 200,
      '202 sse message': 202,
      '400 sse message': 400,
      '200 stateless ping': 200,
      '404 mcp session': 404,
      '200 ping': 200,
      '200 tools/list': 200,
      '200 stateless tools/list': 200,
      '429 mcp': 429,
      '429 message': 429,
      '200 other key': 200,
      '503 draining': 503,
      '403 host sse': 403,
      '403 origin sse': 403,
      '401 no key sse': 401,
      '401 bad key sse': 401,
      '429 sse': 429,
      '406 sse accept': 406,
      '200 sse stream': 200,
      '503 sse key limit': 503,
      '503 draining sse': 503,
    });
    const byName = new Map(viaFast.map(({ name, reply }) => [name, reply]));
    expect(byName.get('429 mcp')?.headers['retry-after']).toBeDefined();
    expect(byName.get('200 stateless ping')?.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(byName.get('503 draining')?.headers['connection']).toBe('close');
    const opened = byName.get('200 sse stream');
    expect(opened?.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(opened?.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(opened?.body).toBe('event: endpoint\ndata: /message?sessionId=<session 1>\n\n');
    expect(byName.get('401 no key sse')?.headers['www-authenticate']).toBeDefined();
    expect(byName.get('401 no key sse')?.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(byName.get('429 sse')?.headers['retry-after']).toBeDefined();

    // The fast gateway served the MCP routes itself; the other one sent everything to Express.
    expect(fast.app.get(FastPath).served).toBe(viaFast.length - 2);
    expect(slow.app.get(FastPath).served).toBe(0);
    expect(fast.logs.filter((line) => line.includes('Fast path off'))).toEqual([]);
  });

  it('serves every route of the table on the Express path too (the controller agrees with the table)', async () => {
    for (const route of MCP_ROUTES) {
      const reply = await raw(slow.port, route.method, route.path, { ...json, Accept: 'text/plain', ...bearer(KEY_B) }, route.method === 'POST' ? '{}' : undefined);
      // Nest's own 404 for a path without a route says "Cannot <METHOD> <path>".
      expect(`${route.method} ${route.path}: ${reply.status} ${reply.body}`).not.toContain(`Cannot ${route.method}`);
      // A profile endpoint of a profile nobody declared (no MCP_PROFILES here) may be the profile
      // check's 404, never Nest's.
      if (!route.path.includes(':profile')) expect(reply.status).not.toBe(404);
      else if (reply.status === 404) expect(reply.body).toContain('no profile named');
    }
  });
});

/** A team's global interceptor: it must wrap the MCP routes on the fast path as on the Express path. */
@Injectable()
class StampingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('X-Intercepted', 'yes');
    return next.handle();
  }
}

@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: StampingInterceptor }] })
class InterceptingModule {}

describe('fast path with a global interceptor from another module', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_WATCH: '0' }, [InterceptingModule]);
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('runs the interceptor on the routes it serves, and stays on', async () => {
    const message = await raw(gateway.port, 'POST', '/message', json, rpc(1, 'ping'));
    expect(message.status).toBe(200);
    expect(message.headers['x-intercepted']).toBe('yes');
    const sse = await openStream(gateway.port, '/sse', { Accept: 'text/event-stream' });
    sse.close();
    expect(sse.reply.headers['x-intercepted']).toBe('yes');
    expect(gateway.app.get(FastPath).served).toBe(2);
    expect(gateway.logs.filter((line) => line.includes('Fast path off'))).toEqual([]);
  });
});

/** A team's module with Nest middleware for every path: the Express path would run it, the fast path cannot. */
@Module({})
class StampingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
        res.setHeader('X-Team-Stamp', 'seen');
        next();
      })
      .forRoutes('*path');
  }
}

describe('fast path with Nest middleware from another module', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FIXTURES, MCP_WATCH: '0' }, [StampingModule]);
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('stays off and says why, so the middleware runs on the MCP routes too', async () => {
    const warned = gateway.logs.filter((line) => line.includes('Fast path off'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/WARN: Fast path off: StampingModule configures Nest middleware/);
    const message = await raw(gateway.port, 'POST', '/message', json, rpc(1, 'ping'));
    expect(message.status).toBe(200);
    expect(message.headers['x-team-stamp']).toBe('seen');
    const sse = await openStream(gateway.port, '/sse', { Accept: 'text/event-stream' });
    sse.close();
    expect(sse.reply.status).toBe(200);
    expect(sse.reply.headers['x-team-stamp']).toBe('seen');
    expect(gateway.app.get(FastPath).served).toBe(0);
  });
});
