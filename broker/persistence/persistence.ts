/**
 * Persistence for the broker: the append-only file (ARCHITECTURE.md, "The AOF and group
 * commit" and "Snapshots without fork") and snapshots (snapshots.ts: SAVE, BGSAVE, the
 * `save` schedule, DEBUG RELOAD).
 *
 * The AOF is the stream of effects on disk, in redis-server 7's multi-part layout
 * (aof-dir.ts): a base file, incremental files of RESP effects (resp-log.ts) appended
 * by the writer (writer.ts), and the manifest listing them. State, as redis-server's
 * aof_state: 'off'; 'on'; or 'wait-rewrite' while `CONFIG SET appendonly yes` writes
 * the first base (effects meanwhile go to a temporary incremental file that joins the
 * manifest with that base).
 *
 * This module coordinates: start-up (load, a slice at a time while clients get
 * -LOADING, see loading.ts; then open) and stop, effects into the writer,
 * turning the AOF on and off, DEBUG LOADAOF, the periodic tick that starts scheduled
 * and automatic work (one snapshot at a time: a rewrite or a BGSAVE), shutdown, the
 * -MISCONF state and INFO persistence. Rewrites are rewrites.ts's; holding replies
 * until the fsync covering them (group commit) is aof/group-commit.ts's.
 */
import fs from 'node:fs';
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import type { Effect } from '../../engine/engine.js';
import { engineCommands } from '../../engine/commands/index.js';
import { functionWriteCommands } from '../../engine/scripting/commands.js';
import type { Broker, ShutdownOptions } from '../server.js';
import { AofDir } from './aof/aof-dir.js';
import { GroupCommit } from './aof/group-commit.js';
import { FsyncFaults } from './aof/fsync-faults.js';
import { AofLoadError, appendOnlyFilesLoad, type LoadResult } from './loader.js';
import { Loading, PersistenceStartError, type Load } from './loading.js';
import { EffectEncoder } from './aof/resp-log.js';
import { Rewrites } from './aof/rewrites.js';
import { Snapshots } from './snapshots.js';
import { FullSyncs } from './full-sync.js';
import { strerror } from './strerror.js';
import { AofWriter, type FsyncPolicy } from './aof/writer.js';

/**
 * What persistence uses of the broker: the dataset, the parameters and the log (the
 * AOF's directory, rewrites and snapshots take no more than this either).
 */
export type PersistenceHost = Pick<Broker, 'config' | 'engine' | 'log'>;

export type AofState = 'off' | 'on' | 'wait-rewrite';

const TICK_MS = 100;
/** How long stopping waits for the AOF to be written and synced. */
const CLOSE_WAIT_MS = 5000;

/** True when `work` succeeds within `ms`, false when it fails or the time runs out first. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** Closes the writer (pending writes written and synced); false if they are not on disk (the file abandoned if that takes too long). */
async function closeWithin(writer: AofWriter, ms: number): Promise<boolean> {
  const synced = writer.close();
  if (await within(synced, ms)) return synced;
  writer.abandon();
  return false;
}

/** A unit's RESP as the AOF encoded it (Persistence.lastEncoded). */
export interface EncodedUnit {
  unit: readonly Effect[] | null;
  bytes: Buffer;
  from: number;
  to: number;
  /** The encoder's SELECT state before and after (the bytes are the stream's only from the same state). */
  dbBefore: number;
  dbAfter: number;
}

