// Clients that do not read their streams, and clients that close them: the gateway's memory stays
// bounded (MCP_MAX_UNSENT_BYTES per stream) and a closed connection is noticed at once.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { SessionRegistry } from '@sanctum/sessions';
import { serveStdio } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';
import { SseReader } from './sse-reader';

const FIXTURES = resolve(__dirname, 'fixtures/bulk-plugins');
const BOTH = 'application/json, text/event-stream';
const LATEST = '2025-11-25';
const MAX_UNSENT = 256 * 1024;
const MIB = 1024 * 1024;

/** Every raw connection opened, destroyed before its gateway closes (also when a test failed). */
const sockets: Socket[] = [];

/** A raw connection that sends `request`, reads until `until` matches what came back, then never reads again. */
function unreadStream(port: number, request: string, until: RegExp): Promise<{ socket: Socket; head: string; match: RegExpMatchArray }> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('utf8');
      const match = head.match(until);
      if (!match) return;
      socket.off('data', onData);
      socket.pause(); // from here the kernel's buffers fill, then the gateway's
      resolvePromise({ socket, head, match });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(request);
  });
}

function toolsCall(id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });
}

function metric(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('back-pressure: streams whose client does not read', () => {
  let gateway: RunningGateway;
  let workDir: string;

  const overflowLines = (sessionId: string): string[] =>
    gateway.logs.filter(
      (line) => line.includes(`Stream of session ${sessionId} closed: `) && line.includes(`(MCP_MAX_UNSENT_BYTES=${MAX_UNSENT})`),
    );
  const completed = (): number => gateway.logs.filter((line) => line.includes('Tool completed: bulk.emit')).length;
  const postMessage = (sessionId: string, body: string): Promise<Response> =>
    fetch(`${gateway.baseUrl}/message?sessionId=${sessionId}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-mcp-backpressure-'));
    cpSync(FIXTURES, join(workDir, 'plugins'), { recursive: true });
    gateway = await startGateway({
      MCP_PLUGINS_DIR: join(workDir, 'plugins'),
      MCP_MAX_UNSENT_BYTES: String(MAX_UNSENT),
      MCP_MAX_STDOUT_BYTES: String(16 * MIB),
      MCP_MAX_STDERR_BYTES: String(16 * MIB),
      MCP_RATE_LIMIT: '0',
    });
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('HTTP+SSE: a client that reads receives every 1 MB result (over the bound each), and its stream stays open', async () => {
    const { reader } = await SseReader.open(`${gateway.baseUrl}/sse`, { headers: { Accept: 'text/event-stream' } });
    if (!reader) throw new Error('no SSE stream');
    try {
      await reader.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
      const endpoint = reader.events.find((e) => e.event === 'endpoint')?.data ?? '';
      const id = new URL(endpoint, gateway.baseUrl).searchParams.get('sessionId') ?? '';
      const answers = new Map<unknown, { result: { structuredContent: { text: string } } }>();
      let parsed = 0;
      const collect = (): void => {
        for (; parsed < reader.events.length; parsed++) {
          const event = reader.events[parsed];
          if (event.event !== 'message' || !event.data) continue;
          const message = JSON.parse(event.data) as { id?: unknown; result: { structuredContent: { text: string } } };
          if (message.id !== undefined) answers.set(message.id, message);
        }
      };
      for (let n = 0; n < 10; n++) {
        const res = await postMessage(id, toolsCall(n, 'bulk__emit', { bytes: MIB }));
        expect(res.status).toBe(202);
        await reader.waitFor(() => {
          collect();
          return answers.has(n);
        }, 15_000);
      }
      expect([...answers.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const answer of answers.values()) expect(answer.result.structuredContent.text).toHaveLength(MIB);
      expect(reader.ended).toBe(false);
      expect(overflowLines(id)).toEqual([]);
      expect(gateway.app.get(SessionRegistry).get(id)).toBeDefined();
    } finally {
      reader.close();
    }
  }, 60_000);

  it('HTTP+SSE: ten unread sessions sent 2 MB results keep memory bounded; each stream is closed with the log line', async () => {
    const sessions = 10;
    const results = 10;
    const streams = await Promise.all(
      Array.from({ length: sessions }, () =>
        unreadStream(gateway.port, 'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n', /sessionId=([\w-]+)\n\n/),
      ),
    );
    const ids = streams.map((s) => s.match[1]);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      for (const id of ids) {
        for (let n = 0; n < results && overflowLines(id).length === 0; n++) {
          const before = completed();
          const res = await postMessage(id, toolsCall(n, 'bulk__emit', { bytes: 2 * MIB }));
          if (res.status === 404) break; // the stream was closed: its session is gone
          expect(res.status).toBe(202);
          await eventually(() => completed() > before, 10_000);
        }
      }
    } finally {
      clearInterval(sampler);
    }
    // Unbounded, these streams hold about 10 x 10 x 4 MB (each result carries its text twice): RSS
    // grew by 600 MB. Bounded, what remains is the garbage of the calls made (150 to 190 MB here).
    expect(peak - baseline).toBeLessThan(300 * MIB);
    for (const id of ids) {
      await eventually(() => overflowLines(id).length === 1);
      expect(gateway.app.get(SessionRegistry).get(id)).toBeUndefined();
      expect((await postMessage(id, toolsCall(99, 'bulk__emit', { bytes: 1 }))).status).toBe(404);
    }
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metric(metrics, 'mcp_streams_overflowed_total{transport="sse"}')).toBe(sessions);
    for (const { socket } of streams) socket.destroy();
  }, 120_000);

  it('Streamable HTTP: an unread GET stream is closed past the bound, the session stays, and Last-Event-ID resumes it', async () => {
    const mcp = `${gateway.baseUrl}/mcp`;
    const init = await fetch(mcp, {
      method: 'POST',
      headers: { Accept: BOTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'unread', version: '1' } },
      }),
    });
    expect(init.status).toBe(200);
    const id = init.headers.get('mcp-session-id') ?? '';
    const headers = { 'Mcp-Session-Id': id, 'MCP-Protocol-Version': LATEST };
    const { socket, match } = await unreadStream(
      gateway.port,
      `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${id}\r\nMCP-Protocol-Version: ${LATEST}\r\n\r\n`,
      /\r\n\r\n[\s\S]*id: (\S+)\n[\s\S]*?\n\n/,
    );
    const primingId = match[1];
    // Each call logs 1 MB on stderr: notifications/message on the GET stream (its POST answers JSON).
    for (let n = 1; n <= 20 && overflowLines(id).length === 0; n++) {
      const res = await fetch(mcp, {
        method: 'POST',
        headers: { Accept: BOTH, 'Content-Type': 'application/json', ...headers },
        body: toolsCall(n, 'bulk__emit', { bytes: MIB, log: true }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    await eventually(() => overflowLines(id).length === 1);
    expect(gateway.app.get(SessionRegistry).get(id)).toBeDefined();
    socket.destroy();

    const { reader } = await SseReader.open(mcp, { headers: { Accept: 'text/event-stream', ...headers, 'Last-Event-ID': primingId } });
    if (!reader) throw new Error('no SSE stream');
    try {
      await reader.waitFor((r) => r.events.some((e) => e.event === 'message'), 15_000);
      const first = JSON.parse(reader.events.find((e) => e.event === 'message')?.data ?? '{}') as {
        method: string;
        params: { data: string };
      };
      expect(first.method).toBe('notifications/message');
      expect(first.params.data).toMatch(/^x{1,60000}$/);
    } finally {
      reader.close();
    }
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metric(metrics, 'mcp_streams_overflowed_total{transport="streamable-http"}')).toBe(1);
  }, 60_000);

  it('stdio: a client that does not read stdout is not read from until stdout drains; nothing is dropped', async () => {
    const input = new PassThrough();
    const output = new PassThrough(); // nobody reads it yet
    const server = serveStdio(gateway.app, input, output);
    const invoked = (): number =>
      gateway.logs.filter((line) => line.includes('Tool invoked: bulk.emit') && line.includes(server.session.id)).length;
    const line = (id: number): string => `${toolsCall(id, 'bulk__emit', { bytes: 200_000 })}\n`;
    input.write(line(1));
    await eventually(() => input.isPaused(), 10_000);
    expect(
      gateway.logs.filter((l) => l.includes('stdio: ') && l.includes(`bytes unsent on stdout (MCP_MAX_UNSENT_BYTES=${MAX_UNSENT})`)),
    ).toHaveLength(1);
    for (const id of [2, 3, 4]) input.write(line(id));
    await new Promise((r) => setTimeout(r, 500));
    expect(invoked()).toBe(1); // the lines wait in the pipe, unread
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    await eventually(() => text.split('\n').filter(Boolean).length === 4, 15_000);
    const ids = text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids.sort()).toEqual([1, 2, 3, 4]);
    expect(invoked()).toBe(4);
    input.end();
    await server.finished;
  }, 60_000);
});

describe('a client that closes its connection (FIN)', () => {
  let gateway: RunningGateway;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-mcp-fin-'));
    cpSync(FIXTURES, join(workDir, 'plugins'), { recursive: true });
    writeSlowPlugin(join(workDir, 'plugins'));
    // Keepalives every 15 s (the default): noticing the close must not wait for one. A bound high
    // enough that a stream holding unsent data stays open until its client closes.
    gateway = await startGateway({
      MCP_PLUGINS_DIR: join(workDir, 'plugins'),
      // The slow plugin writes its marker files into workDir: writable in the plugin sandbox.
      MCP_SANDBOX_WRITABLE: workDir,
      MCP_MAX_UNSENT_BYTES: String(64 * MIB),
      MCP_MAX_STDOUT_BYTES: String(16 * MIB),
      MCP_RATE_LIMIT: '0',
    });
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const sessionEnded = (id: string): boolean => gateway.logs.some((line) => line.includes(`Session ended: ${id}`));
  const cancelled = (): number =>
    gateway.logs.filter((line) => line.includes('Tool failed: slow.wait') && line.includes('(cancelled)')).length;
  const invoked = (): number => gateway.logs.filter((line) => line.includes('Tool invoked: slow.wait')).length;
  const completedBulk = (): number => gateway.logs.filter((line) => line.includes('Tool completed: bulk.emit')).length;

  function rawPost(path: string, headers: Record<string, string>, body: string): string {
    const lines = Object.entries({
      Host: '127.0.0.1',
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...headers,
    });
    return `POST ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
  }

  it('HTTP+SSE: with unsent data pending, the session is gone and its running call cancelled within a second', async () => {
    const { socket, match } = await unreadStream(
      gateway.port,
      'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n',
      /sessionId=([\w-]+)\n\n/,
    );
    const id = match[1];
    const post = (body: string): Promise<Response> =>
      fetch(`${gateway.baseUrl}/message?sessionId=${id}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    // Results the client does not read: the gateway holds some unsent when the client closes, so
    // that the connection cannot just finish sending.
    for (let n = 0; n < 4; n++) {
      const before = completedBulk();
      expect((await post(toolsCall(n, 'bulk__emit', { bytes: 2 * MIB }))).status).toBe(202);
      await eventually(() => completedBulk() > before, 10_000);
    }
    const marker = join(workDir, 'sse-marker');
    const [calls, before] = [invoked(), cancelled()];
    expect((await post(toolsCall(9, 'slow__wait', { ms: 4_000, marker }))).status).toBe(202);
    await eventually(() => invoked() > calls);
    const closedAt = Date.now();
    socket.end();
    await eventually(() => sessionEnded(id) && cancelled() > before, 1_000);
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(gateway.app.get(SessionRegistry).get(id)).toBeUndefined();
    socket.destroy();
    await new Promise((r) => setTimeout(r, 4_500));
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('Streamable HTTP, 2025 revisions: a POST stream closed by its client does not cancel its call (disconnection is not cancellation)', async () => {
    const init = await fetch(`${gateway.baseUrl}/mcp`, {
      method: 'POST',
      headers: { Accept: BOTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'fin', version: '1' } },
      }),
    });
    const id = init.headers.get('mcp-session-id') ?? '';
    const marker = join(workDir, 'post-marker');
    const [calls, before] = [invoked(), cancelled()];
    const { socket } = await unreadStream(
      gateway.port,
      rawPost(
        '/mcp',
        { Accept: BOTH, 'Mcp-Session-Id': id, 'MCP-Protocol-Version': LATEST },
        toolsCall(1, 'slow__wait', { ms: 1_500, marker }, { progressToken: 'p' }),
      ),
      /text\/event-stream[\s\S]*\r\n\r\n/,
    );
    await eventually(() => invoked() > calls);
    socket.end();
    await eventually(() => existsSync(marker), 5_000);
    expect(cancelled()).toBe(before);
    expect(gateway.app.get(SessionRegistry).get(id)).toBeDefined();
    socket.destroy();
  }, 20_000);

  it('Streamable HTTP, protocol revision 2026-07-28: a closed SSE answer cancels its call within a second', async () => {
    const marker = join(workDir, 'stateless-marker');
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'fin', version: '1' },
      progressToken: 'p',
    };
    const [calls, before] = [invoked(), cancelled()];
    const { socket } = await unreadStream(
      gateway.port,
      rawPost(
        '/mcp',
        { Accept: BOTH, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'slow__wait' },
        toolsCall(1, 'slow__wait', { ms: 3_000, marker }, meta),
      ),
      /text\/event-stream[\s\S]*\r\n\r\n/,
    );
    await eventually(() => invoked() > calls);
    const closedAt = Date.now();
    socket.end();
    await eventually(() => cancelled() > before, 1_000);
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    socket.destroy();
    await new Promise((r) => setTimeout(r, 3_500));
    expect(existsSync(marker)).toBe(false);
  }, 20_000);
});
