import type { Implementation, ServerCapabilities } from '@sanctum/protocol';

export const SERVER_INFO: Implementation = { name: 'sanctum-mcp', version: '0.1.0' };

/** What every client is told about the tools: by initialize (2025 revisions) and server/discover (2026-07-28). */
export const SERVER_INSTRUCTIONS =
  'Each tool runs a command of a plugin from the gateway plugins folder. Tool errors carry structuredContent.error.code.';

/**
 * The gateway's capabilities, the same in every revision: tools (whose list changes only while the
 * plugins folder is watched) and logging.
 */
export function serverCapabilities(watchPlugins: boolean): ServerCapabilities {
  return { tools: { listChanged: watchPlugins }, logging: {} };
}
