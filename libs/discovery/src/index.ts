// The tool sources of the gateway: plugin folders and Nest providers, in one catalog.

// The Nest module and its options.
export { ToolDiscoveryModule } from './lib/tool-discovery.module';
export type { ToolDiscoveryModuleOptions } from './lib/tool-discovery.module-definition';
export { DEFAULT_DISCOVERY_CONCURRENCY, DEFAULT_WATCH_DEBOUNCE_MS, TOOL_DISCOVERY_OPTIONS } from './lib/discovery.constants';

// The catalog: what the dispatcher lists and calls.
export { ToolCatalogService } from './lib/tool-catalog.service';
export type { CatalogChange } from './lib/tool-catalog.service';
export { CatalogConflictError, DEFAULT_TOOL_NAME_TEMPLATE, InvalidToolNameError } from './lib/catalog';
export type { PluginToolSource, ProviderToolSource, ToolEntry } from './lib/catalog';

// Tools from Nest providers.
export { McpTool } from './lib/mcp-tool.decorator';
export type { McpToolOptions } from './lib/mcp-tool.decorator';

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
export { parseCommandHelp, parseCommandList } from './lib/help-parser';
export type { CommandHelp, CommandSummary } from './lib/help-parser';
