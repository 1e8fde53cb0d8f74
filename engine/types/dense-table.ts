/**
 * The storage under hashes and sets: members at dense positions, with their values at
 * the same positions for a hash, and a Map from member to position. ARCHITECTURE.md,
 * "Hashes and sets", says why.
 *
 * - A table of at most INDEXED_FROM members has no Map: a member is found by a linear
 *   scan of its one chunk, as redis-server scans a listpack. Most hashes and sets are
 *   that small, and a Map is most of their memory (hundreds of bytes for a few entries).
 * - Position access makes a random member O(1) (SPOP, SRANDMEMBER, HRANDFIELD), where
 *   a JS Map or Set can only be walked.
 * - Order: while `ordered` (the small encodings, listpack and intset, whose order
 *   redis-server's replies show), a removal closes the gap and the members keep their
 *   order, O(n) as in a listpack. Otherwise the last member fills the hole, O(1): the
 *   order is arbitrary, as in redis-server's dict.
 * - SCAN (`scan`) walks positions from the end down: a removal moves only the last
 *   member, from a visited position to a lower one, so a member present for the whole
 *   scan is never missed (it may be returned twice, which SCAN allows).
 * - Positions live in chunks of CHUNK, so a snapshot (or a streamed reply: several
 *   views may be frozen at once, each thawed in its time) shares the chunks (`freeze`) and
 *   the table copies one only before changing it (copy-on-write per chunk, as a list's
 *   chunks); the Map stays the table's, its positions hold in the copies.
 */

const CHUNK_BITS = 10;
/** Members per chunk. */
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** Tables above this many members index them in a Map; smaller ones scan (see the module header). */
const INDEXED_FROM = 16;

/** A table's members (and values) as they were when frozen or viewed. */
export class TableView {
  constructor(
    readonly size: number,
    private readonly keyChunks: readonly (readonly string[])[],
    private readonly valueChunks: readonly (readonly string[])[] | null,
  ) {}

  get hasValues(): boolean {
    return this.valueChunks !== null;
  }

  keyAt(i: number): string {
    return this.keyChunks[i >>> CHUNK_BITS][i & MASK];
  }

  valueAt(i: number): string {
    return this.valueChunks![i >>> CHUNK_BITS][i & MASK];
  }
}

export class DenseTable {
  private keyChunks: string[][] = [];
  private valueChunks: string[][] | null;
  private length = 0;
  /** The members' and values' bytes together, for the memory accounting (engine/memory.ts). */
  private chars = 0;
  /** Member to position, once the table has more than INDEXED_FROM members; null before. */
  private index: Map<string, number> | null = null;
  /** Removals keep the members' order (small encodings) instead of moving the last one. */
  ordered = true;
  /** Chunks frozen views hold (`freeze`): copied before they change; null when none. */
  private shared: Set<string[]> | null = null;
  /** Frozen views not thawed yet. */
  private frozen = 0;

  constructor(withValues: boolean) {
    this.valueChunks = withValues ? [] : null;
  }

  get size(): number {
    return this.length;
  }

  /** The members' and values' bytes together (one per char). */
  get payloadBytes(): number {
    return this.chars;
  }

  /** Whether the members are indexed in a Map (more than INDEXED_FROM of them at some point). */
  get indexed(): boolean {
    return this.index !== null;
  }

  /** The position of `key`, or -1. */
  indexOf(key: string): number {
    if (this.index !== null) return this.index.get(key) ?? -1;
    return this.length === 0 ? -1 : this.keyChunks[0].indexOf(key);
  }

  has(key: string): boolean {
    return this.index !== null ? this.index.has(key) : this.indexOf(key) >= 0;
  }

  keyAt(i: number): string {
    return this.keyChunks[i >>> CHUNK_BITS][i & MASK];
  }

  valueAt(i: number): string {
    return this.valueChunks![i >>> CHUNK_BITS][i & MASK];
  }

  /** The members in position order, as a new array. */
  keyList(): string[] {
    return this.keyChunks.flat();
  }

  /**
   * The positions from `start` to `end` a chunk at a time: `visit(keys, values, from,
   * to)` for the slice [from, to) of a chunk's arrays (replies write a run of bulks).
   */
  runs(visit: (keys: readonly string[], values: readonly string[] | null, from: number, to: number) => void, start = 0, end = this.length): void {
    for (let i = start; i < end; ) {
      const ci = i >>> CHUNK_BITS;
      const from = i & MASK;
      const to = Math.min(CHUNK, from + end - i);
      visit(this.keyChunks[ci], this.valueChunks?.[ci] ?? null, from, to);
      i += to - from;
    }
  }

  /** Adds `key` (absent) at the end. */
  append(key: string, value?: string): void {
    const i = this.length;
    const ci = i >>> CHUNK_BITS;
    if (i === 0) {
      // Literals: a first chunk's run of chunks holds just it, where a push would reserve 17 slots.
      this.keyChunks = [[]];
      if (this.valueChunks !== null) this.valueChunks = [[]];
    } else if ((i & MASK) === 0) {
      this.keyChunks.push([]);
      this.valueChunks?.push([]);
    } else {
      this.own(ci);
    }
    this.keyChunks[ci].push(key);
    this.valueChunks?.[ci].push(value!);
    if (this.index !== null) this.index.set(key, i);
    else if (i === INDEXED_FROM) this.buildIndex();
    this.length++;
    this.chars += key.length + (value === undefined ? 0 : value.length);
  }

