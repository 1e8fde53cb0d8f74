/**
 * One stream node: a block of consecutive entries, the equivalent of one listpack
 * in redis-server's radix tree of listpacks.
 *
 * Layout, chosen for memory (a million small entries must stay within 3x of
 * redis-server's used_memory) and for zero per-entry JS objects:
 * - `meta`, a Uint32Array with 5 words per entry: the ID as four 32-bit halves
 *   (ms high, ms low, seq high, seq low: exact for all of uint64), and the entry's
 *   payload offset in `data` times 4 plus its flags.
 * - `data`, one latin1 string with every entry's payload back to back. Each string
 *   is prefixed by its length as a varint (7 bits per char). An entry whose field
 *   names equal the node's master fields (the first entry's, as in redis-server)
 *   stores only its values; any other entry stores its field count, then field and
 *   value pairs.
 * Deleted entries stay in place, flagged, as in a listpack: the node is dropped when
 * none of its entries is live.
 *
 * A sealed node (one that keeps its RDB bytes, `rdbEncoded`) holds `meta` and `data`
 * only while decoded-nodes.ts keeps its decoded form: otherwise it holds its counters
 * and master fields, and the first read or change of an entry decodes its bytes again.
 * A load leaves every node but the tail so (a start-up load then costs a check of the
 * bytes, not a string per entry, as redis-server's load keeps its listpacks), and a
 * full node gets there once the idle encoder (engine/sealed-nodes.ts) or a save gave it
 * its bytes. It is counted by those bytes alone (`payloadBytes`): its decoded form, when
 * it has one, is counted by the cache.
 */
import { lengthPrefixSize, readLengthPrefix, type Reply } from '../../protocol/reply.js';
import { fromHiLo, hi32, lo32, StreamId, u64String, type U64 } from './stream-id.js';
import { LP_EMPTY_BYTES, lpIntSize, lpStringSize } from './stream-listpack.js';
import { decodedNodes, type DecodedNode } from './decoded-nodes.js';

const STRIDE = 5;
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** The listpack encoding of the flags element (values 0-3): always 2 bytes. */
const LP_FLAGS_BYTES = 2;
/**
 * What one append leaves in the payload until it is flattened: a cons string (32 bytes)
 * and the piece's own string header (16).
 */
const ROPE_PIECE = 48;
/** The master entry's zero terminator element. */
const LP_ZERO_BYTES = 2;
/** The `meta` of an undecoded node: shared, never written (`ready` replaces it first). */
const EMPTY_META = new Uint32Array(0);

/**
 * Decodes a sealed node's entries from its RDB bytes and master ID; set by the RDB codec
 * (engine/persist/rdb/stream.ts, `decodeSealedNodesWith`), which this module does not import.
 */
let sealedNodeDecoder: SealedNodeDecoder | null = null;

/**
 * A sealed node's entries from its RDB bytes, its master ID, and what the node knows of
 * them: its entry count and the length its payload will have (the decoder sizes its
 * output once, and checks the result against both); `words`, `size` entries' ID words
 * long, is the decoder's to fill and return as `meta` (decoded-nodes.ts recycles them).
 */
export type SealedNodeDecoder = (encoded: Buffer, master: StreamId, size: number, dataChars: number, words: Uint32Array) => StreamNodeBody;

/** Sets the decoder of sealed nodes (the RDB codec, at its import). */
export function decodeSealedNodesWith(decode: SealedNodeDecoder): void {
  sealedNodeDecoder = decode;
}

/** The ID of a search bound as four 32-bit words, computed once per search, and as it was given. */
export class IdWords {
  readonly msHi: number;
  readonly msLo: number;
  readonly seqHi: number;
  readonly seqLo: number;
  readonly ms: U64;
  readonly seq: U64;

  constructor(id: StreamId) {
    this.ms = id.ms;
    this.seq = id.seq;
    this.msHi = hi32(id.ms);
    this.msLo = lo32(id.ms);
    this.seqHi = hi32(id.seq);
    this.seqLo = lo32(id.seq);
  }
}

