/**
 * Bitmaps on string values, as redis-server 7.0's bitops.c: SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD and BITFIELD_RO.
 *
 * A string changed bit by bit is a LargeString whatever its length (its bytes changed in
 * place, grown with zeros as sdsgrowzero grows an sds); reads take a JS string's bytes
 * as they are. Bit 0 is the most significant bit of byte 0. Offsets are limited by
 * `proto-max-bulk-len` (512 MB: 2^32 bits), except for a client that must be obeyed.
 *
 * Where 7.0.15 has quirks they are kept: BITCOUNT and BITPOS look the key up before
 * parsing their range (a missing key answers 0 or -1 to any range, even a bad one);
 * SETBIT and BITFIELD count a change (and so propagate) only when a bit changed or the
 * string was created or grown.
 *
 * Where this broker differs on purpose: a BITFIELD whose writes all FAIL still creates
 * or grows the key; redis-server then counts no change, so its replicas and AOF never
 * see that key. Here the growth counts as a change (the command propagates, replicas
 * stay equal), without the keyspace event or the WATCH touch redis-server omits too.
 */
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import { StringForm } from '../keyspace.js';
import {
  BIT_OFFSET_INVALID,
  BIT_VALUE_INVALID,
  BITFIELD_OVERFLOW_INVALID,
  BITFIELD_RO_GET_ONLY,
  BITFIELD_TYPE_INVALID,
  BITOP_NOT_ONE_KEY,
  BITPOS_BIT_INVALID,
  NOT_INTEGER,
  SYNTAX,
  WRONGTYPE,
} from '../errors.js';
import { compareInt64, parseInt64, type Int64 } from '../util/int64.js';
import { isOption } from '../util/option.js';
import { BYTE_POPCOUNT, popcount } from '../util/popcount.js';
import { isStringValue, LargeString, type StringValue } from '../types/large-string.js';
import { notify, NotifyFlag } from '../notify.js';
import type { CommandDef } from '../command.js';

/**
 * dbUnshareStringValue: the string at `key` as a LargeString to change in place. A JS
 * string is replaced by its bytes (OBJECT ENCODING then says raw, as redis-server's
 * unshared copy does).
 */
export function unshareString(db: Db, key: string, v: StringValue): LargeString {
  if (typeof v !== 'string') return v;
  const bytes = LargeString.from(v);
  db.set(key, bytes, true, StringForm.Raw);
  return bytes;
}

/** Bytes `start..end` (inclusive, within the value) of a string value: a view, or a JS string's copied. */
function bytesOf(v: StringValue, start: number, end: number): Buffer {
  if (typeof v !== 'string') return v.view().subarray(start, end + 1);
  return Buffer.from(v.slice(start, end + 1), 'latin1');
}

/** The byte at `i` of a string value (which must have it). */
function byteAt(v: StringValue, i: number): number {
  return typeof v === 'string' ? v.charCodeAt(i) : v.view()[i];
}

// ---------------------------------------------------------------------------------------
// Shared parsing and lookup

/**
 * getBitOffsetFromArgument: a bit offset, or with `hash` a `#n` offset counted in
 * fields of `bits` (the product wraps at 64 bits, as in C). Null after the error reply.
 */
function bitOffsetOrReply(c: Client, arg: string, hash: boolean, bits: number): number | null {
  const usehash = hash && arg.charCodeAt(0) === 0x23;
  let offset: Int64 | null = parseInt64(usehash ? arg.slice(1) : arg);
  if (offset !== null && usehash) offset = BigInt.asIntN(64, BigInt(offset) * BigInt(bits));
  if (offset === null || offset < 0 || (!c.mustObey && Number(offset) / 8 >= c.engine.settings.protoMaxBulkLen)) {
    c.reply.error(BIT_OFFSET_INVALID);
    return null;
  }
  return Number(offset);
}

interface BitString {
  bytes: LargeString;
  /** True when the string was created or grown (lookupStringForBitCommand's `dirty`). */
  grown: boolean;
}

