/**
 * The hash type.
 *
 * Encoding, as redis-server 7.0 reports and saves it: `listpack` while the hash has at
 * most hash-max-listpack-entries fields and no field or value longer than
 * hash-max-listpack-value bytes, `hashtable` from the first change that breaks either
 * rule, for good (redis-server never converts back). A listpack keeps insertion order
 * and so does this hash while it is one (HGETALL then matches byte for byte).
 *
 * Storage: a small listpack hash (at most PACKED_ENTRIES fields, none of its fields or
 * values longer than 255 bytes) is one packed string, as a listpack is one allocation:
 * each field then its value, each preceded by one char giving its length. A field is
 * found by a linear scan and a change rebuilds the string, O(n) as in redis-server's
 * listpack; ten fields take about 200 bytes of heap where a table and its strings take
 * over a thousand. A larger hash, or one that breaks those bounds, is a `DenseTable`
 * (engine/types/dense-table.ts), ordered while still a listpack.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { DenseTable, TableView } from './dense-table.js';
import type { EncodingLimits } from './encoding-limits.js';

/** The most fields a packed hash holds; the longest field or value is what one length char says. */
const PACKED_ENTRIES = 128;
const PACKED_LENGTH = 255;

/** The offset of `field`'s entry in a packed string, or -1. */
function findPacked(packed: string, field: string): number {
  const n = field.length;
  for (let i = 0; i < packed.length; ) {
    const length = packed.charCodeAt(i);
    if (length === n && packed.startsWith(field, i + 1)) return i;
    i += 2 + length + packed.charCodeAt(i + 1 + length);
  }
  return -1;
}

/** `parts` as one flat string (a concatenation would leave a tree of pieces behind). */
function joined(...parts: string[]): string {
  return parts.join('');
}

export class Hash implements DataObject {
  readonly type = 'hash';
  /** The packed form (see the module header), or null once in `table`. */
  private packed: string | null = '';
  private packedCount = 0;
  private tableForm: DenseTable | null = null;

  get size(): number {
    return this.packed !== null ? this.packedCount : this.tableForm!.size;
  }

  /** True while the hash is one packed string. */
  get isPacked(): boolean {
    return this.packed !== null;
  }

  /** The fields' and values' bytes together, for the memory accounting (engine/memory.ts). */
  get payloadBytes(): number {
    return this.packed !== null ? this.packed.length - 2 * this.packedCount : this.tableForm!.payloadBytes;
  }

  /** The table the hash is in, unpacked first if it is packed (positions for SCAN and snapshots). */
  get table(): DenseTable {
    if (this.packed !== null) this.unpack();
    return this.tableForm!;
  }

  /** True once the hash is a hashtable (see the module header). */
  get isHashtable(): boolean {
    return this.tableForm !== null && !this.tableForm.ordered;
  }

  encoding(): string {
    return this.isHashtable ? 'hashtable' : 'listpack';
  }

  get(field: string): string | undefined {
    const p = this.packed;
    if (p === null) {
      const t = this.tableForm!;
      const i = t.indexOf(field);
      return i < 0 ? undefined : t.valueAt(i);
    }
    const at = findPacked(p, field);
    if (at < 0) return undefined;
    const v = at + 1 + field.length;
    return p.slice(v + 1, v + 1 + p.charCodeAt(v));
  }

  has(field: string): boolean {
    return this.packed !== null ? findPacked(this.packed, field) >= 0 : this.tableForm!.has(field);
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string, limits: EncodingLimits): boolean {
    const overLimits = field.length > limits.hashMaxListpackValue || value.length > limits.hashMaxListpackValue;
    if (this.packed !== null && !overLimits && value.length <= PACKED_LENGTH && field.length <= PACKED_LENGTH) {
      const p = this.packed;
      const at = findPacked(p, field);
      if (at >= 0) {
        const v = at + 1 + field.length;
        this.packed = joined(p.slice(0, v), String.fromCharCode(value.length), value, p.slice(v + 1 + p.charCodeAt(v)));
        return false;
      }
      if (this.packedCount < PACKED_ENTRIES && this.packedCount < limits.hashMaxListpackEntries) {
        this.packed = joined(p, String.fromCharCode(field.length), field, String.fromCharCode(value.length), value);
        this.packedCount++;
        return true;
      }
    }
    const t = this.table;
    const i = t.indexOf(field);
    if (i >= 0) t.setValueAt(i, value);
    else t.append(field, value);
    if (t.ordered && (t.size > limits.hashMaxListpackEntries || overLimits)) this.toHashtable();
    return i < 0;
  }

  delete(field: string): boolean {
    const p = this.packed;
    if (p === null) return this.tableForm!.delete(field);
    const at = findPacked(p, field);
    if (at < 0) return false;
    const v = at + 1 + field.length;
    this.packed = joined(p.slice(0, at), p.slice(v + 1 + p.charCodeAt(v)));
    this.packedCount--;
    return true;
  }

  /** Converts to the hashtable encoding, for good. */
  toHashtable(): void {
    this.table.ordered = false;
  }

  /** Moves a packed hash into a table (still a listpack, in the same order). */
  private unpack(): void {
    const t = new DenseTable(true);
    this.forEach((field, value) => t.append(field, value));
    this.tableForm = t;
    this.packed = null;
    this.packedCount = 0;
  }

  /** Each field and value in the hash's order. */
  forEach(visit: (field: string, value: string) => void): void {
    const p = this.packed;
    if (p === null) {
      const t = this.tableForm!;
      for (let i = 0; i < t.size; i++) visit(t.keyAt(i), t.valueAt(i));
      return;
    }
    for (let i = 0; i < p.length; ) {
      const f = i + 1;
      const v = f + p.charCodeAt(i);
      const end = v + 1 + p.charCodeAt(v);
      visit(p.slice(f, v), p.slice(v + 1, end));
      i = end;
    }
  }

  /** The fields and values by position, as they are now (a packed hash decoded: HRANDFIELD's picks). */
  view(): TableView {
    if (this.packed === null) return this.tableForm!.view();
    const fields: string[] = [];
    const values: string[] = [];
    this.forEach((f, v) => {
      fields.push(f);
      values.push(v);
    });
    return new TableView(fields.length, [fields], [values]);
  }

  digest(d: ValueDigest): void {
    this.forEach((field, value) => d.xorPair(field, value));
  }

  clone(): Hash {
    const h = new Hash();
    h.packed = this.packed;
    h.packedCount = this.packedCount;
    h.tableForm = this.tableForm?.clone() ?? null;
    return h;
  }
}
