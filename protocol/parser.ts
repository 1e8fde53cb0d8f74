/**
 * Streaming RESP request parser: multibulk (`*N\r\n$L\r\n...`) and inline commands.
 *
 * It mirrors redis-server's `processMultibulkBuffer`/`processInlineBuffer`: the same
 * limits, the same error texts, and the same acceptance of integers (`string2ll`).
 * Arguments come out as latin1 strings, one char per byte (ARCHITECTURE.md, "Bytes as
 * latin1 strings"), except bulks longer than LARGE_BULK: those come out as Buffers (a
 * `LargeCommand`), kept off the V8 heap and never turned into a string longer than V8
 * allows.
 *
 * Usage: `feed()` every chunk read from the socket, then call `next()` until it
 * returns null. After a protocol error `error` holds the message to reply with
 * and the parser yields nothing more: the connection must be closed.
 */

/** Longest inline request, and longest `*N`/`$N` header line, redis-server accepts. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
const INT_MAX = 2147483647;
/** Smallest buffer a bulk spanning reads is assembled in (one socket read's worth). */
const PARTIAL_MIN_CAPACITY = 64 * 1024;

const NUL = 0;
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const EMPTY = Buffer.alloc(0);

/**
 * Bulks longer than this come out as Buffers rather than strings. 1 MiB: below it a
 * JS string costs the same to build and is faster to use; above it a Buffer avoids
 * copying the bytes into the V8 heap (the bulk's buffer is handed over as it is), and
 * it is the only way past V8's string limit (2^29-24 chars) up to `proto-max-bulk-len`.
 */
export const LARGE_BULK = 1024 * 1024;

/** An argument as the parser yields it: a latin1 string, or the bytes of a bulk longer than LARGE_BULK. */
export type RawArg = string | Buffer;

/** A command with at least one bulk longer than LARGE_BULK (rare: `next` yields plain string arrays otherwise). */
export class LargeCommand {
  constructor(readonly args: RawArg[]) {}
}

/**
 * `buf.latin1Slice(start, end)`, made in JS for a short bulk not among the recent strings
 * (a new key, a number, a short value) of up to 8 bytes: String.fromCharCode builds it
 * without latin1Slice's call into C++, 10-14 ns against 43 in Node 20. The same string.
 */
function latin1(buf: Buffer, start: number, end: number): string {
  const b = start;
  switch (end - start) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(buf[b]);
    case 2:
      return String.fromCharCode(buf[b], buf[b + 1]);
    case 3:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2]);
    case 4:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2], buf[b + 3]);
    case 5:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2], buf[b + 3], buf[b + 4]);
    case 6:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2], buf[b + 3], buf[b + 4], buf[b + 5]);
    case 7:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2], buf[b + 3], buf[b + 4], buf[b + 5], buf[b + 6]);
    case 8:
      return String.fromCharCode(buf[b], buf[b + 1], buf[b + 2], buf[b + 3], buf[b + 4], buf[b + 5], buf[b + 6], buf[b + 7]);
    default:
      return buf.latin1Slice(start, end);
  }
}

/**
 * Strings made lately from short bulks, in slots by length and first and last bytes:
 * a bulk holding the same bytes as its slot's string is that string again rather than a
 * new one. Command lines repeat their short arguments (the command's name, a key, a
 * field name, an option), the more so a leader's stream: no string is made for them
 * (`latin1Slice` is a call into C++ and an allocation, the most costly part of parsing),
 * and the hash a Map lookup needs is computed once (V8 keeps it in the string). A bulk
 * that misses costs a few compares more, and takes the slot.
 *
 * Each slot keeps its string's bytes as well, and a bulk is compared with those, from
 * its last byte back (numbered keys differ at the end): a byte load costs a fraction of
 * the 2-3 ns of a `charCodeAt` of a string V8 cannot see the representation of, and a
 * 20-byte key is compared in about a quarter of the time.
 */
class RecentStrings {
  private readonly strings: string[];
  /** The bytes of the string in slot i, at i * RECENT_MAX. */
  private readonly bytes: Uint8Array;

  constructor(private readonly mask: number) {
    this.strings = new Array<string>(mask + 1).fill('');
    this.bytes = new Uint8Array((mask + 1) * RECENT_MAX);
  }

