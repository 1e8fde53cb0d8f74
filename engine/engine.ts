/**
 * The engine: databases, command execution, expiry and the propagation of effects.
 *
 * Effects (DESIGN.md decision 4): a write command's effect is, by default, its own
 * argv; a command whose replay would not be deterministic rewrites it
 * (`rewriteEffect`), adds others (`alsoPropagate`) or suppresses it. All effects of
 * one execution unit (a command, or a whole EXEC) reach the sinks together, so a
 * consumer can wrap a multi-effect unit in MULTI/EXEC.
 */
import { Db, type Entry } from './keyspace.js';
import type { Client } from './client.js';
import type { Command } from './command.js';

export interface Effect {
  db: number;
  argv: string[];
}

export type EffectSink = (unit: Effect[]) => void;

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

export class Engine {
  readonly dbs: Db[];
  /** Changes since the last save (rdb_changes_since_last_save). */
  dirty = 0;
  /** Seconds clock for per-key access times (OBJECT IDLETIME). */
  lruClock = Math.floor(Date.now() / 1000);
  activeExpireEnabled = true;
  readonly stats: EngineStats = {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    expiredStalePerc: 0,
    expiredTimeCapReachedCount: 0,
    expireCycleCpuMs: 0,
    totalCommands: 0,
  };

  private readonly sinks: EffectSink[] = [];
  /** Depth of nested execution units; effects flush when it returns to 0. */
  private unitDepth = 0;
  private unit: Effect[] = [];
  /** Time of the command being executed, so one command sees one instant. */
  private callTime = 0;
  /** The running command's own effect: its argv, a rewrite, or null when suppressed. */
  private ownEffect: string[] | null = null;
  private expireDbCursor = 0;

  constructor(options: EngineOptions) {
    this.dbs = Array.from({ length: options.databases }, (_, i) => new Db(i, this));
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

  /** Runs a command that dispatch has already validated. */
  call<C extends Client>(c: C, command: Command<C>, argv: string[]): void {
    const outer = this.callTime === 0;
    if (outer) {
      this.callTime = Date.now();
      this.lruClock = Math.floor(this.callTime / 1000);
    }
    const dirtyBefore = this.dirty;
    const savedEffect = this.ownEffect;
    this.ownEffect = argv;
    this.beginUnit();
    try {
      command.handler!(c, argv);
      if (this.dirty !== dirtyBefore && this.ownEffect !== null) this.alsoPropagate(c.db.id, this.ownEffect);
    } finally {
      this.ownEffect = savedEffect;
      this.endUnit();
      if (outer) this.callTime = 0;
      this.stats.totalCommands++;
    }
  }

  /** Groups the effects of several calls (EXEC) into one unit. */
  beginUnit(): void {
    this.unitDepth++;
  }

  endUnit(): void {
    if (--this.unitDepth > 0 || this.unit.length === 0) return;
    const unit = this.unit;
    this.unit = [];
    for (const sink of this.sinks) sink(unit);
  }

  /** Records a change to `key`: counts towards `dirty`. */
  modified(db: Db, key: string): void {
    this.dirty++;
  }

  /** Replaces the running command's effect with `argv` (e.g. SET EX as SET PXAT). */
  rewriteEffect(argv: string[]): void {
    this.ownEffect = argv;
  }

  /** The running command's own argv is not propagated (its effects are explicit). */
  preventPropagation(): void {
    this.ownEffect = null;
  }

  /** Emits an effect in addition to (before) the running command's own. */
  alsoPropagate(db: number, argv: string[]): void {
    this.unit.push({ db, argv });
    if (this.unitDepth === 0) this.endUnit();
  }

  /**
   * Deletes an expired entry and propagates its deletion. Returns true when the key
   * is gone (always, for now; a replica will keep it until its primary deletes it).
   */
  expireKey(db: Db, e: Entry): boolean {
    db.remove(e);
    this.stats.expiredKeys++;
    this.modified(db, e.key);
    this.alsoPropagate(db.id, ['DEL', e.key]);
    return true;
  }

  /**
   * redis-server's slow active expire cycle: per database, sample keys with a TTL,
   * delete the expired ones, and repeat while too many samples had expired, within
   * `budgetMs`. Resumes at the next database on the next call.
   */
  activeExpireCycle(budgetMs: number): void {
    if (!this.activeExpireEnabled) return;
    const start = performance.now();
    const now = Date.now();
    let sampledTotal = 0;
    let expiredTotal = 0;
    let timedOut = false;
    for (let n = 0; n < this.dbs.length && !timedOut; n++) {
      const db = this.dbs[this.expireDbCursor];
      this.expireDbCursor = (this.expireDbCursor + 1) % this.dbs.length;
      for (;;) {
        const sample = Math.min(EXPIRE_SAMPLE, db.expiresCount);
        if (sample === 0) break;
        let expired = 0;
        for (let i = 0; i < sample; i++) {
          const e = db.randomVolatile();
          if (e !== undefined && e.expireAt <= now) {
            this.expireKey(db, e);
            expired++;
          }
        }
        sampledTotal += sample;
        expiredTotal += expired;
        if (performance.now() - start > budgetMs) {
          timedOut = true;
          this.stats.expiredTimeCapReachedCount++;
          break;
        }
        if ((expired * 100) / sample <= EXPIRE_ACCEPTABLE_STALE) break;
      }
    }
    this.stats.expireCycleCpuMs += performance.now() - start;
    const perc = sampledTotal > 0 ? expiredTotal / sampledTotal : 0;
    this.stats.expiredStalePerc = perc * 0.05 + this.stats.expiredStalePerc * 0.95;
  }

  /** Removes every key of every database. */
  flushAll(): void {
    for (const db of this.dbs) this.flushDb(db);
  }

  flushDb(db: Db): void {
    this.dirty += db.size;
    db.clear();
  }
}
