/**
 * The member table under hashes and sets (engine/types/dense-table.ts) against a plain
 * Map model, with fast-check: random adds, value changes and removals in both modes
 * (ordered: insertion order kept; unordered: the last member fills the hole); a SCAN
 * interleaved with changes returns every member present for the whole scan; a frozen
 * view keeps what the table held while the table changes; the sampling helpers give
 * what they promise; and the older RDB encodings of hashes (ziplist, zipmap) read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DenseTable } from '../../engine/types/dense-table.js';
import { distinctIndexes } from '../../engine/types/random-pick.js';
import { DEFAULT_LIMITS } from '../../engine/types/encoding-limits.js';
import { RdbInput, RdbType, writeBlob } from '../../engine/persist/rdb/encoding.js';
import { ByteWriter } from '../../engine/persist/bytes.js';
import { readHash, readSet } from '../../engine/persist/rdb/hash-set.js';
import { readIntset, writeIntset } from '../../engine/persist/rdb/intset.js';

type Op = { kind: 'add' | 'set' | 'del'; key: number } | { kind: 'scan'; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('add' as const, 'set' as const, 'del' as const), key: fc.nat(60) }),
  fc.record({ kind: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 8 }) }),
);

/** Applies a change to the table and the model. */
function apply(t: DenseTable, model: Map<string, string>, o: Op, step: number): void {
  if (o.kind === 'scan') return;
  const key = `k${o.key}`;
  if (o.kind === 'del') {
    expect(t.delete(key)).toBe(model.delete(key));
  } else if (t.has(key)) {
    t.setValueAt(t.indexOf(key), `v${step}`);
    model.set(key, `v${step}`);
  } else {
    t.append(key, `v${step}`);
    model.set(key, `v${step}`);
  }
}

describe('DenseTable', () => {
  it('matches a Map, keeps insertion order while ordered, and finds every member by position', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), (ops, ordered) => {
        const t = new DenseTable(true);
        t.ordered = ordered;
        const model = new Map<string, string>();
        ops.forEach((o, i) => apply(t, model, o, i));
        expect(t.size).toBe(model.size);
        for (let i = 0; i < t.size; i++) {
          expect(t.indexOf(t.keyAt(i))).toBe(i);
          expect(model.get(t.keyAt(i))).toBe(t.valueAt(i));
        }
        if (ordered) expect(t.keyList()).toEqual([...model.keys()]);
        else expect(t.keyList().sort()).toEqual([...model.keys()].sort());
      }),
    );
  });

  it('SCAN with changes in between returns every member present from start to end', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }), fc.array(op, { maxLength: 300 }), (initial, ops) => {
        const t = new DenseTable(true);
        t.ordered = false;
        const model = new Map<string, string>();
        for (const k of initial) {
          if (t.has(k)) continue;
          t.append(k, 'x');
          model.set(k, 'x');
        }
        const present = new Set(model.keys());
        const seen = new Set<string>();
        let cursor = 0;
        let i = 0;
        do {
          const o = ops[i % Math.max(ops.length, 1)] ?? { kind: 'scan', count: 3 };
          if (o.kind !== 'scan') {
            apply(t, model, o, i);
            present.delete(`k${o.key}`);
          }
          cursor = t.scan(cursor, o.kind === 'scan' ? o.count : 2, (p) => seen.add(t.keyAt(p)));
          i++;
        } while (cursor !== 0);
        for (const k of present) expect(seen.has(k), k).toBe(true);
      }),
    );
  });

  it('a frozen view keeps the members and values of its moment; thaw gives the arrays back', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), fc.array(op, { maxLength: 100 }), fc.boolean(), (before, after, ordered) => {
        const t = new DenseTable(true);
        t.ordered = ordered;
        const model = new Map<string, string>();
        before.forEach((o, i) => apply(t, model, o, i));
        const view = t.freeze();
        const expected = t.keyList().map((k, i) => [k, t.valueAt(i)]);
        after.forEach((o, i) => apply(t, model, o, 1000 + i));
        expect(Array.from({ length: view.size }, (_, i) => [view.keyAt(i), view.valueAt(i)])).toEqual(expected);
        t.thaw();
        for (let i = 0; i < t.size; i++) expect(model.get(t.keyAt(i))).toBe(t.valueAt(i));
      }),
    );
  });

  it('across many chunks: ordered inserts and removals, swaps, a frozen view, runs', () => {
    for (const ordered of [true, false]) {
      let seed = 7;
      const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
      const t = new DenseTable(true);
      t.ordered = ordered;
      const model: [string, string][] = [];
      for (let i = 0; i < 5000; i++) {
        t.append(`k${i}`, `v${i}`);
        model.push([`k${i}`, `v${i}`]);
      }
      const view = t.freeze();
      const frozen = model.map((e) => [...e]);
      for (let n = 0; n < 3000; n++) {
        const i = rnd(model.length);
        if (n % 3 === 0) {
          t.setValueAt(i, `w${n}`);
          model[i][1] = `w${n}`;
        } else {
          t.removeAt(i);
          if (ordered || i === model.length - 1) model.splice(i, 1);
          else model[i] = model.pop()!;
        }
        if (n % 7 === 0) {
          t.append(`n${n}`, `x${n}`);
          model.push([`n${n}`, `x${n}`]);
        }
      }
      expect(Array.from({ length: t.size }, (_, i) => [t.keyAt(i), t.valueAt(i)])).toEqual(model);
      for (const [i, [k]] of model.entries()) expect(t.indexOf(k)).toBe(i);
      expect(Array.from({ length: view.size }, (_, i) => [view.keyAt(i), view.valueAt(i)])).toEqual(frozen);
      t.thaw();
      const fromRuns: string[] = [];
      t.runs((keys, _, from, to) => fromRuns.push(...keys.slice(from, to)), 100, 3000);
      expect(fromRuns).toEqual(model.slice(100, 3000).map(([k]) => k));
    }
  });

  it('sorted inserts across chunks (intset order)', () => {
    const t = new DenseTable(false);
    const sorted: string[] = [];
    for (let n = 0; n < 2500; n++) {
      const key = String((n * 7919) % 10007);
      if (t.has(key)) continue;
      let at = 0;
      while (at < sorted.length && Number(sorted[at]) < Number(key)) at++;
      t.insertAt(at, key);
      sorted.splice(at, 0, key);
    }
    expect(t.keyList()).toEqual(sorted);
    for (const [i, k] of sorted.entries()) expect(t.indexOf(k)).toBe(i);
  });

  it('distinct sample positions are distinct, in range and ascending, for small and large counts', () => {
    for (const [size, count] of [[10, 9], [1000, 3], [1000, 400], [5, 1]]) {
      const picks = distinctIndexes(size, count);
      expect(picks).toHaveLength(count);
      expect(new Set(picks).size).toBe(count);
      expect(picks.every((p, i) => p >= 0 && p < size && (i === 0 || picks[i - 1] < p))).toBe(true);
    }
  });
});

