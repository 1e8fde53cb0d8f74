/**
 * Doubles read as redis-server reads them with glibc's `strtod`: decimal (correctly
 * rounded, as JS's Number does), hex floats (`0x1p3`) and `inf`/`infinity`.
 *
 * - `parseDouble` is getDoubleFromObject (ZADD scores, WEIGHTS): the whole string,
 *   no leading space, neither NaN nor an overflow to infinity nor an underflow to zero.
 * - `parseRangeDouble` is zslParseRange's bare strtod: leading space allowed, the
 *   empty string is 0, an overflow is infinity; only trailing bytes and NaN fail.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
/** C's isspace. */
const LEADING_SPACE = /^[ \t\n\v\f\r]+/;

/** The number `s` spells in full, with whether strtod would report ERANGE; null when not a number. */
function strtod(s: string): { value: number; range: boolean } | null {
  if (DECIMAL.test(s)) {
    const value = Number(s);
    const range = !Number.isFinite(value) || (value === 0 && /[1-9]/.test(s.replace(/[eE].*$/, '')));
    return { value, range };
  }
  let m = HEX.exec(s);
  if (m !== null && (m[2] !== '' || (m[3] ?? '') !== '')) {
    const digits = m[2] + (m[3] ?? '');
    const exponent = (m[4] === undefined ? 0 : parseInt(m[4], 10)) - 4 * (m[3] ?? '').length;
    const mantissa = Number(BigInt('0x' + (digits === '' ? '0' : digits)));
    const value = (m[1] === '-' ? -1 : 1) * mantissa * 2 ** exponent;
    return { value, range: !Number.isFinite(value) || (value === 0 && /[1-9a-fA-F]/.test(digits)) };
  }
  m = INFINITY.exec(s);
  if (m !== null) return { value: m[1] === '-' ? -Infinity : Infinity, range: false };
  return null;
}

/**
 * The value of `end - start` chars of `text` from `start` when they spell a decimal
 * integer of at most 15 digits with an optional `-` (exact in a double, and what
 * strtod reads from them); NaN otherwise. Integer scores (times, counters) are the
 * common case, read without a regex or a string.
 */
export function decimalIntegerIn(text: string, start: number, end: number): number {
  const negative = text.charCodeAt(start) === 45;
  let i = negative ? start + 1 : start;
  if (i === end || end - i > 15) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** getDoubleFromObject; null when Redis refuses the string. */
export function parseDouble(s: string): number | null {
  const integer = decimalIntegerIn(s, 0, s.length);
  if (!Number.isNaN(integer)) return integer;
  if (s.length === 0 || LEADING_SPACE.test(s)) return null;
  const r = strtod(s);
  if (r === null || r.range) return null;
  return r.value;
}

/** zslParseRange's strtod (the bound without its `(`); null when Redis refuses it. */
export function parseRangeDouble(s: string): number | null {
  // strtod stops at a NUL, which the range parser then takes for the end.
  const nul = s.indexOf('\0');
  const bound = nul < 0 ? s : s.slice(0, nul);
  // Nothing read leaves the end pointer at the start: fine only when that is the end.
  if (bound === '') return 0;
  return strtod(bound.replace(LEADING_SPACE, ''))?.value ?? null;
}

/**
 * sortCommand's bare strtod over the whole C string: leading space allowed, the empty
 * string is 0 (nothing read, and the end pointer at the NUL), a result out of range
 * (ERANGE) and NaN fail; null when Redis refuses it.
 */
export function parseSortDouble(s: string): number | null {
  const nul = s.indexOf('\0');
  const text = nul < 0 ? s : s.slice(0, nul);
  if (text === '') return 0;
  const r = strtod(text.replace(LEADING_SPACE, ''));
  if (r === null || r.range || Number.isNaN(r.value)) return null;
  return r.value;
}