export class Persistence {
  state: AofState = 'off';
  /** Where the AOF's files are, their manifest and sizes. */
  readonly dir: AofDir;
  writer: AofWriter | null = null;
  /** Effects as RESP; its selectedDb is reset (-1) where a new file must begin with a SELECT. */
  readonly encoder = new EffectEncoder();
  /** The load of the dataset in progress (at start-up, DEBUG LOADAOF). */
  readonly loading: Loading;
  /** The dataset is loaded: start-up is over (until then a shutdown must not save). */
  private ready = false;
  /** SAVE, BGSAVE and the snapshot file. */
  readonly snapshots: Snapshots;
  /** BGREWRITEAOF, automatic rewrites, and the one that enables the AOF. */
  readonly rewrites: Rewrites;
  /** SYNC and PSYNC's payloads (full-sync.ts). */
  readonly fullSyncs: FullSyncs;
  /**
   * The position in a leader's stream the AOF loaded at start-up stands for (a follower
   * killed and restarted continues from it: broker/replication/follower.ts), else null.
   */
  recordedReplPosition: { replid: string; offset: number; db: number } | null = null;
  /**
   * Where the last unit's RESP lies in the AOF's buffer and the dbs its encoding began and
   * ended on, so that replication copies those bytes rather than encode the unit again
   * (broker/replication/replication.ts); `unit` is null when the AOF left part of it out.
   */
  readonly lastEncoded: EncodedUnit = { unit: null, bytes: Buffer.alloc(0), from: 0, to: 0, dbBefore: -1, dbAfter: -1 };
  /** Replies held until the fsync covering them (appendfsync always). */
  readonly groupCommit: GroupCommit;
  /** DEBUG AOF-FSYNC-FAIL: fsyncs of the AOF's files made to fail. */
  readonly fsyncFaults = new FsyncFaults();
  private timer: NodeJS.Timeout | null = null;
  private lastSecond = 0;
  private replayCommands: CommandTable<Client> | null = null;
  /** What diskError() returns, kept current on every status change (it is read on every write). */
  private denied: string | null = null;

  constructor(private readonly broker: PersistenceHost & Pick<Broker, 'shutdownHooks' | 'runId'>) {
    this.loading = new Loading(broker.engine, broker.config);
    this.snapshots = new Snapshots(broker, () => this.refreshDiskError());
    this.dir = new AofDir(broker, this.fsyncFaults);
    this.rewrites = new Rewrites(broker, this);
    this.fullSyncs = new FullSyncs(broker);
    this.groupCommit = new GroupCommit(this);
    broker.engine.onEffects((unit) => this.feed(unit));
    const config = broker.config;
    // During the start-up load the AOF is neither on nor off yet: `start` applies the value after it.
    config.onChange('appendonly', (_, value) => (this.ready ? this.setAppendOnly(value === 'yes') : undefined));
    config.onChange('appendfsync', (_, value) => {
      if (this.writer !== null) this.writer.policy = value as FsyncPolicy;
      this.groupCommit.policyChanged();
    });
    broker.shutdownHooks.push((options) => this.shutdown(options));
    config.onChange('save', () => this.refreshDiskError());
    config.onChange('stop-writes-on-bgsave-error', () => this.refreshDiskError());
  }

  // --- start and stop --------------------------------------------------------------

