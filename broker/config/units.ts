/**
 * redis-server's `memtoull`: a byte count with an optional unit, case-insensitive:
 * k/m/g are powers of 1000, kb/mb/gb powers of 1024, b is bytes. As in C: no sign
 * (a leading `-` is an error, a `+` is not a digit), no digits reads as 0, digits beyond
 * 2^64-1 saturate (strtoull's ERANGE, unchecked there) and the product wraps around.
 * Null if malformed.
 */
export function memtoull(s: string): bigint | null {
  const m = /^(\d*)(.*)$/s.exec(s)!;
  const multiplier = UNITS[m[2].toLowerCase()];
  if (s.startsWith('-') || multiplier === undefined || m[1].length >= 128) return null;
  const digits = m[1] === '' ? 0n : BigInt(m[1]);
  return ((digits > ULLONG_MAX ? ULLONG_MAX : digits) * multiplier) & ULLONG_MAX;
}

/** `memtoull` as a number, for limits whose useful values fit one; undefined if malformed. */
export function parseMemory(s: string): number | undefined {
  const n = memtoull(s);
  return n === null ? undefined : Number(n);
}

const ULLONG_MAX = 18446744073709551615n;

const UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n ** 2n,
  mb: 1024n ** 2n,
  g: 1000n ** 3n,
  gb: 1024n ** 3n,
};
