/**
 * Consumer groups of a stream: groups, their consumers, and the pending entries
 * lists (PEL) of delivered but not yet acknowledged entries, as redis-server 7.0
 * keeps them (stream.h: streamCG, streamConsumer, streamNACK).
 *
 * A pending entry (`Nack`) is one object shared by two PELs: the group's, which has
 * every pending entry, and its owner consumer's. Both are ordered by ID with
 * O(log n) lookup, insert and delete: a B+ tree (sorted-btree). A sorted array with
 * binary search was measured against it for the typical pattern (4 consumers each
 * appending batches of 100 and acknowledging them): the B+ tree was 3x faster even
 * with 400 entries pending, because acknowledgements delete near the front, and
 * hundreds of times faster with 100,000 pending.
 *
 * Groups and consumers are listed in redis-server's radix tree order, which is the
 * byte order of their names: JS string order on our latin1 strings.
 */
import sortedBtree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import { StreamId, type U64 } from './stream-id.js';
import type { Int64 } from '../util/int64.js';

// Node hands an ES module the CommonJS exports object; vitest's loader hands it the default export.
const BTree = ('default' in sortedBtree ? sortedBtree.default : sortedBtree) as typeof sortedBtree.default;

/** `entries-read` unknown (redis-server's SCG_INVALID_ENTRIES_READ). */
export const ENTRIES_READ_UNKNOWN = -1;

const compareIds = (a: StreamId, b: StreamId): number => a.compare(b);

/**
 * A delivered entry awaiting acknowledgement (streamNACK): its ID and its delivery. It
 * is its own ID, and the PELs' key as well as their value: one object per pending
 * entry, not two (a group reading a backlog adds one per entry delivered, and they all
 * stay while pending).
 */
export class Nack extends StreamId {
  constructor(
    id: StreamId,
    /** The consumer it was last delivered to. */
    public consumer: Consumer,
    /** Unix time in ms of the last delivery. */
    public deliveryTime: number,
    /** Times delivered (uint64; RETRYCOUNT can set any int64). */
    public deliveryCount: U64,
  ) {
    super(id.ms, id.seq);
  }

  /** The pending entry's ID: itself. */
  get id(): StreamId {
    return this;
  }
}

/**
 * A node of sorted-btree 2's B+ tree (b+tree.js BNode, BNodeInternal): a leaf holds its
 * keys and their values in key order (`values` may be longer: an empty tree's is shared
 * padding); an internal node, its children in key order.
 */
interface TreeNode {
  readonly keys: readonly unknown[];
  readonly values: readonly Nack[];
  readonly children?: readonly TreeNode[];
}

/** The fields of sorted-btree 2's nodes that `Pel.append` changes, as b+tree.js keeps them. */
interface GrowingTreeNode {
  readonly keys: StreamId[];
  readonly values: Nack[];
  readonly children?: GrowingTreeNode[];
  /** An internal node's entry count. */
  _size: number;
  /** Set on nodes a clone of the tree shares (Pel never clones its tree: checked anyway). */
  readonly isShared?: boolean;
}

function forEachLeaf(node: TreeNode, f: (nacks: readonly Nack[], n: number) => void): void {
  const children = node.children;
  if (children === undefined) {
    if (node.keys.length > 0) f(node.values, node.keys.length);
    return;
  }
  for (const child of children) forEachLeaf(child, f);
}

/** Pending entries ordered by ID. */
export class Pel {
  private tree = new BTree<StreamId, Nack>(undefined, compareIds);
  /** Reused by `atOrAfter` so that stepping through the PEL allocates nothing. */
  private readonly pair: [StreamId, Nack] = [StreamId.MIN, undefined as unknown as Nack];

  get size(): number {
    return this.tree.size;
  }

  get(id: StreamId): Nack | undefined {
    return this.tree.get(id);
  }

