// The tool sources of the gateway: plugin folders and Nest providers, in one catalog.

// The Nest module and its options.
export { ToolDiscoveryModule } from './lib/tool-discovery.module';
export type { ToolDiscoveryModuleOptions } from './lib/tool-discovery.module-definition';
export { DEFAULT_DISCOVERY_CONCURRENCY, DEFAULT_WATCH_DEBOUNCE_MS, TOOL_DISCOVERY_OPTIONS } from './lib/discovery.constants';

// The catalog: what the dispatcher lists and calls.
export { ToolCatalogService } from './lib/tool-catalog.service';
export type { CatalogChange, ResourceUpdate } from './lib/tool-catalog.service';
export { CatalogConflictError, DEFAULT_TOOL_NAME_TEMPLATE, InvalidToolNameError } from './lib/catalog';
export type { PluginToolSource, ProviderToolSource, ToolEntry } from './lib/catalog';
// Its resources, resource templates and prompts (contract v1.1, @McpResource, @McpPrompt).
export { ContentConflictError, InvalidPromptNameError } from './lib/content-catalog';
export type {
  PluginContentSource,
  PromptArgumentEntry,
  PromptEntry,
  PromptSource,
  ProviderCompletion,
  ProviderPromptSource,
  ProviderResourceSource,
  ResourceEntry,
  ResourceMatch,
  ResourceSource,
  ResourceTemplateEntry,
} from './lib/content-catalog';

// Tool profiles (MCP_PROFILES): which caller sees which tools, and the agent-driven mode.
export { ToolProfilesService, TOOL_NAME_LIMITS } from './lib/profiles/tool-profiles.service';
export type { ProfileCaller } from './lib/profiles/tool-profiles.service';
export { DEFAULT_PROFILE, readProfiles } from './lib/profiles/profiles-file';
export type { ProfileSpec, ProfilesDocument, Selector } from './lib/profiles/profiles-file';
export { ProfilesFileError } from './lib/profiles/profiles-file.error';
export { ToolView } from './lib/profiles/tool-view';
export { AGENT_TOOL_DESCRIPTION, AGENT_TOOL_NAME, AgentToolset, agentToolSchema } from './lib/profiles/agent-toolset';

// Tools, resources and prompts from Nest providers.
export { McpTool } from './lib/mcp-tool.decorator';
export type { McpToolOptions } from './lib/mcp-tool.decorator';
export { McpPrompt, McpResource } from './lib/mcp-content.decorators';
export type { McpCompletion, McpPromptOptions, McpResourceOptions } from './lib/mcp-content.decorators';

// Plugin folders: discovery, its cache, hot reload.
export { PluginDiscoveryService } from './lib/plugin-discovery.service';
export type { DiscoveredPlugin, DiscoveryOptions, DiscoveryReport, SkippedPlugin } from './lib/plugin-discovery.service';
export { DiscoveryCache } from './lib/discovery-cache';
export { PluginWatcherService } from './lib/plugin-watcher.service';

// The port through which discovery runs `--describe` and `--help` (the application supplies it).
export { PluginRunner } from './lib/plugin-runner';
export type { PluginRunOutput } from './lib/plugin-runner';

// The plugin contract's parsers (also used by the plugin generator's tests).
export { ContractViolationError, parseDescribe } from './lib/describe';
export type { DescribedPlugin } from './lib/describe';
export { fillPlaceholders } from './lib/describe-content';
// Resource files: read by the gateway from inside a plugin folder, never through a symlink.
export { PluginFileError, readPluginFile } from './lib/plugin-files';
export type { DescribedContent } from './lib/describe-content';
export { parseCommandHelp, parseCommandList } from './lib/help-parser';
export type { CommandHelp, CommandSummary } from './lib/help-parser';
