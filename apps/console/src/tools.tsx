import { useMemo, useState } from 'preact/hooks';
import type { ConsoleApi, ConsoleTool } from './api';
import { argumentsOf, fieldsOf, initialValues } from './form';
import type { Field } from './form';

interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

interface Run {
  running: boolean;
  progress?: Progress;
  logs: Array<{ level: string; data: unknown }>;
  result?: unknown;
  error?: string;
}

function FieldInput({ field, value, onInput }: { field: Field; value: string; onInput: (value: string) => void }) {
  const id = `arg-${field.name}`;
  const set = (e: Event) => onInput((e.currentTarget as HTMLInputElement).value);
  if (field.kind === 'enum') {
    return (
      <select id={id} name={field.name} value={value} onChange={set}>
        {!field.required && <option value="">(not sent)</option>}
        {(field.options ?? []).map((o) => (
          <option value={String(o)}>{String(o)}</option>
        ))}
      </select>
    );
  }
  if (field.kind === 'boolean') {
    return (
      <select id={id} name={field.name} value={value} onChange={set}>
        <option value="">(not sent)</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  if (field.kind === 'json') {
    return (
      <textarea
        id={id}
        name={field.name}
        rows={3}
        value={value}
        onInput={set}
        placeholder={field.jsonType === 'array' ? '["a", "b"]' : field.jsonType === 'object' ? '{"key": "value"}' : 'JSON'}
      />
    );
  }
  if (field.kind === 'string') return <input id={id} name={field.name} type="text" value={value} onInput={set} />;
  return <input id={id} name={field.name} type="number" step={field.kind === 'integer' ? '1' : 'any'} value={value} onInput={set} />;
}

/** The "try it" form of one tool: generated from its input schema, running a real call. */
function TryIt({ api, tool }: { api: ConsoleApi; tool: ConsoleTool }) {
  const fields = useMemo(() => fieldsOf(tool.inputSchema), [tool]);
  const [values, setValues] = useState(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [run, setRun] = useState<Run | undefined>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    const args = argumentsOf(fields, values);
    if (!args.ok) {
      setErrors(args.errors);
      return;
    }
    setErrors({});
    let state: Run = { running: true, logs: [] };
    setRun(state);
    const update = (next: Partial<Run>) => {
      state = { ...state, ...next };
      setRun(state);
    };
    try {
      await api.stream(
        '/tools/call',
        (event) => {
          const message = JSON.parse(event.data) as {
            method?: string;
            params?: Record<string, unknown>;
            result?: unknown;
            error?: { message: string };
          };
          if (event.event === 'notification' && message.method === 'notifications/progress')
            update({ progress: message.params as unknown as Progress });
          else if (event.event === 'notification' && message.method === 'notifications/message')
            update({ logs: [...state.logs, { level: String(message.params?.['level']), data: message.params?.['data'] }] });
          else if (event.event === 'response') update(message.error ? { error: message.error.message } : { result: message.result });
        },
        { body: { name: tool.name, arguments: args.arguments } },
      );
      update({ running: false });
    } catch (err) {
      update({ running: false, error: (err as Error).message });
    }
  };

  const result = run?.result as { content?: unknown; structuredContent?: unknown; isError?: boolean } | undefined;
  return (
    <form class="try-it" onSubmit={submit}>
      <h3>Try it</h3>
      {fields.length === 0 && <p class="hint">This tool takes no arguments.</p>}
      {fields.map((field) => (
        <label class="field" for={`arg-${field.name}`}>
          <span class="field-name">
            {field.name}
            {field.required && <span class="required"> *</span>}{' '}
            <span class="field-kind">{field.kind === 'json' ? `${field.jsonType} as JSON` : field.kind}</span>
          </span>
          <FieldInput field={field} value={values[field.name] ?? ''} onInput={(v) => setValues({ ...values, [field.name]: v })} />
          {field.description && <span class="hint">{field.description}</span>}
          {errors[field.name] && <span class="field-error">needs {errors[field.name]}</span>}
        </label>
      ))}
      <button type="submit" id="try-run" disabled={run?.running}>
        {run?.running ? 'Running…' : 'Run'}
      </button>
      {run && (
        <div class="run" id="try-output">
          {run.progress && (
            <div class="progress" id="try-progress" data-progress={run.progress.progress} data-total={run.progress.total}>
              <progress value={run.progress.progress} max={run.progress.total ?? undefined} />
              <span>
                {run.progress.progress}
                {run.progress.total !== undefined && ` / ${run.progress.total}`} {run.progress.message}
              </span>
            </div>
          )}
          {run.logs.length > 0 && (
            <ul class="run-logs" id="try-logs">
              {run.logs.map((l) => (
                <li class={`level-${l.level}`}>
                  {l.level}: {typeof l.data === 'string' ? l.data : JSON.stringify(l.data)}
                </li>
              ))}
            </ul>
          )}
          {run.error && <p class="field-error">{run.error}</p>}
          {result && (
            <div id="try-result" class={result.isError ? 'result is-error' : 'result'} data-is-error={String(result.isError === true)}>
              <h4>Result {result.isError ? '(isError: true)' : ''}</h4>
              <h5>content</h5>
              {(Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : []).map((block) =>
                block.type === 'text' ? <pre class="content-text">{block.text}</pre> : <pre>{JSON.stringify(block, null, 2)}</pre>,
              )}
              {result.structuredContent !== undefined && (
                <>
                  <h5>structuredContent</h5>
                  <pre>{JSON.stringify(result.structuredContent, null, 2)}</pre>
                </>
              )}
            </div>
          )}
        </div>
      )}
    </form>
  );
}

/** Every tool of the catalog, with its schema, annotations and a "try it" form. */
export function Tools({ api, tools }: { api: ConsoleApi; tools: ConsoleTool[] }) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const tool = tools.find((t) => t.name === selected);
  return (
    <div class="tools">
      <table class="list" id="tool-list">
        <thead>
          <tr>
            <th>Tool</th>
            <th>Source</th>
            <th>Description</th>
            <th>Annotations</th>
            <th>Profiles</th>
          </tr>
        </thead>
        <tbody>
          {tools.map((t) => (
            <tr class={t.name === selected ? 'selected' : ''} data-tool={t.name} onClick={() => setSelected(t.name)}>
              <td>
                <button type="button" class="link">
                  {t.name}
                </button>
              </td>
              <td>{t.source}</td>
              <td>{t.description}</td>
              <td>
                {t.annotations
                  ? Object.entries(t.annotations)
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(', ')
                  : ''}
              </td>
              <td>{t.profiles === undefined ? 'every caller' : t.profiles.join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tool && (
        <section class="tool-detail" id="tool-detail" key={tool.name}>
          <h2>{tool.name}</h2>
          <p>{tool.description}</p>
          <p class="hint">
            Also callable as <code>{tool.qualifiedName}</code>
          </p>
          <details>
            <summary>Input schema</summary>
            <pre id="tool-schema">{JSON.stringify(tool.inputSchema, null, 2)}</pre>
          </details>
          {tool.outputSchema !== undefined && (
            <details>
              <summary>Output schema</summary>
              <pre>{JSON.stringify(tool.outputSchema, null, 2)}</pre>
            </details>
          )}
          <TryIt api={api} tool={tool} />
        </section>
      )}
    </div>
  );
}
