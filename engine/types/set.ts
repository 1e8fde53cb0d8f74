/**
 * The set type: members in a `DenseTable` (engine/types/dense-table.ts).
 *
 * Encoding, as redis-server 7.0 reports and saves it: `intset` while every member is
 * the canonical text of an int64 and there are at most set-max-intset-entries of
 * them, `hashtable` from the first change that breaks either rule, for good. An intset
 * is sorted by value, and so is the table while the set is one (SMEMBERS then matches
 * byte for byte); 7.0 has no listpack sets.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { compareInt64, parseInt64, type Int64 } from '../util/int64.js';
import { DenseTable, type TableView } from './dense-table.js';
import type { EncodingLimits } from './encoding-limits.js';

export class SetValue implements DataObject {
  readonly type = 'set';
  table = new DenseTable(false);

  get size(): number {
    return this.table.size;
  }

  get isIntset(): boolean {
    return this.table.ordered;
  }

  encoding(): string {
    return this.isIntset ? 'intset' : 'hashtable';
  }

  has(member: string): boolean {
    return this.table.has(member);
  }

  /** Adds a member; false when it was there already (setTypeAdd). */
  add(member: string, limits: EncodingLimits): boolean {
    const t = this.table;
    if (t.has(member)) return false;
    if (this.isIntset) {
      const v = parseInt64(member);
      if (v !== null) {
        t.insertAt(this.sortedPosition(v), member);
        if (t.size > limits.setMaxIntsetEntries) this.toHashtable();
        return true;
      }
      this.toHashtable();
    }
    t.append(member);
    return true;
  }

  delete(member: string): boolean {
    return this.table.delete(member);
  }

  /** Removes and returns the member at position `i`. */
  removeAt(i: number): string {
    const member = this.table.keyAt(i);
    this.table.removeAt(i);
    return member;
  }

  toHashtable(): void {
    this.table.ordered = false;
  }

  /** Where an int64 goes in the sorted intset (binary search). */
  private sortedPosition(v: Int64): number {
    const t = this.table;
    let lo = 0;
    let hi = t.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInt64(parseInt64(t.keyAt(mid))!, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The member at position `i` (0 to size - 1), in the set's order. */
  memberAt(i: number): string {
    return this.table.keyAt(i);
  }

  /** The members by position, as they are now. */
  view(): TableView {
    return this.table.view();
  }

  /** The members in the set's order, as a new array. */
  memberList(): string[] {
    return this.table.keyList();
  }

  digest(d: ValueDigest): void {
    const t = this.table;
    for (let i = 0; i < t.size; i++) d.xor(t.keyAt(i));
  }

  clone(): SetValue {
    const s = new SetValue();
    s.table = this.table.clone();
    return s;
  }
}

/** A set of `members` (distinct or not) with the encoding `limits` give it, as setTypeAdd builds one. */
export function setFromMembers(members: Iterable<string>, limits: EncodingLimits): SetValue {
  const s = new SetValue();
  for (const m of members) s.add(m, limits);
  return s;
}
