import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type {
  CompletionSpec,
  ContentSource,
  PromptArgumentSpec,
  PromptMessageTemplate,
  PromptSpec,
  ResourceSpec,
  ResourceTemplateSpec,
} from '@sanctum/protocol';
import contract from './contract/plugin-contract-v1.schema.json';
import { fieldAt, problemText } from './contract-problems';

/** What contract v1.1 adds to a `--describe` payload, each entry validated on its own. */
export interface DescribedContent {
  resources: ResourceSpec[];
  resourceTemplates: ResourceTemplateSpec[];
  prompts: PromptSpec[];
  /** Entries left out, each with its field-addressed problems (the rest of the plugin loads). */
  problems: string[];
}

type Definition = 'resource' | 'resourceTemplate' | 'prompt';

const validators = new Map<Definition, ValidateFunction>();
let ajv: Ajv | undefined;

function validatorOf(definition: Definition): ValidateFunction {
  let validate = validators.get(definition);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: true, strict: false }).addSchema(contract);
    validate = ajv.getSchema(`${contract.$id}#/definitions/${definition}`);
    if (!validate) throw new Error(`plugin contract has no definition ${definition}`);
    validators.set(definition, validate);
  }
  return validate;
}

/** `{argument}` placeholders of a prompt template (not `{{`, which stays a literal brace). */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

/**
 * Field-addressed problems of one entry. A `oneOf` is reported once, in words (which keys may go
 * together), instead of Ajv's errors for every branch.
 */
function entryProblems(errors: readonly ErrorObject[], entry: unknown, at: string): string[] {
  const problems: string[] = [];
  for (const error of errors) {
    if (error.keyword !== 'oneOf') {
      // A branch's own errors are reported only when they address a field inside the value
      // (the branch that fits its type); else the oneOf below says what the value may be.
      const branch = error.schemaPath.includes('/oneOf/');
      const deeper = errors.some((other) => other.keyword === 'oneOf' && error.instancePath.startsWith(`${other.instancePath}/`));
      if (!branch || deeper) problems.push(problemText(error, entry, at));
    } else if (error.instancePath === '') {
      problems.push(`${at} needs exactly one of ${at.startsWith('prompts') ? '"command" or "template"' : '"command" or "file"'}`);
    } else if (!errors.some((other) => other.instancePath.startsWith(`${error.instancePath}/`))) {
      problems.push(
        /template$/.test(error.instancePath)
          ? `${fieldAt(at, error.instancePath)} must be a text, or a list of messages ({"role": "user" or "assistant", "content": {...}})`
          : `${fieldAt(at, error.instancePath)} must be a list of at most 100 strings, or {"command": "<command>"}`,
      );
    }
  }
  return [...new Set(problems)];
}

function completionFrom(raw: unknown): CompletionSpec | undefined {
  if (Array.isArray(raw)) return { kind: 'values', values: raw as string[] };
  if (raw && typeof raw === 'object') return { kind: 'command', command: (raw as { command: string }).command };
  return undefined;
}

function sourceFrom(raw: Record<string, unknown>): ContentSource {
  return typeof raw['command'] === 'string' ? { kind: 'command', command: raw['command'] } : { kind: 'file', path: raw['file'] as string };
}

function copyFields(raw: Record<string, unknown>, into: { title?: string; description?: string; mimeType?: string; annotations?: Record<string, unknown> }): void {
  if (typeof raw['title'] === 'string') into.title = raw['title'];
  if (typeof raw['description'] === 'string') into.description = raw['description'];
  if (typeof raw['mimeType'] === 'string') into.mimeType = raw['mimeType'];
  if (raw['annotations'] && typeof raw['annotations'] === 'object') into.annotations = raw['annotations'] as Record<string, unknown>;
}

/** A `file` must stay inside the plugin folder: relative, no `..` segment, no NUL. */
function filePathProblem(path: string): string | undefined {
  if (path.startsWith('/') || path.includes('\0') || path.split(/[\\/]/).includes('..')) {
    return `must be a path inside the plugin folder, relative to it, without ".." (got ${JSON.stringify(path)})`;
  }
  return undefined;
}

function resourceFrom(raw: Record<string, unknown>, at: string): ResourceSpec | string[] {
  const source = sourceFrom(raw);
  if (source.kind === 'file') {
    const problem = filePathProblem(source.path);
    if (problem) return [`${at}.file ${problem}`];
  }
  const spec: ResourceSpec = { uri: raw['uri'] as string, name: raw['name'] as string, source };
  copyFields(raw, spec);
  if (typeof raw['size'] === 'number') spec.size = raw['size'];
  return spec;
}

