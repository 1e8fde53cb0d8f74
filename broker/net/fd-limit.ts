/**
 * The open-files limit against `maxclients`, as redis-server's adjustOpenFilesLimit:
 * each client takes a file descriptor and the process keeps 32 for itself (listeners,
 * the AOF, logs), so with a lower limit `maxclients` is lowered at start-up, with
 * redis-server's log lines, and CONFIG SET refuses what the limit cannot hold.
 *
 * Differences: redis-server first tries to raise its soft limit (setrlimit). Node has no
 * setrlimit, but raises the soft limit to the hard one itself when it starts, so what
 * this broker finds is already as high as it can go, and the failed raise is reported
 * with the error redis-server would get (EPERM). The limit is read from
 * /proc/self/limits: where that does not exist (not Linux) nothing is adjusted.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';

/** CONFIG_MIN_RESERVED_FDS: descriptors kept for the process's own files. */
const RESERVED_FDS = 32;

/** The soft RLIMIT_NOFILE of this process, Infinity when unlimited, null when unknown. */
export function openFilesLimit(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return null;
  }
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (line === null) return null;
  return line[1] === 'unlimited' ? Infinity : Number(line[1]);
}

/** What adjustOpenFilesLimit concludes for `maxclients`. */
export type FdVerdict = { ok: true } | { ok: false; maxclients: number } | { ok: false; fatal: string };

/**
 * Checks `maxclients` against the limit and logs as redis-server when it does not fit.
 * Returns the maxclients the limit allows, or a fatal message when not even the
 * reserved descriptors fit.
 */
export function checkOpenFilesLimit(maxclients: number, limit: number | null, log: Logger): FdVerdict {
  const needed = maxclients + RESERVED_FDS;
  if (limit === null || limit >= needed) return { ok: true };
  log.warn(`You requested maxclients of ${maxclients} requiring at least ${needed} max file descriptors.`);
  log.warn(`Server can't set maximum open files to ${needed} because of OS error: Operation not permitted.`);
  if (limit <= RESERVED_FDS) {
    return {
      ok: false,
      fatal: `Your current 'ulimit -n' of ${limit} is not enough for the server to start. Please increase your open file limit to at least ${needed}. Exiting.`,
    };
  }
  const allowed = limit - RESERVED_FDS;
  log.warn(
    `Current maximum open files is ${limit}. maxclients has been reduced to ${allowed} to compensate for low ulimit. ` +
      "If you need higher maxclients increase 'ulimit -n'.",
  );
  return { ok: false, maxclients: allowed };
}

/** The CONFIG SET maxclients listener: refuses, with redis-server's text, what the limit cannot hold. */
export function maxclientsRefusal(maxclients: number, log: Logger): string | undefined {
  const verdict = checkOpenFilesLimit(maxclients, openFilesLimit(), log);
  if (verdict.ok) return undefined;
  const allowed = 'maxclients' in verdict ? verdict.maxclients : 0;
  log.warn('Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
  return `The operating system is not able to handle the specified number of clients, try with ${allowed}`;
}
