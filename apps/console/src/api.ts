import { SseParser } from './sse';
import type { SseEvent } from './sse';

export type {
  ChartSeries,
  ConsoleContent,
  ConsoleOverview as Overview,
  ConsolePlugin,
  ConsolePlugins,
  ConsoleSession,
  ConsoleTool,
  LogLine,
  RecentCall,
  SessionList,
} from '@sanctum/console-api';

/** A refusal of the API: its status and the gateway's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY_STORE = 'sanctum-console-key';

/** Where the API is: beside the page (`/console` -> `/console/api`), so a path prefix works too. */
function apiBase(): string {
  const path = location.pathname.replace(/\/+$/, '');
  return `${path}/api`;
}

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: unknown; error?: { message?: unknown } };
    const text = typeof body.message === 'string' ? body.message : typeof body.error?.message === 'string' ? body.error.message : undefined;
    if (text) message = text;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message);
}

/** The console's API client: the admin key (kept for this tab only) and the CSRF token. */
export class ConsoleApi {
  token = '';
  private readonly base = apiBase();

  get key(): string | null {
    return sessionStorage.getItem(KEY_STORE);
  }

  set key(value: string | null) {
    if (value === null) sessionStorage.removeItem(KEY_STORE);
    else sessionStorage.setItem(KEY_STORE, value);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    const key = this.key;
    if (key) headers['Authorization'] = `Bearer ${key}`;
    if (this.token) headers['X-Console-Token'] = this.token;
    return headers;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(this.base + path, { headers: this.headers() });
    if (!res.ok) throw await failure(res);
    return (await res.json()) as T;
  }

  async send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
    const res = await fetch(this.base + path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw await failure(res);
    return res.status === 204 ? undefined : ((await res.json()) as T);
  }

  /** A POST or GET whose answer is an event stream; resolves when it ends. */
  async stream(path: string, onEvent: (event: SseEvent) => void, options: { signal?: AbortSignal; body?: unknown } = {}): Promise<void> {
    const res = await fetch(this.base + path, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: this.headers({ Accept: 'text/event-stream', ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }) }),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    if (!res.ok || res.body === null) throw await failure(res);
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const event of parser.push(value)) onEvent(event);
    }
  }
}