/** An RDB value of `type` whose body is one string holding `blob`. */
function blobValue(blob: Buffer): RdbInput {
  const w = new ByteWriter();
  writeBlob(w, blob);
  return new RdbInput(w.take());
}

/** A ziplist of short strings (every entry's previous length in one byte). */
function ziplist(items: string[]): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  for (const s of items) {
    const e = Buffer.concat([Buffer.from([prev, s.length]), Buffer.from(s, 'latin1')]);
    entries.push(e);
    prev = e.length;
  }
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(10);
  head.writeUInt32LE(10 + body.length + 1, 0);
  head.writeUInt32LE(10 + body.length - prev, 4);
  head.writeUInt16LE(items.length, 8);
  return Buffer.concat([head, body, Buffer.from([0xff])]);
}

/** A zipmap (Redis before 2.6): count byte, then `<len>key<len><free>value`, 0xFF. */
function zipmap(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  for (const [k, v] of pairs) parts.push(Buffer.from([k.length]), Buffer.from(k, 'latin1'), Buffer.from([v.length, 2]), Buffer.from(v, 'latin1'), Buffer.from([0, 0]));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

describe('older RDB encodings of hashes and sets', () => {
  it('a ziplist hash and a zipmap hash read as listpack hashes; duplicates are refused', () => {
    const fromZiplist = readHash(blobValue(ziplist(['a', '1', 'bb', 'two'])), RdbType.HashZiplist, DEFAULT_LIMITS)!;
    expect(fromZiplist.table.keyList()).toEqual(['a', 'bb']);
    expect(fromZiplist.get('bb')).toBe('two');
    expect(fromZiplist.encoding()).toBe('listpack');
    const fromZipmap = readHash(blobValue(zipmap([['f', 'v'], ['g', 'w']])), RdbType.HashZipmap, DEFAULT_LIMITS)!;
    expect(fromZipmap.table.keyList()).toEqual(['f', 'g']);
    expect(fromZipmap.get('g')).toBe('w');
    expect(() => readHash(blobValue(ziplist(['a', '1', 'a', '2'])), RdbType.HashZiplist, DEFAULT_LIMITS)).toThrow(/Duplicate hash fields/);
    expect(() => readHash(blobValue(ziplist(['a', '1', 'b'])), RdbType.HashZiplist, DEFAULT_LIMITS)).toThrow(/odd/);
  });

  it('intsets round-trip in every width; unsorted or mis-sized ones are refused', () => {
    for (const values of [[1, 2, 3], [-40000, 5], [-5000000000, 0, 9007199254740991], [-9223372036854775808n, 9223372036854775807n]]) {
      expect(readIntset(writeIntset(values))).toEqual(values.map(String));
    }
    const unsorted = writeIntset([1, 2]);
    unsorted.writeInt16LE(5, 8);
    expect(() => readIntset(unsorted)).toThrow(/not sorted/);
    expect(() => readIntset(writeIntset([1]).subarray(0, 9))).toThrow(/length/);
    const set = readSet(blobValue(writeIntset([1, 2])), RdbType.SetIntset, DEFAULT_LIMITS)!;
    expect(set.encoding()).toBe('intset');
    expect(readSet(blobValue(writeIntset(Array.from({ length: 600 }, (_, i) => i))), RdbType.SetIntset, DEFAULT_LIMITS)!.encoding()).toBe('hashtable');
  });
});
