import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { ToolEntry } from '@sanctum/discovery';
import { ToolCatalogService } from '../mcp/tool-catalog.service';
import { MCP_TOOL_METADATA } from './mcp-tool.decorator';
import type { McpToolOptions } from './mcp-tool.decorator';

type ToolMethod = (args: Record<string, unknown>) => unknown;

/** Finds @McpTool methods on every provider and contributes them to the one tool catalog. */
@Injectable()
export class ProviderToolsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly catalog: ToolCatalogService,
  ) {}

  onModuleInit(): void {
    const entries: Array<{ options: McpToolOptions; invoke: ToolEntry['source'] }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const options = this.reflector.get<McpToolOptions | undefined>(MCP_TOOL_METADATA, method as ToolMethod);
        if (!options) continue;
        const bound = (method as ToolMethod).bind(instance);
        entries.push({ options, invoke: { kind: 'provider', invoke: async (args) => bound(args) } });
      }
    }
    for (const { options, invoke } of entries) this.catalog.registerProviderTool(options, invoke);
  }
}
