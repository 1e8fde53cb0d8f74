/**
 * Random positions for the commands that sample a collection (SRANDMEMBER, SPOP,
 * HRANDFIELD, and ZRANDMEMBER to come), over a collection with position access
 * (engine/types/dense-table.ts). Like redis-server, sampling with repetition draws
 * each pick on its own; distinct picks cost O(count) while count is small against the
 * size and O(size) otherwise (redis-server's CASE 3 copies the whole set then).
 */

/** A position in [0, size). */
export function randomIndex(size: number): number {
  return Math.floor(Math.random() * size);
}

/**
 * `count` distinct positions in [0, size) (count < size), ascending: the order
 * redis-server gives a listpack's unique sample, and as good as any for a hashtable's.
 */
export function distinctIndexes(size: number, count: number): number[] {
  if (count * 3 > size) {
    // Partial Fisher-Yates over every position.
    const all = new Int32Array(size);
    for (let i = 0; i < size; i++) all[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + randomIndex(size - i);
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return Array.from(all.subarray(0, count)).sort((a, b) => a - b);
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(randomIndex(size));
  return [...picked].sort((a, b) => a - b);
}
