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
import type { ValueDigest } from './digest.js';
import type { Int64 } from './util/int64.js';
import { notify, NotifyFlag } from './notify.js';
import { entryBytes } from './memory.js';

export type TypeName = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

/**
 * A value other than a short string. Strings are stored as plain latin1 JS strings,
 * except long ones: a LargeString (engine/types/large-string.ts) is a DataObject of type string.
 */
export interface DataObject {
  readonly type: TypeName;
  /** The name OBJECT ENCODING reports. */
  encoding(): string;
  /** A deep copy, for COPY. */
  clone(): DataObject;
  /**
   * Feeds the value's contents to DEBUG DIGEST exactly as redis-server's
   * `xorObjectDigest` does for this type (see engine/digest.ts for each type's recipe),
   * so digests of equal datasets equal the reference server's.
   */
  digest(d: ValueDigest): void;
}

export type Value = string | DataObject;

/**
 * How redis-server would represent a string value, where that differs from what SET
 * of the same bytes gives; only OBJECT ENCODING and OBJECT REFCOUNT can tell.
 */
export const enum StringForm {
  /** As SET stores it: "int" for a canonical int64 (0..9999 shared), "embstr" up to 44 bytes, else "raw". */
  Auto,
  /** Built in place (APPEND to an existing key, SETRANGE): always "raw". */
  Raw,
  /** A formatted number (INCRBYFLOAT): never "int"; "embstr" up to 44 bytes, else "raw". */
  NotInt,
  /** A duplicate (COPY): SET's encoding, but never a shared integer. */
  Unshared,
}

/** The key table of a db, as a point-in-time snapshot sees it (swapped by SWAPDB, replaced by FLUSHDB). */
export type KeyTable = ReadonlyMap<string, Entry>;

/**
 * Sees every stored entry just before anything can read or change it, while a
 * point-in-time snapshot is being written (engine/persist/snapshot.ts): the
 * snapshot saves the entry's value as it still is, then marks it with `epoch`.
 * Entries created meanwhile are born marked: they are not part of the snapshot.
 */
export interface EntryGuard {
  readonly epoch: number;
  before(table: KeyTable, e: Entry): void;
}

export function typeOf(v: Value): TypeName {
  return typeof v === 'string' ? 'string' : v.type;
}

/** `Entry.bytes` of a key no longer in its db: a pending measurement of it is dropped. */
const REMOVED = -1;

export class Entry {
  /**
   * Absolute expiry in ms since the epoch; 0 when the key does not expire. Exact up
   * to 2^53 (year 287396); beyond that an approximation for comparisons, and
   * `Db.expireTime` has the exact value to show or serialize.
   */
  expireAt = 0;
  /** Index in `Db.volatile` while the key has an expiry, else -1. */
  volatileIndex = -1;
  /**
   * The access word, as redis-server's `robj.lru`: the LRU clock (seconds) of the last
   * access, or under an LFU maxmemory-policy an LFU word (engine/lfu.ts).
   */
  lru: number;
  /** For string values: see `StringForm`. */
  form = StringForm.Auto;
  /** The last snapshot (`EntryGuard.epoch`) that has saved this entry, or 0. */
  epoch = 0;
  /**
   * What the memory accounting last measured this key at (engine/memory.ts), counted in
   * its db's `usedBytes`; `REMOVED` once the key is gone.
   */
  bytes = 0;

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
  private dict = new Map<string, Entry>();
  /** Slot array for SCAN and RANDOMKEY; `undefined` marks a free slot. */
  private slots: (Entry | undefined)[] = [];
  private freeSlots: number[] = [];
  /** Entries with an expiry, for sampling by the active expire cycle. */
  private volatile: Entry[] = [];
  /** Where the active expire cycle resumes in `volatile`. */
  private volatileCursor = 0;
  /**
   * Estimated average remaining TTL in ms of the keys with one (INFO keyspace
   * avg_ttl), kept by the active expire cycle from its samples as redis-server does.
   */
  avgTtl = 0;
  /** Exact expiries beyond 2^53 ms (only absurd, user-given ones), by entry. */
  private hugeExpires = new Map<Entry, bigint>();
  /** Set while a point-in-time snapshot is being written; see `EntryGuard`. */
  guard: EntryGuard | null = null;
  /** The estimated bytes of this db's keys, as last measured (engine/memory.ts; `Engine.settleMemory`). */
  usedBytes = 0;

