/**
 * Signed 64-bit integers as redis-server parses and adds them (`string2ll`,
 * INCRBY's overflow checks), exact over the whole range.
 *
 * Values travel as `Int64`: a JS number while |v| <= 2^53-1 (the fast, common case),
 * a bigint only beyond that. Keeping the representation canonical (a bigint is never
 * a safe integer) lets callers compare and format without normalising first.
 */

export type Int64 = number | bigint;

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** redis-server's LONG_STR_SIZE: strings this long or longer are never integers. */
const LONG_STR_SIZE = 21;
/** Up to this many digits the value stays below 2^53, so plain arithmetic is exact. */
const SAFE_DIGITS = 15;

/** A bigint in range as an `Int64`: a number when that is exact. */
function fromBig(v: bigint): Int64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/**
 * `string2ll`: an optional '-', then either a single "0" or digits without a leading
 * zero, nothing else (no '+', no spaces, no "-0"), within int64. Null when invalid.
 */
export function parseInt64(s: string): Int64 | null {
  const len = s.length;
  if (len === 0 || len >= LONG_STR_SIZE) return null;
  let i = 0;
  let c = s.charCodeAt(0);
  const negative = c === 45; /* '-' */
  if (negative) {
    if (len === 1) return null;
    c = s.charCodeAt(++i);
  }
  if (c < 49 || c > 57) return c === 48 && len === 1 ? 0 : null; /* first digit 1-9, or "0" alone */
  if (len - i <= SAFE_DIGITS) {
    let v = c - 48;
    for (i++; i < len; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      v = v * 10 + (c - 48);
    }
    return negative ? -v : v;
  }
  for (i++; i < len; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? null : fromBig(v);
}

/** A long long result as an Int64: wraps modulo 2^64 as C does. */
export function toInt64(v: bigint): Int64 {
  return fromBig(BigInt.asIntN(64, v));
}

/** A uint64 counter as redis-server replies it through a long long: from 2^63 up it wraps negative. */
export function asLongLong(v: number | bigint): Int64 {
  return typeof v === 'number' ? v : toInt64(v);
}

/** a + b, or null when the sum leaves the int64 range (INCRBY's overflow error). */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    // Both operands are below 2^53, so a rounded sum is always outside this window.
    if (sum <= Number.MAX_SAFE_INTEGER && sum >= -Number.MAX_SAFE_INTEGER) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  return sum > INT64_MAX || sum < INT64_MIN ? null : fromBig(sum);
}

/** -v, or null for INT64_MIN (whose negation does not fit). */
export function negateInt64(v: Int64): Int64 | null {
  if (typeof v === 'number') return 0 - v; // never -0
  return v === INT64_MIN ? null : fromBig(-v);
}

/** a * b, or null when the product leaves the int64 range. */
export function mulInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const product = a * b;
    // An exact product beyond 2^53 rounds to a value that is still beyond it.
    if (product <= Number.MAX_SAFE_INTEGER && product >= -Number.MAX_SAFE_INTEGER) return product;
  }
  const product = BigInt(a) * BigInt(b);
  return product > INT64_MAX || product < INT64_MIN ? null : fromBig(product);
}

/** Compares two Int64 values: negative, zero or positive like a sort comparator. */
export function compareInt64(a: Int64, b: Int64): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
