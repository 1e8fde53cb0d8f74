/**
 * Streams in RDB: `STREAM_LISTPACKS_2` as redis-server 7.0 writes it (rdb.c,
 * rdbSaveObject), and the older `STREAM_LISTPACKS` read.
 *
 *   len nodes, then per node: the 16-byte big-endian master ID, the listpack
 *   len length; len last ID (ms, seq); len first ID; len max deleted ID; len entries added
 *   len groups, then per group: name; len last ID (ms, seq); len entries read (-1 as 2^64-1);
 *     len pending, then per entry: raw 16-byte ID, 8-byte delivery time, len delivery count;
 *     len consumers, then per consumer: name; 8-byte seen time; len pending, raw 16-byte IDs
 *
 * A node's listpack (t_stream.c's layout): the master entry (live count, deleted count,
 * field count, the field names, 0), then per entry: flags (1 deleted, 2 same fields as
 * the master), the ID as deltas from the master ID, the values (same fields) or the
 * field count and the pairs, and the entry's element count. A StreamNode
 * (engine/types/stream-node.ts) holds exactly this, as packed words and one payload
 * string, so a node converts to and from its listpack without building entries, and
 * node boundaries, deleted entries and lag counters survive a save and load. A load
 * checks each node's listpack in full but decodes only the tail's: the others are
 * decoded from their kept RDB strings when first used (stream-node.ts).
 */
import { ByteWriter } from '../bytes.js';
import { encodeSealedNodesWith, Stream, type StreamView } from '../../types/stream.js';
import { decodeSealedNodesWith, NODE_META_WORDS, StreamNode, type StreamNodeBody, type StreamNodeParts } from '../../types/stream-node.js';
import { bytesToString, MAX_LATIN1, PACKED_MIN_CHARS } from '../../../protocol/packed-string.js';
import { lengthPrefixSize } from '../../../protocol/reply.js';
import { fromHiLo, hi32, lo32, StreamId, type U64 } from '../../types/stream-id.js';
import { byName, ConsumerGroup, Nack, type Pel } from '../../types/stream-group.js';
import { lpIntSize } from '../../types/stream-listpack.js';
import { parseInt64, type Int64 } from '../../util/int64.js';
import { putLen, RdbType, writeBlob, writeLen, writeMillis, writeSignedLen, writeString, RdbInput } from './encoding.js';
import { backlenSize, ListpackReader, ListpackWriter, lpElementSize, lpIntAt, lpStringAsInt, lpStringStart } from './listpack.js';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
const ID_BYTES = 16;
const TWO32 = 4294967296;

/** 16 bytes big-endian (streamEncodeID): the rax key of a node and the PEL's IDs. */
function encodeId(ms: U64, seq: U64, out: Buffer, at = 0): Buffer {
  out.writeUInt32BE(hi32(ms), at);
  out.writeUInt32BE(lo32(ms), at + 4);
  out.writeUInt32BE(hi32(seq), at + 8);
  out.writeUInt32BE(lo32(seq), at + 12);
  return out;
}

function decodeId(b: Buffer, at = 0): StreamId {
  return new StreamId(fromHiLo(b.readUInt32BE(at), b.readUInt32BE(at + 4)), fromHiLo(b.readUInt32BE(at + 8), b.readUInt32BE(at + 12)));
}

/** An ID as the PEL stores it: 16 bytes big-endian, no length. */
function putRawId(buf: Buffer, p: number, id: StreamId): void {
  putU32be(buf, p, hi32(id.ms));
  putU32be(buf, p + 4, lo32(id.ms));
  putU32be(buf, p + 8, hi32(id.seq));
  putU32be(buf, p + 12, lo32(id.seq));
}

/** A PEL holds one ID per pending entry, twice: bytes stored directly, no call per word. */
function putU32be(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
}

/** The largest delivery time written as two exact words (`putDelivery`): up to 2^53. */
const MAX_SAFE = 9007199254740991;
/** The most bytes a group PEL entry takes: the raw ID, the delivery time and a count of up to 9. */
const NACK_MAX_BYTES = ID_BYTES + 8 + 9;

/**
 * Writes a PEL (a group's: IDs, delivery times and counts; a consumer's: IDs only) in
 * one reservation of the output and one loop over all its entries: a PEL may hold
 * millions, and a server's first save runs this code cold, where V8 optimizes one long
 * loop far sooner than a function called per entry or per B+ tree leaf.
 */
