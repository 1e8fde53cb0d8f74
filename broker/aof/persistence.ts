/**
 * Persistence for the broker: the append-only file (DESIGN.md decisions 5 and 6) and
 * snapshots (SAVE, BGSAVE, the `save` schedule, DEBUG RELOAD).
 *
 * The AOF is the stream of effects on disk, in redis-server 7's multi-part layout:
 * `<dir>/<appenddirname>/` holds a base file (a snapshot, engine/persist/snapshot.ts),
 * incremental files of RESP effects (resp-log.ts) and the manifest listing them
 * (manifest.ts). State, as redis-server's aof_state: 'off'; 'on'; or 'wait-rewrite'
 * while `CONFIG SET appendonly yes` writes the first base (effects meanwhile go to a
 * temporary incremental file that joins the manifest with that base).
 *
 * A rewrite (BGREWRITEAOF, automatic growth, enabling the AOF) needs no fork: at one
 * instant, between two effect units, it starts a point-in-time snapshot and the
 * writer switches to a new incremental file (listed in the manifest before anything
 * written to it counts as synced). The snapshot is written a slice at a time into a
 * temp file; then, in the writer's order of operations, the temp file becomes the
 * new base, the old base and incremental files become history in a new durable
 * manifest, and only then are they deleted. Every moment leaves a loadable set.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import type { Effect } from '../../engine/engine.js';
import { engineCommands } from '../../engine/commands/index.js';
import { snapshotBytes, SnapshotWriter } from '../../engine/persist/snapshot.js';
import type { Connection } from '../connection.js';
import type { Broker, ShutdownOptions } from '../server.js';
import { AofLoadError, loadAppendOnlyFiles } from './loader.js';
import { Manifest, ManifestError, persistManifest, persistManifestSync, readManifest } from './manifest.js';
import { EffectEncoder } from './resp-log.js';
import { Cancelled, writeFileDurablySync, writeSnapshotFile, type SnapshotJob } from './snapshot-file.js';
import { PersistenceStartError, Snapshots } from './snapshots.js';
import { strerror } from './strerror.js';
import { AofWriter, type FsyncPolicy } from './writer.js';

export { PersistenceStartError };

type AofState = 'off' | 'on' | 'wait-rewrite';

interface RewriteJob extends SnapshotJob {
  startedAt: number;
  temp: string;
  /** The new base's format, by its name's suffix: 'rdb' a snapshot, 'aof' RESP commands. */
  suffix: 'rdb' | 'aof';
  /** Set when switching to the new incremental file failed: the rewrite cannot complete. */
  failed: Error | null;
}

const TICK_MS = 100;
/** After this many failed rewrites in a row, automatic ones wait (redis-server's limit). */
const REWRITE_LIMIT_THRESHOLD = 3;
/** How long stopping waits for the AOF to be written and synced. */
const CLOSE_WAIT_MS = 5000;

/** Closes the writer (pending writes written and synced); false, and the file abandoned, if that takes too long. */
async function closeWithin(writer: AofWriter, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    writer.close().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!closed) writer.abandon();
  return closed;
}

export class Persistence {
  state: AofState = 'off';
  /** Absolute paths, fixed when the AOF starts (a later CONFIG SET dir does not move it). */
  private aofDir = '';
  private prefix = '';
  private manifest = new Manifest();
  writer: AofWriter | null = null;
  private readonly encoder = new EffectEncoder();
  /** True while the AOF itself is being loaded: its replay must not be appended again. */
  private loading = false;
  /** Byte sizes: the base file, incremental files before the current one (aof_current_size is their sum plus the current one). */
  private baseFileSize = 0;
  private olderIncrBytes = 0;
  /** aof_base_size: aof_current_size after the last rewrite or load. */
  private rewriteBaseSize = 0;
  private rewrite: RewriteJob | null = null;
  rewriteScheduled = false;
  private lastRewriteOk = true;
  private lastRewriteTimeSec = -1;
  private rewrites = 0;
  private rewriteFailures = 0;
  private nextAutoRewriteAt = 0;
  /** SAVE, BGSAVE and the snapshot file. */
  readonly snapshots: Snapshots;
  /** writer.appended after the last command a client ran (to tell which commands wrote). */
  private appendedMark = 0;
  /** Connections whose output waits for an fsync (appendfsync always). */
  private readonly held = new Set<Connection>();
  private timer: NodeJS.Timeout | null = null;
  private lastSecond = 0;
  private replayCommands: CommandTable<Client> | null = null;
  /** What diskError() returns, kept current on every status change (it is read on every write). */
  private denied: string | null = null;

