import { CONFIG_GROUPS, CONFIG_TABLE } from './config.table';
import { flagOf } from './config.table';
import type { ConfigVariable } from './config.table';

export const CONFIG_DOC_PATH = 'docs/configuration.md';
export const CONFIG_DOC_UPDATE = 'UPDATE_CONFIG_DOC=1 npx jest --ci -c apps/server/jest.config.cjs config-doc';

/** Markdown table cells: a `|` would end the cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The parser's words are plain text (they are also ConfigError messages): escaped for markdown. */
const plain = (text: string): string => text.replace(/([\\`*_<>|[\]])/g, '\\$1');

function notes(variables: readonly ConfigVariable[]): string[] {
  return variables.flatMap((v) => {
    const parts = [v.note, v.readBy && `Read by ${v.readBy}.`].filter((part): part is string => Boolean(part));
    return parts.length > 0 ? [`- \`${v.name}\`: ${parts.join(' ')}`] : [];
  });
}

function emptyIsUnset(table: readonly ConfigVariable[]): string {
  return table
    .filter((v) => v.emptyIsUnset)
    .map((v) => `\`${v.name}\``)
    .join(', ');
}

/** docs/configuration.md, generated from the table: checked by config-doc.spec.ts. */
export function renderConfigDoc(table: readonly ConfigVariable[] = CONFIG_TABLE): string {
  const lines = [
    '# Configuration',
    '',
    `<!-- Generated from apps/server/src/app/config/config.table.ts; do not edit. Regenerate with: ${CONFIG_DOC_UPDATE} -->`,
    '',
    'All settings are environment variables, read once at start-up. An invalid value stops the server with a message naming the',
    'variable and what it accepts (exit code 2), and so does a variable that is set but empty (or only blanks, or a list of only',
    `commas): unset it for its default. Exception: ${emptyIsUnset(table)}, where empty counts as unset (the system's convention).`,
    'Durations are given in seconds (fractions allowed), flags as `1` or `0` (also `true`/`false`, `yes`/`no`), lists comma-separated.',
    '',
    'The `sanctum-mcp` command (`node dist/apps/server/main.js` from a clone) takes each variable of the `flag` column as an option, which',
    'wins over the environment: `--port 9000` is `MCP_PORT=9000`, `--stdio` is `--transport stdio`; `sanctum-mcp --help` lists them.',
    'Secrets have no flag (a command line is visible to every user): give keys in the environment or with `--api-key-file`.',
  ];
  for (const [group, title] of Object.entries(CONFIG_GROUPS)) {
    const variables = table.filter((v) => v.group === group);
    if (variables.length === 0) continue;
    lines.push('', `## ${title}`, '', '| variable | flag | type | default | accepted values | meaning |', '|---|---|---|---|---|---|');
    for (const v of variables) {
      const option = flagOf(v);
      lines.push(
        `| \`${v.name}\` | ${option ? `\`--${option}\`` : '(none)'} | ${v.parser.type} | ${cell(v.default.text)} | ${plain(v.parser.accepts)} | ${cell(v.meaning)} |`,
      );
    }
    const extra = notes(variables);
    if (extra.length > 0) lines.push('', ...extra);
  }
  lines.push(
    '',
    '## Read by the plugins',
    '',
    'Bundled plugins read their own variables, which they declare in `--describe` so the gateway passes them through:',
    '`TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`, `TELEGRAM_API_BASE` (botfather) and `DEVOPS_STATE_FILE` (devops); see',
    '`mcp/plugins/README.md`. Other variables reach a plugin only through `MCP_PLUGIN_ENV` (see `docs/security.md`).',
  );
  return `${lines.join('\n')}\n`;
}
