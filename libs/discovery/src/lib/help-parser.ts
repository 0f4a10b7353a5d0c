/**
 * Reads a plugin's `--help` output: the "Available commands:" list of the top-level help, and the
 * argparse help of each command (Python 3.9 to 3.13 formats).
 *
 * Conventions (argparse prints no types, so some are guessed):
 * - required: an option shown outside `[...]` and `(...)` in the usage is required; a positional is
 *   required unless the usage shows it in brackets (nargs `?` / `*`);
 * - type: `{a,b}` choices give an enum (integer when every choice is an integer, number when every
 *   choice is numeric); else a `(integer)`/`(int)` or `(number)`/`(float)` hint in the help text;
 *   else the metavar `INT`/`INTEGER` or `FLOAT`/`NUMBER` (any case); else string. An option without
 *   a metavar is a boolean flag. Several metavars or a `...` make an array of that element type;
 * - default: a `(default: X)` in the help (ArgumentDefaultsHelpFormatter) when it converts cleanly
 *   to the parameter's type; `None` means no default;
 * - name: the first long option without its dashes, else the short one; a positional's metavar
 *   (`argN`, N its place among the positionals, when it is a `{a,b}` choice list).
 * Nothing here throws: what cannot be read is left out.
 */
import type { JsonSchema, ParameterSpec, ParameterType } from '@sanctum/protocol';

export interface CommandSummary {
  name: string;
  description: string;
}

export interface CommandHelp {
  description: string;
  parameters: ParameterSpec[];
}

