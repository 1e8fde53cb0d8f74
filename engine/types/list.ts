/**
 * The list type: a deque of chunks, as redis-server's quicklist is a linked list of
 * listpacks. Elements live in chunks of at most CHUNK_SIZE; the chunks themselves sit
 * in a deque. Push and pop at either end are O(1) (amortized), an index near either
 * end is found by walking whole chunks from that end, and an insertion or removal in
 * the middle moves at most one chunk's elements (plus, rarely, the chunk pointers).
 *
 * Elements are latin1 strings (ARCHITECTURE.md, "Bytes as latin1 strings").
 * redis-server stores integer-looking elements as integers inside a listpack but only
 * when the text is the canonical form of that integer, so every element reads back
 * byte for byte as it was written: no conversion is needed here.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';

/** Most elements in one chunk. */
const CHUNK_SIZE = 128;
/** A chunk left smaller than this by removals in the middle joins a neighbour it fits in. */
const MERGE_BELOW = CHUNK_SIZE / 4;
/** Slots reserved at the front of a run the first time it grows there. */
const MIN_FRONT_SLACK = 4;

/**
 * A JS array with spare slots at its front: the elements are `items[start..]`, so
 * both ends take pushes and pops in O(1) amortized time. Used for the elements of a
 * chunk and for the chunks of a list.
 */
class Run<T> {
  /**
   * Holders of this run, a list's chunk, as it is (a snapshot being written, a streamed
   * reply: List.freeze, List.freezeRange): while any, the list changes a copy.
   */
  sharers = 0;

  constructor(
    public items: (T | undefined)[] = [],
    public start = 0,
  ) {}

  get length(): number {
    return this.items.length - this.start;
  }

  at(i: number): T {
    return this.items[this.start + i] as T;
  }

  set(i: number, v: T): void {
    this.items[this.start + i] = v;
  }

  pushBack(v: T): void {
    this.items.push(v);
  }

  popBack(): T {
    return this.items.pop() as T;
  }

  /** Adds at the front, making room (up to `limit` elements in all) when there is none. */
  pushFront(v: T, limit = Infinity): void {
    if (this.start === 0) this.reserveFront(Math.max(1, Math.min(Math.max(MIN_FRONT_SLACK, this.length), limit - this.length)));
    this.items[--this.start] = v;
  }

  popFront(): T {
    const v = this.items[this.start] as T;
    this.items[this.start++] = undefined;
    this.compact();
    return v;
  }

  /** Inserts before position i (0 <= i <= length), moving the shorter side. */
  insertAt(i: number, v: T): void {
    if (i < this.length >> 1 && this.start > 0) {
      const items = this.items;
      const s = --this.start;
      for (let j = 0; j < i; j++) items[s + j] = items[s + j + 1];
      items[s + i] = v;
    } else {
      this.items.splice(this.start + i, 0, v);
    }
  }

  /** Removes the first n elements. */
  dropFront(n: number): void {
    const items = this.items;
    for (let j = this.start; j < this.start + n; j++) items[j] = undefined;
    this.start += n;
    this.compact();
  }

  /** Removes the last n elements. */
  dropBack(n: number): void {
    this.items.length -= n;
  }

  /** Moves the elements from position i on into a new run. */
  splitAt(i: number): Run<T> {
    const tail = new Run<T>(this.items.slice(this.start + i));
    this.items.length = this.start + i;
    return tail;
  }

  /** Appends every element of `other`. */
  append(other: Run<T>): void {
    for (let j = other.start; j < other.items.length; j++) this.items.push(other.items[j]);
  }

  copy(): Run<T> {
    return new Run<T>(this.items.slice(this.start));
  }

  /**
   * Removes up to `max` elements equal to `value`, scanning from the front or from
   * the back; one pass that closes the gaps as it goes. Returns how many it removed.
   */
  removeEqual(value: T, max: number, fromBack: boolean): number {
    const items = this.items;
    let removed = 0;
    if (!fromBack) {
      let w = this.start;
      for (let r = this.start; r < items.length; r++) {
        const x = items[r];
        if (removed < max && x === value) removed++;
        else items[w++] = x;
      }
      items.length = w;
    } else {
      let w = items.length - 1;
      for (let r = w; r >= this.start; r--) {
        const x = items[r];
        if (removed < max && x === value) removed++;
        else items[w--] = x;
      }
      for (let j = this.start; j <= w; j++) items[j] = undefined;
      this.start = w + 1;
      this.compact();
    }
    return removed;
  }

  private reserveFront(slack: number): void {
    const items: (T | undefined)[] = new Array<T | undefined>(slack).fill(undefined);
    for (let j = this.start; j < this.items.length; j++) items.push(this.items[j]);
    this.items = items;
    this.start = slack;
  }

