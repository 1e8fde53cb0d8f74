/**
 * The engine: databases, command execution, expiry and the propagation of effects.
 *
 * Changes: a command that changes the dataset says so through `changed` (or
 * `keyChanged` for a change to a key's value, which also wakes the clients blocked
 * on the key and invalidates its WATCHers). They count toward
 * rdb_changes_since_last_save, as redis-server's `server.dirty`, and nothing else
 * writes that count.
 *
 * Effects (ARCHITECTURE.md, "Effects"): a write command's effect is, by default, its own
 * argv, propagated when the command counted a change (redis-server's call() decides
 * the same way); `forcePropagation` sends it regardless, `preventPropagation` never.
 * A command whose replay would not be deterministic rewrites it (`rewriteEffect`) or
 * adds others (`alsoPropagate`). All effects of one execution unit (a command, or a
 * whole EXEC) reach the sinks together, so a consumer can wrap a multi-effect unit in
 * MULTI/EXEC.
 */
import { Db, type Entry } from './keyspace.js';
import { entryBytes } from './memory.js';
import { Evictor } from './evict.js';
import type { Client } from './client.js';
import { argsOf, Flag, type Arg, type Argv, type Command } from './command.js';
import { lfuAccess, lfuInitial } from './lfu.js';
import { Blocking } from './blocking.js';
import { PubSub } from './pubsub.js';
import { StreamStats } from './stream-stats.js';
import { SealedNodes } from './sealed-nodes.js';
import { decodedNodes } from './types/decoded-nodes.js';
import { Watches } from './watches.js';
import { Tracking } from './tracking.js';
import { notify, NotifyFlag } from './notify.js';
import { INTERNAL_ERROR } from './errors.js';
import { DEFAULT_LIMITS } from './types/encoding-limits.js';
import { StreamedReplies } from './streamed-reply.js';

export interface Effect {
  db: number;
  /** Strings, and Buffers where a command's value was a long bulk (never changed: see Arg). */
  argv: readonly Arg[];
}

export type EffectSink = (unit: Effect[]) => void;

/**
 * The function libraries (engine/scripting/), as FUNCTION's writing subcommands, the
 * AOF replay and snapshots reach them.
 */
export interface FunctionLibraryStore {
  /** Each library's code, in load order. */
  codes(): string[];
  /** FUNCTION LOAD [REPLACE]: the library's name, or the error reply. */
  load(code: string, replace: boolean): { name: string } | { error: string };
  /** FUNCTION DELETE; false when there is no such library. */
  delete(name: string): boolean;
  flush(): void;
  /** FUNCTION RESTORE of the codes in a payload under a policy; null, or the error reply. */
  restore(codes: readonly string[], policy: 'flush' | 'append' | 'replace'): string | null;
}

export interface EngineOptions {
  databases: number;
}

export interface EngineStats {
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  /** Estimated percentage of keys already logically expired, from the last cycle. */
  expiredStalePerc: number;
  expiredTimeCapReachedCount: number;
  expireCycleCpuMs: number;
  totalCommands: number;
}

/** Keys sampled per database per round of the active expire cycle (redis-server's value). */
const EXPIRE_SAMPLE = 20;
/** The cycle repeats on a database while more than this percentage of samples expired. */
const EXPIRE_ACCEPTABLE_STALE = 10;
/** Databases visited per cycle, unless the last cycle ran out of time (CRON_DBS_PER_CALL). */
const EXPIRE_DBS_PER_CALL = 16;

