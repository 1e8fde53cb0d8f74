/**
 * WATCH: the keys each client watches, invalidated by writes (redis-server's multi.c).
 *
 * A write to a watched key (`touch`, from `Engine.modified` and key expiry) or a
 * FLUSHDB/FLUSHALL/SWAPDB that changes it (`touchDb`) marks its watchers dirty, and
 * their next EXEC fails. As in Redis 7.0, a key that had already expired when it was
 * watched is watched as "absent": its deletion by expiry is no change, and EXEC
 * also fails when a watched key has expired meanwhile without being deleted yet.
 */
import type { Client } from './client.js';
import type { Db } from './keyspace.js';

interface WatchedKey {
  readonly client: Client;
  readonly db: Db;
  readonly key: string;
  /** The key was logically expired when watched (redis-server's watchedKey.expired). */
  expired: boolean;
}

export class Watches {
  /** Watched keys by db then key, each with its watchers. */
  private readonly byDb = new Map<Db, Map<string, WatchedKey[]>>();
  private readonly byClient = new Map<Client, WatchedKey[]>();
  /** Clients whose watched keys changed (CLIENT_DIRTY_CAS): their EXEC fails. */
  private readonly dirty = new Set<Client>();

  /** WATCH `key` of `c`'s current db; watching it twice is watching it once. */
  watch(c: Client, key: string): void {
    const db = c.db;
    let mine = this.byClient.get(c);
    if (mine === undefined) this.byClient.set(c, (mine = []));
    for (const wk of mine) if (wk.db === db && wk.key === key) return;
    const e = db.peek(key);
    const wk: WatchedKey = { client: c, db, key, expired: e !== undefined && db.isExpired(e) };
    mine.push(wk);
    let byKey = this.byDb.get(db);
    if (byKey === undefined) this.byDb.set(db, (byKey = new Map()));
    const watchers = byKey.get(key);
    if (watchers === undefined) byKey.set(key, [wk]);
    else watchers.push(wk);
  }

  /** Forgets every key `c` watches and its dirty mark (UNWATCH, EXEC, DISCARD, RESET, disconnect). */
  unwatch(c: Client): void {
    this.dirty.delete(c);
    const mine = this.byClient.get(c);
    if (mine === undefined) return;
    this.byClient.delete(c);
    for (const wk of mine) {
      const byKey = this.byDb.get(wk.db)!;
      const watchers = byKey.get(wk.key)!;
      watchers.splice(watchers.indexOf(wk), 1);
      if (watchers.length === 0) byKey.delete(wk.key);
    }
  }

  /**
   * EXEC's check: true when the transaction must not run, because a watched key
   * was touched or has expired since it was watched (isWatchedKeyExpired).
   */
  changed(c: Client): boolean {
    if (this.dirty.has(c)) return true;
    for (const wk of this.byClient.get(c) ?? []) {
      if (wk.expired) continue;
      const e = wk.db.peek(wk.key);
      if (e !== undefined && wk.db.isExpired(e)) return true;
    }
    return false;
  }

  /** A write to `key` (after it happened): its watchers become dirty. */
  touch(db: Db, key: string): void {
    if (this.byClient.size === 0) return;
    const watchers = this.byDb.get(db)?.get(key);
    if (watchers === undefined) return;
    for (const wk of watchers) {
      // An expired key being deleted leaves it as absent as when it was watched.
      if (wk.expired && db.peek(key) === undefined) wk.expired = false;
      else this.dirty.add(wk.client);
    }
  }

  /**
   * Before `emptied` is flushed (`replacedWith` null) or swapped with `replacedWith`
   * (SWAPDB, called for each side): watchers of a key that exists on either side
   * become dirty, unless it stays logically absent (touchAllWatchedKeysInDb).
   */
  touchDb(emptied: Db, replacedWith: Db | null): void {
    const byKey = this.byDb.get(emptied);
    if (byKey === undefined) return;
    for (const [key, watchers] of byKey) {
      const existsInEmptied = emptied.peek(key) !== undefined;
      const replacement = replacedWith?.peek(key);
      if (!existsInEmptied && replacement === undefined) continue;
      const replacementExpired = replacement !== undefined && replacedWith!.isExpired(replacement);
      for (const wk of watchers) {
        if (wk.expired) {
          // Expired before, and deleted or still expired after: no logical change.
          if (replacement === undefined) {
            wk.expired = false;
            continue;
          }
          if (replacementExpired) continue;
        } else if (!existsInEmptied && replacementExpired) {
          // Absent before, and an already expired key after: still absent.
          wk.expired = true;
          continue;
        }
        this.dirty.add(wk.client);
      }
    }
  }
}
