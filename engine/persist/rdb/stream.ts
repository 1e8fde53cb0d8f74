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
 * node boundaries, deleted entries and lag counters survive a save and load.
 */
import type { ByteWriter } from '../bytes.js';
import { Stream, type StreamView } from '../../types/stream.js';
import { NODE_META_WORDS, StreamNode } from '../../types/stream-node.js';
import { fromHiLo, hi32, lo32, StreamId, type U64 } from '../../types/stream-id.js';
import { byName, ConsumerGroup, Nack, type Consumer } from '../../types/stream-group.js';
import { lpIntSize } from '../../types/stream-listpack.js';
import type { Int64 } from '../../util/int64.js';
import { RdbType, writeBlob, writeLen, writeMillis, writeSignedLen, writeString, type RdbInput } from './encoding.js';
import { ListpackReader, ListpackWriter, lpStringAsInt } from './listpack.js';

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
function writeRawId(w: ByteWriter, id: StreamId): void {
  const buf = w.room(ID_BYTES);
  const p = w.end;
  putU32be(buf, p, hi32(id.ms));
  putU32be(buf, p + 4, lo32(id.ms));
  putU32be(buf, p + 8, hi32(id.seq));
  putU32be(buf, p + 12, lo32(id.seq));
  w.wrote(ID_BYTES);
}

/** A PEL holds one ID per pending entry, twice: bytes stored directly, no call per word. */
function putU32be(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
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
  const data = scratchOf(p.data.length);
  data.latin1Write(p.data, 0, p.data.length);
  const meta = p.meta;
  const masterCount = p.masterFields.length;
  const masterMs = p.masterMs;
  const masterSeq = p.masterSeq;
  for (let i = 0; i < p.size; i++) {
    const b = i * NODE_META_WORDS;
    const word = meta[b + 4];
    const flags = word & 3;
    let at = word >>> 2;
    lp.int(flags);
    lp.int(delta(fromHiLo(meta[b], meta[b + 1]), masterMs));
    lp.int(delta(fromHiLo(meta[b + 2], meta[b + 3]), masterSeq));
    let strings = masterCount;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      const n = readVarint(data, at);
      at += varintSize(n);
      lp.int(n);
      strings = 2 * n;
    }
    for (let k = 0; k < strings; k++) {
      const len = readVarint(data, at);
      at += varintSize(len);
      element(lp, data, at, at + len);
      at += len;
    }
    lp.int((flags & FLAG_SAMEFIELDS) !== 0 ? masterCount + 3 : strings + 4);
  }
  return lp.finish();
}

/** The node payload's length prefix (stream-node.ts: 7 bits a byte) at `p`. */
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

/** Bytes of the length prefix of `n`. */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : n < 268435456 ? 4 : 5;
}

function writeVarint(d: Buffer, p: number, n: number): number {
  while (n >= 128) {
    d[p++] = (n % 128) + 128;
    n = Math.floor(n / 128);
  }
  d[p++] = n;
  return p;
}

