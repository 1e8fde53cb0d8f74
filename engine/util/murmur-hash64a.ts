/**
 * MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit), as redis-server's
 * hyperloglog.c uses it: little-endian 8-byte blocks whatever the host, so the same
 * bytes hash to the same value as in redis-server and HyperLogLogs move between the two.
 *
 * 64-bit arithmetic on two 32-bit halves: BigInt would allocate per step and PFADD
 * hashes every element. The result is left in `hashHi`/`hashLo` rather than returned
 * as an object, for the same reason.
 */

// The multiplier 0xc6a4a7935bd1e995, as halves.
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

let hi = 0;
let lo = 0;

/** (ah:al) * (M_HI:M_LO) mod 2^64, into hi:lo. */
function mulM(ah: number, al: number): void {
  // al * M_LO needs all 64 bits: multiply 16-bit pieces so no partial product loses bits.
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = M_LO & 0xffff;
  const b1 = M_LO >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  lo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  hi = (carry + Math.imul(ah, M_LO) + Math.imul(al, M_HI)) >>> 0;
}

/** The high 32 bits of the last hash. */
export let hashHi = 0;
/** The low 32 bits of the last hash. */
export let hashLo = 0;

/** Hashes `bytes[0..length)` with `seed` (a 32-bit unsigned int); the result is in hashHi:hashLo. */
export function murmurHash64A(bytes: Uint8Array, length: number, seed: number): void {
  // h = seed ^ (len * m)
  mulM(0, length);
  let hh = hi;
  let hl = (lo ^ seed) >>> 0;
  const blocks = length - (length & 7);
  for (let i = 0; i < blocks; i += 8) {
    const kl = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
    const kh = (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24)) >>> 0;
    mulM(kh, kl);
    // k ^= k >> 47: only the high half reaches the low one.
    mulM(hi, (lo ^ (hi >>> 15)) >>> 0);
    hh = (hh ^ hi) >>> 0;
    hl = (hl ^ lo) >>> 0;
    mulM(hh, hl);
    hh = hi;
    hl = lo;
  }
  const rest = length & 7;
  if (rest !== 0) {
    const at = blocks;
    // Bytes 4..6 of the tail go to the high half, 0..3 to the low one.
    for (let j = rest - 1; j >= 4; j--) hh = (hh ^ (bytes[at + j] << ((j - 4) * 8))) >>> 0;
    for (let j = Math.min(rest, 4) - 1; j >= 0; j--) hl = (hl ^ (bytes[at + j] << (j * 8))) >>> 0;
    mulM(hh, hl);
    hh = hi;
    hl = lo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mulM(hh, hl);
  hh = hi;
  hl = (lo ^ (hi >>> 15)) >>> 0;
  hashHi = hh;
  hashLo = hl;
}
