import { availableParallelism } from 'node:os';

/** Calls that may wait for a free slot by default; past it they fail fast with `busy`. */
export const EXECUTOR_DEFAULT_QUEUE_LIMIT = 100;

/**
 * Default limit of plugin processes running at once: 4 per CPU, at least 8. Plugin calls are
 * mostly waiting on the network or disk (an HTTP API, a file), and what they burn is the
 * interpreter's start-up (tens of ms of CPU each), so a few per CPU keep the CPUs busy without
 * letting a burst fork hundreds of interpreters (each 10-20 MB resident) that would only
 * time-slice against each other.
 */
export function defaultMaxConcurrency(cpus: number = availableParallelism()): number {
  return Math.max(8, cpus * 4);
}
