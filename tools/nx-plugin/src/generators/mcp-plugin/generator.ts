import type { Tree } from '@nx/devkit';
import { generateFiles } from '@nx/devkit';
import * as path from 'node:path';

export interface McpPluginGeneratorSchema {
  name: string;
  directory?: string;
  description?: string;
}

export default async function mcpPluginGenerator(tree: Tree, options: McpPluginGeneratorSchema): Promise<void> {
  generateFiles(tree, path.join(__dirname, 'files'), options.directory ?? 'mcp/plugins', { name: options.name, tmpl: '' });
}