export class Engine {
  readonly dbs: Db[];
  /** Seconds clock for per-key access times (OBJECT IDLETIME). */
  lruClock = Math.floor(Date.now() / 1000);
  activeExpireEnabled = true;
  /**
   * This engine follows a leader (broker/replication/): keys are not expired here, the
   * leader's DEL effects remove them. Meanwhile a key past its expiry reads as absent to
   * every client but the leader's link, as on redis-server's replicas.
   */
  followsLeader = false;
  /**
   * CLIENT PAUSE (either mode) is on: keys are neither expired nor evicted (redis-server's
   * PAUSE_ACTION_EXPIRE and PAUSE_ACTION_EVICT); an expired key reads as absent meanwhile
   * and is deleted once the pause ends. Eviction checks it too.
   */
  deletionsPaused = false;
  /** The NotifyFlag bits of `notify-keyspace-events` (0: keyspace notifications off). */
  notifyFlags = 0;
  /** Data type tunables, kept current by the broker from its config (stream-node-max-*, proto-max-bulk-len, the encoding limits). */
  readonly settings = { streamNodeMaxEntries: 100, streamNodeMaxBytes: 4096, protoMaxBulkLen: 512 * 1024 * 1024, hllSparseMaxBytes: 3000, ...DEFAULT_LIMITS };
  /** maxmemory-policy; set it with `setMaxmemoryPolicy`. */
  maxmemoryPolicy = 'noeviction';
  /** True under an LFU policy: per-key access words are LFU counters (engine/lfu.ts). */
  lfuMode = false;
  /** lfu-log-factor and lfu-decay-time (minutes), redis-server's defaults. */
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** Function libraries, once the broker set scripting up (engine/scripting/scripting.ts). */
  functionLibraries: FunctionLibraryStore | null = null;
  /** Told about an exception thrown by a command handler; the broker logs it. */
  onInternalError: (err: unknown, command: string) => void = (err, command) => {
    console.error(`internal error executing '${command}':`, err);
  };
  /** Clients waiting in blocking commands, woken by writes to their keys. */
  readonly blocking = new Blocking();
  /** Range replies being written in pieces, each holding a frozen range (engine/streamed-reply.ts). */
  readonly streamedReplies = new StreamedReplies();
  /** Pub/sub subscriptions and message delivery. */
  readonly pubsub = new PubSub();
  /** Delivery and acknowledgement times of stream entries (the metrics' histograms). */
  readonly streamStats = new StreamStats();
  /** Stream nodes XADD closed, to encode for snapshots while the server is idle (`encodeSealedNodes`). */
  readonly sealedNodes = new SealedNodes();
  /** Keys WATCHed by clients, invalidated by every change to them. */
  readonly watches = new Watches();
  /** Client-side caching: who may cache which keys, and their invalidation (CLIENT TRACKING). */
  readonly tracking = new Tracking();
  /** Picks and evicts keys under maxmemory (engine/evict.ts); the broker says when. */
  readonly evictor = new Evictor(this);
  readonly stats: EngineStats = {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    expiredStalePerc: 0,
    expiredTimeCapReachedCount: 0,
    expireCycleCpuMs: 0,
    totalCommands: 0,
  };

  /** Changes counted since the start (redis-server's server.dirty); see `dirty`. */
  private changes = 0;
  private readonly sinks: EffectSink[] = [];
  /** Depth of nested execution units; effects flush when it returns to 0. */
  private unitDepth = 0;
  /**
   * The effects of the unit being gathered; null while it has none. A unit starts as an
   * array literal of its first effect, sized to it: most units hold one, and a pushed-to
   * empty array reserves 17 slots (the allocation was 20-30% of SET's engine time).
   */
  private unit: Effect[] | null = null;
  /** Time of the command being executed, so one command sees one instant. */
  private callTime = 0;
  /** The running command's own effect: its argv, a rewrite, or null when suppressed. */
  private ownEffect: readonly Arg[] | null = null;
  /** Set by `forcePropagation`: the running command's effect goes out even if nothing changed. */
  private forcedEffect = false;
  /** The client of the outermost command running, or null between commands. */
  private caller: Client | null = null;
  private expireDbCursor = 0;
  /** Whether the last active expire cycle ran out of time (it then visits every db). */
  private expireTimedOut = false;
  /**
   * Keys to measure again when the command ends, and their dbs (engine/memory.ts): the
   * first `touchedCount` of these arrays, reused from command to command (emptying an
   * array by its length costs a runtime call per command).
   */
  private readonly touchedEntries: Entry[] = [];
  private readonly touchedDbs: Db[] = [];
  private touchedCount = 0;

  constructor(options: EngineOptions) {
    this.dbs = Array.from({ length: options.databases }, (_, i) => new Db(i, this));
    this.blocking.onInternalError = (err, what) => this.onInternalError(err, what);
  }

  /**
   * Changes counted since the start, as redis-server's server.dirty:
   * rdb_changes_since_last_save is this minus its value at the last save.
   */
  get dirty(): number {
    return this.changes;
  }

  /** Milliseconds since the epoch; constant for the duration of a command. */
  now(): number {
    return this.callTime !== 0 ? this.callTime : Date.now();
  }

