/**
 * The stream data structure without a server: exact uint64 IDs and their parsing,
 * the simulated listpack sizes, node packing, the Stream against a plain sorted
 * array model under random appends, deletes, trims and range queries, and a PEL's walk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHiLo, hi32, lo32, parseIntervalId, parseStreamId, StreamId, u64String, U64_MAX, type U64 } from '../../engine/types/stream-id.js';
import { lpIntSize, lpStringSize } from '../../engine/types/stream-listpack.js';
import { StreamNode } from '../../engine/types/stream-node.js';
import { Stream, type StreamNodeLimits } from '../../engine/types/stream.js';
import { ConsumerGroup, Nack } from '../../engine/types/stream-group.js';
import { Engine } from '../../engine/engine.js';
import { loadSnapshot, snapshotBytes } from '../../engine/persist/snapshot.js';

const MAX = '18446744073709551615';
const u64 = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 }),
  fc.bigInt({ min: 2n ** 53n - 3n, max: 2n ** 53n + 3n }),
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.constantFrom(0n, U64_MAX, U64_MAX - 1n, 2n ** 63n, 2n ** 32n),
);
/** The canonical U64 (number when safe) of a bigint. */
const canon = (v: bigint | number): U64 => (BigInt(v) <= 2n ** 53n - 1n ? Number(v) : BigInt(v));

describe('stream IDs', () => {
  it('parse as redis-server: strict and loose forms, incomplete IDs, <ms>-*', () => {
    const ok = (arg: string, missing: U64 = 0, strict = true): string | null => parseStreamId(arg, missing, strict)?.toString() ?? null;
    expect(ok('1-2')).toBe('1-2');
    expect(ok('5', 7)).toBe('5-7');
    expect(ok(`${MAX}-${MAX}`)).toBe(`${MAX}-${MAX}`);
    expect(ok('18446744073709551616')).toBe(null);
    expect(ok('-')).toBe(null);
    expect(ok('-', 0, false)).toBe('0-0');
    expect(ok('+', 0, false)).toBe(`${MAX}-${MAX}`);
    expect(ok('+x', 0, false)).toBe(null);
    // string2ull falls back to strtoull: spaces, '+', leading zeros, and negative wrap.
    expect(ok(' 12')).toBe('12-0');
    expect(ok('+12')).toBe('12-0');
    expect(ok('012')).toBe('12-0');
    expect(ok('12--01')).toBe(`12-${MAX}`);
    expect(ok('12--1')).toBe(null);
    expect(ok('12-')).toBe(null);
    expect(ok('12 ')).toBe(null);
    // C stops at a NUL byte.
    expect(ok('12\x00-junk')).toBe('12-0');
    expect(ok('1'.repeat(127))).toBe(null);
    expect(ok('0'.repeat(126) + '1')).toBe('1-0');
    expect(ok('0'.repeat(127) + '1')).toBe(null);
    const seq = { seqGiven: true };
    expect(parseStreamId('7-*', 0, true, seq)?.toString()).toBe('7-0');
    expect(seq.seqGiven).toBe(false);
    expect(parseStreamId('7-*', 0, true)).toBe(null);
    expect(parseIntervalId('(5', 0)).toEqual({ id: new StreamId(5, 0), exclusive: true });
    expect(parseIntervalId('(', 0)).toBe(null);
    expect(parseIntervalId('(-', 0)).toBe(null);
  });

  it('keep 64 bits exactly: halves, text, successor and predecessor', () => {
    fc.assert(
      fc.property(u64, u64, (a, b) => {
        const ms = canon(a);
        const seq = canon(b);
        expect(fromHiLo(hi32(ms), lo32(ms))).toBe(ms);
        expect(u64String(ms)).toBe(String(BigInt(ms)));
        const id = new StreamId(ms, seq);
        const next = id.next();
        const prev = id.prev();
        const value = (BigInt(ms) << 64n) | BigInt(seq);
        if (value === (1n << 128n) - 1n) expect(next).toBe(null);
        else expect(((BigInt(next!.ms) << 64n) | BigInt(next!.seq)) - value).toBe(1n);
        if (value === 0n) expect(prev).toBe(null);
        else expect(value - ((BigInt(prev!.ms) << 64n) | BigInt(prev!.seq))).toBe(1n);
        expect(Math.sign(id.compare(new StreamId(canon(b), canon(a))))).toBe(Math.sign(Number(value - ((BigInt(b) << 64n) | BigInt(a)))));
      }),
      { seed: 0x1d, numRuns: 2000 },
    );
  });
});

