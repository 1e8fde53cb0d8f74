/**
 * LZF, the compression of RDB strings (redis-server 7.0's bundled liblzf 3.6, lzf_c.c
 * and lzf_d.c). Written here rather than taken from npm: the packages there are small and
 * unmaintained, and the compressor must make redis-server's choices (HLOG 16, the
 * VERY_FAST hash, matches of 3 to 264 bytes within 8 KB) for DUMP payloads to come out
 * as redis-server's do.
 *
 * Format: a literal run is `000LLLLL` and L+1 bytes; a back reference is `LLLooooo
 * oooooooo` (length L+2, L < 7) or `111ooooo LLLLLLLL oooooooo` (length L+9), copying
 * from `offset + 1` bytes back.
 *
 * One difference: liblzf leaves its hash table uninitialised (stale slots can only
 * give valid, if different, matches); ours starts empty for every input, so the output
 * is a function of the input alone.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Hash slots hold `base + position + 1`; a slot below `base` is empty. Bumping `base`
 * past the last input empties the table without clearing it.
 */
const table = new Int32Array(HSIZE);
let base = 1;

function hashIndex(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses `input` into `out` from offset `at`, in at most `maxOut` bytes (`out`
 * must have room for `maxOut + 1`): the compressed size, or 0 when it does not fit.
 * Nothing is allocated: a snapshot compresses every stream node and list chunk.
 */
export function lzfCompressInto(input: Uint8Array, out: Uint8Array, at: number, maxOut: number): number {
  const inLen = input.length;
  if (inLen === 0 || maxOut === 0) return 0;
  if (base + inLen + 2 >= 0x7fffffff) {
    table.fill(0);
    base = 1;
  }
  const b = base;
  base += inLen + 1;
  const outEnd = at + maxOut;
  let op = at + 1; // the literal run's length byte is written when the run ends
  let lit = 0;
  let ip = 0;
  let hval = (input[0] << 8) | input[1];
  while (ip < inLen - 2) {
    hval = (hval << 8) | input[ip + 2];
    const slot = hashIndex(hval);
    const stored = table[slot];
    table[slot] = b + ip + 1;
    const ref = stored >= b ? stored - b - 1 : -1;
    const off = ip - ref - 1;
    if (ref > 0 && off < MAX_OFF && off >= 0 && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 2;
      const maxLen = Math.min(inLen - ip - len, MAX_REF);
      out[op - lit - 1] = lit - 1;
      if (lit === 0) op--;
      if (op + 3 + 1 >= outEnd) return 0;
      // liblzf first compares 16 bytes unrolled when the match may be that long, which
      // can take the match past maxLen; kept for identical output.
      let mismatch = false;
      if (maxLen > 16) {
        for (let k = 0; k < 16 && !mismatch; k++) mismatch = input[ref + ++len] !== input[ip + len];
      }
      if (!mismatch) {
        do len++;
        while (len < maxLen && input[ref + len] === input[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= inLen - 2) break;
      // VERY_FAST: hash the last two positions of the match.
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = (hval << 8) | input[ip + 2];
      table[hashIndex(hval)] = b + ip + 1;
      ip++;
      hval = (hval << 8) | input[ip + 2];
      table[hashIndex(hval)] = b + ip + 1;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inLen) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op - at;
}

/**
 * Decompresses `input` into exactly `outLen` bytes (in `into` when it is large
 * enough); null when the data is not valid LZF or does not give exactly that many
 * bytes (a corrupt file).
 */
export function lzfDecompress(input: Uint8Array, outLen: number, into?: Buffer): Buffer | null {
  const out = into !== undefined && into.length >= outLen ? into.subarray(0, outLen) : Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    let ctrl = input[ip++];
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > inLen) return null;
      // At most 32 bytes: a loop costs less than a native copy's call.
      for (let i = 0; i < ctrl; i++) out[op + i] = input[ip + i];
      op += ctrl;
      ip += ctrl;
      continue;
    }
    let len = ctrl >>> 5;
    if (len === 7) {
      if (ip >= inLen) return null;
      len += input[ip++];
    }
    if (ip >= inLen) return null;
    const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
    len += 2;
    if (op + len > outLen || ref < 0) return null;
    // Byte by byte: a reference may overlap the bytes it produces.
    for (let i = 0; i < len; i++) out[op + i] = out[ref + i];
    op += len;
  }
  return op === outLen ? out : null;
}