  onEffects(sink: EffectSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  /**
   * Runs a command that dispatch has already validated. `now` is the wall-clock time
   * it runs at, when the caller has read the clock already (a reading costs 0.1-0.2 us).
   */
  call<C extends Client>(c: C, command: Command<C>, argv: Argv<C>, now?: number): void {
    const outer = this.callTime === 0;
    if (outer) {
      this.callTime = now ?? Date.now();
      this.lruClock = Math.floor(this.callTime / 1000);
      this.caller = c;
    }
    const changesBefore = this.changes;
    const savedEffect = this.ownEffect;
    const savedForced = this.forcedEffect;
    const plain = Array.isArray(argv);
    this.ownEffect = plain ? argv : argv.args;
    this.forcedEffect = false;
    this.beginUnit();
    const replyMark = c.reply.position;
    try {
      if (plain) command.handler!(c, argv);
      else command.valueHandler!(c, argv.args);
      // Client-side caching remembers the keys a tracking client read (redis-server's call()).
      if (c.tracking !== null && !c.tracking.bcast && command.has(Flag.ReadOnly)) this.rememberRead(c, command, argv);
      const effect = this.ownEffectToPropagate(changesBefore);
      if (effect !== null) this.alsoPropagate(c.db.id, effect);
      // Blocked clients are served after the whole command (or EXEC) that readied
      // their keys, never in the middle of it; their effects join the same unit.
      if (outer && this.blocking.hasReady) this.blocking.serveReady();
    } catch (err) {
      // A bug in one handler must neither stop the server nor leave the client with
      // half a reply (it would misread every later one): drop what the command wrote,
      // answer with an error, and report it.
      c.reply.truncate(replyMark);
      c.reply.error(INTERNAL_ERROR(command.fullname));
      this.onInternalError(err, command.fullname);
    } finally {
      this.ownEffect = savedEffect;
      this.forcedEffect = savedForced;
      this.endUnit();
      if (outer) {
        this.callTime = 0;
        this.caller = null;
        if (this.touchedCount !== 0) this.settleMemory();
        // Invalidations of the keys this client changed follow its reply (afterCommand).
        this.tracking.flushPending(c);
      }
      this.stats.totalCommands++;
    }
  }

  /**
   * What a tracking client's read command makes CLIENT TRACKING remember (redis-server
   * 7.0's call()): inside a script, the keys the script declared; EVAL_RO, EVALSHA_RO
   * and FCALL_RO themselves (the only readonly commands refused in scripts) nothing,
   * their scripts' reads do; any other, its keys.
   */
  private rememberRead<C extends Client>(c: C, command: Command<C>, argv: Argv<C>): void {
    if (c.scriptKeys !== null) this.tracking.rememberScriptKeys(c, c.scriptKeys);
    else if (!command.has(Flag.NoScript)) this.tracking.remember(c, command as unknown as Command<Client>, argsOf(argv));
  }

  /**
   * The running command's own effect if it is to be propagated, as redis-server's
   * call() decides: when the command counted a change since `changesBefore` (its
   * server.dirty moved) or forced propagation, and never once it prevented it.
   */
  private ownEffectToPropagate(changesBefore: number): readonly Arg[] | null {
    if (this.ownEffect === null) return null;
    return this.forcedEffect || this.changes !== changesBefore ? this.ownEffect : null;
  }

  /** Groups the effects of several calls (EXEC) into one unit. */
  beginUnit(): void {
    this.unitDepth++;
  }

  endUnit(): void {
    if (--this.unitDepth === 0) this.flushUnit();
  }

  /** Hands the effects gathered so far to the sinks, as one unit. */
  private flushUnit(): void {
    const unit = this.unit;
    if (unit === null) return;
    this.unit = null;
    for (const sink of this.sinks) sink(unit);
  }

  /**
   * The running command changed the dataset `count` times (redis-server's
   * `server.dirty += count`): counted toward rdb_changes_since_last_save, and its own
   * effect will be propagated. Alone, for changes that redis-server signals to nobody
   * (consumer group state, SWAPDB, FLUSHALL's own count); a change to a key's value
   * goes through `keyChanged`.
   */
  changed(count = 1): void {
    this.changes += count;
  }

  /**
   * `changed(count)` for a change to `key`'s value, which also wakes the clients
   * blocked on the key and invalidates its WATCHers (signalKeyAsReady and
   * signalModifiedKey). A command that counts one change for several keys, as
   * redis-server does (RENAME, MOVE), passes 0 for the others.
   */
  keyChanged(db: Db, key: string, count = 1): void {
    this.changes += count;
    this.blocking.signal(db, key);
    this.signalModifiedKey(db, key);
  }

  /**
   * redis-server's signalModifiedKey: `key`'s WATCHers and the clients that may cache
   * it (CLIENT TRACKING) learn it changed. `keyChanged` and expiry call it; so does
   * eviction, for each key it deletes.
   */
  signalModifiedKey(db: Db, key: string): void {
    this.watches.touch(db, key);
    if (this.tracking.clients !== 0) this.tracking.invalidateKey(key, this.caller);
  }

  /** Replaces the running command's effect with `argv` (e.g. SET EX as SET PXAT). */
  rewriteEffect(argv: readonly Arg[]): void {
    this.ownEffect = argv;
  }

  /** The running command's own argv is not propagated (its effects are explicit). */
  preventPropagation(): void {
    this.ownEffect = null;
  }

  /**
   * The running command's effect is propagated even if it changed nothing, as
   * redis-server's forceCommandPropagation (FLUSHDB on an empty db still reaches replicas).
   */
  forcePropagation(): void {
    this.forcedEffect = true;
  }

  /** Switches maxmemory-policy; an LFU policy turns access words into LFU counters. */
  setMaxmemoryPolicy(policy: string): void {
    this.maxmemoryPolicy = policy;
    this.lfuMode = policy.endsWith('-lfu');
    this.evictor.forget();
  }

  /** Seconds since the entry was last accessed (OBJECT IDLETIME, LRU eviction); meaningless under LFU. */
  idleSeconds(e: Entry): number {
    return Math.max(this.lruClock - e.lru, 0);
  }

  /** The access word of a new key. */
  initialAccessWord(): number {
    return this.lfuMode ? lfuInitial(this.now()) : this.lruClock;
  }

  /** Records an access to an entry (lookupKey's LRU/LFU update). */
  accessed(e: Entry): void {
    e.lru = this.lfuMode ? lfuAccess(e.lru, this.now(), this.lfuLogFactor, this.lfuDecayTime) : this.lruClock;
  }

  /**
   * A key looked up to change (or a collection read) by the running command: measured
   * again when it ends. Outside commands (a snapshot loading) the notes are settled in
   * batches so they do not pile up.
   */
  noteTouched(db: Db, e: Entry): void {
    const n = this.touchedCount++;
    this.touchedEntries[n] = e;
    this.touchedDbs[n] = db;
    if (n >= 1023 && this.callTime === 0) this.settleMemory();
  }

  /** Measures the noted keys again and brings their dbs' totals up to date. */
  settleMemory(): void {
    const entries = this.touchedEntries;
    const dbs = this.touchedDbs;
    const n = this.touchedCount;
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      // Removed since: its bytes already left the total.
      if (e.bytes < 0) continue;
      const bytes = entryBytes(e);
      dbs[i].usedBytes += bytes - e.bytes;
      e.bytes = bytes;
    }
    this.touchedCount = 0;
    // A command that touched many keys (MSET, FLUSHALL's load) does not keep them alive.
    if (entries.length > 4096) {
      entries.length = 0;
      dbs.length = 0;
    }
  }

