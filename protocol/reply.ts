/**
 * RESP2/RESP3 reply writer. Replies accumulate as one latin1 string (V8 ropes make
 * appending cheap) that the connection writes once per event-loop turn
 * (ARCHITECTURE.md, "Replies"). Every string given here must already be latin1 bytes.
 */

export type Protocol = 2 | 3;

/** A reply value whose RESP type is explicit, for data-driven replies (COMMAND, INFO...). */
export type RespValue =
  | string // bulk string
  | number // integer
  | null // null bulk
  | RespValue[] // array
  | { simple: string }
  | { map: [RespValue, RespValue][] }
  | { set: RespValue[] };

export class Reply {
  /** Pending bytes not yet handed to the socket. */
  out = '';
  /** Error replies written so far; lets callers tell whether a command failed. */
  errors = 0;
  /** Called with each error reply's text, for INFO errorstats. */
  onError: ((message: string) => void) | null = null;
  /**
   * Where pushes begin and end, while `trackPushes` is on, as positions in everything
   * ever written here (`position`), which stay valid when the output is taken.
   */
  private pushSpans: number[] | null = null;
  /** Characters taken so far: `out` starts at this position. */
  private taken = 0;

  constructor(public resp: Protocol = 2) {}

  /** Takes the pending output, leaving the writer empty. */
  take(): string {
    const out = this.out;
    this.out = '';
    this.taken += out.length;
    return out;
  }

  /** Takes the pending output up to `position` (a `position` value), leaving the rest. */
  takeUpTo(position: number): string {
    const n = position - this.taken;
    if (n >= this.out.length) return this.take();
    const out = this.out.slice(0, n);
    this.out = this.out.slice(n);
    this.taken = position;
    return out;
  }

  /** The position of the end of the output in everything ever written here. */
  get position(): number {
    return this.taken + this.out.length;
  }

  simple(s: string): void {
    this.out += '+' + s + '\r\n';
  }

  ok(): void {
    this.out += '+OK\r\n';
  }

  /** An error reply; `message` starts with its code, e.g. `ERR syntax error`. */
  error(message: string): void {
    // A newline inside an error would break the protocol; redis-server blanks them too.
    if (message.includes('\n') || message.includes('\r')) message = message.replace(/[\r\n]/g, ' ');
    this.errors++;
    if (this.onError !== null) this.onError(message);
    this.out += '-' + message + '\r\n';
  }

  int(n: number | bigint): void {
    this.out += ':' + n + '\r\n';
  }

  bulk(s: string): void {
    this.out += '$' + s.length + '\r\n' + s + '\r\n';
  }

  /** A bulk whose payload is bytes (a long string value kept off the V8 heap). */
  bulkBytes(payload: Uint8Array): void {
    // Until replies are encoded as bytes (issue 11), the payload joins the output string.
    this.out += '$' + payload.length + '\r\n' + Buffer.from(payload.buffer, payload.byteOffset, payload.length).latin1Slice() + '\r\n';
  }

  /** A bulk, or the null bulk for undefined/null. */
  bulkOrNil(s: string | null | undefined): void {
    if (s === null || s === undefined) this.nil();
    else this.out += '$' + s.length + '\r\n' + s + '\r\n';
  }

  /** The null bulk string (`$-1` / `_`). */
  nil(): void {
    this.out += this.resp === 2 ? '$-1\r\n' : '_\r\n';
  }

  /** The null array (`*-1` / `_`). */
  nilArray(): void {
    this.out += this.resp === 2 ? '*-1\r\n' : '_\r\n';
  }

  array(n: number): void {
    this.out += '*' + n + '\r\n';
  }

  /** A map of n pairs; a flat array of 2n elements in RESP2. */
  map(n: number): void {
    this.out += this.resp === 2 ? '*' + 2 * n + '\r\n' : '%' + n + '\r\n';
  }

  /** A set of n elements; an array in RESP2. */
  set(n: number): void {
    this.out += this.resp === 2 ? '*' + n + '\r\n' : '~' + n + '\r\n';
  }

  /** An out-of-band push of n elements; an array in RESP2. */
  push(n: number): void {
    this.out += this.resp === 2 ? '*' + n + '\r\n' : '>' + n + '\r\n';
  }

  /** Notes that a push (a pub/sub message or confirmation) began at `start` (a `position`) and ends here. */
  markPush(start: number): void {
    if (this.pushSpans !== null) this.pushSpans.push(start, this.position);
  }

  /** Records where pushes are from now on, until `settlePushes`. */
  trackPushes(): void {
    this.pushSpans = [];
  }

  /**
   * Stops recording pushes. With `dropFrom` (a `position`), drops the output written
   * since then that was not taken yet, except its pushes: CLIENT REPLY OFF mutes
   * replies, not pushes (redis-server's CLIENT_PUSHING flag).
   */
  settlePushes(dropFrom: number | null): void {
    const spans = this.pushSpans!;
    this.pushSpans = null;
    if (dropFrom === null) return;
    const from = Math.max(dropFrom, this.taken);
    let kept = '';
    for (let i = 0; i < spans.length; i += 2) {
      if (spans[i] >= from) kept += this.out.slice(spans[i] - this.taken, spans[i + 1] - this.taken);
    }
    this.out = this.out.slice(0, from - this.taken) + kept;
  }