const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ESC = String.fromCharCode(27);
/** The headings argparse itself prints (`optional arguments:` before Python 3.10). */
const STANDARD_HEADING = /^(positional arguments|options|optional arguments):$/i;

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Drops terminal colour sequences (`ESC [ ... letter`), which Python 3.14 may print. */
function stripAnsi(text: string): string {
  if (!text.includes(ESC)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === ESC && text[i + 1] === '[') {
      let j = i + 2;
      while (j < text.length && /[0-9;?]/.test(text[j])) j++;
      i = j + 1;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

function toLines(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return stripAnsi(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '        ')
    .split('\n')
    .map((line) => line.trimEnd());
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Join wrapped help lines: textwrap breaks after a hyphen inside a word, so rejoin those without a space. */
function squash(text: string): string {
  return text.replace(/([A-Za-z])-\n\s*(?=[a-z])/g, '$1-').replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Top-level help: the command list

/**
 * Commands listed under "Available commands:" in a plugin's top-level --help; null when the
 * section is absent. Entries are `  name  Description` lines (the description may wrap onto more
 * deeply indented lines); the section ends at a blank line, an `Examples` line or a line that is
 * not indented. Blank lines between the heading and the first entry are tolerated. Lines whose
 * first token is not a valid command name are skipped, with their continuation lines; a repeated
 * name keeps its first entry.
 */
export function parseCommandList(help: string): CommandSummary[] | null {
  const lines = toLines(help);
  const start = lines.findIndex((line) => line.trim().toLowerCase() === 'available commands:');
  if (start < 0) return null;
  const commands: CommandSummary[] = [];
  let current: CommandSummary | null = null;
  let entryIndent = -1;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    const text = line.trim();
    if (text === '') {
      if (entryIndent < 0) continue;
      break;
    }
    if (text.startsWith('Examples')) break;
    const indent = indentOf(line);
    if (indent === 0) break;
    if (entryIndent >= 0 && indent > entryIndent) {
      if (current) current.description = squash(`${current.description}\n${text}`);
      continue;
    }
    current = null;
    if (indent < 2) continue;
    entryIndent = entryIndent < 0 ? indent : Math.min(entryIndent, indent);
    const [name, ...rest] = text.split(/\s+/);
    if (!COMMAND_NAME.test(name) || commands.some((command) => command.name === name)) continue;
    current = { name, description: squash(rest.join('\n')) };
    commands.push(current);
  }
  return commands;
}

// ---------------------------------------------------------------------------------------------
// Usage line

interface UsageToken {
  kind: 'word' | 'open' | 'close' | 'paren-open' | 'paren-close' | 'bar';
  text: string;
  /** How many `[` enclose the token. */
  brackets: number;
  /** How many `(` enclose the token (a required mutually exclusive group). */
  parens: number;
  /** Claimed by the prog, an option or a positional. */
  used: boolean;
}

/** Splits usage text into words and the `[ ] ( ) |` marks, remembering each word's nesting. */
function tokenizeUsage(text: string): UsageToken[] {
  const tokens: UsageToken[] = [];
  let brackets = 0;
  let parens = 0;
  let i = 0;
  const push = (kind: UsageToken['kind'], value: string): void => {
    tokens.push({ kind, text: value, brackets, parens, used: false });
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '[') {
      push('open', c);
      brackets++;
      i++;
    } else if (c === ']') {
      brackets = Math.max(0, brackets - 1);
      push('close', c);
      i++;
    } else if (c === '(') {
      push('paren-open', c);
      parens++;
      i++;
    } else if (c === ')') {
      parens = Math.max(0, parens - 1);
      push('paren-close', c);
      i++;
    } else if (c === '|') {
      push('bar', c);
      i++;
    } else {
      let j = i;
      if (c === '{') {
        const close = text.indexOf('}', i);
        j = close < 0 ? text.length : close + 1;
      }
      while (j < text.length && !/[\s[\]()|]/.test(text[j])) j++;
      push('word', text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

interface Usage {
  tokens: UsageToken[];
  /** Index of the first line after the usage block. */
  end: number;
}

/**
 * Finds the `usage:` block (continuation lines are indented) and tokenizes it with the prog words
 * already marked as used. The prog is known exactly when argparse wrapped the usage (continuation
 * lines line up one column after it); otherwise it is every word before the first `[`, `(` or
 * option.
 */
function readUsage(lines: string[]): Usage | null {
  const start = lines.findIndex((line) => /^\s*usage:/i.test(line));
  if (start < 0) return null;
  const first = lines[start];
  const prefixLength = (/^\s*usage:\s*/i.exec(first) ?? [''])[0].length;
  let end = start + 1;
  while (end < lines.length && lines[end].trim() !== '' && indentOf(lines[end]) > 0) end++;
  const body = [first.slice(prefixLength), ...lines.slice(start + 1, end)].join(' ');
  const tokens = tokenizeUsage(body);

  let progWords: number | null = null;
  if (end > start + 1) {
    const indent = indentOf(lines[start + 1]);
    // Wrapped: continuation lines start one column after the prog, or at the prefix when the
    // prog was too long and argparse put it alone on the first line.
    let prog = '';
    if (indent <= prefixLength) prog = first.slice(prefixLength);
    else if (indent - 1 <= first.length && /\s/.test(first[indent - 1] ?? ' ')) prog = first.slice(prefixLength, indent - 1);
    const words = prog.trim() === '' ? [] : prog.trim().split(/\s+/);
    if (words.length > 0 && words.every((word, k) => tokens[k]?.kind === 'word' && tokens[k].text === word)) progWords = words.length;
  }
  if (progWords === null) {
    const structural = tokens.findIndex((token) => token.kind !== 'word' || isOptionString(token.text));
    // The first word is the prog at least; with no option at all the rest cannot be told apart.
    progWords = structural < 0 ? Math.min(1, tokens.length) : structural;
  }
  for (let k = 0; k < progWords; k++) tokens[k].used = true;
  return { tokens, end };
}

function isOptionString(text: string): boolean {
  return /^-{1,2}[^\s\d-]/.test(text) || /^--[^\s-]/.test(text);
}

// ---------------------------------------------------------------------------------------------
// Argument sections

interface Section {
  title: string;
  lines: string[];
}

interface OptionEntry {
  kind: 'option';
  optionStrings: string[];
  /** What follows the option string: `TAG [TAG ...]`, `{a,b}`, `X Y`, or '' for a flag. */
  args: string;
  help: string[];
  section: string;
}

interface PositionalEntry {
  kind: 'positional';
  metavar: string;
  help: string[];
  section: string;
}

type Entry = OptionEntry | PositionalEntry;

/** A non-indented `Title:` line, after a blank line (or at `from`), followed by an indented line. */
function isHeading(lines: string[], index: number, from: number): boolean {
  const line = lines[index];
  if (line === undefined || line === '' || indentOf(line) !== 0 || !line.endsWith(':')) return false;
  if (index > from && lines[index - 1].trim() !== '') return false;
  const next = lines[index + 1];
  return next !== undefined && next.trim() !== '' && indentOf(next) > 0;
}

/**
 * Splits what follows the usage into the description and the argument sections. The description
 * ends at the first standard heading, or at the first other heading whose block has an option
 * entry (so a `Notes:` list in a raw description stays description). The sections end at the
 * first non-indented line that is not a heading: the epilog.
 */
function splitSections(lines: string[], from: number): { description: string[]; sections: Section[] } {
  let first = -1;
  for (let i = from; i < lines.length && first < 0; i++) {
    if (!isHeading(lines, i, from)) continue;
    if (STANDARD_HEADING.test(lines[i].trim())) first = i;
    for (let j = i + 1; j < lines.length && first < 0; j++) {
      const line = lines[j];
      if (line.trim() !== '' && indentOf(line) === 0) break;
      if (/^\s+-{1,2}[A-Za-z0-9]/.test(line)) first = i;
    }
  }
  if (first < 0) return { description: lines.slice(from), sections: [] };
  const sections: Section[] = [];
  let current: Section | null = null;
  for (let i = first; i < lines.length; i++) {
    const line = lines[i];
    if (isHeading(lines, i, first)) {
      current = { title: line.slice(0, -1).trim(), lines: [] };
      sections.push(current);
    } else if (line.trim() === '' || indentOf(line) > 0) {
      current?.lines.push(line);
    } else {
      break;
    }
  }
  return { description: lines.slice(from, first), sections };
}

/** Paragraphs joined by newlines, the lines of each joined by spaces. */
function paragraphs(lines: string[]): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  for (const line of [...lines, '']) {
    if (line.trim() !== '') {
      paragraph.push(line.trim());
    } else if (paragraph.length > 0) {
      out.push(squash(paragraph.join('\n')));
      paragraph = [];
    }
  }
  return out.join('\n');
}

const ENTRY_LINE = /^(\S.*?)(?:(\s{2,})(\S.*))?$/;

function parseInvocation(invocation: string, section: string): Entry | null {
  if (isOptionString(invocation)) {
    const optionStrings: string[] = [];
    let args = '';
    for (const part of invocation.split(/,\s+/)) {
      const m = /^(-\S*)(?:\s+(.*))?$/.exec(part);
      if (!m || !isOptionString(m[1])) return null;
      optionStrings.push(m[1]);
      if (m[2]) args = m[2].trim();
    }
    return { kind: 'option', optionStrings, args, help: [], section };
  }
  if (/^\S+$/.test(invocation) || /^\{[^{}]*\}$/.test(invocation)) {
    if (/^[-[\]()|]/.test(invocation)) return null;
    return { kind: 'positional', metavar: invocation, help: [], section };
  }
  return null;
}

/**
 * Reads the entries of every section. An entry line sits at the section's smallest indentation:
 * `invocation  help`, or the invocation alone with the help on the next lines. Lines indented to
 * the help column continue the current entry; lines between (argparse's sub-command list under a
 * subparsers positional) and unreadable lines (a group description) are skipped.
 */
function readEntries(sections: Section[]): Entry[] {
  const columns = new Map<number, number>();
  for (const section of sections) {
    const indent = sectionIndent(section);
    for (const line of section.lines) {
      if (line.trim() === '' || indentOf(line) !== indent) continue;
      const m = ENTRY_LINE.exec(line.slice(indent));
      if (m && m[2] && parseInvocation(m[1], section.title)) {
        const column = indent + m[1].length + m[2].length;
        columns.set(column, (columns.get(column) ?? 0) + 1);
      }
    }
  }
  let helpColumn: number | null = null;
  let best = 0;
  for (const [column, count] of columns) {
    if (count > best || (count === best && helpColumn !== null && column < helpColumn)) {
      helpColumn = column;
      best = count;
    }
  }

  const entries: Entry[] = [];
  for (const section of sections) {
    const indent = sectionIndent(section);
    let current: Entry | null = null;
    for (const line of section.lines) {
      if (line.trim() === '') continue;
      const lineIndent = indentOf(line);
      if (lineIndent > indent) {
        if (helpColumn !== null && lineIndent < helpColumn) current = null;
        else current?.help.push(line.trim());
        continue;
      }
      const m = ENTRY_LINE.exec(line.slice(indent));
      current = m ? parseInvocation(m[1], section.title) : null;
      if (current) {
        if (m?.[3]) current.help.push(m[3].trim());
        entries.push(current);
      }
    }
  }
  return entries;
}

function sectionIndent(section: Section): number {
  let indent = Infinity;
  for (const line of section.lines) if (line.trim() !== '') indent = Math.min(indent, indentOf(line));
  return indent;
}

// ---------------------------------------------------------------------------------------------
// Types, defaults, names

interface ElementType {
  type: ParameterType;
  enum?: unknown[];
}

const INTEGER_TEXT = /^[-+]?\d+$/;
const NUMBER_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Type of one value from its metavar and the help text (see the file comment for the order). */
function elementType(metavar: string, help: string): ElementType {
  const choices = /^\{(.*)\}$/.exec(metavar);
  if (choices && choices[1].trim() !== '') {
    const values = choices[1].split(',').map((value) => value.trim());
    if (values.length > 0 && values.every((value) => INTEGER_TEXT.test(value))) return { type: 'integer', enum: values.map(Number) };
    if (values.length > 0 && values.every((value) => NUMBER_TEXT.test(value))) return { type: 'number', enum: values.map(Number) };
    return { type: 'string', enum: values };
  }
  if (/\(\s*(integer|int)\s*\)/i.test(help)) return { type: 'integer' };
  if (/\(\s*(number|float)\s*\)/i.test(help)) return { type: 'number' };
  if (/^(int|integer)$/i.test(metavar)) return { type: 'integer' };
  if (/^(float|number)$/i.test(metavar)) return { type: 'number' };
  return { type: 'string' };
}

/** Splits `Help text (default: X)` into the text (without a trailing default) and `X`. */
function splitDefault(help: string): { text: string; raw?: string } {
  const trailing = /\s*\(default:\s?(.*)\)$/.exec(help);
  if (trailing) return { text: help.slice(0, trailing.index).trim(), raw: trailing[1] };
  const inner = /\(default:\s?([^()]*)\)/.exec(help);
  if (inner) return { text: help, raw: inner[1] };
  return { text: help };
}

function coerceScalar(raw: string, type: ParameterType): unknown {
  switch (type) {
    case 'boolean':
      return raw === 'True' ? true : raw === 'False' ? false : undefined;
    case 'integer': {
      const value = Number(raw);
      return INTEGER_TEXT.test(raw) && Number.isSafeInteger(value) ? value : undefined;
    }
    case 'number':
      return NUMBER_TEXT.test(raw) ? Number(raw) : undefined;
    case 'string':
      return raw;
    default:
      return undefined;
  }
}

/** A Python list or tuple repr (`['a', 'b']`, `(1, 2)`) as an array of `itemType`. */
function coerceList(raw: string, itemType: ParameterType): unknown[] | undefined {
  const m = /^\[(.*)\]$/.exec(raw) ?? /^\((.*)\)$/.exec(raw);
  if (!m) return undefined;
  const values: unknown[] = [];
  const element = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^,'"]+?))\s*(,|$)/y;
  const rest = m[1].trim();
  if (rest === '') return values;
  while (element.lastIndex < rest.length) {
    const start = element.lastIndex;
    const e = element.exec(rest);
    if (!e || e.index !== start) return undefined;
    const quoted = e[1] ?? e[2];
    const value = quoted !== undefined ? (itemType === 'string' ? quoted.replace(/\\(.)/g, '$1') : undefined) : coerceScalar(e[3] ?? '', itemType);
    if (value === undefined) return undefined;
    values.push(value);
    if (e[4] === '') break;
  }
  return values;
}

function coerceDefault(raw: string, type: ParameterType, itemType: ParameterType): unknown {
  if (raw === 'None') return undefined;
  if (type === 'array') return coerceList(raw, itemType);
  return coerceScalar(raw, type);
}

/** A property name for a positional: its metavar, made safe; `argN` for a choice list. */
function positionalName(metavar: string, place: number): string {
  if (metavar.startsWith('{')) return `arg${place}`;
  const safe = metavar.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '');
  return safe === '' ? `arg${place}` : safe;
}

// ---------------------------------------------------------------------------------------------
// Command help

interface UsageFacts {
  found: boolean;
  required: boolean;
  array?: boolean;
  /** Where the argument starts in the usage, for ordering positionals. */
  index?: number;
}

/** Marks each option's occurrence (and its arguments) in the usage; required = outside `[ ]`/`( )`. */
function optionFacts(tokens: UsageToken[], option: OptionEntry): UsageFacts {
  const argTexts = tokenizeUsage(option.args).map((token) => token.text);
  let facts: UsageFacts = { found: false, required: false };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.used || token.kind !== 'word' || !option.optionStrings.includes(token.text)) continue;
    if (!facts.found) facts = { found: true, required: token.brackets === 0 && token.parens === 0 };
    token.used = true;
    const following = tokens.slice(i + 1, i + 1 + argTexts.length);
    if (following.length === argTexts.length && following.every((t, k) => t.text === argTexts[k])) {
      for (const t of following) t.used = true;
    }
  }
  return facts;
}

/**
 * Finds a positional in the usage, searching from the end (positionals follow the options there,
 * so a prog word of the same spelling is not mistaken for it). `name [name ...]`, `[name ...]`,
 * `name name` make an array; a first occurrence inside brackets makes it optional.
 */
function positionalFacts(tokens: UsageToken[], metavar: string): UsageFacts {
  const matches = (token: UsageToken | undefined): boolean => token !== undefined && token.kind === 'word' && !token.used && token.text === metavar;
  let last = -1;
  for (let i = tokens.length - 1; i >= 0 && last < 0; i--) if (matches(tokens[i])) last = i;
  if (last < 0) return { found: false, required: true };
  let start = last;
  while (start > 0 && (tokens[start - 1].kind === 'open' || matches(tokens[start - 1]))) start--;
  let end = last;
  while (end + 1 < tokens.length && ((tokens[end + 1].kind === 'word' && tokens[end + 1].text === '...') || tokens[end + 1].kind === 'close')) end++;
  const span = tokens.slice(start, end + 1);
  const firstOccurrence = span.find((token) => token.text === metavar && token.kind === 'word');
  const occurrences = span.filter((token) => token.kind === 'word' && token.text === metavar).length;
  const ellipsis = span.some((token) => token.kind === 'word' && token.text === '...');
  for (const token of span) token.used = true;
  return { found: true, required: (firstOccurrence?.brackets ?? 0) === 0, array: occurrences >= 2 || ellipsis, index: start };
}

function isHelpOrVersion(entry: OptionEntry): boolean {
  const help = squash(entry.help.join('\n'));
  if (entry.optionStrings.includes('--help')) return true;
  return entry.args === '' && (/^show this help message and exit$/i.test(help) || /^show program's version number and exit$/i.test(help));
}

function buildParameter(entry: Entry, facts: UsageFacts, place: number): ParameterSpec {
  const { text, raw } = splitDefault(squash(entry.help.join('\n')));
  let spec: ParameterSpec;
  let element: ElementType;
  let array: boolean;
  if (entry.kind === 'option') {
    const long = entry.optionStrings.find((option) => option.startsWith('--'));
    const flag = long ?? entry.optionStrings[0];
    const name = flag.replace(/^-+/, '');
    spec = { name, flag, type: 'string', required: facts.required };
    if (entry.args === '') {
      spec.type = 'boolean';
      spec.booleanStyle = 'flag';
      element = { type: 'boolean' };
      array = false;
    } else {
      const argTokens = tokenizeUsage(entry.args);
      const words = argTokens.filter((token) => token.kind === 'word' && token.text !== '...');
      array = words.length >= 2 || argTokens.some((token) => token.text === '...');
      element = elementType(words[0]?.text ?? '', text);
    }
  } else {
    spec = { name: positionalName(entry.metavar, place), positional: true, type: 'string', required: facts.required };
    array = facts.array === true;
    element = elementType(entry.metavar, text);
  }
  if (array) {
    spec.type = 'array';
    const items: JsonSchema = { type: element.type };
    if (element.enum) items.enum = element.enum;
    spec.items = items;
  } else if (spec.type !== 'boolean') {
    spec.type = element.type;
    if (element.enum) spec.enum = element.enum;
  }
  if (text !== '') spec.description = text;
  if (raw !== undefined) {
    const value = coerceDefault(raw, spec.type, element.type);
    // A default outside the choices (e.g. "(default: all environments)") is prose, not a value.
    const allowed = spec.enum === undefined || spec.enum.includes(value);
    if (value !== undefined && allowed) spec.default = value;
  }
  return spec;
}

/** Parse `cli.py <command> --help` (argparse output) into a description and parameters. */
export function parseCommandHelp(help: string): CommandHelp {
  try {
    return parseHelp(toLines(help));
  } catch {
    return { description: '', parameters: [] };
  }
}

function parseHelp(lines: string[]): CommandHelp {
  const usage = readUsage(lines);
  const { description, sections } = splitSections(lines, usage ? usage.end : 0);
  const entries = readEntries(sections);
  const tokens = usage?.tokens ?? [];

  const options: Array<{ entry: OptionEntry; facts: UsageFacts }> = [];
  const seenFlags = new Set<string>();
  for (const entry of entries) {
    if (entry.kind !== 'option' || isHelpOrVersion(entry) || entry.optionStrings.some((option) => seenFlags.has(option))) continue;
    for (const option of entry.optionStrings) seenFlags.add(option);
    options.push({ entry, facts: optionFacts(tokens, entry) });
  }
  // Option strings the sections do not explain (`-h`) are not positionals either.
  for (const token of tokens) if (token.kind === 'word' && isOptionString(token.text)) token.used = true;

  const positionals: Array<{ entry: PositionalEntry; facts: UsageFacts }> = [];
  const seenMetavars = new Set<string>();
  for (const entry of entries) {
    if (entry.kind !== 'positional' || seenMetavars.has(entry.metavar)) continue;
    const facts = positionalFacts(tokens, entry.metavar);
    // Outside argparse's own section, a positional must show in the usage: this keeps epilog
    // lines and one-word group descriptions out.
    if (!facts.found && !/^positional arguments$/i.test(entry.section)) continue;
    seenMetavars.add(entry.metavar);
    positionals.push({ entry, facts });
  }
  positionals.sort((a, b) => (a.facts.index ?? Infinity) - (b.facts.index ?? Infinity));

  const parameters: ParameterSpec[] = [];
  const names = new Set<string>();
  const add = (spec: ParameterSpec): void => {
    let name = spec.name;
    for (let n = 2; names.has(name); n++) name = `${spec.name}_${n}`;
    names.add(name);
    parameters.push({ ...spec, name });
  };
  positionals.forEach(({ entry, facts }, i) => add(buildParameter(entry, facts, i + 1)));
  for (const { entry, facts } of options) add(buildParameter(entry, facts, 0));
  return { description: usage ? paragraphs(description) : '', parameters };
}
