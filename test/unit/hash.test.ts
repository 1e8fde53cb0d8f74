/**
 * The hash type (engine/types/hash.ts) against an insertion-ordered model, with
 * fast-check: random sets and removals with fields and values of every length up to
 * past the packed form's bounds, under small and default encoding limits. The hash
 * keeps the model's fields, values and (while a listpack) order, whether packed or in
 * a table, and takes the encoding redis-server's rules give it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Hash } from '../../engine/types/hash.js';
import { DEFAULT_LIMITS, type EncodingLimits } from '../../engine/types/encoding-limits.js';

type Op = { kind: 'set'; field: number; length: number } | { kind: 'delete'; field: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), field: fc.nat(150), length: fc.oneof(fc.nat(20), fc.constantFrom(63, 64, 65, 255, 256, 300)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), field: fc.nat(150) }) },
);

/** A field name; a few are long (past the packed bounds and the default listpack value). */
function fieldName(i: number): string {
  return i % 50 === 49 ? `f${i}:`.padEnd(260, 'x') : `f${i}`;
}

describe('Hash', () => {
  it('matches an ordered model, packed or not, and takes the encoding the limits give', () => {
    const limitSets: EncodingLimits[] = [DEFAULT_LIMITS, { ...DEFAULT_LIMITS, hashMaxListpackEntries: 200, hashMaxListpackValue: 300 }, { ...DEFAULT_LIMITS, hashMaxListpackEntries: 3 }];
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.nat(limitSets.length - 1), (ops, which) => {
        const limits = limitSets[which];
        const h = new Hash();
        const model = new Map<string, string>();
        let hashtable = false;
        ops.forEach((o, step) => {
          const field = fieldName(o.field);
          if (o.kind === 'delete') {
            expect(h.delete(field)).toBe(model.delete(field));
            return;
          }
          const value = String(step).padEnd(o.length, 'v');
          expect(h.set(field, value, limits)).toBe(!model.has(field));
          model.set(field, value);
          if (model.size > limits.hashMaxListpackEntries || field.length > limits.hashMaxListpackValue || value.length > limits.hashMaxListpackValue) hashtable = true;
        });
        expect(h.size).toBe(model.size);
        expect(h.encoding()).toBe(hashtable ? 'hashtable' : 'listpack');
        const got: [string, string][] = [];
        h.forEach((f, v) => got.push([f, v]));
        // A listpack keeps insertion order (a Map's, after removals too); a hashtable an order of its own.
        if (hashtable) expect(new Map(got)).toEqual(model);
        else expect(got).toEqual([...model]);
        for (const [f, v] of model) {
          expect(h.get(f)).toBe(v);
          expect(h.has(f)).toBe(true);
        }
        expect(h.get('absent')).toBeUndefined();
        expect(h.payloadBytes).toBe(got.reduce((n, [f, v]) => n + f.length + v.length, 0));
        const view = h.view();
        for (let i = 0; i < view.size; i++) expect(model.get(view.keyAt(i))).toBe(view.valueAt(i));
        const copy = h.clone();
        const copied: [string, string][] = [];
        copy.forEach((f, v) => copied.push([f, v]));
        expect(copied).toEqual(got);
      }),
      { numRuns: 200, seed: 0x4a54 },
    );
  });
});