/** lookupStringForBitCommand: the string at `key` as bytes reaching bit `maxBit`, created or zero-grown. */
function bitStringOrReply(c: Client, key: string, maxBit: number): BitString | null {
  const length = Math.floor(maxBit / 8) + 1;
  const v = c.db.lookupWrite(key);
  if (v === undefined) {
    const bytes = LargeString.zeroed(length);
    c.db.set(key, bytes, false, StringForm.Raw);
    return { bytes, grown: true };
  }
  if (!isStringValue(v)) {
    c.reply.error(WRONGTYPE);
    return null;
  }
  const bytes = unshareString(c.db, key, v);
  const before = bytes.length;
  bytes.growZero(length);
  return { bytes, grown: bytes.length !== before };
}

/** lookupKeyReadOrReply + checkType: the string at `key`, undefined if missing, null after WRONGTYPE. */
function readStringOrReply(c: Client, key: string): StringValue | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || isStringValue(v)) return v;
  c.reply.error(WRONGTYPE);
  return null;
}

// ---------------------------------------------------------------------------------------
// SETBIT, GETBIT

function setbit(c: Client, argv: string[]): void {
  const key = argv[1];
  const offset = bitOffsetOrReply(c, argv[2], false, 0);
  if (offset === null) return;
  const on = parseInt64(argv[3]);
  if (on !== 0 && on !== 1) return c.reply.error(BIT_VALUE_INVALID);
  const target = bitStringOrReply(c, key, offset);
  if (target === null) return;
  const byte = Math.floor(offset / 8);
  const shift = 7 - (offset % 8);
  const bytes = target.bytes.editable();
  const old = (bytes[byte] >> shift) & 1;
  if (target.grown || old !== on) {
    bytes[byte] = (bytes[byte] & ~(1 << shift)) | (on << shift);
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.String, 'setbit', key, c.db.id);
  }
  c.reply.int(old);
}

function getbit(c: Client, argv: string[]): void {
  const offset = bitOffsetOrReply(c, argv[2], false, 0);
  if (offset === null) return;
  const v = readStringOrReply(c, argv[1]);
  if (v === null) return;
  const byte = Math.floor(offset / 8);
  if (v === undefined || byte >= v.length) return c.reply.int(0);
  c.reply.int((byteAt(v, byte) >> (7 - (offset % 8))) & 1);
}

// ---------------------------------------------------------------------------------------
// BITCOUNT, BITPOS

/** A byte range of a value, with the bits to leave out of its first and last bytes (BIT ranges). */
interface ByteRange {
  start: number;
  end: number;
  firstMask: number;
  lastMask: number;
}

/**
 * The index conversion BITCOUNT and BITPOS share: negative indexes from the end, then
 * clamped; a BIT range becomes bytes plus edge masks. Empty when start > end.
 */
function byteRange(start: Int64, end: Int64, length: number, isBit: boolean): ByteRange {
  const total = isBit ? length * 8 : length;
  // Past ±2^53 only the sign matters against a length below 2^53.
  let s = Number(start);
  let e = Number(end);
  if (s < 0) s = total + s;
  if (e < 0) e = total + e;
  if (s < 0) s = 0;
  if (e < 0) e = 0;
  if (e >= total) e = total - 1;
  if (!isBit || s > e) return { start: s, end: e, firstMask: 0, lastMask: 0 };
  return {
    start: Math.floor(s / 8),
    end: Math.floor(e / 8),
    firstMask: ~((1 << (8 - (s % 8))) - 1) & 0xff,
    lastMask: (1 << (7 - (e % 8))) - 1,
  };
}

/** BIT or BYTE (the unit of a range); null after a syntax error. */
function isBitUnitOrReply(c: Client, arg: string): boolean | null {
  if (isOption(arg, 'bit')) return true;
  if (isOption(arg, 'byte')) return false;
  c.reply.error(SYNTAX);
  return null;
}

