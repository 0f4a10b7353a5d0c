#!/usr/bin/env node
// Drives an installed `sanctum-mcp --stdio` with the official SDK's stdio client (the way a
// desktop client does): initialize, tools/list, one tools/call of the bundled devops plugin.
// Exits non-zero, saying what differed, when any step fails.
//
//   node tools/scripts/package-stdio-client.mjs <command> [cwd]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [command, cwd = process.cwd()] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: package-stdio-client.mjs <sanctum-mcp command> [cwd]\n');
  process.exit(2);
}
const fail = (message) => {
  process.stderr.write(`package-stdio-client: ${message}\n`);
  process.exit(1);
};

const state = join(cwd, 'devops-state');
mkdirSync(state, { recursive: true });
const transport = new StdioClientTransport({
  command,
  args: ['--stdio', '--discovery-cache', 'off'],
  cwd,
  // The SDK passes only a default allow-list of the environment: the state folder goes explicitly.
  env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, DEVOPS_STATE_DIR: state },
  stderr: 'pipe',
});
let stderr = '';
transport.stderr?.on('data', (chunk) => (stderr += chunk));
const client = new Client({ name: 'package-check', version: '1.0.0' });
const timer = setTimeout(() => fail(`no answer within 30 s; the server said:\n${stderr}`), 30_000);
try {
  await client.connect(transport);
  const server = client.getServerVersion();
  if (server?.name !== 'sanctum-mcp') fail(`initialize named the server ${JSON.stringify(server)}`);
  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  for (const name of ['botfather__send-message', 'devops__deploy', 'devops__status'])
    if (!names.includes(name)) fail(`tools/list lacks ${name}: ${names.join(', ')}`);
  const result = await client.callTool({ name: 'devops__status', arguments: { app_name: 'package-check' } });
  if (result.isError) fail(`devops__status failed: ${JSON.stringify(result.content)}`);
  process.stdout.write(`ok   - ${command} --stdio: ${server.name} ${server.version}, ${names.length} tools, devops__status answered\n`);
} catch (err) {
  fail(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
} finally {
  clearTimeout(timer);
  await client.close().catch(() => undefined);
}
