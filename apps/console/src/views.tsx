import { useState } from 'preact/hooks';
import type { ConsoleApi, ConsoleContent, ConsolePlugins, LogLine, RecentCall, SessionList } from './api';
import { clock, duration } from './format';

export function Plugins({
  api,
  plugins,
  onReloaded,
}: {
  api: ConsoleApi;
  plugins: ConsolePlugins;
  onReloaded: (p: ConsolePlugins) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const reload = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await api.send<ConsolePlugins>('POST', '/plugins/reload');
      if (next) onReloaded(next);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <p>
        Discovered at {clock(plugins.discoveredAt)}: {plugins.loaded.length} loaded, {plugins.skipped.length} skipped.{' '}
        <button type="button" id="reload" onClick={reload} disabled={busy}>
          {busy ? 'Reloading…' : 'Reload plugins'}
        </button>
        {error && <span class="field-error"> {error}</span>}
      </p>
      {plugins.refusal && <p class="field-error">The plugins folder was refused: {plugins.refusal}</p>}
      <table class="list" id="plugins-loaded">
        <thead>
          <tr>
            <th>Plugin</th>
            <th>Language</th>
            <th>Version</th>
            <th>Learnt from</th>
            <th>Commands</th>
          </tr>
        </thead>
        <tbody>
          {plugins.loaded.map((p) => (
            <tr data-plugin={p.name}>
              <td title={p.dir}>{p.name}</td>
              <td>{p.language}</td>
              <td>{p.version ?? '—'}</td>
              <td>{p.via === 'describe' ? '--describe' : '--help'}</td>
              <td>{p.commands.map((c) => c.name).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Skipped</h3>
      {plugins.skipped.length === 0 ? (
        <p class="hint">No plugin was skipped.</p>
      ) : (
        <table class="list" id="plugins-skipped">
          <thead>
            <tr>
              <th>Folder</th>
              <th>Why it was skipped</th>
            </tr>
          </thead>
          <tbody>
            {plugins.skipped.map((s) => (
              <tr data-skipped={s.name}>
                <td title={s.dir}>{s.name}</td>
                <td class="reason">{s.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Sessions({ api, sessions, now }: { api: ConsoleApi; sessions: SessionList; now: number }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const end = async (id: string) => {
    setError(undefined);
    try {
      await api.send('DELETE', `/sessions/${encodeURIComponent(id)}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div>
      <p>
        {sessions.total} open session{sessions.total === 1 ? '' : 's'}
        {sessions.total > sessions.sessions.length && ` (the newest ${sessions.sessions.length} shown)`}.
        {error && <span class="field-error"> {error}</span>}
      </p>
      <table class="list" id="session-list">
        <thead>
          <tr>
            <th>Session</th>
            <th>Transport</th>
            <th>Protocol revision</th>
            <th>Client</th>
            <th>Owner</th>
            <th>Agent id</th>
            <th>Age</th>
            <th>Idle</th>
            <th>Since last call</th>
            <th>Calls in flight</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.sessions.map((s) => (
            <tr data-session={s.id}>
              <td>
                <code>{s.id}</code>
              </td>
              <td>{s.transport}</td>
              <td>{s.protocolVersion ?? '—'}</td>
              <td>{s.client ? `${s.client.name ?? '?'} ${s.client.version ?? ''}` : '—'}</td>
              <td>{s.owner ?? '—'}</td>
              <td>
                {s.agentId ?? '—'}
                {s.profileEndpoint && <span class="hint"> (profile {s.profileEndpoint})</span>}
              </td>
              <td>{duration(now - s.createdAt)}</td>
              <td class="idle">{s.idleSince === undefined ? 'live' : duration(now - s.idleSince)}</td>
              <td>{s.lastCallAt === undefined ? 'no call yet' : duration(now - s.lastCallAt)}</td>
              <td>{s.inFlight}</td>
              <td>
                <button type="button" class="end-session" onClick={() => end(s.id)}>
                  End
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A filter of the recent calls: `all`, or one of the values seen. */
function FilterChoice(props: { id: string; label: string; value: string; options: string[]; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}{' '}
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">all</option>
        {props.options.map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}

export function Calls({ calls, showsArguments }: { calls: RecentCall[]; showsArguments: boolean }) {
  const [tool, setTool] = useState('');
  const [outcome, setOutcome] = useState('');
  const [session, setSession] = useState('');
  const tools = [...new Set(calls.map((c) => c.tool))].sort();
  const outcomes = [...new Set(calls.map((c) => c.outcome))].sort();
  const shown = calls
    .filter((c) => (!tool || c.tool === tool) && (!outcome || c.outcome === outcome) && (!session || c.sessionId.includes(session)))
    .reverse();
  return (
    <div>
      <div class="filters">
        <FilterChoice id="filter-tool" label="Tool" value={tool} options={tools} onChange={setTool} />
        <FilterChoice id="filter-outcome" label="Outcome" value={outcome} options={outcomes} onChange={setOutcome} />
        <label>
          Session <input id="filter-session" value={session} onInput={(e) => setSession(e.currentTarget.value)} placeholder="id contains" />
        </label>
        <span class="hint">
          {shown.length} of the last {calls.length} calls
          {showsArguments ? ' (arguments shown: LOG_LEVEL=debug)' : '; argument values are kept only with LOG_LEVEL=debug'}.
        </span>
      </div>
      <table class="list" id="call-list">
        <thead>
          <tr>
            <th>Finished</th>
            <th>Tool</th>
            <th>Session</th>
            <th>Principal</th>
            <th>Duration</th>
            <th>Outcome</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr data-call={c.seq} data-outcome={c.outcome} class={c.outcome === 'ok' ? '' : 'failed'}>
              <td>{clock(c.at)}</td>
              <td>{c.tool}</td>
              <td>
                <code>{c.sessionId}</code>
              </td>
              <td>{c.principal ?? '—'}</td>
              <td>{c.durationMs} ms</td>
              <td class="outcome">{c.outcome}</td>
              <td class="error">
                {c.error}
                {c.arguments && <pre>{JSON.stringify(c.arguments)}</pre>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LEVELS = ['error', 'warn', 'info', 'debug'];

export function Logs({ logs }: { logs: LogLine[] }) {
  const [level, setLevel] = useState('debug');
  const [text, setText] = useState('');
  const max = LEVELS.indexOf(level);
  const shown = logs.filter((l) => LEVELS.indexOf(l.level) <= max && (!text || l.message.includes(text)));
  return (
    <div>
      <div class="filters">
        <label>
          Up to{' '}
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
            {LEVELS.map((l) => (
              <option value={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Containing <input value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <span class="hint">The last {logs.length} lines, live.</span>
      </div>
      <pre class="log-tail" id="log-tail">
        {shown.map((l) => (
          <div class={`level-${l.level}`}>
            {l.timestamp} {l.level.toUpperCase()}: {l.message}
          </div>
        ))}
      </pre>
    </div>
  );
}

function ContentTable({
  id,
  rows,
  first,
}: {
  id: string;
  rows: Array<{ key: string; name: string; mimeType?: string; owner: string; description?: string }>;
  first: string;
}) {
  if (rows.length === 0) return <p class="hint">None.</p>;
  return (
    <table class="list" id={id}>
      <thead>
        <tr>
          <th>{first}</th>
          <th>Name</th>
          <th>Type</th>
          <th>From</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>
              <code>{r.key}</code>
            </td>
            <td>{r.name}</td>
            <td>{r.mimeType ?? '—'}</td>
            <td>{r.owner}</td>
            <td>{r.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The catalog's resources, resource templates and prompts. */
export function Content({ content }: { content: ConsoleContent }) {
  return (
    <div>
      <h3>Resources</h3>
      <ContentTable id="resource-list" first="URI" rows={content.resources.map((r) => ({ ...r, key: r.uri, name: r.title ?? r.name }))} />
      <h3>Resource templates</h3>
      <ContentTable
        id="template-list"
        first="URI template"
        rows={content.templates.map((t) => ({ ...t, key: t.uriTemplate, name: t.title ?? t.name }))}
      />
      <h3>Prompts</h3>
      {content.prompts.length === 0 ? (
        <p class="hint">None.</p>
      ) : (
        <table class="list" id="prompt-list">
          <thead>
            <tr>
              <th>Prompt</th>
              <th>Description</th>
              <th>Arguments</th>
            </tr>
          </thead>
          <tbody>
            {content.prompts.map((p) => (
              <tr data-prompt={p.name}>
                <td title={p.qualifiedName}>{p.title ?? p.name}</td>
                <td>{p.description}</td>
                <td>{p.arguments.map((a) => `${a.name}${a.required ? ' *' : ''}`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
