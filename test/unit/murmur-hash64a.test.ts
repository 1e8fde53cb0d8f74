/**
 * MurmurHash64A on 32-bit halves against a plain BigInt transcription of the
 * algorithm, for every tail length and random bytes and seeds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64, murmurHash64A } from '../../engine/util/murmur-hash64a.js';

const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

function reference(bytes: Uint8Array, seed: number): bigint {
  const len = bytes.length;
  let h = (BigInt(seed) ^ (BigInt(len) * M)) & MASK;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(bytes[i + j]);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const rest = len & 7;
  if (rest !== 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(bytes[blocks + j]) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

describe('MurmurHash64A', () => {
  it('equals the BigInt transcription for random inputs of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.nat({ max: 0xffffffff }), (bytes, seed) => {
        murmurHash64A(Buffer.from(bytes).latin1Slice(), seed);
        expect((BigInt(hash64[0]) << 32n) | BigInt(hash64[1])).toBe(reference(bytes, seed));
      }),
      { numRuns: 2000, seed: 0x64a },
    );
  });
});
