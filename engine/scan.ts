/**
 * Argument parsing shared by SCAN, HSCAN, SSCAN and ZSCAN (redis-server's
 * parseScanCursorOrReply and the option loop of scanGenericCommand).
 */
import type { Client } from './client.js';
import { NOT_INTEGER, SYNTAX } from './errors.js';
import { parseInt64 } from './util/int64.js';

/** Redis's default COUNT. */
const DEFAULT_COUNT = 10;
const TWO_64 = 18446744073709551616;

export interface ScanOptions {
  count: number;
  /** The MATCH pattern, or null when absent or `*` (which matches everything). */
  pattern: string | null;
  /** SCAN's TYPE filter as given, or null. */
  type: string | null;
}

/**
 * The cursor as C's strtoul reads it: optional sign and decimal digits, ending at the
 * end of the argument or at a NUL byte, within 64 bits; a negative value wraps
 * around (so "-1" is a valid, huge cursor) and an empty argument is 0. A leading
 * space, anything else after the digits, or overflow: null ("ERR invalid cursor").
 */
export function parseScanCursor(s: string): number | null {
  const len = s.length;
  if (len === 0) return 0;
  let i = 0;
  const first = s.charCodeAt(0);
  if (first === 0x20 || (first >= 0x09 && first <= 0x0d)) return null;
  const negative = first === 0x2d; /* '-' */
  if (negative || first === 0x2b /* '+' */) i++;
  const digitsStart = i;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  // No digits: strtoul leaves the end pointer at the start, which is not a NUL here.
  if (i === digitsStart) return null;
  if (i < len && s.charCodeAt(i) !== 0) return null;
  const digits = s.slice(digitsStart, i);
  if (BigInt(digits) >= BigInt(TWO_64)) return null;
  const value = Number(digits);
  return negative && value !== 0 ? TWO_64 - value : value;
}

/**
 * Parses `[MATCH pattern] [COUNT count] [TYPE type]` from `argv[start]` on, replying
 * the error and returning null when invalid. TYPE is accepted only when `allowType`.
 */
export function parseScanOptionsOrReply(c: Client, argv: readonly string[], start: number, allowType: boolean): ScanOptions | null {
  const options: ScanOptions = { count: DEFAULT_COUNT, pattern: null, type: null };
  for (let i = start; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const hasValue = i + 1 < argv.length;
    if (opt === 'count' && hasValue) {
      const count = parseInt64(argv[i + 1]);
      if (count === null) {
        c.reply.error(NOT_INTEGER);
        return null;
      }
      if (count < 1) {
        c.reply.error(SYNTAX);
        return null;
      }
      options.count = Number(count);
    } else if (opt === 'match' && hasValue) {
      const pattern = argv[i + 1];
      options.pattern = pattern === '*' ? null : pattern;
    } else if (opt === 'type' && allowType && hasValue) {
      options.type = argv[i + 1];
    } else {
      c.reply.error(SYNTAX);
      return null;
    }
  }
  return options;
}
