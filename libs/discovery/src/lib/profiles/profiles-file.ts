import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import schema from './profiles.schema.json';
import { ProfilesFileError } from './profiles-file.error';

/**
 * What a profile selects: a string is a tool's exact name, or a glob when it holds `*`, `?` or
 * `[` (matched against the advertised name and against `plugin.command`); `{"plugin": p}` is every
 * tool of plugin folder `p`; `{"prefix": s}` every advertised name starting with `s`.
 */
export type Selector = string | { plugin: string } | { prefix: string };

/** A tool's advertised name and description as one profile shows it. */
export interface ToolOverride {
  name?: string;
  description?: string;
}

export interface ProfileSpec {
  description?: string;
  /** The tools the profile shows; absent = none. */
  tools?: Selector[];
  /** Taken out again after `tools`. */
  excludeTools?: Selector[];
  /** Keyed by the catalog's advertised name (or `plugin.command`). */
  overrides?: Record<string, ToolOverride>;
  /** Resources by URI (exact, glob or prefix); absent = none. */
  resources?: Selector[];
  /** Prompts by name; absent = none. */
  prompts?: Selector[];
  /**
   * The agent-driven mode (the `sanctum__tools` tool, 2025 revisions only): `true`, or the
   * selectors of the tools attached when a session starts (default none).
   */
  agentMode?: boolean | { attach?: Selector[] };
}

export interface IntentHint {
  intent: string;
  tool: string;
  needs?: string;
}

/** The merged profiles document. */
export interface ProfilesDocument {
  profiles: Record<string, ProfileSpec>;
  /** API key names and X-Agent-Id values to profiles; `stdio`: the profile of the stdio transport's client. */
  bindings: { keys: Record<string, string>; agents: Record<string, string>; stdio?: string };
  intentHints: IntentHint[];
}

/** The profile that applies to a caller no binding names. */
export const DEFAULT_PROFILE = 'default';

let validator: ValidateFunction | undefined;
const validate = (): ValidateFunction => (validator ??= new Ajv({ allErrors: true, strict: false }).compile(schema));

/** `/profiles/chat/tools/2` as `profiles.chat.tools[2]`. */
function fieldOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

const SELECTOR_HINT = 'a tool name, a glob such as "devops__*", {"plugin": "<folder>"} or {"prefix": "<text>"}';

/** Ajv's errors as sentences naming the field; a failed `oneOf` (selectors, agentMode) is one sentence. */
function problemsOf(errors: readonly ErrorObject[]): string[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const problems: string[] = [];
  for (const error of errors) {
    const field = fieldOf(error.instancePath) || 'the file';
    if (error.keyword === 'oneOf') {
      const agentMode = /\/agentMode$/.test(error.instancePath);
      problems.push(`${field} must be ${agentMode ? 'true, false or {"attach": [selectors]}' : SELECTOR_HINT}`);
      continue;
    }
    if ([...oneOfPaths].some((path) => error.instancePath === path || error.instancePath.startsWith(`${path}/`))) continue;
    if (error.keyword === 'additionalProperties') {
      problems.push(
        `${field ? `${field}.` : ''}${String(error.params['additionalProperty'])} is not a known field`.replace(/^the file\./, ''),
      );
    } else if (error.keyword === 'propertyNames' || (error.keyword === 'pattern' && error.propertyName !== undefined)) {
      problems.push(`${field} has a name that is not 1 to 64 letters, digits, "_" or "-"`);
    } else if (error.keyword === 'pattern') {
      problems.push(`${field} must be 1 to 64 letters, digits, "_" or "-" (a portable tool name)`);
    } else if (error.keyword === 'required') {
      problems.push(`${field === 'the file' ? '' : `${field}.`}${String(error.params['missingProperty'])} is required`);
    } else {
      problems.push(`${field} ${error.message ?? 'is invalid'}`);
    }
  }
  return [...new Set(problems)];
}

