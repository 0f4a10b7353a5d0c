import { Inject, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from './config';
import {
  CONFIG_SLICES,
  DISCOVERY_CONFIG,
  DISPATCHER_CONFIG,
  EXECUTOR_CONFIG,
  SECURITY_CONFIG,
  SERVER_CONFIG,
  SESSIONS_CONFIG,
  configProviders,
  discoverySlice,
  dispatcherSlice,
  executorSlice,
  loggingSlice,
  securitySlice,
  serverSlice,
  sessionsSlice,
} from './config.slices';
import type { DiscoveryConfig, DispatcherConfig, ExecutorConfig, SecurityConfig, ServerConfig, SessionsConfig } from './config.slices';
import { CONFIG_GROUPS } from './config.table';

const config = loadConfig(
  {
    MCP_HOST: '0.0.0.0',
    MCP_API_KEYS: 'ops:secret-ops-1',
    MCP_PORT: '9000',
    MCP_QUEUE_LIMIT: '7',
    MCP_WATCH: '0',
    MCP_MAX_SESSIONS: '3',
    MCP_PLUGINS_DIR: 'mcp/plugins',
    LOG_FORMAT: 'json',
  },
  '/srv/gateway',
);

describe('configuration slices', () => {
  it('give every AppConfig field to at least one module', () => {
    const sliced = new Set<string>(Object.values(CONFIG_SLICES).flat());
    expect(Object.keys(config).filter((field) => !sliced.has(field))).toEqual([]);
  });

  it('exist for every group of the table', () => {
    expect(Object.keys(CONFIG_SLICES).sort()).toEqual(Object.keys(CONFIG_GROUPS).sort());
  });

  it.each([
    ['server', serverSlice],
    ['security', securitySlice],
    ['executor', executorSlice],
    ['discovery', discoverySlice],
    ['sessions', sessionsSlice],
    ['dispatcher', dispatcherSlice],
    ['logging', loggingSlice],
  ] as const)('%s: holds its fields with the configured values, and nothing else', (group, slice) => {
    const part = slice(config);
    expect(Object.keys(part).sort()).toEqual([...CONFIG_SLICES[group]].sort());
    for (const [field, value] of Object.entries(part)) expect(value).toBe(config[field as keyof typeof config]);
  });

  it('carry the values modules read', () => {
    expect(serverSlice(config)).toMatchObject({ host: '0.0.0.0', port: 9000 });
    expect(securitySlice(config).apiKeys).toEqual([{ name: 'ops', key: 'secret-ops-1' }]);
    expect(executorSlice(config).queueLimit).toBe(7);
    expect(discoverySlice(config).watchPlugins).toBe(false);
    expect(dispatcherSlice(config).watchPlugins).toBe(false);
    expect(sessionsSlice(config).maxSessions).toBe(3);
    expect(loggingSlice(config)).toEqual({ logLevel: 'info', logFormat: 'json' });
  });
});

describe('configuration slices in a Nest module', () => {
  /** A provider that reads one slice, as the gateway's providers do. */
  @Injectable()
  class ReadsSecurity {
    constructor(@Inject(SECURITY_CONFIG) readonly security: SecurityConfig) {}
  }

  it('give each provider the slice it injects, and only that slice', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [...configProviders(config), ReadsSecurity] }).compile();
    const { security } = moduleRef.get(ReadsSecurity);
    expect(security).toEqual(securitySlice(config));
    expect(security).not.toHaveProperty('queueLimit');
    expect(moduleRef.get<ExecutorConfig>(EXECUTOR_CONFIG).queueLimit).toBe(7);
    expect(moduleRef.get<SessionsConfig>(SESSIONS_CONFIG).maxSessions).toBe(3);
    expect(moduleRef.get<ServerConfig>(SERVER_CONFIG).port).toBe(9000);
    expect(moduleRef.get<DiscoveryConfig>(DISCOVERY_CONFIG).pluginsDir).toBe('/srv/gateway/mcp/plugins');
    expect(moduleRef.get<DispatcherConfig>(DISPATCHER_CONFIG).watchPlugins).toBe(false);
  });
});