  /** `buf.latin1Slice(start, end)` (at most RECENT_MAX bytes), or the string in its slot when that holds these bytes. */
  slice(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    const slot = (len * 7 + buf[start] * 3 + buf[end - 1]) & this.mask;
    const known = this.strings[slot];
    const bytes = this.bytes;
    const at = slot * RECENT_MAX;
    if (known.length === len) {
      let i = len - 1;
      while (i >= 0 && bytes[at + i] === buf[start + i]) i--;
      if (i < 0) return known;
    }
    for (let i = 0; i < len; i++) bytes[at + i] = buf[start + i];
    return (this.strings[slot] = latin1(buf, start, end));
  }
}

/** Longest bulk looked up in the recent strings: every command name is shorter. */
const RECENT_MAX = 24;
/**
 * Command names, shared by every parser (apart from the other arguments, which must
 * not push the names out).
 */
const names = new RecentStrings(63);
/** The other short arguments, shared by every parser. */
const args = new RecentStrings(255);

/** The argv between commands: never written to (a command's header replaces it first). */
const NO_ARGS: string[] = [];

/**
 * A command's argv, sized for its `count` arguments when they are few: an array literal
 * of empty strings, filled in place, where pushing to an empty array allocates room for
 * 17 and calls a builtin per argument (3-4% of a pipelined HSET's CPU). Longer command
 * lines grow as their arguments arrive (a `*N` header alone must not reserve N slots).
 */
function argvFor(count: number): string[] {
  switch (count) {
    case 1:
      return [''];
    case 2:
      return ['', ''];
    case 3:
      return ['', '', ''];
    case 4:
      return ['', '', '', ''];
    case 5:
      return ['', '', '', '', ''];
    case 6:
      return ['', '', '', '', '', ''];
    default:
      return [];
  }
}

export class RespParser {
  /** Largest bulk argument accepted (`proto-max-bulk-len`). */
  maxBulkLen = 512 * 1024 * 1024;
  /** While true, the limits redis-server applies before AUTH hold (10 args, 16 KB bulks). */
  unauthenticated = false;
  /** Set once the input is not valid RESP; the message to send, without the leading '-'. */
  error: string | null = null;

  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Arguments still expected by the multibulk being read; 0 when between commands. */
  private pendingArgs = 0;
  /** Length of the bulk whose `$N` header was read, or -1. */
  private bulkLen = -1;
  /** The arguments of the command being read: the first `argc` of them (see `argvFor`). */
  private argv: string[] = NO_ARGS;
  private argc = 0;
  /** The arguments of the current command once one of them is a Buffer (they all move here); else null. */
  private large: RawArg[] | null = null;
  /**
   * A bulk whose header was read but whose bytes span reads is assembled here, sized
   * for it, so each input byte is copied once: re-concatenating the unread input on
   * every read would be quadratic in the bulk's size.
   */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  /** Where the line read by `plainCount` ends (its '\r'). */
  private countEnd = 0;