  constructor(private readonly broker: Broker) {
    this.snapshots = new Snapshots(broker, () => this.refreshDiskError());
    broker.engine.onEffects((unit) => this.feed(unit));
    const config = broker.config;
    config.onChange('appendonly', (_, value) => this.setAppendOnly(value === 'yes'));
    config.onChange('appendfsync', (_, value) => {
      if (this.writer !== null) this.writer.policy = value as FsyncPolicy;
      // Replies held for an fsync under `always` get it now.
      for (const c of this.held) this.writer?.whenSynced(c.durableAt, () => this.release(c));
    });
    broker.shutdownHooks.push((options) => this.shutdown(options));
    config.onChange('save', () => this.refreshDiskError());
    config.onChange('stop-writes-on-bgsave-error', () => this.refreshDiskError());
  }

  // --- start and stop --------------------------------------------------------------

  /** Loads the dataset (the AOF when on, else the snapshot file) and opens the AOF; before clients. */
  start(): void {
    const config = this.broker.config;
    const saved = { ...this.broker.engine.stats };
    if (config.bool('appendonly')) {
      this.aofDir = path.join(config.get('dir'), config.get('appenddirname'));
      this.prefix = config.get('appendfilename');
      this.loadAof();
      try {
        this.openAtStart();
      } catch (err) {
        if (err instanceof PersistenceStartError) throw err;
        throw new PersistenceStartError(`Can't open or create the append-only files in ${this.aofDir}: ${strerror(err)}`);
      }
    } else {
      this.snapshots.loadAtStart();
    }
    Object.assign(this.broker.engine.stats, saved);
    this.snapshots.dirtyAtSave = this.broker.engine.dirty;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops the AOF (pending writes flushed and synced) and background work. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.cancelRewrite();
    this.snapshots.cancel();
    const writer = this.writer;
    this.writer = null;
    this.state = 'off';
    if (writer !== null && !(await closeWithin(writer, CLOSE_WAIT_MS))) {
      this.broker.log.warn('The AOF could not be written before stopping: the last writes are lost');
    }
    this.releaseAll();
  }

  private loadAof(): void {
    const log = this.broker.log;
    let manifest: Manifest | null;
    try {
      manifest = readManifest(this.aofDir, this.prefix);
    } catch (err) {
      if (err instanceof ManifestError) throw new PersistenceStartError(err.report());
      throw new PersistenceStartError(`Fatal error: can't open the AOF manifest ${this.prefix}.manifest for reading: ${strerror(err)}`);
    }
    if (manifest === null) {
      const orphans = this.aofFilesOnDisk();
      if (orphans.length > 0) {
        throw new PersistenceStartError(
          `The AOF directory ${this.aofDir} has AOF files (${orphans.join(', ')}) but no manifest ${this.prefix}.manifest: ` +
            'refusing to start with an empty dataset over them. Restore the manifest, or move the files away.',
        );
      }
      manifest = new Manifest();
    }
    this.manifest = manifest;
    this.removeTempFiles();
    if (!manifest.isEmpty) {
      this.warnUnlisted();
      const result = this.withLoading(() => {
        try {
          return loadAppendOnlyFiles(this.aofDir, manifest, {
            engine: this.broker.engine,
            commands: this.replayTable(),
            log,
            loadTruncated: this.broker.config.bool('aof-load-truncated'),
          });
        } catch (err) {
          if (err instanceof AofLoadError) throw new PersistenceStartError(err.message);
          throw err;
        }
      });
      this.snapshots.lastLoad = { loaded: result.keysLoaded, expired: result.keysExpired };
      this.baseFileSize = result.baseSize;
    }
    // History files a crash left behind are not needed by anything.
    for (const h of manifest.history) fs.rmSync(path.join(this.aofDir, h.name), { force: true });
    manifest.history = [];
  }

