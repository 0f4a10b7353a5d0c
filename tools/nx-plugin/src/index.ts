export { mcpPluginGenerator, normalizeOptions, PLUGIN_NAME_PATTERN, DEFAULT_DIRECTORY } from './generators/mcp-plugin/generator';
export type { McpPluginGeneratorSchema, NormalizedMcpPluginOptions } from './generators/mcp-plugin/generator';