  feed(chunk: Buffer): void {
    if (this.error !== null) return;
    if (this.partial !== null) chunk = this.fillPartial(chunk);
    if (chunk.length === 0) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      // Only an incomplete header or inline line (at most 64 KB) is ever carried over.
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /**
   * Copies the input not consumed yet out of the Buffer last fed, for a reader that
   * reuses that Buffer for its next read (broker/net/direct-read.ts).
   */
  keepInput(): void {
    if (this.pos >= this.buf.length) return;
    this.buf = Buffer.from(this.buf.subarray(this.pos));
    this.pos = 0;
  }

  /**
   * Room allocated for input not received yet: the rest of the Buffer a long bulk is
   * being assembled in (CLIENT LIST qbuf-free; redis-server's sdsavail of its query buffer).
   */
  get reservedBytes(): number {
    return this.partial === null ? 0 : this.partial.length - this.partialFilled;
  }

  /** Bytes of the arguments of the command being read, so far (CLIENT LIST argv-mem while a command arrives). */
  get argsBytesSoFar(): number {
    let n = 0;
    // The slots past `argc` hold empty strings.
    for (const a of this.large ?? this.argv) n += a.length;
    return n;
  }

  /** Bytes received but not yet consumed as part of a complete command. */
  get pendingBytes(): number {
    return this.buf.length - this.pos + this.partialFilled;
  }

  /**
   * The next complete command, or null when more input is needed (or after an error):
   * its arguments as strings, or a LargeCommand when one of them is a long bulk.
   */
  next(): string[] | LargeCommand | null {
    while (this.error === null) {
      if (this.partial !== null) return null;
      // Between commands, unless a partial bulk just completed the last one.
      if (this.pendingArgs === 0 && this.argc === 0 && this.large === null) {
        if (this.pos >= this.buf.length) return this.release();
        if (this.buf[this.pos] !== STAR) {
          const inline = this.parseInline();
          if (inline === null) return null;
          if (inline.length === 0) continue;
          return inline;
        }
        const count = this.readHeader();
        if (count === undefined) return null;
        if (count <= 0) continue;
        this.pendingArgs = count;
        this.argv = argvFor(count);
      }
      if (!this.readBulks()) return null;
      return this.takeCommand();
    }
    return null;
  }

  /** The command just completed, leaving the parser ready for the next one. */
  private takeCommand(): string[] | LargeCommand {
    const large = this.large;
    if (large !== null) {
      this.large = null;
      return new LargeCommand(large);
    }
    const argv = this.argv;
    this.argv = NO_ARGS;
    this.argc = 0;
    return argv;
  }

  /** Adds a bulk to the current command: a string, or past LARGE_BULK its bytes. */
  private pushArg(arg: RawArg): void {
    if (this.large !== null) this.large.push(arg);
    else if (typeof arg === 'string') this.argv[this.argc++] = arg;
    else {
      this.large = this.argv.slice(0, this.argc);
      this.argv = NO_ARGS;
      this.argc = 0;
      this.large.push(arg);
    }
  }

  /** Drops the consumed input so a fully read buffer can be garbage collected. */
  private release(): null {
    this.buf = EMPTY;
    this.pos = 0;
    return null;
  }

  private fail(message: string): null {
    this.error = message;
    this.buf = EMPTY;
    this.pos = 0;
    this.partial = null;
    this.partialFilled = 0;
    this.argv = NO_ARGS;
    this.argc = 0;
    this.large = null;
    return null;
  }

  /**
   * Where the `*N`/`$N` line starting at `pos` ends (its '\r', followed by at least one
   * byte), or -1 while it is incomplete; fails once a line with no '\r' exceeds 64 KB.
   * redis-server finds the '\r' with strchr, which stops at a NUL byte: a NUL before
   * the '\r' leaves the line "incomplete" there too, so callers that reject a line
   * must first check `hasNul`.
   */
  private lineEnd(tooBig: string): number {
    const cr = this.buf.indexOf(CR, this.pos);
    if (cr >= 0) {
      if (cr + 1 < this.buf.length) return cr;
      this.hasNul(cr, tooBig);
      return -1;
    }
    if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) this.fail(tooBig);
    return -1;
  }

  /** A line redis-server would not have seen the end of (see `lineEnd`): wait, or fail if too big. */
  private hasNul(end: number, tooBig: string): boolean {
    const nul = this.buf.indexOf(NUL, this.pos);
    if (nul < 0 || nul >= end) return false;
    if (this.buf.length - this.pos > PROTO_INLINE_MAX_SIZE) this.fail(tooBig);
    return true;
  }

  /**
   * The fast path for the `*N`/`$N` line at `pos` as clients send it: 1 to 15 plain
   * digits (no sign, no leading zero), then '\r' with a byte after it. Returns N and
   * sets `countEnd` to the '\r'; returns -1 for anything else, which the exact path
   * (`lineEnd`, `parseLongLong`) then accepts, rejects or waits on.
   */
  private plainCount(): number {
    const buf = this.buf;
    const first = this.pos + 1;
    const last = buf.length - 1;
    let i = first;
    let n = 0;
    for (; i < last; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i >= last || buf[i] !== CR || i === first || i - first > 15 || (buf[first] === 48 && i - first > 1)) return -1;
    this.countEnd = i;
    return n;
  }