/** Validate one parsed file; throws ProfilesFileError naming the fields. */
function checkedDocument(file: string, data: unknown): Partial<ProfilesDocument> {
  const check = validate();
  if (!check(data)) throw new ProfilesFileError(file, problemsOf(check.errors ?? []));
  return data as Partial<ProfilesDocument>;
}

/** A profiles file in YAML (`.yaml`, `.yml`); anything else is JSON. */
const YAML_FILE = /\.ya?ml$/i;
const PROFILES_FILE = /\.(json|ya?ml)$/i;

/** The profiles files a path names: the file itself, or a folder's `*.json`, `*.yaml` and `*.yml`, in name order. */
function filesOf(path: string): string[] {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    throw new ProfilesFileError(path, [`it cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  if (!isFolder) return [path];
  const files = readdirSync(path)
    .filter((name) => PROFILES_FILE.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new ProfilesFileError(path, ['the folder holds no *.json, *.yaml or *.yml file']);
  return files;
}

/**
 * Read and check the profiles of MCP_PROFILES: one JSON (or YAML) file, or a folder of such files
 * merged in name order (a later file's profile, binding or hint of the same name replaces an earlier one).
 * Then every binding must name a declared profile (or `default`). Throws ProfilesFileError.
 */
export function readProfiles(path: string): ProfilesDocument {
  const merged: ProfilesDocument = { profiles: {}, bindings: { keys: {}, agents: {} }, intentHints: [] };
  for (const file of filesOf(path)) {
    let data: unknown;
    const yaml = YAML_FILE.test(file);
    try {
      const text = readFileSync(file, 'utf8');
      // YAML 1.2's core schema: plain JSON types, no custom tags; one document per file.
      data = yaml ? parseYaml(text, { schema: 'core', uniqueKeys: true }) : JSON.parse(text);
    } catch (err) {
      const syntax = err instanceof SyntaxError || err instanceof YAMLParseError;
      throw new ProfilesFileError(file, [
        syntax ? `it is not ${yaml ? 'YAML' : 'JSON'} (${(err as Error).message.split('\n')[0]})` : `it cannot be read (${(err as Error).message})`,
      ]);
    }
    const doc = checkedDocument(file, data);
    for (const [name, spec] of Object.entries(doc.profiles ?? {})) {
      merged.profiles[name] = spec;
    }
    Object.assign(merged.bindings.keys, doc.bindings?.keys ?? {});
    Object.assign(merged.bindings.agents, doc.bindings?.agents ?? {});
    if (doc.bindings?.stdio !== undefined) merged.bindings.stdio = doc.bindings.stdio;
    merged.intentHints.push(...(doc.intentHints ?? []));
  }
  const problems: string[] = [];
  for (const kind of ['keys', 'agents'] as const) {
    for (const [who, profile] of Object.entries(merged.bindings[kind])) {
      if (profile !== DEFAULT_PROFILE && !Object.hasOwn(merged.profiles, profile)) {
        problems.push(
          `bindings.${kind}.${who} names the profile "${profile}", which no file declares (declared: ${Object.keys(merged.profiles).join(', ') || 'none'})`,
        );
      }
    }
  }
  for (const [name, spec] of Object.entries(merged.profiles)) {
    const renamed = new Map<string, string>();
    for (const [tool, override] of Object.entries(spec.overrides ?? {})) {
      if (override.name === undefined) continue;
      const other = renamed.get(override.name);
      if (other !== undefined)
        problems.push(
          `profiles.${name}.overrides.${tool}.name "${override.name}" is also the new name of ${other}; give each tool its own name`,
        );
      renamed.set(override.name, tool);
    }
  }
  const stdio = merged.bindings.stdio;
  if (stdio !== undefined && stdio !== DEFAULT_PROFILE && !Object.hasOwn(merged.profiles, stdio)) {
    problems.push(
      `bindings.stdio names the profile "${stdio}", which no file declares (declared: ${Object.keys(merged.profiles).join(', ') || 'none'})`,
    );
  }
  if (problems.length > 0) throw new ProfilesFileError(path, problems);
  return merged;
}
