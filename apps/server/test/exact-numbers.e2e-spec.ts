// Issue 15 item 13, and JSON-RPC 2.0's rule that a response's id "MUST be the same as the value
// of the id member in the Request Object": a 30-digit id comes back byte for byte on every
// transport (HTTP+SSE, Streamable HTTP JSON and SSE answers, revision 2026-07-28, stdio), in
// results, errors and batches; a progress token and a cancelled requestId of that size still
// match; an id that could not be echoed exactly (-0, 1e3, 1.0, 1e400, 1.5, 1e+21) is refused with
// -32600; integer arguments beyond 2^53 reach the plugin digit for digit, or are refused as
// invalid_arguments. Bodies are raw text: a JavaScript client could not even send these numbers.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { serveStdio } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { raw } from './raw-http';
import type { Reply } from './raw-http';
import { SseReader } from './sse-reader';
import { writeSlowPlugin } from './slow-plugin';

const BIG = '123456789012345678901234567890';
const NEGATIVE_BIG = '-98765432109876543210987654321';
const LATEST = '2025-11-25';
const STATELESS = '2026-07-28';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

type Json = Record<string, unknown>;

/** `message` as JSON text with the string "@ID@" (and "@TOKEN@") replaced by raw literals. */
function text(message: Json, id: string, token = id): string {
  return JSON.stringify(message).replace('"@ID@"', id).replace('"@TOKEN@"', token);
}

const ping = (id: string): string => text({ jsonrpc: '2.0', id: '@ID@', method: 'ping' }, id);

const REFUSED_IDS = ['-0', '1e3', '1.0', '1e400', '1.5', '1e+21'];

function refusal(literal: string): Json {
  return {
    jsonrpc: '2.0',
    id: null,
    error: {
      code: -32600,
      message: `Invalid Request: "id" must be a string or an integer written in plain digits (such as "req-7" or 7, any number of digits); the number ${literal} is not one (a fraction, an exponent or -0), and would not be echoed exactly as sent.`,
    },
  };
}