  /** Gives back the slots freed at the front once they outnumber the elements (FIFO use). */
  private compact(): void {
    const start = this.start;
    if (start > MIN_FRONT_SLACK * 4 && start > this.items.length - start) {
      this.items.copyWithin(0, start);
      this.items.length -= start;
      this.start = 0;
    }
  }
}

type Chunk = Run<string>;

/**
 * A new first chunk of a list that has filled its first one at the head: the list grows
 * there, so the chunk is made whole, `value` in its last slot. Grown by steps from one
 * element (reserveFront), a chunk was rebuilt six times (14 arrays allocated) before it
 * was full: List.push at the head 50 -> 17 ns.
 */
function headChunk(value: string): Chunk {
  const items = new Array<string | undefined>(CHUNK_SIZE);
  items[CHUNK_SIZE - 1] = value;
  return new Run<string>(items, CHUNK_SIZE - 1);
}

/** A list's state for a snapshot (engine/persist): `List.freeze`. */
export interface ListView {
  readonly length: number;
  readonly chunks: readonly ListChunk[];
}

export interface ListChunk {
  readonly length: number;
  at(i: number): string;
  sharers: number;
}

/** The snapshot that froze `view` is done with it: its chunks are no longer held for it. */
export function thawList(view: ListView): void {
  for (const chunk of view.chunks) chunk.sharers--;
}

/**
 * Elements of a list as they were when it was made (`List.freezeRange`), for a reply
 * written over time while clients keep writing: its chunks are shared with the list,
 * which copies one before changing it, until `release`.
 */
export class FrozenListRange {
  private next = 0;

  constructor(
    private readonly chunks: readonly Chunk[],
    /** Index of the first element in the first chunk. */
    private offset: number,
    /** Elements still to visit. */
    private left: number,
  ) {}

  get remaining(): number {
    return this.left;
  }

  /** Visits the next chunk's slice of the elements left, as `values[from..to)` (List.visitRange). */
  visitNext(visit: (values: readonly string[], from: number, to: number) => void): void {
    const chunk = this.chunks[this.next++];
    const from = chunk.start + this.offset;
    const count = Math.min(this.left, chunk.length - this.offset);
    this.offset = 0;
    this.left -= count;
    visit(chunk.items as readonly string[], from, from + count);
  }

  /** The chunks are no longer held. */
  release(): void {
    for (const chunk of this.chunks) chunk.sharers--;
  }
}

export class List implements DataObject {
  readonly type = 'list';
  private chunks = new Run<Chunk>();
  private size = 0;
  /** The elements' bytes together (one per char), for the memory accounting (engine/memory.ts). */
  private chars = 0;
  /** Where `locate` found its index: the chunk's position and the offset in it. */
  private foundChunk = 0;
  private foundOffset = 0;

  get length(): number {
    return this.size;
  }

  /** The elements' bytes together: what the accounting adds to the per-element cost (engine/memory.ts). */
  get payloadBytes(): number {
    return this.chars;
  }

  /** redis-server 7.0 stores every list as a quicklist, however small. */
  encoding(): string {
    return 'quicklist';
  }

  /** Adds an element at the head (LPUSH) or the tail (RPUSH). */
  push(value: string, head: boolean): void {
    const chunks = this.chunks;
    if (head) {
      const first = chunks.length > 0 ? chunks.at(0) : null;
      if (first !== null && first.length < CHUNK_SIZE) this.own(0).pushFront(value, CHUNK_SIZE);
      else chunks.pushFront(first === null ? new Run<string>([value]) : headChunk(value));
    } else {
      const last = chunks.length > 0 ? chunks.at(chunks.length - 1) : null;
      if (last !== null && last.length < CHUNK_SIZE) this.own(chunks.length - 1).pushBack(value);
      else chunks.pushBack(new Run<string>([value]));
    }
    this.size++;
    this.chars += value.length;
  }

  /** Removes and returns the head or tail element; undefined when the list is empty. */
  pop(head: boolean): string | undefined {
    const chunks = this.chunks;
    if (this.size === 0) return undefined;
    const chunk = this.own(head ? 0 : chunks.length - 1);
    const value = head ? chunk.popFront() : chunk.popBack();
    if (chunk.length === 0) {
      if (head) chunks.popFront();
      else chunks.popBack();
    }
    this.size--;
    this.chars -= value.length;
    return value;
  }

  /** The element at index i (0 <= i < length), else undefined. */
  at(i: number): string | undefined {
    if (i < 0 || i >= this.size) return undefined;
    this.locate(i);
    return this.chunks.at(this.foundChunk).at(this.foundOffset);
  }

