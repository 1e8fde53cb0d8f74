/**
 * The stream data type: entries in ID order, in nodes of many entries each (see
 * stream-node.ts), as redis-server keeps listpacks in a radix tree.
 *
 * Nodes live in an array ordered by their first ID (redis-server's radix tree key),
 * with a moving head so trimming from the front costs O(trimmed nodes). Seeking an ID
 * is a binary search over the nodes, then within one node. Node boundaries follow
 * redis-server's rules exactly (`stream-node-max-entries`, `stream-node-max-bytes` on
 * the simulated listpack size) because approximate trimming removes whole nodes only,
 * and XLEN after `MAXLEN ~` must match.
 *
 * IDs are not always stored in order: XSETID may set the last ID below a deleted
 * entry, and later entries then follow bigger deleted ones (stream-node.ts,
 * `monotonic`), or start nodes that sort before older ones. Iteration therefore
 * works as redis-server's does (seek a node, then walk entries checking both bounds),
 * with binary search only where the order is known to hold.
 *
 * The metadata Redis 7.0 keeps for consumer-group lag is tracked here too: the last
 * generated ID, the number of entries ever added, the largest deleted ID and the
 * recorded first ID; and the estimates of a group's read counter and lag built on
 * them, ported from t_stream.c 7.0 (their results, nil included, are visible in
 * XINFO and must match).
 */
import type { DataObject } from '../keyspace.js';
import type { ValueDigest } from '../digest.js';
import { incU64, StreamId, type U64 } from './stream-id.js';
import { IdWords, StreamNode } from './stream-node.js';
import { ENTRIES_READ_UNKNOWN, type ConsumerGroup } from './stream-group.js';
import { asLongLong, toInt64, type Int64 } from '../util/int64.js';

/** The configured node size limits (`stream-node-max-entries`, `stream-node-max-bytes`). */
export interface StreamNodeLimits {
  streamNodeMaxEntries: number;
  streamNodeMaxBytes: number;
}

/** A listpack can never exceed this many bytes, whatever the configuration (1 GB). */
export const LISTPACK_MAX_SIZE = 1 << 30;
/**
 * Our own cap on one node's payload string, below V8's maximum string length. It
 * only matters with `stream-node-max-bytes 0` and entries of hundreds of megabytes.
 */
const NODE_DATA_MAX = 1 << 28;
/** Fills the slots of trimmed nodes until the array is compacted, so they can be collected. */
const TRIMMED = StreamNode.create(StreamId.MIN, [], 0, 0);
/** Initial entry capacity of a new node when the entries limit does not bound it. */
const DEFAULT_NODE_CAPACITY = 16;
const MAX_PREALLOCATED_CAPACITY = 128;

/**
 * Encodes a node as its RDB string (`encodeSealed`); set by the RDB codec
 * (engine/persist/rdb/stream.ts, `encodeSealedNodesWith`), which this module does not import.
 */
let sealedNodeEncoder: ((node: StreamNode) => Buffer) | null = null;

/** Sets the encoder `Stream.encodeSealed` uses (the RDB codec, at its import). */
export function encodeSealedNodesWith(encode: (node: StreamNode) => Buffer): void {
  sealedNodeEncoder = encode;
}

export type TrimStrategy = 'maxlen' | 'minid';

export interface TrimArgs {
  strategy: TrimStrategy;
  /** MAXLEN: the length to trim to. */
  maxLen: number;
  /** MINID: entries with IDs below this are removed. */
  minId: StreamId;
  /** `~`: remove whole nodes only. */
  approx: boolean;
  /** The most entries to remove; 0 for no limit. */
  limit: number;
}

/** A stream's entries for a snapshot (engine/persist): `Stream.view` or `Stream.freeze`; the groups are apart. */
export interface StreamView {
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: U64;
  readonly nodes: readonly StreamNode[];
}

