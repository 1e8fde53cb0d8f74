/**
 * What the collection families share (hashes and sets here; sorted sets can use the
 * same): the count argument of the sampling commands (SRANDMEMBER, HRANDFIELD), the
 * positions a sample takes, and HSCAN/SSCAN/ZSCAN over a `ScanTable`.
 *
 * Sampling follows redis-server's cases: a negative count draws that many positions
 * with repetitions; a count at least the size gives every member in the collection's
 * order; a smaller one distinct members (engine/types/random-pick.ts). A negative
 * count beyond SAMPLE_MAX is refused: redis-server would try to build the reply and die.
 */
import type { Client } from '../client.js';
import { COUNT_OUT_OF_RANGE, INVALID_CURSOR, NOT_INTEGER, SAMPLE_TOO_LARGE } from '../errors.js';
import { globMatch } from '../glob.js';
import { parseScanCursor, parseScanOptionsOrReply } from '../scan.js';
import type { ScanTable } from '../types/dense-table.js';
import { distinctIndexes, randomIndex } from '../types/random-pick.js';
import { INT64_MIN, parseInt64, type Int64 } from '../util/int64.js';

/** The longest sample with repetitions this broker builds (2^24 members). */
const SAMPLE_MAX = 1 << 24;

/** A sample count (getRangeLongFromObjectOrReply over -LONG_MAX..LONG_MAX), or null after the error. */
export function parseSampleCountOrReply(c: Client, arg: string): Int64 | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.reply.error(NOT_INTEGER);
    return null;
  }
  if (v === INT64_MIN) {
    c.reply.error(COUNT_OUT_OF_RANGE);
    return null;
  }
  return v;
}

/**
 * The positions a sample of `count` (non-zero) takes in a collection of `size`
 * (non-zero) members, or null after refusing a sample too long to build.
 */
export function sampleIndexesOrReply(c: Client, size: number, count: Int64): ArrayLike<number> | null {
  if (count > 0) {
    if (count >= size) return Array.from({ length: size }, (_, i) => i);
    return distinctIndexes(size, Number(count));
  }
  if (count < -SAMPLE_MAX) {
    c.reply.error(SAMPLE_TOO_LARGE(SAMPLE_MAX));
    return null;
  }
  const n = -Number(count);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = randomIndex(size);
  return out;
}

/** What HSCAN and SSCAN (and ZSCAN) walk: the collection's table, and for a hash (or a zset) each member's value (score). */
export interface ScanSource {
  table: ScanTable;
  valueAt?: (i: number) => string;
}

/**
 * HSCAN/SSCAN key cursor [MATCH pattern] [COUNT count] (scanGenericCommand): a
 * collection in a small encoding (an ordered table) is returned whole with cursor 0,
 * as redis-server does for listpacks and intsets; a large one `count` positions at a
 * time. `lookup` finds the collection (undefined: missing, null: it replied an error).
 */
export function replyCollectionScan(c: Client, argv: string[], lookup: (key: string) => ScanSource | undefined | null): void {
  const cursor = parseScanCursor(argv[2]);
  if (cursor === null) return c.reply.error(INVALID_CURSOR);
  const source = lookup(argv[1]);
  if (source === null) return;
  const reply = c.reply;
  if (source === undefined) {
    reply.array(2);
    reply.bulk('0');
    return reply.array(0);
  }
  const options = parseScanOptionsOrReply(c, argv, 3, false);
  if (options === null) return;
  const { table, valueAt } = source;
  const positions: number[] = [];
  let next = 0;
  if (table.ordered) for (let i = 0; i < table.size; i++) positions.push(i);
  else next = table.scan(cursor, options.count, (i) => positions.push(i));
  const pattern = options.pattern;
  const found = pattern === null ? positions : positions.filter((i) => globMatch(pattern, table.keyAt(i)));
  reply.array(2);
  reply.bulk(String(next));
  reply.array(valueAt !== undefined ? found.length * 2 : found.length);
  for (const i of found) {
    reply.bulk(table.keyAt(i));
    if (valueAt !== undefined) reply.bulk(valueAt(i));
  }
}
