import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleSocketFolders } from './fork-server';
import { Sandbox, pidsCgroupOf, probeIsolation, probeSandbox, sandboxShortfall, tmpTop, underTmp, writableFolders } from './sandbox';
import type { CallCgroup } from './sandbox';

const TOOLS = { bwrap: '/usr/bin/bwrap', tini: '/usr/bin/tini', version: '0.8.0' };

function cgroup(): CallCgroup {
  return { name: 's7', procsFile: '/sys/fs/cgroup/pids/sanctum-1/s7/cgroup.procs', reachedLimit: () => false, remove: () => undefined };
}

describe('pidsCgroupOf: where this process may make pids cgroups', () => {
  const MOUNTINFO_V1 = [
    '30 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '38 25 0:34 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '39 25 0:35 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  ].join('\n');

  it('finds the v1 pids hierarchy and this process cgroup in it (the failure: the memory hierarchy picked)', () => {
    expect(pidsCgroupOf('8:pids:/services/gw\n4:memory:/other\n0::/', MOUNTINFO_V1)).toEqual({ version: 1, folder: '/sys/fs/cgroup/pids/services/gw' });
  });

  it('finds nothing when no hierarchy holds pids and the v2 one lacks the controller', () => {
    expect(pidsCgroupOf('4:memory:/x\n0::/', MOUNTINFO_V1.split('\n').filter((l) => !l.includes('pids')).join('\n'))).toBeUndefined();
  });
});

describe('underTmp: folders the private /tmp would hide', () => {
  it('keeps those under /tmp, outermost only, once each', () => {
    expect(underTmp(['/srv/plugins', '/tmp/ci/main/mcp/plugins', '/tmp/ci/main', '/tmp/ci/main/dist', '/tmp/ci/main/'])).toEqual(['/tmp/ci/main']);
  });

  it('does not take /tmpfoo for a folder under /tmp', () => {
    expect(underTmp(['/tmpfoo/x'])).toEqual([]);
  });
});

describe('tmpTop: what is bound back of a folder under /tmp', () => {
  it('is the folder right under /tmp (the failure: the plugins folder named in the fork server command line)', () => {
    expect(tmpTop('/tmp/ci5/main/mcp/plugins')).toBe('/tmp/ci5');
    expect(tmpTop('/srv/plugins')).toBe('/srv/plugins');
  });
});

describe('writableFolders', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'sandbox-home-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('makes the XDG state home and binds it, with *_STATE_DIR and the folder of *_STATE_FILE', () => {
    const stateDir = join(home, 'devops-dir');
    mkdirSync(stateDir);
    const { folders, skipped } = writableFolders(
      { HOME: home, DEVOPS_STATE_DIR: stateDir, DEVOPS_STATE_FILE: join(home, 'state.json'), MCP_STATE_DIR: '/etc', OTHER_DIR: '/etc' },
      [],
    );
    expect(existsSync(join(home, '.local', 'state'))).toBe(true);
    // MCP_* are the gateway's own; OTHER_DIR is not a state variable.
    expect(folders).toEqual([join(home, '.local', 'state'), stateDir, home]);
    expect(skipped).toEqual([]);
  });

  it('skips folders that do not exist and never binds / writable', () => {
    const { folders, skipped } = writableFolders({ XDG_STATE_HOME: home }, ['/', join(home, 'missing')]);
    expect(folders).toEqual([home]);
    expect(skipped).toEqual(['/', join(home, 'missing')]);
  });
});

