/**
 * MONITOR lines, byte for byte as redis-server's replicationFeedMonitors writes them:
 * `+<sec>.<usec> [<db> <client addr>] "arg" "arg"...` with sdscatrepr quoting, every
 * argument whole. A line whose arguments are long (a value kept as bytes, or over
 * TEXT_LINE_MAX in all) is built as bytes: quoted, it could outgrow a JS string. It is
 * bounded, as in redis-server, by the monitor's output limits.
 */
import type { Arg } from '../../engine/command.js';
import { quoteRepr, quoteReprBytes } from '../repr.js';
import { isPacked, stringBytes } from '../../protocol/packed-string.js';

/** Arguments up to this many bytes in all make a line of text; longer ones, bytes. */
const TEXT_LINE_MAX = 1 << 20;

/** One MONITOR line, the text (or bytes) of a status reply; `source` is the client's address (or `lua`). */
export function monitorLine(db: number, source: string, argv: readonly Arg[]): string | Buffer {
  // Microseconds since the epoch from the high-resolution clock.
  const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(usec / 1e6);
  const head = `${sec}.${String(usec - sec * 1e6).padStart(6, '0')} [${db} ${source}]`;
  let size = 0;
  for (const arg of argv) size += typeof arg === 'string' ? arg.length : Infinity;
  if (size > TEXT_LINE_MAX) {
    // A packed argument (protocol/packed-string.ts) is quoted from the bytes it stands for.
    const quoted = argv.flatMap((arg) => [SPACE, quoteReprBytes(typeof arg === 'string' && isPacked(arg) ? stringBytes(arg) : arg)]);
    return Buffer.concat([Buffer.from(head, 'latin1'), ...quoted]);
  }
  let line = head;
  for (const arg of argv) line += ' ' + quoteRepr(arg as string);
  return line;
}

const SPACE = Buffer.from(' ');