describe('exact numbers: ids echoed as sent, integers beyond 2^53 passed on exactly', () => {
  let gateway: RunningGateway;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-exact-'));
    const plugins = join(workDir, 'plugins');
    cpSync(resolve(__dirname, 'fixtures/plugins/echo_py'), join(plugins, 'echo_py'), { recursive: true });
    cpSync(resolve(__dirname, 'fixtures/notify/reporter'), join(plugins, 'reporter'), { recursive: true });
    writeSlowPlugin(plugins);
    gateway = await startGateway({ MCP_PLUGINS_DIR: plugins });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<Reply> =>
    raw(gateway.port, 'POST', path, { ...JSON_HEADERS, ...headers }, body);

  describe('Streamable HTTP, 2025 revisions', () => {
    let session: Record<string, string>;

    beforeAll(async () => {
      const init = await post(
        '/mcp',
        text(
          {
            jsonrpc: '2.0',
            id: '@ID@',
            method: 'initialize',
            params: { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'exact', version: '1' } },
          },
          BIG,
        ),
      );
      expect(init.status).toBe(200);
      expect(init.body.startsWith(`{"jsonrpc":"2.0","id":${BIG},"result":`)).toBe(true);
      session = { 'Mcp-Session-Id': init.headers['mcp-session-id'] as string, 'MCP-Protocol-Version': LATEST };
      expect((await post('/mcp', '{"jsonrpc":"2.0","method":"notifications/initialized"}', session)).status).toBe(202);
    });

    it('echoes a 30-digit id exactly (guards 1.2345678901234568e+29)', async () => {
      const reply = await post('/mcp', ping(BIG), session);
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(`{"jsonrpc":"2.0","id":${BIG},"result":{}}`);
    });

    it('echoes big ids in errors and in every answer of a batch', async () => {
      const batch = `[${ping(BIG)},${text({ jsonrpc: '2.0', id: '@ID@', method: 'no/such' }, NEGATIVE_BIG)},${ping('7')}]`;
      const reply = await post('/mcp', batch, session);
      expect(reply.status).toBe(200);
      expect([...reply.body.matchAll(/"id":(-?\d+),"(result|error)"/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
        `${BIG} result`,
        `${NEGATIVE_BIG} error`,
        '7 result',
      ]);
      expect(reply.body).toContain(`{"jsonrpc":"2.0","id":${NEGATIVE_BIG},"error":{"code":-32601,`);
    });

    it.each(REFUSED_IDS)('refuses the id %s with -32600, saying why', async (literal) => {
      const reply = await post('/mcp', ping(literal), session);
      expect(JSON.parse(reply.body)).toEqual(refusal(literal));
    });

    it('matches a big progressToken on the POST stream: progress notifications and the answer carry the digits sent', async () => {
      const body = text(
        {
          jsonrpc: '2.0',
          id: '@ID@',
          method: 'tools/call',
          params: { name: 'reporter__work', arguments: { steps: 2 }, _meta: { progressToken: '@TOKEN@' } },
        },
        NEGATIVE_BIG,
        BIG,
      );
      const { response, reader } = await SseReader.open(`${gateway.baseUrl}/mcp`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...session },
        body,
      });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 15_000);
      const data = stream.events.map((e) => e.data).filter((d): d is string => d !== undefined && d !== '');
      const progress = data.filter((d) => d.includes('notifications/progress'));
      expect(progress).toHaveLength(2);
      for (const line of progress) expect(line).toContain(`"progressToken":${BIG},`);
      expect(data[data.length - 1].startsWith(`{"jsonrpc":"2.0","id":${NEGATIVE_BIG},"result":`)).toBe(true);
    });
  });

  describe('Streamable HTTP, revision 2026-07-28', () => {
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': STATELESS,
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'exact', version: '1' },
    };

    it('echoes a 30-digit id exactly in a JSON answer', async () => {
      const body = text({ jsonrpc: '2.0', id: '@ID@', method: 'server/discover', params: { _meta: envelope } }, BIG);
      const reply = await post('/mcp', body, { 'MCP-Protocol-Version': STATELESS, 'Mcp-Method': 'server/discover' });
      expect(reply.status).toBe(200);
      expect(reply.body.startsWith(`{"jsonrpc":"2.0","id":${BIG},"result":`)).toBe(true);
    });

    it('echoes the id and progress token exactly on the request stream', async () => {
      const body = text(
        {
          jsonrpc: '2.0',
          id: '@ID@',
          method: 'tools/call',
          params: { name: 'reporter__work', arguments: { steps: 1 }, _meta: { ...envelope, progressToken: '@TOKEN@' } },
        },
        BIG,
        NEGATIVE_BIG,
      );
      const headers = { ...JSON_HEADERS, 'MCP-Protocol-Version': STATELESS, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'reporter__work' };
      const { reader } = await SseReader.open(`${gateway.baseUrl}/mcp`, { method: 'POST', headers, body });
      const stream = reader as SseReader;
      await stream.waitFor((r) => r.ended, 15_000);
      const data = stream.events.map((e) => e.data).filter((d): d is string => d !== undefined && d !== '');
      expect(data.some((d) => d.includes(`"progressToken":${NEGATIVE_BIG},`))).toBe(true);
      expect(data[data.length - 1].startsWith(`{"jsonrpc":"2.0","id":${BIG},"result":`)).toBe(true);
    });
  });

  describe('HTTP+SSE (2024-11-05)', () => {
    it('sends the answer to a 30-digit id on the session stream with the digits sent', async () => {
      const { reader } = await SseReader.open(`${gateway.baseUrl}/sse`, { headers: { Accept: 'text/event-stream' } });
      const stream = reader as SseReader;
      try {
        await stream.waitFor((r) => r.events.some((e) => e.event === 'endpoint'));
        const endpoint = stream.events.find((e) => e.event === 'endpoint')?.data as string;
        const path = new URL(endpoint, gateway.baseUrl);
        expect((await post(`${path.pathname}${path.search}`, ping(BIG))).status).toBe(202);
        await stream.waitFor((r) => r.events.some((e) => e.event === 'message'));
        expect(stream.events.find((e) => e.event === 'message')?.data).toBe(`{"jsonrpc":"2.0","id":${BIG},"result":{}}`);
      } finally {
        stream.close();
      }
    });

    it('answers POST /message without a session in the body, id exact, and refuses -0', async () => {
      expect((await post('/message', ping(BIG))).body).toBe(`{"jsonrpc":"2.0","id":${BIG},"result":{}}`);
      expect(JSON.parse((await post('/message', ping('-0'))).body)).toEqual(refusal('-0'));
    });
  });

  describe('stdio', () => {
    function open(): { input: PassThrough; lines: () => string[]; finished: Promise<void> } {
      const input = new PassThrough();
      const output = new PassThrough();
      let out = '';
      output.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const server = serveStdio(gateway.app, input, output);
      return { input, lines: () => out.split('\n').filter(Boolean), finished: server.finished };
    }

    it('echoes a 30-digit id exactly, alone and in a batch, and refuses 1e400', async () => {
      const { input, lines, finished } = open();
      input.write(`${ping(BIG)}\n[${ping(NEGATIVE_BIG)},${ping('1')}]\n${ping('1e400')}\n`);
      await eventually(() => lines().length === 3);
      expect(lines()).toEqual(
        expect.arrayContaining([
          `{"jsonrpc":"2.0","id":${BIG},"result":{}}`,
          `[{"jsonrpc":"2.0","id":${NEGATIVE_BIG},"result":{}},{"jsonrpc":"2.0","id":1,"result":{}}]`,
          JSON.stringify(refusal('1e400')),
        ]),
      );
      input.end();
      await finished;
    });

    it('cancels the call whose 30-digit id notifications/cancelled names, and answers it under that id', async () => {
      const { input, lines, finished } = open();
      const marker = join(workDir, 'cancelled-marker');
      input.write(
        `${text({ jsonrpc: '2.0', id: '@ID@', method: 'tools/call', params: { name: 'slow__wait', arguments: { ms: 20_000, marker } } }, BIG)}\n`,
      );
      await eventually(() => gateway.logs.some((l) => l.includes('Tool invoked: slow.wait')));
      input.write(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${BIG}}}\n`);
      await eventually(() => lines().length === 1, 10_000);
      expect(lines()[0].startsWith(`{"jsonrpc":"2.0","id":${BIG},"result":`)).toBe(true);
      expect(JSON.parse(lines()[0])).toMatchObject({ result: { isError: true, structuredContent: { error: { code: 'cancelled' } } } });
      expect(existsSync(marker)).toBe(false);
      input.end();
      await finished;
    });
  });

  describe('tool arguments beyond 2^53', () => {
    async function callEcho(args: string): Promise<Json> {
      const reply = await post(
        '/message',
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_py__echo","arguments":${args}}}`,
      );
      return (JSON.parse(reply.body) as { result: Json }).result;
    }

    it('reach the plugin digit for digit: an integer parameter, a string parameter, inside an object and an array of objects', async () => {
      const result = await callEcho(
        `{"text":${BIG},"count":${NEGATIVE_BIG},"ratio":${BIG},"config":{"depth":${BIG}},"rows":[{"n":${BIG}}]}`,
      );
      expect(result['isError']).toBeFalsy();
      expect((result['structuredContent'] as Json)['argv']).toEqual([
        'echo',
        `--text=${BIG}`,
        `--count=${NEGATIVE_BIG}`,
        `--ratio=${BIG}`,
        `--rows=[{"n":${BIG}}]`,
        `--config={"depth":${BIG}}`,
      ]);
    });

    it.each([
      ['count', '1e25', '1e+25'],
      ['text', '123456789012345678901234567890.0', '1.2345678901234568e+29'],
    ])('refuses %s=%s (a double beyond 2^53) as invalid_arguments, saying to send plain digits', async (name, literal, shown) => {
      const result = await callEcho(`{"text":"x","${name}":${literal}}`);
      expect(result).toEqual({
        isError: true,
        content: [expect.objectContaining({ type: 'text' })],
        structuredContent: {
          error: {
            code: 'invalid_arguments',
            message: `Invalid arguments for echo_py.echo: '${name}' is ${shown}: an integer beyond 9007199254740991 written with an exponent or a fraction cannot be passed on exactly; send it in plain digits.`,
          },
        },
      });
    });
  });
});
