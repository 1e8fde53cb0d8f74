/**
 * Snapshots of the dataset in `<dir>/<dbfilename>`, Redis RDB files
 * (engine/persist/snapshot.ts) that redis-server loads and writes: SAVE
 * (blocking, as redis-server's), BGSAVE (a slice at a time, as an AOF rewrite), the
 * `save <seconds> <changes>` schedule, loading at start when the AOF is off, DEBUG
 * RELOAD, and the rdb_* fields of INFO persistence. One point-in-time snapshot runs at
 * a time across BGSAVE and AOF rewrites (persistence.ts decides when one may start).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '../../engine/persist/bytes.js';
import { loadSnapshot, snapshotPieces, snapshotLoadSteps, SnapshotWriter } from '../../engine/persist/snapshot.js';
import type { PersistenceHost } from './persistence.js';
import { PersistenceStartError, type Load, type LoadSteps } from './loading.js';
import { Cancelled, rdbInfo, readWholeSync, writeFileDurablySync, writeSnapshotFile, type SnapshotJob } from './snapshot-file.js';
import { strerror } from './strerror.js';

export interface SaveJob extends SnapshotJob {
  startedAt: number;
}

/** A failed scheduled save waits this long before the next try (redis-server's CONFIG_BGSAVE_RETRY_DELAY). */
const RETRY_DELAY_MS = 5000;

export class Snapshots {
  /** The BGSAVE in progress. */
  job: SaveJob | null = null;
  /** BGSAVE SCHEDULE (or a BGSAVE inside EXEC): starts when no other snapshot runs. */
  scheduled = false;
  /** Unix time of the last successful save (LASTSAVE); the start time until then. */
  lastSave = Math.floor(Date.now() / 1000);
  /** rdb_last_bgsave_status. */
  lastOk = true;
  /** engine.dirty at the last successful save (rdb_changes_since_last_save is the difference). */
  dirtyAtSave = 0;
  /** Keys loaded and skipped as expired by the last load (AOF or snapshot). */
  lastLoad = { loaded: 0, expired: 0 };
  private lastTry = 0;
  private lastTimeSec = -1;
  private saves = 0;

  constructor(
    private readonly broker: PersistenceHost,
    /** Called when the last save's status changes (it may deny writes: -MISCONF). */
    private readonly onStatus: () => void,
  ) {}

  path(): string {
    return path.join(this.broker.config.get('dir'), this.broker.config.get('dbfilename'));
  }

  /** With the AOF off: the load of the snapshot file, null when there is none. */
  loadAtStart(): Load<void> | null {
    const file = this.path();
    let bytes: Buffer;
    try {
      bytes = readWholeFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new PersistenceStartError(`Fatal error loading the DB: ${strerror(err)}. Exiting.`);
    }
    return { totalBytes: bytes.length, steps: this.loadSteps(file, bytes) };
  }

