/**
 * The member lookup of a large sorted set (engine/types/zset.ts): member name -> entry
 * id of its RankedTree, where redis-server keeps a dict beside the skiplist.
 *
 * Why not a JS Map: a Map of 50,000 members keeps a chain of entries a bucket in a
 * heap array of three words an entry, and a lookup that misses (every ZADD of a new
 * member, twice: `get` then `set`) reads the key string of each entry on its chain,
 * each a cache miss; with the cache cleared by the network path between two commands
 * (-P 1), that was the largest part of a ZADD (`FindOrderedHashMapEntry`, a third of
 * the engine's time). Here the table is open addressing with linear probing in one
 * Int32Array of (hash, id + 1) pairs, 8 slots to a cache line: a probe compares the
 * stored hash and reads a member's name only when the whole hash matches, so a miss
 * reads no string at all, and the insert after it reuses the slot the miss found.
 * Off the V8 heap: nothing for the garbage collector to scan or copy.
 *
 * The hash is MurmurHash3's 32-bit mixing of the name's chars, four at a time (latin1:
 * a byte each), seeded per process as redis-server seeds its siphash: a client cannot
 * pick names that all fall in one probe run without knowing the seed.
 */

/** The slots' fill at most (3/4): linear probing's runs stay short, a table at least a third full. */
const MAX_LOAD_NUM = 3;
const MAX_LOAD_DEN = 4;
/** Slots of an empty table; it halves back down to this when under an eighth full. */
const MIN_SLOTS = 16;

const SEED = (Math.random() * 0x100000000) >>> 0;

/** MurmurHash3 (x86, 32-bit) of `s`'s char codes taken as bytes, four to a block, little-endian. */
export function memberHash(s: string): number {
  const n = s.length;
  let h = SEED ^ n;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    // The 1 to 3 chars left, as MurmurHash3's tail.
    let k = 0;
    for (let shift = 0; i < n; i++, shift += 8) k |= s.charCodeAt(i) << shift;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Where the names live: the entry ids the index maps to, and each one's name. */
export interface MemberNames {
  member(id: number): string;
}

export class MemberIndex {
  /** (hash, id + 1) per slot; id + 1 of 0 marks an empty slot. */
  private slots = new Int32Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private count = 0;
  /** Each indexed id's hash, for its removal and for growing without reading names. */
  private hashOf = new Int32Array(16);
  /** The last `find` that missed: its name, hash and the empty slot it stopped at, for `add`. */
  private missName: string | null = null;
  private missHash = 0;
  private missSlot = 0;

  constructor(private readonly names: MemberNames) {}

  get size(): number {
    return this.count;
  }

  /** The id of `member`, or -1. */
  find(member: string): number {
    const h = memberHash(member);
    const slots = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slots[2 * i + 1] - 1;
      if (id < 0) {
        this.missName = member;
        this.missHash = h;
        this.missSlot = i;
        return -1;
      }
      if (slots[2 * i] === h && this.names.member(id) === member) return id;
    }
  }

  /** Indexes `id` under `member`, which must not be indexed (right after its `find` missed, no probe again). */
  add(member: string, id: number): void {
    let h: number;
    let slot: number;
    if (this.missName === member && (this.count + 1) * MAX_LOAD_DEN <= (this.mask + 1) * MAX_LOAD_NUM) {
      h = this.missHash;
      slot = this.missSlot;
    } else {
      h = memberHash(member);
      if ((this.count + 1) * MAX_LOAD_DEN > (this.mask + 1) * MAX_LOAD_NUM) this.resize(2 * (this.mask + 1));
      slot = this.emptySlot(h);
    }
    this.missName = null;
    this.slots[2 * slot] = h;
    this.slots[2 * slot + 1] = id + 1;
    if (id >= this.hashOf.length) {
      const grown = new Int32Array(Math.max(id + 1, Math.ceil(this.hashOf.length * 1.5)));
      grown.set(this.hashOf);
      this.hashOf = grown;
    }
    this.hashOf[id] = h;
    this.count++;
  }

  /** Drops `id` (indexed): the entries after it in its run move back (no tombstones). */
  remove(id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hashOf[id] & mask;
    while (slots[2 * i + 1] !== id + 1) i = (i + 1) & mask;
    // Backward-shift deletion: an entry further on moves into the hole unless its home slot lies after the hole.
    for (let j = (i + 1) & mask; slots[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = slots[2 * j] & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[2 * i] = slots[2 * j];
        slots[2 * i + 1] = slots[2 * j + 1];
        i = j;
      }
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    this.missName = null;
    this.count--;
    if (this.mask + 1 > MIN_SLOTS && this.count * 8 < this.mask + 1) this.resize((this.mask + 1) / 2);
  }

  /** The first empty slot of `h`'s run. */
  private emptySlot(h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    return i;
  }

  /** Moves every entry into a table of `size` slots (a power of 2), by the hashes kept. */
  private resize(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * size);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === 0) continue;
      const slot = this.emptySlot(old[i]);
      this.slots[2 * slot] = old[i];
      this.slots[2 * slot + 1] = old[i + 1];
    }
    this.missName = null;
  }
}