  /** Reads `*N\r\n`; returns N, or undefined when incomplete or invalid. */
  private readHeader(): number | undefined {
    const count = this.plainCount();
    if (count >= 0 && count <= INT_MAX && (count <= 10 || !this.unauthenticated)) {
      this.pos = this.countEnd + 2;
      return count;
    }
    const tooBig = 'ERR Protocol error: too big mbulk count string';
    const cr = this.lineEnd(tooBig);
    if (cr < 0) return undefined;
    const n = parseLongLong(this.buf, this.pos + 1, cr);
    if (n === undefined || n > INT_MAX) {
      if (!this.hasNul(cr, tooBig)) this.fail('ERR Protocol error: invalid multibulk length');
      return undefined;
    }
    if (n > 10 && this.unauthenticated) {
      this.fail('ERR Protocol error: unauthenticated multibulk length');
      return undefined;
    }
    this.pos = cr + 2;
    return n;
  }

  /** Reads the remaining bulks of the current multibulk; false when more input is needed. */
  private readBulks(): boolean {
    const buf = this.buf;
    while (this.pendingArgs > 0) {
      if (this.bulkLen < 0 && !this.readBulkHeader()) return false;
      const end = this.pos + this.bulkLen;
      if (end + 2 > buf.length) {
        this.startPartial();
        return false;
      }
      // A long bulk that came whole in one read still gets a buffer of its own: the
      // input buffer is shared with the following commands.
      if (this.bulkLen > LARGE_BULK) this.pushArg(Buffer.from(buf.subarray(this.pos, end)));
      else if (this.large !== null) this.pushArg(buf.latin1Slice(this.pos, end));
      else {
        const arg = this.bulkLen > RECENT_MAX ? buf.latin1Slice(this.pos, end) : (this.argc === 0 ? names : args).slice(buf, this.pos, end);
        this.argv[this.argc++] = arg;
      }
      this.pos = end + 2;
      this.bulkLen = -1;
      this.pendingArgs--;
    }
    return true;
  }

  /** Reads `$N\r\n` into `bulkLen`; false when incomplete or invalid. */
  private readBulkHeader(): boolean {
    const buf = this.buf;
    if (buf[this.pos] === DOLLAR) {
      const len = this.plainCount();
      if (len >= 0 && len <= this.maxBulkLen && (len <= 16384 || !this.unauthenticated)) {
        this.pos = this.countEnd + 2;
        this.bulkLen = len;
        return true;
      }
    }
    const tooBig = 'ERR Protocol error: too big bulk count string';
    const cr = this.lineEnd(tooBig);
    if (cr < 0) return false;
    if (buf[this.pos] !== DOLLAR) {
      if (!this.hasNul(cr, tooBig)) {
        // redis-server prints the byte with %c, then blanks CR/LF in error replies.
        const got = buf[this.pos] === CR || buf[this.pos] === LF ? ' ' : String.fromCharCode(buf[this.pos]);
        this.fail(`ERR Protocol error: expected '$', got '${got}'`);
      }
      return false;
    }
    const len = parseLongLong(buf, this.pos + 1, cr);
    if (len === undefined || len < 0 || len > this.maxBulkLen) {
      if (!this.hasNul(cr, tooBig)) this.fail('ERR Protocol error: invalid bulk length');
      return false;
    }
    if (len > 16384 && this.unauthenticated) {
      this.fail('ERR Protocol error: unauthenticated bulk length');
      return false;
    }
    this.pos = cr + 2;
    this.bulkLen = len;
    return true;
  }

  /** Moves the received part of the current bulk (and its CRLF) into a buffer of its own. */
  private startPartial(): void {
    const received = this.buf.length - this.pos;
    const partial = Buffer.allocUnsafe(this.partialCapacity(received));
    this.partialFilled = this.buf.copy(partial, 0, this.pos);
    this.partial = partial;
    this.buf = EMPTY;
    this.pos = 0;
  }

  /**
   * Room for `needed` bytes of the partial bulk: doubling as input arrives, up to the
   * bulk's full size. A client declaring a huge `$N` and sending little thus holds
   * memory in proportion to what it sent, not to what it announced.
   */
  private partialCapacity(needed: number): number {
    return Math.min(this.bulkLen + 2, Math.max(needed, PARTIAL_MIN_CAPACITY, 2 * (this.partial?.length ?? 0)));
  }

