/**
 * Bytes too long for a latin1 JS string, as a JS string all the same: a list element or
 * a stream field value of 536,870,889 to `proto-max-bulk-len` bytes (redis-server takes
 * them; V8's longest string is 2^29-24 chars, ARCHITECTURE.md "Bytes as latin1 strings").
 *
 * A packed string holds two bytes per char (little-endian, as Node's utf16le codec reads
 * and writes them) after a two-char header: a mark no latin1 string can hold (a char
 * above 255) and, with the same mark bit, whether the last char carries one byte or two.
 * The packing is canonical, so two packed strings are equal exactly when their bytes
 * are, and never equal to a latin1 string (whose bytes are fewer): lists and streams
 * store, compare and move them as any other element. Only the places that turn an
 * element into bytes (replies, the AOF, snapshots, digests) unpack them, and they find
 * them by length first: a string shorter than PACKED_MIN_CHARS is latin1, so the usual
 * element pays one comparison.
 *
 * Why not bytes (a Buffer) in the lists and nodes themselves: every list and stream path
 * would handle two element types for a size no queue uses; a packed string costs its
 * bytes on the V8 heap (as any list element does) and two per char are what it holds.
 */

/** First char of a packed string; the second is this plus 1 when the last char holds one byte. */
const MARK = 0x100;
/** Longest latin1 JS string (V8's limit); packed strings hold more bytes than this. */
export const MAX_LATIN1 = (1 << 29) - 24;
/** Fewest chars a packed string has: header plus (MAX_LATIN1 + 1) bytes two per char. */
export const PACKED_MIN_CHARS = 2 + Math.ceil((MAX_LATIN1 + 1) / 2);
/** Most bytes a packed string can hold. */
export const MAX_PACKED = 2 * (MAX_LATIN1 - 2);

/** True when `s` is packed bytes, not latin1 text. */
export function isPacked(s: string): boolean {
  return s.length >= PACKED_MIN_CHARS && s.charCodeAt(0) >= MARK;
}

/** The number of bytes `s` stands for: its length, or a packed string's byte count. */
export function byteLength(s: string): number {
  if (s.length < PACKED_MIN_CHARS || s.charCodeAt(0) < MARK) return s.length;
  return 2 * (s.length - 2) - (s.charCodeAt(1) - MARK);
}

/** `bytes` as a string: latin1 up to MAX_LATIN1 bytes, packed beyond (up to MAX_PACKED). */
export function bytesToString(bytes: Buffer): string {
  if (bytes.length <= MAX_LATIN1) return bytes.latin1Slice(0, bytes.length);
  const odd = bytes.length & 1;
  // One buffer with the header and a padded last char, read as utf16le in one go.
  const whole = Buffer.allocUnsafe(4 + bytes.length + odd);
  whole.writeUInt16LE(MARK, 0);
  whole.writeUInt16LE(MARK + odd, 2);
  bytes.copy(whole, 4);
  if (odd === 1) whole[whole.length - 1] = 0;
  return whole.ucs2Slice(0, whole.length);
}

/** Writes the bytes `s` stands for at `offset` in `target` (room made); returns how many. */
export function writeStringBytes(target: Uint8Array, offset: number, s: string): number {
  const buf = target as Buffer;
  if (!isPacked(s)) return buf.latin1Write(s, offset, s.length);
  const n = byteLength(s);
  const whole = Math.floor(n / 2);
  buf.ucs2Write(s.substring(2, 2 + whole), offset, 2 * whole);
  if (n & 1) buf[offset + n - 1] = s.charCodeAt(2 + whole) & 0xff;
  return n;
}

/** The bytes `s` stands for, as a new Buffer (latin1 strings too). */
export function stringBytes(s: string): Buffer {
  const out = Buffer.allocUnsafe(byteLength(s));
  writeStringBytes(out, 0, s);
  return out;
}