/** The int64 listpack delta redis-server stores: (a - b) mod 2^64, read as signed. */
function delta(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

function varint(n: number): string {
  if (n < 128) return String.fromCharCode(n);
  let s = '';
  while (n >= 128) {
    s += String.fromCharCode((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  return s + String.fromCharCode(n);
}

/** Everything a node holds, as plain values (snapshots). */
export interface StreamNodeParts {
  masterFields: readonly string[];
  masterMs: U64;
  masterSeq: U64;
  /** 5 words per entry: ID as four 32-bit halves, then payload offset * 4 + flags. */
  meta: Uint32Array;
  data: string;
  size: number;
  live: number;
  monotonic: boolean;
  lpFixed: number;
}

/** Words of `StreamNodeParts.meta` per entry. */
export const NODE_META_WORDS = STRIDE;

/** The entries of a node, as `StreamNodeParts` has them. */
export interface StreamNodeBody {
  meta: Uint32Array;
  data: string;
}

/** An undecoded node (`StreamNode.undecoded`): its counters, and the RDB bytes its entries are decoded from. */
export interface UndecodedNode extends Omit<StreamNodeParts, 'meta' | 'data'> {
  /** The length `data` will have. */
  dataChars: number;
  /** The node's RDB string (checked: it decodes). */
  encoded: Buffer;
}

export class StreamNode implements DecodedNode {
  /** Entries stored, live and deleted. */
  size = 0;
  /** Entries not deleted. */
  live = 0;
  /** Payloads of all entries; see the file comment. Empty while undecoded. */
  private data = '';
  /**
   * True while every entry's ID is greater than the one stored before it, so that
   * binary search works. Only XSETID can break it: it may set the last ID below a
   * deleted entry, and the next XADD then stores a smaller ID after that entry.
   */
  monotonic = true;
  /**
   * Holders of this node as it is (a snapshot being written, a streamed reply:
   * Stream.freeze): while any, the stream changes a copy instead (Stream.own).
   */
  sharers = 0;
  /** Appends since the payload was last flattened (`seal`): each left a rope piece. */
  private unflattened = 0;
  /**
   * The node's listpack as an RDB string (engine/persist/rdb/stream.ts), off the JS
   * heap (a stream keeps thousands: no garbage collection copies them), made as idle
   * work once the node stopped being its stream's tail (`Stream.encodeSealed`), or kept
   * when a snapshot wrote it (`Stream.keepEncoded`) or a load read it and the node was
   * not the stream's tail, so a snapshot copies it instead of encoding and compressing
   * the node; any change drops it (`unseal`). Never written into: copies share it. It
   * costs its bytes (the listpack LZF-compressed, about 7 per `field value` entry), all
   * the node counts in `payloadBytes` while set. Set by `sealWith`.
   */
  get rdbEncoded(): Buffer | null {
    return this.encoded;
  }

  private encoded: Buffer | null = null;
  /** False while `meta` and `data` are empty and the entries are in `rdbEncoded` alone (the file comment). */
  private decoded = true;
  /** The length of `data` once decoded, while undecoded. */
  private undecodedChars = 0;
  /** See decoded-nodes.ts. */
  cacheSlot = -1;
  hot = false;
  private meta: Uint32Array;
  /** The simulated listpack's bytes, except the live and deleted counters. */
  private lpFixed: number;
  /** ID of the first entry ever stored here: the base of the listpack's deltas and the RDB node key. */
  readonly masterMs: U64;
  readonly masterSeq: U64;

  private constructor(
    readonly masterFields: readonly string[],
    master: StreamId,
    meta: Uint32Array,
    lpFixed: number,
  ) {
    this.masterMs = master.ms;
    this.masterSeq = master.seq;
    this.meta = meta;
    this.lpFixed = lpFixed;
  }

  /** A node whose master entry takes its fields from argv[start], argv[start+2], ... */
  static create(id: StreamId, argv: readonly string[], start: number, capacity: number): StreamNode {
    const fields: string[] = [];
    let lp = LP_EMPTY_BYTES + LP_ZERO_BYTES;
    for (let i = start; i < argv.length; i += 2) {
      fields.push(argv[i]);
      lp += lpStringSize(argv[i]);
    }
    lp += lpIntSize(fields.length);
    return new StreamNode(fields, id, new Uint32Array(capacity * STRIDE), lp);
  }

  /**
   * The bytes this node's payload and IDs take (the ID words' typed array, the payload
   * string and the kept RDB encoding), without the fixed cost of its objects
   * (engine/memory.ts adds that). The stream keeps the sum over its nodes: whatever
   * changes a node of a stream tells the stream the difference.
   */
  get payloadBytes(): number {
    if (this.encoded !== null) return this.encoded.length;
    return this.meta.byteLength + this.data.length + this.unflattened * ROPE_PIECE;
  }

  /** The bytes of the decoded form, for decoded-nodes.ts (a sealed node's is flat: no rope pieces). */
  get decodedBytes(): number {
    return this.meta.byteLength + this.data.length;
  }

  /** The payload's length in chars (`data`), without decoding an undecoded node. */
  get payloadChars(): number {
    return this.decoded ? this.data.length : this.undecodedChars;
  }

  /** Builds the entries of an undecoded node; marks a decoded one used (decoded-nodes.ts). */
  private ready(): void {
    if (this.decoded) {
      this.hot = true;
      return;
    }
    const words = decodedNodes.takeWords(this.size * STRIDE);
    const body = sealedNodeDecoder!(this.encoded!, new StreamId(this.masterMs, this.masterSeq), this.size, this.undecodedChars, words);
    if (body.meta !== words) decodedNodes.spareWords(words);
    this.decoded = true;
    this.meta = body.meta;
    this.data = body.data;
    decodedNodes.decodes++;
    decodedNodes.add(this);
  }

  /**
   * Keeps `encoded`, this node's RDB string (full: it is not its stream's tail, or no
   * longer changes), as its only payload counted: the decoded form goes to
   * decoded-nodes.ts, which drops it when others are used more recently.
   */
  sealWith(encoded: Buffer): void {
    this.encoded = encoded;
    if (this.decoded && this.cacheSlot < 0) decodedNodes.add(this);
  }

  /** Drops the decoded form of a sealed node (decoded-nodes.ts, which has taken it out); its ID words are reused. */
  forget(): void {
    decodedNodes.spareWords(this.meta);
    this.undecodedChars = this.data.length;
    this.meta = EMPTY_META;
    this.data = '';
    this.decoded = false;
  }

  /** The node left its stream (trimmed, emptied by XDEL): its decoded form, if it is a sealed node's, leaves decoded-nodes.ts at once. */
  leave(): void {
    if (this.cacheSlot < 0) return;
    decodedNodes.remove(this);
    this.forget();
  }

  /** Before a change: decodes, and drops the RDB bytes, the decoded form becoming the node's own again. */
  private unseal(): void {
    this.ready();
    if (this.encoded === null) return;
    if (this.cacheSlot >= 0) decodedNodes.remove(this);
    this.encoded = null;
  }

  /** The byte size redis-server's listpack for this node would have (lpBytes). */
  lpBytes(): number {
    return this.lpFixed + lpIntSize(this.live) + lpIntSize(this.size - this.live);
  }

  /** Appends an entry with the field/value pairs argv[start..]. */
  append(id: StreamId, argv: readonly string[], start: number): void {
    this.unseal();
    const numFields = (argv.length - start) / 2;
    const master = this.masterFields;
    let same = numFields === master.length;
    for (let f = 0; same && f < numFields; f++) same = argv[start + 2 * f] === master[f];

    if ((this.size + 1) * STRIDE > this.meta.length) this.grow();
    const base = this.size * STRIDE;
    const meta = this.meta;
    meta[base] = hi32(id.ms);
    meta[base + 1] = lo32(id.ms);
    meta[base + 2] = hi32(id.seq);
    meta[base + 3] = lo32(id.seq);
    meta[base + 4] = this.data.length * 4 + (same ? FLAG_SAMEFIELDS : 0);
    if (base > 0 && !(this.compareWords(base - STRIDE, base) < 0)) this.monotonic = false;

    let lp = LP_FLAGS_BYTES + lpIntSize(delta(id.ms, this.masterMs)) + lpIntSize(delta(id.seq, this.masterSeq));
    let payload = '';
    if (same) {
      for (let i = start + 1; i < argv.length; i += 2) {
        payload += varint(argv[i].length) + argv[i];
        lp += lpStringSize(argv[i]);
      }
      lp += lpIntSize(numFields + 3);
    } else {
      payload = varint(numFields);
      for (let i = start; i < argv.length; i++) {
        payload += varint(argv[i].length) + argv[i];
        lp += lpStringSize(argv[i]);
      }
      lp += lpIntSize(numFields) + lpIntSize(2 * numFields + 4);
    }
    this.data += payload;
    this.unflattened++;
    this.lpFixed += lp;
    this.size++;
    this.live++;
  }

  private grow(): void {
    const bigger = new Uint32Array(Math.max(this.meta.length * 2, 4 * STRIDE));
    bigger.set(this.meta);
    this.meta = bigger;
  }

  /**
   * Called when the node stops being the stream's tail: trims spare capacity and
   * flattens the string built by appends, so a full node costs its bytes only.
   */
  seal(): void {
    if (!this.decoded) return;
    if (this.meta.length > this.size * STRIDE) this.meta = this.meta.slice(0, this.size * STRIDE);
    // Reading a char makes V8 flatten the rope of appended payloads into one string.
    this.data.charCodeAt(0);
    this.unflattened = 0;
  }

  isDeleted(i: number): boolean {
    this.ready();
    return (this.meta[i * STRIDE + 4] & FLAG_DELETED) !== 0;
  }

  /** Flags entry i deleted; the caller keeps the stream's length in step. */
  markDeleted(i: number): void {
    this.unseal();
    this.meta[i * STRIDE + 4] |= FLAG_DELETED;
    this.live--;
  }

  idAt(i: number): StreamId {
    this.ready();
    const m = this.meta;
    const b = i * STRIDE;
    return new StreamId(fromHiLo(m[b], m[b + 1]), fromHiLo(m[b + 2], m[b + 3]));
  }

  /** `<ms>-<seq>` of entry i, without building a StreamId. */
  idString(i: number): string {
    this.ready();
    const m = this.meta;
    const b = i * STRIDE;
    return u64String(fromHiLo(m[b], m[b + 1])) + '-' + u64String(fromHiLo(m[b + 2], m[b + 3]));
  }

  /** Sign of (ID at meta offset a) - (ID at meta offset b). */
  private compareWords(a: number, b: number): number {
    const m = this.meta;
    return m[a] - m[b] || m[a + 1] - m[b + 1] || m[a + 2] - m[b + 2] || m[a + 3] - m[b + 3];
  }

  /** Sign of (ID of entry i) - (the bound `w`). */
  compareAt(i: number, w: IdWords): number {
    this.ready();
    const m = this.meta;
    const b = i * STRIDE;
    return m[b] - w.msHi || m[b + 1] - w.msLo || m[b + 2] - w.seqHi || m[b + 3] - w.seqLo;
  }

  /** Index of the first entry (live or not) whose ID is >= w; `size` if none. Needs `monotonic`. */
  lowerBound(w: IdWords): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareAt(mid, w) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry (live or not) whose ID is > w; `size` if none. Needs `monotonic`. */
  upperBound(w: IdWords): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareAt(mid, w) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Sign of (the node's key, its master ID: the ID of the first entry ever stored in it)
   * - (the bound `w`); no decoding. redis-server seeks nodes by this key in its radix tree.
   */
  compareKey(w: IdWords): number {
    const ms = this.masterMs;
    const seq = this.masterSeq;
    // Below 2^53 (every ID a clock makes) numbers compare exactly, without splitting them into words.
    if (typeof ms === 'number' && typeof w.ms === 'number') {
      if (ms !== w.ms) return ms - w.ms;
      if (typeof seq === 'number' && typeof w.seq === 'number') return seq - w.seq;
    }
    return hi32(ms) - w.msHi || lo32(ms) - w.msLo || hi32(seq) - w.seqHi || lo32(seq) - w.seqLo;
  }

  /** Length in bytes of the common prefix of the two nodes' keys, big-endian (0-16). */
  commonPrefixBytes(other: StreamNode): number {
    const a = [hi32(this.masterMs), lo32(this.masterMs), hi32(this.masterSeq), lo32(this.masterSeq)];
    const b = [hi32(other.masterMs), lo32(other.masterMs), hi32(other.masterSeq), lo32(other.masterSeq)];
    for (let w = 0; w < 4; w++) {
      const x = (a[w] ^ b[w]) >>> 0;
      if (x !== 0) return w * 4 + (Math.clz32(x) >>> 3);
    }
    return 16;
  }

  /** Replaces the contents of `out` with entry i's fields and values, alternating. */
  readPairs(i: number, out: string[]): void {
    out.length = 0;
    this.ready();
    const word = this.meta[i * STRIDE + 4];
    const d = this.data;
    let p = word >>> 2;
    if ((word & FLAG_SAMEFIELDS) !== 0) {
      const fields = this.masterFields;
      for (let f = 0; f < fields.length; f++) {
        const len = readLengthPrefix(d, p);
        p += lengthPrefixSize(len);
        out.push(fields[f], d.slice(p, p + len));
        p += len;
      }
      return;
    }
    const items = 2 * readLengthPrefix(d, p);
    p += lengthPrefixSize(items / 2);
    for (let k = 0; k < items; k++) {
      const len = readLengthPrefix(d, p);
      p += lengthPrefixSize(len);
      out.push(d.slice(p, p + len));
      p += len;
    }
  }

  /**
   * Entry i as the reply `[id, [field, value, ...]]` (streamReplyWithRange's part per
   * entry), written from the node's own text: no string is made per ID or value.
   */
  replyEntry(i: number, reply: Reply): void {
    this.ready();
    const m = this.meta;
    const b = i * STRIDE;
    const word = m[b + 4];
    const d = this.data;
    let p = word >>> 2;
    const same = (word & FLAG_SAMEFIELDS) !== 0;
    let items: number;
    if (same) items = 2 * this.masterFields.length;
    else {
      items = 2 * readLengthPrefix(d, p);
      p += lengthPrefixSize(items / 2);
    }
    // A sequence number past 32 bits (only an explicit ID makes one) takes the long way.
    if (m[b + 2] === 0) reply.streamEntryHead(m[b], m[b + 1], m[b + 3], items);
    else {
      reply.array(2);
      reply.bulk(this.idString(i));
      reply.array(items);
    }
    reply.prefixedBulks(same ? this.masterFields : null, d, p, items);
  }

  /** The node's whole state, for snapshots (engine/persist); `meta` is a view, not a copy. */
  parts(): StreamNodeParts {
    this.ready();
    return {
      masterFields: this.masterFields,
      masterMs: this.masterMs,
      masterSeq: this.masterSeq,
      meta: this.meta.subarray(0, this.size * STRIDE),
      data: this.data,
      size: this.size,
      live: this.live,
      monotonic: this.monotonic,
      lpFixed: this.lpFixed,
    };
  }

  /** A node rebuilt from `parts()`; it takes ownership of `meta` (5 words per entry). */
  static fromParts(p: StreamNodeParts): StreamNode {
    const node = new StreamNode(p.masterFields, new StreamId(p.masterMs, p.masterSeq), p.meta, p.lpFixed);
    node.size = p.size;
    node.live = p.live;
    node.monotonic = p.monotonic;
    node.data = p.data;
    return node;
  }

  /** A node whose entries are decoded from `u.encoded` when first needed (the file comment). */
  static undecoded(u: UndecodedNode): StreamNode {
    const node = new StreamNode(u.masterFields, new StreamId(u.masterMs, u.masterSeq), EMPTY_META, u.lpFixed);
    node.size = u.size;
    node.live = u.live;
    node.monotonic = u.monotonic;
    node.undecodedChars = u.dataChars;
    node.encoded = u.encoded;
    node.decoded = false;
    return node;
  }

  /**
   * A deep copy (COPY, a snapshot's copy-on-write); strings are immutable and shared,
   * and a sealed node's RDB bytes, which nothing writes into (a change to either node
   * drops its own reference), each node counting them: its copy starts undecoded.
   */
  clone(): StreamNode {
    if (this.encoded !== null) {
      const { masterFields, masterMs, masterSeq, size, live, monotonic, lpFixed } = this;
      return StreamNode.undecoded({ masterFields, masterMs, masterSeq, size, live, monotonic, lpFixed, dataChars: this.payloadChars, encoded: this.encoded });
    }
    const copy = new StreamNode(this.masterFields, new StreamId(this.masterMs, this.masterSeq), this.meta.slice(), this.lpFixed);
    copy.size = this.size;
    copy.live = this.live;
    copy.monotonic = this.monotonic;
    copy.data = this.data;
    copy.unflattened = this.unflattened;
    return copy;
  }
}
