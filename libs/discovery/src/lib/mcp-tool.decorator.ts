import { SetMetadata, applyDecorators } from '@nestjs/common';
import type { ObjectSchema, ToolAnnotations } from '@sanctum/protocol';
import { MCP_TOOL_METADATA } from './discovery.constants';

export interface McpToolOptions {
  /** Plays the role of a plugin name in MCP_TOOL_NAME_TEMPLATE (e.g. `gateway`). */
  namespace: string;
  /** Plays the role of a command name (e.g. `status`). */
  name: string;
  description: string;
  /** Defaults to an object schema without properties. */
  inputSchema?: ObjectSchema;
  annotations?: ToolAnnotations;
}

/**
 * Marks a provider method as an MCP tool. The method receives the validated arguments object
 * and returns the result value (an object becomes structuredContent, like a plugin's result).
 * The provider must be part of the application (any module imported by the app).
 */
export function McpTool(options: McpToolOptions): MethodDecorator {
  return applyDecorators(SetMetadata(MCP_TOOL_METADATA, options));
}
