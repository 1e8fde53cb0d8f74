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

/** Splits a byte stream into whole raw replies, keeping what is incomplete for later. */
export class ReplyFramer {
  private buf: Buffer = Buffer.alloc(0);

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
