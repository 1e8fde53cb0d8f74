/**
 * RESP2/RESP3 reply writer, the one place the wire format is written (as redis-server's
 * addReply* family in networking.c).
 *
 * Replies are encoded as bytes into slabs: Buffers outside the V8 heap, shared by every
 * writer in the process. The writer that writes owns the current slab; its bytes form one
 * piece of it, which joins its pending pieces (slab and offsets) when another writer
 * takes the slab over, when the slab is full, or when the output is taken. Bytes handed
 * out are not written again (the slab moves on past them), so the socket may hold them
 * for as long as it needs, until the connection reports that the kernel took them
 * (`sent`): a slab whose bytes were all sent is written again from its start, so a
 * steady load reuses a few slabs instead of making new ones. A turn of small replies is then one Buffer for the socket, a
 * large reply a chain of them, and no reply is ever limited by V8's string length.
 * Integers and short strings are written byte by byte, longer ones by one native copy.
 *
 * A reply too large to write at once (a range of millions of entries) is written in
 * pieces: the command writes its header and hands the rest to a `ReplyProducer`
 * (`stream`), which the connection runs a piece at a time as its socket drains. Output
 * written after it (pipelined replies, the rest of an EXEC) waits behind it, in order.
 *
 * Every string given here must already be latin1 bytes (one byte per char); a bulk may
 * also be a packed string (protocol/packed-string.ts: a list element or stream value
 * too long for a latin1 string).
 * A client whose replies nobody reads (the link from a leader) writes through a
 * `DiscardingReply` (protocol/discarding-reply.ts), which overrides every writer here.
 * ARCHITECTURE.md, "Replies", has the measurements.
 */

import { byteLength, isPacked, stringBytes, writeStringBytes } from './packed-string.js';

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

/**
 * Slab size: large enough that a turn's replies rarely span two, small enough that a
 * slab held by a few unsent bytes costs little.
 */
export const SLAB_SIZE = 64 * 1024;
/** Strings shorter than this are copied char by char, cheaper than a native call. */
const SHORT_STRING = 24;
/** Room for a header: type byte, a 64-bit count or length (20 digits with a sign) and CRLF. */
const HEADER_ROOM = 23;
/** Room a bulk takes beyond its payload: its header and the closing CRLF. */
const BULK_ROOM = HEADER_ROOM + 2;
/** Room a deferred header keeps: a type byte, up to 16 digits, CRLF. */
const DEFERRED_ROOM = 19;
/** Pending output below this size is handed to the socket as one Buffer. */
const MERGE_BELOW = 64 * 1024;
/** Bytes after a deferred header moved back over its unused room, beyond which the piece is split instead. */
const MOVE_LIMIT = 4096;

/**
 * The rest of a reply too large to write at once, written in pieces as the client's
 * socket drains (`Reply.stream`, ARCHITECTURE.md "Replies").
 */
export interface ReplyProducer {
  /** Writes the next part into `reply`, stopping once `reply.length` reaches `budget`; true when the reply is complete. */
  produce(reply: Reply, budget: number): boolean;
  /** Called once when the reply is complete or dropped (the client left): releases what the producer holds. */
  release(): void;
}

/** A producer and the output written before it (after the previous producer). */
interface Segment {
  bytes: Pieces;
  producer: ReplyProducer;
}

declare global {
  interface Buffer {
    /** Node's latin1 encoder (Buffer.prototype.latin1Write), which `write(s, o, n, 'latin1')` calls. */
    latin1Write(s: string, offset: number, length: number): number;
  }
}

const CR = 13;
const LF = 10;
const EMPTY: readonly Buffer[] = [];
/** What a released piece slot holds: no slab stays referenced by it. */
const NO_BYTES = Buffer.alloc(0);

/**
 * The shared slab (`buf`), where the writer `owner` has its piece; `used` is the end of
 * what is written. Fields of one object, not module variables: V8 knows a field's type
 * (the slab is always a Buffer) where it checks a module `let` at every use, which
 * made nine byte stores cost twice the instructions in a micro-benchmark.
 */
class CurrentSlab {
  buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
  /** `buf.buffer`, which V8 looks up in C++ at each read. */
  memory = this.buf.buffer;
  used = 0;
  /** Bytes of `used` that the kernel has taken (see `Retired`). */
  sent = 0;
  owner: Reply | null = null;
}
const current = new CurrentSlab();

/**
 * A slab that a turn filled, with the bytes written in it and those the kernel took
 * since. Once it took all of them, no writer holds a piece of it and no socket a view
 * (the current slab likewise): it is written again, rather than a new 64 KB Buffer
 * made. Bytes no one will send count as sent too (a dropped reply, the unused room of
 * a deferred header); bytes handed to anything but a socket that took them at once
 * (a partial write, a script's scratch reply) never do: such a slab leaves the list in
 * time and is collected, as every slab was before.
 */
interface Retired {
  buf: typeof current.buf;
  memory: ArrayBufferLike;
  used: number;
  sent: number;
}
/** Retired slabs, oldest first; at most MAX_RETIRED (a turn of 50 XRANGE COUNT 100 replies fills five). */
const retired: Retired[] = [];
const MAX_RETIRED = 8;

/**
 * The kernel took `chunks` (taken from writers just now, nothing written since) whole:
 * their slab bytes may be written again. Called by the connection after a write(2) that
 * completed at once. Reusing slabs spares a 64 KB allocation per 12 XRANGE COUNT 100
 * replies and the scavenges V8 runs for such external memory (one every few dozen MB).
 */
export function sent(chunks: readonly Buffer[]): void {
  for (let i = 0; i < chunks.length; i++) countSent(chunks[i].buffer, chunks[i].length);
}

function countSent(memory: ArrayBufferLike, n: number): void {
  if (memory === current.memory) {
    current.sent += n;
    return;
  }
  for (let i = 0; i < retired.length; i++) {
    if (retired[i].memory === memory) {
      retired[i].sent += n;
      return;
    }
  }
}