  /**
   * The decoded forms of sealed stream nodes, for the whole process and bounded
   * (engine/types/decoded-nodes.ts): data in memory beside the keys' own figures,
   * which count those nodes by their RDB bytes.
   */
  get decodedStreamNodeBytes(): number {
    return decodedNodes.bytes;
  }

  /** The estimated bytes of every key of every db (engine/memory.ts). */
  datasetBytes(): number {
    this.settleMemory();
    let bytes = 0;
    for (const db of this.dbs) bytes += db.usedBytes;
    return bytes;
  }

  /** Emits an effect in addition to (before) the running command's own. */
  alsoPropagate(db: number, argv: readonly Arg[]): void {
    if (this.unit === null) this.unit = [{ db, argv }];
    else this.unit.push({ db, argv });
    // Outside any command (the active expire cycle) each effect is a unit of its own.
    if (this.unitDepth === 0) this.flushUnit();
  }

  /**
   * Deletes an expired entry and propagates its deletion. Returns true when the key
   * is gone, or on a follower reads as gone: there the key stays until the leader's
   * DEL, and the leader's own commands still see it (false).
   * Like redis-server this does not count as a change (`changed`): a read that happens
   * to expire a key must not propagate itself, only the DEL.
   */
  expireKey(db: Db, e: Entry): boolean {
    if (this.followsLeader) return this.caller === null || !this.caller.fromLeader;
    if (this.deletionsPaused) return true;
    db.remove(e);
    this.stats.expiredKeys++;
    notify(this, NotifyFlag.Expired, 'expired', e.key, db.id);
    this.blocking.signal(db, e.key);
    this.signalModifiedKey(db, e.key);
    this.alsoPropagate(db.id, ['DEL', e.key]);
    return true;
  }

