/**
 * Listpacks and ziplists, the packed element sequences inside RDB values
 * (redis-server's listpack.c and ziplist.c).
 *
 * Listpack: a 4-byte total size and a 2-byte element count (65535: too many to
 * count), the elements, and an 0xFF terminator. Each element is an encoding byte
 * with its data, then a "back length" of 1 to 5 bytes giving the size of the two.
 * Integers take the smallest of the 7-bit, 13-bit, 16-, 24-, 32- and 64-bit forms;
 * a string that is the canonical text of an int64 of at most 20 characters is stored
 * as that integer, as lpAppend does, so lists and streams read back byte for byte.
 *
 * Ziplist (written by redis-server before 7.0; read only): a 10-byte header, elements
 * each prefixed by the previous element's length, 0xFF.
 */
import { FormatError } from '../bytes.js';
import { byteLength, bytesToString, MAX_LATIN1, writeStringBytes } from '../../../protocol/packed-string.js';
import { parseInt64, type Int64 } from '../../util/int64.js';

const LP_HEADER = 6;
const LP_EOF = 0xff;
/** The element count of a listpack with more than this many elements is not kept. */
const LP_COUNT_UNKNOWN = 65535;
const TWO32 = 4294967296;

/** Bytes of the back length for an element of `l` bytes (lpEncodeBacklen). */
export function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/**
 * Bytes of the listpack element at `p` of `b`, its encoding byte and data without the
 * back length; 0 for an unknown encoding. The caller checks that they lie within the
 * listpack (bytes read past `b` count as zeros).
 */
export function lpElementSize(b: Buffer, p: number): number {
  const enc = b[p];
  if (enc < 0x80) return 1;
  if (enc < 0xc0) return 1 + (enc & 0x3f);
  if (enc < 0xe0) return 2;
  if (enc < 0xf0) return 2 + (((enc & 0x0f) << 8) | b[p + 1]);
  switch (enc) {
    case 0xf0:
      return 5 + ((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24)) >>> 0);
    case 0xf1:
      return 3;
    case 0xf2:
      return 4;
    case 0xf3:
      return 5;
    case 0xf4:
      return 9;
    default:
      return 0;
  }
}

/** Where the data of the string element at `p` starts (its encoding byte says it is one). */
export function lpStringStart(b: Buffer, p: number): number {
  const enc = b[p];
  return p + (enc < 0xc0 ? 1 : enc < 0xf0 ? 2 : 5);
}

/** The integer element at `p` of `b` (lpElementSize found it whole), or null for a string element. */
export function lpIntAt(b: Buffer, p: number): Int64 | null {
  const enc = b[p];
  if (enc < 0x80) return enc;
  if (enc < 0xc0) return null;
  if (enc < 0xe0) {
    const u = ((enc & 0x1f) << 8) | b[p + 1];
    return u >= 4096 ? u - 8192 : u;
  }
  switch (enc) {
    case 0xf1:
      return ((b[p + 1] | (b[p + 2] << 8)) << 16) >> 16;
    case 0xf2:
      return ((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16)) << 8) >> 8;
    case 0xf3:
      return b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24);
    case 0xf4: {
      const v = b.readBigInt64LE(p + 1);
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    }
    default:
      return null;
  }
}

/**
 * The int64 a string stands for when lpAppend would store it as an integer (the
 * canonical decimal text, at most 20 characters), else null.
 */
export function lpStringAsInt(s: string): Int64 | null {
  const c = s.charCodeAt(0);
  if (s.length > 20 || !((c >= 48 && c <= 57) || c === 45)) return null;
  return parseInt64(s);
}

/** Builds one listpack. */
export class ListpackWriter {
  private buf: Buffer;
  private pos = LP_HEADER;
  private count = 0;

