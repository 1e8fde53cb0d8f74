/**
 * The timeout argument of blocking commands given in seconds (BLPOP, BLMOVE, BLMPOP,
 * and the sorted-set ones), parsed as redis-server 7.0's getTimeoutFromObjectOrReply
 * with UNIT_SECONDS does it:
 *
 *   tval = (long long) ceill(strtold(arg) * 1000.0);  negative -> "timeout is negative"
 *
 * in x87 long double arithmetic. The exact steps matter at the edges: 0.0001 is a
 * 1 ms timeout (ceil), -0.0001 waits forever (it rounds up to 0), inf and anything
 * at or beyond 2^63 ms convert to LLONG_MIN and so are "negative", and a deadline
 * that overflows int64 when the current time is added never fires.
 */
import { INT64_MAX, parseInt64 } from './int64.js';
import { parseLongDouble, type LongDouble } from './long-double.js';
import { TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT } from '../errors.js';


/** Whole seconds up to this many take the fast path: their milliseconds are exact doubles. */
const FAST_SECONDS = 1e12;
const TWO_POW_63 = 1n << 63n;

/**
 * The timeout in ms (0: wait forever), or the error text. `nowMs` is the time the
 * deadline counts from, as redis-server adds `mstime()`.
 */
export function parseSecondsTimeout(arg: string, nowMs: number): number | string {
  let ms: number | bigint;
  const whole = parseInt64(arg);
  if (typeof whole === 'number' && whole >= 0 && whole <= FAST_SECONDS) {
    ms = whole * 1000;
  } else {
    const seconds = parseLongDouble(arg);
    if (seconds === null) return TIMEOUT_NOT_FLOAT;
    ms = ceilMillis(seconds);
  }
  if (ms < 0) return TIMEOUT_NEGATIVE;
  // The absolute deadline wraps past INT64_MAX: redis-server then never times out.
  if (BigInt(ms) + BigInt(nowMs) > INT64_MAX) return 0;
  return Number(ms);
}

/**
 * (long long) ceill(x * 1000.0) for a long double x: the product rounded to a 64-bit
 * significand (ties to even), rounded up to an integer; -1 stands for the LLONG_MIN
 * an infinite or out-of-range value converts to (only its sign matters).
 */
function ceilMillis(x: LongDouble): bigint {
  if (x.infinite) return -1n;
  let q = x.significand * 1000n;
  let e = x.exponent;
  const extra = q.toString(2).length - 64;
  if (extra > 0) {
    const kept = q >> BigInt(extra);
    const rest = q - (kept << BigInt(extra));
    const half = 1n << BigInt(extra - 1);
    q = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    e += extra;
  }
  // At or beyond 2^64: out of range whatever the sign.
  if (e > 0 && q.toString(2).length + e > 64) return -1n;
  let magnitude: bigint;
  if (e >= 0) magnitude = q << BigInt(e);
  else if (x.negative) magnitude = q >> BigInt(-e); // ceil of a negative value: floor of its magnitude
  else magnitude = (q + (1n << BigInt(-e)) - 1n) >> BigInt(-e);
  if (x.negative) return magnitude === 0n ? 0n : -1n;
  return magnitude >= TWO_POW_63 ? -1n : magnitude;
}
