import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  pgid: number;
  state: string;
  args: string;
  cwd: string;
}

/** Process state from /proc (R, S, Z...), or undefined when the pid is gone. */
function stateOf(stat: string): { state: string; pgid: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgid: Number(fields[2]) };
}

/**
 * A process that still runs. Zombies do not count: PID 1 on these machines does not reap
 * orphans, so a killed grandchild can stay a zombie forever.
 */
export function isAlive(pid: number): boolean {
  try {
    const { state } = stateOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Live processes whose working directory is inside `dir`, or whose command line names it. */
export function liveProcessesIn(dir: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { state, pgid } = stateOf(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (state === 'Z' || state === 'X') continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // not ours to inspect
      }
      if (args.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(entry), pgid, state, args, cwd });
    } catch {
      // exited while we looked
    }
  }
  return found;
}
