/**
 * AOF rewrites (BGREWRITEAOF, automatic growth, enabling the AOF, recovering from a
 * failed fsync), without a fork (ARCHITECTURE.md, "Snapshots without fork"): at one
 * instant, between two effect units, a rewrite starts a point-in-time snapshot and the
 * writer switches to a new incremental file (listed in the manifest before anything
 * written to it counts as synced). The snapshot is written a slice at a time into a
 * temp file; then, in the writer's order of operations, the temp file becomes the new
 * base, the old base and incremental files become history in a new durable manifest,
 * and only then are they deleted. Every moment leaves a loadable set. Also the
 * rewrites' schedule, their failure limit, and the aof_*rewrite* fields of INFO
 * persistence.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { SnapshotWriter } from '../../../engine/persist/snapshot.js';
import type { Logger } from '../../log.js';
import { Manifest } from './manifest.js';
import type { Persistence, PersistenceHost } from '../persistence.js';
import { Cancelled, rdbInfo, writeSnapshotFile, type SnapshotJob } from '../snapshot-file.js';
import { strerror } from '../strerror.js';
import { NEW_APPEND_FLAGS, type AofWriter } from './writer.js';

interface RewriteJob extends SnapshotJob {
  startedAt: number;
  temp: string;
  /** The new base's format, by its name's suffix: 'rdb' a snapshot, 'aof' RESP commands. */
  suffix: 'rdb' | 'aof';
  /** Set when switching to the new incremental file failed: the rewrite cannot complete. */
  failed: Error | null;
  /** writer.appended at the snapshot's instant: the new base holds every effect before it. */
  covers: number;
  /** Where its lines go (a silent logger for most retries of a recovery). */
  log: Logger;
}

/** After this many failed rewrites in a row, automatic ones wait (redis-server's limit). */
const REWRITE_LIMIT_THRESHOLD = 3;
/** A recovery failing again and again is logged at most this often (as redis-server's disk errors). */
const RECOVERY_LOG_EVERY_MS = 30_000;

export class Rewrites {
  /** The rewrite in progress. */
  job: RewriteJob | null = null;
  /** To start when no other snapshot runs: BGREWRITEAOF meanwhile or inside EXEC, enabling the AOF (and its retries). */
  scheduled = false;
  /** aof_base_size: aof_current_size after the last rewrite; after a load, the loaded base file's size (as redis-server). */
  rewriteBaseSize = 0;
  private lastOk = true;
  private lastTimeSec = -1;
  private completed = 0;
  private failures = 0;
  private nextAutoRewriteAt = 0;
  private lastRecoveryLog = 0;
  private quietLog: Logger | null = null;

  constructor(
    private readonly broker: PersistenceHost,
    /** The AOF whose files, writer and state a rewrite changes. */
    private readonly aof: Pick<Persistence, 'state' | 'dir' | 'writer' | 'newWriter' | 'encoder' | 'fsyncFaults' | 'currentSize' | 'recovering'>,
  ) {}

  /** BGREWRITEAOF while a snapshot runs or inside EXEC: as soon as possible, limits reset. */
  schedule(): void {
    this.scheduled = true;
    this.failures = 0;
    this.nextAutoRewriteAt = 0;
  }

  /** A scheduled rewrite may start (the failure limit does not hold it back). */
  scheduledDue(now: number): boolean {
    return this.scheduled && now >= this.nextAutoRewriteAt;
  }

  /** auto-aof-rewrite-percentage and -min-size say the AOF has grown enough (logged). */
  autoDue(now: number): boolean {
    if (this.aof.state !== 'on' || now < this.nextAutoRewriteAt) return false;
    const config = this.broker.config;
    const perc = config.int('auto-aof-rewrite-percentage');
    const size = this.aof.currentSize;
    if (perc === 0 || size <= config.int('auto-aof-rewrite-min-size')) return false;
    const base = this.rewriteBaseSize === 0 ? 1 : this.rewriteBaseSize;
    const growth = Math.floor((size * 100) / base) - 100;
    if (growth < perc) return false;
    this.broker.log.info(`Starting automatic rewriting of AOF on ${growth}% growth`);
    return true;
  }

  /**
   * After a failed fsync (writer.ts) the AOF's current file is not trusted: a rewrite
   * from memory replaces it. Tried every second until one completes, whatever the
   * failure limit; the lines of an attempt that follows a failed one are logged at most
   * every 30 s. The caller has checked what `start` needs.
   */
  recover(now: number): void {
    const loud = this.failures === 0 || now - this.lastRecoveryLog >= RECOVERY_LOG_EVERY_MS;
    if (loud) this.lastRecoveryLog = now;
    this.quietLog ??= this.broker.log.child({}, { level: 'silent' });
    this.start(loud ? this.broker.log : this.quietLog);
  }