describe('listpack sizes', () => {
  it('encode integers and strings as listpack.c does', () => {
    expect([0, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648].map(lpIntSize)).toEqual([
      2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 10,
    ]);
    expect(lpIntSize(-(2n ** 63n))).toBe(10);
    expect(lpStringSize('12')).toBe(2);
    expect(lpStringSize('-0')).toBe(4);
    expect(lpStringSize('012')).toBe(5);
    expect(lpStringSize('9223372036854775807')).toBe(10);
    expect(lpStringSize('9223372036854775808')).toBe(21);
    expect(lpStringSize('')).toBe(2);
    expect(lpStringSize('x'.repeat(63))).toBe(65);
    expect(lpStringSize('x'.repeat(64))).toBe(67);
    expect(lpStringSize('x'.repeat(125))).toBe(128);
    expect(lpStringSize('x'.repeat(126))).toBe(130);
    expect(lpStringSize('x'.repeat(4095))).toBe(4099);
    expect(lpStringSize('x'.repeat(4096))).toBe(4103);
  });
});

describe('stream nodes', () => {
  it('pack entries with shared or own fields, any value length, and read them back', () => {
    const node = StreamNode.create(new StreamId(1, 0), ['a', '1', 'b', '2'], 0, 2);
    const entries: string[][] = [
      ['a', '1', 'b', '2'],
      ['a', 'x'.repeat(200), 'b', 'y'.repeat(20000)],
      ['b', '2', 'a', '1'],
      ['a', ''],
      ['\x00\xff', '\r\n', 'a', 'b'],
    ];
    entries.forEach((pairs, i) => node.append(new StreamId(1, i), pairs, 0));
    const out: string[] = [];
    entries.forEach((pairs, i) => {
      node.readPairs(i, out);
      expect(out).toEqual(pairs);
      expect(node.idString(i)).toBe(`1-${i}`);
    });
    expect(node.monotonic).toBe(true);
    node.append(new StreamId(0, 9), ['a', 'b'], 0);
    expect(node.monotonic).toBe(false);
  });
});

/** A model of the stream: live entries in ID order. */
interface ModelEntry {
  id: bigint;
  pairs: string[];
}

const idOf = (v: bigint): StreamId => new StreamId(canon(v >> 64n), canon(v & U64_MAX));

type Op =
  | { op: 'add'; gap: number; pairs: string[] }
  | { op: 'del'; pick: number }
  | { op: 'trim'; maxLen: number }
  | { op: 'range'; a: number; b: number; rev: boolean }
  | { op: 'setid' }
  | { op: 'reload' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), gap: fc.integer({ min: 1, max: 3 }), pairs: fc.constantFrom<string[]>(['f', 'v'], ['f', 'w', 'g', 'x'], ['h', '1']) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trim' as const), maxLen: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('range' as const), a: fc.nat({ max: 200 }), b: fc.nat({ max: 200 }), rev: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setid' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reload' as const) }) },
);

/** `s` saved to RDB and loaded back: its nodes but the last undecoded (engine/persist/rdb/stream.ts). */
function reloaded(s: Stream): Stream {
  const engine = new Engine({ databases: 1 });
  engine.dbs[0].set('s', s);
  const other = new Engine({ databases: 1 });
  loadSnapshot(other.dbs, snapshotBytes(engine.dbs, 0), { now: 0 });
  return (other.dbs[0].peek('s')?.value as Stream | undefined) ?? new Stream();
}