function writePel(w: ByteWriter, pel: Pel, withDelivery: boolean): void {
  const leaves: (readonly Nack[] | number)[] = [];
  pel.forEachRun((nacks, n) => void leaves.push(nacks, n));
  const buf = w.room(pel.size * (withDelivery ? NACK_MAX_BYTES : ID_BYTES));
  let p = w.end;
  for (let l = 0; l < leaves.length; l += 2) {
    const nacks = leaves[l] as readonly Nack[];
    const n = leaves[l + 1] as number;
    for (let i = 0; i < n; i++) {
      const nack = nacks[i];
      putRawId(buf, p, nack.id);
      p += ID_BYTES;
      if (withDelivery) p = putDelivery(buf, p, nack);
    }
  }
  w.wrote(p - w.end);
}

/** A group PEL entry's delivery time (8 bytes little-endian) and count (rdbSaveLen) at `p`; the offset after them. */
function putDelivery(buf: Buffer, p: number, nack: Nack): number {
  const time = nack.deliveryTime;
  const count = nack.deliveryCount;
  if (time >= 0 && time <= MAX_SAFE) {
    const lo = time % TWO32;
    const hi = (time - lo) / TWO32;
    buf[p] = lo;
    buf[p + 1] = lo >>> 8;
    buf[p + 2] = lo >>> 16;
    buf[p + 3] = lo >>> 24;
    buf[p + 4] = hi;
    buf[p + 5] = hi >>> 8;
    buf[p + 6] = hi >>> 16;
    buf[p + 7] = hi >>> 24;
  } else {
    buf.writeBigInt64LE(BigInt(time), p);
  }
  p += 8;
  if (typeof count === 'number' && count < TWO32) return putLen(buf, p, count);
  // Past 32 bits (XCLAIM RETRYCOUNT can set any count): rdbSaveLen's 0x81 and 8 bytes big-endian.
  buf[p] = 0x81;
  buf.writeBigUInt64BE(BigInt(count), p + 1);
  return p + 9;
}

function writeId(w: ByteWriter, id: StreamId): void {
  writeLen(w, id.ms);
  writeLen(w, id.seq);
}

function readId(r: RdbInput): StreamId {
  return new StreamId(r.len(), r.len());
}

/** (a - b) as the int64 listpack delta redis-server stores. */
function delta(a: U64, b: U64): Int64 {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

/** master + delta, modulo 2^64. */
function undelta(master: U64, d: Int64): U64 {
  if (typeof master === 'number' && typeof d === 'number') {
    const v = master + d;
    if (v >= 0 && Number.isSafeInteger(v)) return v;
  }
  const v = BigInt.asUintN(64, BigInt(master) + BigInt(d));
  return v <= 9007199254740991n ? Number(v) : v;
}

/**
 * Writes master + d (mod 2^64) as two 32-bit words at meta[b]; `words` are the
 * master's. Most deltas stay within the master's low word: no 64-bit arithmetic then.
 */
function putUndelta(meta: Uint32Array, b: number, words: readonly [number, number], master: U64, d: Int64): void {
  if (typeof d === 'number') {
    const lo = words[1] + d;
    if (lo >= 0 && lo < TWO32) {
      meta[b] = words[0];
      meta[b + 1] = lo;
      return;
    }
  }
  const v = undelta(master, d);
  meta[b] = hi32(v);
  meta[b + 1] = lo32(v);
}

/** Reusable buffers for converting nodes (one conversion at a time, never re-entered). */
let scratch = Buffer.allocUnsafe(1 << 16);
const lpOut = new ListpackWriter(1 << 14);

function scratchOf(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}

/** Appends a string element from `data` bytes as lpAppend would store it. */
function element(lp: ListpackWriter, data: Buffer, start: number, end: number): void {
  const c = data[start];
  if (end - start <= 20 && ((c >= 48 && c <= 57) || c === 45)) {
    const v = lpStringAsInt(data.latin1Slice(start, end));
    if (v !== null) return lp.int(v);
  }
  lp.rawBytes(data, start, end);
}

/** A node as the listpack redis-server would hold for it. */
function nodeToListpack(node: StreamNode): Buffer {
  const p = node.parts();
  const lp = lpOut;
  lp.reset();
  lp.int(p.live);
  lp.int(p.size - p.live);
  lp.int(p.masterFields.length);
  for (const f of p.masterFields) lp.string(f);
  lp.int(0);
  // A payload this long may hold a packed value (protocol/packed-string.ts), which its latin1 bytes would not carry.
  if (p.data.length >= PACKED_MIN_CHARS) return entriesToListpack(node, p, lp);
  const data = scratchOf(p.data.length);
  data.latin1Write(p.data, 0, p.data.length);
  const meta = p.meta;
  const masterCount = p.masterFields.length;
  const masterMs = p.masterMs;
  const masterSeq = p.masterSeq;
  const msHi = hi32(masterMs);
  const msLo = lo32(masterMs);
  const seqHi = hi32(masterSeq);
  const seqLo = lo32(masterSeq);
  for (let i = 0; i < p.size; i++) {
    const b = i * NODE_META_WORDS;
    const word = meta[b + 4];
    const flags = word & 3;
    let at = word >>> 2;
    lp.int(flags);
    // Within the master's high word the delta is that of the low words: no 53-bit double to box.
    lp.int(meta[b] === msHi ? meta[b + 1] - msLo : delta(fromHiLo(meta[b], meta[b + 1]), masterMs));
    lp.int(meta[b + 2] === seqHi ? meta[b + 3] - seqLo : delta(fromHiLo(meta[b + 2], meta[b + 3]), masterSeq));
    let strings = masterCount;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      const n = readVarint(data, at);
      at += lengthPrefixSize(n);
      lp.int(n);
      strings = 2 * n;
    }
    for (let k = 0; k < strings; k++) {
      const len = readVarint(data, at);
      at += lengthPrefixSize(len);
      element(lp, data, at, at + len);
      at += len;
    }
    lp.int((flags & FLAG_SAMEFIELDS) !== 0 ? masterCount + 3 : strings + 4);
  }
  return lp.finish();
}