/** The snapshot that froze `view` is done with it: its nodes are no longer held for it. */
export function thaw(view: StreamView): void {
  for (const node of view.nodes) node.sharers--;
}

/**
 * A range of a stream's entries as they were when it was made (`Stream.freezeRange`),
 * for a reply written over time while clients keep writing: the nodes are shared as
 * `Stream.freeze` shares them, until `release`.
 */
export class FrozenStreamRange {
  constructor(
    private readonly nodes: readonly StreamNode[],
    /** Walks the entries of `nodes`. */
    readonly it: StreamRange,
  ) {}

  /** The nodes are no longer held. */
  release(): void {
    for (const node of this.nodes) node.sharers--;
  }
}

export class Stream implements DataObject {
  readonly type = 'stream';
  /** Live entries. */
  length = 0;
  /** The ID of the last entry ever added (or set by XSETID). */
  lastId = StreamId.MIN;
  /** The first live entry's ID as last recorded; 0-0 when empty. */
  firstId = StreamId.MIN;
  /** The largest ID ever deleted by XDEL. */
  maxDeletedId = StreamId.MIN;
  /** Entries ever added, including deleted ones (uint64). */
  entriesAdded: U64 = 0;
  /** Consumer groups by name; null until the first one is created, as in redis-server. */
  groups: Map<string, ConsumerGroup> | null = null;
  /**
   * Counts the writes after which redis-server offers the stream to clients blocked
   * on it (XADD, XGROUP DESTROY): other writes (XSETID, XDEL, XGROUP SETID...) do not
   * wake them, and a blocked reader checks this to behave the same.
   */
  wakeups = 0;

  private nodes: StreamNode[] = [];
  /** Index of the first node in use; the ones before it were trimmed. */
  private head = 0;
  /** The live nodes' `payloadBytes` together, for the memory accounting (engine/memory.ts). */
  private nodeChars = 0;
  /** Nodes whose IDs are out of order (not `monotonic`); usually 0. */
  private unsortedNodes = 0;

  encoding(): string {
    return 'stream';
  }

  /** The nodes' payload bytes together (IDs and entries): what the accounting adds to the per-node cost. */
  get payloadBytes(): number {
    return this.nodeChars;
  }

  /** Number of nodes (XINFO STREAM's radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length - this.head;
  }

  /**
   * Adds an entry with the field/value pairs argv[start..]. The caller has checked
   * that `id` is greater than `lastId`. Returns the node this closed (it stopped being
   * the tail) when it has no kept RDB encoding, for `encodeSealed` later; else null.
   */
  append(id: StreamId, argv: readonly string[], start: number, limits: StreamNodeLimits): StreamNode | null {
    // redis-server appends to the node with the greatest key, the last one.
    let tail = this.nodes.length > this.head ? this.nodes[this.nodes.length - 1] : null;
    let sealed: StreamNode | null = null;
    if (tail !== null && this.isFull(tail, argv, start, limits)) {
      const unsealed = tail.payloadBytes;
      tail.seal();
      this.nodeChars += tail.payloadBytes - unsealed;
      if (tail.rdbEncoded === null) sealed = tail;
      tail = null;
    }
    if (tail === null) {
      const maxEntries = limits.streamNodeMaxEntries;
      const capacity = maxEntries > 0 ? Math.min(maxEntries, MAX_PREALLOCATED_CAPACITY) : DEFAULT_NODE_CAPACITY;
      tail = StreamNode.create(id, argv, start, capacity);
      this.nodeChars += tail.payloadBytes;
      // After XSETID lowered the last ID the new key may sort before existing ones.
      const before = this.seekNode(new IdWords(id));
      this.nodes.splice(before < 0 ? this.head : before + 1, 0, tail);
    } else {
      tail = this.own(this.nodes.length - 1);
    }
    const wasMonotonic = tail.monotonic;
    const before = tail.payloadBytes;
    tail.append(id, argv, start);
    this.nodeChars += tail.payloadBytes - before;
    if (wasMonotonic && !tail.monotonic) this.unsortedNodes++;
    this.length++;
    this.entriesAdded = incU64(this.entriesAdded);
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
    return sealed;
  }

