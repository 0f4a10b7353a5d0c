/**
 * MCP wire shapes. The interfaces come from the official SDK's spec types (type-only import:
 * nothing of the SDK is loaded at run time); this file adds the gateway's own result-error shape.
 */
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/spec.types.js';

export type {
  CallToolResult,
  CompleteResult,
  ContentBlock,
  GetPromptResult,
  Implementation,
  InitializeResult,
  Prompt,
  PromptMessage,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/spec.types.js';

/** One part of a resources/read result: text, or base64 `blob` for binary content. */
export type ResourceContents = ReadResourceResult['contents'][number];

/** JSON Schema for a tool's input: always an object schema. */
export interface ObjectSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  [key: string]: unknown;
}

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  [key: string]: unknown;
}

/** Stable machine-readable codes for tool failures, carried in structuredContent.error.code. */
export const ToolErrorCode = {
  InvalidArguments: 'invalid_arguments',
  PluginError: 'plugin_error',
  Timeout: 'timeout',
  Cancelled: 'cancelled',
  InternalError: 'internal_error',
  /** The gateway is at capacity (concurrency limit reached and its queue full): retry later. */
  Busy: 'busy',
  /** The plugin asked for input (elicitation, sampling, roots) the client did not declare it can give. */
  MissingCapability: 'missing_capability',
} as const;

export type ToolErrorCodeValue = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

/** A tool result that reports a failure the model can read and act on. */
export function toolError(code: ToolErrorCodeValue, message: string): CallToolResult {
  return {
    content: [{ type: 'text', text: message }],
    structuredContent: { error: { code, message } },
    isError: true,
  };
}

/** Standard MCP method names the gateway handles. */
export const Method = {
  Initialize: 'initialize',
  Initialized: 'notifications/initialized',
  Ping: 'ping',
  ToolsList: 'tools/list',
  ToolsCall: 'tools/call',
  Cancelled: 'notifications/cancelled',
  SetLevel: 'logging/setLevel',
  Progress: 'notifications/progress',
  Message: 'notifications/message',
  ResourcesList: 'resources/list',
  ResourcesRead: 'resources/read',
  ResourceTemplatesList: 'resources/templates/list',
  ResourcesSubscribe: 'resources/subscribe',
  ResourcesUnsubscribe: 'resources/unsubscribe',
  ResourceUpdated: 'notifications/resources/updated',
  ResourcesListChanged: 'notifications/resources/list_changed',
  PromptsList: 'prompts/list',
  PromptsGet: 'prompts/get',
  PromptsListChanged: 'notifications/prompts/list_changed',
  ToolsListChanged: 'notifications/tools/list_changed',
  Complete: 'completion/complete',
} as const;

/** MCP logging levels (RFC 5424 severities), least severe first. */
export const LOGGING_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

export type LoggingLevel = (typeof LOGGING_LEVELS)[number];

export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return (LOGGING_LEVELS as readonly unknown[]).includes(value);
}

/** True when a message at `level` passes a session whose threshold is `threshold`. */
export function loggingLevelPasses(level: LoggingLevel, threshold: LoggingLevel): boolean {
  return LOGGING_LEVELS.indexOf(level) >= LOGGING_LEVELS.indexOf(threshold);
}
