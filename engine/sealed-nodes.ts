/**
 * Stream nodes to encode while the server is idle: each node XADD closes (it stopped
 * being its stream's tail) is queued here, and `encode` gives queued nodes their kept
 * RDB encoding (`Stream.encodeSealed`) when the broker has time to spare (its cron:
 * half of the event loop's idle time), a slice at a time. A later snapshot then copies
 * those nodes' bytes, as redis-server's save copies its listpacks, instead of converting
 * and LZF-compressing every node then. Never on a command's path: converting a node
 * costs about what its XADDs did, and more for large values.
 *
 * Differs from redis-server, which has nothing to do here (its nodes are listpacks).
 * The queue holds at most MAX_QUEUED nodes, none larger than MAX_NODE_CHARS (the others
 * are encoded by the next snapshot, as before), and a node whose key was deleted,
 * renamed or replaced, or which left its stream (trimmed, emptied by XDEL), is skipped.
 * It holds nodes and streams by weak references: a server that never idles keeps its
 * queue full, and must not keep the streams deleted, overwritten or flushed since, nor
 * the nodes trimmed, alive for it (their bytes left `used_memory` when they went).
 */
import type { Db, Entry } from './keyspace.js';
import type { Stream } from './types/stream.js';
import type { StreamNode } from './types/stream-node.js';

/** Queued nodes at most: what a server always busy keeps queued. */
const MAX_QUEUED = 16384;
/** Nodes encoded between two looks at the clock. */
const CLOCK_EVERY = 8;
/**
 * Larger nodes (values of hundreds of KB, or `stream-node-max-bytes` raised) are left to
 * the next snapshot: encoding one takes milliseconds, which a slice of idle work must not.
 */
const MAX_NODE_CHARS = 256 << 10;

interface Sealed {
  db: Db;
  key: string;
  stream: WeakRef<Stream>;
  node: WeakRef<StreamNode>;
}

export class SealedNodes {
  private queue: Sealed[] = [];
  private next = 0;

  /** Nodes waiting. */
  get pending(): number {
    return this.queue.length - this.next;
  }

  /** Queues `node`, just closed by an append to `stream`, the value of `key` in `db`. */
  add(db: Db, key: string, stream: Stream, node: StreamNode): void {
    if (this.pending < MAX_QUEUED && node.payloadChars <= MAX_NODE_CHARS) {
      this.queue.push({ db, key, stream: new WeakRef(stream), node: new WeakRef(node) });
    }
  }

  /** Forgets every queued node (FLUSHALL): they need not outlive their keys. */
  clear(): void {
    this.queue = [];
    this.next = 0;
  }

  /**
   * Encodes queued nodes until `deadline` (performance.now() time); `touched` is told of
   * each key whose memory grew. Returns true once none is left.
   */
  encode(deadline: number, touched: (db: Db, e: Entry) => void): boolean {
    const queue = this.queue;
    let n = 0;
    while (this.next < queue.length) {
      const { db, key, stream: streamRef, node: nodeRef } = queue[this.next++];
      const stream = streamRef.deref();
      const node = nodeRef.deref();
      if (stream !== undefined && node !== undefined) {
        const e = db.entryHolding(key, stream);
        if (e !== undefined && stream.encodeSealed(node)) touched(db, e);
      }
      if (++n % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
    }
    if (this.next < queue.length) {
      // Drop what was done once it is most of the array, keeping this amortized O(1) per node.
      if (this.next > 1024 && this.next * 2 > queue.length) {
        this.queue = queue.slice(this.next);
        this.next = 0;
      }
      return false;
    }
    this.clear();
    return true;
  }
}
