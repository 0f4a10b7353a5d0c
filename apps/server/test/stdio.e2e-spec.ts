// serveStdio in-process over a pair of streams, raw lines in and out: framing, errors for bad
// lines, server-sent messages, concurrency with cancellation, and the end of input.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SessionRegistry } from '@sanctum/sessions';
import { serveStdio } from '../src/app/transport/stdio';
import type { StdioServer } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';

describe('serveStdio', () => {
  let gateway: RunningGateway;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-stdio-'));
    writeSlowPlugin(join(workDir, 'plugins'));
    gateway = await startGateway({ MCP_PLUGINS_DIR: join(workDir, 'plugins'), MCP_MAX_BODY_BYTES: '1024' });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** A server over fresh streams; `out` collects what it wrote. */
  function open(): { server: StdioServer; input: PassThrough; out: string[]; messages: () => Array<Record<string, unknown>> } {
    const input = new PassThrough();
    const output = new PassThrough();
    const out: string[] = [];
    output.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
    const server = serveStdio(gateway.app, input, output);
    const messages = () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { server, input, out, messages };
  }

  const ping = (id: number | string) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })}\n`;

  it('answers each line with one JSON line, whatever the chunking (partial lines, CRLF, several per chunk)', async () => {
    const { server, input, out, messages } = open();
    const text = `${ping(1)}${ping(2).replace('\n', '\r\n')}\n\n${ping(3)}`;
    for (let i = 0; i < text.length; i += 7) input.write(text.slice(i, i + 7));
    await eventually(() => messages().length === 3);
    expect(messages().sort((a, b) => Number(a['id']) - Number(b['id']))).toEqual(
      [1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, result: {} })),
    );
    expect(out.join('').endsWith('\n')).toBe(true);
    input.end();
    await server.finished;
  });

  it('answers bad lines with JSON-RPC errors and keeps reading: parse error, invalid request, over-long line', async () => {
    const { server, input, messages } = open();
    input.write('not json\n');
    input.write('{"jsonrpc":"1.0","id":5,"method":"ping"}\n');
    input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping', params: { pad: 'x'.repeat(2000) } })}\n`);
    input.write(ping(7));
    await eventually(() => messages().some((m) => m['id'] === 7));
    // Answers come as they are ready (the over-long line's at once), not necessarily in line order.
    expect(messages()).toHaveLength(4);
    expect(messages()).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32700 }) },
        { jsonrpc: '2.0', id: 5, error: expect.objectContaining({ code: -32600 }) },
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600, message: expect.stringContaining('1024 bytes') }) },
        { jsonrpc: '2.0', id: 7, result: {} },
      ]),
    );
    input.end();
    await server.finished;
  });

  it('answers a batch line with one array line, and notifications with nothing', async () => {
    const { server, input, messages } = open();
    input.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    input.write(
      '[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"b","method":"nope"}]\n',
    );
    await eventually(() => messages().length === 1);
    expect(messages()[0]).toEqual([
      { jsonrpc: '2.0', id: 'a', result: {} },
      { jsonrpc: '2.0', id: 'b', error: expect.objectContaining({ code: -32601 }) },
    ]);
    expect(server.session.initialized).toBe(true);
    input.end();
    await server.finished;
    expect(messages()).toHaveLength(1);
  });

  it('writes what session.send() emits as lines', async () => {
    const { server, input, messages } = open();
    server.session.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    server.session.send(
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } },
      { relatedRequestId: 1 },
    );
    await eventually(() => messages().length === 2);
    expect(messages().map((m) => m['method'])).toEqual(['notifications/tools/list_changed', 'notifications/progress']);
    input.end();
    await server.finished;
  });

  it('handles lines concurrently: notifications/cancelled reaches a running call', async () => {
    const { server, input, messages } = open();
    const marker = join(workDir, 'stdio-cancel.marker');
    input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'slow__wait', arguments: { ms: 5000, marker } } })}\n`,
    );
    await eventually(() => server.session.inFlightCount === 1);
    input.write(ping('during'));
    await eventually(() => messages().some((m) => m['id'] === 'during'));
    input.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow"}}\n');
    await eventually(() => messages().some((m) => m['id'] === 'slow'), 4_000);
    expect(messages().find((m) => m['id'] === 'slow')).toMatchObject({
      result: { isError: true, structuredContent: { error: { code: 'cancelled' } } },
    });
    expect(existsSync(marker)).toBe(false);
    input.end();
    await server.finished;
  });

  it('on end of input: cancels running calls, writes their answers, ends the session, then finishes', async () => {
    const { server, input, messages } = open();
    const marker = join(workDir, 'stdio-end.marker');
    const id = server.session.id;
    expect(gateway.app.get(SessionRegistry).get(id)?.transport).toBe('stdio');
    input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'slow__wait', arguments: { ms: 5000, marker } } })}\n`,
    );
    input.write('{"jsonrpc":"2.0","id":"partial"'); // never finished: ignored
    await eventually(() => server.session.inFlightCount === 1);
    const started = Date.now();
    input.end();
    await server.finished;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(server.session.closed).toBe(true);
    expect(gateway.app.get(SessionRegistry).get(id)).toBeUndefined();
    expect(messages()).toEqual([expect.objectContaining({ id: 'slow', result: expect.objectContaining({ isError: true }) })]);
    expect(existsSync(marker)).toBe(false);
    expect(gateway.logs.some((l) => l.endsWith(`INFO: Session started: ${id}`))).toBe(true);
    expect(gateway.logs.some((l) => l.endsWith(`INFO: Session ended: ${id}`))).toBe(true);
    expect(gateway.logs.some((l) => l.includes('input ended inside a message'))).toBe(true);
  });

  it('stop() is idempotent and ignores later input', async () => {
    const { server, input, out } = open();
    await Promise.all([server.stop('test'), server.stop('again')]);
    await server.finished;
    input.write(ping(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toEqual([]);
  });
});
