/**
 * HyperLogLog, as redis-server 7.0's hyperloglog.c lays it out in a string value, so
 * that the bytes of a key are the same here and there after the same PFADDs and each
 * server reads the other's: a 16-byte header ("HYLL", the encoding, three unused bytes,
 * the cached cardinality in little endian, its top bit set while stale), then 16384
 * registers of 6 bits, either dense (12288 bytes) or sparse (run-length opcodes: ZERO
 * 00xxxxxx for 1..64 zero registers, XZERO 01xxxxxx yyyyyyyy for 1..16384, VAL 1vvvvvxx
 * for 1..4 registers of value 1..32). A sparse value is promoted to dense when a
 * register needs more than 32 or when it would grow past `hll-sparse-max-bytes`.
 * Hashing is MurmurHash64A with redis-server's seed; the estimate is Otmar Ertl's
 * (arXiv:1702.01284), computed in the same order so that it is the same double.
 *
 * The functions work on the value's LargeString in place (its bytes are the
 * HyperLogLog) and follow hyperloglog.c's functions of the same names.
 */
import { hash64, murmurHash64A } from '../util/murmur-hash64a.js';
import type { LargeString } from './large-string.js';

const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_Q = 64 - HLL_P;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const HLL_ALPHA_INF = 0.721347520444481703680;
/** The offset of the encoding byte and of the cached cardinality's top byte. */
const ENCODING_AT = 4;
const CARD_AT = 8;
const VALID_BIT_AT = CARD_AT + 7;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const HASH_SEED = 0xadc83b19;

// ---------------------------------------------------------------------------------------
// Sparse opcodes

const isZero = (b: number): boolean => (b & 0xc0) === 0;
const isXzero = (b: number): boolean => (b & 0xc0) === 0x40;
const isVal = (b: number): boolean => (b & 0x80) !== 0;
const zeroLen = (b: number): number => (b & 0x3f) + 1;
const xzeroLen = (b0: number, b1: number): number => (((b0 & 0x3f) << 8) | b1) + 1;
const valValue = (b: number): number => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number): number => (b & 0x3) + 1;
const valByte = (value: number, len: number): number => (((value - 1) << 2) | (len - 1) | 0x80) & 0xff;

/** Writes a ZERO or an XZERO opcode for `len` zero registers at `at`; returns the bytes written. */
function writeZeros(out: Uint8Array, at: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    out[at] = ((len - 1) >> 8) | 0x40;
    out[at + 1] = (len - 1) & 0xff;
    return 2;
  }
  out[at] = len - 1;
  return 1;
}

/**
 * Visits the runs of a sparse value's opcodes in order: a register value (0 for ZERO and
 * XZERO) over `run` registers from `first`. False, the walk stopped, if the opcodes do
 * not cover exactly the 16384 registers: redis-server (with the CVE-2025-32023 fix)
 * refuses a value at the first opcode that would go past the last register.
 */
function forEachRun(bytes: Uint8Array, visit: (value: number, first: number, run: number) => void): boolean {
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < bytes.length) {
    const b = bytes[p];
    let run: number;
    let value = 0;
    if (isZero(b)) {
      run = zeroLen(b);
      p++;
    } else if (isXzero(b)) {
      run = xzeroLen(b, p + 1 < bytes.length ? bytes[p + 1] : 0);
      p += 2;
    } else {
      run = valLen(b);
      value = valValue(b);
      p++;
    }
    if (run + idx > HLL_REGISTERS) return false;
    visit(value, idx, run);
    idx += run;
  }
  return idx === HLL_REGISTERS;
}

// ---------------------------------------------------------------------------------------
// Header and validity

/** The bytes of a new, empty HyperLogLog: sparse, a single XZERO:16384 (createHLLObject). */
export function newHllBytes(): Buffer {
  const bytes = Buffer.alloc(HLL_HDR_SIZE + 2);
  bytes.write('HYLL', 0, 'latin1');
  bytes[ENCODING_AT] = HLL_SPARSE;
  writeZeros(bytes, HLL_HDR_SIZE, HLL_REGISTERS);
  return bytes;
}