describe('Sandbox command lines', () => {
  const sandbox = new Sandbox('auto', TOOLS, undefined, [], ['quiet'], ['/srv/state'], ['/run/secrets/keys'], ['/tmp/ci/main']);

  it('wraps a spawned plugin in bwrap and tini, its folder and state bound, the keys file hidden', () => {
    const { program, args, infoFd } = sandbox.wrapSpawn('bash', ['cli.sh', 'say'], '/srv/plugins/echo', false);
    expect(program).toBe('/usr/bin/bwrap');
    expect(infoFd).toBe(true);
    expect(args).toEqual(expect.arrayContaining(['--unshare-user', '--unshare-pid', '--die-with-parent', '--as-pid-1', '--info-fd', '3']));
    expect(args.join(' ')).toContain('--ro-bind / / --dev /dev --tmpfs /tmp --bind /srv/state /srv/state --ro-bind /tmp/ci/main /tmp/ci/main --ro-bind /dev/null /run/secrets/keys');
    expect(args.slice(-6)).toEqual(['/usr/bin/tini', '-g', '--', 'bash', 'cli.sh', 'say']);
    expect(args).not.toContain('--unshare-net');
  });

  it('binds an outer folder before one inside it (the failure: a read-only parent bound over a writable child)', () => {
    const nested = new Sandbox('auto', TOOLS, undefined, [], [], ['/tmp/work/state'], [], ['/tmp/work']);
    expect(nested.wrapSpawn('bash', ['cli.sh'], '/tmp/work/plugins/echo', false).args.join(' ')).toContain(
      '--tmpfs /tmp --ro-bind /tmp/work /tmp/work --bind /tmp/work/state /tmp/work/state --proc',
    );
  });

  it('cuts an offline plugin off the network', () => {
    expect(sandbox.wrapSpawn('bash', ['cli.sh'], '/srv/plugins/quiet', true).args).toContain('--unshare-net');
    expect(sandbox.isOffline('quiet')).toBe(true);
    expect(sandbox.isOffline('loud')).toBe(false);
  });

  it('joins the call cgroup before bwrap starts, through the shell (the failure: a fork before the move escapes the limit)', () => {
    const { program, args } = sandbox.wrapSpawn('bash', ['cli.sh'], '/srv/plugins/echo', false, cgroup());
    expect(program).toBe('/bin/sh');
    expect(args.slice(0, 4)).toEqual(['-c', 'echo 0 > "$0" && exec "$@"', '/sys/fs/cgroup/pids/sanctum-1/s7/cgroup.procs', '/usr/bin/bwrap']);
  });

  it('without isolation runs the plugin as it is, or in its cgroup only', () => {
    const off = Sandbox.off();
    expect(off.wrapSpawn('bash', ['cli.sh'], '/x', true)).toEqual({ program: 'bash', args: ['cli.sh'], infoFd: false });
    expect(off.wrapSpawn('bash', ['cli.sh'], '/x', false, cgroup()).program).toBe('/bin/sh');
  });

  it('runs the fork server in bwrap without a PID namespace, the host /proc and its socket folder bound', () => {
    const { program, args } = sandbox.wrapForkServer('/usr/bin/python3', ['fork_server.py', '/tmp/sanctum-fork-1-x/s'], '/tmp/sanctum-fork-1-x');
    expect(program).toBe('/usr/bin/bwrap');
    expect(args).not.toContain('--unshare-pid');
    expect(args.join(' ')).toContain('--bind /proc /proc --bind /tmp/sanctum-fork-1-x /tmp/sanctum-fork-1-x');
    expect(args.slice(-3)).toEqual(['/usr/bin/python3', 'fork_server.py', '/tmp/sanctum-fork-1-x/s']);
  });
});

describe('the start-up line and MCP_SANDBOX=required', () => {
  it('says what is active, and what is missing', () => {
    expect(new Sandbox('auto', TOOLS, undefined, [], ['*'], [], []).describe()).toMatch(/^Plugin sandbox: bubblewrap 0\.8\.0 .*; network off for every plugin$/);
    const missing = new Sandbox('auto', undefined, undefined, ['bubblewrap (bwrap) is not installed'], ['a'], [], []).describe();
    expect(missing).toContain('Plugin sandbox NOT active');
    expect(missing).toContain('network on for every plugin (MCP_PLUGIN_OFFLINE needs the isolation)');
    expect(missing).toContain('missing: bubblewrap (bwrap) is not installed');
    expect(Sandbox.off().describe()).toContain('Plugin sandbox off (MCP_SANDBOX=off)');
  });

  it('refuses under required when bwrap is not on PATH, and names it', () => {
    expect(probeIsolation({ PATH: '/nonexistent' })).toBe('bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)');
    const sandbox = probeSandbox({ mode: 'required', maxProcs: 0, env: { PATH: '/nonexistent', HOME: tmpdir() } });
    expect(sandboxShortfall(sandbox, 0)).toBe('bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)');
    expect(sandboxShortfall(probeSandbox({ mode: 'auto', maxProcs: 0, env: { PATH: '/nonexistent', HOME: tmpdir() } }), 0)).toBeUndefined();
  });

  it('finds bubblewrap and tini on this host (CI installs them)', () => {
    expect(probeIsolation()).toMatchObject({ bwrap: expect.stringContaining('bwrap'), tini: expect.stringContaining('tini') });
  });
});

describe('removeStaleSocketFolders', () => {
  it("removes the socket folders of gateways that are gone, not this one's nor a running one's", () => {
    const parent = mkdtempSync(join(tmpdir(), 'sockets-'));
    try {
      for (const name of [`sanctum-fork-${process.pid}-a`, 'sanctum-fork-1-b', 'sanctum-fork-999999999-c', 'other-999999999-d']) {
        mkdirSync(join(parent, name));
        writeFileSync(join(parent, name, 's'), '');
      }
      removeStaleSocketFolders(parent);
      // pid 1 runs; 999999999 does not.
      expect(['a', 'b', 'c', 'd'].map((tag) => existsSync(join(parent, tag === 'a' ? `sanctum-fork-${process.pid}-a` : tag === 'b' ? 'sanctum-fork-1-b' : tag === 'c' ? 'sanctum-fork-999999999-c' : 'other-999999999-d')))).toEqual([
        true,
        true,
        false,
        true,
      ]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