  /**
   * Loads the dataset (the AOF when on, else the snapshot file) a slice at a time, the
   * broker answering clients meanwhile (`loading.begin()` was called before it
   * listened), then opens the AOF: nothing is appended before the load is done.
   * Rejects with PersistenceStartError, or LoadCancelled when a shutdown stopped the load.
   */
  async start(): Promise<void> {
    const config = this.broker.config;
    try {
      if (config.bool('appendonly')) {
        this.dir.locate();
        await this.loadAof();
        this.openAtStart();
      } else {
        const load = this.snapshots.loadAtStart();
        if (load !== null) await this.loading.runSliced(load);
      }
    } finally {
      this.loading.end();
    }
    // engine.dirty keeps the changes the AOF replayed: as in redis-server they count as
    // not saved (rdb_changes_since_last_save) until the next save.
    this.ready = true;
    const wanted = config.bool('appendonly');
    if (wanted !== (this.state !== 'off')) this.setAppendOnly(wanted);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private openAtStart(): void {
    try {
      const { fd, size } = this.dir.openAtStart();
      this.writer = this.newWriter(fd, size);
    } catch (err) {
      if (err instanceof PersistenceStartError) throw err;
      throw new PersistenceStartError(`Can't open or create the append-only files in ${this.dir.path}: ${strerror(err)}`);
    }
    this.state = 'on';
    this.rewrites.rewriteBaseSize = this.dir.baseFileSize;
  }

  /** Stops the AOF (pending writes flushed and synced) and background work. */
  async stop(): Promise<void> {
    this.loading.cancel();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.rewrites.cancel();
    this.snapshots.cancel();
    this.fullSyncs.cancel();
    const writer = this.writer;
    this.writer = null;
    this.state = 'off';
    if (writer !== null && !(await closeWithin(writer, CLOSE_WAIT_MS))) {
      this.broker.log.warn('The AOF could not be written and synced before stopping: the last writes may be lost');
    }
    this.groupCommit.releaseAll();
  }

  private async loadAof(): Promise<void> {
    const manifest = this.dir.readAtStart();
    if (!manifest.isEmpty) {
      this.dir.warnUnlisted();
      try {
        this.loaded(await this.loading.runSliced(this.aofLoad()));
      } catch (err) {
        if (err instanceof AofLoadError) throw new PersistenceStartError(err.message);
        throw err;
      }
    }
    this.dir.removeHistorySync();
  }

  /** The load of the files the manifest lists; throws AofLoadError (also from its steps). */
  private aofLoad(): Load<LoadResult> {
    return appendOnlyFilesLoad(this.dir.path, this.dir.manifest, {
      engine: this.broker.engine,
      commands: this.replayTable(),
      log: this.broker.log,
      loadTruncated: this.broker.config.bool('aof-load-truncated'),
    });
  }

  /** After the AOF is loaded: keys loaded, and the sizes aof_current_size and aof_base_size start from. */
  private loaded(result: LoadResult): void {
    const position = result.replPosition;
    this.recordedReplPosition = position === null ? null : { replid: position.replid, offset: position.offset, db: position.db };
    this.snapshots.lastLoad = { loaded: result.keysLoaded, expired: result.keysExpired };
    this.dir.baseFileSize = result.baseSize;
  }

  /** The engine's commands, for replaying an AOF (built once, on first use). */
  private replayTable(): CommandTable<Client> {
    if (this.replayCommands === null) {
      this.replayCommands = new CommandTable<Client>();
      this.replayCommands.register(engineCommands);
      // Function libraries are data: FUNCTION LOAD/DELETE/FLUSH/RESTORE replay too.
      this.replayCommands.register(functionWriteCommands);
    }
    return this.replayCommands;
  }

  /** A writer appending to `fd` (`size` bytes so far) under the configured appendfsync. */
  newWriter(fd: number, size: number): AofWriter {
    const writer = new AofWriter(fd, size, this.broker.config.get('appendfsync') as FsyncPolicy, this.broker.log, this.fsyncFaults);
    writer.onStatus = () => this.refreshDiskError();
    this.encoder.selectedDb = -1;
    this.groupCommit.newWriter();
    return writer;
  }

  // --- effects ---------------------------------------------------------------------

  private feed(unit: Effect[]): void {
    const writer = this.writer;
    // What the AOF's own replay does (DEBUG LOADAOF) is in it already.
    if (writer === null || this.loading.active) return;
    let effects = unit;
    // PUBLISH goes to replicas only, never to the AOF (as redis-server's PROPAGATE_REPL).
    for (const e of unit) {
      const name = e.argv[0];
      if (typeof name === 'string' && (name.length === 7 || name.length === 8) && /^s?publish$/i.test(name)) {
        effects = unit.filter((x) => typeof x.argv[0] !== 'string' || !/^s?publish$/i.test(x.argv[0]));
        break;
      }
    }
    if (effects.length === 0) return;
    const out = writer.tail();
    const before = out.length;
    const last = this.lastEncoded;
    last.dbBefore = this.encoder.selectedDb;
    this.encoder.encode(effects, out);
    writer.added(out.length - before);
    last.unit = effects === unit ? unit : null;
    last.bytes = out.bytes;
    last.from = before;
    last.to = out.length;
    last.dbAfter = this.encoder.selectedDb;
  }

  // --- status ------------------------------------------------------------------------

  /** The -MISCONF error while writes cannot be persisted, else null (writeCommandsDeniedByDiskError). */
  diskError(): string | null {
    return this.denied;
  }

  /** Recomputes `denied` after a write, fsync or save succeeded or failed, or the rules changed. */
  private refreshDiskError(): void {
    this.denied = this.computeDiskError();
    this.groupCommit.statusChanged();
  }

  private computeDiskError(): string | null {
    const config = this.broker.config;
    if (!this.snapshots.lastOk && config.get('save') !== '' && config.bool('stop-writes-on-bgsave-error')) {
      return (
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
        'Commands that may modify the data set are disabled, because this instance is configured to report errors ' +
        'during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs ' +
        'for details about the RDB error.'
      );
    }
    const writer = this.writer;
    if (this.state === 'off' || writer === null) return null;
    const error = writer.writeError ?? writer.fsyncError;
    return error === null ? null : `MISCONF Errors writing to the AOF file: ${error}`;
  }

  /** aof_current_size. */
  get currentSize(): number {
    return this.dir.baseFileSize + this.dir.olderIncrBytes + (this.writer?.fileSize ?? 0);
  }

  /** After a failed fsync, until a rewrite has covered it (writer.ts). */
  get recovering(): boolean {
    return this.writer !== null && this.writer.fsyncError !== null;
  }

  /** True while a snapshot is being written (a rewrite, BGSAVE or a full resync: one at a time). */
  get snapshotBusy(): boolean {
    return this.rewrites.job !== null || this.snapshots.job !== null || this.fullSyncs.job !== null;
  }

  // --- turning the AOF on and off --------------------------------------------------

  private setAppendOnly(on: boolean): string | void {
    if (on === (this.state !== 'off')) return;
    if (!on) return void this.stopAppendOnly();
    const dir = this.dir;
    dir.locate();
    try {
      fs.mkdirSync(dir.path, { recursive: true });
      dir.readManifest();
    } catch (err) {
      this.broker.log.warn(`Can't open or create append-only dir ${dir.path}: ${strerror(err)}`);
      return 'Failed to start append only mode';
    }
    this.state = 'wait-rewrite';
    if (this.snapshotBusy) {
      this.rewrites.scheduled = true;
      this.broker.log.warn('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
      return;
    }
    if (!this.rewrites.start()) {
      this.state = 'off';
      return 'Failed to start append only mode';
    }
  }

  private stopAppendOnly(): void {
    this.rewrites.cancel();
    this.rewrites.scheduled = false;
    const writer = this.writer;
    this.writer = null;
    this.state = 'off';
    this.refreshDiskError();
    this.groupCommit.releaseAll();
    if (writer !== null) void writer.close();
  }

  /**
   * An annotation line (`#<text>`) after the effects so far, skipped by every loader (a
   * follower records its position in its leader's stream this way: follower.ts).
   */
  annotate(text: string): void {
    const writer = this.writer;
    if (writer === null || this.loading.active) return;
    const out = writer.tail();
    const before = out.length;
    out.raw(Buffer.from(`#${text}\r\n`, 'latin1'));
    writer.added(out.length - before);
  }

  // --- a follower's full resync ---------------------------------------------------------

  /**
   * Before a follower replaces its dataset with its leader's: the AOF stops (the files
   * keep the old dataset whole), as redis-server's readSyncBulkPayload. Returns whether
   * it was on, to be started again with `resumeAofAfterSync`.
   */
  suspendAofForSync(): boolean {
    if (this.state === 'off') return false;
    this.stopAppendOnly();
    return true;
  }

  /** After the load: the AOF starts again with a rewrite of the new dataset (restartAOFAfterSYNC). */
  resumeAofAfterSync(): void {
    const error = this.setAppendOnly(true);
    if (error !== undefined) this.broker.log.warn(`Failed enabling the AOF after successful master synchronization! ${error}`);
  }

  // --- DEBUG LOADAOF -----------------------------------------------------------------

  /**
   * DEBUG LOADAOF: once every effect so far is written (`done` runs then; nothing else
   * may run meanwhile, the caller pauses clients), empties the dataset and loads the AOF.
   */
  whenWritten(done: () => void): void {
    const writer = this.writer;
    if (writer === null) return done();
    writer.enqueue({ run: async () => done() });
  }

  /**
   * The load part of DEBUG LOADAOF, at once (every effect so far is written); throws
   * AofLoadError (fatal, as in redis-server). The file sizes are measured again, as the
   * files may have changed on disk.
   */
  loadAofNow(): void {
    const engine = this.broker.engine;
    this.rewrites.cancel();
    engine.flushAll();
    this.dir.readManifest();
    this.loaded(this.loading.runNow(this.aofLoad()));
    this.dir.measureOlderIncr();
    this.writer?.measure();
    this.rewrites.rewriteBaseSize = this.dir.baseFileSize;
    // Nothing changed that is not on disk (redis-server: server.dirty = 0).
    this.snapshots.dirtyAtSave = engine.dirty;
    this.broker.log.warn('Append Only File loaded by DEBUG LOADAOF');
  }

  // --- periodic work -----------------------------------------------------------------

  private tick(): void {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second === this.lastSecond) return;
    this.lastSecond = second;
    this.writer?.tick();
    if (!this.snapshotBusy) {
      const { snapshots, rewrites } = this;
      // After a failed fsync only a rewrite makes the AOF trustworthy again: retried every second.
      if (this.recovering) rewrites.recover(now);
      else if (this.fullSyncs.pending) this.fullSyncs.startNext();
      else if (rewrites.scheduledDue(now)) rewrites.start();
      else if (snapshots.scheduled) snapshots.startBgsave();
      else if (rewrites.autoDue(now)) rewrites.start();
      else if (snapshots.due(now)) snapshots.startBgsave();
    }
  }

  // --- shutdown ------------------------------------------------------------------------

  private async shutdown(options: ShutdownOptions): Promise<string | null> {
    if (!this.ready) {
      // During the start-up load (SHUTDOWN, a signal) the load stops, and there is no
      // final save, as redis-server: it would replace the files with part of the dataset.
      this.loading.cancel();
      return null;
    }
    // A rewrite recovering from a failed fsync is what the wait below is for.
    if (!this.recovering) this.rewrites.cancel();
    this.snapshots.cancel();
    this.fullSyncs.cancel();
    const log = this.broker.log;
    if (options.save || (!options.nosave && this.broker.config.get('save') !== '')) {
      log.info('Saving the final RDB snapshot before exiting.');
      if (this.snapshots.save() !== null) return 'Error trying to save the DB, check the logs.';
    }
    const writer = this.writer;
    if (writer !== null) {
      log.info('Calling fsync() on the AOF file.');
      const synced = await within(new Promise<void>((resolve) => writer.whenSynced(writer.appended, resolve)), CLOSE_WAIT_MS);
      if (!synced && !options.force) return 'Error writing the AOF buffer before exiting: the disk does not accept writes.';
    }
    return null;
  }

  // --- INFO ------------------------------------------------------------------------------

  infoFields(): string[] {
    const now = Date.now();
    const snapshot = (this.rewrites.job ?? this.snapshots.job)?.snapshot;
    const writer = this.writer;
    const fields = [
      `loading:${this.loading.active ? 1 : 0}`,
      'async_loading:0',
      'current_cow_peak:0',
      'current_cow_size:0',
      'current_cow_size_age:0',
      'current_fork_perc:0.00',
      `current_save_keys_processed:${snapshot?.done ?? 0}`,
      `current_save_keys_total:${snapshot?.total ?? 0}`,
      ...this.snapshots.infoFields(now),
      `aof_enabled:${this.state === 'off' ? 0 : 1}`,
      ...this.rewrites.infoFields(now),
      `aof_last_write_status:${writer !== null && (writer.writeError ?? writer.fsyncError) !== null ? 'err' : 'ok'}`,
      'aof_last_cow_size:0',
      'module_fork_in_progress:0',
      'module_fork_last_cow_size:0',
    ];
    // By the setting, as redis-server (aof_enabled above is the state: 0 during the start-up load).
    if (this.broker.config.bool('appendonly')) {
      fields.push(
        `aof_current_size:${this.currentSize}`,
        `aof_base_size:${this.rewrites.rewriteBaseSize}`,
        `aof_pending_rewrite:${this.rewrites.scheduled ? 1 : 0}`,
        `aof_buffer_length:${writer?.buffered ?? 0}`,
        `aof_pending_bio_fsync:${writer?.fsyncInProgress === true ? 1 : 0}`,
        `aof_delayed_fsync:${writer?.delayedFsync ?? 0}`,
      );
    }
    fields.push(...this.loading.infoFields());
    return fields;
  }
}