  /** Adds `key` (absent) at position `i`, moving the following members up (ordered tables). */
  insertAt(i: number, key: string): void {
    const last = this.length;
    if (i === last) return this.append(key);
    const valueAt = (j: number): string | undefined => (this.valueChunks === null ? undefined : this.valueAt(j));
    this.append(this.keyAt(last - 1), valueAt(last - 1));
    // The appended copy of the last member only makes room: the shift keeps every member once.
    this.chars += key.length - this.keyAt(last - 1).length - (valueAt(last - 1)?.length ?? 0);
    for (let j = last - 1; j > i; j--) this.put(j, this.keyAt(j - 1), valueAt(j - 1));
    this.put(i, key, this.valueChunks === null ? undefined : '');
  }

  setValueAt(i: number, value: string): void {
    const ci = i >>> CHUNK_BITS;
    this.own(ci);
    const values = this.valueChunks![ci];
    this.chars += value.length - values[i & MASK].length;
    values[i & MASK] = value;
  }

  /** Removes the member at position `i`. */
  removeAt(i: number): void {
    const key = this.keyAt(i);
    this.chars -= key.length + (this.valueChunks === null ? 0 : this.valueAt(i).length);
    this.index?.delete(key);
    const last = this.length - 1;
    if (i !== last) {
      if (this.ordered) {
        for (let j = i; j < last; j++) this.put(j, this.keyAt(j + 1), this.valueChunks === null ? undefined : this.valueAt(j + 1));
      } else {
        this.put(i, this.keyAt(last), this.valueChunks === null ? undefined : this.valueAt(last));
      }
    }
    this.dropLast();
  }

  /** Removes `key`; false when absent. */
  delete(key: string): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Stores a member (and value) at position `i` < size, indexing it there. */
  private put(i: number, key: string, value: string | undefined): void {
    const ci = i >>> CHUNK_BITS;
    this.own(ci);
    this.keyChunks[ci][i & MASK] = key;
    if (this.valueChunks !== null) this.valueChunks[ci][i & MASK] = value!;
    this.index?.set(key, i);
  }

  /** The Map from member to position, for a table grown past INDEXED_FROM members. */
  private buildIndex(): void {
    const index = new Map<string, number>();
    for (let i = 0; i <= INDEXED_FROM; i++) index.set(this.keyAt(i), i);
    this.index = index;
  }

  private dropLast(): void {
    const ci = (this.length - 1) >>> CHUNK_BITS;
    if (((this.length - 1) & MASK) === 0) {
      this.keyChunks.pop();
      this.valueChunks?.pop();
    } else {
      this.own(ci);
      this.keyChunks[ci].pop();
      this.valueChunks?.[ci].pop();
    }
    this.length--;
  }

  /** Chunk `ci`, its own again if a snapshot shares it. */
  private own(ci: number): void {
    const shared = this.shared;
    if (shared === null || !shared.has(this.keyChunks[ci])) return;
    shared.delete(this.keyChunks[ci]);
    this.keyChunks[ci] = this.keyChunks[ci].slice();
    if (this.valueChunks !== null) this.valueChunks[ci] = this.valueChunks[ci].slice();
  }

  /** A deep copy (COPY): unshared, same order. */
  clone(): DenseTable {
    const t = new DenseTable(this.valueChunks !== null);
    t.keyChunks = this.keyChunks.map((c) => c.slice());
    t.valueChunks = this.valueChunks?.map((c) => c.slice()) ?? null;
    t.length = this.length;
    t.chars = this.chars;
    if (this.index !== null) t.index = new Map(this.index);
    t.ordered = this.ordered;
    return t;
  }

  /** The members as they are now, for a record written at once (nothing changes meanwhile). */
  view(): TableView {
    return new TableView(this.length, this.keyChunks, this.valueChunks);
  }

  /** The members as they are now, for a snapshot or a streamed reply: the chunks are shared until its `thaw`. */
  freeze(): TableView {
    const shared = (this.shared ??= new Set());
    for (const chunk of this.keyChunks) shared.add(chunk);
    this.frozen++;
    return new TableView(this.length, this.keyChunks.slice(), this.valueChunks?.slice() ?? null);
  }

  /** A frozen view is done with: once none is left, every chunk is the table's own again. */
  thaw(): void {
    if (--this.frozen === 0) this.shared = null;
  }

  /** One step of a SCAN over the positions (`scanPositions`). */
  scan(cursor: number, count: number, visit: (i: number) => void): number {
    return scanPositions(this.length, cursor, count, visit);
  }
}

/**
 * What HSCAN, SSCAN and ZSCAN walk: members at dense positions where a removal moves
 * only the last one into the hole (a DenseTable, or a skiplist sorted set's positions).
 */
export interface ScanTable {
  /** A small encoding: the scan returns every member at once, in this order. */
  readonly ordered: boolean;
  readonly size: number;
  keyAt(i: number): string;
  /** One step of the scan: see `scanPositions`. */
  scan(cursor: number, count: number, visit: (i: number) => void): number;
}

/**
 * One step of a SCAN over `size` positions (see the module header): visits up to
 * `count` positions below `cursor` (0: start from the end), highest first; returns the
 * next cursor, 0 once the scan is complete.
 */
export function scanPositions(size: number, cursor: number, count: number, visit: (i: number) => void): number {
  let i = cursor === 0 || cursor > size ? size : cursor;
  for (let n = 0; n < count && i > 0; n++) visit(--i);
  return i;
}