  /**
   * Fills an empty PEL with `nacks`, in strictly ascending ID order (a snapshot's load):
   * the tree built bottom-up in one pass, several times cheaper than adding them one by one.
   */
  loadSorted(nacks: Nack[]): void {
    if (this.tree.size !== 0) throw new Error('loadSorted into a PEL that is not empty');
    this.tree = bulkLoad<StreamId, Nack>(nacks.slice(), nacks, this.tree.maxNodeSize, compareIds);
  }

  /** Adds `nack` unless its ID is already pending; returns whether it was added. */
  add(nack: Nack): boolean {
    return this.append(nack) || this.tree.set(nack, nack, false);
  }

  /**
   * Adds `nack` when its ID is past every pending one (a group's reads deliver entries in
   * ID order), as the tree's last key, without a search: pushed onto the last leaf, or,
   * that one full, onto a new leaf of the last internal node; false, having changed
   * nothing, when it is not the last or the tree would have to split (`set` then does).
   * sorted-btree's `set` searches every level and, the last leaf full, shifts one entry
   * into its left sibling at a time until that one is full too: appends then cost one
   * shift each. The nodes are walked directly, as `forEachRun` does; a unit test checks
   * the tree with its own `checkValid` after appends.
   */
  private append(nack: Nack): boolean {
    const root = (this.tree as unknown as { _root: GrowingTreeNode })._root;
    let parent: GrowingTreeNode | null = null;
    let leaf = root;
    while (leaf.children !== undefined) {
      if (leaf.isShared === true) return false;
      parent = leaf;
      leaf = leaf.children[leaf.children.length - 1];
    }
    const keys = leaf.keys;
    const id = nack;
    // An empty tree's leaf has shared padding for values: `set` replaces it.
    if (leaf.isShared === true || keys.length === 0 || leaf.values.length !== keys.length || compareIds(id, keys[keys.length - 1]) <= 0) return false;
    const max = this.tree.maxNodeSize;
    if (keys.length < max) {
      keys.push(id);
      leaf.values.push(nack);
    } else {
      if (parent === null || parent.children!.length >= max) return false;
      const Leaf = leaf.constructor as new (keys: StreamId[], values: Nack[]) => GrowingTreeNode;
      parent.children!.push(new Leaf([id], [nack]));
      parent.keys.push(id);
    }
    // Each internal node keeps its children's last keys and its entry count.
    for (let node = root; node.children !== undefined; node = node.children[node.children.length - 1]) {
      node.keys[node.keys.length - 1] = id;
      node._size++;
    }
    return true;
  }

  delete(id: StreamId): boolean {
    return this.tree.delete(id);
  }

  /** The pending entry with the smallest ID >= `id`. */
  atOrAfter(id: StreamId): Nack | undefined {
    return this.tree.getPairOrNextHigher(id, this.pair)?.[1];
  }

  first(): Nack | undefined {
    const id = this.tree.minKey();
    return id === undefined ? undefined : this.tree.get(id);
  }

  last(): Nack | undefined {
    const id = this.tree.maxKey();
    return id === undefined ? undefined : this.tree.get(id);
  }

  /**
   * Calls `f` with every entry in order, a run at a time (the first `n` of `nacks`): the
   * B+ tree's leaves, walked directly (a snapshot writes every PEL whole; the tree's own
   * forEach goes through its general range scan and a callback per entry, which cost
   * more than the writing). `f` must neither keep a run nor change the PEL.
   */
  forEachRun(f: (nacks: readonly Nack[], n: number) => void): void {
    forEachLeaf((this.tree as unknown as { _root: TreeNode })._root, f);
  }

  /** The entries with IDs >= `from`, in order; the PEL must not change meanwhile. */
  from(from: StreamId): IterableIterator<Nack> {
    return this.tree.values(from);
  }
}

/** A consumer of a group (streamConsumer). */
export class Consumer {
  readonly pel = new Pel();

  constructor(
    readonly name: string,
    /** Unix time in ms of its last read or claim (XINFO CONSUMERS' idle). */
    public seenTime: number,
  ) {}
}

