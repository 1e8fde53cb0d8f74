/**
 * The member lookup of large sorted sets (engine/types/member-index.ts) against a Map,
 * through seeded random adds and removals at sizes that grow and shrink the table
 * (probe runs wrapping past its end, backward-shift removals inside them), with ids
 * reused as the tree reuses them.
 */
import { describe, expect, it } from 'vitest';
import { MemberIndex, memberHash } from '../../engine/types/member-index.js';
import { prng } from '../harness/prng.js';

describe('MemberIndex', () => {
  it('agrees with a Map through growth to 5,000 names and back to none, twice', () => {
    const rnd = prng(7);
    const names: string[] = [];
    const index = new MemberIndex({ member: (id) => names[id] });
    const model = new Map<string, number>();
    const freeIds: number[] = [];
    const check = (): void => {
      expect(index.size).toBe(model.size);
      expect([...model].filter(([name, id]) => index.find(name) !== id)).toEqual([]);
      const absent = Array.from({ length: 100 }, () => `k${Math.floor(rnd() * 8000)}`).filter((n) => !model.has(n));
      expect(absent.filter((n) => index.find(n) !== -1)).toEqual([]);
    };
    const step = (addChance: number): void => {
      const name = `k${Math.floor(rnd() * 8000)}`;
      const id = model.get(name);
      if (id === undefined) {
        if (rnd() >= addChance) return;
        // Usually right after the lookup that missed (as ZADD does), sometimes not.
        if (rnd() < 0.8) expect(index.find(name)).toBe(-1);
        const fresh = freeIds.pop() ?? names.length;
        names[fresh] = name;
        index.add(name, fresh);
        model.set(name, fresh);
      } else if (rnd() >= addChance) {
        index.remove(id);
        names[id] = '';
        freeIds.push(id);
        model.delete(name);
      }
    };
    for (let cycle = 0; cycle < 2; cycle++) {
      while (model.size < 5000) {
        for (let i = 0; i < 500; i++) step(0.8);
        check();
      }
      // Mostly removals (adds would balance them at 800 names), then only removals.
      while (model.size > 0) {
        for (let i = 0; i < 500; i++) step(model.size > 1000 ? 0.1 : 0);
        check();
      }
    }
  });

  it('hashes a name by its chars, not by how V8 holds the string; names that differ in length or in one byte apart', () => {
    expect(memberHash('element:000000012345')).toBe(memberHash(Buffer.from('element:000000012345').latin1Slice()));
    const hashes = new Set(['', 'a', 'ab', 'abc', 'abcd', 'abcde', '\0', '\0\0', '\xff\xff\xff\xff\xff'].map(memberHash));
    expect(hashes.size).toBe(9);
  });
});
