import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BindError, bindError, checkBind, portHolder } from './bind-check';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, state: string, inode: string): string =>
  `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

describe('portHolder', () => {
  let proc: string;

  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'bind-check-'));
    mkdirSync(join(proc, 'net'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  const processWith = (pid: string, comm: string, sockets: string[]): void => {
    mkdirSync(join(proc, pid, 'fd'), { recursive: true });
    writeFileSync(join(proc, pid, 'comm'), `${comm}\n`);
    sockets.forEach((socket, i) => symlinkSync(socket, join(proc, pid, 'fd', String(i + 3))));
  };

  it('names the process whose descriptor is the socket listening on the port (IPv4 or IPv6 table)', () => {
    // 0x1F40 = 8000; a connection (state 01) on the same port belongs to someone else.
    writeFileSync(join(proc, 'net/tcp'), HEADER + row('0100007F:1F40', '01', '111') + row('0100007F:1F40', '0A', '222'));
    writeFileSync(join(proc, 'net/tcp6'), HEADER + row('00000000000000000000000001000000:22B8', '0A', '333'));
    processWith('40', 'curl', ['socket:[111]', 'pipe:[9]']);
    processWith('41', 'python3', ['socket:[222]']);
    processWith('42', 'nginx', ['socket:[333]']);
    expect(portHolder(8000, proc)).toBe('pid 41 (python3)');
    expect(portHolder(8888, proc)).toBe('pid 42 (nginx)');
  });

  it('is undefined when no socket listens on the port, or no process it may inspect holds it', () => {
    writeFileSync(join(proc, 'net/tcp'), HEADER + row('0100007F:1F40', '0A', '222'));
    processWith('41', 'python3', ['socket:[999]']);
    expect(portHolder(8001, proc)).toBeUndefined();
    expect(portHolder(8000, proc)).toBeUndefined();
    expect(portHolder(8000, join(proc, 'missing'))).toBeUndefined();
  });
});

describe('checkBind', () => {
  let held: Server;
  let port: number;

  beforeEach(async () => {
    held = createServer();
    await new Promise<void>((done) => held.listen(0, '127.0.0.1', done));
    port = (held.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise<void>((done) => held.close(() => done()));
  });

  it('refuses a taken port in one line naming the address, the holder (this process) and MCP_PORT', async () => {
    const error = await checkBind(port, '127.0.0.1').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BindError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use by pid ${process.pid} \\(\\S+\\)\\. `),
    );
    expect(message).toContain('set MCP_PORT to a free port');
    expect(message).not.toContain('\n');
  });

  it('lets a free port go again, so the gateway can bind it; port 0 is not checked', async () => {
    await new Promise<void>((done) => held.close(() => done()));
    await checkBind(port, '127.0.0.1');
    await checkBind(port, '127.0.0.1');
    held = createServer();
    await new Promise<void>((done) => held.listen(port, '127.0.0.1', done));
    await expect(checkBind(0, '127.0.0.1')).resolves.toBeUndefined();
  });

  it('names the variable to change for a privileged port or an address this machine does not have', () => {
    expect(bindError(Object.assign(new Error('x'), { code: 'EACCES' }), 80, '::1')?.message).toBe(
      'Cannot listen on [::1]:80: permission denied (ports below 1024 need privileges). Set MCP_PORT to a port above 1023.',
    );
    expect(bindError(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }), 8000, '10.9.9.9')?.message).toContain('Set MCP_HOST');
    expect(bindError(new Error('other'), 8000, '127.0.0.1')).toBeUndefined();
  });
});
