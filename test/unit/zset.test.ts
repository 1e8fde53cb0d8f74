/**
 * The sorted set in both encodings (listpack string, skiplist) against a sorted-array
 * model: after random inserts, score updates and removals (fast-check, seeded), the
 * order, every rank both ways, the member at every rank, range bounds, rank-range
 * removals and ZSCAN's positions agree, and the tree's counts stay exact; a listpack converted
 * midway keeps all of it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZSet } from '../../engine/types/zset.js';

type Op = { kind: 'set'; member: string; score: number } | { kind: 'delete'; member: string } | { kind: 'removeRanks'; start: number; n: number } | { kind: 'convert' };

const member = fc.integer({ min: 0, max: 60 }).map((i) => `m${i}`);
// Few distinct scores (ties order by member), and scores whose text the listpack keeps: fractions, exponents, beyond 2^53.
const score = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, 0.5, -0, 1e21, -1e-7, 5e-324, 2 ** 53 + 2, -123456789012345, 1234567890123456) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('set' as const), member, score }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('delete' as const), member }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('removeRanks' as const), start: fc.nat(40), n: fc.nat(5) }) },
  // Rare, so that most sequences run a while in the listpack encoding first.
  { weight: 1, arbitrary: fc.constant({ kind: 'convert' as const }) },
);

function sorted(model: Map<string, number>): [string, number][] {
  return [...model].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('ZSet skiplist', () => {
  it('agrees with a sorted model on order, ranks, nodes by rank and ranges', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), (ops, skiplist) => {
        const z = new ZSet();
        if (skiplist) z.toSkiplist();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'convert') {
            z.toSkiplist();
          } else if (o.kind === 'set') {
            // A listpack stores -0 as 0 (the model follows the encoding).
            const s = o.score === 0 && !z.isSkiplist ? 0 : o.score;
            expect(z.set(o.member, o.score, Infinity, Infinity)).toBe(!model.has(o.member));
            if (!model.has(o.member) || model.get(o.member) !== s) model.set(o.member, s);
          } else if (o.kind === 'delete') {
            expect(z.delete(o.member)).toBe(model.delete(o.member));
          } else if (o.start < model.size) {
            const n = Math.min(o.n, model.size - o.start);
            const expected = sorted(model).slice(o.start, o.start + n).map(([m]) => m);
            expect(z.deleteRankRange(o.start, n)).toBe(n);
            for (const m of expected) model.delete(m);
          }
        }
        const want = sorted(model);
        expect(z.size).toBe(want.length);
        const got: [string, number][] = [];
        z.walk(0, false, (m, s) => (got.push([m, s]), true));
        expect(got).toEqual(want);
        const back: string[] = [];
        z.walk(z.size - 1, true, (m) => (back.push(m), true));
        expect(back).toEqual(want.map(([m]) => m).reverse());
        want.forEach(([m, s], i) => {
          expect(z.rank(m)).toBe(i);
          expect(z.memberAt(i)).toBe(m);
          expect(z.scoreAt(i)).toBe(s);
          expect(z.score(m)).toBe(s);
        });
        expect(z.rank('absent')).toBe(-1);
        const inRange = want.filter(([, s]) => s > -1 && s <= 2);
        const first = z.firstInScoreRange({ min: -1, max: 2, minex: true, maxex: false });
        const last = z.lastInScoreRange({ min: -1, max: 2, minex: true, maxex: false });
        expect(first < 0 ? null : z.memberAt(first)).toBe(inRange[0]?.[0] ?? null);
        expect(last < 0 ? null : z.memberAt(last)).toBe(inRange[inRange.length - 1]?.[0] ?? null);
        if (first >= 0) expect(last - first + 1).toBe(inRange.length);
        // ZSCAN's positions hold every member once.
        const scan = z.scanView();
        const scanned: string[] = [];
        for (let i = 0; i < scan.size; i++) scanned.push(scan.keyAt(i));
        expect(scanned.sort()).toEqual(want.map(([m]) => m).sort());
      }),
      { numRuns: 300, seed: 0x25e7 },
    );
  });

  it('keeps ranks exact in a large set (counts across internal levels)', () => {
    const z = new ZSet();
    z.toSkiplist();
    const n = 20000;
    for (let i = 0; i < n; i++) z.set(`m${i}`, (i * 7919) % n, Infinity, Infinity);
    for (let i = 0; i < n; i += 2) z.delete(`m${i}`);
    let rank = 0;
    z.walk(0, false, (member) => {
      expect(z.rank(member)).toBe(rank);
      expect(z.memberAt(rank)).toBe(member);
      rank++;
      return true;
    });
    expect(rank).toBe(n / 2);
  });
});
