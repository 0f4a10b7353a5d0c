import type { Implementation, ServerCapabilities } from '@sanctum/protocol';

export const SERVER_INFO: Implementation = { name: 'sanctum-mcp', version: '0.1.0' };

/** What every client is told about the tools: by initialize (2025 revisions) and server/discover (2026-07-28). */
export const SERVER_INSTRUCTIONS =
  'Each tool runs a command of a plugin from the gateway plugins folder. Tool errors carry structuredContent.error.code.';

/** What the catalog offers besides tools, which decides the capabilities advertised for them. */
export interface ContentOffers {
  resources: boolean;
  prompts: boolean;
  /** Prompt arguments or template variables to complete. */
  completions: boolean;
}

/**
 * The gateway's capabilities: tools (whose list changes only while the plugins folder is watched)
 * and logging, and, only when the catalog has them, resources, prompts and completions.
 * `subscribe` is for the 2025 revisions; in 2026-07-28 updates come through subscriptions/listen.
 */
export function serverCapabilities(watchPlugins: boolean, offers?: ContentOffers, stateless = false): ServerCapabilities {
  const capabilities: ServerCapabilities = { tools: { listChanged: watchPlugins }, logging: {} };
  if (offers?.resources) capabilities.resources = stateless ? { listChanged: watchPlugins } : { subscribe: true, listChanged: watchPlugins };
  if (offers?.prompts) capabilities.prompts = { listChanged: watchPlugins };
  if (offers?.completions) capabilities.completions = {};
  return capabilities;
}
