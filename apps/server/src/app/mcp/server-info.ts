import type { Implementation } from '@sanctum/protocol';

export const SERVER_INFO: Implementation = { name: 'sanctum-mcp', version: '0.1.0' };
