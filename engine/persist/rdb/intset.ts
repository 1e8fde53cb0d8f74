/**
 * Intsets, the packed sorted integers of a small set (redis-server's intset.c): a
 * 4-byte encoding (2, 4 or 8: bytes per integer), a 4-byte count, then the integers
 * in ascending order, every number little-endian.
 *
 * Written with the smallest encoding that holds every member; redis-server's intset
 * never narrows once widened (a member removed), so its bytes may then differ while
 * meaning the same set.
 */
import { FormatError } from '../bytes.js';
import { compareInt64, type Int64 } from '../../util/int64.js';

const HEADER = 8;

/** Bytes per integer that fit every value. */
function widthFor(values: readonly Int64[]): number {
  let width = 2;
  for (const v of values) {
    if (v < -2147483648 || v > 2147483647) return 8;
    if (v < -32768 || v > 32767) width = 4;
  }
  return width;
}

/** The intset of `values`, which must be sorted ascending and distinct. */
export function writeIntset(values: readonly Int64[]): Buffer {
  const width = widthFor(values);
  const buf = Buffer.alloc(HEADER + width * values.length);
  buf.writeUInt32LE(width, 0);
  buf.writeUInt32LE(values.length, 4);
  let p = HEADER;
  for (const v of values) {
    if (width === 2) buf.writeInt16LE(Number(v), p);
    else if (width === 4) buf.writeInt32LE(Number(v), p);
    else buf.writeBigInt64LE(BigInt(v), p);
    p += width;
  }
  return buf;
}

/** The integers of an intset as decimal text, checked as intsetValidateIntegrity checks them (sorted, distinct). */
export function readIntset(buf: Buffer, fileOffset = 0): string[] {
  const fail = (what: string): never => {
    throw new FormatError(`invalid intset: ${what}`, fileOffset);
  };
  if (buf.length < HEADER) fail('too short');
  const width = buf.readUInt32LE(0);
  if (width !== 2 && width !== 4 && width !== 8) fail(`encoding ${width}`);
  const count = buf.readUInt32LE(4);
  if (HEADER + count * width !== buf.length) fail('length does not match its count');
  const out: string[] = [];
  let previous: Int64 | null = null;
  for (let p = HEADER; p < buf.length; p += width) {
    let v: Int64;
    if (width === 2) v = buf.readInt16LE(p);
    else if (width === 4) v = buf.readInt32LE(p);
    else {
      const big = buf.readBigInt64LE(p);
      v = big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
    }
    if (previous !== null && compareInt64(previous, v) >= 0) fail('not sorted');
    previous = v;
    out.push(String(v));
  }
  return out;
}
