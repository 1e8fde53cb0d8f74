/**
 * The byte size redis-server's listpack would have for a stream node.
 *
 * We do not store listpacks, but redis-server decides when a stream node is full by
 * its listpack's byte size (`stream-node-max-bytes`), and `MAXLEN ~` / `MINID ~`
 * trim whole nodes only: for XLEN after approximate trimming to match redis-server,
 * our nodes must split exactly where its listpacks do. These functions compute the
 * encoded size of each listpack element as listpack.c does.
 */
import { parseInt64 } from '../util/int64.js';
import { byteLength } from '../../protocol/packed-string.js';

/** An empty listpack: 4 bytes total size, 2 bytes element count, 1 end byte. */
export const LP_EMPTY_BYTES = 7;

/** Bytes an integer element takes: its encoding plus the one-byte back length. */
export function lpIntSize(v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v < -2147483648n || v > 2147483647n) return 10;
    v = Number(v);
  }
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/** Bytes of the back-length field for an element whose encoding takes `l` bytes. */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes a string element takes; lpAppend stores strings that are integers as such. */
export function lpStringSize(s: string): number {
  const c = s.charCodeAt(0);
  // Only a digit or '-' can start an integer: skip the parse for everything else.
  if ((c >= 48 && c <= 57) || c === 45) {
    const v = parseInt64(s);
    if (v !== null) return lpIntSize(v);
  }
  const len = byteLength(s);
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return enc + backlenSize(enc);
}
