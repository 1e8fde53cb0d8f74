/**
 * The decoded forms of sealed stream nodes, bounded in bytes for the whole process.
 *
 * A node that keeps its RDB bytes (stream-node.ts, `rdbEncoded`: given by the idle
 * encoder once XADD closed it, by a save, or by a load) is counted in its stream by
 * those bytes alone; its decoded form (the ID words and the payload string a read walks)
 * exists only while it is here. A read of a node that has none decodes its bytes and
 * adds it; once the decoded forms together pass `DECODED_NODES_BUDGET`, the least
 * recently used are dropped (CLOCK: a node read since the hand last passed it gets
 * another round). A change to a node (XADD into it, XDEL) drops its bytes and takes it
 * out of here: its decoded form is then its stream's again.
 *
 * Differs from redis-server, whose nodes are listpacks read in place: a read of a node
 * not decoded costs a decompression and a pass over its listpack (as a load does), then
 * replies are written from the decoded form as for any node. The bytes here are counted
 * in `used_memory` beside the dataset (`Engine.datasetBytes`), not per key: a read of
 * one stream may drop another's decoded nodes, and no key's figure moves on a read.
 * Nodes a stream trims or empties leave at once (`StreamNode.leave`); those of a stream
 * deleted or overwritten leave as others come in (no hook tells a value it left its key),
 * and FLUSHALL empties the cache.
 */

/** What the cache needs of a node (StreamNode implements it). */
export interface DecodedNode {
  /** The node's index in the cache's ring, -1 when it is not here. */
  cacheSlot: number;
  /** Read since the hand last passed it. */
  hot: boolean;
  /** The bytes of its decoded form (ID words and payload), constant while it is here. */
  readonly decodedBytes: number;
  /** Drops its decoded form (it keeps its RDB bytes), its ID words going back to the cache (`spareWords`). */
  forget(): void;
}

/** ID word arrays kept for reuse, per length: enough for the decodes between two collections. */
const SPARE_WORDS_PER_LENGTH = 16;

/**
 * The decoded bytes kept at most: about 2,400 nodes of 100 small entries, so readers
 * following the last 240,000 entries of their streams, and repeated reads of a stream's
 * head, find their nodes decoded.
 */
export const DECODED_NODES_BUDGET = 8 << 20;

class DecodedNodes {
  private readonly ring: DecodedNode[] = [];
  private hand = 0;
  /** The decoded forms' bytes together. */
  bytes = 0;
  /** The most bytes kept (tests lower it). */
  budget = DECODED_NODES_BUDGET;
  /** Nodes decoded from their bytes since the process started (stream reads that missed). */
  decodes = 0;

  /**
   * ID word arrays of dropped decoded forms, by length, for the next decodes
   * (`takeWords`): a decode a read makes drops another node's form, and a new array per
   * decode (2 KB for 100 entries, outside the V8 heap) made the garbage collector run
   * for memory that was freed a moment later. At most 16 per length, not counted.
   */
  private readonly spare = new Map<number, Uint32Array[]>();

  /** An array of `length` words for a decode: a spare one, or new. Its contents are stale: the decoder writes every word. */
  takeWords(length: number): Uint32Array {
    return this.spare.get(length)?.pop() ?? new Uint32Array(length);
  }

  /** Takes back the ID words of a decoded form dropped (nothing may read them afterwards). */
  spareWords(words: Uint32Array): void {
    if (words.length === 0) return;
    let list = this.spare.get(words.length);
    if (list === undefined) this.spare.set(words.length, (list = []));
    if (list.length < SPARE_WORDS_PER_LENGTH) list.push(words);
  }

  /** Adds a sealed node that has its decoded form; drops others' while over budget, never this one's. */
  add(node: DecodedNode): void {
    node.cacheSlot = this.ring.length;
    node.hot = true;
    this.ring.push(node);
    this.bytes += node.decodedBytes;
    if (this.bytes > this.budget) this.shrink(node);
  }

  /** Takes a node out (it is about to change, or its decoded form is dropped). */
  remove(node: DecodedNode): void {
    const slot = node.cacheSlot;
    this.bytes -= node.decodedBytes;
    const last = this.ring.pop()!;
    if (last !== node) {
      this.ring[slot] = last;
      last.cacheSlot = slot;
    }
    node.cacheSlot = -1;
  }

  /** Drops every decoded form (FLUSHALL: the nodes here are likely the flushed streams'). */
  clear(): void {
    for (const node of this.ring) {
      node.cacheSlot = -1;
      node.forget();
    }
    this.ring.length = 0;
    this.hand = 0;
    this.bytes = 0;
    this.spare.clear();
  }

  private shrink(keep: DecodedNode): void {
    const ring = this.ring;
    while (this.bytes > this.budget && ring.length > 1) {
      if (this.hand >= ring.length) this.hand = 0;
      const node = ring[this.hand];
      if (node === keep || node.hot) {
        node.hot = false;
        this.hand++;
        continue;
      }
      // The last node takes its slot: the hand stays to look at it.
      this.remove(node);
      node.forget();
    }
    keep.hot = true;
  }
}

/** The process's decoded sealed nodes (engine/types/stream-node.ts). */
export const decodedNodes = new DecodedNodes();