/** A retired slab of SLAB_SIZE whose bytes were all sent, taken off the list; else null. */
function reusableSlab(): Retired | null {
  for (let i = 0; i < retired.length; i++) {
    const r = retired[i];
    if (r.sent === r.used) return retired.splice(i, 1)[0];
  }
  return null;
}

/** Keeps the current slab for reuse once its bytes are sent (not one made for a large reply). */
function retireCurrent(): void {
  if (current.buf.length !== SLAB_SIZE) return;
  if (retired.length === MAX_RETIRED) retired.shift();
  retired.push({ buf: current.buf, memory: current.memory, used: current.used, sent: current.sent });
}

/** Millisecond parts this close to the last one written have their digits stepped (LastMs.step), not written anew. */
const NEAR_MS = 1000;

/** The digits of the last stream ID millisecond part written (`Reply.streamEntryHead`), by its 32-bit halves. */
class LastMs {
  hi = -1;
  lo = -1;
  length = 0;
  readonly digits = Buffer.alloc(20);

  set(hi: number, lo: number): void {
    // Entries added a few milliseconds apart: the digits move by that much, carried by hand.
    const step = hi === this.hi ? lo - this.lo : 0;
    this.hi = hi;
    this.lo = lo;
    if (step !== 0 && step < NEAR_MS && step > -NEAR_MS && this.step(step)) return;
    // Below 2^53 (hi under 2^21) a double holds it exactly: its digits in two int halves, no string.
    if (hi < 0x200000) {
      this.length = writeDigits(this.digits, 0, hi * 4294967296 + lo);
      return;
    }
    const text = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
    for (let i = 0; i < text.length; i++) this.digits[i] = text.charCodeAt(i);
    this.length = text.length;
  }

  /**
   * Adds `delta` (|delta| < NEAR_MS) to the digits in place, a digit and its carry or
   * borrow at a time; false, with the digits unusable, when the count of digits changes.
   */
  private step(delta: number): boolean {
    const digits = this.digits;
    let i = this.length - 1;
    let carry = delta;
    while (carry !== 0 && i >= 0) {
      const d = digits[i] - 48 + carry;
      carry = Math.floor(d / 10);
      digits[i--] = 48 + d - carry * 10;
    }
    return carry === 0 && digits[0] !== 48;
  }
}
const lastMs = new LastMs();

/**
 * A Buffer over part of a slab, made as Node makes its own (a Uint8Array whose
 * prototype is Buffer's: sockets and `instanceof Buffer` take it as one).
 * `Buffer.prototype.subarray` cost twice as many instructions (the ArrayBuffer looked
 * up in C++, the offsets checked again), once per client per turn.
 */
class SlabView extends Uint8Array {}
Object.setPrototypeOf(SlabView.prototype, Buffer.prototype);

/** `buf.subarray(start, end)`, made directly for the current slab. */
function view(buf: Buffer, start: number, end: number): Buffer {
  if (buf !== current.buf) return buf.subarray(start, end);
  return new SlabView(current.memory, start, end - start) as unknown as Buffer;
}

export class Reply {
  /** Error replies written so far; lets callers tell whether a command failed. */
  errors = 0;
  /** Called with each error reply's text, for INFO errorstats. */
  onError: ((message: string) => void) | null = null;
  /**
   * Where pushes begin and end, while `trackPushes` is on, as positions in everything
   * ever written here (`position`), which stay valid when the output is taken.
   */
  private pushSpans: number[] | null = null;
  /** Pending output before the open piece, oldest first. */
  private pieces = new Pieces();
  /**
   * The open piece: the last bytes written, `pieceStart` to the end of what is written
   * in the slab while this writer owns it, to `pieceEnd` in `pieceBuf` once another took
   * the slab over. It joins `pieces` only when this writer writes again after others
   * did (or the output is taken from the pieces): a client of many that each write one
   * reply per turn never touches `pieces` (0.1 us a request under load).
   */
  private pieceBuf = NO_BYTES;
  private pieceStart = 0;
  private pieceEnd = 0;
  /** Bytes taken so far: the pending output starts at this position. */
  private taken = 0;
  /**
   * Producers of streamed replies, oldest first, each with the output written before
   * it; `pieces` then holds what was written after the last one. Null when there is none.
   * Positions count the bytes commands write, not those producers write.
   */
  private segments: Segment[] | null = null;
  /** Bytes in `segments`. */
  private queued = 0;
  /** Set by the owner of a socket that runs producers (the broker's connection): may `stream`. */
  streamable = false;

  constructor(public resp: Protocol = 2) {}

  /** Bytes pending, not yet handed to the socket (output buffer accounting). */
  get length(): number {
    return this.queued + this.pieces.size + this.pieceEndNow() - this.pieceStart;
  }

  /** Whether a command may hand the rest of its reply to a producer: not while replies are muted (pushes tracked). */
  get canStream(): boolean {
    return this.streamable && this.pushSpans === null;
  }

  /** Producers waiting or running. */
  get streams(): number {
    return this.segments === null ? 0 : this.segments.length;
  }

  /** True when the next output is a producer's: everything before it was taken. */
  get producerNext(): boolean {
    return this.segments !== null && this.segments[0].bytes.size === 0;
  }

  /**
   * Hands the rest of the reply to `producer`, which writes it when `produce` asks,
   * after what was written so far; what is written afterwards follows it.
   */
  stream(producer: ReplyProducer): void {
    this.seal();
    (this.segments ??= []).push({ bytes: this.pieces, producer });
    this.queued += this.pieces.size;
    this.pieces = new Pieces();
  }

