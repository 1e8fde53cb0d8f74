/**
 * The hash type.
 *
 * Encoding, as redis-server 7.0 reports and saves it: `listpack` while the hash has at
 * most hash-max-listpack-entries fields and no field or value longer than
 * hash-max-listpack-value bytes, `hashtable` from the first change that breaks either
 * rule, for good (redis-server never converts back). A listpack keeps insertion order
 * and so does this hash while it is one (HGETALL then matches byte for byte).
 *
 * Storage: a small listpack hash (at most PACKED_ENTRIES fields) is one packed string,
 * as a listpack is one allocation: its fields and values in turn, the hash being a
 * `PackedStrings` (engine/types/packed-strings.ts). A field is found by a linear scan
 * and a change rebuilds the string, O(n) as in redis-server's listpack; ten fields take
 * about 200 bytes of heap where a table and its strings take over a thousand. A larger
 * hash is a `DenseTable` (engine/types/dense-table.ts), ordered while still a listpack;
 * its packed string is then empty.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { DenseTable, TableView } from './dense-table.js';
import type { EncodingLimits } from './encoding-limits.js';
import { PackedStrings } from './packed-strings.js';

/** The most fields a packed hash holds (each lookup scans them). */
const PACKED_ENTRIES = 128;

/** A hash: packed (field, value, field, value... as its own entries) until `tableForm` holds it. */
export class Hash extends PackedStrings implements DataObject {
  private tableForm: DenseTable | null = null;

  /** On the prototype: a field would cost every hash 8 bytes. */
  get type(): 'hash' {
    return 'hash';
  }

  get size(): number {
    return this.tableForm === null ? this.packedCount / 2 : this.tableForm.size;
  }

  /** True while the hash is one packed string. */
  get isPacked(): boolean {
    return this.tableForm === null;
  }

  /** The fields' and values' bytes together (counted in a packed hash), for the memory accounting (engine/memory.ts). */
  get payloadBytes(): number {
    return this.tableForm === null ? this.entryChars() : this.tableForm.payloadBytes;
  }

  /** The table the hash is in, unpacked first if it is packed (positions for SCAN and snapshots). */
  get table(): DenseTable {
    return this.tableForm ?? this.unpack();
  }

  /** True once the hash is a hashtable (see the module header). */
  get isHashtable(): boolean {
    return this.tableForm !== null && !this.tableForm.ordered;
  }

  encoding(): string {
    return this.isHashtable ? 'hashtable' : 'listpack';
  }

  get(field: string): string | undefined {
    const t = this.tableForm;
    if (t === null) return this.entryAfter(field, 2);
    const i = t.indexOf(field);
    return i < 0 ? undefined : t.valueAt(i);
  }

  has(field: string): boolean {
    return this.tableForm === null ? this.indexOfEntry(field, 2) >= 0 : this.tableForm.has(field);
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string, limits: EncodingLimits): boolean {
    const overLimits = field.length > limits.hashMaxListpackValue || value.length > limits.hashMaxListpackValue;
    if (this.tableForm === null && !overLimits) {
      if (this.replaceAfter(field, 2, value)) return false;
      const n = this.packedCount / 2;
      if (n < PACKED_ENTRIES && n < limits.hashMaxListpackEntries) {
        this.insertEntries(this.packedCount, [field, value]);
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
    if (this.tableForm !== null) return this.tableForm.delete(field);
    const i = this.indexOfEntry(field, 2);
    if (i < 0) return false;
    this.removeEntries(i, 2);
    return true;
  }

  /** Converts to the hashtable encoding, for good. */
  toHashtable(): void {
    this.table.ordered = false;
  }

  /** Moves a packed hash into a table (still a listpack, in the same order); returns the table. */
  private unpack(): DenseTable {
    const t = new DenseTable(true);
    this.forEach((field, value) => t.append(field, value));
    this.tableForm = t;
    this.clearEntries();
    return t;
  }

  /** Each field and value in the hash's order. */
  forEach(visit: (field: string, value: string) => void): void {
    const t = this.tableForm;
    if (t !== null) {
      for (let i = 0; i < t.size; i++) visit(t.keyAt(i), t.valueAt(i));
      return;
    }
    let field = '';
    this.forEachEntry(0, false, (s, i) => {
      if (i % 2 === 0) field = s;
      else visit(field, s);
      return true;
    });
  }

  /** The fields and values by position, as they are now (a packed hash decoded: HRANDFIELD's picks). */
  view(): TableView {
    if (this.tableForm !== null) return this.tableForm.view();
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
    h.copyEntries(this);
    h.tableForm = this.tableForm?.clone() ?? null;
    return h;
  }
}