  /** Opens the last incremental file for appending, creating a base and/or incr as needed (aofOpenIfNeededOnServerStart). */
  private openAtStart(): void {
    const log = this.broker.log;
    fs.mkdirSync(this.aofDir, { recursive: true });
    const m = this.manifest;
    if (m.isEmpty) {
      const suffix = this.baseSuffix();
      const base = m.newBase(this.prefix, suffix);
      const bytes = snapshotBytes(this.broker.engine.dbs, Date.now(), suffix === 'rdb' ? 'snapshot' : 'resp');
      writeFileDurablySync(path.join(this.aofDir, base.name), path.join(this.aofDir, `temp-${base.name}`), bytes);
      this.baseFileSize = bytes.length;
      log.info(`Creating AOF base file ${base.name} on server start`);
    }
    const existing = m.incr.length > 0;
    const incr = existing ? m.incr[m.incr.length - 1] : m.newIncr(this.prefix);
    const file = path.join(this.aofDir, incr.name);
    const fd = fs.openSync(file, 'a', 0o644);
    persistManifestSync(this.aofDir, this.prefix, m);
    const size = fs.fstatSync(fd).size;
    this.olderIncrBytes = 0;
    for (const f of m.incr.slice(0, -1)) this.olderIncrBytes += fs.statSync(path.join(this.aofDir, f.name)).size;
    this.writer = this.newWriter(fd, size);
    this.state = 'on';
    this.rewriteBaseSize = this.currentSize;
    log.info(`${existing ? 'Opening' : 'Creating'} AOF incr file ${incr.name} on server start`);
  }

  /** aof-use-rdb-preamble: a snapshot base (named .rdb as redis-server names its RDB base), or RESP (.aof). */
  private baseSuffix(): 'rdb' | 'aof' {
    return this.broker.config.bool('aof-use-rdb-preamble') ? 'rdb' : 'aof';
  }

  private newWriter(fd: number, size: number): AofWriter {
    const writer = new AofWriter(fd, size, this.broker.config.get('appendfsync') as FsyncPolicy, this.broker.log);
    writer.onStatus = () => this.refreshDiskError();
    this.encoder.selectedDb = -1;
    this.appendedMark = 0;
    return writer;
  }

  /** The engine's commands, for replaying an AOF (built once, on first use). */
  private replayTable(): CommandTable<Client> {
    if (this.replayCommands === null) {
      this.replayCommands = new CommandTable<Client>();
      this.replayCommands.register(engineCommands);
    }
    return this.replayCommands;
  }

  private withLoading<T>(load: () => T): T {
    this.loading = true;
    try {
      return load();
    } finally {
      this.loading = false;
    }
  }

