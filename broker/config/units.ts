/**
 * redis-server's `memtoull`: a byte count with an optional unit, case-insensitive:
 * k/m/g are powers of 1000, kb/mb/gb powers of 1024. Undefined if malformed.
 */
export function parseMemory(s: string): number | undefined {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (m === null) return undefined;
  const units: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 ** 2,
    mb: 1024 ** 2,
    g: 1000 ** 3,
    gb: 1024 ** 3,
  };
  const n = Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()];
  return Number.isSafeInteger(n) ? n : undefined;
}
