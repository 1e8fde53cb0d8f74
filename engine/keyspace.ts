/**
 * One logical database: keys to values, with expiry and the bookkeeping SCAN,
 * RANDOMKEY and the active expire cycle need.
 *
 * Each key has an `Entry` that holds its value, its expiry and its slot. Slots give
 * SCAN a stable position per key: a key keeps its slot for as long as it exists, so a
 * cursor (the next slot to visit) never skips a key that is present for the whole
 * scan. Freed slots are reused by new keys; the slot array shrinks from its end.
 */
import type { Engine } from './engine.js';

export type TypeName = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

/** A non-string value. Strings are stored as plain latin1 JS strings. */
export interface DataObject {
  readonly type: TypeName;
  /** The name OBJECT ENCODING reports. */
  encoding(): string;
  /** A deep copy, for COPY. */
  clone(): DataObject;
}

export type Value = string | DataObject;

export function typeOf(v: Value): TypeName {
  return typeof v === 'string' ? 'string' : v.type;
}

export class Entry {
  /** Absolute expiry in ms since the epoch; 0 when the key does not expire. */
  expireAt = 0;
  /** Index in `Db.volatile` while the key has an expiry, else -1. */
  volatileIndex = -1;
  /** Last access, in seconds of the engine's LRU clock (OBJECT IDLETIME). */
  lru: number;

  constructor(
    readonly key: string,
    public value: Value,
    public slot: number,
    lru: number,
  ) {
    this.lru = lru;
  }
}

export class Db {
  private readonly dict = new Map<string, Entry>();
  /** Slot array for SCAN and RANDOMKEY; `undefined` marks a free slot. */
  private readonly slots: (Entry | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Entries with an expiry, for sampling by the active expire cycle. */
  private readonly volatile: Entry[] = [];

  constructor(
    readonly id: number,
    private readonly engine: Engine,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  get expiresCount(): number {
    return this.volatile.length;
  }

  /**
   * The live entry of `key`, deleting it first if it has expired (lazy expiry).
   * Does not touch the access time.
   */
  entry(key: string): Entry | undefined {
    const e = this.dict.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= this.engine.now() && this.engine.expireKey(this, e)) return undefined;
    return e;
  }

  /**
   * The value of `key` for a command that reads it: updates its access time and
   * the keyspace hit/miss counters (redis-server's lookupKeyRead).
   */
  lookupRead(key: string): Value | undefined {
    const e = this.entry(key);
    if (e === undefined) {
      this.engine.stats.keyspaceMisses++;
      return undefined;
    }
    this.engine.stats.keyspaceHits++;
    e.lru = this.engine.lruClock;
    return e.value;
  }

  /** The value of `key` for a command about to change it (lookupKeyWrite). */
  lookupWrite(key: string): Value | undefined {
    const e = this.entry(key);
    if (e === undefined) return undefined;
    e.lru = this.engine.lruClock;
    return e.value;
  }

  /** True if `key` exists (and has not expired). */
  has(key: string): boolean {
    return this.entry(key) !== undefined;
  }

  /**
   * Sets `key` to `value`. The expiry is cleared unless `keepTtl` (SET's KEEPTTL,
   * or a write that modifies a value in place).
   */
  set(key: string, value: Value, keepTtl = false): Entry {
    let e = this.entry(key);
    if (e === undefined) {
      e = new Entry(key, value, this.takeSlot(), this.engine.lruClock);
      this.slots[e.slot] = e;
      this.dict.set(key, e);
    } else {
      e.value = value;
      e.lru = this.engine.lruClock;
      if (!keepTtl && e.expireAt !== 0) this.clearExpire(e);
    }
    return e;
  }

  /** Removes `key`; false if it did not exist. */
  delete(key: string): boolean {
    const e = this.dict.get(key);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  /** Removes an entry known to be present. */
  remove(e: Entry): void {
    this.dict.delete(e.key);
    if (e.expireAt !== 0) this.clearExpire(e);
    this.releaseSlot(e.slot);
  }

  setExpire(e: Entry, at: number): void {
    if (e.expireAt === 0) {
      e.volatileIndex = this.volatile.length;
      this.volatile.push(e);
    }
    e.expireAt = at;
  }

  clearExpire(e: Entry): void {
    const last = this.volatile.pop()!;
    if (last !== e) {
      this.volatile[e.volatileIndex] = last;
      last.volatileIndex = e.volatileIndex;
    }
    e.volatileIndex = -1;
    e.expireAt = 0;
  }

  /** Removes every key. */
  clear(): void {
    this.dict.clear();
    this.slots.length = 0;
    this.freeSlots.length = 0;
    this.volatile.length = 0;
  }

  /** Every key, including ones that expired but were not yet reclaimed. */
  keys(): IterableIterator<string> {
    return this.dict.keys();
  }

  entries(): IterableIterator<Entry> {
    return this.dict.values();
  }

  /**
   * Visits slots from `cursor` on until about `count` keys have been seen or the
   * slots run out; returns the next cursor (0 when the scan is complete).
   */
  scan(cursor: number, count: number, visit: (e: Entry) => void): number {
    const slots = this.slots;
    let seen = 0;
    // Empty slots cost a visit too, so a sparse table still makes bounded progress.
    const budget = count * 10;
    let i = cursor;
    for (let steps = 0; i < slots.length && seen < count && steps < budget; i++, steps++) {
      const e = slots[i];
      if (e !== undefined) {
        seen++;
        visit(e);
      }
    }
    return i >= slots.length ? 0 : i;
  }

  /** A random entry, or undefined if the db is empty. May be an expired one. */
  randomEntry(): Entry | undefined {
    if (this.dict.size === 0) return undefined;
    const slots = this.slots;
    // Slots are at least half full most of the time; fall back to a walk if not.
    for (let tries = 0; tries < 32; tries++) {
      const e = slots[Math.floor(Math.random() * slots.length)];
      if (e !== undefined) return e;
    }
    let skip = Math.floor(Math.random() * this.dict.size);
    for (const e of this.dict.values()) if (skip-- === 0) return e;
    return undefined;
  }

  /** A random entry among those with an expiry. */
  randomVolatile(): Entry | undefined {
    const v = this.volatile;
    return v.length === 0 ? undefined : v[Math.floor(Math.random() * v.length)];
  }

  private takeSlot(): number {
    const free = this.freeSlots;
    // The free list may hold indices made stale by shrinking; skip those.
    while (free.length > 0) {
      const slot = free.pop()!;
      if (slot < this.slots.length && this.slots[slot] === undefined) return slot;
    }
    return this.slots.length;
  }

  private releaseSlot(slot: number): void {
    const slots = this.slots;
    slots[slot] = undefined;
    if (slot === slots.length - 1) {
      // Shrink from the end; the free list then holds stale indices that we drop lazily.
      while (slots.length > 0 && slots[slots.length - 1] === undefined) slots.length--;
      if (this.freeSlots.length > 2 * slots.length + 64) this.rebuildFreeList();
    } else {
      this.freeSlots.push(slot);
    }
  }

  private rebuildFreeList(): void {
    const free = this.freeSlots;
    free.length = 0;
    for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i] === undefined) free.push(i);
  }
}