  /** Copies input into the partial bulk; returns what is left of the chunk after it. */
  private fillPartial(chunk: Buffer): Buffer {
    let partial = this.partial!;
    const total = this.bulkLen + 2;
    const wanted = Math.min(total, this.partialFilled + chunk.length);
    if (wanted > partial.length) {
      const grown = Buffer.allocUnsafe(this.partialCapacity(wanted));
      partial.copy(grown, 0, 0, this.partialFilled);
      this.partial = partial = grown;
    }
    const copied = chunk.copy(partial, this.partialFilled, 0, wanted - this.partialFilled);
    this.partialFilled += copied;
    if (this.partialFilled < total) return EMPTY;
    // The buffer was sized for this bulk: a long one is handed over as it is.
    this.pushArg(this.bulkLen > LARGE_BULK ? partial.subarray(0, this.bulkLen) : partial.latin1Slice(0, this.bulkLen));
    this.partial = null;
    this.partialFilled = 0;
    this.bulkLen = -1;
    this.pendingArgs--;
    return chunk.subarray(copied);
  }

  /** Parses one inline command line; null when incomplete or invalid. */
  private parseInline(): string[] | null {
    const buf = this.buf;
    const lf = buf.indexOf(LF, this.pos);
    const end = lf > this.pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const line = lf < 0 ? '' : buf.latin1Slice(this.pos, end);
    // As for headers, redis-server's strchr for '\n' stops at a NUL byte.
    if (lf < 0 || line.indexOf('\0') >= 0) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) {
        this.fail('ERR Protocol error: too big inline request');
      }
      return null;
    }
    const argv = splitArgs(line);
    if (argv === null) return this.fail('ERR Protocol error: unbalanced quotes in request');
    this.pos = lf + 1;
    return argv;
  }
}

const LLONG_MAX_DIGITS = '9223372036854775807';
const LLONG_MIN_DIGITS = '9223372036854775808';

/**
 * redis-server's `string2ll` over buf[start, end): an optional '-', then digits with
 * no leading zero, fitting in a signed 64-bit integer (checked exactly). Values beyond
 * 2^53 come back rounded, which is harmless: every caller rejects them as too large,
 * and only their sign matters for the `*N` count.
 */
function parseLongLong(buf: Buffer, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end || end - start > 20) return undefined;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i >= end) return undefined;
  }
  if (buf[i] === 48) return i + 1 === end && !negative ? 0 : undefined;
  let n = 0;
  for (let j = i; j < end; j++) {
    const d = buf[j] - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  // 19 digits may overflow 64 bits: compare digit strings of equal length.
  if (end - i === 19 && buf.latin1Slice(i, end) > (negative ? LLONG_MIN_DIGITS : LLONG_MAX_DIGITS)) return undefined;
  if (end - i > 19) return undefined;
  return negative ? -n : n;
}

const isSpace = (c: string): boolean =>
  c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
const isHex = (c: string): boolean =>
  (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

/**
 * redis-server's `sdssplitargs`: whitespace-separated words, "double quotes" with
 * C escapes (\n \r \t \b \a \xHH), 'single quotes' with \' only. Returns null on
 * unbalanced quotes or a closing quote not followed by a space. A NUL byte ends
 * the line, as it does for the C string redis-server splits.
 */
export function splitArgs(line: string): string[] | null {
  const nul = line.indexOf('\0');
  if (nul >= 0) line = line.slice(0, nul);
  const at = (i: number): string => (i < line.length ? line[i] : '');
  const args: string[] = [];
  let p = 0;
  for (;;) {
    while (p < line.length && isSpace(line[p])) p++;
    if (p >= line.length) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (c === '\\' && at(p + 1) === 'x' && isHex(at(p + 2)) && isHex(at(p + 3))) {
          current += String.fromCharCode(parseInt(line.slice(p + 2, p + 4), 16));
          p += 3;
        } else if (c === '\\' && at(p + 1) !== '') {
          p++;
          const e = line[p];
          current += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (at(p + 1) !== '' && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === '') {
          return null;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (c === '\\' && at(p + 1) === "'") {
          p++;
          current += "'";
        } else if (c === "'") {
          if (at(p + 1) !== '' && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === '') {
          return null;
        } else {
          current += c;
        }
      } else if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '') {
        done = true;
      } else if (c === '"') {
        inDouble = true;
      } else if (c === "'") {
        inSingle = true;
      } else {
        current += c;
      }
      if (p < line.length) p++;
    }
    args.push(current);
  }
}
