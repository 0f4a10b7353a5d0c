import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  token: string;
  body: Record<string, unknown>;
}

/** A local stand-in for the Telegram Bot API: records calls and answers like the real one. */
export async function startFakeTelegram(): Promise<{ url: string; calls: RecordedCall[]; close(): Promise<void> }> {
  const calls: RecordedCall[] = [];
  let nextId = 100;
  const read = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => resolve(data));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      if (!match) {
        res.statusCode = 404;
        res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
        return;
      }
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      calls.push({ token: match[1], method: match[2], body });
      if (match[2] !== 'sendMessage') {
        res.statusCode = 404;
        res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found: method not found' }));
        return;
      }
      if (body['text'] === '') {
        res.statusCode = 400;
        res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: message text is empty' }));
        return;
      }
      const reply = body['reply_parameters'] as { message_id?: number } | undefined;
      res.end(
        JSON.stringify({
          ok: true,
          result: {
            message_id: nextId++,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(body['chat_id']), type: 'private' },
            text: body['text'],
            ...(reply?.message_id ? { reply_to_message: { message_id: reply.message_id, chat: { id: Number(body['chat_id']) } } } : {}),
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
