import { CONFIG_GROUPS, CONFIG_TABLE, flagOf } from '../app/config/config.table';
import type { ConfigVariable } from '../app/config/config.table';
import { SERVER_INFO } from '../app/mcp/server-info';

/**
 * The command line of the `sanctum-mcp` package: a command (serve by default, `check`, `init`)
 * and flags that mirror the configuration table. A flag sets its variable for this process, so
 * it wins over the environment; everything else is still read from the environment.
 */

export const PROGRAM = 'sanctum-mcp';

/** A flag of the command line and the variable it sets. */
export interface ConfigFlag {
  readonly flag: string;
  readonly variable: ConfigVariable;
  /** A `flag` parser: the flag alone means `1`. */
  readonly bare: boolean;
}

/** Every flag the table gives, in the table's order. */
export function configFlags(table: readonly ConfigVariable[] = CONFIG_TABLE): ConfigFlag[] {
  return table.flatMap((variable) => {
    const flag = flagOf(variable);
    return flag === undefined ? [] : [{ flag, variable, bare: variable.parser.type === 'flag' }];
  });
}

export type Command =
  | { readonly kind: 'serve'; readonly env: Record<string, string> }
  | { readonly kind: 'check'; readonly env: Record<string, string> }
  | { readonly kind: 'init'; readonly name: string; readonly env: Record<string, string> }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** A command line that cannot be run: the message says what to type instead (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const COMMANDS = ['check', 'init'] as const;

/**
 * Reads `argv` (without node and the script). `--stdio` is `--transport stdio`; `--help` and
 * `--version` win over everything else. Values come as `--flag value` or `--flag=value`.
 */
export function parseCommandLine(argv: readonly string[], flags: readonly ConfigFlag[] = configFlags()): Command {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
  const byFlag = new Map(flags.map((f) => [f.flag, f]));
  const env: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (name === 'stdio' && eq < 0) {
      env['MCP_TRANSPORT'] = 'stdio';
      continue;
    }
    const flag = byFlag.get(name);
    if (!flag) {
      const near = nearest(name, ['stdio', 'help', 'version', ...byFlag.keys()]);
      throw new UsageError(`Unknown option --${name}${near ? ` (did you mean --${near}?)` : ''}. ${PROGRAM} --help lists the options.`);
    }
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (flag.bare && (next === undefined || next.startsWith('--') || !/^(1|0|true|false|yes|no|on|off)$/i.test(next))) value = '1';
      else if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a value: ${flag.variable.parser.accepts}.`);
      else value = argv[++i];
    }
    if (flag.variable.name in env) throw new UsageError(`--${name} is given twice; give it once.`);
    env[flag.variable.name] = value;
  }
  const [command, ...rest] = positional;
  if (command === undefined) return { kind: 'serve', env };
  if (command === 'check') {
    if (rest.length > 0) throw new UsageError(`check takes no argument besides options (got ${rest.join(' ')}); give the folder with --plugins DIR.`);
    return { kind: 'check', env };
  }
  if (command === 'init') {
    if (rest.length !== 1) throw new UsageError(`init needs one plugin name: ${PROGRAM} init <name> [--plugins DIR].`);
    return { kind: 'init', name: rest[0], env };
  }
  throw new UsageError(`Unknown command ${JSON.stringify(command)}: the commands are ${COMMANDS.join(' and ')}, or none to serve. ${PROGRAM} --help says more.`);
}

/** The option within two edits (insert, delete, replace, swap two neighbours) of a mistyped one, if one is. */
function nearest(typed: string, options: readonly string[]): string | undefined {
  let best: { option: string; distance: number } | undefined;
  for (const option of options) {
    const distance = editDistance(typed, option);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { option, distance };
  }
  return best?.option;
}

/** Optimal string alignment distance: Levenshtein's, with a swap of neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** Markdown of the table's texts, for a terminal. */
const plainText = (markdown: string): string => markdown.replace(/`/g, '');

/** `--help`: the commands, then every flag grouped as docs/configuration.md groups the variables. */
export function renderHelp(flags: readonly ConfigFlag[] = configFlags()): string {
  const lines = [
    `${PROGRAM} ${SERVER_INFO.version}: an MCP gateway that offers the commands of command-line plugins as MCP tools.`,
    '',
    'Usage:',
    `  ${PROGRAM} [options]                 serve MCP over HTTP (Streamable HTTP /mcp, HTTP+SSE /sse, /health)`,
    `  ${PROGRAM} --stdio [options]         serve one MCP client on stdin/stdout (logs on stderr)`,
    `  ${PROGRAM} check [--plugins DIR]     discover the plugins, print what each offers and why any was skipped;`,
    '                                       exits 1 when something is wrong',
    `  ${PROGRAM} init <name> [--plugins DIR]  write a new plugin folder DIR/<name> (default: the current folder)`,
    `  ${PROGRAM} --help | --version`,
    '',
    'Every option sets the environment variable named after it, and wins over it; variables without an',
    'option here (API keys: a key on the command line is visible to every user) are read from the environment.',
    'Values: --option value or --option=value; a yes/no option alone means 1.',
  ];
  for (const [group, title] of Object.entries(CONFIG_GROUPS)) {
    const inGroup = flags.filter((f) => f.variable.group === group);
    if (inGroup.length === 0) continue;
    lines.push('', `${title}:`);
    for (const f of inGroup) {
      const head = `  --${f.flag}${f.bare ? '' : ` <${f.variable.parser.type}>`}`;
      const detail = `${plainText(f.variable.meaning)} [${f.variable.name}, default ${plainText(f.variable.default.text)}]`;
      lines.push(head.length < 34 ? `${head.padEnd(34)}${detail}` : `${head}\n${' '.repeat(34)}${detail}`);
    }
    if (group === 'server') lines.push(`${'  --stdio'.padEnd(34)}the same as --transport stdio`);
  }
  lines.push('', 'Documentation: docs/configuration.md (every variable), docs/monitoring.md (health, logs, metrics, traces).');
  return `${lines.join('\n')}\n`;
}
