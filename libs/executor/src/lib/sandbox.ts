import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * The plugin sandbox: every plugin process (spawned or forked, any language) runs where it cannot
 * see the gateway or another call, everything it starts ends with the call, and the number of its
 * processes is bounded. Built from well-kept Linux means:
 *
 * - bubblewrap (`bwrap`) gives a spawned plugin new user, PID, mount, IPC, UTS and cgroup namespaces,
 *   its own `/proc`, a read-only view of the host's files with a private `/tmp` (writable folders bound
 *   in), and `--die-with-parent`; `tini`, the plugin's PID 1 there, passes the gateway's SIGTERM on to
 *   the plugin's process group and reaps. When the plugin exits, the namespace ends, and the kernel
 *   kills whatever it left behind (daemons that called setsid included).
 * - The Python fork server runs in one bubblewrap sandbox (the same files view, dies with the
 *   gateway); each call it forks enters new user, PID, mount and IPC namespaces of its own (unshare(2))
 *   with its own `/proc` and `/tmp` (fork_server.py), so calls cannot see each other or the server.
 * - A pids cgroup per call (cgroup v1 `pids` or a cgroup v2 subtree with the pids controller, where the
 *   gateway may write one) bounds its processes and threads (`pids.max`); a call that reaches the
 *   limit is ended.
 */

export type SandboxMode = 'auto' | 'off' | 'required';

export interface SandboxSettings {
  mode: SandboxMode;
  /** Processes and threads one call may have at once (the sandbox's own not counted); 0 = no limit. */
  maxProcs: number;
  /** Plugins (folder names) that get no network; `*` = every plugin. */
  offline?: readonly string[];
  /** Extra folders plugins may write (besides the private /tmp and the state folders). */
  writable?: readonly string[];
  /** Files of the gateway's that plugins must not read (MCP_API_KEYS_FILE): an empty file in their place. */
  hidden?: readonly string[];
  /**
   * Folders plugins must see although they may lie under /tmp, which the sandbox replaces with a
   * private one: the plugins folder and the gateway's installation (the fork server's script).
   */
  readable?: readonly string[];
  /** The gateway's environment, for the state folders (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Processes of the sandbox itself in a call's cgroup: bwrap's monitor and tini; the fork server's two. */
const SANDBOX_OWN_TASKS = 2;

/** Where a process runs for one call: its cgroup (created before the call, removed after). */
export interface CallCgroup {
  /** The cgroup.procs file a process writes `0` to, to join. */
  readonly procsFile: string;
  /** Its name under the gateway's cgroup (for the fork server, which holds the folder open). */
  readonly name: string;
  /** True once a fork or clone in the call was refused at pids.max. */
  reachedLimit(): boolean;
  /** Remove it once empty (retried for a moment while the last processes are reaped). */
  remove(): void;
}

/** Calls' folder numbers, unique in the process (several gateways of one process share its folder). */
let nextCall = 1;

/** One pids cgroup folder of the gateway's (`sanctum-<pid>`), with a folder per call under it. */
export class ProcessLimit {
  constructor(
    /** The gateway's folder, e.g. /sys/fs/cgroup/pids/sanctum-1234. */
    readonly root: string,
    /** pids.max of a call, the sandbox's own tasks included. */
    readonly tasks: number,
    /** What the operator set (MCP_PLUGIN_MAX_PROCS). */
    readonly max: number,
    readonly kind: string,
  ) {}

  create(prefix: string): CallCgroup {
    const name = `${prefix}${nextCall++}`;
    mkdirSync(join(this.root, name));
    writeFileSync(join(this.root, name, 'pids.max'), String(this.tasks));
    return this.existing(name);
  }

  /** A call's folder made by the fork server (its name comes with the call's pid). */
  existing(name: string): CallCgroup {
    const folder = join(this.root, name);
    return {
      name,
      procsFile: join(folder, 'cgroup.procs'),
      reachedLimit: () => {
        try {
          return /^max\s+[1-9]/m.test(readFileSync(join(folder, 'pids.events'), 'utf8'));
        } catch {
          return false;
        }
      },
      remove: () => removeCgroup(folder),
    };
  }