/** nodeToListpack's entries read as strings, one entry at a time (a node holding a value past V8's string limit). */
function entriesToListpack(node: StreamNode, p: StreamNodeParts, lp: ListpackWriter): Buffer {
  const pairs: string[] = [];
  const masterCount = p.masterFields.length;
  for (let i = 0; i < p.size; i++) {
    const b = i * NODE_META_WORDS;
    const flags = p.meta[b + 4] & 3;
    lp.int(flags);
    lp.int(delta(fromHiLo(p.meta[b], p.meta[b + 1]), p.masterMs));
    lp.int(delta(fromHiLo(p.meta[b + 2], p.meta[b + 3]), p.masterSeq));
    node.readPairs(i, pairs);
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    if (!same) lp.int(pairs.length / 2);
    for (let k = same ? 1 : 0; k < pairs.length; k += same ? 2 : 1) lp.string(pairs[k]);
    lp.int(same ? masterCount + 3 : pairs.length + 4);
  }
  return lp.finish();
}

/** The node payload's length prefix (stream-node.ts: 7 bits a byte) at `p`, read from its bytes (protocol/reply.ts readLengthPrefix reads it from the payload string). */
function readVarint(d: Buffer, p: number): number {
  let c = d[p];
  if (c < 128) return c;
  let n = 0;
  let scale = 1;
  while (c >= 128) {
    n += (c - 128) * scale;
    scale *= 128;
    c = d[++p];
  }
  return n + c * scale;
}

function writeVarint(d: Buffer, p: number, n: number): number {
  while (n >= 128) {
    d[p++] = (n % 128) + 128;
    n = Math.floor(n / 128);
  }
  d[p++] = n;
  return p;
}

/**
 * Builds a node's payload string (stream-node.ts) from listpack elements, or only
 * counts its chars (`measuring`: a load's scan of a node left undecoded).
 */
class PayloadBuilder {
  buf = scratchOf(1 << 12);
  pos = 0;
  /**
   * The payload before `buf`, as strings, once an element too long for a latin1 string
   * came (packed: protocol/packed-string.ts); null until then. `before` counts their chars.
   */
  private parts: string[] | null = null;
  private before = 0;

  constructor(private readonly measuring: boolean) {}

  /** Offset in the payload string of what comes next. */
  get offset(): number {
    return this.before + this.pos;
  }

  /** The payload string. */
  finish(): string {
    const tail = this.buf.latin1Slice(0, this.pos);
    return this.parts === null ? tail : this.parts.join('') + tail;
  }