  /**
   * Gives `node`, which `append` closed, its kept RDB encoding (`StreamNode.rdbEncoded`),
   * so that snapshots (SAVE, BGSAVE, the AOF base, DUMP, a full resync) copy its bytes
   * instead of converting and compressing it, as redis-server's save copies its
   * listpacks. Nothing when it has one, is the tail again or left the stream. Returns
   * whether it encoded. Idle-time work (engine/sealed-nodes.ts): never on a command's path.
   */
  encodeSealed(node: StreamNode): boolean {
    if (sealedNodeEncoder === null || node.rdbEncoded !== null || node.size === 0) return false;
    if (node === this.nodes[this.nodes.length - 1]) return false;
    const k = this.seekNode(new IdWords(new StreamId(node.masterMs, node.masterSeq)));
    if (k < 0 || this.nodes[k] !== node) return false;
    this.sealNode(node, sealedNodeEncoder(node));
    return true;
  }

  /** Gives `node`, one of this stream's, its RDB string, which becomes all it counts (StreamNode.sealWith). */
  private sealNode(node: StreamNode, encoded: Buffer): void {
    const before = node.payloadBytes;
    node.sealWith(encoded);
    this.nodeChars += node.payloadBytes - before;
  }

  /** streamAppendItem's test for starting a new node. */
  private isFull(tail: StreamNode, argv: readonly string[], start: number, limits: StreamNodeLimits): boolean {
    let incoming = 0;
    for (let i = start; i < argv.length; i++) incoming += argv[i].length;
    let maxBytes = limits.streamNodeMaxBytes;
    if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
    if (tail.lpBytes() + incoming >= maxBytes) return true;
    if (tail.payloadChars + incoming > NODE_DATA_MAX) return true;
    const maxEntries = limits.streamNodeMaxEntries;
    return maxEntries > 0 && tail.size >= maxEntries;
  }

  /**
   * streamTrim: removes entries from the head by MAXLEN or MINID and returns how
   * many. Whole nodes go first; with `approx` nothing else does, otherwise entries
   * of the next node are flagged deleted one by one.
   */
  trim(args: TrimArgs): number {
    const byLength = args.strategy === 'maxlen';
    const minWords = byLength ? null : new IdWords(args.minId);
    let removed = 0;
    while (this.head < this.nodes.length) {
      if (byLength && this.length <= args.maxLen) break;
      const node = this.nodes[this.head];
      const entries = node.live;
      if (args.limit !== 0 && removed + entries > args.limit) break;
      // MINID looks at the node's last entry even when it is a deleted one, as Redis does.
      const removeNode = byLength ? this.length - entries >= args.maxLen : node.compareAt(node.size - 1, minWords!) < 0;
      if (removeNode) {
        this.dropHeadNode();
        this.length -= entries;
        removed += entries;
        continue;
      }
      if (args.approx) break;
      const partial = this.own(this.head);
      const before = partial.payloadBytes;
      for (let i = 0; i < partial.size; i++) {
        if (byLength ? this.length <= args.maxLen : partial.compareAt(i, minWords!) >= 0) break;
        if (!partial.isDeleted(i)) {
          partial.markDeleted(i);
          this.length--;
          removed++;
        }
      }
      // A deletion drops the node's kept RDB encoding.
      this.nodeChars += partial.payloadBytes - before;
      break;
    }
    if (this.length === 0) this.firstId = StreamId.MIN;
    else if (removed > 0) this.firstId = this.edgeId(true, true);
    return removed;
  }