  /** Remove the gateway's folder (at shutdown); folders of calls still running stay until they end. */
  dispose(): void {
    try {
      for (const entry of readdirSync(this.root, { withFileTypes: true })) if (entry.isDirectory()) removeCgroup(join(this.root, entry.name), 0);
      rmdirSync(this.root);
    } catch {
      // gone already, or calls still in it: the next start removes it
    }
  }
}

function removeCgroup(folder: string, attempts = 20): void {
  try {
    rmdirSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EBUSY: its last processes are still being reaped.
    if (code === 'EBUSY' && attempts > 0) setTimeout(() => removeCgroup(folder, attempts - 1), 50).unref();
  }
}

/** The program run for a spawned plugin, and what the runner must know to signal it. */
export interface SandboxedCommand {
  program: string;
  args: string[];
  /** The runner reads bwrap's JSON on fd 3 (`child-pid`: tini, which gets the SIGTERM). */
  infoFd: boolean;
}

export interface IsolationTools {
  bwrap: string;
  tini: string;
  version: string;
}

/** What the host offers and what the gateway uses; see `describe()` for the start-up line. */
export class Sandbox {
  constructor(
    readonly mode: SandboxMode,
    /** bubblewrap and tini, when plugins are isolated. */
    readonly isolation: IsolationTools | undefined,
    /** The process limit, when the host gives the gateway a pids cgroup. */
    readonly processLimit: ProcessLimit | undefined,
    /** What is missing and why, for the start-up line and `required`. */
    readonly missing: readonly string[],
    private readonly offline: readonly string[],
    /** Folders bound writable, as host paths. */
    readonly writable: readonly string[],
    private readonly hidden: readonly string[],
    /** Folders under /tmp bound back read-only over the private /tmp. */
    readonly readable: readonly string[] = [],
  ) {}

  /** No sandbox at all (MCP_SANDBOX=off, or the executor used as a library without one). */
  static off(): Sandbox {
    return new Sandbox('off', undefined, undefined, [], [], [], []);
  }

  get active(): boolean {
    return this.isolation !== undefined;
  }

  /** Whether calls of this plugin (folder name) get a network of their own with nothing in it. */
  isOffline(plugin: string): boolean {
    return this.offline.includes('*') || this.offline.includes(plugin);
  }

  /** The start-up line: which isolation is active and what is missing. */
  describe(): string {
    if (this.mode === 'off') return 'Plugin sandbox off (MCP_SANDBOX=off): plugins run as the gateway\'s user and see its processes; no process limit';
    const parts: string[] = [];
    if (this.isolation) {
      parts.push(
        `Plugin sandbox: bubblewrap ${this.isolation.version} (user, PID, mount and IPC namespaces per call; own /proc and /tmp; host files read-only but ${this.writable.length} writable folder${this.writable.length === 1 ? '' : 's'}; ends with the call and with the gateway)`,
      );
    } else {
      parts.push('Plugin sandbox NOT active: plugins run as the gateway\'s user and can read its /proc entries');
    }
    if (this.processLimit) parts.push(`process limit ${this.processLimit.max} per call (${this.processLimit.kind})`);
    const offline = this.offline.includes('*') ? 'off for every plugin' : this.offline.length > 0 ? `off for ${this.offline.join(', ')}` : 'on';
    if (this.isolation) parts.push(`network ${offline}`);
    else if (this.offline.length > 0) parts.push('network on for every plugin (MCP_PLUGIN_OFFLINE needs the isolation)');
    if (this.missing.length > 0) parts.push(`missing: ${this.missing.join('; ')}`);
    return parts.join('; ');
  }

