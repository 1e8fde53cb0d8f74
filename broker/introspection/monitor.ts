/**
 * MONITOR lines, byte for byte as redis-server's replicationFeedMonitors writes them:
 * `+<sec>.<usec> [<db> <client addr>] "arg" "arg"...` with sdscatrepr quoting.
 * Unlike redis-server, a long value held as bytes (a bulk over 1 MiB) is shown cut at 128
 * bytes as the slow log cuts arguments: its full quoted text could exceed what a JS
 * string holds.
 */
import type { Arg } from '../../engine/command.js';
import { quoteRepr } from '../repr.js';
import { trimArg } from './slowlog.js';

/** One MONITOR line, the text of a status reply; `source` is the client's address (or `lua`). */
export function monitorLine(db: number, source: string, argv: readonly Arg[]): string {
  // Microseconds since the epoch from the high-resolution clock.
  const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(usec / 1e6);
  let line = `${sec}.${String(usec - sec * 1e6).padStart(6, '0')} [${db} ${source}]`;
  for (const arg of argv) line += ' ' + quoteRepr(typeof arg === 'string' ? arg : trimArg(arg));
  return line;
}
