/**
 * The RDB file's primitive encodings (redis-server's rdb.c: rdbSaveLen,
 * rdbSaveRawString, rdbLoadLen, rdbGenericLoadStringObject) and its constants
 * (rdb.h, RDB version 10 as redis-server 7.0 writes it).
 *
 * Lengths: `00xxxxxx` (6 bits), `01xxxxxx xxxxxxxx` (14 bits, big-endian), `0x80` and
 * 4 bytes big-endian, `0x81` and 8 bytes big-endian; `11xxxxxx` marks a string in a
 * special encoding: an integer of 8, 16 or 32 bits (little-endian), or LZF.
 * Strings: a length and the bytes, except that a string of up to 11 characters that
 * is a canonical integer fitting 32 bits is stored as that integer, and one longer
 * than 20 bytes is stored LZF-compressed when that saves at least 4 bytes
 * (`rdbcompression yes`, which the broker always applies).
 */
import { ByteWriter, FormatError } from '../bytes.js';
import { bytesToString, MAX_LATIN1, stringBytes } from '../../../protocol/packed-string.js';
import type { U64 } from '../../types/stream-id.js';
import type { Int64 } from '../../util/int64.js';
import { lzfCompressInto, lzfDecompress } from './lzf.js';
import { DEFAULT_LIMITS, type EncodingLimits } from '../../types/encoding-limits.js';

export const RDB_VERSION = 10;
export const RDB_MAGIC = 'REDIS';

/** Value types (rdb.h RDB_TYPE_*). */
export const enum RdbType {
  String = 0,
  List = 1,
  Set = 2,
  Zset = 3,
  Hash = 4,
  Zset2 = 5,
  Module2 = 7,
  HashZipmap = 9,
  ListZiplist = 10,
  SetIntset = 11,
  ZsetZiplist = 12,
  HashZiplist = 13,
  ListQuicklist = 14,
  StreamListpacks = 15,
  HashListpack = 16,
  ZsetListpack = 17,
  ListQuicklist2 = 18,
  StreamListpacks2 = 19,
}

/** Opcodes (rdb.h RDB_OPCODE_*). */
export const enum RdbOp {
  Function2 = 245,
  FunctionPreGa = 246,
  ModuleAux = 247,
  Idle = 248,
  Freq = 249,
  Aux = 250,
  ResizeDb = 251,
  ExpireTimeMs = 252,
  ExpireTime = 253,
  SelectDb = 254,
  Eof = 255,
}

/** The names of value types the engine does not have (yet), for the error that refuses them. */
export const UNSUPPORTED_TYPES: Readonly<Record<number, string>> = {
  [RdbType.Module2]: 'module',
};

/** A value of a type the engine does not have yet (a FormatError: loading stops there). */
export class UnsupportedTypeError extends FormatError {}

const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;
const TWO32 = 4294967296;

/** rdbSaveLen. */
export function writeLen(w: ByteWriter, n: U64): void {
  if (typeof n === 'number' && n < TWO32) return w.wrote(putLen(w.room(5), w.end, n) - w.end);
  w.u8(0x81);
  const big = BigInt(n);
  w.u32be(Number(big >> 32n));
  w.u32be(Number(big & 0xffffffffn));
}

/** Bytes rdbSaveLen takes for `n` < 2^32. */
function lenSize(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : 5;
}

/** rdbSaveLen of `n` < 2^32 into `buf` at `p` (room for 5 bytes); returns the offset after it. */
export function putLen(buf: Buffer, p: number, n: number): number {
  if (n < 64) {
    buf[p] = n;
    return p + 1;
  }
  if (n < 16384) {
    buf[p] = (n >>> 8) | 0x40;
    buf[p + 1] = n & 0xff;
    return p + 2;
  }
  buf[p] = 0x80;
  buf.writeUInt32BE(n, p + 1);
  return p + 5;
}

/** A signed counter saved through rdbSaveLen (a long long cast to uint64, as entries_read). */
export function writeSignedLen(w: ByteWriter, v: Int64): void {
  writeLen(w, typeof v === 'number' && v >= 0 ? v : BigInt.asUintN(64, BigInt(v)));
}

/** rdbSaveMillisecondTime: 8 bytes little-endian. */
export function writeMillis(w: ByteWriter, ms: Int64): void {
  w.i64(ms);
}