  private dropHeadNode(): void {
    const node = this.nodes[this.head];
    if (!node.monotonic) this.unsortedNodes--;
    this.nodeChars -= node.payloadBytes;
    node.leave();
    this.nodes[this.head++] = TRIMMED;
    // Compact once the dead prefix dominates, keeping trims amortized O(1) per node.
    if (this.head > 64 && this.head * 2 > this.nodes.length) {
      this.nodes = this.nodes.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * XDEL: deletes the entries with these IDs and returns how many existed. Keeps the
   * largest deleted ID and the recorded first ID as Redis 7.0 does.
   */
  delete(ids: readonly StreamId[]): number {
    let deleted = 0;
    let firstDeleted = false;
    for (const id of ids) {
      if (!this.deleteOne(id)) continue;
      if (id.equals(this.firstId)) firstDeleted = true;
      if (id.compare(this.maxDeletedId) > 0) this.maxDeletedId = id;
      deleted++;
    }
    if (deleted > 0) {
      if (this.length === 0) this.firstId = StreamId.MIN;
      else if (firstDeleted) this.firstId = this.edgeId(true, true);
    }
    return deleted;
  }

  /** streamDeleteItem: finds the live entry as a range [id, id] would. */
  private deleteOne(id: StreamId): boolean {
    const it = this.range(id, id, false);
    if (!it.next()) return false;
    if (it.node.live === 1) this.removeNode(it.nodeIndex);
    else {
      const node = this.own(it.nodeIndex);
      const before = node.payloadBytes;
      node.markDeleted(it.index);
      // A deletion drops the node's kept RDB encoding.
      this.nodeChars += node.payloadBytes - before;
    }
    this.length--;
    return true;
  }

  /** Node k, safe to change: a copy takes its place if a snapshot shares it (`freeze`). */
  private own(k: number): StreamNode {
    const node = this.nodes[k];
    if (node.sharers === 0) return node;
    const copy = node.clone();
    this.nodes[k] = copy;
    this.nodeChars += copy.payloadBytes - node.payloadBytes;
    return copy;
  }

  private removeNode(k: number): void {
    if (k === this.head) return this.dropHeadNode();
    const node = this.nodes[k];
    if (!node.monotonic) this.unsortedNodes--;
    this.nodeChars -= node.payloadBytes;
    node.leave();
    this.nodes.splice(k, 1);
  }

  /**
   * Keeps `encoded`, the RDB string a snapshot wrote for `node`, in the node
   * (`StreamNode.rdbEncoded`), counted in the stream's bytes; nothing when the node is
   * no longer this stream's (changed or removed while a live snapshot held it).
   * `at` is the node's index in the snapshot's `view` or `freeze`, where it still is
   * unless the stream changed meanwhile: looked at first, before a search.
   */
  keepEncoded(node: StreamNode, encoded: Buffer, at: number): void {
    if (this.nodes[this.head + at] !== node) {
      const k = node.size === 0 ? -1 : this.seekNode(new IdWords(new StreamId(node.masterMs, node.masterSeq)));
      if (k < 0 || this.nodes[k] !== node) return;
    }
    this.sealNode(node, encoded);
  }

  /** Index of the last node whose first ID is <= w, or -1 if there is none. */
  private seekNode(w: IdWords): number {
    return seekNode(this.nodes, this.head, w);
  }

  /**
   * Live entries with start <= ID <= end, ascending or (rev) descending. With
   * start = end it finds one entry by ID (redis-server's streamEntryExists).
   */
  range(start: StreamId, end: StreamId, rev: boolean): StreamRange {
    return rangeOf(this.nodes, this.head, start, end, rev, this.unsortedNodes > 0);
  }

  /**
   * `range` over the stream as it is now, for a reply written over time while
   * clients keep writing (a streamed XRANGE): the nodes are shared as `freeze`
   * shares them, until the range is released.
   */
  freezeRange(start: StreamId, end: StreamId, rev: boolean): FrozenStreamRange {
    const nodes = this.nodes.slice(this.head);
    for (const node of nodes) node.sharers++;
    return new FrozenStreamRange(nodes, rangeOf(nodes, 0, start, end, rev, this.unsortedNodes > 0));
  }

  /** streamLastValidID: the last live entry's ID, 0-0 if there is none. */
  lastValidId(): StreamId {
    return this.edgeId(false, true);
  }

  /**
   * streamGetEdgeID: the first (or last) entry's ID, deleted entries included unless
   * `skipTombstones`; when there is none, the maximal (or minimal) ID.
   */
  edgeId(first: boolean, skipTombstones: boolean): StreamId {
    if (first) {
      for (let k = this.head; k < this.nodes.length; k++) {
        const node = this.nodes[k];
        for (let i = 0; i < node.size; i++) if (!skipTombstones || !node.isDeleted(i)) return node.idAt(i);
      }
      return StreamId.MAX;
    }
    for (let k = this.nodes.length - 1; k >= this.head; k--) {
      const node = this.nodes[k];
      for (let i = node.size - 1; i >= 0; i--) if (!skipTombstones || !node.isDeleted(i)) return node.idAt(i);
    }
    return StreamId.MIN;
  }

  /** streamRangeHasTombstones(s, start, NULL): may a deleted entry lie at or after `start`? */
  hasTombstonesFrom(start: StreamId): boolean {
    if (this.length === 0 || this.maxDeletedId.isZero()) return false;
    // The latest deletion is before the first entry: nothing in between is missing.
    if (this.firstId.compare(this.maxDeletedId) > 0) return false;
    return start.compare(this.maxDeletedId) <= 0;
  }

  /**
   * streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id` (how
   * many entries were ever added up to it), or ENTRIES_READ_UNKNOWN when deletions
   * or the ID's position make it unknowable.
   */
  estimateEntriesRead(id: StreamId): Int64 {
    const added = this.entriesAdded;
    if (added === 0) return 0;
    // Redis returns the uint64 counter as a long long.
    if (this.length === 0 && id.compare(this.lastId) <= 0) return asLongLong(added);
    const cmpLast = id.compare(this.lastId);
    if (cmpLast === 0) return asLongLong(added);
    if (cmpLast > 0) return ENTRIES_READ_UNKNOWN;
    if (this.maxDeletedId.isZero() || this.maxDeletedId.compare(this.firstId) < 0) {
      // No fragmentation ahead.
      const cmpFirst = id.compare(this.firstId);
      if (cmpFirst < 0) return toInt64(BigInt(added) - BigInt(this.length));
      if (cmpFirst === 0) return toInt64(BigInt(added) - BigInt(this.length) + 1n);
    }
    return ENTRIES_READ_UNKNOWN;
  }

  /** streamReplyWithCGLag: entries not yet delivered to the group, or null when unknown. */
  groupLag(group: ConsumerGroup): Int64 | null {
    const added = this.entriesAdded;
    if (added === 0) return 0;
    let read = group.entriesRead;
    if (read === ENTRIES_READ_UNKNOWN || this.hasTombstonesFrom(group.lastId)) {
      read = this.estimateEntriesRead(group.lastId);
      if (read === ENTRIES_READ_UNKNOWN) return null;
    }
    return typeof added === 'number' && typeof read === 'number' ? added - read : toInt64(BigInt(added) - BigInt(read));
  }

  /** A consumer group by name (streamLookupCG). */
  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /**
   * An estimate of redis-server's radix-tree-nodes (rax numnodes) for our node keys:
   * the node count of the canonical compressed radix tree over the 16-byte
   * big-endian first IDs. redis-server's tree is this one as long as its inserts and
   * deletes left it fully compressed, which is the usual case.
   */
  radixTreeNodes(): number {
    const count = this.nodeCount;
    if (count === 0) return 1;
    // Build the compacted trie of the sorted keys with a stack of depths (bytes).
    const stack: number[] = [16];
    let nodes = 1;
    let gaps = 0;
    const edge = (parent: number, child: number): void => {
      if (child - parent > 1) gaps++;
    };
    for (let k = this.head + 1; k < this.nodes.length; k++) {
      const l = this.nodes[k - 1].commonPrefixBytes(this.nodes[k]);
      let orphan = -1;
      while (stack[stack.length - 1] > l) {
        const x = stack.pop()!;
        if (stack.length > 0 && stack[stack.length - 1] > l) edge(stack[stack.length - 1], x);
        else orphan = x;
      }
      if (stack.length === 0 || stack[stack.length - 1] < l) {
        stack.push(l);
        nodes++;
      }
      if (orphan >= 0) edge(l, orphan);
      stack.push(16);
      nodes++;
    }
    while (stack.length > 1) {
      const x = stack.pop()!;
      edge(stack[stack.length - 1], x);
    }
    // A root that does not branch is a compressed node of its own above the trie.
    return nodes + gaps + (stack[0] > 0 ? 1 : 0);
  }

  /** DEBUG DIGEST: each live entry as mix("<ms>.<seq>"), then its fields and values. */
  digest(d: ValueDigest): void {
    const it = this.range(StreamId.MIN, StreamId.MAX, false);
    const pairs: string[] = [];
    while (it.next()) {
      const id = it.node.idAt(it.index);
      d.mix(id.ms + '.' + id.seq);
      it.node.readPairs(it.index, pairs);
      for (const s of pairs) d.mix(s);
    }
  }

  /** The stream's entries as they are now, for a snapshot written at once (the nodes must not be changed). */
  view(): StreamView {
    return { ...this.counters(), nodes: this.head === 0 ? this.nodes : this.nodes.slice(this.head) };
  }

  /**
   * The stream's entries as they are now, for a snapshot written over time while
   * clients keep writing: the nodes are shared, not copied (a node the stream changes
   * meanwhile is copied first, see `own`). `thaw` ends the sharing.
   */
  freeze(): StreamView {
    const nodes = this.nodes.slice(this.head);
    for (const node of nodes) node.sharers++;
    return { ...this.counters(), nodes };
  }

  private counters(): Omit<StreamView, 'nodes'> {
    return {
      length: this.length,
      lastId: this.lastId,
      firstId: this.firstId,
      maxDeletedId: this.maxDeletedId,
      entriesAdded: this.entriesAdded,
    };
  }

  /** Installs the nodes of a snapshot into an empty stream; its counters are set by the caller. */
  adoptNodes(nodes: StreamNode[]): void {
    this.nodes = nodes;
    this.head = 0;
    this.unsortedNodes = 0;
    this.nodeChars = 0;
    for (const node of nodes) {
      if (!node.monotonic) this.unsortedNodes++;
      this.nodeChars += node.payloadBytes;
    }
  }

  clone(): Stream {
    const copy = new Stream();
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.nodes = this.nodes.slice(this.head).map((n) => n.clone());
    copy.unsortedNodes = this.unsortedNodes;
    for (const node of copy.nodes) copy.nodeChars += node.payloadBytes;
    if (this.groups !== null) {
      copy.groups = new Map();
      for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    }
    return copy;
  }
}

/** Index of the last node of nodes[head..] whose first ID is <= w, or -1 if there is none. */
function seekNode(nodes: readonly StreamNode[], head: number, w: IdWords): number {
  let lo = head;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid].compareKey(w) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1 >= head ? lo - 1 : -1;
}

function rangeOf(nodes: readonly StreamNode[], head: number, start: StreamId, end: StreamId, rev: boolean, unsorted: boolean): StreamRange {
  const from = new IdWords(start);
  const to = new IdWords(end);
  return new StreamRange(nodes, head, from, to, rev, seekNode(nodes, head, rev ? to : from), unsorted);
}

/**
 * A cursor over live entries in an ID range, walking as redis-server's stream
 * iterator does: from the node whose key is the last one <= the first bound, entry
 * after entry, skipping deleted entries and those before the first bound, and
 * stopping at the first live entry beyond the other bound. After `next()` returns
 * true, `node` and `index` address the current entry. The stream must not change
 * while it is used.
 */
export class StreamRange {
  node!: StreamNode;
  index = -1;
  private done = false;

