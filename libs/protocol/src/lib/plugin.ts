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
