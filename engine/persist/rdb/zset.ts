/**
 * Sorted sets in RDB, in the encodings redis-server 7.0 writes: a listpack-encoded set
 * as `ZSET_LISTPACK` (one listpack of member, score, member, score..., each score as
 * d2string prints it, so integers become listpack integers), a skiplist one as `ZSET_2`
 * (a count, then each member and its score as a little-endian binary double, from the
 * highest to the lowest as redis-server saves them). Read as well: `ZSET_ZIPLIST` and
 * `ZSET` (scores as length-prefixed text) of Redis before 7.0 and 2.8. A duplicate
 * member or a NaN score is refused, as redis-server refuses them. The loaded set takes
 * the encoding redis-server's loader gives it (rdbLoadObject's conversions). A large
 * sorted set in a live snapshot is copied, then written over several slices
 * (`ZsetRecordWriter`).
 */
import type { ByteWriter } from '../bytes.js';
import { formatDouble } from '../../../protocol/reply.js';
import { ZSet } from '../../types/zset.js';
import type { EncodingLimits } from '../../types/encoding-limits.js';
import { parseDouble } from '../../util/double.js';
import { RdbType, writeBlob, writeLen, writeString, type RdbInput } from './encoding.js';
import { ListpackWriter } from './listpack.js';
import { pairsOfListpack, pairsOfZiplist } from './hash-set.js';

/** The RDB type a sorted set is written with. */
export function zsetRdbType(z: ZSet): RdbType {
  return z.isSkiplist ? RdbType.Zset2 : RdbType.ZsetListpack;
}

/** A sorted set's record (after its type byte and key). */
export function writeZset(w: ByteWriter, z: ZSet): void {
  if (z.isSkiplist) {
    new ZsetRecordWriter(z).step(w, Infinity);
    return;
  }
  const lp = new ListpackWriter();
  z.walk(0, false, (member, score) => {
    lp.string(member);
    lp.string(formatDouble(score));
    return true;
  });
  writeBlob(w, lp.finish());
}

/** Members per part of a `ZSET_2` record written over several steps. */
export const ZSET_PART = 128;

/**
 * A skiplist sorted set's `ZSET_2` record, a few parts of ZSET_PART members per `step`.
 * The members and scores are copied when the writer is made (from the highest down,
 * as redis-server saves them): a skiplist cannot be shared copy-on-write as a list's
 * chunks are, but copying a reference and a double per member takes a fraction of the
 * time writing them does, and the rest is written while clients change the set.
 */
export class ZsetRecordWriter {
  private readonly members: string[];
  private readonly scores: Float64Array;
  private next = 0;
  private readonly score = Buffer.allocUnsafe(8);

  constructor(z: ZSet) {
    const n = z.size;
    this.members = new Array<string>(n);
    this.scores = new Float64Array(n);
    let i = 0;
    z.walk(n - 1, true, (member, score) => {
      this.members[i] = member;
      this.scores[i++] = score;
      return true;
    });
  }

  step(w: ByteWriter, parts: number): boolean {
    const { members, scores, score } = this;
    if (this.next === 0) writeLen(w, members.length);
    const end = Math.min(members.length, this.next + parts * ZSET_PART);
    for (let i = this.next; i < end; i++) {
      writeString(w, members[i]);
      score.writeDoubleLE(scores[i]);
      w.bytes(score);
    }
    this.next = end;
    return end === members.length;
  }
}

/** rdbLoadDoubleValue: a length byte (253 NaN, 254 inf, 255 -inf), then the text. */
function textDouble(r: RdbInput): number {
  const len = r.u8();
  if (len === 253) return NaN;
  if (len === 254) return Infinity;
  if (len === 255) return -Infinity;
  return Number(r.raw(len).latin1Slice());
}

/** Reads a sorted set of any encoding a 7.0 file may hold; null when empty (redis-server skips such keys). */
export function readZset(r: RdbInput, type: RdbType, limits: EncodingLimits): ZSet | null {
  const at = r.pos;
  const z = new ZSet();
  const add = (member: string, score: number): void => {
    if (Number.isNaN(score)) r.fail('Zset with NAN score detected', at);
    if (!z.set(member, score, Infinity, Infinity)) r.fail('Duplicate zset fields detected', at);
  };
  if (type === RdbType.Zset || type === RdbType.Zset2) {
    // Loaded as a skiplist, converted when small enough (rdbLoadObject).
    z.toSkiplist();
    const n = r.count();
    for (let i = 0; i < n; i++) add(r.string(), type === RdbType.Zset2 ? r.raw(8).readDoubleLE(0) : textDouble(r));
    if (n <= limits.zsetMaxListpackEntries && z.longestMember() <= limits.zsetMaxListpackValue) z.toListpack();
  } else {
    const pairs = type === RdbType.ZsetListpack ? pairsOfListpack(r) : pairsOfZiplist(r);
    // Too many for a listpack: a skiplist from the start (a listpack's -0 scores still load as 0).
    const large = pairs.length / 2 > limits.zsetMaxListpackEntries;
    if (large) z.toSkiplist();
    for (let i = 0; i < pairs.length; i += 2) {
      const score = parseDouble(pairs[i + 1]) ?? r.fail('invalid zset score', at);
      add(pairs[i], large && score === 0 ? 0 : score);
    }
  }
  return z.size === 0 ? null : z;
}