  /** bubblewrap's file-system arguments shared by spawned plugins and the fork server. */
  private filesArgs(cwd?: string): string[] {
    const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--tmpfs', '/tmp'];
    // Outer folders first, so that a folder bound inside another keeps its own mode.
    const binds = [
      ...underTmp([...this.readable, ...(cwd === undefined ? [] : [cwd])]).map((folder) => ({ folder, option: '--ro-bind' })),
      ...this.writable.map((folder) => ({ folder, option: '--bind' })),
    ].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
    for (const { folder, option } of binds) args.push(option, folder, folder);
    for (const file of this.hidden) args.push('--ro-bind', '/dev/null', file);
    return args;
  }

  /** The command line of a spawned plugin inside the sandbox (and its cgroup, when there is one). */
  wrapSpawn(program: string, args: readonly string[], cwd: string, offline: boolean, cgroup?: CallCgroup): SandboxedCommand {
    const tools = this.isolation;
    if (!tools) {
      if (!cgroup) return { program, args: [...args], infoFd: false };
      return { program: '/bin/sh', args: ['-c', 'echo 0 > "$0" && exec "$@"', cgroup.procsFile, program, ...args], infoFd: false };
    }
    const bwrap = [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      ...(offline ? ['--unshare-net'] : []),
      '--die-with-parent',
      ...this.filesArgs(cwd),
      '--proc',
      '/proc',
      '--chdir',
      cwd,
      '--info-fd',
      '3',
      '--as-pid-1',
      '--',
      tools.tini,
      '-g',
      '--',
      program,
      ...args,
    ];
    // The cgroup is joined by the shell before bwrap starts: every process of the call is in it.
    if (cgroup) return { program: '/bin/sh', args: ['-c', 'echo 0 > "$0" && exec "$@"', cgroup.procsFile, tools.bwrap, ...bwrap], infoFd: true };
    return { program: tools.bwrap, args: bwrap, infoFd: true };
  }