function bitcount(c: Client, argv: string[]): void {
  const v = readStringOrReply(c, argv[1]);
  if (v === null) return;
  if (v === undefined) return c.reply.int(0);
  let range: ByteRange;
  if (argv.length === 4 || argv.length === 5) {
    const start = parseInt64(argv[2]);
    const end = start === null ? null : parseInt64(argv[3]);
    if (start === null || end === null) return c.reply.error(NOT_INTEGER);
    if (start < 0 && end < 0 && compareInt64(start, end) > 0) return c.reply.int(0);
    const isBit = argv.length === 5 ? isBitUnitOrReply(c, argv[4]) : false;
    if (isBit === null) return;
    range = byteRange(start, end, v.length, isBit);
  } else if (argv.length === 2) {
    range = { start: 0, end: v.length - 1, firstMask: 0, lastMask: 0 };
  } else {
    return c.reply.error(SYNTAX);
  }
  if (range.start > range.end) return c.reply.int(0);
  let count = popcount(bytesOf(v, range.start, range.end));
  // Leave out the bits of the edge bytes that are outside a BIT range.
  if (range.firstMask !== 0) count -= BYTE_POPCOUNT[byteAt(v, range.start) & range.firstMask];
  if (range.lastMask !== 0) count -= BYTE_POPCOUNT[byteAt(v, range.end) & range.lastMask];
  c.reply.int(count);
}

/**
 * redisBitpos: the first bit equal to `bit` in `bytes`; for a 0 not found, the bit just
 * past the end (the string is zero-padded on the right), for a 1 not found, -1.
 */
function firstBit(bytes: Uint8Array, bit: number): number {
  const skip = bit === 1 ? 0 : 0xff;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === skip) continue;
    const hits = bit === 1 ? b : ~b & 0xff;
    return i * 8 + Math.clz32(hits) - 24;
  }
  return bit === 1 ? -1 : bytes.length * 8;
}

/** BITPOS's range arguments: the byte range, and whether an end was given; null after an error. */
function bitposRangeOrReply(c: Client, argv: string[], length: number): { range: ByteRange; endGiven: boolean } | null {
  if (argv.length === 3) return { range: { start: 0, end: length - 1, firstMask: 0, lastMask: 0 }, endGiven: false };
  if (argv.length > 6) {
    c.reply.error(SYNTAX);
    return null;
  }
  const start = parseInt64(argv[3]);
  if (start === null) {
    c.reply.error(NOT_INTEGER);
    return null;
  }
  const isBit = argv.length === 6 ? isBitUnitOrReply(c, argv[5]) : false;
  if (isBit === null) return null;
  let end: Int64 | null = isBit ? length * 8 + 7 : length - 1;
  if (argv.length >= 5 && (end = parseInt64(argv[4])) === null) {
    c.reply.error(NOT_INTEGER);
    return null;
  }
  return { range: byteRange(start, end, length, isBit), endGiven: argv.length >= 5 };
}

function bitpos(c: Client, argv: string[]): void {
  const bit = parseInt64(argv[2]);
  if (bit === null) return c.reply.error(NOT_INTEGER);
  if (bit !== 0 && bit !== 1) return c.reply.error(BITPOS_BIT_INVALID);
  const v = readStringOrReply(c, argv[1]);
  if (v === null) return;
  // A missing key is an endless run of zeros.
  if (v === undefined) return c.reply.int(bit === 1 ? -1 : 0);
  const parsed = bitposRangeOrReply(c, argv, v.length);
  if (parsed === null) return;
  const { range, endGiven } = parsed;
  if (range.start > range.end) return c.reply.int(-1);
  const { pos, start, bytes } = searchRange(v, range, bit);
  // With an explicit end, the clear bit "past the end" is outside the range.
  if (endGiven && bit === 0 && pos === bytes * 8) return c.reply.int(-1);
  c.reply.int(pos === -1 ? -1 : pos + start * 8);
}

/**
 * bitposCommand's search of a range: the masked first byte, the whole bytes, then the
 * masked last byte, each stopping at a hit. Returns the position relative to `start`
 * and the byte count of the part searched last, as redis-server leaves them.
 */