  constructor(
    private readonly nodes: readonly StreamNode[],
    private readonly head: number,
    private readonly start: IdWords,
    private readonly end: IdWords,
    readonly rev: boolean,
    /** The last node whose key is <= the first bound (seekNode), or -1. */
    private k: number,
    /** Some node is not `monotonic`: no shortcut may assume order. */
    unsorted: boolean,
  ) {
    if (k < 0) {
      // No key is below the bound: forward, start at the first node; backward,
      // redis-server starts at the last node, which can only matter out of order.
      this.k = rev ? (unsorted ? nodes.length - 1 : -1) : head;
    }
    if (this.k < head || this.k >= nodes.length) {
      this.done = true;
      return;
    }
    const node = (this.node = nodes[this.k]);
    // Entries a binary search skips are ones the walk would skip anyway.
    if (rev) this.index = node.monotonic ? node.upperBound(end) : node.size;
    else this.index = (node.monotonic ? node.lowerBound(start) : 0) - 1;
  }

  /** Index of the current node in the stream's node array. */
  get nodeIndex(): number {
    return this.k;
  }

  /**
   * Counts the live entries left in range, stopping at `limit` (0: no limit), and
   * estimates their payload bytes (a node's payload shared evenly among its entries);
   * uses the cursor up. A node that lies wholly in range (sorted, its first and last
   * IDs within the bounds) counts its live entries at once: the walk would yield every
   * one and stop at none, so the count is the walk's.
   */
  countRest(limit: number): { entries: number; bytes: number } {
    const max = limit === 0 ? Infinity : limit;
    let n = 0;
    let bytes = 0;
    while (n < max && !this.done) {
      if (this.rev ? this.index <= 0 : this.index >= this.node.size - 1) {
        if (!this.stepNode()) break;
        const node = this.node;
        if (node.monotonic && node.size > 0 && node.compareAt(0, this.start) >= 0 && node.compareAt(node.size - 1, this.end) <= 0) {
          n += node.live;
          bytes += (node.payloadChars * node.live) / node.size;
          this.index = this.rev ? 0 : node.size - 1;
          continue;
        }
      }
      if (!this.next()) break;
      n++;
      bytes += this.node.payloadChars / this.node.size;
    }
    return { entries: Math.min(n, max), bytes };
  }