  /**
   * Runs the first producer, once everything before it is taken, until it wrote about
   * `budget` bytes; returns what it wrote (nothing when it may not run yet). Once it
   * completes it is released, and the output after it comes next.
   */
  produce(budget: number): readonly Buffer[] {
    const segments = this.segments;
    if (segments === null || segments[0].bytes.size > 0) return EMPTY;
    const first = segments[0];
    // The producer writes through the usual methods into empty pieces of its own.
    this.seal();
    const after = this.pieces;
    const queued = this.queued;
    this.pieces = new Pieces();
    this.queued = 0;
    let done: boolean;
    let made: Pieces;
    try {
      done = first.producer.produce(this, budget);
    } finally {
      this.seal();
      made = this.pieces;
      this.pieces = after;
      this.queued = queued;
    }
    if (done) {
      segments.shift();
      if (segments.length === 0) this.segments = null;
      first.producer.release();
    }
    return made.size === 0 ? EMPTY : made.take(made.size);
  }

  /** Drops every producer (the client is gone), releasing what they hold. */
  dropProducers(): void {
    const segments = this.segments;
    if (segments === null) return;
    this.segments = null;
    this.queued = 0;
    for (const s of segments) s.producer.release();
  }

  /** The position of the end of the output in everything ever written here. */
  get position(): number {
    return this.taken + this.length;
  }

  /**
   * Takes the pending output, leaving the writer empty: the Buffers to write, in order.
   * Small pieces are joined into one Buffer (a copy of at most MERGE_BELOW bytes): a
   * subscriber that got one message from each of many publishers in a turn holds as
   * many pieces, and writev of many small buffers cost more than the copy (PUBLISH to
   * 50 subscribers spent 14% of its time in writev).
   */
  take(): readonly Buffer[] {
    if (this.segments !== null) return this.takeQueued(Infinity);
    // The usual turn: all of it is the open piece, one Buffer as it is.
    if (this.pieces.size === 0) return this.takeOpenPiece();
    this.seal();
    const size = this.pieces.size;
    if (size === 0) return EMPTY;
    this.taken += size;
    if (this.pieces.count === 1 || size >= MERGE_BELOW) return this.pieces.take(size);
    // Joined in the slab: no Buffer of its own to allocate (and collect) per turn.
    this.room(size);
    const start = current.used;
    current.used = this.pieces.drainInto(current.buf, current.used);
    this.pieceStart = current.used;
    return [view(current.buf, start, current.used)];
  }

  /** `take` when the pending output is the open piece and nothing else. */
  private takeOpenPiece(): readonly Buffer[] {
    const start = this.pieceStart;
    const end = this.pieceEndNow();
    if (end === start) return EMPTY;
    this.taken += end - start;
    this.pieceStart = end;
    this.pieceEnd = end;
    return [view(this.pieceBuf, start, end)];
  }

  /** Takes the pending output up to `position` (a `position` value), leaving the rest. */
  takeUpTo(position: number): readonly Buffer[] {
    const n = position - this.taken;
    if (this.segments !== null) return this.takeQueued(n);
    if (n >= this.length) return this.take();
    if (n <= 0) return EMPTY;
    this.seal();
    this.taken = position;
    return this.pieces.take(n);
  }

  /** Up to `n` bytes of the output before the first producer. */
  private takeQueued(n: number): readonly Buffer[] {
    const head = this.segments![0].bytes;
    n = Math.min(n, head.size);
    if (n <= 0) return EMPTY;
    this.taken += n;
    this.queued -= n;
    return head.take(n);
  }

  /**
   * Drops the output written after `mark` (a `position`) and not taken yet: a failed
   * command's partial reply, with the producers it started.
   */
  truncate(mark: number): void {
    const from = Math.max(mark, this.taken);
    while (this.segments !== null && from < this.taken + this.queued) this.dropLastProducer();
    this.dropLast(this.position - from);
  }

  /** Drops the output after the last producer, and the producer: the output before it is the newest again. */
  private dropLastProducer(): void {
    const segments = this.segments!;
    this.dropLast(this.length - this.queued);
    const last = segments.pop()!;
    if (segments.length === 0) this.segments = null;
    this.queued -= last.bytes.size;
    this.pieces = last.bytes;
    last.producer.release();
  }

  /** Drops the last `drop` bytes written after the last producer. */
  private dropLast(drop: number): void {
    if (drop <= 0) return;
    const inPiece = Math.min(drop, this.pieceEndNow() - this.pieceStart);
    // Bytes of the open piece were never handed out: while it owns the slab, the slab can reuse them.
    if (current.owner === this) current.used -= inPiece;
    else {
      this.pieceEnd -= inPiece;
      countSent(this.pieceBuf.buffer, inPiece);
    }
    this.pieces.dropLast(drop - inPiece);
  }

  simple(s: string): void {
    this.line(43, s);
  }

  /** A simple string given as bytes (a MONITOR line too long for a JS string); they must hold no CR or LF. */
  simpleBytes(bytes: Uint8Array): void {
    this.room(bytes.length + 3);
    current.buf[current.used++] = 43;
    current.buf.set(bytes, current.used);
    current.used += bytes.length;
    this.crlf();
  }

  ok(): void {
    this.constant('+OK\r\n');
  }

  /** An error reply; `message` starts with its code, e.g. `ERR syntax error`. */
  error(message: string): void {
    this.line(45, this.countError(message));
  }

  /** Counts an error reply and tells `onError` of it; returns its text as written. */
  protected countError(message: string): string {
    // A newline inside an error would break the protocol; redis-server blanks them too.
    if (message.includes('\n') || message.includes('\r')) message = message.replace(/[\r\n]/g, ' ');
    this.errors++;
    if (this.onError !== null) this.onError(message);
    return message;
  }