  /**
   * The command line of the Python fork server inside the sandbox: the files view, dying with the
   * gateway; no PID namespace (its pids are the host's, as the gateway signals them), each call
   * gets its own. `socketDir` is bound in, for the connections to the gateway.
   */
  wrapForkServer(program: string, args: readonly string[], socketDir: string): { program: string; args: string[] } {
    const tools = this.isolation;
    if (!tools) return { program, args: [...args] };
    return {
      program: tools.bwrap,
      args: [
        '--unshare-user',
        '--unshare-ipc',
        '--unshare-uts',
        '--die-with-parent',
        ...this.filesArgs(),
        // The host's /proc, for the server's own bookkeeping; each call mounts its own over it.
        '--bind',
        '/proc',
        '/proc',
        '--bind',
        socketDir,
        socketDir,
        '--chdir',
        '/',
        '--',
        program,
        ...args,
      ],
    };
  }
}

/** The folders that lie under /tmp (the sandbox's private /tmp hides them), outermost first, once each. */
export function underTmp(folders: readonly string[]): string[] {
  const inside = [...new Set(folders.map((f) => resolve(f)))].filter((f) => f.startsWith('/tmp/')).sort();
  return inside.filter((f, i) => !inside.slice(0, i).some((outer) => f.startsWith(`${outer}/`)));
}

/** A program on PATH (or an absolute path), when it exists and may be run. */
export function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = isAbsolute(name) ? [name] : (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

const isolationProbes = new Map<string, IsolationTools | string>();

/** bubblewrap and tini, checked by running a sandbox once per PATH; the reason when they cannot be used. */
export function probeIsolation(env: NodeJS.ProcessEnv = process.env): IsolationTools | string {
  const key = env['PATH'] ?? '';
  let probe = isolationProbes.get(key);
  if (probe === undefined) {
    probe = runIsolationProbe(env);
    isolationProbes.set(key, probe);
  }
  return probe;
}

function runIsolationProbe(env: NodeJS.ProcessEnv): IsolationTools | string {
  if (process.platform !== 'linux') return `plugin isolation needs Linux (this is ${process.platform})`;
  const bwrap = findProgram('bwrap', env);
  if (!bwrap) return 'bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)';
  const tini = findProgram('tini', env);
  if (!tini) return 'tini is not installed (Debian: apt-get install tini)';
  const version = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  const trial = spawnSync(
    bwrap,
    ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--as-pid-1', '--', tini, '-g', '--', 'true'],
    { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (trial.error) return `bubblewrap could not run: ${trial.error.message}`;
  if (trial.status !== 0) return `bubblewrap cannot create a sandbox here: ${firstLine(trial.stderr) || `exit ${trial.status ?? trial.signal}`}`;
  return { bwrap, tini, version: firstLine(version.stdout).replace(/^bubblewrap\s+/, '') || '?' };
}

interface CgroupMount {
  version: 1 | 2;
  mountPoint: string;
}

/** The cgroup folder holding this process's pids controller, from /proc/self/{cgroup,mountinfo}. */
export function pidsCgroupOf(procCgroup: string, mountinfo: string): { version: 1 | 2; folder: string } | undefined {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fsType, , superOptions = ''] = right.split(' ');
    if (!mountPoint) continue;
    if (fsType === 'cgroup2') mounts.push({ version: 2, mountPoint });
    else if (fsType === 'cgroup' && superOptions.split(',').includes('pids')) mounts.push({ version: 1, mountPoint });
  }
  for (const line of procCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, , controllers = '', path = '/'] = match;
    const v1 = controllers.split(',').includes('pids') ? mounts.find((m) => m.version === 1) : undefined;
    if (v1) return { version: 1, folder: join(v1.mountPoint, path) };
  }
  for (const line of procCgroup.split('\n')) {
    const match = /^0::(.*)$/.exec(line.trim());
    const v2 = mounts.find((m) => m.version === 2);
    if (match && v2) {
      const folder = join(v2.mountPoint, match[1] ?? '/');
      try {
        if (readFileSync(join(folder, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('pids')) return { version: 2, folder };
      } catch {
        // not readable: no v2 pids
      }
    }
  }
  return undefined;
}

/**
 * The entries of `parent` named by `pattern` after a gateway's pid (its first group) whose gateway is
 * gone: not this process, and no process of that pid (one of another user counts as running).
 */
export function entriesOfGoneGateways(parent: string, pattern: RegExp): string[] {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  return entries.filter((entry) => {
    const pid = Number(pattern.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false; // that gateway still runs
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'EPERM';
    }
  });
}

let gatewayCgroup: { root: string; kind: string } | string | undefined;

/**
 * A pids cgroup of the gateway's own (made once per process, removed when it exits), with calls'
 * folders limited to `maxProcs`; or the reason there is none.
 */
export function probeProcessLimit(maxProcs: number): ProcessLimit | string {
  gatewayCgroup ??= makeGatewayCgroup();
  if (typeof gatewayCgroup === 'string') return gatewayCgroup;
  return new ProcessLimit(gatewayCgroup.root, maxProcs + SANDBOX_OWN_TASKS, maxProcs, gatewayCgroup.kind);
}

function makeGatewayCgroup(): { root: string; kind: string } | string {
  if (process.platform !== 'linux') return 'process limits need Linux cgroups';
  let found: { version: 1 | 2; folder: string } | undefined;
  try {
    found = pidsCgroupOf(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch (err) {
    return `cannot read this process's cgroups: ${(err as Error).message}`;
  }
  if (!found) return 'no pids cgroup controller is available to the gateway';
  const root = join(found.folder, `sanctum-${process.pid}`);
  try {
    // The folders of gateways that were killed before they could remove theirs.
    for (const entry of entriesOfGoneGateways(found.folder, /^sanctum-(\d+)$/)) new ProcessLimit(join(found.folder, entry), 0, 0, '').dispose();
    if (found.version === 2) {
      // Processes may live only in leaves: the calls' folders are leaves under the gateway's own.
      writeFileSync(join(found.folder, 'cgroup.subtree_control'), '+pids');
    }
    if (!existsSync(root)) mkdirSync(root);
    writeFileSync(join(root, 'pids.max'), 'max');
    if (found.version === 2) writeFileSync(join(root, 'cgroup.subtree_control'), '+pids');
  } catch (err) {
    return `the gateway may not create a pids cgroup under ${found.folder} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run it as root or delegate a cgroup to it`;
  }
  process.once('exit', () => new ProcessLimit(root, 0, 0, '').dispose());
  return { root, kind: found.version === 1 ? 'cgroup v1 pids' : 'cgroup v2 pids' };
}

/**
 * Folders plugins may write besides their private /tmp: the state home of the XDG base-directory
 * specification (`$XDG_STATE_HOME`, else `~/.local/state`; created when missing), the folders of
 * `*_STATE_DIR` variables and of `*_STATE_FILE` variables in the gateway's environment (the bundled
 * devops plugin's), and the operator's MCP_SANDBOX_WRITABLE. Only existing folders can be bound.
 */
export function writableFolders(env: NodeJS.ProcessEnv, extra: readonly string[]): { folders: string[]; skipped: string[] } {
  const wanted: string[] = [];
  const stateHome = env['XDG_STATE_HOME']?.trim() || join(env['HOME']?.trim() || homedir(), '.local', 'state');
  try {
    mkdirSync(stateHome, { recursive: true });
  } catch {
    // reported as skipped below
  }
  wanted.push(stateHome);
  for (const [name, value] of Object.entries(env)) {
    if (!value || name.startsWith('MCP_') || !isAbsolute(value)) continue;
    if (name.endsWith('_STATE_DIR')) wanted.push(value);
    else if (name.endsWith('_STATE_FILE')) wanted.push(dirname(value));
  }
  wanted.push(...extra);
  const folders: string[] = [];
  const skipped: string[] = [];
  for (const folder of wanted.map((f) => resolve(f))) {
    if (folders.includes(folder) || skipped.includes(folder)) continue;
    if (folder === '/' || folder === '/proc' || folder === '/dev') {
      skipped.push(folder);
      continue;
    }
    try {
      if (statSync(folder).isDirectory()) folders.push(folder);
      else skipped.push(folder);
    } catch {
      skipped.push(folder);
    }
  }
  return { folders, skipped };
}

/**
 * The folder right under /tmp that holds this one (/tmp/ci/main/mcp/plugins -> /tmp/ci): bound back
 * whole, read-only, as the host's other files are, and named in command lines instead of the
 * plugins folder itself.
 */
export function tmpTop(folder: string): string {
  const match = /^\/tmp\/[^/]+/.exec(folder);
  return match ? match[0] : folder;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** What MCP_SANDBOX asks for, against what the host offers. */
export function probeSandbox(settings: SandboxSettings): Sandbox {
  if (settings.mode === 'off') return Sandbox.off();
  const env = settings.env ?? process.env;
  const missing: string[] = [];
  const isolation = probeIsolation(env);
  if (typeof isolation === 'string') missing.push(isolation);
  let limit: ProcessLimit | undefined;
  if (settings.maxProcs > 0) {
    const probed = probeProcessLimit(settings.maxProcs);
    if (typeof probed === 'string') missing.push(`process limit: ${probed}`);
    else limit = probed;
  }
  const { folders, skipped } = writableFolders(env, settings.writable ?? []);
  if (skipped.length > 0 && typeof isolation !== 'string') missing.push(`writable folders that do not exist: ${skipped.join(', ')}`);
  return new Sandbox(
    settings.mode,
    typeof isolation === 'string' ? undefined : isolation,
    limit,
    missing,
    settings.offline ?? [],
    folders,
    (settings.hidden ?? []).filter((file) => existsSync(file)).map((file) => resolve(file)),
    underTmp((settings.readable ?? []).filter((folder) => existsSync(folder)).map((folder) => tmpTop(realpathOr(folder)))),
  );
}

/** Under MCP_SANDBOX=required: why the gateway must not start, or undefined. */
export function sandboxShortfall(sandbox: Sandbox, maxProcs: number): string | undefined {
  if (sandbox.mode !== 'required') return undefined;
  const lacking = sandbox.missing.filter((m) => !m.startsWith('writable folders'));
  if (!sandbox.active || (maxProcs > 0 && !sandbox.processLimit)) return lacking.join('; ') || 'the sandbox is not available';
  return undefined;
}
