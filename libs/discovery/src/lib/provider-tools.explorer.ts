import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { resourceFieldsOf } from '@sanctum/protocol';
import type { CompletionSpec } from '@sanctum/protocol';
import type { ProviderToolSource } from './catalog';
import type { ProviderCompletion, PromptArgumentEntry } from './content-catalog';
import { parseDescribedContent } from './describe-content';
import { DISCOVERY_LOGGER, MCP_PROMPT_METADATA, MCP_RESOURCE_METADATA, MCP_TOOL_METADATA } from './discovery.constants';
import type { McpCompletion, McpPromptOptions, McpResourceOptions } from './mcp-content.decorators';
import type { McpToolOptions } from './mcp-tool.decorator';
import { ToolCatalogService } from './tool-catalog.service';

type ProviderMethod = (...args: unknown[]) => unknown;

const sizeOf = (size: number | undefined): { size?: number } => (size === undefined ? {} : { size });

function providerCompletion(complete: McpCompletion | undefined): ProviderCompletion | CompletionSpec | undefined {
  if (complete === undefined) return undefined;
  if (typeof complete === 'function') return { kind: 'provider', complete: async (value, context) => [...(await complete(value, context))] };
  return { kind: 'values', values: [...complete] };
}

/**
 * Finds @McpTool, @McpResource and @McpPrompt methods on every provider of the application and
 * contributes them to the one catalog: the same naming and the same contract validation as a
 * plugin's entries (the method plays the role of the command).
 */
@Injectable()
export class ProviderToolsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly catalog: ToolCatalogService,
    @Inject(DISCOVERY_LOGGER) private readonly logger: LoggerService,
  ) {}

  onModuleInit(): void {
    const tools: Array<{ options: McpToolOptions; source: ProviderToolSource }> = [];
    const resources: Array<{ options: McpResourceOptions; method: string; call: ProviderMethod }> = [];
    const prompts: Array<{ options: McpPromptOptions; method: string; call: ProviderMethod }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // Request- or transient-scoped providers have no single instance to call.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const call = (method as ProviderMethod).bind(instance);
        const tool = this.reflector.get<McpToolOptions | undefined>(MCP_TOOL_METADATA, method as ProviderMethod);
        if (tool) tools.push({ options: tool, source: { kind: 'provider', invoke: async (args) => call(args) } });
        const resource = this.reflector.get<McpResourceOptions | undefined>(MCP_RESOURCE_METADATA, method as ProviderMethod);
        if (resource) resources.push({ options: resource, method: methodName, call });
        const prompt = this.reflector.get<McpPromptOptions | undefined>(MCP_PROMPT_METADATA, method as ProviderMethod);
        if (prompt) prompts.push({ options: prompt, method: methodName, call });
      }
    }
    for (const { options, source } of tools) this.catalog.registerProviderTool(options, source);
    for (const resource of resources) this.registerResource(resource.options, resource.method, resource.call);
    for (const prompt of prompts) this.registerPrompt(prompt.options, prompt.method, prompt.call);
  }

  private registerResource(options: McpResourceOptions, method: string, call: ProviderMethod): void {
    const { namespace, ...fields } = options;
    const complete = 'complete' in fields ? fields.complete : undefined;
    const raw: Record<string, unknown> = { ...fields, command: method };
    delete raw['complete'];
    const key = options.uri === undefined ? 'resource_templates' : 'resources';
    const checked = parseDescribedContent({ [key]: [raw] });
    if (checked.problems.length > 0) {
      this.logger.warn(`Skipped ${key === 'resources' ? 'resource' : 'resource template'} of provider ${namespace}.${method}: ${checked.problems.join('; ')}`, 'Discovery');
      return;
    }
    const source = { kind: 'provider' as const, read: async (uri: string, variables: Readonly<Record<string, string>>) => call(uri, variables) };
    const resource = checked.resources[0];
    if (resource) {
      this.catalog.registerProviderResource({ ...resourceFieldsOf(resource), uri: resource.uri, ...sizeOf(resource.size), owner: namespace, source });
      return;
    }
    const template = checked.resourceTemplates[0];
    const completions: Record<string, ProviderCompletion | CompletionSpec> = {};
    for (const [variable, value] of Object.entries(complete ?? {})) {
      const completion = providerCompletion(value);
      if (completion) completions[variable] = completion;
    }
    this.catalog.registerProviderTemplate({ ...resourceFieldsOf(template), uriTemplate: template.uriTemplate, owner: namespace, source, completions });
  }

  private registerPrompt(options: McpPromptOptions, method: string, call: ProviderMethod): void {
    const { namespace, arguments: args = [], ...fields } = options;
    const raw = { ...fields, arguments: args.map((arg) => ({ name: arg.name, description: arg.description, required: arg.required })), command: method };
    const checked = parseDescribedContent({ prompts: [raw] });
    if (checked.problems.length > 0) {
      this.logger.warn(`Skipped prompt of provider ${namespace}.${method}: ${checked.problems.join('; ')}`, 'Discovery');
      return;
    }
    const spec = checked.prompts[0];
    const entryArgs: PromptArgumentEntry[] = spec.arguments.map((arg, i) => {
      const completion = providerCompletion(args[i].complete);
      return completion ? { ...arg, completion } : arg;
    });
    const entry = { name: spec.name, arguments: entryArgs, source: { kind: 'provider' as const, render: async (values: Readonly<Record<string, string>>) => call(values) } };
    this.catalog.registerProviderPrompt(namespace, { ...entry, ...(spec.title !== undefined ? { title: spec.title } : {}), ...(spec.description !== undefined ? { description: spec.description } : {}) });
  }
}
