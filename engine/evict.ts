/**
 * Choosing and evicting keys under maxmemory (redis-server's evict.c): the sampled
 * approximations of LRU, LFU and nearest expiry with an eviction pool, and the random
 * policies. The broker decides when memory is over the limit and how long to go on
 * (broker/dispatch/maxmemory.ts); this module picks one key at a time and deletes it
 * as redis-server does: an `evicted` keyspace event, WATCH invalidated, blocked readers
 * of a stream told it is gone, `DEL`
 * propagated (as propagateDeletion without lazyfree-lazy-eviction), counted in
 * `evicted_keys`, never counted as a change.
 *
 * Sampling: `maxmemory-samples` keys per db with keys (all of them, or those with an
 * expiry for the volatile-* policies) feed a pool of the 16 best candidates kept across
 * calls, best last; the best one that still exists goes. LRU's score is the idle time
 * (seconds here, redis-server's LRU clock resolution), LFU's 255 minus the decayed
 * counter, volatile-ttl's the nearness of the expiry. Where it differs: the random
 * samples are drawn independently (redis-server's dictGetSomeKeys takes a run of
 * neighbouring buckets), which only makes them better spread.
 */
import type { Engine } from './engine.js';
import type { Db, Entry } from './keyspace.js';
import { lfuCounter } from './lfu.js';
import { notify, NotifyFlag } from './notify.js';

/** redis-server's EVPOOL_SIZE. */
const POOL_SIZE = 16;

export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

interface Candidate {
  /** Higher is a better candidate (redis-server's `idle`). */
  score: number;
  key: string;
  db: Db;
}

export class Evictor {
  /** Keys evicted (INFO evicted_keys). */
  evictedKeys = 0;
  /** maxmemory-samples. */
  samples = 5;
  /** Candidates kept across calls, worst first (redis-server's EvictionPoolLRU). */
  private pool: Candidate[] = [];
  /** The db the random policies try first next time (redis-server's next_db). */
  private nextDb = 0;

  constructor(private readonly engine: Engine) {}

  /**
   * Evicts one key by the current policy; returns the bytes it took (its accounted size),
   * or -1 when no key can be evicted (noeviction, or nothing the policy may take).
   */
  evictOne(): number {
    const policy = this.engine.maxmemoryPolicy as EvictionPolicy;
    if (policy === 'noeviction') return -1;
    // Idle times against the time now, not the last command's (redis-server's cron keeps its LRU clock current).
    this.engine.lruClock = Math.floor(this.engine.now() / 1000);
    const found = policy.endsWith('-random') ? this.randomKey(policy === 'allkeys-random') : this.bestFromPool(policy);
    if (found === null) return -1;
    return this.evict(found.db, found.e);
  }

  /** redis-server's random policies: a random key of the next db that has one. */
  private randomKey(allKeys: boolean): { db: Db; e: Entry } | null {
    const dbs = this.engine.dbs;
    for (let i = 0; i < dbs.length; i++) {
      const db = dbs[(++this.nextDb) % dbs.length];
      const e = allKeys ? db.randomEntry() : db.randomVolatile();
      if (e !== undefined) return { db, e };
    }
    return null;
  }

  /** Fills the pool from every db, then takes its best candidate that still exists (ghosts are dropped). */
  private bestFromPool(policy: EvictionPolicy): { db: Db; e: Entry } | null {
    const allKeys = policy.startsWith('allkeys-');
    for (;;) {
      let keys = 0;
      for (const db of this.engine.dbs) {
        const n = allKeys ? db.size : db.expiresCount;
        if (n === 0) continue;
        keys += n;
        this.populate(db, policy, allKeys);
      }
      if (keys === 0) return null;
      while (this.pool.length > 0) {
        const best = this.pool.pop()!;
        const e = best.db.peek(best.key);
        if (e !== undefined && (allKeys || e.expireAt !== 0)) return { db: best.db, e };
      }
    }
  }

  /** evictionPoolPopulate: samples `samples` keys of `db` into the pool. */
  private populate(db: Db, policy: EvictionPolicy, allKeys: boolean): void {
    const now = this.engine.now();
    for (let i = 0; i < this.samples; i++) {
      const e = allKeys ? db.randomEntry() : db.randomVolatile();
      if (e === undefined) return;
      this.offer({ score: this.score(e, policy, now), key: e.key, db });
    }
  }

  private score(e: Entry, policy: EvictionPolicy, now: number): number {
    if (policy === 'volatile-ttl') return -e.expireAt;
    if (policy.endsWith('-lfu')) return 255 - lfuCounter(e.lru, now, this.engine.lfuDecayTime);
    return this.engine.idleSeconds(e);
  }

  /** Inserts a candidate in score order, dropping the worst when the pool is full (a key already in it is updated). */
  private offer(c: Candidate): void {
    const pool = this.pool;
    const same = pool.findIndex((p) => p.key === c.key && p.db === c.db);
    if (same >= 0) pool.splice(same, 1);
    if (pool.length === POOL_SIZE && c.score <= pool[0].score) return;
    let k = pool.length;
    while (k > 0 && pool[k - 1].score > c.score) k--;
    pool.splice(k, 0, c);
    if (pool.length > POOL_SIZE) pool.shift();
  }

  /** Deletes an evicted key as redis-server's performEvictions does; returns its accounted bytes. */
  private evict(db: Db, e: Entry): number {
    const engine = this.engine;
    engine.settleMemory();
    const bytes = e.bytes;
    db.remove(e);
    this.evictedKeys++;
    engine.watches.touch(db, e.key);
    // Readers blocked on a stream learn it is gone (signalDeletedKeyAsReady), after the next command.
    engine.blocking.signal(db, e.key);
    notify(engine, NotifyFlag.Evicted, 'evicted', e.key, db.id);
    engine.alsoPropagate(db.id, ['DEL', e.key]);
    return bytes;
  }

  /** FLUSHALL, a policy change: the pool's candidates mean nothing any more. */
  forget(): void {
    this.pool = [];
  }
}
