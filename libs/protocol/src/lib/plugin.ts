/**
 * The plugin contract shared by discovery (which learns it) and the executor (which renders argv
 * from it). Plain data: no behaviour here.
 */
import type { JsonSchema } from './mcp';

export type ParameterType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

/** How one tool argument reaches the plugin on its command line. */
export interface ParameterSpec {
  /** Property name in the tool's input schema (the option's own spelling, e.g. `button-text`). */
  name: string;
  /** The option as the plugin expects it, e.g. `--button-text`. Absent for positionals. */
  flag?: string;
  /** A positional argument: rendered as the value alone, in declaration order, after the options and a `--`. */
  positional?: boolean;
  type: ParameterType;
  /** Element schema for arrays. */
  items?: JsonSchema;
  description?: string;
  required: boolean;
  default?: unknown;
  enum?: unknown[];
  /** Extra JSON Schema keywords for the property (e.g. nested `properties` of an object). */
  schema?: JsonSchema;
  /**
   * Booleans only. `flag`: `--x` alone when true, nothing when false (argparse store_true).
   * `value`: `--x=true` / `--x=false`.
   */
  booleanStyle?: 'flag' | 'value';
}

/** One command of a plugin, as discovered. */
export interface CommandSpec {
  name: string;
  description: string;
  parameters: ParameterSpec[];
  /** MCP tool annotations (hints such as readOnlyHint), from a structured description. */
  annotations?: Record<string, unknown>;
  /** The input schema verbatim, when the plugin declares one (else built from `parameters`). */
  inputSchema?: JsonSchema;
  /** JSON Schema of the command's `{"result": ...}` object, when the plugin declares one. */
  outputSchema?: JsonSchema;
  /** Seconds; overrides the gateway's default timeout for this command. */
  timeout?: number;
}

/** Entry file names a plugin folder may hold, in order of preference. */
export const PLUGIN_ENTRY_FILES = ['cli.py', 'cli.js', 'cli.mjs', 'cli.sh', 'cli'] as const;

/** MCP tool names (2025-11-25): 1 to 128 of A-Z a-z 0-9 _ - . */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The stricter rule of the clients that matter most (Claude Desktop, OpenAI function calling,
 * Letta): no dots, at most 64 characters. Applied unless the name template itself asks for dots.
 */
export const PORTABLE_TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Contract v1.1: where the content of a resource, or the messages of a prompt, come from. `command`
 * is run like a tool call (argv, limits, sandbox); `file` is read by the gateway from inside the
 * plugin folder (a relative path, never a symlink, never outside the folder).
 */
export type ContentSource = { kind: 'command'; command: string } | { kind: 'file'; path: string };

/**
 * Completion values for one prompt argument or template variable: a static list, or a command run
 * with `--argument`, `--value` and the context arguments, printing a JSON array or one value a line.
 */
export type CompletionSpec = { kind: 'values'; values: string[] } | { kind: 'command'; command: string };

/** The descriptive fields resources and resource templates share (MCP `Resource` / `ResourceTemplate`). */
export interface ResourceFields {
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Record<string, unknown>;
}

/** The descriptive fields of a resource or template that are set, as a new object (what a list shows). */
export function resourceFieldsOf(spec: ResourceFields): ResourceFields {
  const fields: ResourceFields = { name: spec.name };
  if (spec.title !== undefined) fields.title = spec.title;
  if (spec.description !== undefined) fields.description = spec.description;
  if (spec.mimeType !== undefined) fields.mimeType = spec.mimeType;
  if (spec.annotations !== undefined) fields.annotations = spec.annotations;
  return fields;
}

/** A fixed resource a plugin offers (contract v1.1 `resources[]`). */
export interface ResourceSpec extends ResourceFields {
  uri: string;
  size?: number;
  source: ContentSource;
}

/** A resource template (contract v1.1 `resource_templates[]`): URIs per RFC 6570, levels 1 to 3. */
export interface ResourceTemplateSpec extends ResourceFields {
  uriTemplate: string;
  source: ContentSource;
  /** Completions of the template's variables, by variable name. */
  completions?: Record<string, CompletionSpec>;
}

/** One argument of a prompt. */
export interface PromptArgumentSpec {
  name: string;
  description?: string;
  required: boolean;
  completion?: CompletionSpec;
}

/** A message of a prompt template: `{argument}` placeholders in its text fields are filled in. */
export interface PromptMessageTemplate {
  role: 'user' | 'assistant';
  content: Record<string, unknown>;
}

/** A prompt a plugin offers (contract v1.1 `prompts[]`). */
export interface PromptSpec {
  name: string;
  title?: string;
  description?: string;
  arguments: PromptArgumentSpec[];
  /** A command printing the messages, or messages written in the describe output. */
  source: { kind: 'command'; command: string } | { kind: 'template'; messages: PromptMessageTemplate[] };
}

/** Completions: the most values one answer may carry (MCP `completion/complete`). */
export const MAX_COMPLETION_VALUES = 100;
