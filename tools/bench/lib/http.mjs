// Small HTTP and MCP helpers on node:http (no client library in the measured path).
import { request as httpRequest, Agent } from 'node:http';

export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const LATEST_PROTOCOL = '2025-11-25';
export const LEGACY_PROTOCOL = '2024-11-05';

/**
 * @typedef {object} HttpResponse
 * @property {number} status
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {string} body
 */

/**
 * One HTTP request; resolves with the whole body. Never follows redirects.
 * @param {string} url
 * @param {{method?: string, headers?: Record<string, string>, body?: string, agent?: Agent | false, timeoutMs?: number}} [options]
 * @returns {Promise<HttpResponse>}
 */
export function request(url, options = {}) {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = httpRequest(
      url,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: options.agent,
      },
      (res) => {
        const chunks = /** @type {Buffer[]} */ ([]);
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 30_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A keep-alive agent for sequential or bounded-concurrency requests.
 * @param {number} [maxSockets]
 * @returns {Agent}
 */
export function keepAliveAgent(maxSockets = 16) {
  return new Agent({ keepAlive: true, maxSockets });
}

/**
 * JSON-RPC messages of a body that is either JSON or an SSE stream (`data:` lines).
 * @param {HttpResponse} res
 * @returns {any[]}
 */
export function messagesOf(res) {
  const type = String(res.headers['content-type'] ?? '');
  if (type.includes('text/event-stream')) {
    return res.body
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5).trim()));
  }
  if (res.body.trim() === '') return [];
  const parsed = JSON.parse(res.body);
  return Array.isArray(parsed) ? parsed : [parsed];
}

/**
 * A Streamable HTTP session opened by hand (initialize + notifications/initialized), so that
 * load generators can replay requests with its headers.
 */
export class RawMcpSession {
  /**
   * @param {string} base e.g. http://127.0.0.1:8000
   * @param {Agent} agent
   * @param {Record<string, string>} [extra] headers of every request, such as an API key
   */
  constructor(base, agent, extra = {}) {
    this.base = base;
    this.agent = agent;
    this.extra = extra;
    /** @type {string} */
    this.sessionId = '';
    /** @type {string} */
    this.protocolVersion = LATEST_PROTOCOL;
    this.nextId = 1;
  }

  /** Headers every request of this session carries. */
  headers() {
    return {
      ...this.extra,
      'content-type': 'application/json',
      accept: ACCEPT_BOTH,
      'mcp-session-id': this.sessionId,
      'mcp-protocol-version': this.protocolVersion,
    };
  }

  async open() {
    const init = await request(`${this.base}/mcp`, {
      method: 'POST',
      agent: this.agent,
      headers: { ...this.extra, 'content-type': 'application/json', accept: ACCEPT_BOTH },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: LATEST_PROTOCOL, capabilities: {}, clientInfo: { name: 'sanctum-bench', version: '1.0.0' } },
      }),
    });
    const sessionId = init.headers['mcp-session-id'];
    if (init.status !== 200 || typeof sessionId !== 'string') {
      throw new Error(`initialize at ${this.base}/mcp answered ${init.status} without Mcp-Session-Id: ${init.body.slice(0, 300)}`);
    }
    const [response] = messagesOf(init);
    this.sessionId = sessionId;
    this.protocolVersion = response?.result?.protocolVersion ?? LATEST_PROTOCOL;
    const ack = await request(`${this.base}/mcp`, {
      method: 'POST',
      agent: this.agent,
      headers: this.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}: ${ack.body.slice(0, 300)}`);
    return this;
  }

  /**
   * Send one request and return its JSON-RPC response.
   * @param {string} method
   * @param {Record<string, unknown>} [params]
   * @returns {Promise<any>}
   */
  async call(method, params) {
    const id = this.nextId++;
    const res = await request(`${this.base}/mcp`, {
      method: 'POST',
      agent: this.agent,
      headers: this.headers(),
      body: JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }),
    });
    if (res.status !== 200) throw new Error(`${method} answered HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const response = messagesOf(res).find((m) => m.id === id);
    if (!response) throw new Error(`${method}: no response with id ${id} in ${res.body.slice(0, 300)}`);
    return response;
  }

  async close() {
    await request(`${this.base}/mcp`, { method: 'DELETE', agent: this.agent, headers: this.headers() }).catch(() => undefined);
  }
}

/**
 * A legacy HTTP+SSE stream (GET /sse): resolves once the `endpoint` event arrived. Counts the
 * `event: message` frames that follow and can wait for a number of them.
 */
export class SseStream {
  /**
   * @param {string} base
   * @param {string} [path]
   */
  constructor(base, path = '/sse') {
    this.base = base;
    this.path = path;
    /** @type {string} the absolute URL to POST to */
    this.endpoint = '';
    this.messages = 0;
    /** @type {any[]} parsed messages, kept only while `keep` is true */
    this.kept = [];
    this.keep = false;
    /** @type {import('node:http').ClientRequest | undefined} */
    this.req = undefined;
    /** @type {Array<() => void>} */
    this.waiters = [];
    this.closed = false;
  }

  /**
   * @param {number} [timeoutMs]
   * @returns {Promise<this>}
   */
  open(timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
      let buffer = '';
      let settled = false;
      const done = (/** @type {Error | undefined} */ err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this.close();
          reject(err);
        } else resolve(this);
      };
      const timer = setTimeout(() => done(new Error(`no endpoint event within ${timeoutMs} ms`)), timeoutMs);
      const req = httpRequest(`${this.base}${this.path}`, { method: 'GET', agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done(new Error(`GET ${this.path} answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (/** @type {string} */ chunk) => {
          buffer += chunk;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            this.onFrame(frame, done);
          }
        });
        res.on('close', () => {
          this.closed = true;
          done(new Error('stream closed before the endpoint event'));
        });
      });
      req.on('error', (err) => done(err));
      req.end();
      this.req = req;
    });
  }

  /**
   * @param {string} frame
   * @param {(err?: Error) => void} opened
   */
  onFrame(frame, opened) {
    let event = 'message';
    const data = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return; // comment (keepalive)
    if (event === 'endpoint') {
      this.endpoint = new URL(data.join('\n'), this.base).href;
      opened();
      return;
    }
    if (event === 'message') {
      this.messages += 1;
      if (this.keep) this.kept.push(JSON.parse(data.join('\n')));
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Wait until at least `count` messages arrived, or `timeoutMs` passed.
   * @param {number} count
   * @param {number} timeoutMs
   * @returns {Promise<boolean>}
   */
  async waitFor(count, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.messages < count && Date.now() < deadline && !this.closed) {
      await new Promise((resolve) => {
        this.waiters.push(() => resolve(undefined));
        setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
      });
    }
    return this.messages >= count;
  }

  /**
   * POST one JSON-RPC message to the session endpoint and wait for the response on the stream.
   * @param {any} message
   * @param {Agent} agent
   * @returns {Promise<any>}
   */
  async roundTrip(message, agent) {
    this.keep = true;
    const before = this.kept.length;
    const res = await request(this.endpoint, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    if (res.status !== 202) throw new Error(`POST ${this.endpoint} answered ${res.status}: ${res.body.slice(0, 200)}`);
    if (message.id === undefined) return undefined;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.kept.slice(before).find((m) => m.id === message.id);
      if (found) {
        this.keep = false;
        this.kept = [];
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no response to ${message.method} on the SSE stream within 10 s`);
      await this.waitFor(this.messages + 1, 200);
    }
  }

  close() {
    this.closed = true;
    this.req?.destroy();
  }
}