/** Builds a node's payload string (stream-node.ts) from listpack elements. */
class PayloadBuilder {
  buf = scratchOf(1 << 12);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  count(n: number): void {
    this.ensure(8);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  element(r: ListpackReader): void {
    if (r.isInt) {
      const s = String(r.int);
      this.ensure(8 + s.length);
      this.pos = writeVarint(this.buf, this.pos, s.length);
      this.pos += this.buf.latin1Write(s, this.pos);
      return;
    }
    const len = r.stop - r.start;
    this.ensure(8 + len);
    const out = this.buf;
    let p = writeVarint(out, this.pos, len);
    // Stream fields and values are mostly short: a loop costs less than a native copy's call.
    if (len < 64) {
      const src = r.buf;
      for (let i = r.start; i < r.stop; i++) out[p++] = src[i];
    } else {
      r.buf.copy(out, p, r.start, r.stop);
      p += len;
    }
    this.pos = p;
  }
}

/** A node from its listpack and master ID (`at`: the listpack's offset, for errors). */
function listpackToNode(lp: Buffer, master: StreamId, r0: RdbInput, at: number): StreamNode {
  const r = new ListpackReader(lp, r0.base + at);
  const fail = (what: string): never => r0.fail(`invalid stream listpack: ${what}`, at);
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
  const meta = new Uint32Array(size * NODE_META_WORDS);
  const msWords = [hi32(master.ms), lo32(master.ms)] as const;
  const seqWords = [hi32(master.seq), lo32(master.seq)] as const;
  const payload = new PayloadBuilder();
  let seenLive = 0;
  let monotonic = true;
  for (let i = 0; i < size; i++) {
    const flags = r.expect().integer();
    if (typeof flags !== 'number' || flags < 0 || flags > 3) fail('bad entry flags');
    const b = i * NODE_META_WORDS;
    putUndelta(meta, b, msWords, master.ms, r.expect().integer());
    putUndelta(meta, b + 2, seqWords, master.seq, r.expect().integer());
    meta[b + 4] = payload.pos * 4 + (flags as number);
    if (i > 0 && !isAfter(meta, b)) monotonic = false;
    let strings = fieldCount;
    if (((flags as number) & FLAG_SAMEFIELDS) === 0) {
      const n = r.expect().integer();
      if (typeof n !== 'number' || n < 0) fail('bad field count');
      payload.count(n as number);
      strings = 2 * (n as number);
    }
    for (let k = 0; k < strings; k++) payload.element(r.expect());
    r.expect();
    if (((flags as number) & FLAG_DELETED) === 0) seenLive++;
  }
  if (r.next()) fail('elements after the last entry');
  if (seenLive !== live) fail('live count does not match the entries');
  const data = payload.buf.latin1Slice(0, payload.pos);
  const lpFixed = lp.length - lpIntSize(live) - lpIntSize(deleted);
  return StreamNode.fromParts({ masterFields, masterMs: master.ms, masterSeq: master.seq, meta, data, size, live, monotonic, lpFixed });
}

/** True when the ID at meta offset b is greater than the one before it. */
function isAfter(m: Uint32Array, b: number): boolean {
  const a = b - NODE_META_WORDS;
  return (m[b] - m[a] || m[b + 1] - m[a + 1] || m[b + 2] - m[a + 2] || m[b + 3] - m[a + 3]) > 0;
}

/** writeBlob, returning the bytes it wrote as latin1 text. */
function writeBlobKept(w: ByteWriter, bytes: Buffer): string {
  // The longest encoding writeBlob can choose fits: it writes into this same buffer.
  const buf = w.room(bytes.length + 16);
  const start = w.end;
  writeBlob(w, bytes);
  return buf.latin1Slice(start, w.end);
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
      const p = node.parts();
      writeBlob(w, encodeId(p.masterMs, p.masterSeq, this.key));
      if (node.rdbEncoded !== null) w.latin1(node.rdbEncoded);
      else if (this.next === nodes.length - 1) writeBlob(w, nodeToListpack(node));
      // Not the tail: it changes only if entries are deleted, keep what was written.
      else node.rdbEncoded = writeBlobKept(w, nodeToListpack(node));
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
    for (const nack of group.pel.from(StreamId.MIN)) {
      writeRawId(w, nack.id);
      writeMillis(w, nack.deliveryTime);
      writeLen(w, nack.deliveryCount);
    }
    writeLen(w, group.consumers.size);
    for (const consumer of group.sortedConsumers()) {
      writeString(w, consumer.name);
      writeMillis(w, consumer.seenTime);
      writeLen(w, consumer.pel.size);
      for (const nack of consumer.pel.from(StreamId.MIN)) writeRawId(w, nack.id);
    }
  }
}

export const STREAM_RDB_TYPE = RdbType.StreamListpacks2;