  /**
   * Starts a rewrite now; false if it could not start (logged). The caller has
   * checked that no snapshot is in progress and that no effect unit is open.
   */
  start(log: Logger = this.broker.log): boolean {
    const aof = this.aof;
    const dir = aof.dir;
    if (aof.state === 'off') {
      // BGREWRITEAOF with the AOF off: a base alone replaces whatever the directory holds.
      dir.locate();
      try {
        dir.readManifest();
      } catch {
        dir.manifest = new Manifest();
      }
    }
    const temp = dir.file(`temp-rewriteaof-bg-${process.pid}.aof`);
    try {
      fs.mkdirSync(dir.path, { recursive: true });
      if (aof.state === 'wait-rewrite' && aof.writer === null) {
        // Effects from this instant on go to a temporary incremental file.
        const fd = fs.openSync(dir.file(dir.tempIncrName), NEW_APPEND_FLAGS, 0o644);
        aof.writer = aof.newWriter(fd, 0);
        log.info(`Creating AOF incr file ${dir.tempIncrName} on background rewrite`);
      }
    } catch (err) {
      log.warn(`Can't open the append-only file: ${strerror(err)}`);
      this.done(false);
      return false;
    }
    const suffix = dir.baseSuffix();
    const snapshot = new SnapshotWriter(this.broker.engine.dbs, Date.now(), { format: suffix === 'rdb' ? 'snapshot' : 'resp', info: rdbInfo(true) });
    const covers = aof.writer?.appended ?? 0;
    const job: RewriteJob = { snapshot, cancelled: false, startedAt: Date.now(), temp, failed: null, suffix, covers, log };
    this.job = job;
    this.scheduled = false;
    if (aof.state === 'on') {
      // The new incremental file starts with a SELECT of its own.
      aof.encoder.selectedDb = -1;
      aof.writer!.enqueue({ run: (w) => this.switchIncr(w, job) });
    }
    log.info(`Background append only file rewriting started by pid ${process.pid}`);
    writeSnapshotFile(job, temp, 'AOF rewrite', log, aof.fsyncFaults.sync).then(
      (size) => this.finish(job, size),
      (err: unknown) => this.fail(job, err),
    );
    return true;
  }

  /** Stops the rewrite in progress (the AOF turned off, shutdown, DEBUG LOADAOF). */
  cancel(): void {
    const job = this.job;
    if (job === null) return;
    job.cancelled = true;
    // The keyspace is free for the next snapshot now, as when redis-server kills its child
    // (`CONFIG SET appendonly no` then `yes` starts a new rewrite at once).
    job.snapshot.abort();
    this.job = null;
    this.broker.log.info('Killing running AOF rewrite');
    this.discardTempIncr();
  }

  /** INFO persistence, from aof_rewrite_in_progress to aof_rewrites_consecutive_failures. */
  infoFields(now: number): string[] {
    const job = this.job;
    return [
      `aof_rewrite_in_progress:${job === null ? 0 : 1}`,
      `aof_rewrite_scheduled:${this.scheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastTimeSec}`,
      `aof_current_rewrite_time_sec:${job === null ? -1 : Math.floor((now - job.startedAt) / 1000)}`,
      `aof_last_bgrewrite_status:${this.lastOk ? 'ok' : 'err'}`,
      `aof_rewrites:${this.completed}`,
      `aof_rewrites_consecutive_failures:${this.failures}`,
    ];
  }

  /** Writer step at the rewrite instant: a new incremental file, listed in a durable manifest. */
  private async switchIncr(w: AofWriter, job: RewriteJob): Promise<void> {
    const dir = this.aof.dir;
    const m = dir.manifest.clone();
    const incr = m.newIncr(dir.prefix);
    const file = dir.file(incr.name);
    let fd = -1;
    try {
      fd = await new Promise<number>((resolve, reject) =>
        fs.open(file, NEW_APPEND_FLAGS, 0o644, (err, f) => (err ? reject(err) : resolve(f))),
      );
      await dir.persist(m);
    } catch (err) {
      // No manifest lists it: leave nothing behind that start-up would warn about.
      if (fd >= 0) fs.close(fd, () => fs.unlink(file, () => undefined));
      job.failed = err as Error;
      job.cancelled = true;
      job.log.warn(fd < 0 ? `Can't open the append-only file ${incr.name}: ${strerror(err)}` : `Can't persist the AOF manifest: ${strerror(err)}`);
      return;
    }
    // Everything before the switch is in the old file: make it durable, then move on. If
    // that fails (or failed before), this rewrite's base is what makes it durable.
    const old = w.fd;
    const oldSize = w.fileSize;
    await w.syncNow().catch(() => undefined);
    fs.close(old, () => undefined);
    w.switchTo(fd);
    dir.olderIncrBytes += oldSize;
    dir.manifest = m;
    job.log.info(`Creating AOF incr file ${incr.name} on background rewrite`);
  }

