/**
 * The storage under hashes and sets (and the member table a sorted set may share):
 * members at dense positions, with their values at the same positions for a hash, and
 * a Map from member to position. ARCHITECTURE.md, "Hashes and sets", says why.
 *
 * - Position access makes a random member O(1) (SPOP, SRANDMEMBER, HRANDFIELD), where
 *   a JS Map or Set can only be walked.
 * - Order: while `ordered` (the small encodings, listpack and intset, whose order
 *   redis-server's replies show), a removal closes the gap and the members keep their
 *   order, O(n) as in a listpack. Otherwise the last member fills the hole, O(1): the
 *   order is arbitrary, as in redis-server's dict.
 * - SCAN (`scan`) walks positions from the end down: a removal moves only the last
 *   member, from a visited position to a lower one, so a member present for the whole
 *   scan is never missed (it may be returned twice, which SCAN allows).
 * - Positions live in chunks of CHUNK, so a snapshot shares the chunks (`freeze`) and
 *   the table copies one only before changing it (copy-on-write per chunk, as a list's
 *   chunks); the Map stays the table's, its positions hold in the copies.
 */

const CHUNK_BITS = 10;
/** Members per chunk. */
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

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
  private readonly index = new Map<string, number>();
  /** Removals keep the members' order (small encodings) instead of moving the last one. */
  ordered = true;
  /** Chunks a snapshot holds (`freeze`): copied before they change; null when none. */
  private shared: Set<string[]> | null = null;

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

  /** The position of `key`, or -1. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  has(key: string): boolean {
    return this.index.has(key);
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
    if ((i & MASK) === 0) {
      this.keyChunks.push([]);
      this.valueChunks?.push([]);
    } else {
      this.own(ci);
    }
    this.keyChunks[ci].push(key);
    this.valueChunks?.[ci].push(value!);
    this.index.set(key, i);
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
    this.index.delete(key);
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
    this.index.set(key, i);
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
    for (const [k, i] of this.index) t.index.set(k, i);
    t.ordered = this.ordered;
    return t;
  }

  /** The members as they are now, for a record written at once (nothing changes meanwhile). */
  view(): TableView {
    return new TableView(this.length, this.keyChunks, this.valueChunks);
  }

  /** The members as they are now, for a snapshot: the chunks are shared until `thaw`. */
  freeze(): TableView {
    this.shared = new Set(this.keyChunks);
    return new TableView(this.length, this.keyChunks.slice(), this.valueChunks?.slice() ?? null);
  }

  /** The snapshot is done: every chunk is the table's own again. */
  thaw(): void {
    this.shared = null;
  }

  /**
   * One step of a SCAN over positions (see the module header): visits up to `count`
   * positions below `cursor` (0: start from the end), highest first; returns the
   * next cursor, 0 once the scan is complete.
   */
  scan(cursor: number, count: number, visit: (i: number) => void): number {
    let i = cursor === 0 || cursor > this.length ? this.length : cursor;
    for (let n = 0; n < count && i > 0; n++) visit(--i);
    return i;
  }
}