  bool(b: boolean): void {
    if (this.resp === 2) this.out += b ? ':1\r\n' : ':0\r\n';
    else this.out += b ? '#t\r\n' : '#f\r\n';
  }

  /** A double as redis-server formats it (`%.17g`); a bulk string in RESP2. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 2) this.bulk(s);
    else this.out += ',' + s + '\r\n';
  }

  /** Verbatim text (`=len\r\ntxt:...`); a bulk string in RESP2. */
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 2) this.bulk(s);
    else this.out += '=' + (s.length + 4) + '\r\n' + format + ':' + s + '\r\n';
  }

  bulks(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.bulk(s);
  }

  /** Bytes already encoded as RESP, passed through unchanged. */
  raw(resp: string): void {
    this.out += resp;
  }

  value(v: RespValue): void {
    if (typeof v === 'string') this.bulk(v);
    else if (typeof v === 'number') this.int(v);
    else if (v === null) this.nil();
    else if (Array.isArray(v)) {
      this.array(v.length);
      for (const e of v) this.value(e);
    } else if ('simple' in v) this.simple(v.simple);
    else if ('map' in v) {
      this.map(v.map.length);
      for (const [k, e] of v.map) {
        this.value(k);
        this.value(e);
      }
    } else {
      this.set(v.set.length);
      for (const e of v.set) this.value(e);
    }
  }

  /**
   * Starts a reply whose element count is known only once it is written: returns
   * a mark to pass to `endDeferred`, which inserts the header before the elements.
   */
  beginDeferred(): string {
    const head = this.out;
    this.out = '';
    return head;
  }

  endDeferred(mark: string, kind: 'array' | 'map' | 'set', n: number): void {
    const body = this.out;
    this.out = mark;
    this[kind](n);
    this.out += body;
  }
}

/** C's `printf("%.17g", d)` as redis-server uses for doubles, with `inf`/`-inf`/`nan`. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // Below 2^53 (16 digits) String() prints an integer's exact digits, as %.17g does.
  if (Number.isSafeInteger(d)) return String(d);
  return formatG(d, 17);
}

/**
 * C's `%.<precision>g`: `precision` significant digits, rounded as glibc does (exact
 * value, ties to even), in fixed or exponent notation, trailing zeros removed.
 */
export function formatG(d: number, precision: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
  const sign = d < 0 || Object.is(d, -0) ? '-' : '';
  const { digits, exponent } = significantDigits(Math.abs(d), precision);
  let body: string;
  if (exponent < -4 || exponent >= precision) {
    const mantissa = trimZeros(digits[0] + '.' + digits.slice(1));
    const e = Math.abs(exponent);
    body = mantissa + (exponent < 0 ? 'e-' : 'e+') + (e < 10 ? '0' + e : String(e));
  } else if (exponent >= 0) {
    body = trimZeros(digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1));
  } else {
    body = trimZeros('0.' + '0'.repeat(-exponent - 1) + digits);
  }
  return sign + body;
}

/** Drops trailing zeros after a decimal point, and the point if nothing follows it. */
function trimZeros(s: string): string {
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * The first `precision` significant digits of x > 0 and the decimal exponent of the
 * first one. V8's toExponential rounds exact ties away from zero where glibc rounds
 * them to even, so a tie (the exact value ends with a 5 just past the last digit)
 * is detected and, when the last kept digit is even, rounded down instead.
 */
function significantDigits(x: number, precision: number): { digits: string; exponent: number } {
  const rounded = split(x.toExponential(precision - 1));
  const longer = split(x.toExponential(precision));
  if (longer.digits.charCodeAt(precision) === 53 && isExactly(x, longer.digits, longer.exponent - precision)) {
    const kept = longer.digits.slice(0, precision);
    if ((kept.charCodeAt(precision - 1) - 48) % 2 === 0) return { digits: kept, exponent: longer.exponent };
  }
  return rounded;
}

/** Digits and exponent of toExponential's `d.ddde±x`. */
function split(s: string): { digits: string; exponent: number } {
  const e = s.indexOf('e');
  return { digits: s[0] + s.slice(2, e), exponent: Number(s.slice(e + 1)) };
}

/** Whether x equals the integer `digits` times 10^power exactly (x finite and > 0). */
function isExactly(x: number, digits: string, power: number): boolean {
  // x = mantissa * 2^binaryPower exactly; compare both sides as integers.
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(bits.getUint32(4));
  let binaryPower = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    binaryPower = biased - 1075;
  }
  let left = BigInt(digits);
  let right = mantissa;
  if (power >= 0) left *= 10n ** BigInt(power);
  else right *= 10n ** BigInt(-power);
  if (binaryPower >= 0) right <<= BigInt(binaryPower);
  else left <<= BigInt(-binaryPower);
  return left === right;
}
