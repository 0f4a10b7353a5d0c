import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableCommands, Describe, errorOf, inputRequiredOf, inputRound, output, PluginRun, resultOf, runPlugin } from './python';

const TOKEN = '7351924680:AAHx9k2mQv_T3stT0kenNeverPrint-Zq8';
const CHAT_ID = '424242';

interface CapturedRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

interface Reply {
  status: number;
  body: unknown;
}

/** A local stand-in for the Telegram Bot API that records what it is sent. */
class FakeBotApi {
  readonly requests: CapturedRequest[] = [];
  private nextMessageId = 500;
  private readonly server: http.Server;

  /** `respond` overrides the realistic default behaviour; `silent` never answers (for timeouts). */
  constructor(
    private readonly respond?: (req: CapturedRequest) => Reply,
    silent = false,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = { unparseable: Buffer.concat(chunks).toString('utf8') };
        }
        const captured: CapturedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body,
        };
        this.requests.push(captured);
        if (silent) return;
        const reply = (this.respond ?? ((r: CapturedRequest) => this.botApi(r)))(captured);
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, { 'Content-Type': typeof reply.body === 'string' ? 'text/html' : 'application/json' });
        res.end(text);
      });
    });
  }

  /** What the real Bot API does for sendMessage (and its answers to a bad token or method). */
  private botApi(req: CapturedRequest): Reply {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url);
    if (!match || match[1] !== TOKEN) {
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    }
    if (match[2] !== 'sendMessage' || req.method !== 'POST') {
      return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    }
    const chatId = req.body['chat_id'];
    const date = Math.floor(Date.now() / 1000);
    const chat = { id: chatId, first_name: 'Ada', username: 'ada', type: 'private' };
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId++,
      from: { id: 7351924680, is_bot: true, first_name: 'Sanctum', username: 'sanctum_bot' },
      chat,
      date,
      text: req.body['text'],
    };
    const replyTo = req.body['reply_parameters'] as { message_id?: number } | undefined;
    if (replyTo?.message_id !== undefined) {
      message['reply_to_message'] = {
        message_id: replyTo.message_id,
        from: { id: 7351924680, is_bot: true, first_name: 'Sanctum', username: 'sanctum_bot' },
        chat,
        date: date - 60,
        text: 'Deploy to production?',
        reply_markup: { keyboard: [[{ text: 'Yes' }, { text: 'No' }]] },
      };
    }
    return { status: 200, body: { ok: true, result: message } };
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Start a fake API, run the plugin against it, and shut the API down again. */
async function against(
  api: FakeBotApi,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<PluginRun> {
  const base = await api.start();
  try {
    return await runPlugin('botfather', args, {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: CHAT_ID,
      TELEGRAM_API_BASE: base,
      ...env,
    });
  } finally {
    await api.close();
  }
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface SentMessage {
  message_id: number;
  chat_id: number | string;
  text: string;
  reply_to_message_id?: number;
}

describe('botfather plugin', () => {
  it.concurrent('send-message posts JSON to /bot<token>/sendMessage and returns the message', async () => {
    const api = new FakeBotApi();
    const run = await against(api, ['send-message', '--message=Build #812 passed ✅']);
    expect(resultOf<SentMessage>(run)).toEqual({ message_id: 500, chat_id: 424242, text: 'Build #812 passed ✅' });
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(req.contentType).toMatch(/^application\/json\b/);
    expect(req.body).toEqual({ chat_id: 424242, text: 'Build #812 passed ✅' });
  });

  it.concurrent('sends a @channelusername chat id as a string', async () => {
    const api = new FakeBotApi();
    const run = await against(api, ['send-message', '--message', 'hello'], { TELEGRAM_CHAT_ID: '@sanctum_news' });
    expect(resultOf<SentMessage>(run).chat_id).toBe('@sanctum_news');
    expect(api.requests[0].body).toEqual({ chat_id: '@sanctum_news', text: 'hello' });
  });

  it.concurrent('click-button replies to the message with the button text', async () => {
    const api = new FakeBotApi();
    const run = await against(api, ['click-button', '--button-text=Yes', '--msg-id=77']);
    expect(resultOf<SentMessage>(run)).toEqual({ message_id: 500, chat_id: 424242, reply_to_message_id: 77, text: 'Yes' });
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0].url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(api.requests[0].body).toEqual({ chat_id: 424242, text: 'Yes', reply_parameters: { message_id: 77 } });
  });

  it.concurrent('reports a Bot API error (ok:false, HTTP 400) with exit 1', async () => {
    const api = new FakeBotApi(() => ({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: message to be replied not found' },
    }));
    const run = await against(api, ['click-button', '--button-text', 'No', '--msg-id', '999999']);
    expect(errorOf(run)).toBe('Telegram API error 400: Bad Request: message to be replied not found');
  });

  it.concurrent('reports ok:false even when it comes with HTTP 200, and passes on retry_after', async () => {
    const api = new FakeBotApi(() => ({
      status: 200,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } },
    }));
    const error = errorOf(await against(api, ['send-message', '--message', 'spam']));
    expect(error).toMatch(/^Telegram API error 429: Too Many Requests: retry after 7/);
    expect(error).toMatch(/retry after 7 seconds/);
  });

  it.concurrent('reports a non-Bot-API HTTP error page clearly', async () => {
    const api = new FakeBotApi(() => ({ status: 502, body: '<html><body>502 Bad Gateway</body></html>' }));
    const error = errorOf(await against(api, ['send-message', '--message', 'hi']));
    expect(error).toMatch(/HTTP 502/);
    expect(error).toMatch(/TELEGRAM_API_BASE/);
  });

  it.concurrent('names both variables when unconfigured, and only what is missing', async () => {
    const [none, noChat] = await Promise.all([
      runPlugin('botfather', ['send-message', '--message', 'hi']),
      runPlugin('botfather', ['send-message', '--message', 'hi'], { TELEGRAM_BOT_TOKEN: TOKEN }),
    ]);
    const noneError = errorOf(none);
    expect(noneError).toMatch(/^botfather is not configured: set TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID/);
    expect(noneError).toMatch(/missing: TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID/);
    expect(errorOf(noChat)).toMatch(/missing: TELEGRAM_CHAT_ID\)/);
    expect(noChat.stdout + noChat.stderr).not.toContain(TOKEN);
  });

  it.concurrent('rejects bad configuration values with clear errors', async () => {
    const runs = await Promise.all([
      runPlugin('botfather', ['send-message', '--message', 'hi'], { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: 'my group' }),
      runPlugin('botfather', ['send-message', '--message', 'hi'], {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_CHAT_ID: CHAT_ID,
        TELEGRAM_TIMEOUT: 'soon',
      }),
      runPlugin('botfather', ['send-message', '--message', 'hi'], {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_CHAT_ID: CHAT_ID,
        TELEGRAM_API_BASE: 'api.telegram.org',
      }),
    ]);
    expect(errorOf(runs[0])).toMatch(/TELEGRAM_CHAT_ID 'my group' is not a chat id/);
    expect(errorOf(runs[1])).toMatch(/TELEGRAM_TIMEOUT 'soon' is not a valid timeout/);
    expect(errorOf(runs[2])).toMatch(/TELEGRAM_API_BASE 'api.telegram.org' is not an http\(s\) URL/);
  });

  it.concurrent('validates the message text before calling the API', async () => {
    const api = new FakeBotApi();
    const [empty, long] = [
      await against(api, ['send-message', '--message=   ']),
      await against(new FakeBotApi(), ['send-message', `--message=${'x'.repeat(4097)}`]),
    ];
    expect(errorOf(empty)).toMatch(/--message is empty/);
    expect(errorOf(long)).toMatch(/4097 characters long; Telegram accepts at most 4096/);
    expect(api.requests).toHaveLength(0);
  });

  it.concurrent('never prints the token, whatever goes wrong', async () => {
    const runs: PluginRun[] = await Promise.all([
      // An API that echoes the request path back in its error description.
      against(new FakeBotApi((r) => ({ status: 400, body: { ok: false, error_code: 400, description: `bad path ${r.url}` } })), [
        'send-message',
        '--message',
        'hi',
      ]),
      // A wrong token for this server: 401.
      against(new FakeBotApi(), ['send-message', '--message', 'hi'], { TELEGRAM_BOT_TOKEN: `${TOKEN}x` }),
      // An error page that quotes the URL.
      against(new FakeBotApi((r) => ({ status: 500, body: `<h1>Internal error at ${r.url}</h1>` })), ['send-message', '--message', 'hi']),
      // Success.
      against(new FakeBotApi(), ['click-button', '--button-text', 'Yes', '--msg-id', '5']),
      // Nothing listening.
      closedPort().then((port) =>
        runPlugin('botfather', ['send-message', '--message', 'hi'], {
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_CHAT_ID: CHAT_ID,
          TELEGRAM_API_BASE: `http://127.0.0.1:${port}`,
        }),
      ),
    ]);
    for (const run of runs) {
      expect(run.stdout + run.stderr).not.toContain(TOKEN);
      expect(run.stdout + run.stderr).not.toContain('AAHx9k2mQv');
      output(run); // still one well-formed JSON object
    }
    expect(errorOf(runs[0])).toBe('Telegram API error 400: bad path /bot<redacted>/sendMessage');
    expect(errorOf(runs[1])).toMatch(/^Telegram API error 401: Unauthorized \(check TELEGRAM_BOT_TOKEN/);
    expect(errorOf(runs[2])).toMatch(/HTTP 500/);
  });

  it.concurrent('reports a refused connection, naming the API base URL', async () => {
    const port = await closedPort();
    const base = `http://127.0.0.1:${port}`;
    const run = await runPlugin('botfather', ['send-message', '--message', 'hi'], {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: CHAT_ID,
      TELEGRAM_API_BASE: `${base}/`,
    });
    const error = errorOf(run);
    expect(error).toContain(`could not reach the Telegram Bot API at ${base}:`);
    expect(error).toMatch(/refused/i);
    expect(run.stderr).toBe('');
  });

  it.concurrent('gives up after TELEGRAM_TIMEOUT seconds when the API does not answer', async () => {
    const api = new FakeBotApi(undefined, true);
    const started = Date.now();
    const run = await against(api, ['send-message', '--message', 'hi'], { TELEGRAM_TIMEOUT: '0.5' });
    expect(errorOf(run)).toMatch(/no answer from the Telegram Bot API at http:\/\/127\.0\.0\.1:\d+ within 0\.5 seconds/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it.concurrent('leaves argument errors to argparse (exit 2, usage on stderr)', async () => {
    const [badInt, missing, unknown] = await Promise.all([
      runPlugin('botfather', ['click-button', '--button-text', 'Yes', '--msg-id', 'seven']),
      runPlugin('botfather', ['click-button', '--button-text', 'Yes']),
      runPlugin('botfather', ['press-button']),
    ]);
    expect(badInt.code).toBe(2);
    expect(badInt.stderr).toMatch(/--msg-id: invalid int value/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required: --msg-id/);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
  });

  it.concurrent('--help lists the commands in an Available commands section that matches --describe', async () => {
    const [help, described] = await Promise.all([runPlugin('botfather', ['--help']), runPlugin('botfather', ['--describe'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      'Available commands:\n' +
        '  click-button  Click a button on a message in the Telegram chat\n' +
        '  send-message  Send a message to the Telegram chat\n' +
        "  draft-reply  Draft a reply to a message with the client's model (sends nothing)\n\n" +
        'Examples:\n',
    );
    expect(help.stdout).toContain('  python cli.py send-message --message "hello"');
    expect(described.code).toBe(0);
    const doc = JSON.parse(described.stdout) as Describe;
    expect(doc.contract_version).toBe('1.1');
    expect(doc.plugin).toEqual({ name: 'botfather', version: '1.0.0', description: expect.any(String), env: ['TELEGRAM_*'] });
    expect([...availableCommands(help.stdout).keys()]).toEqual(doc.commands.map((c) => c.name));
    expect(doc.commands).toEqual([
      {
        name: 'click-button',
        description: expect.stringMatching(/^Press a reply-keyboard button: sends the button's text as a reply to message MSG_ID/),
        parameters: [
          { name: 'button-text', type: 'string', description: expect.any(String), required: true },
          { name: 'msg-id', type: 'integer', description: expect.any(String), required: true },
        ],
      },
      {
        name: 'send-message',
        description: expect.any(String),
        parameters: [{ name: 'message', type: 'string', description: expect.any(String), required: true }],
      },
      {
        name: 'draft-reply',
        description: expect.stringContaining('Nothing is sent: review the draft, then send it with send-message.'),
        parameters: [
          { name: 'message', type: 'string', description: expect.any(String), required: true },
          { name: 'tone', type: 'string', description: expect.any(String), required: false, default: 'friendly' },
          { name: 'max-tokens', type: 'integer', description: expect.any(String), required: false, default: 300 },
        ],
      },
    ]);
  });

  it.concurrent('answers <command> --help for every command', async () => {
    const [click, send] = await Promise.all([
      runPlugin('botfather', ['click-button', '--help']),
      runPlugin('botfather', ['send-message', '--help']),
    ]);
    expect(click.code).toBe(0);
    expect(click.stdout).toMatch(/usage: cli\.py click-button .*--button-text BUTTON_TEXT --msg-id INT/);
    expect(click.stdout).toMatch(/reply-keyboard/);
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/--message MESSAGE/);
  });
});

describe('botfather plugin: the announcement prompt (contract v1.1)', () => {
  it.concurrent('--describe offers the announcement prompt with its arguments and tone completions', async () => {
    const doc = JSON.parse((await runPlugin('botfather', ['--describe'])).stdout) as { prompts: Array<{ name: string; arguments: Array<Record<string, unknown>> }> };
    expect(doc.prompts.map((p) => p.name)).toEqual(['announcement']);
    expect(doc.prompts[0].arguments.find((a) => a['name'] === 'topic')).toMatchObject({ required: true });
    expect(doc.prompts[0].arguments.find((a) => a['name'] === 'tone')).toMatchObject({ complete: ['friendly', 'formal', 'urgent', 'celebratory'] });
  });

  it.concurrent('drafts from the arguments without any Telegram configuration, within the Bot API limit', async () => {
    const run = await runPlugin('botfather', ['announcement', '--topic=v2.4 is live', '--details=ships Friday', '--tone=formal'], {
      TELEGRAM_BOT_TOKEN: undefined,
      TELEGRAM_CHAT_ID: undefined,
    });
    expect(run.code).toBe(0);
    const { messages } = JSON.parse(run.stdout) as { messages: Array<{ role: string; content: { type: string; text: string } }> };
    expect(messages).toHaveLength(1);
    expect(messages[0].role).toBe('user');
    expect(messages[0].content.text).toContain('v2.4 is live');
    expect(messages[0].content.text).toContain('ships Friday');
    expect(messages[0].content.text).toContain('at most 4096 characters');
    expect(messages[0].content.text).toContain('neutral and precise');
  });

  it.concurrent('refuses an unknown tone, naming the accepted ones', async () => {
    expect(errorOf(await runPlugin('botfather', ['announcement', '--topic=x', '--tone=loud']))).toContain('not one of friendly, formal, urgent, celebratory');
  });
});

/**
 * Input rounds (issue #19): draft-reply asks the client's model through sampling and is re-run with
 * the CreateMessageResult on stdin. Failure modes pinned: a draft that reaches Telegram (it must
 * never send), a client without sampling left with a request it cannot answer, a non-text answer
 * passed off as a draft, and a request that loses the tone, the token limit or includeContext.
 */
describe('botfather plugin: draft-reply drafts with the client\'s model (sampling)', () => {
  const CAN_SAMPLE = JSON.stringify({ sampling: {}, elicitation: {} });
  const NO_TELEGRAM = { TELEGRAM_BOT_TOKEN: undefined, TELEGRAM_CHAT_ID: undefined };
  const draft = (args: string[], capabilities: string | undefined, stdin?: string): Promise<PluginRun> =>
    runPlugin('botfather', ['draft-reply', ...args], { ...NO_TELEGRAM, MCP_CLIENT_CAPABILITIES: capabilities }, 20_000, stdin);
  const answer = (content: unknown, model = 'claude-test'): string =>
    inputRound({ draft: { role: 'assistant', content, model, stopReason: 'endTurn' } });

  it.concurrent('asks for one sampling request with the message, the tone, maxTokens and no context', async () => {
    const asked = inputRequiredOf(await draft(['--message=Is the release still on for Friday?', '--tone=formal', '--max-tokens=120'], CAN_SAMPLE));
    expect(Object.keys(asked.requests)).toEqual(['draft']);
    expect(asked.requests['draft']).toEqual({
      sampling: {
        messages: [{ role: 'user', content: { type: 'text', text: expect.stringContaining('Is the release still on for Friday?') } }],
        systemPrompt: expect.stringContaining('You draft Telegram replies'),
        maxTokens: 120,
        includeContext: 'none',
      },
    });
    const sampling = asked.requests['draft']['sampling'] as { messages: Array<{ content: { text: string } }> };
    expect(sampling.messages[0].content.text).toContain('Tone: formal (neutral and precise, no emoji).');
  });

  it.concurrent('defaults to a friendly tone and 300 tokens, and takes a tone of the caller\'s own words', async () => {
    const [plain, own] = await Promise.all([draft(['--message=hi'], CAN_SAMPLE), draft(['--message=hi', '--tone=like a ship captain'], CAN_SAMPLE)]);
    const request = (run: PluginRun) => inputRequiredOf(run).requests['draft']['sampling'] as { maxTokens: number; messages: Array<{ content: { text: string } }> };
    expect(request(plain).maxTokens).toBe(300);
    expect(request(plain).messages[0].content.text).toContain('Tone: friendly (warm and plain, one emoji at most).');
    expect(request(own).messages[0].content.text).toContain('Tone: like a ship captain.');
  });

  it.concurrent('returns the sampled text and the model, and sends nothing to Telegram', async () => {
    const api = new FakeBotApi();
    const base = await api.start();
    try {
      const run = await runPlugin(
        'botfather',
        ['draft-reply', '--message=Is it Friday?'],
        { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_BASE: base, MCP_CLIENT_CAPABILITIES: CAN_SAMPLE },
        20_000,
        answer({ type: 'text', text: '  Yes, Friday at 10:00.\n' }),
      );
      expect(resultOf(run)).toEqual({ draft: 'Yes, Friday at 10:00.', model: 'claude-test' });
      expect(api.requests).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it.concurrent('reads a content list (2025-11-25) and joins its text blocks', async () => {
    const run = await draft(['--message=hi'], CAN_SAMPLE, answer([{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'there.' }]));
    expect(resultOf(run)).toEqual({ draft: 'Hello there.', model: 'claude-test' });
  });

  it.concurrent('without the sampling capability: a clear error, and nothing asked', async () => {
    for (const capabilities of [undefined, '{}', JSON.stringify({ elicitation: {} }), 'not json']) {
      const run = await draft(['--message=hi'], capabilities);
      expect(errorOf(run)).toBe('draft-reply needs a client that offers sampling (the sampling capability); this client declared none');
    }
  });

  it.concurrent('refuses an image (or empty) answer as a draft, and reports the client\'s error', async () => {
    const [image, empty, refused] = await Promise.all([
      draft(['--message=hi'], CAN_SAMPLE, answer({ type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' })),
      draft(['--message=hi'], CAN_SAMPLE, answer({ type: 'text', text: '   ' })),
      draft(['--message=hi'], CAN_SAMPLE, inputRound({ draft: { error: { code: -1, message: 'User rejected sampling request' } } })),
    ]);
    expect(errorOf(image)).toMatch(/^the client's model answered with image content, not text: draft-reply needs a text draft/);
    expect(errorOf(empty)).toBe("the client's model wrote an empty draft; ask again.");
    expect(errorOf(refused)).toBe("the client's model could not draft a reply: User rejected sampling request (code -1).");
  });

  it.concurrent('asks again when the answers hold no draft, and refuses stdin that is not an answer document', async () => {
    const again = inputRequiredOf(await draft(['--message=hi'], CAN_SAMPLE, inputRound({ other: { role: 'assistant', content: { type: 'text', text: 'x' } } })));
    expect(Object.keys(again.requests)).toEqual(['draft']);
    expect(errorOf(await draft(['--message=hi'], CAN_SAMPLE, '["draft"]'))).toMatch(/^stdin does not hold the answers of an input round/);
  });

  it.concurrent('validates its arguments before asking', async () => {
    const [empty, long, tokens, tone] = await Promise.all([
      draft(['--message=  '], CAN_SAMPLE),
      draft([`--message=${'x'.repeat(4097)}`], CAN_SAMPLE),
      draft(['--message=hi', '--max-tokens=0'], CAN_SAMPLE),
      draft(['--message=hi', `--tone=${'very '.repeat(20)}`], CAN_SAMPLE),
    ]);
    expect(errorOf(empty)).toBe('--message is empty: give the text to send.');
    expect(errorOf(long)).toMatch(/^--message is 4097 characters long; Telegram accepts at most 4096/);
    expect(errorOf(tokens)).toBe('--max-tokens must be between 1 and 8192, got 0.');
    expect(errorOf(tone)).toMatch(/^--tone must be one of friendly, formal, urgent, celebratory or a few words/);
  });
});
