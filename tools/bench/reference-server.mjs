#!/usr/bin/env node
// The reference the gateway is measured against: what a team would hand-build on the MCP
// TypeScript SDK's public API, following the SDK's documented patterns (Express, one `McpServer`
// per session, Streamable HTTP at /mcp with a stateful transport, and the deprecated HTTP+SSE
// transport at /sse + /messages for old clients). One tool, `devops__status`, runs the same
// command line the gateway runs for it: `<python> cli.py status --app-name=<x>` in the plugin
// folder, and returns the `result` of its JSON stdout as text.
//
//   REF_PORT=8765 node tools/bench/reference-server.mjs
//
// Environment: REF_PORT (default 0 = any free port), REF_HOST (127.0.0.1), REF_PLUGIN_DIR
// (default mcp/plugins/devops), REF_PYTHON (default: `sys.executable` of `python3`, resolved
// once), DEVOPS_STATE_FILE (read by the plugin). Prints `listening <port>` on stdout when ready.
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const run = promisify(execFile);

const host = process.env.REF_HOST || '127.0.0.1';
const port = Number(process.env.REF_PORT || 0);
const pluginDir = resolve(process.env.REF_PLUGIN_DIR || 'mcp/plugins/devops');
/** Resolved once, like the gateway does: never a version-manager shim per call. */
const python =
  process.env.REF_PYTHON || execFileSync('python3', ['-c', 'import sys;print(sys.executable)'], { encoding: 'utf8' }).trim();

/**
 * A new MCP server with the one tool (the SDK's examples build one per session).
 * @returns {McpServer}
 */
function getServer() {
  const server = new McpServer({ name: 'bench-reference', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'devops__status',
    {
      description: 'Show the current version of an application per environment',
      inputSchema: { 'app-name': z.string().describe('Application name') },
    },
    async (args) => {
      try {
        const { stdout } = await run(python, ['cli.py', 'status', `--app-name=${args['app-name']}`], {
          cwd: pluginDir,
          maxBuffer: 10 * 1024 * 1024,
        });
        const parsed = JSON.parse(stdout);
        const result = parsed.result;
        return { content: [{ type: 'text', text: typeof result === 'string' ? result : JSON.stringify(result, null, 2) }] };
      } catch (err) {
        // A non-zero exit: the plugin printed {"error": ...} on stdout.
        const stdout = /** @type {{stdout?: string}} */ (err).stdout;
        let message = /** @type {Error} */ (err).message;
        try {
          message = JSON.parse(stdout ?? '').error ?? message;
        } catch {
          // not JSON: keep the process error
        }
        return { content: [{ type: 'text', text: String(message) }], isError: true };
      }
    },
  );
  return server;
}

const app = createMcpExpressApp({ host });

/** @type {Record<string, StreamableHTTPServerTransport>} */
const streamable = {};
/** @type {Record<string, SSEServerTransport>} */
const sse = {};

// Streamable HTTP (stateful): the SDK's documented session-management pattern.
app.post('/mcp', async (req, res) => {
  const sessionId = req.headers['mcp-session-id'];
  /** @type {StreamableHTTPServerTransport | undefined} */
  let transport;
  if (typeof sessionId === 'string' && streamable[sessionId]) {
    transport = streamable[sessionId];
  } else if (!sessionId && isInitializeRequest(req.body)) {
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        streamable[id] = created;
      },
    });
    created.onclose = () => {
      if (created.sessionId) delete streamable[created.sessionId];
    };
    await getServer().connect(created);
    transport = created;
  } else {
    res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null });
    return;
  }
  await transport.handleRequest(req, res, req.body);
});

/** GET (server-to-client stream) and DELETE (end the session) of /mcp. */
async function sessionRequest(/** @type {import('express').Request} */ req, /** @type {import('express').Response} */ res) {
  const sessionId = req.headers['mcp-session-id'];
  const transport = typeof sessionId === 'string' ? streamable[sessionId] : undefined;
  if (!transport) {
    res.status(400).send('Invalid or missing session ID');
    return;
  }
  await transport.handleRequest(req, res);
}
app.get('/mcp', sessionRequest);
app.delete('/mcp', sessionRequest);

// The HTTP+SSE transport (protocol revision 2024-11-05), as the SDK's backwards-compatibility example serves it.
app.get('/sse', async (_req, res) => {
  const transport = new SSEServerTransport('/messages', res);
  sse[transport.sessionId] = transport;
  res.on('close', () => {
    delete sse[transport.sessionId];
  });
  await getServer().connect(transport);
});

app.post('/messages', async (req, res) => {
  const sessionId = String(req.query.sessionId ?? '');
  const transport = sse[sessionId];
  if (transport) await transport.handlePostMessage(req, res, req.body);
  else res.status(400).send('No transport found for sessionId');
});

// Not MCP: lets the harness wait for readiness and compare /health latency under idle sessions.
app.get('/health', (_req, res) => {
  res.json({ status: 'ok', sessions: Object.keys(streamable).length + Object.keys(sse).length });
});

const listener = app.listen(port, host, (/** @type {Error | undefined} */ err) => {
  if (err) {
    process.stderr.write(`reference server: ${err.message}\n`);
    process.exit(1);
  }
  const address = listener.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
listener.on('error', (err) => {
  process.stderr.write(`reference server: ${err.message}\n`);
  process.exit(1);
});
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.once(signal, () => {
    listener.close();
    listener.closeAllConnections?.();
    process.exit(0);
  });
}
