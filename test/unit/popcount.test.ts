/**
 * The WebAssembly popcount against a count byte by byte: every length around its
 * 8-byte words and 64 KB chunks, random bytes and all bits set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BYTE_POPCOUNT, popcount } from '../../engine/util/popcount.js';

const byByte = (bytes: Uint8Array): number => bytes.reduce((n, b) => n + BYTE_POPCOUNT[b], 0);

describe('popcount', () => {
  it('counts random bytes of any length and offset as a count byte by byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 9 }), (bytes, from) => {
        const part = bytes.subarray(Math.min(from, bytes.length));
        expect(popcount(part)).toBe(byByte(part));
      }),
      { numRuns: 2000, seed: 0x0bc },
    );
  });

  it('counts across 64 KB chunks, all bits set and random', () => {
    for (const length of [0, 1, 7, 8, 9, 65535, 65536, 65537, 65536 + 8, 131072 * 2 + 13]) {
      expect(popcount(new Uint8Array(length).fill(0xff))).toBe(length * 8);
      const random = Uint8Array.from({ length }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff);
      expect(popcount(random)).toBe(byByte(random));
    }
  });
});