  /** Replaces the element at index i; false when i is out of range. */
  set(i: number, value: string): boolean {
    if (i < 0 || i >= this.size) return false;
    this.locate(i);
    const chunk = this.own(this.foundChunk);
    this.chars += value.length - chunk.at(this.foundOffset).length;
    chunk.set(this.foundOffset, value);
    return true;
  }

  /** Inserts `value` so that it ends up at index i (0 <= i <= length). */
  insert(i: number, value: string): void {
    if (i === 0 || i === this.size) return this.push(value, i === 0);
    this.locate(i);
    const ci = this.foundChunk;
    const offset = this.foundOffset;
    const chunk = this.own(ci);
    if (chunk.length < CHUNK_SIZE) {
      chunk.insertAt(offset, value);
    } else {
      // A full chunk splits in two halves, as a full quicklist node does.
      const half = chunk.length >> 1;
      const right = chunk.splitAt(half);
      this.chunks.insertAt(ci + 1, right);
      if (offset <= half) chunk.insertAt(offset, value);
      else right.insertAt(offset - half, value);
    }
    this.size++;
    this.chars += value.length;
  }

  /**
   * LREM: removes up to `limit` elements equal to `value` (all of them when 0),
   * head to tail, or tail to head when `fromTail`. Returns how many it removed.
   */
  removeMatching(value: string, limit: number, fromTail: boolean): number {
    const chunks = this.chunks;
    const max = limit === 0 ? Infinity : limit;
    let removed = 0;
    let first = -1;
    let last = -1;
    const n = chunks.length;
    for (let k = 0; k < n && removed < max; k++) {
      const ci = fromTail ? n - 1 - k : k;
      const got = this.own(ci).removeEqual(value, max - removed, fromTail);
      if (got === 0) continue;
      removed += got;
      if (first < 0 || ci < first) first = ci;
      if (ci > last) last = ci;
    }
    if (removed > 0) {
      this.size -= removed;
      this.chars -= removed * value.length;
      this.tidy(first, last);
    }
    return removed;
  }

  /** LTRIM: removes `front` elements from the head and `back` from the tail. */
  trim(front: number, back: number): void {
    const chunks = this.chunks;
    this.chars -= this.rangeChars(0, front) + this.rangeChars(this.size - back, back);
    this.size -= front + back;
    while (front > 0) {
      const chunk = chunks.at(0);
      if (chunk.length <= front) {
        front -= chunk.length;
        chunks.popFront();
      } else {
        this.own(0).dropFront(front);
        front = 0;
      }
    }
    while (back > 0) {
      const chunk = chunks.at(chunks.length - 1);
      if (chunk.length <= back) {
        back -= chunk.length;
        chunks.popBack();
      } else {
        this.own(chunks.length - 1).dropBack(back);
        back = 0;
      }
    }
  }

  /** A cursor at index i (0 <= i < length) walking towards the tail, or the head when `reverse`. */
  cursor(i: number, reverse: boolean): ListCursor {
    if (this.size === 0) return new ListCursor(this.chunks, 0, 0, reverse, 0);
    this.locate(i);
    return new ListCursor(this.chunks, this.foundChunk, this.foundOffset, reverse, reverse ? i + 1 : this.size - i);
  }

  /**
   * Visits the `n` elements from index `i` (0 <= i, i + n <= length) head to tail, as
   * slices of the chunks they live in: `values[from..to)`. For LRANGE, whose reply
   * writer then loops over each chunk's array without a call per element.
   */
  visitRange(i: number, n: number, visit: (values: readonly string[], from: number, to: number) => void): void {
    if (n <= 0) return;
    this.locate(i);
    const chunks = this.chunks;
    let ci = this.foundChunk;
    let offset = this.foundOffset;
    while (n > 0) {
      const chunk = chunks.at(ci++);
      const from = chunk.start + offset;
      const count = Math.min(n, chunk.length - offset);
      visit(chunk.items as readonly string[], from, from + count);
      n -= count;
      offset = 0;
    }
  }

  /** Every element, head to tail. */
  *values(): IterableIterator<string> {
    const chunks = this.chunks;
    for (let ci = 0; ci < chunks.length; ci++) {
      const chunk = chunks.at(ci);
      for (let j = 0; j < chunk.length; j++) yield chunk.at(j);
    }
  }

  /** DEBUG DIGEST: each element mixed in, head to tail. */
  digest(d: ValueDigest): void {
    for (const v of this.values()) d.mix(v);
  }

  clone(): List {
    const copy = new List();
    const chunks = this.chunks;
    for (let ci = 0; ci < chunks.length; ci++) copy.chunks.pushBack(chunks.at(ci).copy());
    copy.size = this.size;
    copy.chars = this.chars;
    return copy;
  }