function templateFrom(raw: Record<string, unknown>, at: string): ResourceTemplateSpec | string[] {
  const uriTemplate = raw['uriTemplate'] as string;
  let variables: string[];
  try {
    variables = new UriTemplate(uriTemplate).variableNames;
  } catch (err) {
    return [`${at}.uriTemplate ${JSON.stringify(uriTemplate)} is not an RFC 6570 template: ${(err as Error).message}`];
  }
  if (variables.length === 0) return [`${at}.uriTemplate ${JSON.stringify(uriTemplate)} has no {variable}; declare it under "resources" instead`];
  const spec: ResourceTemplateSpec = { uriTemplate, name: raw['name'] as string, source: sourceFrom(raw) };
  copyFields(raw, spec);
  const complete = raw['complete'] as Record<string, unknown> | undefined;
  if (complete) {
    const unknown = Object.keys(complete).filter((key) => !variables.includes(key));
    if (unknown.length > 0) return unknown.map((key) => `${at}.complete.${key} names no variable of ${uriTemplate} (variables: ${variables.join(', ')})`);
    spec.completions = {};
    for (const [key, value] of Object.entries(complete)) {
      const completion = completionFrom(value);
      if (completion) spec.completions[key] = completion;
    }
  }
  return spec;
}

function promptFrom(raw: Record<string, unknown>, at: string): PromptSpec | string[] {
  const args = ((raw['arguments'] as Array<Record<string, unknown>> | undefined) ?? []).map((arg): PromptArgumentSpec => {
    const spec: PromptArgumentSpec = { name: arg['name'] as string, required: arg['required'] === true };
    if (typeof arg['description'] === 'string') spec.description = arg['description'];
    const completion = completionFrom(arg['complete']);
    if (completion) spec.completion = completion;
    return spec;
  });
  const names = new Set<string>();
  for (const [i, arg] of args.entries()) {
    if (names.has(arg.name)) return [`${at}.arguments[${i}].name "${arg.name}" is declared twice`];
    names.add(arg.name);
  }
  let source: PromptSpec['source'];
  if (typeof raw['command'] === 'string') {
    source = { kind: 'command', command: raw['command'] };
  } else {
    const template = raw['template'];
    const messages: PromptMessageTemplate[] =
      typeof template === 'string' ? [{ role: 'user', content: { type: 'text', text: template } }] : (template as PromptMessageTemplate[]);
    const used = new Set<string>();
    for (const message of messages) {
      for (const value of Object.values(message.content)) {
        if (typeof value === 'string') for (const match of value.matchAll(PLACEHOLDER)) used.add(match[1]);
      }
    }
    const undeclared = [...used].filter((name) => !names.has(name));
    if (undeclared.length > 0) return undeclared.map((name) => `${at}.template uses {${name}}, which is not one of the prompt's arguments`);
    source = { kind: 'template', messages };
  }
  const spec: PromptSpec = { name: raw['name'] as string, arguments: args, source };
  if (typeof raw['title'] === 'string') spec.title = raw['title'];
  if (typeof raw['description'] === 'string') spec.description = raw['description'];
  return spec;
}

function entries<T>(
  list: unknown,
  key: string,
  definition: Definition,
  build: (raw: Record<string, unknown>, at: string) => T | string[],
  identity: (spec: T) => string,
  problems: string[],
): T[] {
  if (!Array.isArray(list)) return [];
  const validate = validatorOf(definition);
  const out: T[] = [];
  const seen = new Set<string>();
  list.forEach((raw: unknown, index) => {
    const at = `${key}[${index}]`;
    if (!validate(raw)) {
      problems.push(...entryProblems(validate.errors ?? [], raw, at));
      return;
    }
    const built = build(raw as Record<string, unknown>, at);
    if (Array.isArray(built)) {
      problems.push(...built);
      return;
    }
    const id = identity(built);
    if (seen.has(id)) {
      problems.push(`${at} ${JSON.stringify(id)} is declared twice`);
      return;
    }
    seen.add(id);
    out.push(built);
  });
  return out;
}

/**
 * The v1.1 part of a `--describe` payload (already valid against the top-level contract): each
 * resource, resource template and prompt checked against its definition. An entry with problems is
 * left out and its problems are returned; the others load.
 */
export function parseDescribedContent(payload: Record<string, unknown>): DescribedContent {
  const problems: string[] = [];
  const resources = entries(payload['resources'], 'resources', 'resource', resourceFrom, (r) => r.uri, problems);
  const resourceTemplates = entries(payload['resource_templates'], 'resource_templates', 'resourceTemplate', templateFrom, (t) => t.uriTemplate, problems);
  const prompts = entries(payload['prompts'], 'prompts', 'prompt', promptFrom, (p) => p.name, problems);
  return { resources, resourceTemplates, prompts, problems };
}

/** Fill a prompt template's `{argument}` placeholders (an argument not given becomes empty). */
export function fillPlaceholders(text: string, args: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => args[name] ?? '');
}