  /**
   * redis-server's slow active expire cycle: per database, sample up to 20 keys with
   * a TTL, delete the expired ones, and repeat while more than 10% of a sample had
   * expired, within `budgetMs` of wall time. Visits 16 databases per call (all of them
   * after a call that ran out of time), resuming where the last call stopped.
   */
  /**
   * Idle work: gives stream nodes XADD closed their kept RDB encoding for about
   * `budgetMs` (engine/sealed-nodes.ts). Returns true once none is left.
   */
  encodeSealedNodes(budgetMs: number): boolean {
    const done = this.sealedNodes.encode(performance.now() + budgetMs, (db, e) => this.noteTouched(db, e));
    if (this.touchedCount !== 0 && this.callTime === 0) this.settleMemory();
    return done;
  }

  activeExpireCycle(budgetMs: number): void {
    if (!this.activeExpireEnabled || this.followsLeader || this.deletionsPaused) return;
    const start = performance.now();
    const dbCount = this.dbs.length;
    const dbsPerCall = this.expireTimedOut ? dbCount : Math.min(EXPIRE_DBS_PER_CALL, dbCount);
    let sampledTotal = 0;
    let expiredTotal = 0;
    let timedOut = false;
    for (let n = 0; n < dbsPerCall && !timedOut; n++) {
      const db = this.dbs[this.expireDbCursor];
      this.expireDbCursor = (this.expireDbCursor + 1) % dbCount;
      let sampled: number;
      let expired: number;
      do {
        const sample = Math.min(EXPIRE_SAMPLE, db.expiresCount);
        if (sample === 0) {
          db.avgTtl = 0;
          break;
        }
        const now = Date.now();
        let ttlSum = 0;
        let ttlSamples = 0;
        sampled = 0;
        expired = 0;
        for (; sampled < sample; sampled++) {
          const e = db.nextVolatile()!;
          const ttl = e.expireAt - now;
          // redis-server's activeExpireCycleTryExpire: expired when now > when.
          if (ttl < 0) {
            this.expireKey(db, e);
            expired++;
          } else if (ttl > 0) {
            ttlSum += ttl;
            ttlSamples++;
          }
        }
        sampledTotal += sampled;
        expiredTotal += expired;
        // A running average weighing this round's sample 2%, in integers as redis-server.
        if (ttlSamples > 0) {
          const avg = Math.trunc(ttlSum / ttlSamples);
          if (db.avgTtl === 0) db.avgTtl = avg;
          db.avgTtl = Math.trunc(db.avgTtl / 50) * 49 + Math.trunc(avg / 50);
        }
        if (performance.now() - start > budgetMs) {
          timedOut = true;
          this.stats.expiredTimeCapReachedCount++;
          break;
        }
      } while ((expired * 100) / sampled > EXPIRE_ACCEPTABLE_STALE);
    }
    this.expireTimedOut = timedOut;
    this.stats.expireCycleCpuMs += performance.now() - start;
    const perc = sampledTotal > 0 ? expiredTotal / sampledTotal : 0;
    this.stats.expiredStalePerc = perc * 0.05 + this.stats.expiredStalePerc * 0.95;
  }

  /**
   * Removes every key of every database; returns how many there were. Not counted as
   * changes: FLUSHALL counts them, a reload does not (redis-server's emptyData).
   */
  flushAll(): number {
    this.sealedNodes.clear();
    decodedNodes.clear();
    let removed = 0;
    for (const db of this.dbs) removed += this.emptyDb(db);
    this.tracking.invalidateAll(this.caller);
    return removed;
  }

  /** Removes every key of one database; returns how many (not counted, as `flushAll`). */
  flushDb(db: Db): number {
    const removed = this.emptyDb(db);
    // Cached keys are not per database: every tracking client forgets them all (a null invalidation).
    this.tracking.invalidateAll(this.caller);
    return removed;
  }

  private emptyDb(db: Db): number {
    const removed = db.size;
    // Watchers learn which of their keys existed, so before the keys go.
    this.watches.touchDb(db, null);
    db.clear();
    // Waiters on a flushed key must see it gone (a consumer group's stream is deleted).
    this.blocking.signalDb(db);
    return removed;
  }
}