function searchRange(v: StringValue, range: ByteRange, bit: number): { pos: number; start: number; bytes: number } {
  let { start } = range;
  const { end, firstMask, lastMask } = range;
  let bytes = end - start + 1;
  const masked = (b: number, mask: number): number => (bit === 1 ? b & ~mask : b | mask) & 0xff;
  let pos: number;
  if (firstMask !== 0) {
    let first = masked(byteAt(v, start), firstMask);
    if (lastMask !== 0 && bytes === 1) first = masked(first, lastMask);
    pos = firstBit(Uint8Array.of(first), bit);
    if (bytes === 1 || (pos !== -1 && pos !== 8)) return { pos, start, bytes };
    start++;
    bytes--;
  }
  const whole = bytes - (lastMask !== 0 ? 1 : 0);
  if (whole > 0) {
    pos = firstBit(bytesOf(v, start, start + whole - 1), bit);
    if (bytes === whole || (pos !== -1 && pos !== whole * 8)) return { pos, start, bytes };
    start += whole;
    bytes -= whole;
  }
  pos = firstBit(Uint8Array.of(masked(byteAt(v, end), lastMask)), bit);
  return { pos, start, bytes };
}

// ---------------------------------------------------------------------------------------
// BITOP

type BitOp = 'and' | 'or' | 'xor' | 'not';

function bitopName(arg: string): BitOp | null {
  for (const op of ['and', 'or', 'xor', 'not'] as const) if (isOption(arg, op)) return op;
  return null;
}

function bitop(c: Client, argv: string[]): void {
  const op = bitopName(argv[1]);
  if (op === null) return c.reply.error(SYNTAX);
  if (op === 'not' && argv.length !== 4) return c.reply.error(BITOP_NOT_ONE_KEY);
  const sources: Buffer[] = [];
  let maxLength = 0;
  for (let j = 3; j < argv.length; j++) {
    const v = c.db.lookupRead(argv[j]);
    if (v !== undefined && !isStringValue(v)) return c.reply.error(WRONGTYPE);
    // A missing key is an empty string.
    const bytes = v === undefined ? Buffer.alloc(0) : bytesOf(v, 0, v.length - 1);
    sources.push(bytes);
    if (bytes.length > maxLength) maxLength = bytes.length;
  }
  const target = argv[2];
  if (maxLength === 0) {
    if (c.db.delete(target)) {
      c.engine.keyChanged(c.db, target);
      notify(c.engine, NotifyFlag.Generic, 'del', target, c.db.id);
    }
    return c.reply.int(0);
  }
  const result = combine(op, sources, maxLength);
  c.db.set(target, result, false, StringForm.Raw);
  c.engine.keyChanged(c.db, target);
  notify(c.engine, NotifyFlag.String, 'set', target, c.db.id);
  c.reply.int(maxLength);
}