  /** Moves before the first entry of the next node (after the last of the previous one, reversed); false past the end. */
  private stepNode(): boolean {
    this.k += this.rev ? -1 : 1;
    if (this.k < this.head || this.k >= this.nodes.length) return this.finish();
    this.node = this.nodes[this.k];
    this.index = this.rev ? this.node.size : -1;
    return true;
  }

  /** Moves to the next live entry in range; false when there is none. */
  next(): boolean {
    if (this.done) return false;
    return this.rev ? this.prevEntry() : this.nextEntry();
  }

  private nextEntry(): boolean {
    for (;;) {
      if (++this.index >= this.node.size) {
        if (++this.k >= this.nodes.length) return this.finish();
        this.node = this.nodes[this.k];
        this.index = 0;
      }
      if (this.node.isDeleted(this.index) || this.node.compareAt(this.index, this.start) < 0) continue;
      return this.node.compareAt(this.index, this.end) > 0 ? this.finish() : true;
    }
  }

  private prevEntry(): boolean {
    for (;;) {
      if (--this.index < 0) {
        if (--this.k < this.head) return this.finish();
        this.node = this.nodes[this.k];
        this.index = this.node.size;
        continue;
      }
      if (this.node.isDeleted(this.index) || this.node.compareAt(this.index, this.end) > 0) continue;
      return this.node.compareAt(this.index, this.start) < 0 ? this.finish() : true;
    }
  }

  private finish(): false {
    this.done = true;
    return false;
  }
}