  int(n: number | bigint): void {
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      this.room(HEADER_ROOM);
      this.header(58, n);
    } else {
      this.line(58, String(n));
    }
  }

  bulk(s: string): void {
    if (isPacked(s)) return this.packedBulk(s);
    this.room(s.length + BULK_ROOM);
    current.used = writeBulk(current.buf, current.used, s);
  }

  /** A bulk of the bytes a packed string stands for (protocol/packed-string.ts). */
  private packedBulk(s: string): void {
    const len = byteLength(s);
    this.room(len + BULK_ROOM);
    this.header(36, len);
    current.used += writeStringBytes(current.buf, current.used, s);
    this.crlf();
  }

  /**
   * A bulk for each of `values[from..to)` (LRANGE's elements, a chunk at a time): room
   * is made once for as many as fit in the slab, then they are written with the slab
   * and the offset in locals, rather than through a `bulk` call per element.
   */
  bulkRun(values: readonly string[], from: number, to: number): void {
    let i = from;
    while (i < to) {
      let need = 0;
      let end = i;
      while (end < to && need + values[end].length + BULK_ROOM <= SLAB_SIZE) need += values[end++].length + BULK_ROOM;
      if (end === i) {
        this.bulk(values[i++]); // larger than a slab
        continue;
      }
      this.room(need);
      const buf = current.buf;
      let p = current.used;
      for (; i < end; i++) {
        const s = values[i];
        const len = s.length;
        if (len >= 10) {
          p = writeBulk(buf, p, s);
          continue;
        }
        // A one-digit length, as short elements have: the header's four bytes stored
        // at once, without writeBulk's digit count and loop (100 three-byte elements
        // in-process, take included: 1.15 to 1.04 us).
        buf[p] = 36;
        buf[p + 1] = 48 + len;
        buf[p + 2] = CR;
        buf[p + 3] = LF;
        p += 4;
        for (let j = 0; j < len; j++) buf[p++] = s.charCodeAt(j);
        buf[p] = CR;
        buf[p + 1] = LF;
        p += 2;
      }
      current.used = p;
    }
  }

  /** A bulk of `s.slice(start, end)`, without making that string when it is short. */
  bulkSlice(s: string, start: number, end: number): void {
    const len = end - start;
    if (len >= SHORT_STRING) return this.bulk(s.slice(start, end));
    this.room(len + HEADER_ROOM + 2);
    this.header(36, len);
    let p = current.used;
    for (let i = start; i < end; i++) current.buf[p++] = s.charCodeAt(i);
    current.used = p;
    this.crlf();
  }

  /**
   * The head of a stream entry as XRANGE and XREAD reply it (streamReplyWithRange):
   * `*2`, the ID `<ms>-<seq>` as a bulk, and the header of the array of its `items`
   * fields and values, with room made once. The millisecond part comes as its two 32-bit
   * halves; consecutive entries mostly share it (those added in the same millisecond),
   * so its digits are kept from the last ID written (`lastMs`) and copied: a digit loop
   * over a 13-digit double took a third of XRANGE's time, a copy of the string's chars
   * twice the copy of bytes. `seq` is a safe integer.
   */
  streamEntryHead(msHi: number, msLo: number, seq: number, items: number): void {
    const ms = lastMs;
    if (msLo !== ms.lo || msHi !== ms.hi) ms.set(msHi, msLo);
    const digits = ms.digits;
    const msLen = ms.length;
    const len = msLen + 1 + digitCount(seq);
    this.room(len + 3 * HEADER_ROOM + 2);
    const buf = current.buf;
    let p = current.used;
    buf[p++] = 42;
    buf[p++] = 50;
    buf[p++] = CR;
    buf[p++] = LF;
    p = writeHeader(buf, p, 36, len);
    for (let i = 0; i < msLen; i++) buf[p++] = digits[i];
    buf[p++] = 45;
    p = writeDigits(buf, p, seq);
    buf[p++] = CR;
    buf[p++] = LF;
    if (items < 10) {
      buf[p++] = 42;
      buf[p++] = 48 + items;
      buf[p++] = CR;
      buf[p++] = LF;
      current.used = p;
    } else current.used = writeHeader(buf, p, 42, items);
  }

  /**
   * `items` bulks of a stream entry's fields and values (streamReplyWithRange's part
   * after the ID): each value, and each field unless `names` gives them (alternating with
   * the values: a stream node's master fields), is a run of `text` from `at` on, after
   * its length prefix (`readLengthPrefix`: the stream node's payload layout,
   * engine/types/stream-node.ts). Their size is added up first so that room is made
   * once: a call per bulk cost more than writing it.
   */
  prefixedBulks(names: readonly string[] | null, text: string, at: number, items: number): void {
    let need = 0;
    let p = at;
    for (let k = 0; k < items; k++) {
      if (names !== null && (k & 1) === 0) {
        need += names[k >> 1].length + BULK_ROOM;
        continue;
      }
      const len = readLengthPrefix(text, p);
      p += lengthPrefixSize(len) + len;
      need += len + BULK_ROOM;
    }
    if (need > SLAB_SIZE) return this.prefixedBulksOneByOne(names, text, at, items);
    this.room(need);
    const buf = current.buf;
    let q = current.used;
    p = at;
    for (let k = 0; k < items; k++) {
      if (names !== null && (k & 1) === 0) {
        q = writeBulk(buf, q, names[k >> 1]);
        continue;
      }
      const len = readLengthPrefix(text, p);
      p += lengthPrefixSize(len);
      q = writeHeader(buf, q, 36, len);
      if (len < SHORT_STRING) {
        for (let j = p; j < p + len; j++) buf[q++] = text.charCodeAt(j);
      } else {
        q += buf.latin1Write(text.slice(p, p + len), q, len);
      }
      buf[q++] = CR;
      buf[q++] = LF;
      p += len;
    }
    current.used = q;
  }

  /** `prefixedBulks` larger than a slab (long values, packed ones among them), a bulk at a time. */
  private prefixedBulksOneByOne(names: readonly string[] | null, text: string, at: number, items: number): void {
    let p = at;
    for (let k = 0; k < items; k++) {
      if (names !== null && (k & 1) === 0) {
        this.bulk(names[k >> 1]);
        continue;
      }
      const len = readLengthPrefix(text, p);
      p += lengthPrefixSize(len);
      this.bulkSlice(text, p, p + len);
      p += len;
    }
  }

  /** A bulk whose payload is bytes; they are copied, so the caller may change them afterwards. */
  bulkBytes(bytes: Uint8Array): void {
    const len = bytes.length;
    this.room(len + HEADER_ROOM + 2);
    this.header(36, len);
    current.buf.set(bytes, current.used);
    current.used += len;
    this.crlf();
  }

  /** A bulk, or the null bulk for undefined/null. */
  bulkOrNil(s: string | null | undefined): void {
    if (s === null || s === undefined) this.nil();
    else this.bulk(s);
  }

  /** The null bulk string (`$-1` / `_`). */
  nil(): void {
    this.constant(this.resp === 2 ? '$-1\r\n' : '_\r\n');
  }

  /** The null array (`*-1` / `_`). */
  nilArray(): void {
    this.constant(this.resp === 2 ? '*-1\r\n' : '_\r\n');
  }

  array(n: number): void {
    this.room(HEADER_ROOM);
    this.header(42, n);
  }

  /** A map of n pairs; a flat array of 2n elements in RESP2. */
  map(n: number): void {
    this.room(HEADER_ROOM);
    if (this.resp === 2) this.header(42, 2 * n);
    else this.header(37, n);
  }

  /** A set of n elements; an array in RESP2. */
  set(n: number): void {
    this.room(HEADER_ROOM);
    this.header(this.resp === 2 ? 42 : 126, n);
  }

  /** An out-of-band push of n elements; an array in RESP2. */
  push(n: number): void {
    this.room(HEADER_ROOM);
    this.header(this.resp === 2 ? 42 : 62, n);
  }

  /**
   * A message encoded once for all its receivers (pub/sub), written as a push. A
   * receiver that is not writing holds the shared bytes as a piece, without taking
   * the slab: a PUBLISH to 50 subscribers is then not 50 pieces of the publisher's slab.
   */
  message(m: PushMessage): void {
    this.shared(m.encoded(this.resp));
  }

  /**
   * Bytes encoded once for several receivers (a replication stream's turn, a pub/sub
   * message), never changed afterwards: held by reference unless this writer owns the slab.
   */
  shared(bytes: Buffer): void {
    if (current.owner === this) {
      this.room(bytes.length);
      current.buf.set(bytes, current.used);
      current.used += bytes.length;
    } else {
      this.seal();
      // A message is held as a range of the arena it was encoded into: the messages a
      // subscriber gets in a turn are then one piece, written without a copy (PieceList.push
      // joins contiguous ranges of one Buffer).
      if (bytes.buffer === arena.buffer) this.pieces.push(arena, bytes.byteOffset, bytes.byteOffset + bytes.length);
      else this.pieces.push(bytes, 0, bytes.length);
    }
  }

  /** Notes that a push (a pub/sub message or confirmation) began at `start` (a `position`) and ends here. */
  markPush(start: number): void {
    if (this.pushSpans !== null) this.pushSpans.push(start, this.position);
  }

  /** Whether pushes are being recorded (a muted command runs). */
  get tracksPushes(): boolean {
    return this.pushSpans !== null;
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
    const kept: Buffer[] = [];
    for (let i = 0; i < spans.length; i += 2) {
      if (spans[i] >= from) kept.push(this.copyOf(spans[i], spans[i + 1]));
    }
    this.truncate(from);
    for (const bytes of kept) {
      this.room(bytes.length);
      current.buf.set(bytes, current.used);
      current.used += bytes.length;
    }
  }

  bool(b: boolean): void {
    if (this.resp === 2) this.constant(b ? ':1\r\n' : ':0\r\n');
    else this.constant(b ? '#t\r\n' : '#f\r\n');
  }

  /** A double as redis-server formats it (`%.17g`); a bulk string in RESP2. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 2) this.bulk(s);
    else this.line(44, s);
  }

  /**
   * A double its caller formatted (addReplyHumanLongDouble: `%.17Lf` trimmed, as GEOPOS
   * writes coordinates); a bulk string in RESP2.
   */
  doubleText(s: string): void {
    if (this.resp === 2) this.bulk(s);
    else this.line(44, s);
  }

  /** A big number (`(digits`); a bulk string in RESP2. */
  bigNumber(digits: string): void {
    if (this.resp === 2) this.bulk(digits);
    else this.line(40, digits);
  }

  /** Verbatim text (`=len\r\ntxt:...`); a bulk string in RESP2. */
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 2) return this.bulk(s);
    this.room(s.length + format.length + HEADER_ROOM + 3);
    this.header(61, s.length + format.length + 1);
    this.latin1(format);
    current.buf[current.used++] = 58;
    this.latin1(s);
    this.crlf();
  }

  /** An array of bulks. */
  bulks(items: readonly string[]): void {
    this.array(items.length);
    this.bulkRun(items, 0, items.length);
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
   * Starts a reply whose element count is known only once it is written (redis-server's
   * addReplyDeferredLen): keeps room for the header and returns a mark to pass to
   * `endDeferred`, which writes the header there.
   */
  beginDeferred(): number {
    this.room(DEFERRED_ROOM);
    const mark = this.position;
    current.used += DEFERRED_ROOM;
    return mark;
  }

  /**
   * Writes the header of the reply begun at `mark`. The header ends where the kept room
   * ends; the room left before it is cut out: by moving a short body back over it, by
   * starting the piece after it, or by splitting the piece around it (no copy).
   */
  endDeferred(mark: number, kind: 'array' | 'map' | 'set', n: number): void {
    const type = kind === 'array' || this.resp === 2 ? 42 : kind === 'map' ? 37 : 126;
    const count = kind === 'map' && this.resp === 2 ? 2 * n : n;
    const size = headerSize(count);
    const gap = DEFERRED_ROOM - size;
    const offset = mark - this.taken - this.queued;
    if (offset < 0) return this.endDeferredQueued(mark, type, count, gap);
    const inPiece = offset - this.pieces.size;
    if (current.owner === this && inPiece >= 0) {
      const start = this.pieceStart + inPiece;
      const bodyStart = start + DEFERRED_ROOM;
      if (start === this.pieceStart) {
        writeHeader(current.buf, start + gap, type, count);
        this.pieceStart += gap;
        current.sent += gap;
      } else if (current.used - bodyStart <= MOVE_LIMIT) {
        writeHeader(current.buf, start, type, count);
        current.buf.copyWithin(start + size, bodyStart, current.used);
        current.used -= gap;
      } else {
        this.pieces.push(current.buf, this.pieceStart, start);
        writeHeader(current.buf, start + gap, type, count);
        this.pieceStart = start + gap;
        current.sent += gap;
      }
      return;
    }
    this.seal();
    const [buf, at] = this.pieces.locate(offset);
    writeHeader(buf, at + gap, type, count);
    this.pieces.cut(offset, gap);
    countSent(buf.buffer, gap);
  }

  /** endDeferred for a header written before a producer (XREAD of several streams). */
  private endDeferredQueued(mark: number, type: number, count: number, gap: number): void {
    let offset = mark - this.taken;
    for (const { bytes } of this.segments!) {
      if (offset < bytes.size) {
        const [buf, at] = bytes.locate(offset);
        writeHeader(buf, at + gap, type, count);
        bytes.cut(offset, gap);
        countSent(buf.buffer, gap);
        this.queued -= gap;
        return;
      }
      offset -= bytes.size;
    }
  }

  /** A copy of the pending bytes between two positions written after the last producer. */
  private copyOf(from: number, to: number): Buffer {
    this.seal();
    const out = Buffer.allocUnsafe(to - from);
    const base = this.taken + this.queued;
    this.pieces.copy(from - base, to - base, out);
    return out;
  }

  /** Makes room for `n` more bytes in the slab, owned by this writer from here on. */
  private room(n: number): void {
    if (current.sent === current.used && current.used !== 0) Reply.rewindSlab();
    if (current.owner !== this) this.takeSlab();
    if (current.buf.length - current.used < n) this.newSlab(n);
  }

  /**
   * Takes the slab over. The last owner's piece stays open where it ends; ours goes on
   * if nothing was written after it since, else it joins the pieces and a new one opens.
   */
  private takeSlab(): void {
    const last = current.owner;
    if (last !== null) last.pieceEnd = current.used;
    if (this.pieceBuf !== current.buf || this.pieceEnd !== current.used) {
      this.seal();
      this.pieceBuf = current.buf;
      this.pieceStart = current.used;
    }
    current.owner = this;
  }

  /**
   * Writes the slab again from its start: every byte in it was sent (`sent`), so no
   * piece and no socket refers to it. Its last owner's open piece, empty, closes where
   * it ends, as when another writer takes the slab. A slab made larger for one large
   * reply is let go rather than kept for small ones.
   */
  private static rewindSlab(): void {
    const last = current.owner;
    if (last !== null) last.pieceEnd = current.used;
    current.owner = null;
    if (current.buf.length > SLAB_SIZE) {
      current.buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
      current.memory = current.buf.buffer;
    }
    current.used = 0;
    current.sent = 0;
  }

  /** Where the open piece ends now. */
  private pieceEndNow(): number {
    return current.owner === this ? current.used : this.pieceEnd;
  }

  /** Moves the open piece into the pieces; the one that follows opens where it ended. */
  private seal(): void {
    const end = this.pieceEndNow();
    if (end > this.pieceStart) this.pieces.push(this.pieceBuf, this.pieceStart, end);
    this.pieceStart = end;
    this.pieceEnd = end;
  }

  /** A new slab with room for `n` bytes (a reply larger than a slab gets one of its own size). */
  private newSlab(n: number): void {
    this.seal();
    retireCurrent();
    const spare = n <= SLAB_SIZE ? reusableSlab() : null;
    current.buf = spare !== null ? spare.buf : Buffer.allocUnsafeSlow(Math.max(n, SLAB_SIZE));
    current.memory = current.buf.buffer;
    current.used = 0;
    current.sent = 0;
    this.pieceBuf = current.buf;
    this.pieceStart = 0;
  }

  /** `<type><text>\r\n` (simple strings, errors, doubles, big integers). */
  private line(type: number, s: string): void {
    this.room(s.length + 3);
    current.buf[current.used++] = type;
    this.latin1(s);
    this.crlf();
  }

  /** A short ASCII constant such as `+OK\r\n`. */
  private constant(s: string): void {
    this.room(s.length);
    let p = current.used;
    for (let i = 0; i < s.length; i++) current.buf[p++] = s.charCodeAt(i);
    current.used = p;
  }

  /** `<type><n>\r\n`; room already made. */
  private header(type: number, n: number): void {
    current.used = writeHeader(current.buf, current.used, type, n);
  }

  /** Room already made. */
  private latin1(s: string): void {
    const len = s.length;
    if (len < SHORT_STRING) {
      let p = current.used;
      for (let i = 0; i < len; i++) current.buf[p++] = s.charCodeAt(i);
      current.used = p;
    } else {
      current.used += current.buf.latin1Write(s, current.used, len);
    }
  }

  /** Room already made. */
  private crlf(): void {
    current.buf[current.used++] = CR;
    current.buf[current.used++] = LF;
  }
}

