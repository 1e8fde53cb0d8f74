/**
 * RESP2/RESP3 reply writer. Replies accumulate as one latin1 string (V8 ropes make
 * appending cheap) that the connection writes once per event-loop turn
 * (DESIGN.md decision 3). Every string given here must already be latin1 bytes.
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

  constructor(public resp: Protocol = 2) {}

  /** Takes the pending output, leaving the writer empty. */
  take(): string {
    const out = this.out;
    this.out = '';
    return out;
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
  return formatG(d, 17);
}

/** C's `%.<precision>g`: shortest of fixed or exponent notation, trailing zeros removed. */
export function formatG(d: number, precision: number): string {
  let s = d.toExponential(precision - 1);
  // toExponential may round up into the next decade (9.99..e2 -> 1.00e3): use its exponent.
  const e = parseInt(s.slice(s.indexOf('e') + 1), 10);
  if (e < -4 || e >= precision) {
    let [mant, ex] = s.split('e');
    if (mant.includes('.')) mant = mant.replace(/\.?0+$/, '');
    const sign = ex[0] === '-' ? '-' : '+';
    const digits = ex.replace(/^[+-]/, '').padStart(2, '0');
    return mant + 'e' + sign + digits;
  }
  s = d.toFixed(Math.max(0, precision - 1 - e));
  if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  return s;
}