  private *loadSteps(file: string, bytes: Buffer): LoadSteps<void> {
    const started = performance.now();
    try {
      const loaded = yield* snapshotLoadSteps(this.broker.engine.dbs, bytes, { now: Date.now() });
      this.lastLoad = { loaded: loaded.keys, expired: loaded.expired };
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      throw new PersistenceStartError(`Error reading the snapshot file ${file} at offset ${err.offset}: ${err.message}. Exiting.`);
    }
    const log = this.broker.log;
    log.info(`Done loading RDB, keys loaded: ${this.lastLoad.loaded}, keys expired: ${this.lastLoad.expired}.`);
    log.info(`DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  }

  /** SAVE: the dataset to the file, at once. Returns the error reply ('ERR') or null. */
  save(): string | null {
    const file = this.path();
    const started = performance.now();
    this.lastTry = Date.now();
    const temp = `temp-${process.pid}.rdb`;
    try {
      const bytes = snapshotPieces(this.broker.engine.dbs, Date.now(), 'snapshot', rdbInfo(false));
      writeFileDurablySync(file, path.join(path.dirname(file), temp), bytes);
    } catch (err) {
      this.broker.log.warn(`Failed opening the temp RDB file ${temp} (in server root dir ${path.dirname(file)}) for saving: ${strerror(err)}`);
      this.setOk(false);
      return 'ERR';
    }
    this.saved(Date.now(), this.broker.engine.dirty);
    this.broker.log.info(`DB saved on disk (${((performance.now() - started) / 1000).toFixed(3)} seconds)`);
    return null;
  }

  /** BGSAVE: the same, written a slice at a time while clients are served. */
  startBgsave(): void {
    const log = this.broker.log;
    const file = this.path();
    const temp = path.join(path.dirname(file), `temp-${process.pid}.rdb`);
    const job: SaveJob = { snapshot: new SnapshotWriter(this.broker.engine.dbs, Date.now(), { info: rdbInfo(false) }), cancelled: false, startedAt: Date.now() };
    const dirty = this.broker.engine.dirty;
    this.job = job;
    this.scheduled = false;
    this.lastTry = Date.now();
    log.info(`Background saving started by pid ${process.pid}`);
    writeSnapshotFile(job, temp, 'Background save', log)
      .then(async () => {
        await fsp.rename(temp, file);
        log.info('DB saved on disk');
      })
      .then(
        () => {
          this.job = null;
          this.lastTimeSec = Math.floor((Date.now() - job.startedAt) / 1000);
          this.saved(Date.now(), dirty);
          log.info('Background saving terminated with success');
        },
        (err: unknown) => {
          this.job = null;
          if (err instanceof Cancelled) return;
          this.lastTimeSec = Math.floor((Date.now() - job.startedAt) / 1000);
          this.setOk(false);
          log.warn(`Background saving error: ${strerror(err)}`);
        },
      );
  }

  /** Stops a BGSAVE in progress (shutdown). */
  cancel(): void {
    if (this.job !== null) this.job.cancelled = true;
  }

  /** DEBUG RELOAD: save, empty the dataset, load the file back. Returns an error text or null. */
  reload(save: boolean, flush: boolean): string | null {
    const file = this.path();
    if (save && this.save() !== null) return 'Error trying to save the DB, check the logs.';
    const failed = 'Error trying to load the RDB dump, check server logs.';
    let bytes: Buffer;
    try {
      bytes = readWholeFile(file);
    } catch (err) {
      this.broker.log.warn(`Fatal error loading the DB: ${strerror(err)}.`);
      return failed;
    }
    const engine = this.broker.engine;
    // Emptying and loading are not changes (rdb_changes_since_last_save), as redis-server's
    // emptyData and rdbLoad leave server.dirty alone.
    if (flush) engine.flushAll();
    try {
      const loaded = loadSnapshot(engine.dbs, bytes, { now: Date.now() });
      this.lastLoad = { loaded: loaded.keys, expired: loaded.expired };
    } catch (err) {
      this.broker.log.warn(`Error reading the snapshot file ${file}: ${(err as Error).message}`);
      return failed;
    }
    this.broker.log.info('DB reloaded by DEBUG RELOAD');
    return null;
  }

  /** The `save <seconds> <changes>` schedule says a BGSAVE is due (a failed one retries after 5 s). */
  due(now: number): boolean {
    const params = this.broker.config.get('save');
    if (params === '') return false;
    if (!this.lastOk && now - this.lastTry < RETRY_DELAY_MS) return false;
    const changes = this.broker.engine.dirty - this.dirtyAtSave;
    const n = params.split(' ').map(Number);
    for (let i = 0; i + 1 < n.length; i += 2) {
      if (changes >= n[i + 1] && now - this.lastSave * 1000 >= n[i] * 1000) {
        this.broker.log.info(`${n[i + 1]} changes in ${n[i]} seconds. Saving...`);
        return true;
      }
    }
    return false;
  }

  /** INFO persistence, from rdb_changes_since_last_save to rdb_last_load_keys_loaded. */
  infoFields(now: number): string[] {
    const job = this.job;
    return [
      `rdb_changes_since_last_save:${this.broker.engine.dirty - this.dirtyAtSave}`,
      `rdb_bgsave_in_progress:${job === null ? 0 : 1}`,
      `rdb_last_save_time:${this.lastSave}`,
      `rdb_last_bgsave_status:${this.lastOk ? 'ok' : 'err'}`,
      `rdb_last_bgsave_time_sec:${this.lastTimeSec}`,
      `rdb_current_bgsave_time_sec:${job === null ? -1 : Math.floor((now - job.startedAt) / 1000)}`,
      `rdb_saves:${this.saves}`,
      'rdb_last_cow_size:0',
      `rdb_last_load_keys_expired:${this.lastLoad.expired}`,
      `rdb_last_load_keys_loaded:${this.lastLoad.loaded}`,
    ];
  }

  private saved(at: number, dirty: number): void {
    this.lastSave = Math.floor(at / 1000);
    this.saves++;
    this.dirtyAtSave = dirty;
    this.setOk(true);
  }

  private setOk(ok: boolean): void {
    this.lastOk = ok;
    this.onStatus();
  }
}

/** A file's bytes in one Buffer, over 2 GB too (see readWholeSync). */
function readWholeFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    return readWholeSync(fd, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
}