  constructor(sizeHint = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 64));
  }

  /** Bytes the listpack would take if finished now. */
  get bytes(): number {
    return this.pos + 1;
  }

  get length(): number {
    return this.count;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  private backlen(l: number): void {
    const b = this.buf;
    let p = this.pos;
    if (l <= 127) b[p++] = l;
    else if (l < 16383) {
      b[p++] = l >>> 7;
      b[p++] = (l & 127) | 128;
    } else if (l < 2097151) {
      b[p++] = l >>> 14;
      b[p++] = ((l >>> 7) & 127) | 128;
      b[p++] = (l & 127) | 128;
    } else if (l < 268435455) {
      b[p++] = l >>> 21;
      b[p++] = ((l >>> 14) & 127) | 128;
      b[p++] = ((l >>> 7) & 127) | 128;
      b[p++] = (l & 127) | 128;
    } else {
      b[p++] = Math.floor(l / 268435456);
      b[p++] = ((l >>> 21) & 127) | 128;
      b[p++] = ((l >>> 14) & 127) | 128;
      b[p++] = ((l >>> 7) & 127) | 128;
      b[p++] = (l & 127) | 128;
    }
    this.pos = p;
    this.count++;
  }

  int(v: Int64): void {
    // Most are 7-bit or 13-bit (counts, flags, stream ID deltas): a short path V8 can inline.
    if (typeof v === 'number' && v >= -4096 && v <= 4095) {
      this.ensure(3);
      const b = this.buf;
      const p = this.pos;
      if (v >= 0 && v <= 127) {
        b[p] = v;
        b[p + 1] = 1;
        this.pos = p + 2;
      } else {
        const u = v < 0 ? v + 8192 : v;
        b[p] = (u >>> 8) | 0xc0;
        b[p + 1] = u & 0xff;
        b[p + 2] = 2;
        this.pos = p + 3;
      }
      this.count++;
      return;
    }
    this.wideInt(v);
  }

  /** `int` for the values past 13 bits. */
  private wideInt(v: Int64): void {
    this.ensure(10);
    const b = this.buf;
    const p = this.pos;
    if (typeof v === 'bigint') {
      if (v >= -2147483648n && v <= 2147483647n) return this.int(Number(v));
      b[p] = 0xf4;
      b.writeBigInt64LE(v, p + 1);
      this.pos += 9;
      return this.backlen(9);
    }
    let size: number;
    if (v >= 0 && v <= 127) {
      b[p] = v;
      size = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      b[p] = (u >>> 8) | 0xc0;
      b[p + 1] = u & 0xff;
      size = 2;
    } else if (v >= -32768 && v <= 32767) {
      b[p] = 0xf1;
      b.writeInt16LE(v, p + 1);
      size = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[p] = 0xf2;
      b.writeIntLE(v, p + 1, 3);
      size = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[p] = 0xf3;
      b.writeInt32LE(v, p + 1);
      size = 5;
    } else {
      b[p] = 0xf4;
      const lo = ((v % TWO32) + TWO32) % TWO32;
      b.writeUInt32LE(lo, p + 1);
      b.writeInt32LE((v - lo) / TWO32, p + 5);
      size = 9;
    }
    this.pos += size;
    this.backlen(size);
  }

  /** A string element (latin1, or packed: protocol/packed-string.ts), stored as an integer when lpAppend would. */
  string(s: string): void {
    const v = lpStringAsInt(s);
    if (v !== null) return this.int(v);
    const len = byteLength(s);
    this.stringHeader(len);
    this.pos += writeStringBytes(this.buf, this.pos, s);
    this.backlen(this.stringEncodedSize(len));
  }

  /** A string element from bytes (never taken as an integer: the caller has checked). */
  rawBytes(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len < 64) {
      // Header and back length of one byte each; a loop costs less than a view and a native copy.
      this.ensure(len + 2);
      const b = this.buf;
      let p = this.pos;
      b[p++] = 0x80 | len;
      for (let i = start; i < end; i++) b[p++] = src[i];
      b[p++] = len + 1;
      this.pos = p;
      this.count++;
      return;
    }
    this.stringHeader(len);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += len;
    this.backlen(this.stringEncodedSize(len));
  }

  private stringEncodedSize(len: number): number {
    return len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  }

  private stringHeader(len: number): void {
    this.ensure(len + 10);
    const b = this.buf;
    if (len < 64) {
      b[this.pos++] = 0x80 | len;
    } else if (len < 4096) {
      b[this.pos++] = 0xe0 | (len >>> 8);
      b[this.pos++] = len & 0xff;
    } else {
      b[this.pos] = 0xf0;
      b.writeUInt32LE(len, this.pos + 1);
      this.pos += 5;
    }
  }

  /** The finished listpack (a view of the writer's buffer: use it before writing more). */
  finish(): Buffer {
    this.ensure(1);
    this.buf[this.pos] = LP_EOF;
    const total = this.pos + 1;
    this.buf.writeUInt32LE(total, 0);
    this.buf.writeUInt16LE(Math.min(this.count, LP_COUNT_UNKNOWN), 4);
    return this.buf.subarray(0, total);
  }

  /** Starts a new listpack in the same buffer. */
  reset(): void {
    this.pos = LP_HEADER;
    this.count = 0;
  }
}

/**
 * Reads a listpack's elements in order. After `next()` returns true, the element
 * is an integer (`isInt`, value in `int`) or a string (bytes `start` to `end` of `buf`).
 */
export class ListpackReader {
  private pos = LP_HEADER;
  private readonly end: number;
  isInt = false;
  int: Int64 = 0;
  start = 0;
  stop = 0;
  /** Where the current element starts, and its size (encoding and data) for back lengths. */
  elementSize = 0;