/**
 * A writer's pending pieces: slab ranges, oldest first. Kept as offsets, not as
 * subarrays: a Buffer object per piece cost more than the message itself when each
 * PUBLISH to 50 subscribers made 50 pieces (half the throughput). The first piece is
 * held in fields, the others in arrays: a client of many that each write one reply per
 * turn has one piece, and touching three arrays for it cost 0.1 us a request.
 */
class Pieces {
  /** Bytes in all pieces. */
  size = 0;
  /** Pieces held: the first in the fields below, the others in the lists from index 0. */
  count = 0;
  private buf0: Buffer = NO_BYTES;
  private start0 = 0;
  private end0 = 0;
  /** Pieces 1 to count-1; the lists keep their storage from turn to turn. */
  private readonly bufs: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  push(buf: Buffer, start: number, end: number): void {
    const last = this.count - 1;
    // A piece that continues the last one (its writer sealed and wrote on) extends it.
    if (last >= 0 && this.bufAt(last) === buf && this.endAt(last) === start) this.setEnd(last, end);
    else this.set(this.count++, buf, start, end);
    this.size += end - start;
  }

  /** Takes the first `n` bytes (all of them when n is `size`). */
  take(n: number): Buffer[] {
    if (this.count === 1 && n === this.size) {
      const out = [view(this.buf0, this.start0, this.end0)];
      this.size = 0;
      this.release(0, 1);
      return out;
    }
    let whole = 0;
    let left = n;
    while (left > 0 && left >= this.lengthAt(whole)) left -= this.lengthAt(whole++);
    const out: Buffer[] = [];
    for (let i = 0; i < whole; i++) out.push(view(this.bufAt(i), this.startAt(i), this.endAt(i)));
    if (left > 0) {
      const start = this.startAt(whole);
      out.push(view(this.bufAt(whole), start, start + left));
      this.set(whole, this.bufAt(whole), start + left, this.endAt(whole));
    }
    this.size -= n;
    this.dropFirst(whole);
    return out;
  }