  /** An element past V8's latin1 limit: its packed string, prefixed by its length in chars. */
  private packed(bytes: Buffer): void {
    const s = bytesToString(bytes);
    this.count(s.length);
    if (this.measuring) {
      this.pos += s.length;
      return;
    }
    (this.parts ??= []).push(this.buf.latin1Slice(0, this.pos), s);
    this.before += this.pos + s.length;
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  count(n: number): void {
    if (this.measuring) {
      this.pos += lengthPrefixSize(n);
      return;
    }
    this.ensure(8);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  /** A string element's bytes, `src` from `start` to `stop`, after their length. */
  bytes(src: Buffer, start: number, stop: number): void {
    const len = stop - start;
    if (len > MAX_LATIN1) return this.packed(src.subarray(start, stop));
    if (this.measuring) {
      this.pos += lengthPrefixSize(len) + len;
      return;
    }
    this.ensure(8 + len);
    const out = this.buf;
    let p = writeVarint(out, this.pos, len);
    // Stream fields and values are mostly short: a loop costs less than a native copy's call.
    if (len < 64) {
      for (let i = start; i < stop; i++) out[p++] = src[i];
    } else {
      src.copy(out, p, start, stop);
      p += len;
    }
    this.pos = p;
  }

  /** An integer element, as the text it stands for. */
  text(s: string): void {
    if (this.measuring) {
      this.pos += lengthPrefixSize(s.length) + s.length;
      return;
    }
    this.ensure(8 + s.length);
    this.pos = writeVarint(this.buf, this.pos, s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
  }
}

/** Where the element after the one `intElement` read starts. */
let afterElement = 0;

/** Where the element after the one at `p` of the listpack `lp` (whose terminator is at `end`) starts. */
function elementEnd(lp: Buffer, p: number, end: number, fail: (what: string) => never): number {
  const size = lpElementSize(lp, p);
  const next = p + size + backlenSize(size);
  if (size === 0 || next > end) fail('bad element');
  return next;
}

/**
 * The integer element at `p` of the listpack `lp` (whose terminator is at `end`); a
 * string element must spell one (stream metadata). `afterElement` is set past it.
 */
function intElement(lp: Buffer, p: number, end: number, fail: (what: string) => never): Int64 {
  // Most are 7-bit or 13-bit integers (flags, deltas, counts): a back length of one byte.
  const enc = lp[p];
  if (enc < 0x80 && p + 2 <= end) {
    afterElement = p + 2;
    return enc;
  }
  if (enc >= 0xc0 && enc < 0xe0 && p + 3 <= end) {
    afterElement = p + 3;
    const u = ((enc & 0x1f) << 8) | lp[p + 1];
    return u >= 4096 ? u - 8192 : u;
  }
  afterElement = elementEnd(lp, p, end, fail);
  const v = lpIntAt(lp, p);
  if (v !== null) return v;
  return parseInt64(lp.latin1Slice(lpStringStart(lp, p), p + lpElementSize(lp, p))) ?? fail('an integer was expected');
}

/** What `readListpack` finds: a node's parts, and the length its payload has or would have. */
type NodeRead = StreamNodeParts & { dataChars: number };

/** Two entries' words: the previous and the current ID of a scan that builds no node. */
const scanMeta = new Uint32Array(2 * NODE_META_WORDS);

/**
 * A node's parts from its listpack and master ID, every element checked (`fail` says
 * what is wrong; `fileAt`: the listpack's offset in the file). The master entry is read
 * with a ListpackReader, the entries in one pass over the bytes: with `decode`, their
 * IDs into the node's words and their strings into its payload; without, only checked
 * and measured (`meta` and `data` are then not the node's).
 */
function readListpack(lp: Buffer, master: StreamId, fail: (what: string) => never, fileAt: number, decode: boolean): NodeRead {
  const r = new ListpackReader(lp, fileAt);
  const live = r.expect().integer();
  const deleted = r.expect().integer();
  const fieldCount = r.expect().integer();
  if (typeof live !== 'number' || typeof deleted !== 'number' || typeof fieldCount !== 'number' || live < 0 || deleted < 0 || fieldCount < 0) {
    return fail('bad master entry');
  }
  const masterFields: string[] = [];
  for (let f = 0; f < fieldCount; f++) masterFields.push(r.expect().text());
  if (r.expect().integer() !== 0) fail('bad master entry terminator');
  const size = live + deleted;
  // Every entry takes at least four elements of a byte or more.
  if (size === 0 || size > lp.length) fail('bad entry count');
  const meta = decode ? new Uint32Array(size * NODE_META_WORDS) : scanMeta;
  const msWords = [hi32(master.ms), lo32(master.ms)] as const;
  const seqWords = [hi32(master.seq), lo32(master.seq)] as const;
  const payload = new PayloadBuilder(!decode);
  const end = lp.length - 1;
  let p = r.position;
  let seenLive = 0;
  let monotonic = true;
  for (let i = 0; i < size; i++) {
    const flags = intElement(lp, p, end, fail);
    if (typeof flags !== 'number' || flags < 0 || flags > 3) fail('bad entry flags');
    const b = decode ? i * NODE_META_WORDS : (i & 1) * NODE_META_WORDS;
    putUndelta(meta, b, msWords, master.ms, intElement(lp, afterElement, end, fail));
    putUndelta(meta, b + 2, seqWords, master.seq, intElement(lp, afterElement, end, fail));
    p = afterElement;
    meta[b + 4] = payload.offset * 4 + (flags as number);
    if (i > 0 && !isAfter(meta, b, decode ? b - NODE_META_WORDS : NODE_META_WORDS - b)) monotonic = false;
    let strings = fieldCount;
    if (((flags as number) & FLAG_SAMEFIELDS) === 0) {
      const n = intElement(lp, p, end, fail);
      if (typeof n !== 'number' || n < 0) fail('bad field count');
      p = afterElement;
      payload.count(n as number);
      strings = 2 * (n as number);
    }
    for (let k = 0; k < strings; k++) {
      const enc = lp[p];
      if (enc >= 0x80 && enc < 0xc0) {
        // A string of up to 63 bytes (most fields and values): its back length is one byte.
        const start = p + 1;
        p = start + (enc & 0x3f) + 1;
        if (p > end) fail('bad element');
        payload.bytes(lp, start, p - 1);
        continue;
      }
      const elementSize = lpElementSize(lp, p);
      const next = p + elementSize + backlenSize(elementSize);
      if (elementSize === 0 || next > end) fail('bad element');
      const v = lpIntAt(lp, p);
      if (v === null) payload.bytes(lp, lpStringStart(lp, p), p + elementSize);
      else payload.text(String(v));
      p = next;
    }
    // The entry's element count, which nothing needs (most often a 7-bit integer).
    p = lp[p] < 0x80 && p + 2 <= end ? p + 2 : elementEnd(lp, p, end, fail);
    if (((flags as number) & FLAG_DELETED) === 0) seenLive++;
  }
  if (p < end) fail('elements after the last entry');
  if (seenLive !== live) fail('live count does not match the entries');
  const dataChars = payload.offset;
  const data = decode ? payload.finish() : '';
  const lpFixed = lp.length - lpIntSize(live) - lpIntSize(deleted);
  return { masterFields, masterMs: master.ms, masterSeq: master.seq, meta, data, size, live, monotonic, lpFixed, dataChars };
}

/** Reads kept node encodings (`decodeKept`); one decode at a time, never re-entered. */
const keptInput = new RdbInput(Buffer.alloc(0));

/**
 * The entries of a sealed node from its kept RDB string (checked when it was loaded, or
 * made by `encodeNode`), `size` entries whose payload is `dataChars` long. Most go
 * through `decodeKeptEntries`; a node it leaves (large elements, IDs far from the
 * master's) through the load's checked reader.
 */
function decodeKept(kept: Buffer, master: StreamId, size: number, dataChars: number, words: Uint32Array): StreamNodeBody {
  keptInput.buf = kept;
  keptInput.pos = 0;
  keptInput.end = kept.length;
  const lp = keptInput.blob();
  const body = typeof master.ms === 'number' && typeof master.seq === 'number' ? decodeKeptEntries(lp, master.ms, master.seq, size, dataChars, words) : null;
  if (body !== null) return body;
  const fail = (what: string): never => {
    throw new Error(`a stream node checked on load no longer decodes: ${what}`);
  };
  return readListpack(lp, master, fail, 0, true);
}

/**
 * `decodeKept`'s pass over a listpack already checked: the IDs into `meta` and the
 * strings into the payload, with nothing built but those two (no master fields: the
 * node has them) and no check but that the result has the size the node expects. Null
 * when an element is one it leaves to readListpack: a string of 4,096 bytes or more, an
 * integer past 32 bits, an ID whose words leave the master's high words.
 */
function decodeKeptEntries(lp: Buffer, masterMs: number, masterSeq: number, size: number, dataChars: number, meta: Uint32Array): StreamNodeBody | null {
  const end = lp.length - 1;
  // The master entry: live and deleted counts, field count, the fields, then 0.
  let p = 6;
  for (let k = 0; k < 2; k++) p += lpElementSize(lp, p) + 1;
  const fieldCount = lpIntAt(lp, p);
  if (typeof fieldCount !== 'number' || fieldCount < 0) return null;
  p += lpElementSize(lp, p) + 1;
  for (let f = 0; f <= fieldCount; f++) {
    const n = lpElementSize(lp, p);
    p += n + backlenSize(n);
  }
  const msHi = hi32(masterMs);
  const msLo = lo32(masterMs);
  const seqHi = hi32(masterSeq);
  const seqLo = lo32(masterSeq);
  // Room for a length prefix (up to 5 bytes) written before the length check.
  const out = scratchOf(dataChars + 8);
  let o = 0;
  let i = 0;
  for (; i < size && p < end; i++) {
    const b = i * NODE_META_WORDS;
    const flags = lp[p];
    if (flags > 3) return null;
    p += 2;
    // The two deltas: 7-bit and 13-bit integers inline, the rest up to 32 bits by lpIntAt.
    for (let w = 0; w < 2; w++) {
      const enc = lp[p];
      let d: number;
      if (enc < 0x80) {
        d = enc;
        p += 2;
      } else if (enc >= 0xc0 && enc < 0xe0) {
        const u = ((enc & 0x1f) << 8) | lp[p + 1];
        d = u >= 4096 ? u - 8192 : u;
        p += 3;
      } else {
        const v = lpIntAt(lp, p);
        if (typeof v !== 'number') return null;
        d = v;
        p += lpElementSize(lp, p) + 1;
      }
      const lo = (w === 0 ? msLo : seqLo) + d;
      if (lo < 0 || lo >= TWO32) return null;
      meta[b + 2 * w] = w === 0 ? msHi : seqHi;
      meta[b + 2 * w + 1] = lo;
    }
    if (o > dataChars) return null;
    meta[b + 4] = o * 4 + flags;
    let strings = fieldCount;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      const n = lpIntAt(lp, p);
      if (typeof n !== 'number' || n < 0) return null;
      p += lpElementSize(lp, p) + 1;
      o = writeVarint(out, o, n);
      strings = 2 * n;
    }
    for (let k = 0; k < strings; k++) {
      const enc = lp[p];
      let start: number;
      let len: number;
      if (enc >= 0x80 && enc < 0xc0) {
        start = p + 1;
        len = enc & 0x3f;
        p = start + len + 1;
      } else if (enc >= 0xe0 && enc < 0xf0) {
        start = p + 2;
        len = ((enc & 0x0f) << 8) | lp[p + 1];
        p = start + len + backlenSize(len + 2);
      } else {
        // An integer element stands for its decimal text.
        const v = lpIntAt(lp, p);
        if (typeof v !== 'number' || enc === 0xf0) return null;
        p += lpElementSize(lp, p) + 1;
        const text = String(v);
        if (o + text.length > dataChars) return null;
        out[o++] = text.length;
        o += out.latin1Write(text, o);
        continue;
      }
      // The result must be dataChars long: past that, the prefix and bytes would not fit the scratch.
      if (o + len > dataChars || p > end) return null;
      o = writeVarint(out, o, len);
      // Stream fields and values are mostly short: a loop costs less than a native copy's call.
      if (len < 64) {
        for (let j = start; j < start + len; j++) out[o++] = lp[j];
      } else {
        lp.copy(out, o, start, start + len);
        o += len;
      }
    }
    // The entry's element count, which nothing needs.
    p += lp[p] < 0x80 ? 2 : lpElementSize(lp, p) + 1;
  }
  // Every word of `meta` written, which may be a dropped node's: nothing of those is left.
  if (i !== size || o !== dataChars || p !== end) return null;
  return { meta, data: out.latin1Slice(0, o) };
}

/** True when the ID at meta offset b is greater than the one at offset a. */
function isAfter(m: Uint32Array, b: number, a: number): boolean {
  return (m[b] - m[a] || m[b + 1] - m[a + 1] || m[b + 2] - m[a + 2] || m[b + 3] - m[a + 3]) > 0;
}

/** Where `encodeNode` writes before copying out (one encoding at a time, never re-entered). */
const nodeOut = new ByteWriter();

/**
 * A node's RDB string (its listpack, LZF-compressed where that pays), in a Buffer of
 * its own: what a node keeps once it stops being its stream's tail (`Stream.encodeSealed`
 * calls this through `encodeSealedNodesWith`), so that snapshots copy it.
 */
function encodeNode(node: StreamNode): Buffer {
  const kept = writeBlobKept(nodeOut, nodeToListpack(node));
  nodeOut.discard();
  return kept;
}

encodeSealedNodesWith(encodeNode);
decodeSealedNodesWith(decodeKept);

/** writeBlob, returning a copy of the bytes it wrote. */
function writeBlobKept(w: ByteWriter, bytes: Buffer): Buffer {
  // The longest encoding writeBlob can choose (the bytes and a header of up to 16) fits: it writes into this same buffer.
  const buf = w.room(bytes.length + 16);
  const start = w.end;
  writeBlob(w, bytes);
  const kept = Buffer.allocUnsafe(w.end - start);
  buf.copy(kept, 0, start, w.end);
  return kept;
}

/**
 * Writes a stream's value (after its type and key) from a view, `maxNodes` nodes per
 * `step`: the nodes, the counters, then the consumer groups (`writeGroups`).
 */
export class StreamRecordWriter {
  private next = -1;
  private readonly key = Buffer.allocUnsafe(ID_BYTES);

  constructor(
    private readonly view: StreamView,
    /** The stream the view is of, which keeps the nodes' encodings (`Stream.keepEncoded`). */
    private readonly stream: Stream,
    private readonly writeGroups: (w: ByteWriter) => void,
  ) {}

  step(w: ByteWriter, maxNodes: number): boolean {
    const nodes = this.view.nodes;
    if (this.next < 0) {
      writeLen(w, nodes.length);
      this.next = 0;
    }
    const end = Math.min(nodes.length, this.next + maxNodes);
    for (; this.next < end; this.next++) {
      const node = nodes[this.next];
      writeBlob(w, encodeId(node.masterMs, node.masterSeq, this.key));
      if (node.rdbEncoded !== null) w.bytes(node.rdbEncoded);
      else if (this.next === nodes.length - 1) writeBlob(w, nodeToListpack(node));
      // Not the tail: it changes only if entries are deleted, keep what was written.
      else this.stream.keepEncoded(node, writeBlobKept(w, nodeToListpack(node)), this.next);
    }
    if (this.next < nodes.length) return false;
    const v = this.view;
    writeLen(w, v.length);
    writeId(w, v.lastId);
    writeId(w, v.firstId);
    writeId(w, v.maxDeletedId);
    writeLen(w, v.entriesAdded);
    this.writeGroups(w);
    return true;
  }
}

/** The consumer groups part of a stream's value. */
export function writeGroups(w: ByteWriter, groups: ReadonlyMap<string, ConsumerGroup> | null): void {
  const sorted = groups === null ? [] : byName(groups);
  writeLen(w, sorted.length);
  for (const [name, group] of sorted) {
    writeString(w, name);
    writeId(w, group.lastId);
    writeSignedLen(w, group.entriesRead);
    writeLen(w, group.pel.size);
    writePel(w, group.pel, true);
    writeLen(w, group.consumers.size);
    for (const consumer of group.sortedConsumers()) {
      writeString(w, consumer.name);
      writeMillis(w, consumer.seenTime);
      writeLen(w, consumer.pel.size);
      writePel(w, consumer.pel, false);
    }
  }
}

export const STREAM_RDB_TYPE = RdbType.StreamListpacks2;

/** Reads a stream value of type STREAM_LISTPACKS (v1) or STREAM_LISTPACKS_2 (an empty stream is a key too). */
export function readStream(r: RdbInput, type: RdbType): Stream {
  const v2 = type === RdbType.StreamListpacks2;
  const s = new Stream();
  const nodes: StreamNode[] = [];
  let live = 0;
  for (let n = r.count(); n > 0; n--) {
    const at = r.pos;
    const key = r.blob();
    if (key.length !== ID_BYTES) r.fail('stream node key is not a 128-bit ID', at);
    const node = readNode(r, decodeId(key), n === 1);
    if (nodes.length > 0 && !isAscendingKey(nodes[nodes.length - 1], node)) {
      r.fail('stream nodes out of order', at);
    }
    nodes.push(node);
    live += node.live;
  }
  const at = r.pos;
  s.length = r.count();
  if (s.length !== live) r.fail('stream length does not match its nodes', at);
  s.lastId = readId(r);
  s.adoptNodes(nodes);
  if (v2) {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = r.len();
  } else {
    // STREAM_LISTPACKS had no lag counters: redis-server derives them the same way.
    s.firstId = s.edgeId(true, true);
    s.entriesAdded = s.length;
  }
  readGroups(r, s, v2);
  return s;
}

/**
 * A node's listpack, checked. The tail, which XADD changes next, is decoded; any other
 * node is left undecoded (stream-node.ts) with its RDB string kept
 * (`StreamNode.rdbEncoded`), which the next snapshot copies and its decode reads.
 */
function readNode(r: RdbInput, master: StreamId, tail: boolean): StreamNode {
  const at = r.pos;
  const lp = r.blob();
  const fail = (what: string): never => r.fail(`invalid stream listpack: ${what}`, at);
  if (tail) return StreamNode.fromParts(readListpack(lp, master, fail, r.base + at, true));
  const { masterFields, size, live, monotonic, lpFixed, dataChars } = readListpack(lp, master, fail, r.base + at, false);
  // r.buf taken after the read: a window may have been extended by it.
  const encoded = Buffer.allocUnsafe(r.pos - at);
  r.buf.copy(encoded, 0, at, r.pos);
  return StreamNode.undecoded({ masterFields, masterMs: master.ms, masterSeq: master.seq, size, live, monotonic, lpFixed, dataChars, encoded });
}

/** Node keys must ascend; compares master IDs, which are the keys. */
function isAscendingKey(prev: StreamNode, next: StreamNode): boolean {
  // U64s: one representation per value, and < compares numbers and bigints exactly.
  return prev.masterMs < next.masterMs || (prev.masterMs === next.masterMs && prev.masterSeq < next.masterSeq);
}

function readGroups(r: RdbInput, s: Stream, v2: boolean): void {
  const count = r.count();
  if (count === 0) return;
  s.groups = new Map();
  for (let g = 0; g < count; g++) {
    const at = r.pos;
    const name = r.string();
    const lastId = readId(r);
    const entriesRead = v2 ? r.signedLen() : s.estimateEntriesRead(lastId);
    if (s.groups.has(name)) r.fail('duplicated consumer group name', at);
    const group = new ConsumerGroup(lastId, entriesRead);
    readPel(r, group);
    s.groups.set(name, group);
  }
}

/** The big-endian 32-bit word at `p` of `b` (the caller checked the bounds). */
function u32be(b: Buffer, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * A group's PEL, then its consumers, each claiming its entries of that PEL. The PEL
 * is kept as the file has it, in ID order, as 32-bit words; a consumer's entries are
 * matched against it in order (redis-server writes both PELs in ID order), by binary
 * search when they skip. No string or object per entry but the Nack and its ID; both
 * PELs are built in one pass from sorted entries (`Pel.loadSorted`).
 */
function readPel(r: RdbInput, group: ConsumerGroup): void {
  const n = r.count();
  if (n > r.end - r.pos) r.reach(r.pos + n, 'pending entries list longer than the file');
  const words = new Uint32Array(n * 4);
  const times = new Float64Array(n);
  const counts: U64[] = new Array<U64>(n);
  for (let i = 0; i < n; i++) {
    const at = r.skip(ID_BYTES);
    // r.buf taken after the read: a window may have been extended by it.
    const buf = r.buf;
    const w = i * 4;
    words[w] = u32be(buf, at);
    words[w + 1] = u32be(buf, at + 4);
    words[w + 2] = u32be(buf, at + 8);
    words[w + 3] = u32be(buf, at + 12);
    if (i > 0 && compareWordsAt(words, i - 1, words, i) >= 0) r.fail('pending entries out of order', at);
    times[i] = Number(r.millis());
    counts[i] = r.len();
  }
  const key = new Uint32Array(4);
  const nacks: Nack[] = new Array<Nack>(n);
  let claimed = 0;
  for (let c = r.count(); c > 0; c--) {
    const atName = r.pos;
    const name = r.string();
    if (group.consumers.has(name)) r.fail('duplicated consumer name', atName);
    const consumer = group.createConsumer(name, Number(r.millis()));
    const own: Nack[] = [];
    let sorted = true;
    let i = -1;
    let before = -1;
    for (let k = r.count(); k > 0; k--) {
      const at = r.skip(ID_BYTES);
      const buf = r.buf;
      key[0] = u32be(buf, at);
      key[1] = u32be(buf, at + 4);
      key[2] = u32be(buf, at + 8);
      key[3] = u32be(buf, at + 12);
      i = i + 1 < n && compareWordsAt(words, i + 1, key, 0) === 0 ? i + 1 : findWords(words, n, key);
      if (i < 0 || nacks[i] !== undefined) r.fail("consumer's pending entry not in its group's PEL", at);
      const nack = new Nack(new StreamId(fromHiLo(key[0], key[1]), fromHiLo(key[2], key[3])), consumer, times[i], counts[i]);
      nacks[i] = nack;
      own.push(nack);
      if (i < before) sorted = false;
      before = i;
    }
    // redis-server writes a consumer's PEL in ID order, but does not require it.
    if (!sorted) own.sort((a, b) => a.id.compare(b.id));
    consumer.pel.loadSorted(own);
    claimed += own.length;
  }
  if (claimed !== n) r.fail('a pending entry has no consumer');
  group.pel.loadSorted(nacks);
}

/** Sign of (ID a of `x`) - (ID b of `y`), IDs as four 32-bit words each. */
function compareWordsAt(x: Uint32Array, a: number, y: Uint32Array, b: number): number {
  const i = a * 4;
  const j = b * 4;
  return x[i] - y[j] || x[i + 1] - y[j + 1] || x[i + 2] - y[j + 2] || x[i + 3] - y[j + 3];
}

/** Index of the ID `key` among the n sorted IDs of `words`, or -1. */
function findWords(words: Uint32Array, n: number, key: Uint32Array): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const d = compareWordsAt(words, mid, key, 0);
    if (d === 0) return mid;
    if (d < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
