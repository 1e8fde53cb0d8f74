/**
 * The string type held as bytes: long values, and values changed in place byte by byte.
 *
 * Keys and ordinary values are latin1 JS strings (ARCHITECTURE.md, "Bytes as latin1 strings"), but a JS
 * string cannot exceed 2^29-24 characters while redis-server takes values up to
 * `proto-max-bulk-len` (512 MB by default, more if configured), and many long strings
 * on the heap would exhaust V8's heap long before the machine's memory. A value longer
 * than `LARGE_VALUE` is therefore held here: reported as type string, OBJECT ENCODING
 * raw (what redis-server says of any string of that size), and grown in place by
 * APPEND and SETRANGE with spare room reserved ahead, as sds does (`sdsMakeRoomFor`),
 * so a run of appends costs amortized O(1) per byte.
 *
 * Short values changed bit by bit (SETBIT, BITFIELD, BITOP's result, HyperLogLogs) are
 * held here too, whatever their length: redis-server changes those sds strings in
 * place, and rebuilding a JS string of up to 1 MiB per SETBIT would cost O(n) per bit.
 * redis-server reports them "raw" as well (it unshares an embstr or int before a change).
 *
 * Copy on write: bytes another holder may still read are marked shared, and the next
 * in-place change copies them first. Those holders are a snapshot being written
 * (engine/persist/snapshot.ts takes them with `share()`) and, for a value adopted from
 * a command line, that command line itself: its effect (which reaches the AOF when the
 * whole EXEC is done) or a MULTI queue hold the same Buffer.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject, Value } from '../keyspace.js';
import { LARGE_BULK } from '../../protocol/parser.js';

/**
 * String values longer than this many bytes are stored as a LargeString; shorter ones
 * stay JS strings, so small values pay nothing for this type. The parser hands bulks
 * longer than this over as Buffers, which a LargeString adopts without a copy.
 */
export const LARGE_VALUE = LARGE_BULK;
/** Growth beyond this size adds this much room rather than doubling (sds's SDS_MAX_PREALLOC, scaled). */
const MAX_PREALLOC = 64 * 1024 * 1024;

/** A string value: a latin1 JS string, or a LargeString. */
export type StringValue = string | LargeString;

export class LargeString implements DataObject {
  readonly type = 'string';
  /** The bytes of the value, then spare room: `buf.length` is the capacity. */
  private buf: Buffer;
  /** Bytes of the value. */
  length: number;

  /** The bytes held, spare room included (the memory accounting counts them: engine/memory.ts). */
  get capacity(): number {
    return this.buf.length;
  }
  /** True while another holder may read `buf` (see the header): the next change copies it first. */
  private shared: boolean;

  private constructor(buf: Buffer, length: number, shared: boolean) {
    this.buf = buf;
    this.length = length;
    this.shared = shared;
  }

  /**
   * A command line's long bulk as a value, without copying: the caller must not touch
   * `bytes` again. Shared from the start, since the command line (an effect) holds it.
   */
  static adopt(bytes: Buffer): LargeString {
    return new LargeString(bytes, bytes.length, true);
  }

  /** A copy of `bytes`. */
  static copyOf(bytes: Uint8Array): LargeString {
    const buf = Buffer.allocUnsafe(bytes.length);
    buf.set(bytes);
    return new LargeString(buf, bytes.length, false);
  }

  /** `length` zero bytes (a bitmap made by SETBIT, BITFIELD). */
  static zeroed(length: number): LargeString {
    return new LargeString(Buffer.alloc(length), length, false);
  }

  /** A string value's bytes as a LargeString, with room for `capacity` bytes. */
  static from(value: StringValue, capacity = value.length): LargeString {
    const buf = Buffer.allocUnsafe(Math.max(capacity, value.length));
    if (typeof value === 'string') buf.latin1Write(value, 0, value.length);
    else buf.set(value.view());
    return new LargeString(buf, value.length, false);
  }

  encoding(): string {
    return 'raw';
  }

  clone(): DataObject {
    return LargeString.copyOf(this.view());
  }

  digest(d: ValueDigest): void {
    d.mixBytes(this.view());
  }

  /** The value's bytes (a view: valid until the next change). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /**
   * The backing bytes to read, spare room included: the value is the first `length`.
   * Valid until the next change; no view is made (PFADD's header check, per command).
   */
  backing(): Buffer {
    return this.buf;
  }

  /** The byte at `index` (below `length`), without the allocation of a view. */
  byteAt(index: number): number {
    return this.buf[index];
  }

  /** The value's bytes for a snapshot: they stay as they are, later changes work on a copy. */
  share(): Buffer {
    this.shared = true;
    return this.view();
  }

  /** Appends bytes: a latin1 string, or a Buffer (never retained). */
  append(suffix: string | Uint8Array): void {
    const at = this.length;
    this.reserve(at + suffix.length);
    writeAt(this.buf, at, suffix);
    this.length = at + suffix.length;
  }

  /**
   * The backing bytes for a change in place (bitmaps, HyperLogLogs): ours, copied first
   * if shared, at least `capacity` bytes long. The value is the first `length` bytes;
   * a caller writing past them sets `length` afterwards.
   */
  editable(capacity = this.length): Buffer {
    this.reserve(capacity);
    return this.buf;
  }

  /** sdsgrowzero: at least `length` bytes long, new bytes zero; our own bytes either way. */
  growZero(length: number): void {
    this.reserve(Math.max(length, this.length));
    if (length > this.length) {
      this.buf.fill(0, this.length, length);
      this.length = length;
    }
  }

  /** Replaces the whole value with `bytes`, which become ours (a HyperLogLog's new encoding). */
  replaceWith(bytes: Buffer): void {
    this.buf = bytes;
    this.length = bytes.length;
    this.shared = false;
  }

  /** SETRANGE: writes `patch` at `offset`, zero-padding the gap past the end. */
  setRange(offset: number, patch: string | Uint8Array): void {
    const end = offset + patch.length;
    this.reserve(Math.max(end, this.length));
    if (offset > this.length) this.buf.fill(0, this.length, offset);
    writeAt(this.buf, offset, patch);
    if (end > this.length) this.length = end;
  }

  /**
   * Makes `buf` ours and at least `needed` bytes long: doubling, or adding
   * MAX_PREALLOC past that size, so appends cost amortized O(1) per byte.
   */
  private reserve(needed: number): void {
    if (needed <= this.buf.length && !this.shared) return;
    const capacity = needed <= this.buf.length ? this.buf.length : needed < MAX_PREALLOC ? needed * 2 : needed + MAX_PREALLOC;
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
    this.shared = false;
  }
}

function writeAt(buf: Buffer, at: number, bytes: string | Uint8Array): void {
  if (typeof bytes === 'string') buf.latin1Write(bytes, at, bytes.length);
  else buf.set(bytes, at);
}

/** True for a string value: a JS string, or bytes (a LargeString). */
export function isStringValue(v: Value): v is StringValue {
  return typeof v === 'string' || v instanceof LargeString;
}

/** A command line's value (a string, or a long bulk's bytes) as a stored string value. */
export function valueOfArg(arg: string | Buffer): StringValue {
  return typeof arg === 'string' ? arg : LargeString.adopt(arg);
}

/** The bytes of a string value, as a Buffer (a view of a LargeString's, a copy of a JS string's). */
export function valueBytes(value: StringValue): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value.view();
}
