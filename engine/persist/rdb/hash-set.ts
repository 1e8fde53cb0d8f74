/**
 * Hashes and sets in RDB, in the encodings redis-server 7.0 writes: a listpack-encoded
 * hash as `HASH_LISTPACK` (one listpack of field, value, field, value...), a larger
 * one as `HASH` (a count, then each field and value as strings); an intset as
 * `SET_INTSET`, a larger set as `SET` (a count, then the members). Read as well: the
 * older `HASH_ZIPLIST` and `HASH_ZIPMAP` (Redis before 7.0 and 2.6). A duplicate
 * field or member is refused, as redis-server refuses it. Each value loaded takes the
 * encoding the loading server's limits give it (redis-server converts the same way).
 *
 * The paired readers (`pairsOfListpack`, `pairsOfZiplist`) fit sorted sets' listpacks and
 * ziplists too (member, score pairs): export them when those arrive.
 */
import type { ByteWriter } from '../bytes.js';
import { Hash } from '../../types/hash.js';
import { SetValue } from '../../types/set.js';
import type { TableView } from '../../types/dense-table.js';
import type { EncodingLimits } from '../../types/encoding-limits.js';
import { parseInt64 } from '../../util/int64.js';
import { RdbType, writeBlob, writeLen, writeString, type RdbInput } from './encoding.js';
import { ListpackWriter, listpackStrings, ziplistStrings } from './listpack.js';
import { readIntset, writeIntset } from './intset.js';

/** The RDB type a hash is written with. */
export function hashRdbType(h: Hash): RdbType {
  return h.isHashtable ? RdbType.Hash : RdbType.HashListpack;
}

/** The RDB type a set is written with. */
export function setRdbType(s: SetValue): RdbType {
  return s.isIntset ? RdbType.SetIntset : RdbType.Set;
}

/** A small encoding's record, at once: a hash's listpack or a set's intset. */
export function writeSmall(w: ByteWriter, value: Hash | SetValue): void {
  if (value instanceof Hash) {
    const lp = new ListpackWriter();
    value.forEach((field, v) => {
      lp.string(field);
      lp.string(v);
    });
    writeBlob(w, lp.finish());
  } else {
    writeBlob(w, writeIntset(value.memberList().map((m) => parseInt64(m)!)));
  }
}

/**
 * A hashtable hash's or set's record (`HASH`, `SET`) from a frozen table, `chunk`
 * members per part, a few parts per `step`.
 */
export class TableRecordWriter {
  private next = 0;

  constructor(
    private readonly view: TableView,
    private readonly chunk: number,
  ) {}

  step(w: ByteWriter, parts: number): boolean {
    const view = this.view;
    if (this.next === 0) writeLen(w, view.size);
    const end = Math.min(view.size, this.next + parts * this.chunk);
    for (let i = this.next; i < end; i++) {
      writeString(w, view.keyAt(i));
      if (view.hasValues) writeString(w, view.valueAt(i));
    }
    this.next = end;
    return end === view.size;
  }
}

/** Pairs of a listpack (hash fields and values, zset members and scores), checked to be pairs. */
function pairsOfListpack(r: RdbInput): string[] {
  const at = r.pos;
  const elements = listpackStrings(r.blob(), r.base + at);
  if (elements.length % 2 !== 0) r.fail('listpack of pairs with an odd element count', at);
  return elements;
}

/** The same for a ziplist (RDB files of Redis before 7.0). */
function pairsOfZiplist(r: RdbInput): string[] {
  const at = r.pos;
  const elements = ziplistStrings(r.blob(), r.base + at);
  if (elements.length % 2 !== 0) r.fail('ziplist of pairs with an odd element count', at);
  return elements;
}

/** A zipmap's key/value pairs (zipmap.c, Redis before 2.6): `<len>key<len><free>value[free bytes]`... 0xFF. */
function pairsOfZipmap(r: RdbInput): string[] {
  const at = r.pos;
  const buf = r.blob();
  const fail = (): never => r.fail('invalid zipmap', at);
  const out: string[] = [];
  let p = 1;
  const length = (): number => {
    if (p >= buf.length) fail();
    const first = buf[p++];
    if (first < 254) return first;
    if (first === 255 || p + 4 > buf.length) fail();
    const n = buf.readUInt32LE(p);
    p += 4;
    return n;
  };
  for (;;) {
    if (p >= buf.length) fail();
    if (buf[p] === 0xff) break;
    const klen = length();
    if (p + klen > buf.length) fail();
    out.push(buf.latin1Slice(p, p + klen));
    p += klen;
    const vlen = length();
    if (p >= buf.length) fail();
    const free = buf[p++];
    if (p + vlen + free > buf.length) fail();
    out.push(buf.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  return out;
}

/** Reads a hash of any encoding a 7.0 file may hold; null when empty (redis-server skips such keys). */
export function readHash(r: RdbInput, type: RdbType, limits: EncodingLimits): Hash | null {
  const at = r.pos;
  const h = new Hash();
  const add = (field: string, value: string): void => {
    if (!h.set(field, value, limits)) r.fail('Duplicate hash fields detected', at);
  };
  if (type === RdbType.Hash) {
    const n = r.count();
    if (n > limits.hashMaxListpackEntries) h.toHashtable();
    for (let i = 0; i < n; i++) add(r.string(), r.string());
  } else {
    const pairs = type === RdbType.HashListpack ? pairsOfListpack(r) : type === RdbType.HashZiplist ? pairsOfZiplist(r) : pairsOfZipmap(r);
    if (pairs.length / 2 > limits.hashMaxListpackEntries) h.toHashtable();
    for (let i = 0; i < pairs.length; i += 2) add(pairs[i], pairs[i + 1]);
  }
  return h.size === 0 ? null : h;
}

/** Reads a set (`SET` or `SET_INTSET`); null when empty. */
export function readSet(r: RdbInput, type: RdbType, limits: EncodingLimits): SetValue | null {
  const at = r.pos;
  const s = new SetValue();
  const add = (member: string): void => {
    if (!s.add(member, limits)) r.fail('Duplicate set members detected', at);
  };
  if (type === RdbType.Set) {
    const n = r.count();
    if (n > limits.setMaxIntsetEntries) s.toHashtable();
    for (let i = 0; i < n; i++) add(r.string());
  } else {
    const members = readIntset(r.blob(), r.base + at);
    if (members.length > limits.setMaxIntsetEntries) s.toHashtable();
    for (const m of members) add(m);
  }
  return s.size === 0 ? null : s;
}
