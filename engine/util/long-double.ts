/**
 * x87 80-bit `long double` arithmetic as redis-server does it for INCRBYFLOAT (and
 * HINCRBYFLOAT): `string2ld` (glibc `strtold` plus Redis's checks), one addition, and
 * `ld2string(..., LD_STR_HUMAN)` (`%.17Lf` with trailing zeros removed).
 *
 * JS numbers are only 64-bit doubles, so values are kept exactly as sign, 64-bit
 * significand and binary exponent in BigInt, and every step rounds exactly as the
 * hardware and glibc do (round to nearest, ties to even). This is not a hot path.
 */

/** A finite long double: (-1)^negative * significand * 2^exponent. */
export interface LongDouble {
  negative: boolean;
  /** Below 2^64; 0n for (signed) zero. */
  significand: bigint;
  exponent: number;
  /** `inf` was parsed; significand and exponent are then meaningless. */
  infinite: boolean;
}

/** Significand bits of the x87 extended format (explicit integer bit included). */
const PRECISION = 64;
/** Exponent of the smallest subnormal's only bit: 2^-16445. */
const MIN_EXPONENT = -16445;
/** Values at or above 2^16384 overflow to infinity. */
const MAX_BIT = 16384;
/** redis-server's MAX_LONG_DOUBLE_CHARS: longer inputs are rejected unparsed. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
/** Decimal exponents beyond these cannot produce a finite non-zero value. */
const MAX_DECIMAL_MAGNITUDE = 4933;
const MIN_DECIMAL_MAGNITUDE = -4952;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

function bitLength(v: bigint): number {
  if (v === 0n) return 0;
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

function zero(negative: boolean): LongDouble {
  return { negative, significand: 0n, exponent: 0, infinite: false };
}

/** An exponent written in the input, saturated so absurd ones stay plain numbers. */
function exponentOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = parseInt(text, 10);
  return Math.max(-1e9, Math.min(1e9, n));
}

/**
 * Rounds num/den * 2^exp2 (num, den > 0) to the nearest long double, ties to even,
 * with gradual underflow. Returns null on overflow; a zero when it underflows.
 */
function round(negative: boolean, num: bigint, den: bigint, exp2: number): LongDouble | null {
  // Scale so the integer quotient has 66 or 67 bits: enough for a guard bit plus sticky.
  const shift = PRECISION + 2 - (bitLength(num) - bitLength(den));
  const n = shift >= 0 ? num << BigInt(shift) : num;
  const d = shift >= 0 ? den : den << BigInt(-shift);
  const q = n / d;
  const inexact = n % d !== 0n;
  const qExponent = exp2 - shift;
  let drop = bitLength(q) - PRECISION;
  if (qExponent + drop < MIN_EXPONENT) drop = MIN_EXPONENT - qExponent;
  let significand = q >> BigInt(drop);
  const rest = q - (significand << BigInt(drop));
  const half = 1n << BigInt(drop - 1);
  if (rest > half || (rest === half && (inexact || (significand & 1n) === 1n))) significand++;
  let exponent = qExponent + drop;
  if (significand >> BigInt(PRECISION) !== 0n) {
    significand >>= 1n;
    exponent++;
  }
  if (significand === 0n) return zero(negative);
  if (bitLength(significand) + exponent > MAX_BIT) return null;
  return { negative, significand, exponent, infinite: false };
}

/**
 * `string2ld`: the whole string must be one number as `strtold` reads it (decimal,
 * hex float, `inf`/`infinity`), no leading space, not NaN, and neither overflowing
 * nor underflowing to zero. Null when invalid.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null;
  let m = DECIMAL.exec(s);
  if (m !== null) {
    const digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '');
    if (m[2] === '' && (m[3] ?? '') === '') return null;
    const negative = m[1] === '-';
    if (digits === '') return zero(negative);
    const e10 = exponentOf(m[4]) - (m[3] ?? '').length;
    const magnitude = digits.length - 1 + e10;
    if (magnitude > MAX_DECIMAL_MAGNITUDE || magnitude < MIN_DECIMAL_MAGNITUDE) return null;
    const d = BigInt(digits);
    const r = e10 >= 0 ? round(negative, d * 10n ** BigInt(e10), 1n, 0) : round(negative, d, 10n ** BigInt(-e10), 0);
    return r === null || r.significand === 0n ? null : r;
  }
  m = HEX.exec(s);
  if (m !== null) {
    const hex = (m[2] + (m[3] ?? '')).replace(/^0+/, '');
    if (m[2] === '' && (m[3] ?? '') === '') return null;
    const negative = m[1] === '-';
    if (hex === '') return zero(negative);
    const e2 = exponentOf(m[4]) - 4 * (m[3] ?? '').length;
    if (e2 + 4 * hex.length > MAX_BIT + 4 || e2 + 4 * hex.length < MIN_EXPONENT - 4) return null;
    const r = round(negative, BigInt('0x' + hex), 1n, e2);
    return r === null || r.significand === 0n ? null : r;
  }
  m = INFINITY.exec(s);
  if (m !== null) return { negative: m[1] === '-', significand: 0n, exponent: 0, infinite: true };
  return null;
}

/** a + b, or null when the result is NaN or infinite (INCRBYFLOAT's error). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) return null;
  if (a.significand === 0n && b.significand === 0n) return zero(a.negative && b.negative);
  if (a.significand === 0n) return b;
  if (b.significand === 0n) return a;
  const exp = Math.min(a.exponent, b.exponent);
  const x = a.significand << BigInt(a.exponent - exp);
  const y = b.significand << BigInt(b.exponent - exp);
  const sum = (a.negative ? -x : x) + (b.negative ? -y : y);
  if (sum === 0n) return zero(false);
  return round(sum < 0n, sum < 0n ? -sum : sum, 1n, exp);
}

const FRACTION_DIGITS = 17;

/** C's `%.<digits>Lf`: the exact binary value rounded to `digits` fraction digits, ties to even. */
export function formatFixed(v: LongDouble, digits: number): string {
  if (v.infinite) return v.negative ? '-inf' : 'inf';
  const fractionScale = 10n ** BigInt(digits);
  let scaled: bigint;
  if (v.exponent >= 0) {
    scaled = (v.significand << BigInt(v.exponent)) * fractionScale;
  } else {
    // glibc's printf rounds the exact binary value, ties to even.
    const num = v.significand * fractionScale;
    const shift = BigInt(-v.exponent);
    scaled = num >> shift;
    const rest = num - (scaled << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (scaled & 1n) === 1n)) scaled++;
  }
  const text = scaled.toString().padStart(digits + 1, '0');
  const sign = v.negative ? '-' : '';
  return digits === 0 ? sign + text : sign + text.slice(0, -digits) + '.' + text.slice(-digits);
}

/** `ld2string(LD_STR_HUMAN)`: `%.17Lf`, trailing fraction zeros and "-0" removed. */
export function formatLongDouble(v: LongDouble): string {
  const text = formatFixed(v, FRACTION_DIGITS).replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

/** A double as the long double it widens to, exactly (NaN is not expected). */
export function longDoubleOf(d: number): LongDouble {
  if (!Number.isFinite(d)) return { negative: d < 0, significand: 0n, exponent: 0, infinite: true };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return fraction === 0n ? zero(negative) : { negative, significand: fraction, exponent: -1074, infinite: false };
  return { negative, significand: fraction | (1n << 52n), exponent: biased - 1075, infinite: false };
}