/**
 * What a group did since it was created or loaded (the metrics' counters; not saved,
 * not in Redis): entries delivered for the first time, acknowledged, claimed (XCLAIM,
 * XAUTOCLAIM) and delivered again from a consumer's history.
 */
export interface GroupCounters {
  delivered: number;
  acknowledged: number;
  claimed: number;
  redelivered: number;
}

/** A consumer group (streamCG). */
export class ConsumerGroup {
  readonly pel = new Pel();
  readonly consumers = new Map<string, Consumer>();
  readonly counters: GroupCounters = { delivered: 0, acknowledged: 0, claimed: 0, redelivered: 0 };

  constructor(
    /** The last ID delivered to the group. */
    public lastId: StreamId,
    /** The logical read counter of `lastId`, or ENTRIES_READ_UNKNOWN. */
    public entriesRead: Int64,
  ) {}

  /**
   * streamLookupConsumer: the consumer by name, its seen time refreshed to `now`
   * unless `now` is null (the SLC_NO_REFRESH lookups of XPENDING and DELCONSUMER).
   */
  consumer(name: string, now: number | null): Consumer | undefined {
    const consumer = this.consumers.get(name);
    if (consumer !== undefined && now !== null) consumer.seenTime = now;
    return consumer;
  }

  /** streamCreateConsumer; the caller has checked that the name is free. */
  createConsumer(name: string, now: number): Consumer {
    const consumer = new Consumer(name, now);
    this.consumers.set(name, consumer);
    return consumer;
  }

  /** streamDelConsumer: removes the consumer and its pending entries; returns how many it had. */
  deleteConsumer(consumer: Consumer): number {
    const pending = consumer.pel.size;
    for (const nack of consumer.pel.from(StreamId.MIN)) this.pel.delete(nack.id);
    this.consumers.delete(consumer.name);
    return pending;
  }

  /**
   * Records the delivery of entry `id` to `consumer` by XREADGROUP: a new pending
   * entry, or, when another delivery of it is still pending (the group's last ID
   * was moved back by XGROUP SETID), that one moved to `consumer` and reset.
   */
  deliver(id: StreamId, consumer: Consumer, now: number): Nack {
    // Most deliveries are new: one walk down the tree adds them, a second finds the others.
    const fresh = new Nack(id, consumer, now, 1);
    if (this.pel.add(fresh)) {
      consumer.pel.add(fresh);
      return fresh;
    }
    const nack = this.pel.get(id)!;
    this.moveTo(nack, consumer);
    nack.deliveryTime = now;
    nack.deliveryCount = 1;
    return nack;
  }

  /** Gives a pending entry to another consumer (no-op if it is already its owner). */
  moveTo(nack: Nack, consumer: Consumer): void {
    if (nack.consumer === consumer) return;
    nack.consumer.pel.delete(nack.id);
    nack.consumer = consumer;
    consumer.pel.add(nack);
  }

  /** Removes a pending entry from the group and its owner (XACK, or its entry is gone). */
  remove(nack: Nack): void {
    this.pel.delete(nack.id);
    nack.consumer.pel.delete(nack.id);
  }

  /** The consumers in name order, as redis-server lists them. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A deep copy (COPY), delivery times and seen times included, as streamDup. */
  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.lastId, this.entriesRead);
    for (const consumer of this.consumers.values()) {
      const c = copy.createConsumer(consumer.name, consumer.seenTime);
      for (const nack of consumer.pel.from(StreamId.MIN)) {
        const n = new Nack(nack.id, c, nack.deliveryTime, nack.deliveryCount);
        copy.pel.add(n);
        c.pel.add(n);
      }
    }
    return copy;
  }
}

/** Sorts names in redis-server's radix tree order (bytes, shorter first). */
export function byName<T>(entries: Iterable<[string, T]>): [string, T][] {
  return [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
