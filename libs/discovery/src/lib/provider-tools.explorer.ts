import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { ProviderToolSource } from './catalog';
import { MCP_TOOL_METADATA } from './discovery.constants';
import type { McpToolOptions } from './mcp-tool.decorator';
import { ToolCatalogService } from './tool-catalog.service';

type ToolMethod = (args: Record<string, unknown>) => unknown;

/** Finds @McpTool methods on every provider of the application and contributes them to the one tool catalog. */
@Injectable()
export class ProviderToolsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly catalog: ToolCatalogService,
  ) {}

  onModuleInit(): void {
    const entries: Array<{ options: McpToolOptions; source: ProviderToolSource }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // Request- or transient-scoped providers have no single instance to call.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const options = this.reflector.get<McpToolOptions | undefined>(MCP_TOOL_METADATA, method as ToolMethod);
        if (!options) continue;
        const bound = (method as ToolMethod).bind(instance);
        entries.push({ options, source: { kind: 'provider', invoke: async (args) => bound(args) } });
      }
    }
    for (const { options, source } of entries) this.catalog.registerProviderTool(options, source);
  }
}
