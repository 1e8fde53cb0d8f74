/**
 * CRC-64 as redis-server computes it for RDB files and DUMP payloads (src/crc64.c):
 * the Jones polynomial (0xad93d23594c935a9), reflected, initial value 0, no final
 * xor; crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
 *
 * The value is kept as two 32-bit halves (no BigInt per byte), and the input is
 * taken four bytes a step with four tables (slice-by-4), as redis-server's crcspeed
 * takes eight.
 */

/** The reflected Jones polynomial, as halves. */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** T[k][b]: the CRC of byte b followed by k zero bytes; halves in separate arrays. */
const HI = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
const LO = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];

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
  HI[0][b] = hi;
  LO[0][b] = lo;
}
for (let k = 1; k < 4; k++) {
  for (let b = 0; b < 256; b++) {
    const hi = HI[k - 1][b];
    const lo = LO[k - 1][b];
    const i = lo & 0xff;
    HI[k][b] = (HI[0][i] ^ (hi >>> 8)) >>> 0;
    LO[k][b] = (LO[0][i] ^ ((lo >>> 8) | (hi << 24))) >>> 0;
  }
}

/** A running CRC-64: feed it bytes with `update`, read it with `value` or `writeLE`. */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    const [h0, h1, h2, h3] = HI;
    const [l0, l1, l2, l3] = LO;
    let p = start;
    for (; p + 4 <= end; p += 4) {
      const x = lo ^ (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24));
      const a = x & 0xff;
      const b = (x >>> 8) & 0xff;
      const c = (x >>> 16) & 0xff;
      const d = x >>> 24;
      lo = hi ^ l3[a] ^ l2[b] ^ l1[c] ^ l0[d];
      hi = h3[a] ^ h2[b] ^ h1[c] ^ h0[d];
    }
    for (; p < end; p++) {
      const i = (lo ^ buf[p]) & 0xff;
      lo = LO[0][i] ^ ((lo >>> 8) | (hi << 24));
      hi = HI[0][i] ^ (hi >>> 8);
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