  constructor(
    readonly buf: Buffer,
    /** Offset of the listpack in the file, for error messages. */
    private readonly fileOffset = 0,
  ) {
    if (buf.length < LP_HEADER + 1 || buf.readUInt32LE(0) !== buf.length || buf[buf.length - 1] !== LP_EOF) {
      throw new FormatError('invalid listpack header', fileOffset);
    }
    this.end = buf.length - 1;
  }

  /** The count in the header, or null when it is too large to be kept there. */
  get declaredCount(): number | null {
    const n = this.buf.readUInt16LE(4);
    return n === LP_COUNT_UNKNOWN ? null : n;
  }

  private fail(what: string): never {
    throw new FormatError(`invalid listpack: ${what}`, this.fileOffset + this.pos);
  }

  /** Moves to the next element; false at the end. */
  next(): boolean {
    const b = this.buf;
    const p = this.pos;
    if (p >= this.end) return false;
    const size = lpElementSize(b, p);
    if (size === 0) this.fail(`unknown encoding 0x${b[p].toString(16)}`);
    const next = p + size + backlenSize(size);
    if (next > this.end) this.fail('element past the end');
    const v = lpIntAt(b, p);
    if (v !== null) {
      this.isInt = true;
      this.int = v;
    } else {
      this.isInt = false;
      this.start = lpStringStart(b, p);
      this.stop = p + size;
    }
    this.elementSize = size;
    this.pos = next;
    return true;
  }

  /** Where the next element starts (for a reader of its own from there: `moveTo`). */
  get position(): number {
    return this.pos;
  }

  /** Continues from `pos`, the start of an element. */
  moveTo(pos: number): void {
    this.pos = pos;
  }

  /** The current element as a string (integers in decimal; past V8's limit for latin1, packed: protocol/packed-string.ts). */
  text(): string {
    if (this.isInt) return String(this.int);
    if (this.stop - this.start > MAX_LATIN1) return bytesToString(this.buf.subarray(this.start, this.stop));
    return this.buf.latin1Slice(this.start, this.stop);
  }

  /** The current element as an integer; a string element must be one (stream metadata). */
  integer(): Int64 {
    if (this.isInt) return this.int;
    const v = parseInt64(this.text());
    if (v === null) this.fail('an integer was expected');
    return v;
  }

  /** Steps to the next element, which must exist. */
  expect(): this {
    if (!this.next()) this.fail('too few elements');
    return this;
  }
}

/** Every element of a listpack, as latin1 strings. */
export function listpackStrings(buf: Buffer, fileOffset = 0): string[] {
  const r = new ListpackReader(buf, fileOffset);
  const out: string[] = [];
  while (r.next()) out.push(r.text());
  return out;
}

/** Every element of a ziplist, as latin1 strings (ziplist.c's zipEntry). */
export function ziplistStrings(buf: Buffer, fileOffset = 0): string[] {
  const fail = (p: number): never => {
    throw new FormatError('invalid ziplist', fileOffset + p);
  };
  if (buf.length < 11 || buf.readUInt32LE(0) !== buf.length || buf[buf.length - 1] !== 0xff) fail(0);
  const out: string[] = [];
  const end = buf.length - 1;
  let p = 10;
  while (p < end) {
    p += buf[p] === 0xfe ? 5 : 1;
    if (p >= end) fail(p);
    const enc = buf[p];
    let start: number;
    let len: number;
    switch (enc >>> 6) {
      case 0:
        start = p + 1;
        len = enc & 0x3f;
        break;
      case 1:
        start = p + 2;
        len = ((enc & 0x3f) << 8) | buf[p + 1];
        break;
      case 2:
        start = p + 5;
        len = p + 5 <= end ? buf.readUInt32BE(p + 1) : fail(p);
        break;
      default: {
        const [value, size] = ziplistInt(buf, p, end, fail);
        out.push(String(value));
        p += 1 + size;
        continue;
      }
    }
    if (start + len > end) fail(p);
    out.push(len > MAX_LATIN1 ? bytesToString(buf.subarray(start, start + len)) : buf.latin1Slice(start, start + len));
    p = start + len;
  }
  return out;
}

function ziplistInt(buf: Buffer, p: number, end: number, fail: (p: number) => never): [Int64, number] {
  const enc = buf[p];
  const need = (n: number): void => {
    if (p + 1 + n > end) fail(p);
  };
  if (enc >= 0xf1 && enc <= 0xfd) return [(enc & 0x0f) - 1, 0];
  switch (enc) {
    case 0xfe:
      need(1);
      return [buf.readInt8(p + 1), 1];
    case 0xc0:
      need(2);
      return [buf.readInt16LE(p + 1), 2];
    case 0xf0:
      need(3);
      return [buf.readIntLE(p + 1, 3), 3];
    case 0xd0:
      need(4);
      return [buf.readInt32LE(p + 1), 4];
    case 0xe0: {
      need(8);
      const v = buf.readBigInt64LE(p + 1);
      return [v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v, 8];
    }
    default:
      return fail(p);
  }
}