/**
 * isHLLObjectOrReply's checks on a string value's first `length` bytes: magic, encoding,
 * a dense value's exact size.
 */
export function isHll(bytes: Uint8Array, length = bytes.length): boolean {
  if (length < HLL_HDR_SIZE) return false;
  if (bytes[0] !== 0x48 || bytes[1] !== 0x59 || bytes[2] !== 0x4c || bytes[3] !== 0x4c) return false;
  const encoding = bytes[ENCODING_AT];
  if (encoding > HLL_MAX_ENCODING) return false;
  return encoding !== HLL_DENSE || length === HLL_DENSE_SIZE;
}

export function hllEncoding(bytes: Uint8Array): number {
  return bytes[ENCODING_AT];
}

/** HLL_INVALIDATE_CACHE. */
export function invalidateCache(bytes: Uint8Array): void {
  bytes[VALID_BIT_AT] |= 0x80;
}

/** The cached cardinality, or -1 when stale. */
export function cachedCardinality(bytes: Uint8Array): number {
  if (bytes[VALID_BIT_AT] & 0x80) return -1;
  // Cardinalities stay far below 2^53: the estimate of 16384 registers is bounded.
  let card = 0;
  for (let i = 7; i >= 0; i--) card = card * 256 + bytes[CARD_AT + i];
  return card;
}