  /** The bytes of the `n` elements from index `i` (LTRIM's, before it drops them). */
  private rangeChars(i: number, n: number): number {
    let chars = 0;
    this.visitRange(i, n, (values, from, to) => {
      for (let j = from; j < to; j++) chars += values[j].length;
    });
    return chars;
  }

  /** Number of chunks (for tests of the layout, and snapshots). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** The list as it is now, for a snapshot written at once (the list must not change meanwhile). */
  view(): ListView {
    const chunks: Chunk[] = [];
    for (let ci = 0; ci < this.chunks.length; ci++) chunks.push(this.chunks.at(ci));
    return { length: this.size, chunks };
  }

  /**
   * The list as it is now, for a snapshot written over time while clients keep
   * writing: the chunks are shared, not copied (one the list changes meanwhile is
   * copied first, see `own`). `thawList` ends the sharing.
   */
  freeze(): ListView {
    const chunks: Chunk[] = [];
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const chunk = this.chunks.at(ci);
      chunk.sharers++;
      chunks.push(chunk);
    }
    return { length: this.size, chunks };
  }

  /**
   * The `n` elements from index `i` (0 <= i, i + n <= length) as they are now, shared
   * as `freeze` shares them, for a reply written over time (a streamed LRANGE).
   */
  freezeRange(i: number, n: number): FrozenListRange {
    this.locate(i);
    const offset = this.foundOffset;
    const chunks: Chunk[] = [];
    for (let ci = this.foundChunk, left = n + offset; left > 0; ci++) {
      const chunk = this.chunks.at(ci);
      chunk.sharers++;
      chunks.push(chunk);
      left -= chunk.length;
    }
    return new FrozenListRange(chunks, offset, n);
  }

  /** Chunk ci, safe to change: a copy takes its place if a snapshot or a reply shares it (`freeze`). */
  private own(ci: number): Chunk {
    const chunk = this.chunks.at(ci);
    if (chunk.sharers === 0) return chunk;
    const copy = chunk.copy();
    this.chunks.set(ci, copy);
    return copy;
  }

  /** Sets `foundChunk`/`foundOffset` to index i (0 <= i < length), walking from the nearer end. */
  private locate(i: number): void {
    const chunks = this.chunks;
    if (i < this.size >> 1) {
      let ci = 0;
      let len: number;
      while (i >= (len = chunks.at(ci).length)) {
        i -= len;
        ci++;
      }
      this.foundChunk = ci;
      this.foundOffset = i;
    } else {
      let back = this.size - 1 - i;
      let ci = chunks.length - 1;
      let len: number;
      while (back >= (len = chunks.at(ci).length)) {
        back -= len;
        ci--;
      }
      this.foundChunk = ci;
      this.foundOffset = len - 1 - back;
    }
  }

  /**
   * After removals inside chunks first..last: drops the chunks left empty and merges
   * small ones into a neighbour they fit in, so walks stay short.
   */
  private tidy(first: number, last: number): void {
    const chunks = this.chunks;
    const from = Math.max(0, first - 1);
    const to = Math.min(chunks.length - 1, last + 1);
    const kept: Chunk[] = [];
    for (let ci = from; ci <= to; ci++) {
      const chunk = chunks.at(ci);
      if (chunk.length === 0) continue;
      let prev = kept.length > 0 ? kept[kept.length - 1] : null;
      if (prev !== null && (prev.length < MERGE_BELOW || chunk.length < MERGE_BELOW) && prev.length + chunk.length <= CHUNK_SIZE) {
        if (prev.sharers > 0) kept[kept.length - 1] = prev = prev.copy();
        prev.append(chunk);
      } else {
        kept.push(chunk);
      }
    }
    // concat rather than splice(...kept): a huge list has more chunks than a call takes arguments.
    const items = chunks.items;
    chunks.items = items.slice(0, chunks.start + from).concat(kept, items.slice(chunks.start + to + 1));
  }
}

/**
 * Walks a list from one element towards the tail (or the head when reversed).
 * The list must not change while a cursor is in use.
 */
class ListCursor {
  constructor(
    private readonly chunks: Run<Chunk>,
    private chunk: number,
    private offset: number,
    private readonly reverse: boolean,
    /** Elements left to visit. */
    private left: number,
  ) {}

  /** The next element, or undefined past the end. */
  next(): string | undefined {
    if (this.left === 0) return undefined;
    this.left--;
    const chunk = this.chunks.at(this.chunk);
    const value = chunk.at(this.offset);
    if (this.reverse) {
      if (--this.offset < 0 && this.left > 0) this.offset = this.chunks.at(--this.chunk).length - 1;
    } else if (++this.offset >= chunk.length) {
      this.chunk++;
      this.offset = 0;
    }
    return value;
  }
}
