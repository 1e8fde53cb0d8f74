/**
 * The incremental AOF files' format: effects as RESP multibulk commands, exactly as
 * redis-server's feedAppendOnlyFile writes them. A unit of several effects (one EXEC,
 * or a command with extra effects) is wrapped in MULTI/EXEC so that it loads all or
 * nothing; SELECT precedes an effect whose db differs from the last one written.
 *
 * Reading mirrors loadSingleAppendOnlyFile: `#` annotation lines are skipped, every
 * command is `*<argc>` then `$<len>` arguments. Unlike redis-server, the CRLF after
 * each argument is checked, so a corrupted middle is caught where it starts.
 */
import type { Arg } from '../../../engine/command.js';
import type { Effect } from '../../../engine/engine.js';
import { LARGE_BULK, LargeCommand, type RawArg } from '../../../protocol/parser.js';
import { writeHeader } from '../../../protocol/reply.js';
import { byteLength, writeStringBytes } from '../../../protocol/packed-string.js';

/**
 * Bytes waiting for the AOF file (redis-server's aof_buf): RESP is encoded straight into
 * one reusable Buffer, which the writer hands to write(2) and then empties. Building
 * strings and converting them at write time cost about twice as much per effect.
 */
export class RespBuffer {
  bytes: Buffer;
  length = 0;

