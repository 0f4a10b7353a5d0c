import { SetMetadata, applyDecorators } from '@nestjs/common';
import { MCP_PROMPT_METADATA, MCP_RESOURCE_METADATA } from './discovery.constants';

/**
 * Completion values of a prompt argument or template variable: a static list (narrowed to those
 * starting with the partial value), or a function of the partial value and the other arguments.
 */
export type McpCompletion = readonly string[] | ((value: string, context: Readonly<Record<string, string>>) => readonly string[] | Promise<readonly string[]>);

interface McpResourceFields {
  /** Plays the role of a plugin name: it owns the resource in logs and metrics (e.g. `inventory`). */
  namespace: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: { audience?: Array<'user' | 'assistant'>; priority?: number; lastModified?: string };
}

/** A fixed resource (`uri`) or a resource template (`uriTemplate`, RFC 6570 levels 1 to 3). */
export type McpResourceOptions = McpResourceFields &
  ({ uri: string; uriTemplate?: never; size?: number } | { uriTemplate: string; uri?: never; complete?: Record<string, McpCompletion> });

export interface McpPromptOptions {
  /** Plays the role of a plugin name in MCP_TOOL_NAME_TEMPLATE. */
  namespace: string;
  /** Plays the role of a command name. */
  name: string;
  title?: string;
  description?: string;
  arguments?: Array<{ name: string; description?: string; required?: boolean; complete?: McpCompletion }>;
}

/**
 * Marks a provider method as an MCP resource or resource template. The method receives the URI
 * read and the template's variables, and returns the content as a plugin command prints it: a
 * string (text, or base64 for a binary `mimeType`), or `{ contents: [...] }` for several parts.
 */
export function McpResource(options: McpResourceOptions): MethodDecorator {
  return applyDecorators(SetMetadata(MCP_RESOURCE_METADATA, options));
}

/**
 * Marks a provider method as an MCP prompt. The method receives the arguments (text values) and
 * returns the prompt as a plugin command prints it: a string (one user message), or
 * `{ messages: [...], description? }`.
 */
export function McpPrompt(options: McpPromptOptions): MethodDecorator {
  return applyDecorators(SetMetadata(MCP_PROMPT_METADATA, options));
}
