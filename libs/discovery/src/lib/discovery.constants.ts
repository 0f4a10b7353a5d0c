export const DISCOVERY_OPTIONS = Symbol('DISCOVERY:OPTIONS');
export const DISCOVERY_LOGGER = Symbol('DISCOVERY:LOGGER');
/** The options given to ToolDiscoveryModule.forRoot / forRootAsync. */
export const TOOL_DISCOVERY_OPTIONS = Symbol('DISCOVERY:MODULE_OPTIONS');
/** Metadata key of @McpTool on a provider method. */
export const MCP_TOOL_METADATA = 'DISCOVERY:MCP_TOOL';

/** Plugins examined at once during discovery. */
export const DEFAULT_DISCOVERY_CONCURRENCY = 8;
/** Quiet period after the last change in the plugins folder before a reload (MCP_WATCH_DEBOUNCE). */
export const DEFAULT_WATCH_DEBOUNCE_MS = 300;
/** Metadata keys of @McpResource and @McpPrompt on provider methods. */
export const MCP_RESOURCE_METADATA = 'DISCOVERY:MCP_RESOURCE';
export const MCP_PROMPT_METADATA = 'DISCOVERY:MCP_PROMPT';