/** Reads a stream value of type STREAM_LISTPACKS (v1) or STREAM_LISTPACKS_2; null for an empty key. */
export function readStream(r: RdbInput, type: RdbType): Stream {
  const v2 = type === RdbType.StreamListpacks2;
  const s = new Stream();
  const nodes: StreamNode[] = [];
  let live = 0;
  for (let n = r.count(); n > 0; n--) {
    const at = r.pos;
    const key = r.blob();
    if (key.length !== ID_BYTES) r.fail('stream node key is not a 128-bit ID', at);
    const lpAt = r.pos;
    const node = listpackToNode(r.blob(), decodeId(key), r, lpAt);
    // Kept for the next snapshot (StreamNode.rdbEncoded); not the tail's, which XADD changes.
    if (n > 1) node.rdbEncoded = r.buf.latin1Slice(lpAt, r.pos);
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

/** Node keys must ascend; compares master IDs, which are the keys. */
function isAscendingKey(prev: StreamNode, next: StreamNode): boolean {
  const a = prev.parts();
  const b = next.parts();
  return new StreamId(a.masterMs, a.masterSeq).compare(new StreamId(b.masterMs, b.masterSeq)) < 0;
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

/**
 * A group's PEL, then its consumers, each claiming its entries of that PEL. The PEL
 * is kept as the file has it, in ID order: a consumer's entry is found by binary
 * search over its ID's 32-bit words (no string or object per entry but the Nack).
 */
function readPel(r: RdbInput, group: ConsumerGroup): void {
  const n = r.count();
  if (n > r.end - r.pos) r.reach(r.pos + n, 'pending entries list longer than the file');
  const words = new Uint32Array(n * 4);
  const times = new Float64Array(n);
  const counts: U64[] = new Array<U64>(n);
  const owner: (Consumer | undefined)[] = new Array<Consumer | undefined>(n);
  for (let i = 0; i < n; i++) {
    const at = r.skip(ID_BYTES);
    // r.buf taken after the read: a window may have been extended by it.
    const buf = r.buf;
    for (let w = 0; w < 4; w++) words[i * 4 + w] = buf.readUInt32BE(at + w * 4);
    if (i > 0 && compareWordsAt(words, i - 1, words, i) >= 0) r.fail('pending entries out of order', at);
    times[i] = Number(r.millis());
    counts[i] = r.len();
  }
  const key = new Uint32Array(4);
  const nacks: Nack[] = new Array<Nack>(n);
  for (let c = r.count(); c > 0; c--) {
    const atName = r.pos;
    const name = r.string();
    if (group.consumers.has(name)) r.fail('duplicated consumer name', atName);
    const consumer = group.createConsumer(name, Number(r.millis()));
    for (let k = r.count(); k > 0; k--) {
      const at = r.skip(ID_BYTES);
      const buf = r.buf;
      for (let w = 0; w < 4; w++) key[w] = buf.readUInt32BE(at + w * 4);
      const i = findWords(words, n, key);
      if (i < 0 || owner[i] !== undefined) r.fail("consumer's pending entry not in its group's PEL", at);
      owner[i] = consumer;
      const id = new StreamId(fromHiLo(key[0], key[1]), fromHiLo(key[2], key[3]));
      const nack = new Nack(id, consumer, times[i], counts[i]);
      nacks[i] = nack;
      consumer.pel.add(nack);
    }
  }
  for (let i = 0; i < n; i++) {
    if (owner[i] === undefined) r.fail('a pending entry has no consumer');
    group.pel.add(nacks[i]);
  }
}

/** Sign of (ID a of `x`) - (ID b of `y`), IDs as four 32-bit words each. */
function compareWordsAt(x: Uint32Array, a: number, y: Uint32Array, b: number): number {
  for (let w = 0; w < 4; w++) {
    const d = x[a * 4 + w] - y[b * 4 + w];
    if (d !== 0) return d;
  }
  return 0;
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