/** The operation over sources zero-padded to `length` bytes. */
function combine(op: BitOp, sources: readonly Buffer[], length: number): LargeString {
  const out = LargeString.zeroed(length);
  const res = out.editable();
  res.set(sources[0]);
  if (op === 'not') {
    for (let i = 0; i < length; i++) res[i] = ~res[i] & 0xff;
    return out;
  }
  for (let k = 1; k < sources.length; k++) {
    const src = sources[k];
    if (op === 'and') {
      for (let i = 0; i < length; i++) res[i] &= i < src.length ? src[i] : 0;
    } else if (op === 'or') {
      for (let i = 0; i < src.length; i++) res[i] |= src[i];
    } else {
      for (let i = 0; i < src.length; i++) res[i] ^= src[i];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// BITFIELD

const enum Overflow {
  Wrap,
  Sat,
  Fail,
}

interface FieldOp {
  kind: 'get' | 'set' | 'incrby';
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

/** getBitfieldTypeFromArgument: `i1`..`i64` or `u1`..`u63`; null after the error reply. */
function fieldTypeOrReply(c: Client, arg: string): { signed: boolean; bits: number } | null {
  const signed = arg.charCodeAt(0) === 0x69; // i
  const bits = signed || arg.charCodeAt(0) === 0x75 ? parseInt64(arg.slice(1)) : null; // u
  if (bits === null || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) {
    c.reply.error(BITFIELD_TYPE_INVALID);
    return null;
  }
  return { signed, bits: Number(bits) };
}

function overflowOrReply(c: Client, arg: string): Overflow | null {
  if (isOption(arg, 'wrap')) return Overflow.Wrap;
  if (isOption(arg, 'sat')) return Overflow.Sat;
  if (isOption(arg, 'fail')) return Overflow.Fail;
  c.reply.error(BITFIELD_OVERFLOW_INVALID);
  return null;
}

/** The subcommands of a BITFIELD, parsed all before any runs; null after the error reply. */
function fieldOpsOrReply(c: Client, argv: string[]): FieldOp[] | null {
  const ops: FieldOp[] = [];
  let overflow = Overflow.Wrap;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j];
    let kind: FieldOp['kind'];
    if (isOption(sub, 'get') && remaining >= 2) kind = 'get';
    else if (isOption(sub, 'set') && remaining >= 3) kind = 'set';
    else if (isOption(sub, 'incrby') && remaining >= 3) kind = 'incrby';
    else if (isOption(sub, 'overflow') && remaining >= 1) {
      const o = overflowOrReply(c, argv[++j]);
      if (o === null) return null;
      overflow = o;
      continue;
    } else {
      c.reply.error(SYNTAX);
      return null;
    }
    const type = fieldTypeOrReply(c, argv[j + 1]);
    if (type === null) return null;
    const offset = bitOffsetOrReply(c, argv[j + 2], true, type.bits);
    if (offset === null) return null;
    let value = 0n;
    if (kind !== 'get') {
      const n = parseInt64(argv[j + 3]);
      if (n === null) {
        c.reply.error(NOT_INTEGER);
        return null;
      }
      value = BigInt(n);
    }
    ops.push({ kind, signed: type.signed, bits: type.bits, offset, value, overflow });
    j += kind === 'get' ? 2 : 3;
  }
  return ops;
}

/** getUnsignedBitfield: `bits` bits from bit `offset`, most significant first. */
function readField(bytes: Uint8Array, offset: number, bits: number): bigint {
  let value = 0n;
  for (let j = 0; j < bits; j++, offset++) {
    const bit = (bytes[Math.floor(offset / 8)] >> (7 - (offset % 8))) & 1;
    value = (value << 1n) | BigInt(bit);
  }
  return value;
}

/** setUnsignedBitfield: the low `bits` bits of `value` at bit `offset`. */
function writeField(bytes: Uint8Array, offset: number, bits: number, value: bigint): void {
  for (let j = 0; j < bits; j++, offset++) {
    const bit = Number((value >> BigInt(bits - 1 - j)) & 1n);
    const byte = Math.floor(offset / 8);
    const shift = 7 - (offset % 8);
    bytes[byte] = (bytes[byte] & ~(1 << shift)) | (bit << shift);
  }
}

/** A field's value as its type reads it: two's complement for a signed one. */
function asFieldValue(raw: bigint, op: FieldOp): bigint {
  return op.signed ? BigInt.asIntN(op.bits, raw) : raw;
}

/**
 * checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow: `value + incr` in the
 * field's type, with int64 (signed) or uint64 (unsigned) arithmetic as in C; the result
 * after WRAP or SAT, or null when it overflows (FAIL leaves the field as it is).
 */
function fieldResult(value: bigint, incr: bigint, op: FieldOp): bigint | null {
  const bits = BigInt(op.bits);
  let max: bigint;
  let min: bigint;
  let overflowHigh: boolean;
  let overflowLow: boolean;
  if (op.signed) {
    max = (1n << (bits - 1n)) - 1n;
    min = -max - 1n;
    const maxincr = BigInt.asIntN(64, max - value);
    const minincr = BigInt.asIntN(64, min - value);
    overflowHigh = value > max || (op.bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr);
    overflowLow = !overflowHigh && (value < min || (op.bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr));
  } else {
    max = (1n << bits) - 1n;
    min = 0n;
    const maxincr = BigInt.asIntN(64, max - value);
    const minincr = BigInt.asIntN(64, -value);
    overflowHigh = value > max || (incr > 0n && incr > maxincr);
    overflowLow = !overflowHigh && incr < 0n && incr < minincr;
  }
  if (!overflowHigh && !overflowLow) return op.signed ? BigInt.asIntN(64, value + incr) : BigInt.asUintN(64, value + incr);
  if (op.overflow === Overflow.Fail) return null;
  if (op.overflow === Overflow.Sat) return overflowHigh ? max : min;
  const sum = BigInt.asUintN(64, value + incr);
  return op.signed ? BigInt.asIntN(op.bits, sum) : BigInt.asUintN(op.bits, sum);
}

/** A SET or INCRBY on the field; its reply (null for a FAIL), and whether the field changed. */
function writeFieldOp(bytes: Uint8Array, op: FieldOp): { reply: bigint | null; changed: boolean } {
  const old = asFieldValue(readField(bytes, op.offset, op.bits), op);
  // SET checks its value as an increment of 0 from it; an unsigned one is the value's uint64.
  const result = op.kind === 'incrby' ? fieldResult(old, op.value, op) : fieldResult(op.signed ? op.value : BigInt.asUintN(64, op.value), 0n, op);
  if (result === null) return { reply: null, changed: false };
  writeField(bytes, op.offset, op.bits, result);
  return { reply: op.kind === 'incrby' ? result : old, changed: result !== old };
}

/** A GET on the field of a string value (missing bytes read as zeros). */
function readFieldOp(v: StringValue | undefined, op: FieldOp): bigint {
  const byte = Math.floor(op.offset / 8);
  const window = new Uint8Array(9);
  for (let i = 0; v !== undefined && i < 9 && byte + i < v.length; i++) window[i] = byteAt(v, byte + i);
  return asFieldValue(readField(window, op.offset - byte * 8, op.bits), op);
}

function bitfieldGeneric(c: Client, argv: string[], readOnly: boolean): void {
  const key = argv[1];
  const ops = fieldOpsOrReply(c, argv);
  if (ops === null) return;
  let maxBit = -1;
  for (const op of ops) if (op.kind !== 'get') maxBit = Math.max(maxBit, op.offset + op.bits - 1);
  let target: BitString | null = null;
  let v: StringValue | undefined;
  if (maxBit < 0) {
    const found = readStringOrReply(c, key);
    if (found === null) return;
    v = found;
  } else {
    if (readOnly) return c.reply.error(BITFIELD_RO_GET_ONLY);
    if ((target = bitStringOrReply(c, key, maxBit)) === null) return;
    v = target.bytes;
  }
  c.reply.array(ops.length);
  let changes = 0;
  for (const op of ops) {
    if (op.kind === 'get') {
      c.reply.int(readFieldOp(v, op));
      continue;
    }
    const { reply, changed } = writeFieldOp(target!.bytes.editable(), op);
    if (reply === null) c.reply.nil();
    else {
      c.reply.int(reply);
      if (target!.grown || changed) changes++;
    }
  }
  if (changes > 0) {
    c.engine.keyChanged(c.db, key, changes);
    notify(c.engine, NotifyFlag.String, 'setbit', key, c.db.id);
  } else if (target?.grown === true) {
    c.engine.changed();
  }
}

function bitfield(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, false);
}

function bitfieldRo(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, true);
}

export const bitmapCommands: readonly CommandDef<Client>[] = [
  { name: 'setbit', handler: setbit },
  { name: 'getbit', handler: getbit },
  { name: 'bitcount', handler: bitcount },
  { name: 'bitpos', handler: bitpos },
  { name: 'bitop', handler: bitop },
  { name: 'bitfield', handler: bitfield },
  { name: 'bitfield_ro', handler: bitfieldRo },
];