  /** The snapshot is in its temp file: it becomes the base, the old files history, then deleted. */
  private finish(job: RewriteJob, size: number): void {
    const log = job.log;
    const aof = this.aof;
    const dir = aof.dir;
    log.info(`Successfully created the temporary AOF base file ${path.basename(job.temp)}`);
    const complete = async (): Promise<void> => {
      if (this.job !== job || job.failed !== null) throw job.failed ?? new Cancelled();
      const m = dir.manifest.clone();
      const base = m.newBase(dir.prefix, job.suffix);
      await fsp.rename(job.temp, dir.file(base.name));
      log.info(`Successfully renamed the temporary AOF base file ${path.basename(job.temp)} into ${base.name}`);
      if (aof.state === 'wait-rewrite') {
        m.markRewrittenIncrAsHistory(false);
        const incr = m.newIncr(dir.prefix);
        await fsp.rename(dir.file(dir.tempIncrName), dir.file(incr.name));
        log.info(`Successfully renamed the temporary AOF incr file ${dir.tempIncrName} into ${incr.name}`);
      } else {
        m.markRewrittenIncrAsHistory(aof.state === 'on');
      }
      await dir.persist(m);
      dir.manifest = m;
      if (aof.state === 'wait-rewrite') aof.state = 'on';
      dir.baseFileSize = size;
      dir.olderIncrBytes = 0;
      this.rewriteBaseSize = aof.currentSize;
      // The rewrite is complete: files left over are removed at the next one, or at start-up.
      await dir.deleteHistory().catch((err: unknown) => log.warn(`Can't remove the AOF history files: ${strerror(err)}`));
      // Done (settled within this turn): replies held for the effects in the base go out,
      // unless it was cancelled meanwhile (the writer may be another one by now).
      if (this.job === job) aof.writer?.covered(job.covers);
    };
    const settle = (ok: boolean, err?: unknown): void => {
      if (this.job !== job) return;
      this.job = null;
      this.lastTimeSec = Math.floor((Date.now() - job.startedAt) / 1000);
      if (ok) this.broker.log.info('Background AOF rewrite finished successfully');
      else log.warn(`Background AOF rewrite failed: ${err instanceof Error ? err.message : String(err)}`);
      this.done(ok);
    };
    const run = (): Promise<void> => complete().then(() => settle(true), (err: unknown) => settle(false, err));
    // With an AOF being written, completion takes its turn among the writer's operations.
    if (aof.writer !== null) aof.writer.enqueue({ run });
    else void run();
  }

  /** Writing the snapshot failed, or the rewrite was cancelled (failed, if switching files had). */
  private fail(job: RewriteJob, err: unknown): void {
    if (this.job !== job) return;
    this.job = null;
    if (!(err instanceof Cancelled) || job.failed !== null) {
      job.log.warn(`Background AOF rewrite terminated with error: ${strerror(job.failed ?? err)}`);
      this.done(false);
    }
  }

  private done(ok: boolean): void {
    this.lastOk = ok;
    if (ok) {
      this.completed++;
      this.failures = 0;
      this.nextAutoRewriteAt = 0;
      return;
    }
    this.failures++;
    // Enabling the AOF keeps trying (redis-server retries from its cron).
    if (this.aof.state === 'wait-rewrite') {
      this.discardTempIncr();
      this.scheduled = true;
    }
    // A recovery is retried every second whatever the limit (which is reset when it succeeds).
    if (this.failures >= REWRITE_LIMIT_THRESHOLD && !this.aof.recovering) {
      const minutes = Math.min(60, 2 ** (this.failures - REWRITE_LIMIT_THRESHOLD));
      this.nextAutoRewriteAt = Date.now() + minutes * 60_000;
      this.broker.log.warn(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${minutes} minutes`);
    }
  }

  /**
   * While enabling the AOF, a rewrite that did not complete leaves a temporary
   * incremental file that only fits its own snapshot: the next attempt starts a new one.
   */
  private discardTempIncr(): void {
    const aof = this.aof;
    if (aof.state !== 'wait-rewrite' || aof.writer === null) return;
    const writer = aof.writer;
    aof.writer = null;
    const temp = aof.dir.file(aof.dir.tempIncrName);
    void writer.close().then(() => fsp.unlink(temp).catch(() => undefined));
  }
}
