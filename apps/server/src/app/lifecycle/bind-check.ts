import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** The HTTP address cannot be bound: a configuration problem (exit 2), said in one line. */
export class BindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindError';
  }
}

/**
 * Bind MCP_HOST:MCP_PORT once and let it go, before discovery and the Python fork server start:
 * a taken port is then reported at once, with nothing else printed first. The gateway itself
 * listens only once its catalog is ready, so `/health` never answers for a half-started server;
 * the moment between this check and that listen is covered by `bindError` in main.ts as well.
 */
export async function checkBind(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(bindError(err, port, host) ?? err));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The one-line BindError for a failed listen, or undefined when `err` is not about the address. */
export function bindError(err: unknown, port: number, host: string): BindError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') {
    const holder = portHolder(port);
    const by = holder ? ` by ${holder}` : '';
    return new BindError(
      `Cannot listen on ${address}: the port is already in use${by}. Stop that process, or set MCP_PORT to a free port.`,
    );
  }
  if (code === 'EACCES') {
    return new BindError(
      `Cannot listen on ${address}: permission denied (ports below 1024 need privileges). Set MCP_PORT to a port above 1023.`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new BindError(
      `Cannot listen on ${address}: no such address on this machine. Set MCP_HOST to one of its addresses (default 127.0.0.1).`,
    );
  }
  return undefined;
}

/** How long the search through /proc may take: it only adds a hint to an error. */
const SEARCH_BUDGET_MS = 200;

/**
 * `pid 1234 (python3)` for the process listening on `port`, when Linux's /proc tells it
 * cheaply: the listening socket's inode from /proc/net/tcp{,6}, then the process with a
 * descriptor on that socket (only processes this user may inspect). Undefined otherwise.
 */
export function portHolder(port: number, proc = '/proc'): string | undefined {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${proc}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      // State 0A is LISTEN; the local address ends in the port, in hexadecimal.
      if (local === undefined || inode === undefined || fields[3] !== '0A' || inode === '0') continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(`socket:[${inode}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  const deadline = Date.now() + SEARCH_BUDGET_MS;
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (Date.now() > deadline) return undefined;
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (inodes.has(target)) return `pid ${pid}${commandOf(pid, proc)}`;
    }
  }
  return undefined;
}

function commandOf(pid: string, proc: string): string {
  try {
    const name = readFileSync(`${proc}/${pid}/comm`, 'utf8').trim();
    return name ? ` (${name})` : '';
  } catch {
    return '';
  }
}