  /**
   * Copies every piece to `target` from `p` on, and empties the list; returns the offset
   * after them. The pieces' bytes in the current slab are left to nobody: counted as sent.
   */
  drainInto(target: Buffer, p: number): number {
    for (let i = 0; i < this.count; i++) {
      const buf = this.bufAt(i);
      const start = this.startAt(i);
      const end = this.endAt(i);
      target.set(start === 0 && end === buf.length ? buf : new Uint8Array(buf.buffer, buf.byteOffset + start, end - start), p);
      p += end - start;
      countSent(buf.buffer, end - start);
    }
    this.size = 0;
    this.release(0, this.count);
    return p;
  }

  /** Drops the last `n` bytes (their slab bytes are left to nobody: counted as sent). */
  dropLast(n: number): void {
    this.size -= n;
    while (n > 0) {
      const last = this.count - 1;
      const len = this.lengthAt(last);
      if (len > n) {
        this.setEnd(last, this.endAt(last) - n);
        countSent(this.bufAt(last).buffer, n);
        return;
      }
      countSent(this.bufAt(last).buffer, len);
      this.release(last, 1);
      n -= len;
    }
  }

  /** The Buffer holding the byte at `offset`, and that byte's index in it. */
  locate(offset: number): [Buffer, number] {
    let i = 0;
    while (offset >= this.lengthAt(i)) offset -= this.lengthAt(i++);
    return [this.bufAt(i), this.startAt(i) + offset];
  }

