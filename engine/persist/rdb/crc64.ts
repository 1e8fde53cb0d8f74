/**
 * CRC-64 as redis-server computes it for RDB files and DUMP payloads (src/crc64.c):
 * the Jones polynomial (0xad93d23594c935a9), reflected, initial value 0, no final
 * xor; crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
 *
 * The value is kept as two 32-bit halves (no BigInt per byte), and the input is
 * taken eight bytes a step with eight tables (slice-by-8, as redis-server's crcspeed),
 * read as two 32-bit words (on little-endian machines): a snapshot checksums every
 * byte it writes and every byte it loads.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The reflected Jones polynomial, as halves. */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/**
 * T[k][b], the CRC of byte b followed by k zero bytes, at HI/LO[k * 256 + b]: one flat
 * array per half, which V8 indexes faster than eight separate tables.
 */
const SLICES = 8;
const HI = new Uint32Array(256 * SLICES);
const LO = new Uint32Array(256 * SLICES);

for (let b = 0; b < 256; b++) {
  let hi = 0;
  let lo = b;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry !== 0) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  HI[b] = hi;
  LO[b] = lo;
}
for (let k = 1; k < SLICES; k++) {
  for (let b = 0; b < 256; b++) {
    const hi = HI[(k - 1) * 256 + b];
    const lo = LO[(k - 1) * 256 + b];
    const i = lo & 0xff;
    HI[k * 256 + b] = (HI[i] ^ (hi >>> 8)) >>> 0;
    LO[k * 256 + b] = (LO[i] ^ ((lo >>> 8) | (hi << 24))) >>> 0;
  }
}

/** A running CRC-64: feed it bytes with `update`, read it with `value` or `writeLE`. */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let p = start;
    // Bytes up to a 4-byte boundary of the memory, then words read whole.
    const head = Math.min(end, start + ((4 - ((buf.byteOffset + start) & 3)) & 3));
    this.bytewise(buf, p, head);
    p = head;
    const words = LITTLE_ENDIAN ? Math.floor((end - p) / 8) * 2 : 0;
    if (words > 0) {
      this.words(new Uint32Array(buf.buffer, buf.byteOffset + p, words));
      p += words * 4;
    }
    return this.bytewise(buf, p, end);
  }

  /** Eight bytes a step, as two little-endian words each (`w.length` even). */
  private words(w: Uint32Array): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let k = 0; k < w.length; k += 2) {
      const x = lo ^ w[k];
      const y = hi ^ w[k + 1];
      // Byte j of the eight is followed by 7 - j more: table 7 - j.
      const a = 7 * 256 + (x & 0xff);
      const b = 6 * 256 + ((x >>> 8) & 0xff);
      const c = 5 * 256 + ((x >>> 16) & 0xff);
      const d = 4 * 256 + (x >>> 24);
      const e = 3 * 256 + (y & 0xff);
      const f = 2 * 256 + ((y >>> 8) & 0xff);
      const g = 256 + ((y >>> 16) & 0xff);
      const h = y >>> 24;
      lo = LO[a] ^ LO[b] ^ LO[c] ^ LO[d] ^ LO[e] ^ LO[f] ^ LO[g] ^ LO[h];
      hi = HI[a] ^ HI[b] ^ HI[c] ^ HI[d] ^ HI[e] ^ HI[f] ^ HI[g] ^ HI[h];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  private bytewise(buf: Uint8Array, start: number, end: number): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let p = start; p < end; p++) {
      const i = (lo ^ buf[p]) & 0xff;
      lo = LO[i] ^ ((lo >>> 8) | (hi << 24));
      hi = HI[i] ^ (hi >>> 8);
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The CRC as a bigint (tests, messages). */
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The 8 bytes redis-server writes: the CRC little-endian. */
  bytes(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32LE(this.lo, 0);
    out.writeUInt32LE(this.hi, 4);
    return out;
  }
}
