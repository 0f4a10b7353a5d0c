import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, ConsoleApi } from './api';
import type { ChartSeries, ConsoleContent, ConsolePlugins, ConsoleTool, LogLine, Overview, RecentCall, SessionList } from './api';
import { Charts } from './charts';
import { Tools } from './tools';
import { Calls, Content, Logs, Plugins, Sessions } from './views';

const VIEWS = ['plugins', 'tools', 'content', 'sessions', 'calls', 'charts', 'logs'] as const;
type View = (typeof VIEWS)[number];
const TITLES: Record<View, string> = {
  plugins: 'Plugins',
  tools: 'Tools',
  content: 'Resources and prompts',
  sessions: 'Sessions',
  calls: 'Recent calls',
  charts: 'Charts',
  logs: 'Log tail',
};
/** What the page keeps of the live lists (the gateway's rings are this size too). */
const KEEP = 500;

function Login({ message, onKey }: { message: string; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="login"
      id="login"
      onSubmit={(e) => {
        e.preventDefault();
        onKey(key.trim());
      }}
    >
      <h2>Admin key</h2>
      <p id="login-message">{message}</p>
      <input
        id="login-key"
        type="password"
        autocomplete="off"
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        placeholder="an API key named in MCP_CONSOLE_KEYS"
      />
      <button type="submit">Open the console</button>
      <p class="hint">The key is kept in this tab only (sessionStorage) and sent as "Authorization: Bearer".</p>
    </form>
  );
}

/** What the live stream keeps up to date. */
type Live = Pick<Overview, 'plugins' | 'tools' | 'content' | 'sessions' | 'calls' | 'logs' | 'charts'>;

export function App() {
  const api = useMemo(() => new ConsoleApi(), []);
  const [overview, setOverview] = useState<Overview | undefined>(undefined);
  const [live, setLive] = useState<Live | undefined>(undefined);
  const [refused, setRefused] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [connected, setConnected] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [view, setView] = useState<View>(() => {
    const hash = location.hash.slice(1);
    return (VIEWS as readonly string[]).includes(hash) ? (hash as View) : 'plugins';
  });

  const load = useCallback(async () => {
    try {
      const next = await api.get<Overview>('/overview');
      api.token = next.token;
      setOverview(next);
      setLive({
        plugins: next.plugins,
        tools: next.tools,
        content: next.content,
        sessions: next.sessions,
        calls: next.calls,
        logs: next.logs,
        charts: next.charts,
      });
      setRefused(undefined);
      setFailure(undefined);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setRefused(err.message);
      else setFailure((err as Error).message);
    }
  }, [api]);

  useEffect(() => void load(), [load]);

  // The live stream: reconnects after a drop, from what the page has already seen.
  useEffect(() => {
    if (overview === undefined) return undefined;
    const abort = new AbortController();
    let seen = { calls: overview.calls.at(-1)?.seq ?? 0, logs: overview.logs.at(-1)?.seq ?? 0 };
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          await api.stream(
            `/events?calls=${seen.calls}&logs=${seen.logs}`,
            (event) => {
              setConnected(true);
              const data = JSON.parse(event.data) as unknown;
              setLive((current) => {
                if (current === undefined) return current;
                switch (event.event) {
                  case 'sessions':
                    return { ...current, sessions: data as SessionList };
                  case 'calls': {
                    const calls = data as RecentCall[];
                    seen = { ...seen, calls: calls.at(-1)?.seq ?? seen.calls };
                    return { ...current, calls: [...current.calls, ...calls].slice(-KEEP) };
                  }
                  case 'logs': {
                    const logs = data as LogLine[];
                    seen = { ...seen, logs: logs.at(-1)?.seq ?? seen.logs };
                    return { ...current, logs: [...current.logs, ...logs].slice(-KEEP) };
                  }
                  case 'charts':
                    return { ...current, charts: data as ChartSeries };
                  case 'plugins':
                    return { ...current, plugins: data as ConsolePlugins };
                  case 'tools':
                    return { ...current, tools: data as ConsoleTool[] };
                  case 'content':
                    return { ...current, content: data as ConsoleContent };
                  default:
                    return current;
                }
              });
            },
            { signal: abort.signal },
          );
        } catch (err) {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
            setRefused(err.message);
            return;
          }
        }
        setConnected(false);
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void run();
    return () => abort.abort();
  }, [api, overview]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const show = (next: View) => {
    setView(next);
    history.replaceState(null, '', `#${next}`);
  };

  if (refused !== undefined) {
    return (
      <Login
        message={refused}
        onKey={(key) => {
          api.key = key || null;
          void load();
        }}
      />
    );
  }
  if (failure !== undefined) return <p class="field-error">The console could not load: {failure}</p>;
  if (overview === undefined || live === undefined) return <p>Loading…</p>;

  return (
    <div class="shell">
      <header>
        <h1>Sanctum MCP console</h1>
        <span class={connected ? 'live on' : 'live'} id="live-state">
          {connected ? 'live' : 'connecting…'}
        </span>
        <span class="who">
          as <strong id="principal">{overview.principal}</strong>
          {api.key && (
            <button
              type="button"
              class="link"
              onClick={() => {
                api.key = null;
                location.reload();
              }}
            >
              forget key
            </button>
          )}
        </span>
      </header>
      <nav>
        {VIEWS.map((v) => (
          <button type="button" id={`tab-${v}`} class={v === view ? 'tab active' : 'tab'} onClick={() => show(v)}>
            {TITLES[v]}
            {v === 'sessions' && ` (${live.sessions.total})`}
            {v === 'tools' && ` (${live.tools.length})`}
          </button>
        ))}
      </nav>
      <main id={`view-${view}`}>
        <h2>{TITLES[view]}</h2>
        {view === 'plugins' && <Plugins api={api} plugins={live.plugins} onReloaded={(plugins) => setLive({ ...live, plugins })} />}
        {view === 'tools' && <Tools api={api} tools={live.tools} />}
        {view === 'content' && <Content content={live.content} />}
        {view === 'sessions' && <Sessions api={api} sessions={live.sessions} now={now} />}
        {view === 'calls' && <Calls calls={live.calls} showsArguments={overview.showsArguments} />}
        {view === 'charts' && <Charts charts={live.charts} />}
        {view === 'logs' && <Logs logs={live.logs} />}
      </main>
    </div>
  );
}