  /** Files named like this AOF's in its directory. */
  private aofFilesOnDisk(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.aofDir);
    } catch {
      return [];
    }
    return names.filter((n) => n.startsWith(`${this.prefix}.`) && /\.(base|incr)\.(rdb|aof)$/.test(n));
  }

  /** An incremental file on disk that the manifest does not list is not loaded: say so. */
  private warnUnlisted(): void {
    const listed = new Set([...this.manifest.loadList(), ...this.manifest.history].map((f) => f.name));
    for (const name of this.aofFilesOnDisk()) {
      if (!listed.has(name)) this.broker.log.warn(`AOF file ${name} is not listed in the manifest: it is not loaded`);
    }
  }

  private removeTempFiles(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.aofDir);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith('temp-')) fs.rmSync(path.join(this.aofDir, n), { force: true });
  }

  // --- effects and durability ----------------------------------------------------

  private feed(unit: Effect[]): void {
    const writer = this.writer;
    if (writer === null || this.loading) return;
    let effects = unit;
    // PUBLISH goes to replicas only, never to the AOF (as redis-server's PROPAGATE_REPL).
    for (const e of unit) {
      const name = e.argv[0];
      if ((name.length === 7 || name.length === 8) && /^s?publish$/i.test(name)) {
        effects = unit.filter((x) => !/^s?publish$/i.test(x.argv[0]));
        break;
      }
    }
    if (effects.length !== 0) writer.append(this.encoder.encode(effects));
  }

  /**
   * After each client command (dispatch): under `appendfsync always`, a command that
   * wrote, and the clients it woke, get their replies only once the AOF is synced
   * up to its effects.
   */
  afterCommand(c: Connection, woken: readonly Connection[]): void {
    const writer = this.writer;
    if (writer === null || writer.appended === this.appendedMark) return;
    this.appendedMark = writer.appended;
    if (this.state !== 'on' || writer.policy !== 'always') return;
    c.durableAt = writer.appended;
    for (const w of woken) w.durableAt = writer.appended;
  }

  /** Connection.flush: true when `c`'s output must wait for an fsync (it is flushed then). */
  holdOutput(c: Connection): boolean {
    // Infinity: held until whoever set it (DEBUG LOADAOF) lets go.
    if (c.durableAt === Infinity) return true;
    const writer = this.writer;
    if (writer === null || writer.synced >= c.durableAt) {
      c.durableAt = 0;
      return false;
    }
    if (!this.held.has(c)) {
      this.held.add(c);
      writer.whenSynced(c.durableAt, () => this.release(c));
    }
    return true;
  }

  private release(c: Connection): void {
    if (!this.held.delete(c)) return;
    c.flush();
  }

  private releaseAll(): void {
    for (const c of [...this.held]) {
      c.durableAt = 0;
      this.release(c);
    }
  }

  /** The -MISCONF error while writes cannot be persisted, else null (writeCommandsDeniedByDiskError). */
  diskError(): string | null {
    return this.denied;
  }

  /** Recomputes `denied` after a write, fsync or save succeeded or failed, or the rules changed. */
  private refreshDiskError(): void {
    this.denied = this.computeDiskError();
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
    return this.baseFileSize + this.olderIncrBytes + (this.writer?.fileSize ?? 0);
  }

  // --- turning the AOF on and off --------------------------------------------------

  private setAppendOnly(on: boolean): string | void {
    if (on === (this.state !== 'off')) return;
    if (!on) return void this.stopAppendOnly();
    const config = this.broker.config;
    this.aofDir = path.join(config.get('dir'), config.get('appenddirname'));
    this.prefix = config.get('appendfilename');
    try {
      fs.mkdirSync(this.aofDir, { recursive: true });
      this.manifest = readManifest(this.aofDir, this.prefix) ?? new Manifest();
    } catch (err) {
      this.broker.log.warn(`Can't open or create append-only dir ${this.aofDir}: ${strerror(err)}`);
      return 'Failed to start append only mode';
    }
    this.state = 'wait-rewrite';
    if (this.snapshotBusy) {
      this.rewriteScheduled = true;
      this.broker.log.warn('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
      return;
    }
    if (!this.startRewrite()) {
      this.state = 'off';
      return 'Failed to start append only mode';
    }
  }

  private stopAppendOnly(): void {
    this.cancelRewrite();
    this.rewriteScheduled = false;
    const writer = this.writer;
    this.writer = null;
    this.state = 'off';
    this.refreshDiskError();
    this.releaseAll();
    if (writer !== null) void writer.close();
  }

  // --- rewrite ---------------------------------------------------------------------

  /** True while a snapshot is being written (a rewrite or BGSAVE: one at a time). */
  get snapshotBusy(): boolean {
    return this.rewrite !== null || this.snapshots.job !== null;
  }

  get rewriting(): boolean {
    return this.rewrite !== null;
  }


  /** BGREWRITEAOF while a snapshot runs or inside EXEC: as soon as possible, limits reset. */
  scheduleRewrite(): void {
    this.rewriteScheduled = true;
    this.rewriteFailures = 0;
    this.nextAutoRewriteAt = 0;
  }

  /**
   * Starts a rewrite now; false if it could not start (logged). The caller has
   * checked that no snapshot is in progress and that no effect unit is open.
   */
  startRewrite(): boolean {
    const log = this.broker.log;
    const config = this.broker.config;
    if (this.state === 'off') {
      // BGREWRITEAOF with the AOF off: a base alone replaces whatever the directory holds.
      this.aofDir = path.join(config.get('dir'), config.get('appenddirname'));
      this.prefix = config.get('appendfilename');
      try {
        this.manifest = readManifest(this.aofDir, this.prefix) ?? new Manifest();
      } catch {
        this.manifest = new Manifest();
      }
    }
    const temp = path.join(this.aofDir, `temp-rewriteaof-bg-${process.pid}.aof`);
    try {
      fs.mkdirSync(this.aofDir, { recursive: true });
      if (this.state === 'wait-rewrite' && this.writer === null) {
        // Effects from this instant on go to a temporary incremental file.
        const fd = fs.openSync(path.join(this.aofDir, `temp-${this.prefix}.incr`), 'w', 0o644);
        this.writer = this.newWriter(fd, 0);
        log.info(`Creating AOF incr file temp-${this.prefix}.incr on background rewrite`);
      }
    } catch (err) {
      log.warn(`Can't open the append-only file: ${strerror(err)}`);
      this.rewriteDone(false);
      return false;
    }
    const suffix = this.baseSuffix();
    const snapshot = new SnapshotWriter(this.broker.engine.dbs, Date.now(), { format: suffix === 'rdb' ? 'snapshot' : 'resp' });
    const job: RewriteJob = { snapshot, cancelled: false, startedAt: Date.now(), temp, failed: null, suffix };
    this.rewrite = job;
    this.rewriteScheduled = false;
    if (this.state === 'on') {
      this.encoder.selectedDb = -1;
      this.writer!.enqueue({ run: (w) => this.switchIncr(w, job) });
    }
    log.info(`Background append only file rewriting started by pid ${process.pid}`);
    writeSnapshotFile(job, temp, 'AOF rewrite', log).then(
      (size) => this.finishRewrite(job, size),
      (err: unknown) => this.failRewrite(job, err),
    );
    return true;
  }

  /** Writer step at the rewrite instant: a new incremental file, listed in a durable manifest. */
  private async switchIncr(w: AofWriter, job: RewriteJob): Promise<void> {
    const m = this.manifest.clone();
    const incr = m.newIncr(this.prefix);
    let fd = -1;
    try {
      fd = await new Promise<number>((resolve, reject) =>
        fs.open(path.join(this.aofDir, incr.name), 'w', 0o644, (err, f) => (err ? reject(err) : resolve(f))),
      );
      await persistManifest(this.aofDir, this.prefix, m);
    } catch (err) {
      if (fd >= 0) fs.close(fd, () => undefined);
      job.failed = err as Error;
      job.cancelled = true;
      this.broker.log.warn(`Can't open the append-only file ${incr.name}: ${strerror(err)}`);
      return;
    }
    // Everything before the switch is in the old file: make it durable, then move on.
    const old = w.fd;
    const oldSize = w.fileSize;
    await w.syncNow().catch(() => undefined);
    fs.close(old, () => undefined);
    w.switchTo(fd);
    this.olderIncrBytes += oldSize;
    this.manifest = m;
    this.broker.log.info(`Creating AOF incr file ${incr.name} on background rewrite`);
  }

  private finishRewrite(job: RewriteJob, size: number): void {
    const log = this.broker.log;
    log.info(`Successfully created the temporary AOF base file ${path.basename(job.temp)}`);
    const complete = async (): Promise<void> => {
      if (this.rewrite !== job || job.failed !== null) throw job.failed ?? new Cancelled();
      const m = this.manifest.clone();
      const base = m.newBase(this.prefix, job.suffix);
      await fsp.rename(job.temp, path.join(this.aofDir, base.name));
      log.info(`Successfully renamed the temporary AOF base file ${path.basename(job.temp)} into ${base.name}`);
      if (this.state === 'wait-rewrite') {
        m.markRewrittenIncrAsHistory(false);
        const incr = m.newIncr(this.prefix);
        await fsp.rename(path.join(this.aofDir, `temp-${this.prefix}.incr`), path.join(this.aofDir, incr.name));
        log.info(`Successfully renamed the temporary AOF incr file temp-${this.prefix}.incr into ${incr.name}`);
      } else {
        m.markRewrittenIncrAsHistory(this.state === 'on');
      }
      await persistManifest(this.aofDir, this.prefix, m);
      this.manifest = m;
      if (this.state === 'wait-rewrite') this.state = 'on';
      this.baseFileSize = size;
      this.olderIncrBytes = 0;
      this.rewriteBaseSize = this.currentSize;
      await this.deleteHistory();
    };
    const settle = (ok: boolean, err?: unknown): void => {
      if (this.rewrite !== job) return;
      this.rewrite = null;
      this.lastRewriteTimeSec = Math.floor((Date.now() - job.startedAt) / 1000);
      if (ok) log.info('Background AOF rewrite finished successfully');
      else log.warn(`Background AOF rewrite failed: ${err instanceof Error ? err.message : String(err)}`);
      this.rewriteDone(ok);
    };
    const run = (): Promise<void> => complete().then(() => settle(true), (err: unknown) => settle(false, err));
    // With an AOF being written, completion takes its turn among the writer's operations.
    if (this.writer !== null) this.writer.enqueue({ run });
    else void run();
  }

  private failRewrite(job: RewriteJob, err: unknown): void {
    if (this.rewrite !== job) return;
    this.rewrite = null;
    if (!(err instanceof Cancelled) || job.failed !== null) {
      this.broker.log.warn(`Background AOF rewrite terminated with error: ${strerror(job.failed ?? err)}`);
      this.rewriteDone(false);
    }
  }

  private rewriteDone(ok: boolean): void {
    this.lastRewriteOk = ok;
    if (ok) {
      this.rewrites++;
      this.rewriteFailures = 0;
      return;
    }
    this.rewriteFailures++;
    // Enabling the AOF keeps trying (redis-server retries from its cron).
    if (this.state === 'wait-rewrite') {
      this.discardTempIncr();
      this.rewriteScheduled = true;
    }
    if (this.rewriteFailures >= REWRITE_LIMIT_THRESHOLD) {
      const minutes = Math.min(60, 2 ** (this.rewriteFailures - REWRITE_LIMIT_THRESHOLD));
      this.nextAutoRewriteAt = Date.now() + minutes * 60_000;
      this.broker.log.warn(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${minutes} minutes`);
    }
  }

  private cancelRewrite(): void {
    const job = this.rewrite;
    if (job === null) return;
    job.cancelled = true;
    this.rewrite = null;
    this.broker.log.info('Killing running AOF rewrite');
    this.discardTempIncr();
  }

  /**
   * While enabling the AOF, a rewrite that did not complete leaves a temporary
   * incremental file that only fits its own snapshot: the next attempt starts a new one.
   */
  private discardTempIncr(): void {
    if (this.state !== 'wait-rewrite' || this.writer === null) return;
    const writer = this.writer;
    this.writer = null;
    const temp = path.join(this.aofDir, `temp-${this.prefix}.incr`);
    void writer.close().then(() => fsp.unlink(temp).catch(() => undefined));
  }

  private async deleteHistory(): Promise<void> {
    if (this.manifest.history.length === 0) return;
    for (const h of this.manifest.history) {
      this.broker.log.info(`Removing the history file ${h.name} in the background`);
      await fsp.rm(path.join(this.aofDir, h.name), { force: true });
    }
    const m = this.manifest.clone();
    m.history = [];
    await persistManifest(this.aofDir, this.prefix, m);
    this.manifest = m;
  }

  // --- DEBUG RELOAD and LOADAOF -------------------------------------------------------

  /**
   * DEBUG LOADAOF: once every effect so far is written (`done` runs then; nothing else
   * may run meanwhile, the caller pauses clients), empties the dataset and loads the AOF.
   */
  whenWritten(done: () => void): void {
    const writer = this.writer;
    if (writer === null) return done();
    writer.enqueue({ run: async () => done() });
  }

  /** The load part of DEBUG LOADAOF; throws AofLoadError (fatal, as in redis-server). */
  loadAofNow(): void {
    const engine = this.broker.engine;
    const saved = { ...engine.stats };
    this.cancelRewrite();
    engine.flushAll();
    this.manifest = readManifest(this.aofDir, this.prefix) ?? new Manifest();
    this.withLoading(() => {
      const result = loadAppendOnlyFiles(this.aofDir, this.manifest, {
        engine,
        commands: this.replayTable(),
        log: this.broker.log,
        loadTruncated: this.broker.config.bool('aof-load-truncated'),
      });
      this.snapshots.lastLoad = { loaded: result.keysLoaded, expired: result.keysExpired };
    });
    Object.assign(engine.stats, saved);
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
      const snapshots = this.snapshots;
      if (this.rewriteScheduled && now >= this.nextAutoRewriteAt) this.startRewrite();
      else if (snapshots.scheduled) snapshots.startBgsave();
      else if (this.autoRewriteDue(now)) this.startRewrite();
      else if (snapshots.due(now)) snapshots.startBgsave();
    }
  }

  private autoRewriteDue(now: number): boolean {
    if (this.state !== 'on' || now < this.nextAutoRewriteAt) return false;
    const config = this.broker.config;
    const perc = config.int('auto-aof-rewrite-percentage');
    const size = this.currentSize;
    if (perc === 0 || size <= config.int('auto-aof-rewrite-min-size')) return false;
    const base = this.rewriteBaseSize === 0 ? 1 : this.rewriteBaseSize;
    const growth = Math.floor((size * 100) / base) - 100;
    if (growth < perc) return false;
    this.broker.log.info(`Starting automatic rewriting of AOF on ${growth}% growth`);
    return true;
  }

  // --- shutdown ------------------------------------------------------------------------

  private async shutdown(options: ShutdownOptions): Promise<string | null> {
    this.cancelRewrite();
    this.snapshots.cancel();
    const log = this.broker.log;
    if (options.save || (!options.nosave && this.broker.config.get('save') !== '')) {
      log.info('Saving the final RDB snapshot before exiting.');
      if (this.snapshots.save() !== null) return 'Error trying to save the DB, check the logs.';
    }
    const writer = this.writer;
    if (writer !== null) {
      log.info('Calling fsync() on the AOF file.');
      let timer: NodeJS.Timeout | undefined;
      const synced = await Promise.race([
        new Promise<boolean>((resolve) => writer.whenSynced(writer.appended, () => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      if (!synced && !options.force) return 'Error writing the AOF buffer before exiting: the disk does not accept writes.';
    }
    return null;
  }

  // --- INFO ------------------------------------------------------------------------------

  infoFields(): string[] {
    const now = Date.now();
    const rewrite = this.rewrite;
    const bgsave = this.snapshots.job;
    const writer = this.writer;
    const fields = [
      'loading:0',
      'async_loading:0',
      'current_cow_peak:0',
      'current_cow_size:0',
      'current_cow_size_age:0',
      'current_fork_perc:0.00',
      `current_save_keys_processed:${(rewrite ?? bgsave)?.snapshot.done ?? 0}`,
      `current_save_keys_total:${(rewrite ?? bgsave)?.snapshot.total ?? 0}`,
      ...this.snapshots.infoFields(now),
      `aof_enabled:${this.state === 'off' ? 0 : 1}`,
      `aof_rewrite_in_progress:${rewrite === null ? 0 : 1}`,
      `aof_rewrite_scheduled:${this.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastRewriteTimeSec}`,
      `aof_current_rewrite_time_sec:${rewrite === null ? -1 : Math.floor((now - rewrite.startedAt) / 1000)}`,
      `aof_last_bgrewrite_status:${this.lastRewriteOk ? 'ok' : 'err'}`,
      `aof_rewrites:${this.rewrites}`,
      `aof_rewrites_consecutive_failures:${this.rewriteFailures}`,
      `aof_last_write_status:${writer !== null && writer.writeError !== null ? 'err' : 'ok'}`,
      'aof_last_cow_size:0',
      'module_fork_in_progress:0',
      'module_fork_last_cow_size:0',
    ];
    if (this.state !== 'off' && writer !== null) {
      fields.push(
        `aof_current_size:${this.currentSize}`,
        `aof_base_size:${this.rewriteBaseSize}`,
        `aof_pending_rewrite:${this.rewriteScheduled ? 1 : 0}`,
        `aof_buffer_length:${writer.buffered}`,
        `aof_pending_bio_fsync:${writer.fsyncInProgress ? 1 : 0}`,
        `aof_delayed_fsync:${writer.delayedFsync}`,
      );
    }
    return fields;
  }
}
