export { default as mcpPluginGenerator } from './generators/mcp-plugin/generator';
