/**
 * The B+tree under large sorted sets (engine/types/ranked-tree.ts) against a sorted
 * model, at sizes that split and merge leaves and internal nodes (thousands of
 * entries, a tree three levels high): after seeded random inserts, score updates and
 * removals, grown and then shrunk back to nothing, every rank both ways, walks both
 * ways from a rank, counts of the entries before a bound, the dense positions and the
 * lookup by member agree.
 */
import { describe, expect, it } from 'vitest';
import { RankedTree } from '../../engine/types/ranked-tree.js';
import { prng } from '../harness/prng.js';

type Entry = { member: string; score: number };

function byKey(a: Entry, b: Entry): number {
  if (a.score !== b.score) return a.score - b.score;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/** Checks the whole tree against the model (sorted here). */
function check(tree: RankedTree, ids: Map<string, number>, model: Map<string, number>, rnd: () => number): void {
  const sorted: Entry[] = [...model].map(([member, score]) => ({ member, score })).sort(byKey);
  expect(tree.length).toBe(sorted.length);
  const walked: string[] = [];
  tree.forEach(0, false, (id) => walked.push(tree.member(id)) > 0);
  expect(walked).toEqual(sorted.map((e) => e.member));
  for (let rank = 0; rank < sorted.length; rank += 1 + Math.floor(rnd() * 50)) {
    const id = ids.get(sorted[rank].member)!;
    expect(tree.rank(id)).toBe(rank);
    expect(tree.at(rank)).toBe(id);
    expect(tree.score(id)).toBe(sorted[rank].score);
    const back: string[] = [];
    tree.forEach(rank, true, (n) => back.push(tree.member(n)) < 70);
    expect(back).toEqual(sorted.slice(Math.max(0, rank - 69), rank + 1).reverse().map((e) => e.member));
  }
  for (let i = 0; i < 20; i++) {
    const bound = Math.floor(rnd() * 1200) - 100;
    expect(tree.countWhile((score) => score < bound)).toBe(sorted.filter((e) => e.score < bound).length);
  }
  // Positions: dense, each member once, each id's own.
  expect(new Set(tree.members).size).toBe(sorted.length);
  tree.members.forEach((m, pos) => expect(tree.member(tree.byPos[pos])).toBe(m));
  // The member lookup: every member to its id, names not there to -1.
  expect([...ids].filter(([member, id]) => tree.find(member) !== id)).toEqual([]);
  const absent = Array.from({ length: 200 }, () => `m${Math.floor(rnd() * 30_000)}`).filter((m) => !ids.has(m));
  expect(absent.filter((m) => tree.find(m) !== -1)).toEqual([]);
}

describe('RankedTree', () => {
  it('agrees with a sorted model through growth to 20,000 entries and back to none', () => {
    const rnd = prng(16);
    const tree = new RankedTree();
    const ids = new Map<string, number>();
    const model = new Map<string, number>();
    const step = (grow: boolean): void => {
      const member = `m${Math.floor(rnd() * 30_000)}`;
      // Few distinct scores: many ties, ordered by member.
      const score = Math.floor(rnd() * 1000);
      const id = ids.get(member);
      if (id === undefined) {
        if (!grow) return;
        ids.set(member, tree.insert(score, member));
        model.set(member, score);
      } else if (grow ? rnd() < 0.5 : rnd() < 0.2) {
        tree.updateScore(id, score);
        model.set(member, score);
      } else {
        tree.remove(id);
        ids.delete(member);
        model.delete(member);
      }
    };
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 6000; i++) step(true);
      check(tree, ids, model, rnd);
    }
    while (model.size > 0) {
      for (let i = 0; i < 6000 && model.size > 0; i++) {
        // Shrinking: remove whatever is there, a random member at a time.
        const member = tree.members[Math.floor(rnd() * tree.length)];
        tree.remove(ids.get(member)!);
        ids.delete(member);
        model.delete(member);
        step(false);
      }
      check(tree, ids, model, rnd);
    }
    // Empty, it takes entries again.
    ids.set('a', tree.insert(1, 'a'));
    model.set('a', 1);
    check(tree, ids, model, rnd);
  });

  it('removes a run of ranks in order and keeps the rest ranked (ZREMRANGEBYRANK, ZPOPMIN)', () => {
    const tree = new RankedTree();
    const ids: number[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(tree.insert(i, `m${i}`));
    // Pop from the front, as ZPOPMIN does, then a run from the middle.
    for (let i = 0; i < 3000; i++) expect(tree.removeRank(0)).toBe(`m${i}`);
    expect(tree.rank(ids[3000])).toBe(0);
    for (let i = 0; i < 2000; i++) tree.removeRank(1000);
    expect(tree.length).toBe(5000);
    expect(tree.member(tree.at(999))).toBe('m3999');
    expect(tree.member(tree.at(1000))).toBe('m6000');
    expect(tree.rank(ids[9999])).toBe(4999);
    // From the end too, down to nothing.
    while (tree.length > 0) tree.removeRank(tree.length - 1);
    expect(tree.members).toEqual([]);
  });
});
