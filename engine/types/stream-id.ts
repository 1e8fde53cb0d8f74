/**
 * Stream IDs: `<ms>-<seq>`, both parts exact unsigned 64-bit integers (ARCHITECTURE.md,
 * "Exact 64-bit stream IDs"), and the integer parsing redis-server applies to them.
 *
 * A `U64` is a JS number while it is a safe integer (the fast path: every ID a clock
 * produces) and a bigint above 2^53 - 1. One value has one representation, so `===`
 * is equality, and `<`/`>` compare numbers and bigints exactly even when mixed.
 */
import { parseInt64 } from '../util/int64.js';
import { cString } from '../util/c-string.js';

export type U64 = number | bigint;

export const U64_MAX = 0xffffffffffffffffn;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
const SAFE_MAX_BIG = BigInt(SAFE_MAX);

/** The canonical representation of a uint64: a number when safe, else a bigint. */
function exactU64(v: bigint): U64 {
  return v <= SAFE_MAX_BIG ? Number(v) : v;
}

/** v + 1; the caller guarantees v < 2^64 - 1. */
export function incU64(v: U64): U64 {
  return typeof v === 'number' && v < SAFE_MAX ? v + 1 : exactU64(BigInt(v) + 1n);
}

/** v - 1; the caller guarantees v > 0. */
function decU64(v: U64): U64 {
  return typeof v === 'number' ? v - 1 : exactU64(v - 1n);
}

/** High and low 32-bit halves, for compact storage in a Uint32Array. */
export function hi32(v: U64): number {
  return typeof v === 'number' ? Math.floor(v / 4294967296) : Number(v >> 32n);
}

export function lo32(v: U64): number {
  return typeof v === 'number' ? v >>> 0 : Number(v & 0xffffffffn);
}

export function fromHiLo(hi: number, lo: number): U64 {
  // Below 2^21 the high half leaves the value under 2^53: exact as a double.
  return hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

/**
 * Decimal text of a uint64. Millisecond timestamps (~1.7e12) are not small
 * integers for V8, and converting them directly is slow; two conversions of values
 * below 1e9 (which are) are about three times faster.
 */
export function u64String(v: U64): string {
  if (typeof v === 'bigint' || v < 1e9) return '' + v;
  const high = Math.floor(v / 1e9);
  const low = '' + (v - high * 1e9);
  return high + ZEROS[9 - low.length] + low;
}

export class StreamId {
  static readonly MIN = new StreamId(0, 0);
  static readonly MAX = new StreamId(U64_MAX, U64_MAX);

  constructor(
    readonly ms: U64,
    readonly seq: U64,
  ) {}

  compare(o: StreamId): number {
    if (this.ms !== o.ms) return this.ms < o.ms ? -1 : 1;
    if (this.seq !== o.seq) return this.seq < o.seq ? -1 : 1;
    return 0;
  }

  equals(o: StreamId): boolean {
    return this.ms === o.ms && this.seq === o.seq;
  }

  isZero(): boolean {
    return this.ms === 0 && this.seq === 0;
  }

  isMax(): boolean {
    return this.ms === U64_MAX && this.seq === U64_MAX;
  }

  /** The next ID (streamIncrID), or null when this is the last possible one. */
  next(): StreamId | null {
    if (this.seq !== U64_MAX) return new StreamId(this.ms, incU64(this.seq));
    if (this.ms === U64_MAX) return null;
    return new StreamId(incU64(this.ms), 0);
  }

  /** The previous ID (streamDecrID), or null when this is 0-0. */
  prev(): StreamId | null {
    if (this.seq !== 0) return new StreamId(this.ms, decU64(this.seq));
    if (this.ms === 0) return null;
    return new StreamId(decU64(this.ms), U64_MAX);
  }

  toString(): string {
    return u64String(this.ms) + '-' + u64String(this.seq);
  }
}

/** C's isspace() in the "C" locale. */
function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * glibc strtoull(s, &end, 10) where the whole string must be consumed: leading
 * whitespace and a sign are accepted, and a negative value wraps modulo 2^64.
 */
function strtoull(s: string): U64 | null {
  let i = 0;
  const len = s.length;
  while (i < len && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < len && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) neg = s.charCodeAt(i++) === 45;
  const digitsStart = i;
  while (i < len && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === digitsStart) return null;
  const v = BigInt(s.slice(digitsStart, i));
  if (v > U64_MAX) return null;
  return i === len ? exactU64(neg && v !== 0n ? (1n << 64n) - v : v) : null;
}

/** redis-server's string2ull: string2ll for the common case, strtoull otherwise. */
function string2ull(s: string): U64 | null {
  const ll = parseInt64(s);
  if (ll !== null) return ll < 0 ? null : ll;
  return strtoull(s);
}


/** Receives whether `<ms>-*` was used, when that form is accepted (XADD). */
export interface SeqGiven {
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply without the reply: `<ms>-<seq>`, `<ms>` (seq =
 * `missingSeq`), and unless `strict`, `-` and `+`. With `seqOut`, `<ms>-*` is
 * accepted and reported there. Null for an invalid ID: the caller replies INVALID_ID.
 */
export function parseStreamId(arg: string, missingSeq: U64, strict: boolean, seqOut?: SeqGiven): StreamId | null {
  if (arg.length > 127) return null;
  const s = cString(arg);
  if (s.length === 1) {
    const c = s.charCodeAt(0);
    if (c === 45 || c === 43) {
      if (strict) return null;
      if (seqOut !== undefined) seqOut.seqGiven = true;
      return c === 45 ? StreamId.MIN : StreamId.MAX;
    }
  }
  if (seqOut !== undefined) seqOut.seqGiven = true;
  const dash = s.indexOf('-');
  const ms = string2ull(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) return null;
  if (dash < 0) return new StreamId(ms, missingSeq);
  const rest = s.slice(dash + 1);
  if (seqOut !== undefined && rest === '*') {
    seqOut.seqGiven = false;
    return new StreamId(ms, 0);
  }
  const seq = string2ull(rest);
  return seq === null ? null : new StreamId(ms, seq);
}

/** The result of parsing one bound of XRANGE/XREVRANGE (and XAUTOCLAIM/XPENDING). */
export interface IntervalBound {
  id: StreamId;
  /** The `(` prefix: the bound itself is excluded. */
  exclusive: boolean;
}

/**
 * streamParseIntervalIDOrReply without the reply: an ID as `parseStreamId` takes it,
 * or `(<id>` for an exclusive bound (where `-`/`+` are invalid). Null for an invalid
 * ID: the caller replies INVALID_ID (see parseRangeStartOrReply in commands/stream-common.ts).
 */
export function parseIntervalId(arg: string, missingSeq: U64): IntervalBound | null {
  const exclusive = arg.length > 1 && arg.charCodeAt(0) === 40;
  const id = exclusive ? parseStreamId(arg.slice(1), missingSeq, true) : parseStreamId(arg, missingSeq, false);
  return id === null ? null : { id, exclusive };
}
