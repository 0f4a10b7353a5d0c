import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DISCOVERY_LOGGER, DISCOVERY_OPTIONS, TOOL_DISCOVERY_OPTIONS } from './discovery.constants';
import { PluginDiscoveryService } from './plugin-discovery.service';
import { PluginRunner } from './plugin-runner';
import { PluginWatcherService } from './plugin-watcher.service';
import { ProviderToolsExplorer } from './provider-tools.explorer';
import { ToolProfilesService } from './profiles/tool-profiles.service';
import { ToolCatalogService } from './tool-catalog.service';
import { ConfigurableModuleClass } from './tool-discovery.module-definition';
import { discoveryLoggerFrom, discoveryOptionsFrom, pluginRunnerFrom } from './tool-discovery.providers';

/**
 * Every source of tools: plugin folders (discovery, hot reload) and Nest providers with @McpTool
 * methods anywhere in the application, in one catalog. Not to be confused with `@nestjs/core`'s
 * DiscoveryModule, which it imports to find those providers.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: DISCOVERY_OPTIONS, useFactory: discoveryOptionsFrom, inject: [TOOL_DISCOVERY_OPTIONS] },
    { provide: DISCOVERY_LOGGER, useFactory: discoveryLoggerFrom, inject: [TOOL_DISCOVERY_OPTIONS] },
    { provide: PluginRunner, useFactory: pluginRunnerFrom, inject: [TOOL_DISCOVERY_OPTIONS] },
    PluginDiscoveryService,
    ToolCatalogService,
    PluginWatcherService,
    ProviderToolsExplorer,
    ToolProfilesService,
  ],
  exports: [PluginDiscoveryService, ToolCatalogService, PluginWatcherService, ToolProfilesService],
})
export class ToolDiscoveryModule extends ConfigurableModuleClass {}