/** The value of `s` when rdbTryIntegerEncoding would store it as an integer, else null. */
function asEncodableInt(s: string): number | null {
  const len = s.length;
  if (len === 0 || len > 11) return null;
  const c = s.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 45)) return null;
  if (!/^(?:0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = Number(s);
  return v >= -2147483648 && v <= 2147483647 ? v : null;
}

function writeEncodedInt(w: ByteWriter, v: number): void {
  if (v >= -128 && v <= 127) {
    w.u8(0xc0 | ENC_INT8);
    return w.u8(v & 0xff);
  }
  if (v >= -32768 && v <= 32767) {
    w.u8(0xc0 | ENC_INT16);
    w.u8(v & 0xff);
    return w.u8((v >> 8) & 0xff);
  }
  w.u8(0xc0 | ENC_INT32);
  w.u32(v >>> 0);
}

/** rdbSaveRawString for a string (latin1, or packed: protocol/packed-string.ts). */
export function writeString(w: ByteWriter, s: string): void {
  const v = asEncodableInt(s);
  if (v !== null) return writeEncodedInt(w, v);
  if (s.length > 20) return writeBlob(w, stringBytes(s));
  writeLen(w, s.length);
  w.latin1(s);
}

/**
 * rdbSaveRawString for bytes that are never an integer's text (listpacks, long
 * values). LZF compresses straight into the output, after room for the longest
 * header; a shorter one moves the compressed bytes back.
 */
export function writeBlob(w: ByteWriter, bytes: Uint8Array): void {
  const len = bytes.length;
  if (len > 20) {
    const maxOut = len - 4;
    const room = 1 + lenSize(maxOut) + lenSize(len);
    const buf = w.room(room + maxOut + 1);
    const at = w.end;
    const packed = lzfCompressInto(bytes, buf, at + room, maxOut);
    if (packed > 0) {
      buf[at] = 0xc0 | ENC_LZF;
      const head = putLen(buf, putLen(buf, at + 1, packed), len);
      if (head < at + room) buf.copyWithin(head, at + room, at + room + packed);
      return w.wrote(head - at + packed);
    }
  }
  writeLen(w, len);
  w.bytes(bytes);
}

/** LZF strings up to this size are decompressed into a buffer reused from one to the next. */
const SCRATCH_MAX = 1 << 20;

/**
 * Reads an RDB file's bytes; every failure is a FormatError at the offset where it
 * happened. It holds the whole input, or a window of it (snapshot.ts's
 * `snapshotSourceLoadSteps`: `buf` starts at the input's offset `base`, and `extend`
 * lengthens it when a read goes past its end). Readers take `buf` anew after each read:
 * an extension replaces it (with the same bytes at the same offsets, and more).
 */
export class RdbInput {
  pos: number;
  /** The encoding rules the values read are given (the loading engine's settings). */
  limits: EncodingLimits = DEFAULT_LIMITS;
  /**
   * Set when `buf` is a window of a longer input: makes `buf` reach offset `want` (in
   * `buf`) if the input is that long, replacing it with a longer Buffer that holds the
   * same bytes at the same offsets.
   */
  extend: ((want: number) => void) | null = null;
  private scratch = Buffer.allocUnsafe(1 << 14);

  constructor(
    public buf: Buffer,
    start = 0,
    public end = buf.length,
    /** Added to offsets in errors (a payload inside a larger file, a window). */
    public base = 0,
  ) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    throw new FormatError(message, this.base + at);
  }

  /** A read up to offset `want` goes past `end`: the window is extended, or the input is cut short (`message`). */
  reach(want: number, message: string, at = this.pos): void {
    this.extend?.(want);
    if (want > this.end) this.fail(message, at);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.reach(this.pos + n, 'unexpected end of file');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** rdbLoadMillisecondTime. */
  millis(): Int64 {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    // Well within +-2^53 the halves give the value exactly, without a BigInt.
    if (hi > -0x200000 && hi < 0x200000) return hi * TWO32 + lo;
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  /** rdbLoadTime: 4 bytes little-endian seconds. */
  seconds(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Steps over `n` bytes; returns where they start. */
  skip(n: number): number {
    this.need(n);
    this.pos += n;
    return this.pos - n;
  }

  raw(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** rdbLoadLen; a special string encoding here is an error. */
  len(): U64 {
    const first = this.u8();
    if (first >>> 6 === 3) this.fail('unexpected string encoding', this.pos - 1);
    return this.lenAfter(first);
  }

  /** A length that must be a safe JS number (counts, sizes). */
  count(): number {
    const at = this.pos;
    const n = this.len();
    if (typeof n !== 'number') this.fail('length out of range', at);
    return n;
  }

  /** A length read as a signed counter (rdbLoadLen of a long long, as entries_read). */
  signedLen(): Int64 {
    const n = this.len();
    if (typeof n === 'number') return n;
    const v = BigInt.asIntN(64, n);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  private lenAfter(first: number): U64 {
    switch (first >>> 6) {
      case 0:
        return first & 0x3f;
      case 1:
        return ((first & 0x3f) << 8) | this.u8();
      default:
        break;
    }
    if (first === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (first === 0x81) {
      this.need(8);
      const hi = this.buf.readUInt32BE(this.pos);
      const lo = this.buf.readUInt32BE(this.pos + 4);
      this.pos += 8;
      return hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    }
    return this.fail(`unknown length encoding 0x${first.toString(16)}`, this.pos - 1);
  }

  /**
   * rdbGenericLoadStringObject, as bytes: a view of the file, or for an LZF string of
   * a buffer the next LZF string reuses. Valid until the next read: copy what is kept.
   */
  blob(): Buffer {
    const at = this.pos;
    const first = this.u8();
    if (first >>> 6 !== 3) {
      const n = this.lenAfter(first);
      if (typeof n !== 'number') this.fail('string length past the end of the file', at);
      if (n > this.end - this.pos) this.reach(this.pos + n, 'string length past the end of the file', at);
      return this.raw(n);
    }
    switch (first & 0x3f) {
      case ENC_INT8:
        return Buffer.from(String(this.raw(1).readInt8(0)), 'latin1');
      case ENC_INT16:
        return Buffer.from(String(this.raw(2).readInt16LE(0)), 'latin1');
      case ENC_INT32:
        return Buffer.from(String(this.raw(4).readInt32LE(0)), 'latin1');
      case ENC_LZF:
        return this.lzf(at);
      default:
        return this.fail(`unknown string encoding ${first & 0x3f}`, at);
    }
  }

  private lzf(at: number): Buffer {
    const clen = this.len();
    const len = this.len();
    if (typeof clen !== 'number' || typeof len !== 'number') this.fail('invalid LZF compressed string', at);
    if (clen > this.end - this.pos) this.reach(this.pos + clen, 'invalid LZF compressed string', at);
    // LZF expands at most 264 bytes from a 3-byte back reference: a larger claim is corrupt.
    if (len === 0 || len > clen * 132 + 32) this.fail('invalid LZF compressed string', at);
    if (len > this.scratch.length && len <= SCRATCH_MAX) this.scratch = Buffer.allocUnsafe(Math.max(len, this.scratch.length * 2));
    const out = lzfDecompress(this.raw(clen), len, this.scratch);
    if (out === null) this.fail('invalid LZF compressed string', at);
    return out;
  }

  /** True when the next string is integer-encoded (no bytes to hold). */
  atIntString(): boolean {
    const first = this.buf[this.pos];
    return first !== undefined && first >= 0xc0 && first <= 0xc2;
  }

  /**
   * True when the next string is integer-encoded or stored plain in at most `max`
   * bytes: `string` then reads it straight from the file, without a Buffer.
   */
  atShortString(max: number): boolean {
    const first = this.buf[this.pos];
    if (first === undefined) return false;
    if (first < 0x80) return ((first & 0x40) === 0 ? first : ((first & 0x3f) << 8) | (this.buf[this.pos + 1] ?? 0)) <= max;
    if (first === 0x80) return this.pos + 5 <= this.end && this.buf.readUInt32BE(this.pos + 1) <= max;
    return first >= 0xc0 && first <= 0xc2;
  }

  /** A string as latin1 text (keys, short values, names), packed past V8's limit (protocol/packed-string.ts). */
  string(): string {
    if (this.atIntString()) {
      // Integer encodings: no Buffer needed.
      const first = this.buf[this.pos++];
      const size = first === 0xc0 ? 1 : first === 0xc1 ? 2 : 4;
      this.need(size);
      const v = size === 1 ? this.buf.readInt8(this.pos) : size === 2 ? this.buf.readInt16LE(this.pos) : this.buf.readInt32LE(this.pos);
      this.pos += size;
      return String(v);
    }
    const first = this.buf[this.pos];
    if (first !== undefined && first >>> 6 !== 3 && this.pos < this.end) {
      // A plain string: read straight from the file, without a Buffer view per string.
      const at = this.pos++;
      const n = this.lenAfter(first);
      if (typeof n !== 'number') this.fail('string length past the end of the file', at);
      if (n > this.end - this.pos) this.reach(this.pos + n, 'string length past the end of the file', at);
      const text = n > MAX_LATIN1 ? bytesToString(this.buf.subarray(this.pos, this.pos + n)) : this.buf.latin1Slice(this.pos, this.pos + n);
      this.pos += n;
      return text;
    }
    return bytesToString(this.blob());
  }
}