  constructor(
    readonly id: number,
    readonly engine: Engine,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** The engine's data type settings, for values loaded into this db (their encoding limits). */
  get settings(): Engine['settings'] {
    return this.engine.settings;
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
    if (this.guard !== null && e.epoch !== this.guard.epoch) this.guard.before(this.dict, e);
    if (e.expireAt !== 0 && e.expireAt < this.engine.now() && this.engine.expireKey(this, e)) return undefined;
    return e;
  }

  /**
   * The entry of `key` as stored, even if logically expired: no lazy expiry, no
   * statistics (DEBUG, and commands that skip expired keys without deleting them).
   */
  peek(key: string): Entry | undefined {
    const e = this.dict.get(key);
    if (e !== undefined && this.guard !== null && e.epoch !== this.guard.epoch) this.guard.before(this.dict, e);
    return e;
  }

  /**
   * True once the entry's time has passed. As in redis-server a key expires when
   * the clock is strictly past its expiry time (`now > when`).
   */
  isExpired(e: Entry): boolean {
    return e.expireAt !== 0 && e.expireAt < this.engine.now();
  }

  /**
   * The value of `key` for a command that reads it: updates its access time and
   * the keyspace hit/miss counters, a miss is a `keymiss` event (redis-server's lookupKeyRead).
   */
  lookupRead(key: string): Value | undefined {
    const e = this.entry(key);
    if (e === undefined) {
      this.missed(key, true);
      return undefined;
    }
    this.engine.stats.keyspaceHits++;
    this.engine.accessed(e);
    // A read may still grow a collection (XREADGROUP's PEL): measured again after the command.
    if (typeof e.value !== 'string') this.engine.noteTouched(this, e);
    return e.value;
  }

  /**
   * The entry of `key` for a command that inspects it without using it (TTL, TYPE,
   * EXISTS, OBJECT): counts a hit or miss but keeps the access time
   * (lookupKeyReadWithFlags with LOOKUP_NOTOUCH); OBJECT's miss is no `keymiss`
   * event (`notifyMiss` false, LOOKUP_NONOTIFY).
   */
  inspect(key: string, notifyMiss = true): Entry | undefined {
    const e = this.entry(key);
    if (e === undefined) this.missed(key, notifyMiss);
    else this.engine.stats.keyspaceHits++;
    return e;
  }

  /** A read's miss: counted, and unless `notifyMiss` is false a `keymiss` event. */
  private missed(key: string, notifyMiss: boolean): void {
    this.engine.stats.keyspaceMisses++;
    if (notifyMiss) notify(this.engine, NotifyFlag.KeyMiss, 'keymiss', key, this.id);
  }

  /**
   * The entry of `key` if its value is `value`, without a lookup's side effects
   * (expiry, access time, a snapshot's copy-on-write): for the engine's idle work.
   */
  entryHolding(key: string, value: Value): Entry | undefined {
    const e = this.dict.get(key);
    return e !== undefined && e.value === value ? e : undefined;
  }

  /** The value of `key` for a command about to change it (lookupKeyWrite). */
  lookupWrite(key: string): Value | undefined {
    return this.lookupWriteEntry(key)?.value;
  }

  /** `lookupWrite`, giving the entry: for a command that then stores a new value into it (`store`). */
  lookupWriteEntry(key: string): Entry | undefined {
    const e = this.entry(key);
    if (e === undefined) return undefined;
    this.engine.accessed(e);
    // A plain string cannot change in place: a new one goes through `store`, which measures it (INCR, SET).
    if (typeof e.value !== 'string') this.engine.noteTouched(this, e);
    return e;
  }

  /** True if `key` exists (and has not expired). */
  has(key: string): boolean {
    return this.entry(key) !== undefined;
  }

  /**
   * Sets `key` to `value`. The expiry is cleared unless `keepTtl` (SET's KEEPTTL,
   * or a write that modifies a value in place). `form` says how redis-server would
   * have built a string value (APPEND, SETRANGE and INCRBYFLOAT pass theirs).
   */
  set(key: string, value: Value, keepTtl = false, form = StringForm.Auto): Entry {
    return this.store(this.entry(key), key, value, keepTtl, form);
  }

  /**
   * `set` where the command has just looked the key up (`lookupWriteEntry`): `e` is the
   * entry that found, or undefined, so the key is not looked up a second time (INCR).
   */
  store(e: Entry | undefined, key: string, value: Value, keepTtl = false, form = StringForm.Auto): Entry {
    if (e === undefined) {
      e = this.add(key, value, form);
      // redis-server's dbAdd: before the event of the command that created the key.
      notify(this.engine, NotifyFlag.New, 'new', key, this.id);
    } else {
      e.value = value;
      e.form = form;
      // An overwrite keeps the LFU history, as redis-server's dbOverwrite does.
      if (!this.engine.lfuMode) e.lru = this.engine.lruClock;
      if (!keepTtl && e.expireAt !== 0) this.clearExpire(e);
      this.account(e);
    }
    return e;
  }

  /**
   * Stores a key read from a snapshot: as `set`, but no `new` event (redis-server's
   * dbAddRDBLoad); a key the snapshot repeats is overwritten.
   */
  load(key: string, value: Value): Entry {
    return this.dict.has(key) ? this.set(key, value) : this.add(key, value, StringForm.Auto);
  }

  /** A new entry for `key`, which must be absent. */
  private add(key: string, value: Value, form: StringForm): Entry {
    const e = new Entry(key, value, this.takeSlot(), this.engine.initialAccessWord());
    e.form = form;
    if (this.guard !== null) e.epoch = this.guard.epoch;
    this.slots[e.slot] = e;
    this.dict.set(key, e);
    this.account(e);
    return e;
  }

  /**
   * A key just given a value: a string, which cannot change in place, is measured now
   * (SET's path, without a note); anything else when the command ends, once filled.
   */
  private account(e: Entry): void {
    if (typeof e.value !== 'string') return this.engine.noteTouched(this, e);
    const bytes = entryBytes(e);
    this.usedBytes += bytes - e.bytes;
    e.bytes = bytes;
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
    if (this.guard !== null && e.epoch !== this.guard.epoch) this.guard.before(this.dict, e);
    this.dict.delete(e.key);
    if (e.expireAt !== 0) this.clearExpire(e);
    this.releaseSlot(e.slot);
    if (e.bytes > 0) this.usedBytes -= e.bytes;
    e.bytes = REMOVED;
  }

  /**
   * Sets the entry's absolute expiry in ms. `at` is an `Int64` (a bigint only beyond
   * 2^53) and must not be 0, the "no expiry" mark; callers delete keys whose time
   * has already passed instead of setting it.
   */
  setExpire(e: Entry, at: Int64): void {
    if (this.guard !== null && e.epoch !== this.guard.epoch) this.guard.before(this.dict, e);
    if (e.expireAt === 0) {
      e.volatileIndex = this.volatile.length;
      this.volatile.push(e);
      this.engine.noteTouched(this, e);
    } else if (this.hugeExpires.size !== 0) {
      this.hugeExpires.delete(e);
    }
    if (typeof at === 'bigint') this.hugeExpires.set(e, at);
    e.expireAt = Number(at);
  }

  /** The exact absolute expiry of an entry that has one (`e.expireAt !== 0`). */
  expireTime(e: Entry): Int64 {
    return this.hugeExpires.size !== 0 ? (this.hugeExpires.get(e) ?? e.expireAt) : e.expireAt;
  }

  clearExpire(e: Entry): void {
    const index = e.volatileIndex;
    const last = this.volatile.pop()!;
    if (last !== e) {
      this.volatile[index] = last;
      last.volatileIndex = index;
    }
    // The entry just visited by the expire cycle was replaced by one not yet visited.
    if (index === this.volatileCursor - 1) this.volatileCursor--;
    if (this.hugeExpires.size !== 0) this.hugeExpires.delete(e);
    e.volatileIndex = -1;
    e.expireAt = 0;
    this.engine.noteTouched(this, e);
  }

  /** Removes every key. A snapshot still reading the old table keeps it (a new one replaces it). */
  clear(): void {
    this.engine.settleMemory();
    this.usedBytes = 0;
    this.dict = new Map();
    this.slots.length = 0;
    this.freeSlots.length = 0;
    this.volatile.length = 0;
    this.volatileCursor = 0;
    this.avgTtl = 0;
    this.hugeExpires.clear();
  }

  /**
   * Exchanges the whole contents (keys, expiries, SCAN slots) with another db, as
   * SWAPDB does: clients keep their selected db number and see the other data.
   */
  swapContents(other: Db): void {
    this.engine.settleMemory();
    [this.usedBytes, other.usedBytes] = [other.usedBytes, this.usedBytes];
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.slots, other.slots] = [other.slots, this.slots];
    [this.freeSlots, other.freeSlots] = [other.freeSlots, this.freeSlots];
    [this.volatile, other.volatile] = [other.volatile, this.volatile];
    [this.volatileCursor, other.volatileCursor] = [other.volatileCursor, this.volatileCursor];
    [this.hugeExpires, other.hugeExpires] = [other.hugeExpires, this.hugeExpires];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
  }

  /** The key table itself, for snapshots; see `KeyTable`. */
  get table(): KeyTable {
    return this.dict;
  }

  /**
   * The exact expiry of an entry of `table` that has one, wherever the table now
   * lives (a snapshot reads entries of tables SWAPDB moved or FLUSHDB detached).
   */
  static expireTimeIn(dbs: readonly Db[], e: Entry): Int64 {
    for (const db of dbs) {
      const huge = db.hugeExpires.get(e);
      if (huge !== undefined) return huge;
    }
    return e.expireAt;
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

  /**
   * The next entry with an expiry in a round-robin walk, for the active expire cycle:
   * like redis-server's cursor over the expires table, every volatile key is visited
   * once per round, so a long-lived key cannot hide expired ones from the sampler.
   */
  nextVolatile(): Entry | undefined {
    const v = this.volatile;
    if (v.length === 0) return undefined;
    if (this.volatileCursor >= v.length) this.volatileCursor = 0;
    return v[this.volatileCursor++];
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