  constructor(capacity = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** One command as a RESP multibulk of bulk strings (a long value's bytes copied as they are). */
  command(argv: readonly Arg[]): void {
    // Room for the worst case first, then one pass with the offset in a local: this
    // runs for every effect (and for every write while followers are attached), and
    // per-byte property updates cost twice as much. Counts and lengths below 100,
    // nearly every one, are written here rather than through writeHeader: with that
    // the pass took 30% less time (a SET 125 ns -> 87, an XADD 290 -> 200, in-process
    // into the replication log, best of 20 loops, three runs).
    const argc = argv.length;
    let need = HEADER_MAX;
    for (let i = 0; i < argc; i++) need += HEADER_MAX + argLength(argv[i]) + 2;
    this.reserve(need);
    const b = this.bytes;
    let p = this.length;
    p = argc < 100 ? writeShortHeader(b, p, 0x2a, argc) : writeHeader(b, p, 0x2a, argc);
    for (let i = 0; i < argc; i++) {
      const arg = argv[i];
      if (typeof arg !== 'string') {
        p = writeHeader(b, p, 0x24, arg.length);
        b.set(arg, p);
        p += arg.length;
      } else {
        const n = arg.length;
        if (n < 100) p = writeShortHeader(b, p, 0x24, n);
        else {
          // Long enough to be a packed string (its byte count is not its length).
          p = writeHeader(b, p, 0x24, byteLength(arg));
          p += writeStringBytes(b, p, arg);
          b[p++] = 0x0d;
          b[p++] = 0x0a;
          continue;
        }
        // Short arguments: a loop beats the native call's fixed cost.
        if (n <= 32) for (let j = 0; j < n; j++) b[p++] = arg.charCodeAt(j);
        else p += b.latin1Write(arg, p, n);
      }
      b[p++] = 0x0d;
      b[p++] = 0x0a;
    }
    this.length = p;
  }

  /** Bytes already encoded (a replication stream passed on as received). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Bytes `from` to `to` of `src`, RESP encoded already (a unit's AOF bytes copied into the replication stream). */
  copy(src: Buffer, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    if (n > SHORT_COPY) src.copy(this.bytes, this.length, from, to);
    else {
      // A unit or a request of a few dozen bytes: a loop beats the native copy's fixed
      // cost (Node 20's Buffer.copy makes a Uint8Array of the range, about 80 ns a call).
      const b = this.bytes;
      let p = this.length;
      for (let i = from; i < to; i++) b[p++] = src[i];
    }
    this.length += n;
  }

  /** Drops the first `n` bytes (they reached the file). */
  consume(n: number): void {
    if (n < this.length) this.bytes.copy(this.bytes, 0, n, this.length);
    this.length = Math.max(0, this.length - n);
    // After a burst, give a large buffer back rather than keep it for good.
    if (this.length === 0 && this.bytes.length > SHRINK_ABOVE) this.bytes = Buffer.allocUnsafe(SHRINK_ABOVE);
  }

  /** Makes room for `n` more bytes after `length` (a subclass may start a new Buffer instead of growing this one). */
  protected reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/**
 * Writes `<type><n>\r\n` for 0 <= n < 100 (nearly every count and length of an effect)
 * at `p` in `b`; returns the offset after it. The general writeHeader's digit loop cost
 * this encoder 30% of its time.
 */
function writeShortHeader(b: Buffer, p: number, type: number, n: number): number {
  b[p] = type;
  if (n < 10) {
    b[p + 1] = 48 + n;
    b[p + 2] = 0x0d;
    b[p + 3] = 0x0a;
    return p + 4;
  }
  const tens = (n / 10) | 0;
  b[p + 1] = 48 + tens;
  b[p + 2] = 48 + n - 10 * tens;
  b[p + 3] = 0x0d;
  b[p + 4] = 0x0a;
  return p + 5;
}

/** Bytes `RespBuffer.command(argv)` writes: what a client sends for `argv` in RESP's shortest form. */
export function commandLength(argv: readonly Arg[]): number {
  const argc = argv.length;
  let n = headerLength(argc);
  for (let i = 0; i < argc; i++) {
    const len = argLength(argv[i]);
    n += headerLength(len) + len + 2;
  }
  return n;
}

/** Bytes of `<type><n>\r\n`. */
function headerLength(n: number): number {
  if (n < 10) return 4;
  if (n < 100) return 5;
  return 3 + String(n).length;
}

/** Bytes of an argument: a Buffer's, a latin1 string's, or a packed string's (protocol/packed-string.ts). */
function argLength(arg: Arg): number {
  return typeof arg === 'string' ? byteLength(arg) : arg.length;
}

/** Bytes up to which `RespBuffer.copy` copies in a loop. */
const SHORT_COPY = 64;

/** `*` or `$`, at most 16 digits (lengths and counts are below 2^53), CRLF. */
const HEADER_MAX = 19;

/** A pending buffer larger than this is reallocated at this size once it empties. */
const SHRINK_ABOVE = 4 * 1024 * 1024;

const MULTI = ['MULTI'];
const EXEC = ['EXEC'];

/** Encodes effect units, remembering the db the file is positioned on. */
export class EffectEncoder {
  /** The db of the last effect written; -1 forces a SELECT (a new file). */
  selectedDb = -1;

  /** Appends the RESP of one unit of effects to `out`. */
  encode(unit: readonly Effect[], out: RespBuffer): void {
    if (unit.length === 1) return this.effect(unit[0], out);
    out.command(MULTI);
    for (const e of unit) this.effect(e, out);
    out.command(EXEC);
  }

  private effect(e: Effect, out: RespBuffer): void {
    if (e.db !== this.selectedDb) {
      out.command(['SELECT', String(e.db)]);
      this.selectedDb = e.db;
    }
    out.command(e.argv);
  }
}

/** A command read from an AOF, and the offset just past it. */
export interface ReadCommand {
  /** As the client parser gives them: bulks longer than LARGE_BULK as Buffers (copied out of the file's buffer). */
  argv: string[] | LargeCommand;
  end: number;
}

/** Bytes that are not an AOF command: `offset` is where the bad bytes start. */
export class AofFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const CR = 13;
const LF = 10;
/** redis-server reads header lines with fgets into a buffer this long. */
const MAX_HEADER = 1024;

/**
 * Reads one command from `buf` at `pos` (an absolute file offset is `base + pos`).
 * Returns null when the buffer ends before the command does (more bytes needed, or a
 * truncated file); throws AofFormatError on bytes that cannot be a command. Annotation
 * lines before it (`#...`, skipped as redis-server 7 does) are shown to `annotation`
 * with the file offset just past each (a follower's position, broker/replication/).
 */
export function readCommand(
  buf: Buffer,
  pos: number,
  base: number,
  annotation?: (text: string, end: number) => void,
): ReadCommand | null {
  let p = pos;
  for (;;) {
    if (p >= buf.length) return null;
    if (buf[p] !== 0x23) break; // '#': an annotation line
    const nl = buf.indexOf(LF, p);
    if (nl < 0) return null;
    annotation?.(buf.latin1Slice(p + 1, nl > p + 1 && buf[nl - 1] === CR ? nl - 1 : nl), base + nl + 1);
    p = nl + 1;
  }
  const start = p;
  if (buf[p] !== 0x2a) throw new AofFormatError(`expected '*' (got ${describe(buf[p])})`, base + p);
  const header = readNumberLine(buf, p + 1, base);
  if (header === null) return null;
  const argc = header.value;
  if (argc < 1) throw new AofFormatError(`invalid argument count ${argc}`, base + start);
  p = header.next;
  const argv = new Array<string>(argc);
  let large: RawArg[] | null = null;
  for (let j = 0; j < argc; j++) {
    if (p >= buf.length) return null;
    if (buf[p] !== 0x24) throw new AofFormatError(`expected '$' (got ${describe(buf[p])})`, base + p);
    const len = readNumberLine(buf, p + 1, base);
    if (len === null) return null;
    if (len.value < 0) throw new AofFormatError(`invalid bulk length ${len.value}`, base + p);
    p = len.next;
    if (p + len.value + 2 > buf.length) return null;
    if (len.value > LARGE_BULK) (large ??= argv.slice(0, j)).push(Buffer.from(buf.subarray(p, p + len.value)));
    else if (large !== null) large.push(buf.latin1Slice(p, p + len.value));
    else argv[j] = buf.latin1Slice(p, p + len.value);
    p += len.value;
    if (buf[p] !== CR || buf[p + 1] !== LF) throw new AofFormatError('expected CRLF after an argument', base + p);
    p += 2;
  }
  return { argv: large === null ? argv : new LargeCommand(large), end: p };
}

/** A decimal number ending in CRLF at `p`; null when the line is incomplete. */
function readNumberLine(buf: Buffer, p: number, base: number): { value: number; next: number } | null {
  const start = p;
  let neg = false;
  if (p < buf.length && buf[p] === 0x2d) {
    neg = true;
    p++;
  }
  let value = 0;
  let digits = 0;
  for (; p < buf.length; p++) {
    const c = buf[p];
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 15) throw new AofFormatError('number too long', base + start);
      continue;
    }
    if (c !== CR) throw new AofFormatError(`invalid number (got ${describe(c)})`, base + p);
    if (digits === 0) throw new AofFormatError('missing number', base + p);
    if (p + 1 >= buf.length) return null;
    if (buf[p + 1] !== LF) throw new AofFormatError('expected LF', base + p + 1);
    return { value: neg ? -value : value, next: p + 2 };
  }
  if (p - start > MAX_HEADER) throw new AofFormatError('header line too long', base + start);
  return null;
}

function describe(byte: number | undefined): string {
  if (byte === undefined) return 'end of file';
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16).padStart(2, '0')}`;
}