export function setCachedCardinality(bytes: Uint8Array, card: number): void {
  let rest = card;
  for (let i = 0; i < 8; i++) {
    bytes[CARD_AT + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

// ---------------------------------------------------------------------------------------
// Dense registers

/** HLL_DENSE_GET_REGISTER over `regs` starting at `at`. Past the end reads 0, as sds's terminator. */
function denseGet(regs: Uint8Array, at: number, index: number): number {
  const byte = at + ((index * HLL_BITS) >> 3);
  const fb = (index * HLL_BITS) & 7;
  const b1 = byte + 1 < regs.length ? regs[byte + 1] : 0;
  return ((regs[byte] >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER. */
function denseSetRegister(regs: Uint8Array, at: number, index: number, value: number): void {
  const byte = at + ((index * HLL_BITS) >> 3);
  const fb = (index * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  regs[byte] = (regs[byte] & ~(HLL_REGISTER_MAX << fb)) | (value << fb);
  if (byte + 1 < regs.length) regs[byte + 1] = (regs[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (value >> fb8);
}

/** Every register of a dense value into `out`, one byte each: 4 registers per 3 bytes. */
function decodeDense(bytes: Uint8Array, out: Uint8Array): Uint8Array {
  for (let r = 0, p = HLL_HDR_SIZE; r < HLL_REGISTERS; r += 4, p += 3) {
    const b0 = bytes[p];
    const b1 = bytes[p + 1];
    const b2 = bytes[p + 2];
    out[r] = b0 & 63;
    out[r + 1] = ((b0 >> 6) | (b1 << 2)) & 63;
    out[r + 2] = ((b1 >> 4) | (b2 << 4)) & 63;
    out[r + 3] = b2 >> 2;
  }
  return out;
}

/** hllDenseSet: raises the register to `count`; 1 if it changed. */
function denseSet(regs: Uint8Array, index: number, count: number): 0 | 1 {
  if (count <= denseGet(regs, HLL_HDR_SIZE, index)) return 0;
  denseSetRegister(regs, HLL_HDR_SIZE, index, count);
  return 1;
}

// ---------------------------------------------------------------------------------------
// Hashing

let patternIndex = 0;

/** hllPatLen: the run length of 000..1 in the element's hash (1..51); the register is in `patternIndex`. */
function patternLength(element: string): number {
  murmurHash64A(element, HASH_SEED);
  const hashHi = hash64[0];
  const hashLo = hash64[1];
  patternIndex = hashLo & HLL_P_MASK;
  // hash >>= P, then bit Q set so that the run ends by Q+1.
  const lo = (hashLo >>> HLL_P) | (hashHi << (32 - HLL_P));
  const hi = (hashHi >>> HLL_P) | (1 << (HLL_Q - 32));
  if (lo !== 0) return 32 - Math.clz32(lo & -lo);
  return 64 - Math.clz32(hi & -hi);
}

// ---------------------------------------------------------------------------------------
// Sparse representation

/**
 * hllSparseToDense: the value made dense, its header kept (the cached cardinality with
 * it). False, the value unchanged, if the sparse opcodes are corrupt.
 */
export function sparseToDense(hll: LargeString): boolean {
  const sparse = hll.view();
  if (sparse[ENCODING_AT] === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE);
  sparse.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[ENCODING_AT] = HLL_DENSE;
  const valid = forEachRun(sparse, (value, first, run) => {
    for (let i = first; value !== 0 && i < first + run; i++) denseSetRegister(dense, HLL_HDR_SIZE, i, value);
  });
  if (!valid) return false;
  hll.replaceWith(dense);
  return true;
}

/** The result of a register update: 1 changed, 0 not, -1 corrupt. */
export type SetResult = 1 | 0 | -1;

/**
 * hllSparseSet: raises register `index` to `count` in a sparse value, splitting the
 * opcode that covers it and merging equal neighbours after, exactly as redis-server
 * does so that the bytes are the same; promotes to dense when needed.
 */
function sparseSet(hll: LargeString, index: number, count: number, maxBytes: number): SetResult {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(hll, index, count);
  let s = hll.editable(hll.length + 3);
  let end = hll.length;
  // Step 1: the opcode covering the register.
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const b = s[p];
    let oplen = 1;
    if (isZero(b)) span = zeroLen(b);
    else if (isVal(b)) span = valLen(b);
    else {
      // A corrupt value may end inside an XZERO: redis-server reads its sds terminator.
      span = xzeroLen(b, p + 1 < end ? s[p + 1] : 0);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = s[p];
  const xzero = isXzero(op);
  let next = xzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const runlen = isZero(op) ? zeroLen(op) : xzero ? span : valLen(op);

  // Step 2: the cases updated in place (A, B, C), else the new sequence (D).
  let updatedInPlace = false;
  if (isVal(op)) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) {
      s[p] = valByte(count, 1);
      updatedInPlace = true;
    }
  } else if (isZero(op) && runlen === 1) {
    s[p] = valByte(count, 1);
    updatedInPlace = true;
  }
  if (!updatedInPlace) {
    const seq = splitSequence(op, first, first + span - 1, index, count);
    const oldlen = xzero ? 2 : 1;
    const delta = seq.length - oldlen;
    if (delta > 0 && hll.length + delta > maxBytes) return promote(hll, index, count);
    s = hll.editable(hll.length + Math.max(delta, 0));
    if (delta !== 0 && next !== -1) s.copyWithin(next + delta, next, end);
    s.set(seq, p);
    hll.length += delta;
    end += delta;
  }
  mergeAdjacentValues(hll, s, prev === -1 ? HLL_HDR_SIZE : prev, end);
  invalidateCache(s);
  return 1;
}

const seqBuffer = new Uint8Array(5);

/** Step 2's case D: the opcodes replacing `op` (covering first..last) with register `index` set to `count`. */
function splitSequence(op: number, first: number, last: number, index: number, count: number): Uint8Array {
  let n = 0;
  if (!isVal(op)) {
    if (index !== first) n += writeZeros(seqBuffer, n, index - first);
    seqBuffer[n++] = valByte(count, 1);
    if (index !== last) n += writeZeros(seqBuffer, n, last - index);
  } else {
    const current = valValue(op);
    if (index !== first) seqBuffer[n++] = valByte(current, index - first);
    seqBuffer[n++] = valByte(count, 1);
    if (index !== last) seqBuffer[n++] = valByte(current, last - index);
  }
  return seqBuffer.subarray(0, n);
}

/** Step 4: merges adjacent VAL opcodes of equal value, scanning up to 5 opcodes from `p`. */
function mergeAdjacentValues(hll: LargeString, s: Buffer, from: number, end: number): void {
  let p = from;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const b = s[p];
    if (isXzero(b)) {
      p += 2;
      continue;
    }
    if (isZero(b)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(s[p + 1])) {
      const v = valValue(b);
      const len = valLen(b) + valLen(s[p + 1]);
      if (v === valValue(s[p + 1]) && len <= SPARSE_VAL_MAX_LEN) {
        s[p + 1] = valByte(v, len);
        s.copyWithin(p, p + 1, end);
        hll.length--;
        end--;
        continue;
      }
    }
    p++;
  }
}

/** The promotion of hllSparseSet: dense, then the register set there. */
function promote(hll: LargeString, index: number, count: number): SetResult {
  if (!sparseToDense(hll)) return -1;
  return denseSet(hll.editable(), index, count);
}

// ---------------------------------------------------------------------------------------
// Adding, counting, merging

/** hllAdd: adds an element (a latin1 string) to a valid value; 1 if a register changed, 0 if not, -1 if corrupt. */
export function hllAdd(hll: LargeString, element: string, maxSparseBytes: number): SetResult {
  const count = patternLength(element);
  return hllSetRegister(hll, patternIndex, count, maxSparseBytes);
}

/**
 * Four histograms of 64 counters, summed at the end: a register's count is incremented
 * in the histogram of its position mod 4, so that equal neighbours (most registers hold
 * one of a few values) do not wait on each other's increment (3 times faster over
 * 16384 registers than one histogram).
 */
const quarters = new Int32Array(4 * 64);

/** Adds the four histograms to `histo`. */
function sumQuarters(histo: Int32Array): void {
  for (let v = 0; v < 64; v++) histo[v] += quarters[v] + quarters[64 + v] + quarters[128 + v] + quarters[192 + v];
}

/**
 * Adds the register histogram of a value (dense or sparse) into `histo`; false if a
 * sparse one is corrupt. A dense value is counted from its packed bytes, 4 registers
 * per 3 bytes, as hllDenseRegHisto does, rather than decoded into an array first.
 */
function registerHistogram(bytes: Uint8Array, histo: Int32Array): boolean {
  if (bytes[ENCODING_AT] === HLL_DENSE) {
    quarters.fill(0);
    for (let p = HLL_HDR_SIZE; p < HLL_DENSE_SIZE; p += 3) {
      const b0 = bytes[p];
      const b1 = bytes[p + 1];
      const b2 = bytes[p + 2];
      quarters[b0 & 63]++;
      quarters[64 + (((b0 >> 6) | (b1 << 2)) & 63)]++;
      quarters[128 + (((b1 >> 4) | (b2 << 4)) & 63)]++;
      quarters[192 + (b2 >> 2)]++;
    }
    sumQuarters(histo);
    return true;
  }
  return forEachRun(bytes, (value, _, run) => {
    histo[value] += run;
  });
}

/** hllSigma (Ertl). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau (Ertl). pow(1 - x, 2) is a product, as the C compiler makes it. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimate from a register histogram (hllCount's second half). */
function estimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  // llroundl: halves away from zero; the value is never negative.
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

/** hllCount of one value; -1 if its sparse opcodes are corrupt. */
export function hllCount(bytes: Uint8Array): number {
  const histo = new Int32Array(64);
  if (!registerHistogram(bytes, histo)) return -1;
  return estimate(histo);
}

const rawRegisters = new Uint8Array(HLL_REGISTERS);

/**
 * 16384 zeroed raw registers for a union (PFCOUNT of several keys, PFMERGE), valid until
 * the next call: one array reused, since a fresh 16 KB one per command costs an
 * off-heap allocation and its collection.
 */
export function zeroedRawRegisters(): Uint8Array {
  return rawRegisters.fill(0);
}

/** hllCount of raw registers, one byte each (PFCOUNT of several keys). */
export function rawCount(registers: Uint8Array): number {
  quarters.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i += 4) {
    quarters[registers[i]]++;
    quarters[64 + registers[i + 1]]++;
    quarters[128 + registers[i + 2]]++;
    quarters[192 + registers[i + 3]]++;
  }
  const histo = new Int32Array(64);
  sumQuarters(histo);
  return estimate(histo);
}

/**
 * hllMerge: max[i] = MAX(max[i], register i of the value); false if a sparse value is
 * corrupt. A dense value is read 4 registers per 3 bytes, without an array in between.
 */
export function hllMerge(max: Uint8Array, bytes: Uint8Array): boolean {
  if (bytes[ENCODING_AT] === HLL_DENSE) {
    for (let r = 0, p = HLL_HDR_SIZE; r < HLL_REGISTERS; r += 4, p += 3) {
      const b0 = bytes[p];
      const b1 = bytes[p + 1];
      const b2 = bytes[p + 2];
      // Math.max rather than a branch: which side wins is unpredictable.
      max[r] = Math.max(max[r], b0 & 63);
      max[r + 1] = Math.max(max[r + 1], ((b0 >> 6) | (b1 << 2)) & 63);
      max[r + 2] = Math.max(max[r + 2], ((b1 >> 4) | (b2 << 4)) & 63);
      max[r + 3] = Math.max(max[r + 3], b2 >> 2);
    }
    return true;
  }
  return forEachRun(bytes, (value, first, run) => {
    for (let i = first; i < first + run; i++) if (value > max[i]) max[i] = value;
  });
}

/** Sets register `index` of a valid value to at least `count` (PFMERGE's writing of the result). */
export function hllSetRegister(hll: LargeString, index: number, count: number, maxSparseBytes: number): SetResult {
  return hll.byteAt(ENCODING_AT) === HLL_DENSE ? denseSet(hll.editable(), index, count) : sparseSet(hll, index, count, maxSparseBytes);
}

/** Every register of a dense value (PFDEBUG GETREG, a union's first dense value), into `out`. */
export function denseRegisters(bytes: Uint8Array, out: Uint8Array = new Uint8Array(HLL_REGISTERS)): Uint8Array {
  return decodeDense(bytes, out);
}

/** PFDEBUG DECODE: a sparse value's opcodes as text (`z:len`, `Z:len`, `v:value,len`). */
export function decodeSparse(bytes: Uint8Array): string {
  const parts: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < bytes.length) {
    const b = bytes[p];
    if (isZero(b)) {
      parts.push(`z:${zeroLen(b)}`);
      p++;
    } else if (isXzero(b)) {
      parts.push(`Z:${xzeroLen(b, p + 1 < bytes.length ? bytes[p + 1] : 0)}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(b)},${valLen(b)}`);
      p++;
    }
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------
// PFSELFTEST's checks, on their own value types

/** Sets and reads back dense registers (PFSELFTEST's first test); the first mismatch, or null. */
export function selfTestRegisters(random: () => number): string | null {
  const regs = Buffer.alloc(HLL_DENSE_SIZE);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 1000; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = random() & HLL_REGISTER_MAX;
      expected[i] = r;
      denseSetRegister(regs, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(regs, HLL_HDR_SIZE, i);
      if (v !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${v}`;
    }
  }
  return null;
}

/** Adds an element to a dense register array directly (PFSELFTEST's reference HLL). */
export function denseAdd(dense: Uint8Array, element: string): void {
  const count = patternLength(element);
  denseSet(dense, patternIndex, count);
}