  /** Removes the `gap` bytes at `offset` (within one piece), splitting that piece. */
  cut(offset: number, gap: number): void {
    let i = 0;
    while (offset >= this.lengthAt(i)) offset -= this.lengthAt(i++);
    const at = this.startAt(i) + offset;
    if (offset === 0) this.set(i, this.bufAt(i), at + gap, this.endAt(i));
    else {
      for (let j = this.count; j > i + 1; j--) this.set(j, this.bufAt(j - 1), this.startAt(j - 1), this.endAt(j - 1));
      this.count++;
      this.set(i + 1, this.bufAt(i), at + gap, this.endAt(i));
      this.setEnd(i, at);
    }
    this.size -= gap;
  }

  /** Copies the bytes between offsets `from` and `to` into `out`. */
  copy(from: number, to: number, out: Buffer): void {
    let pos = 0;
    for (let i = 0; i < this.count && pos < to; i++) {
      const len = this.lengthAt(i);
      if (pos + len > from) {
        const a = Math.max(from, pos);
        const b = Math.min(to, pos + len);
        this.bufAt(i).copy(out, a - from, this.startAt(i) + a - pos, this.startAt(i) + b - pos);
      }
      pos += len;
    }
  }

  private bufAt(i: number): Buffer {
    return i === 0 ? this.buf0 : this.bufs[i - 1];
  }

  private startAt(i: number): number {
    return i === 0 ? this.start0 : this.starts[i - 1];
  }

  private endAt(i: number): number {
    return i === 0 ? this.end0 : this.ends[i - 1];
  }

  private lengthAt(i: number): number {
    return this.endAt(i) - this.startAt(i);
  }

  private set(i: number, buf: Buffer, start: number, end: number): void {
    if (i === 0) {
      this.buf0 = buf;
      this.start0 = start;
      this.end0 = end;
    } else {
      this.bufs[i - 1] = buf;
      this.starts[i - 1] = start;
      this.ends[i - 1] = end;
    }
  }

  private setEnd(i: number, end: number): void {
    if (i === 0) this.end0 = end;
    else this.ends[i - 1] = end;
  }

  /** Removes the first `n` pieces, moving the rest to the front. */
  private dropFirst(n: number): void {
    if (n === 0) return;
    const kept = this.count - n;
    for (let i = 0; i < kept; i++) this.set(i, this.bufAt(i + n), this.startAt(i + n), this.endAt(i + n));
    this.release(kept, n);
  }

  /**
   * Forgets the `n` pieces from index `from`, which must be the last ones: the slots
   * stay (no array to grow again next turn), without a reference to a slab.
   */
  private release(from: number, n: number): void {
    for (let i = from; i < from + n; i++) this.set(i, NO_BYTES, 0, 0);
    this.count = from;
  }
}

/**
 * Pub/sub messages are encoded one after another into an arena, never rewritten: a
 * subscriber's consecutive messages are contiguous bytes (Reply.shared). The size of
 * Node's Buffer pool, which they came from before: a subscriber that holds one message
 * keeps its arena alive, as it kept the pool's.
 */
const ARENA_SIZE = 8192;
let arena = Buffer.allocUnsafeSlow(ARENA_SIZE);
let arenaUsed = 0;

