/**
 * RESP2/RESP3 reply decoder: the other side of `Reply`. Used where this process reads
 * replies (a replica reading its primary, the command metadata generator, tests).
 */

export type Decoded =
  | string // bulk or verbatim string (latin1)
  | number // integer that fits a double exactly
  | bigint // integer beyond 2^53, or a RESP3 big number
  | null
  | Decoded[]
  | { simple: string }
  | { error: string }
  | { double: number }
  | { bool: boolean }
  | { map: [Decoded, Decoded][] }
  | { set: Decoded[] }
  | { push: Decoded[] };

export interface DecodeResult {
  value: Decoded;
  /** Offset just past the reply. */
  end: number;
}

const INCOMPLETE = undefined;

/** Decodes one reply starting at `pos`; undefined if `buf` does not hold all of it yet. */
function decodeReply(buf: Buffer, pos = 0): DecodeResult | undefined {
  const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
  if (lineEnd < 0) return INCOMPLETE;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.latin1Slice(pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: { simple: line }, end: next };
    case '-':
      return { value: { error: line }, end: next };
    case ':':
    case '(': {
      const n = BigInt(line);
      const fits = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
      return { value: type === ':' && fits ? Number(n) : n, end: next };
    }
    case ',':
      return { value: { double: parseDouble(line) }, end: next };
    case '#':
      return { value: { bool: line === 't' }, end: next };
    case '_':
      return { value: null, end: next };
    case '$':
    case '=': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (next + len + 2 > buf.length) return INCOMPLETE;
      const body = buf.latin1Slice(next, next + len);
      return { value: type === '=' ? body.slice(4) : body, end: next + len + 2 };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Decoded[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = decodeReply(buf, at);
        if (r === undefined) return INCOMPLETE;
        items.push(r.value);
        at = r.end;
      }
      const value = type === '*' ? items : type === '~' ? { set: items } : { push: items };
      return { value, end: at };
    }
    case '%':
    case '|': {
      const n = Number(line);
      const pairs: [Decoded, Decoded][] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const k = decodeReply(buf, at);
        if (k === undefined) return INCOMPLETE;
        const v = decodeReply(buf, k.end);
        if (v === undefined) return INCOMPLETE;
        pairs.push([k.value, v.value]);
        at = v.end;
      }
      if (type === '|') {
        // An attribute precedes the reply it annotates; callers want the reply.
        return decodeReply(buf, at);
      }
      return { value: { map: pairs }, end: at };
    }
    default:
      throw new Error(`invalid RESP type byte 0x${buf[pos].toString(16)} at offset ${pos}`);
  }
}

function parseDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s === 'nan') return NaN;
  return Number(s);
}

/** Decodes one whole reply (as `ReplyFramer.pushRaw` returns them). */
export function decodeWhole(raw: Buffer): Decoded {
  const r = decodeReply(raw, 0);
  if (r === undefined) throw new Error('incomplete RESP reply');
  return r.value;
}

const CR = 13;

/** The number of a RESP header line `<type><digits>` from `start` (after the type byte) to `end`. */
function headerNumber(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  for (; i < end; i++) n = n * 10 + (buf[i] - 0x30);
  return negative ? -n : n;
}

/**
 * The offset just past the reply that starts at `pos`, or -1 when `buf` does not hold
 * all of it yet: the framing of decodeReply without building any value (a reply
 * handed on as bytes is never decoded twice).
 */
export function replyEnd(buf: Buffer, pos: number): number {
  // Replies still to pass over: an aggregate's header adds its elements.
  let pending = 1;
  while (pending > 0) {
    if (pos >= buf.length) return -1;
    const lineEnd = buf.indexOf(CR, pos + 1);
    if (lineEnd < 0 || lineEnd + 1 >= buf.length) return -1;
    const next = lineEnd + 2;
    pending--;
    switch (buf[pos]) {
      case 0x24: // $
      case 0x3d: {
        // =
        const len = headerNumber(buf, pos + 1, lineEnd);
        pos = len < 0 ? next : next + len + 2;
        if (pos > buf.length) return -1;
        break;
      }
      case 0x2a: // *
      case 0x7e: // ~
      case 0x3e: // >
        pending += Math.max(0, headerNumber(buf, pos + 1, lineEnd));
        pos = next;
        break;
      case 0x25: // %
        pending += 2 * Math.max(0, headerNumber(buf, pos + 1, lineEnd));
        pos = next;
        break;
      case 0x7c: // |: an attribute's pairs, then the reply it annotates
        pending += 2 * Math.max(0, headerNumber(buf, pos + 1, lineEnd)) + 1;
        pos = next;
        break;
      case 0x2b: // + - : ( , # _
      case 0x2d:
      case 0x3a:
      case 0x28:
      case 0x2c:
      case 0x23:
      case 0x5f:
        pos = next;
        break;
      default:
        throw new Error(`invalid RESP type byte 0x${buf[pos].toString(16)} at offset ${pos}`);
    }
  }
  return pos;
}

/** Splits a byte stream into whole raw replies, keeping what is incomplete for later. */
export class ReplyFramer {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds input and returns each complete reply's raw bytes, undecoded. */
  pushRaw(chunk: Buffer): Buffer[] {
    const buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const end = replyEnd(buf, pos);
      if (end < 0) break;
      out.push(buf.subarray(pos, end));
      pos = end;
    }
    this.buf = buf.subarray(pos);
    return out;
  }

  /** Adds input and returns each complete reply as its raw bytes and decoded value. */
  push(chunk: Buffer): { raw: Buffer; value: Decoded }[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: { raw: Buffer; value: Decoded }[] = [];
    let pos = 0;
    for (;;) {
      if (pos >= this.buf.length) break;
      const r = decodeReply(this.buf, pos);
      if (r === undefined) break;
      out.push({ raw: this.buf.subarray(pos, r.end), value: r.value });
      pos = r.end;
    }
    this.buf = this.buf.subarray(pos);
    return out;
  }
}