describe('Stream', () => {
  it('matches a sorted-array model under appends, deletes, exact trims, ranges (counted, and over frozen nodes) and reloads', () => {
    const base = 2n ** 64n * 5n + 2n ** 53n - 40n;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), fc.constantFrom(1, 3, 100), (ops, maxEntries) => {
        const limits: StreamNodeLimits = { streamNodeMaxEntries: maxEntries, streamNodeMaxBytes: 4096 };
        let s = new Stream();
        const model: ModelEntry[] = [];
        let next = base;
        const out: string[] = [];
        for (const o of ops) {
          if (o.op === 'add') {
            next += BigInt(o.gap);
            s.append(idOf(next), o.pairs, 0, limits);
            model.push({ id: next, pairs: o.pairs });
          } else if (o.op === 'del' && model.length > 0) {
            const victim = model.splice(o.pick % model.length, 1)[0];
            expect(s.delete([idOf(victim.id), idOf(victim.id)])).toBe(1);
          } else if (o.op === 'trim') {
            const removed = s.trim({ strategy: 'maxlen', maxLen: o.maxLen, minId: StreamId.MIN, approx: false, limit: 0 });
            expect(removed).toBe(Math.max(0, model.length - o.maxLen));
            model.splice(0, removed);
          } else if (o.op === 'setid' && model.length > 0) {
            // XSETID down to the last live entry: the next entries follow bigger deleted ones (unsorted nodes).
            next = model[model.length - 1].id;
            s.lastId = idOf(next);
          } else if (o.op === 'reload') {
            s = reloaded(s);
            // An empty stream's key is not saved.
            if (model.length === 0) s.lastId = idOf(next);
            // The undecoded nodes count what they will take decoded, and the bytes they keep (a copy's nodes decoded, the bytes shared).
            expect(s.payloadBytes).toBe(s.clone().view().nodes.reduce((n, node) => (node.idAt(0), n + node.payloadBytes), 0));
          } else if (o.op === 'range') {
            const lo = base + BigInt(Math.min(o.a, o.b));
            const hi = base + BigInt(Math.max(o.a, o.b));
            const it = s.range(idOf(lo), idOf(hi), o.rev);
            const got: string[] = [];
            while (it.next()) {
              it.node.readPairs(it.index, out);
              got.push(it.node.idString(it.index) + ' ' + out.join(','));
            }
            const want = model.filter((e) => e.id >= lo && e.id <= hi).map((e) => idOf(e.id).toString() + ' ' + e.pairs.join(','));
            expect(got).toEqual(o.rev ? want.reverse() : want);
            // What a streamed reply counts first (whole nodes at once), and walks later over its frozen nodes.
            expect(s.range(idOf(lo), idOf(hi), o.rev).countRest(0).entries).toBe(got.length);
            expect(s.range(idOf(lo), idOf(hi), o.rev).countRest(3).entries).toBe(Math.min(3, got.length));
            const frozen = s.freezeRange(idOf(lo), idOf(hi), o.rev);
            let walked = 0;
            while (frozen.it.next()) walked++;
            frozen.release();
            expect(walked).toBe(got.length);
          }
          expect(s.length).toBe(model.length);
          expect(s.firstId.toString()).toBe(model.length > 0 ? idOf(model[0].id).toString() : '0-0');
          expect(s.lastValidId().toString()).toBe(model.length > 0 ? idOf(model[model.length - 1].id).toString() : '0-0');
        }
        const copy = s.clone();
        s.trim({ strategy: 'maxlen', maxLen: 0, minId: StreamId.MIN, approx: false, limit: 0 });
        expect(copy.length).toBe(model.length);
      }),
      { seed: 0x57, numRuns: 300 },
    );
  });

  it('counts radix tree nodes as redis-server does for simple cases', () => {
    const limits: StreamNodeLimits = { streamNodeMaxEntries: 1, streamNodeMaxBytes: 4096 };
    const s = new Stream();
    expect(s.radixTreeNodes()).toBe(1);
    s.append(new StreamId(1, 1), ['f', 'v'], 0, limits);
    expect(s.radixTreeNodes()).toBe(2);
    // Two keys differing in the last byte: a compressed root, a branching node, two leaves.
    s.append(new StreamId(1, 2), ['f', 'v'], 0, limits);
    expect(s.radixTreeNodes()).toBe(4);
  });
});

describe('pending entries lists', () => {
  it('walk their entries in ID order, a B+ tree leaf at a time, under random adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2000 })), { maxLength: 3000 }), (ops) => {
        const group = new ConsumerGroup(StreamId.MIN, 0);
        const consumer = group.createConsumer('c', 0);
        const model = new Set<number>();
        for (const [add, ms] of ops) {
          const id = new StreamId(ms, 0);
          if (add) {
            group.pel.add(new Nack(id, consumer, 0, 1));
            model.add(ms);
          } else {
            group.pel.delete(id);
            model.delete(ms);
          }
        }
        const walked: number[] = [];
        group.pel.forEachRun((nacks, n) => {
          for (let i = 0; i < n; i++) walked.push(Number(nacks[i].id.ms));
        });
        expect(walked).toEqual([...model].sort((a, b) => a - b));
      }),
      { seed: 12, numRuns: 60 },
    );
  });

  it('stay a valid B+ tree when most adds come in ID order (appended without a search), among deletes and adds elsewhere', () => {
    // 0: append the next ID, 1: add an ID at random, 2: delete one at random.
    const op = fc.tuple(fc.constantFrom(0, 0, 0, 0, 1, 2), fc.integer({ min: 0, max: 100_000 }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1000, maxLength: 4000 }), (ops) => {
        const group = new ConsumerGroup(StreamId.MIN, 0);
        const consumer = group.createConsumer('c', 0);
        const model = new Set<number>();
        let next = 0;
        for (const [kind, r] of ops) {
          if (kind === 2) {
            const ms = r % (next + 1);
            expect(group.pel.delete(new StreamId(ms, 0))).toBe(model.delete(ms));
            continue;
          }
          const ms = kind === 0 ? (next += 1 + (r % 3)) : r % (next + 1);
          const added = group.pel.add(new Nack(new StreamId(ms, 0), consumer, 0, 1));
          expect(added).toBe(!model.has(ms));
          model.add(ms);
        }
        (group.pel as unknown as { tree: { checkValid(): void } }).tree.checkValid();
        expect(group.pel.size).toBe(model.size);
        const walked: number[] = [];
        group.pel.forEachRun((nacks, n) => {
          for (let i = 0; i < n; i++) walked.push(Number(nacks[i].id.ms));
        });
        expect(walked).toEqual([...model].sort((a, b) => a - b));
        for (const ms of model) expect(group.pel.get(new StreamId(ms, 0))?.id.ms).toBe(ms);
      }),
      { seed: 7, numRuns: 30 },
    );
  });
});