/**
 * A pub/sub message (`message`/`pmessage`/`smessage` and its strings), encoded once
 * per protocol and copied into each receiver's output.
 */
export class PushMessage {
  private resp2: Buffer | null = null;
  private resp3: Buffer | null = null;

  constructor(private readonly items: readonly string[]) {}

  encoded(resp: Protocol): Buffer {
    if (resp === 2) return (this.resp2 ??= this.encode(42));
    return (this.resp3 ??= this.encode(62));
  }

  private encode(type: number): Buffer {
    let size = headerSize(this.items.length);
    for (const s of this.items) size += headerSize(s.length) + s.length + 2;
    if (arenaUsed + size > arena.length) {
      arena = Buffer.allocUnsafeSlow(Math.max(ARENA_SIZE, size));
      arenaUsed = 0;
    }
    const out = arena.subarray(arenaUsed, arenaUsed + size);
    arenaUsed += size;
    let p = writeHeader(out, 0, type, this.items.length);
    for (const s of this.items) {
      p = writeHeader(out, p, 36, s.length);
      p += out.latin1Write(s, p, s.length);
      out[p++] = CR;
      out[p++] = LF;
    }
    return out;
  }
}

/** An error reply as bytes, for the few replies written without a client (a refused connection). */
export function errorLine(message: string): Buffer {
  return Buffer.from('-' + message + '\r\n', 'latin1');
}

/** A command as a RESP multibulk of bulk strings (snapshots in RESP form). */
export function commandString(argv: readonly string[]): string {
  let out = '*' + argv.length + '\r\n';
  for (const a of argv) out += '$' + a.length + '\r\n' + a + '\r\n';
  return out;
}

/**
 * `commandString` for arguments that may be bytes (a long value) or packed strings
 * (protocol/packed-string.ts): the RESP in pieces, latin1 text around the byte
 * arguments, which are passed through (packed ones unpacked), never joined into one
 * JS string (it could exceed V8's limit).
 */
export function commandPieces(argv: readonly (string | Buffer)[]): (string | Buffer)[] {
  const pieces: (string | Buffer)[] = [];
  let text = '*' + argv.length + '\r\n';
  for (const a of argv) {
    if (typeof a === 'string' && !isPacked(a)) {
      text += '$' + a.length + '\r\n' + a + '\r\n';
      continue;
    }
    const bytes = typeof a === 'string' ? stringBytes(a) : a;
    pieces.push(text + '$' + bytes.length + '\r\n', bytes);
    text = '\r\n';
  }
  pieces.push(text);
  return pieces;
}

/**
 * The length prefix at `p` in `text`: base 128, low digits first, one char per digit
 * with 128 added to all but the last (the stream node's payload layout).
 */
export function readLengthPrefix(text: string, p: number): number {
  let c = text.charCodeAt(p);
  if (c < 128) return c;
  let n = 0;
  let scale = 1;
  while (c >= 128) {
    n += (c - 128) * scale;
    scale *= 128;
    c = text.charCodeAt(++p);
  }
  return n + c * scale;
}

/** Chars of the length prefix of `n` (below 2^35). */
export function lengthPrefixSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : n < 268435456 ? 4 : 5;
}

/** Size of `<type><n>\r\n` for a safe integer n. */
function headerSize(n: number): number {
  return 3 + (n < 0 ? 1 + digitCount(-n) : digitCount(n));
}

/** Decimal digits of `n` (a safe integer >= 0). */
function digitCount(n: number): number {
  if (n >= 1e9) return 9 + digitCount(Math.floor(n / 1e9));
  if (n < 1e4) return n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : 4;
  return n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : 9;
}

/** `$<len>\r\n<s>\r\n` at `p` in `buf` (room made); returns the offset after it. */
function writeBulk(buf: Buffer, p: number, s: string): number {
  const len = s.length;
  p = writeHeader(buf, p, 36, len);
  if (len < SHORT_STRING) {
    for (let j = 0; j < len; j++) buf[p++] = s.charCodeAt(j);
  } else {
    p += buf.latin1Write(s, p, len);
  }
  buf[p++] = CR;
  buf[p++] = LF;
  return p;
}

/**
 * Writes `<type><n>\r\n` (n a safe integer) at `p` in `buf`; returns the offset after it.
 * Shared with the AOF's encoder (broker/persistence/aof/resp-log.ts).
 */
export function writeHeader(buf: Buffer, p: number, type: number, n: number): number {
  buf[p++] = type;
  if (n < 0) {
    buf[p++] = 45;
    n = -n;
  }
  p = writeDigits(buf, p, n);
  buf[p++] = CR;
  buf[p++] = LF;
  return p;
}

/**
 * Writes the decimal digits of `n` (a safe integer >= 0) at `p`; returns the offset
 * after them. Below 1e9 in int32 arithmetic; above, as two halves (millisecond
 * timestamps are not small integers for V8).
 */
function writeDigits(buf: Buffer, p: number, n: number): number {
  if (n >= 1e9) return writeLargeDigits(buf, p, n);
  const end = p + digitCount(n);
  let q = end;
  while (n >= 10) {
    const div = (n / 10) | 0;
    buf[--q] = 48 + (n - div * 10);
    n = div;
  }
  buf[--q] = 48 + n;
  return end;
}

/** writeDigits for n >= 1e9: its high part, then nine digits (apart, so that the usual small n's path is not recursive). */
function writeLargeDigits(buf: Buffer, p: number, n: number): number {
  const high = Math.floor(n / 1e9);
  return writeNine(buf, writeDigits(buf, p, high), n - high * 1e9);
}

/** Writes `n` (below 1e9) as exactly nine digits, zero-padded. */
function writeNine(buf: Buffer, p: number, n: number): number {
  for (let q = p + 8; q >= p; q--) {
    const div = (n / 10) | 0;
    buf[q] = 48 + (n - div * 10);
    n = div;
  }
  return p + 9;
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
