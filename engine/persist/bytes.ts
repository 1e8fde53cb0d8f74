/**
 * Byte encoding for snapshots: a growable writer and a bounds-checked reader.
 *
 * Integers: `varuint` is unsigned LEB128 (7 bits a byte, up to 2^53); `u64` and
 * `i64` are 8 bytes little-endian, exact for the engine's number|bigint values;
 * `u32` is 4 bytes little-endian. Strings are a varuint length then their latin1
 * bytes (one byte per char, ARCHITECTURE.md, "Bytes as latin1 strings").
 */
import type { Int64 } from '../util/int64.js';
import type { U64 } from '../types/stream-id.js';

const CHUNK = 1 << 20;
const TWO32 = 4294967296;

/** Thrown by `ByteReader` on bytes that do not parse; `offset` is where reading failed. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export class ByteWriter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Full buffers not yet taken. */
  private done: Buffer[] = [];
  private doneBytes = 0;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.doneBytes + this.pos;
  }

  /**
   * What was written since the last take, as one buffer: everything, or when that is
   * more than `max` bytes, the oldest full chunks up to `max` (at least one).
   */
  take(max = Infinity): Buffer {
    if (this.length > max && this.done.length > 0) {
      let n = 1;
      let bytes = this.done[0].length;
      while (n < this.done.length && bytes + this.done[n].length <= max) bytes += this.done[n++].length;
      const parts = this.done.splice(0, n);
      this.doneBytes -= bytes;
      // Full chunks are never written again: no copy needed for one.
      return n === 1 ? parts[0] : Buffer.concat(parts, bytes);
    }
    const pieces = this.takePieces();
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  /**
   * Everything written since the last take, as the pieces it is held in: views, not
   * copies (writing goes on after the tail taken, never over it).
   */
  takePieces(): Buffer[] {
    const pieces = this.done;
    pieces.push(this.buf.subarray(0, this.pos));
    this.buf = this.buf.subarray(this.pos);
    this.done = [];
    this.doneBytes = 0;
    this.pos = 0;
    return pieces;
  }

  /** Forgets what was written since the last take, to write anew into the same buffer (nothing may hold a view of it). */
  discard(): void {
    this.done = [];
    this.doneBytes = 0;
    this.pos = 0;
  }

  /** Moves everything written to `other` to the end of this writer, without copying; `other` is left empty. */
  append(other: ByteWriter): void {
    if (this.pos > 0) {
      this.done.push(this.buf.subarray(0, this.pos));
      this.doneBytes += this.pos;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
    for (const b of other.done) this.done.push(b);
    if (other.pos > 0) this.done.push(other.buf.subarray(0, other.pos));
    this.doneBytes += other.length;
    other.done = [];
    other.doneBytes = 0;
    other.buf = Buffer.allocUnsafe(0);
    other.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) {
      this.done.push(this.buf.subarray(0, this.pos));
      this.doneBytes += this.pos;
    }
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
  }

  /**
   * Room for `n` more bytes: the buffer to write them into, from offset `end`; then
   * `wrote` says how many were written. For encoders that write in place.
   */
  room(n: number): Buffer {
    this.ensure(n);
    return this.buf;
  }

  /** Where the next byte goes in the buffer `room` returned. */
  get end(): number {
    return this.pos;
  }

  wrote(n: number): void {
    this.pos += n;
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.pos++] = n;
  }

  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** 4 bytes big-endian (RDB's raw stream IDs and lengths). */
  u32be(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(n >>> 0, this.pos);
    this.pos += 4;
  }

  varuint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    while (n >= 128) {
      buf[this.pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    buf[this.pos++] = n;
  }

  u64(v: U64): void {
    this.ensure(8);
    if (typeof v === 'number') {
      this.buf.writeUInt32LE(v % TWO32, this.pos);
      this.buf.writeUInt32LE(Math.floor(v / TWO32), this.pos + 4);
    } else {
      this.buf.writeBigUInt64LE(v, this.pos);
    }
    this.pos += 8;
  }

  i64(v: Int64): void {
    this.ensure(8);
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      // Two's complement in two halves, without a BigInt per value.
      const lo = ((v % TWO32) + TWO32) % TWO32;
      this.buf.writeUInt32LE(lo, this.pos);
      this.buf.writeInt32LE((v - lo) / TWO32, this.pos + 4);
    } else {
      this.buf.writeBigInt64LE(BigInt(v), this.pos);
    }
    this.pos += 8;
  }

  str(s: string): void {
    const len = s.length;
    this.varuint(len);
    this.ensure(len);
    this.buf.latin1Write(s, this.pos, len);
    this.pos += len;
  }

  /** A latin1 string's bytes as they are (no length). */
  latin1(s: string): void {
    this.ensure(s.length);
    this.buf.latin1Write(s, this.pos, s.length);
    this.pos += s.length;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * Bytes added by reference, not copied (a long string value's, which stay as they
   * are until taken: see LargeString.share). Short ones are copied all the same.
   */
  shared(b: Buffer): void {
    if (b.length < CHUNK) return this.bytes(b);
    if (this.pos > 0) {
      this.done.push(this.buf.subarray(0, this.pos));
      this.doneBytes += this.pos;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
    this.done.push(b);
    this.doneBytes += b.length;
  }
}

export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    /** Where the readable bytes end. */
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new FormatError('unexpected end of file', this.pos);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  varuint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
    throw new FormatError('invalid length', this.pos);
  }

  u64(): U64 {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    // Below 2^21 the high half leaves the value a safe integer.
    return hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }

  i64(): Int64 {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  str(): string {
    const len = this.varuint();
    this.need(len);
    const s = this.buf.latin1Slice(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** The next `n` bytes, as a view of the buffer read. */
  view(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` raw bytes, copied into a fresh buffer aligned for typed arrays. */
  bytesInto(target: Uint8Array): void {
    this.need(target.length);
    target.set(this.buf.subarray(this.pos, this.pos + target.length));
    this.pos += target.length;
  }
}
