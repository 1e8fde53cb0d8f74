/**
 * The storage under hashes and sets (and the member table a sorted set may share):
 * members in a dense array, with their values in a parallel one for a hash, and a Map
 * from member to position. ARCHITECTURE.md, "Hashes and sets", says why.
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
 * - Copy-on-write for snapshots (`freeze`): the snapshot holds the two arrays; the
 *   table copies them (pointers only, about 1 ms per million members) before its first
 *   change after that, and keeps its Map, whose positions stay valid in the copies.
 */

/** A table's members (and values) as they were when frozen. */
export interface FrozenTable {
  readonly keys: readonly string[];
  readonly values: readonly string[] | null;
}

export class DenseTable {
  private keyArray: string[] = [];
  private valueArray: string[] | null;
  private readonly index = new Map<string, number>();
  /** Removals keep the members' order (small encodings) instead of moving the last one. */
  ordered = true;
  /** A snapshot holds the arrays (`freeze`): copy them before changing anything. */
  private shared = false;

  constructor(withValues: boolean) {
    this.valueArray = withValues ? [] : null;
  }

  get size(): number {
    return this.keyArray.length;
  }

  /** The members in position order; read only (a snapshot may share the array). */
  get keys(): readonly string[] {
    return this.keyArray;
  }

  /** The values, parallel to `keys` (hashes only). */
  get values(): readonly string[] {
    return this.valueArray!;
  }

  /** The position of `key`, or -1. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  keyAt(i: number): string {
    return this.keyArray[i];
  }

  valueAt(i: number): string {
    return this.valueArray![i];
  }

  /** Adds `key` (absent) at the end. */
  append(key: string, value?: string): void {
    this.own();
    this.index.set(key, this.keyArray.length);
    this.keyArray.push(key);
    if (this.valueArray !== null) this.valueArray.push(value!);
  }

  /** Adds `key` (absent) at position `i`, moving the following members up (ordered tables). */
  insertAt(i: number, key: string): void {
    if (i === this.keyArray.length) return this.append(key);
    this.own();
    this.keyArray.splice(i, 0, key);
    this.valueArray?.splice(i, 0, '');
    this.reindexFrom(i);
  }

  setValueAt(i: number, value: string): void {
    this.own();
    this.valueArray![i] = value;
  }

  /** Removes the member at position `i`. */
  removeAt(i: number): void {
    this.own();
    const keys = this.keyArray;
    const values = this.valueArray;
    this.index.delete(keys[i]);
    const last = keys.length - 1;
    if (i === last) {
      keys.pop();
      values?.pop();
    } else if (this.ordered) {
      keys.splice(i, 1);
      values?.splice(i, 1);
      this.reindexFrom(i);
    } else {
      keys[i] = keys.pop()!;
      if (values !== null) values[i] = values.pop()!;
      this.index.set(keys[i], i);
    }
  }

  /** Removes `key`; false when absent. */
  delete(key: string): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  private reindexFrom(i: number): void {
    const keys = this.keyArray;
    for (let j = i; j < keys.length; j++) this.index.set(keys[j], j);
  }

  /** A deep copy (COPY): unshared, same order. */
  clone(): DenseTable {
    const t = new DenseTable(this.valueArray !== null);
    t.keyArray = this.keyArray.slice();
    t.valueArray = this.valueArray?.slice() ?? null;
    for (const [k, i] of this.index) t.index.set(k, i);
    t.ordered = this.ordered;
    return t;
  }

  /** The arrays as they are now, for a record written at once (nothing changes meanwhile). */
  view(): FrozenTable {
    return { keys: this.keyArray, values: this.valueArray };
  }

  /** The arrays as they are now, for a snapshot; the table copies them before its next change. */
  freeze(): FrozenTable {
    this.shared = true;
    return { keys: this.keyArray, values: this.valueArray };
  }

  /** The snapshot is done with `view`: the arrays are the table's own again if it never copied them. */
  thaw(view: FrozenTable): void {
    if (view.keys === this.keyArray) this.shared = false;
  }

  private own(): void {
    if (!this.shared) return;
    this.shared = false;
    this.keyArray = this.keyArray.slice();
    this.valueArray = this.valueArray?.slice() ?? null;
  }

  /**
   * One step of a SCAN over positions (see the module header): visits up to `count`
   * positions below `cursor` (0: start from the end), highest first; returns the
   * next cursor, 0 once the scan is complete.
   */
  scan(cursor: number, count: number, visit: (i: number) => void): number {
    let i = cursor === 0 || cursor > this.size ? this.size : cursor;
    for (let n = 0; n < count && i > 0; n++) visit(--i);
    return i;
  }
}
