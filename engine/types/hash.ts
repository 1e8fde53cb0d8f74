/**
 * The hash type: fields and values in a `DenseTable` (engine/types/dense-table.ts).
 *
 * Encoding, as redis-server 7.0 reports and saves it: `listpack` while the hash has at
 * most hash-max-listpack-entries fields and no field or value longer than
 * hash-max-listpack-value bytes, `hashtable` from the first change that breaks either
 * rule, for good (redis-server never converts back). A listpack keeps insertion order
 * and so does the table while the hash is one (HGETALL then matches byte for byte).
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { DenseTable } from './dense-table.js';
import type { EncodingLimits } from './encoding-limits.js';

export class Hash implements DataObject {
  readonly type = 'hash';
  table = new DenseTable(true);

  get size(): number {
    return this.table.size;
  }

  /** True once the hash is a hashtable (see the module header). */
  get isHashtable(): boolean {
    return !this.table.ordered;
  }

  encoding(): string {
    return this.isHashtable ? 'hashtable' : 'listpack';
  }

  get(field: string): string | undefined {
    const i = this.table.indexOf(field);
    return i < 0 ? undefined : this.table.valueAt(i);
  }

  has(field: string): boolean {
    return this.table.has(field);
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string, limits: EncodingLimits): boolean {
    const t = this.table;
    const i = t.indexOf(field);
    if (i >= 0) t.setValueAt(i, value);
    else t.append(field, value);
    if (!this.isHashtable && (t.size > limits.hashMaxListpackEntries || field.length > limits.hashMaxListpackValue || value.length > limits.hashMaxListpackValue)) {
      this.toHashtable();
    }
    return i < 0;
  }

  delete(field: string): boolean {
    return this.table.delete(field);
  }

  toHashtable(): void {
    this.table.ordered = false;
  }

  /** Each field and value in the hash's order. */
  forEach(visit: (field: string, value: string) => void): void {
    const t = this.table;
    for (let i = 0; i < t.size; i++) visit(t.keyAt(i), t.valueAt(i));
  }

  digest(d: ValueDigest): void {
    this.forEach((field, value) => d.xorPair(field, value));
  }

  clone(): Hash {
    const h = new Hash();
    h.table = this.table.clone();
    return h;
  }
}
