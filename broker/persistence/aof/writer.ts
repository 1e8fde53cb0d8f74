/**
 * The append-only file writer: effects are encoded as RESP into `tail()` and reach the
 * current incremental file with one write(2) per event-loop turn, at the end of the turn, as
 * redis-server writes its AOF buffer before sleeping. A write to the page cache takes
 * microseconds; fsyncs, which wait for the disk, run off the event loop (libuv's
 * thread pool), as redis-server's background fsync does.
 *
 * Counters are logical byte offsets over the whole stream of effects, across files:
 * `appended` (handed to the writer), `written` (write(2) returned) and `synced`
 * (durable: fsync returned, in a file the durable manifest lists, with nothing
 * untrusted before it). Under `appendfsync always`
 * callers wait for `synced` to pass their offset (`whenSynced`): every client whose
 * write is in the file when an fsync starts shares it (group commit), and writes go
 * on while it runs. An fsync starts once a turn adds no more writes (`gathering`):
 * while clients keep writing, each turn's writes join the coming fsync rather than
 * costing one each. A second fsync may start before the first returns, so that a
 * write need not wait for a whole fsync it missed before its own starts; a success
 * counts once neither is running (see `fsyncDone`). Under `everysec` an fsync
 * starts at most once a second; while one runs, writes are postponed for up to two
 * seconds and then done anyway, counted in `delayedFsync` (redis-server's
 * aof_delayed_fsync), because a write can stall behind an fsync of the same file.
 *
 * Control steps (switching to a new incremental file, closing) run in order with
 * the writes, once nothing before them is unwritten and no fsync runs. A failed
 * write keeps its bytes (a short write is cut back with ftruncate first) and is
 * retried every second; meanwhile `writeError` is set and the broker refuses writes
 * with -MISCONF.
 *
 * A failed fsync is not retried: Linux may have dropped the dirty pages it could not
 * write, or marked them clean, and a later fsync of the file can then succeed without
 * them (PostgreSQL's "fsyncgate"). The current file is no longer trusted: `fsyncError`
 * is set (-MISCONF again) and `synced` stops, so replies held for it stay held,
 * until a rewrite from memory (rewrites.ts) has made a new base durable and moved the
 * writer to a new file (`covered`).
 */
import { DurationHistogram } from '../../../engine/stream-stats.js';
import fs from 'node:fs';
import type { Logger } from '../../log.js';
import type { FsyncFaults } from './fsync-faults.js';
import { RespBuffer } from './resp-log.js';
import { strerror } from '../strerror.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/**
 * open(2) flags of a new file for the writer (as redis-server's): O_APPEND, so that
 * after a short write is cut back with ftruncate the next write lands at the new end
 * rather than past a hole of zeros that would make the file unloadable.
 */
export const NEW_APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;

/** A step that needs the file quiet: everything before it written, no fsync running. */
export interface Control {
  run(writer: AofWriter): Promise<void>;
}

const RETRY_MS = 1000;
/** redis-server logs a write error at most once every this many seconds. */
const ERROR_LOG_EVERY_MS = 30_000;
/** How long everysec postpones writes behind a running fsync (redis-server's 2 s). */
const POSTPONE_MAX_MS = 2000;
/** Buckets of the fsync duration histogram, in seconds: 0.1 ms to 10 s. */
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** fsyncs in flight at once under `always` (each takes a thread of libuv's pool of 4). */
const MAX_FSYNCS = 2;
/**
 * The longest an fsync under `always` waits for more writes to join it: about one
 * fsync of this kind of disk, beyond which waiting costs more latency than it saves.
 */
const GATHER_MAX_MS = 0.5;

export class AofWriter {
  appended = 0;
  written = 0;
  synced = 0;
  /** Bytes in the current incremental file (where a short write is cut back to). */
  fileSize: number;
  /** aof_delayed_fsync. */
  delayedFsync = 0;
  /** How long fsyncs took (the metrics' histogram, broker/http/). */
  readonly fsyncTimes = new DurationHistogram(FSYNC_BUCKETS);
  /** The last write error as strerror text, until a retry succeeds. */
  writeError: string | null = null;
  /** The last fsync error as strerror text, until a rewrite has covered it (`covered`). */
  fsyncError: string | null = null;
  /** Called when a write or fsync fails or recovers, so the broker can update its state. */
  onStatus: (() => void) | null = null;

  /** Bytes to write and control steps, in order. */
  private queue: (RespBuffer | Control)[] = [];
  /** An emptied buffer, kept for the next bytes (one buffer serves turn after turn). */
  private spare: RespBuffer | null = new RespBuffer();
  /** fsyncs in flight, and the offset the latest one started will make durable. */
  private syncing = 0;
  private syncTarget = 0;
  /** How far the current file is on disk (an offset in the stream, as `synced`). */
  private fileSynced = 0;
  /** The furthest target of fsyncs that succeeded while another still runs (see fsyncDone). */
  private succeeded = 0;
  /** An fsync of the current file failed: nothing in it counts as durable any more. */
  private broken = false;
  private controlling = false;
  /** everysec: when writes started waiting for the running fsync; 0 when they are not. */
  private postponedSince = 0;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastErrorLog = 0;
  private waiters: { target: number; done: () => void }[] = [];
  private closed = false;
  /** Set by `whenSynced` under everysec/no: sync as soon as the file is written. */
  private forceSync = false;
  /** The retry timer fired: one write may be tried despite the error state. */
  private retryNow = false;
  /** always: `appended` when the last turn ended, and when the current gathering began (0: none). */
  private gatherMark = 0;
  private gatherSince = 0;
  /** DEBUG AOF-FSYNC-HOLD: fsync completions wait here until released (tests of group commit). */
  private fsyncHeld: (() => void)[] | null = null;

  constructor(
    public fd: number,
    fileSize: number,
    public policy: FsyncPolicy,
    private readonly log: Logger,
    private readonly faults: FsyncFaults,
  ) {
    this.fileSize = fileSize;
  }

  /** aof_buffer_length: bytes appended and not yet written. */
  get buffered(): number {
    return this.appended - this.written;
  }

  /** A write or fsync error is unresolved (-MISCONF). */
  get failing(): boolean {
    return this.writeError !== null || this.fsyncError !== null;
  }

  /** aof_pending_bio_fsync. */
  get fsyncInProgress(): boolean {
    return this.syncing > 0;
  }

  /** Where new effects are encoded: after everything queued. Report them with `added`. */
  tail(): RespBuffer {
    const q = this.queue;
    const last = q[q.length - 1];
    if (last instanceof RespBuffer) return last;
    const out = this.spare ?? new RespBuffer();
    this.spare = null;
    q.push(out);
    return out;
  }

  /** `n` bytes were encoded into `tail()`; they are written at the end of this event-loop turn. */
  added(n: number): void {
    if (n === 0) return;
    this.appended += n;
    this.schedule();
  }

  /** Runs `control` once everything queued before it is written and no fsync runs. */
  enqueue(control: Control): void {
    this.queue.push(control);
    this.schedule();
  }

  /** Calls `done` once `synced` reaches `target` (immediately if it has). */
  whenSynced(target: number, done: () => void): void {
    if (this.synced >= target) return done();
    this.waiters.push({ target, done });
    // Under everysec/no nothing else would start an fsync for it.
    if (this.policy !== 'always') {
      this.forceSync = true;
      this.schedule();
    }
  }

  /** Called once a second: everysec's fsync, and postponed writes. */
  tick(): void {
    if (this.policy === 'everysec' && this.written > this.fileSynced) this.startSync();
    if (this.queue.length > 0) this.schedule();
  }

  /** Stops: pending bytes are written and synced first; resolves when the file is closed, true if all is durable. */
  close(): Promise<boolean> {
    return new Promise((resolve) => {
      this.enqueue({
        run: (w) =>
          w
            .syncNow()
            .then(() => w.fsyncError === null, () => false)
            .then((synced) => w.closeFile().then(() => resolve(synced))),
      });
    });
  }

  /**
   * Closes now, whatever is still queued (lost): when `close` cannot finish because
   * the disk keeps refusing writes and the broker must stop anyway.
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed by the close step that could not finish.
    }
  }

  /** Inside a control step: fsyncs the current file if anything is unsynced; throws if that fails or failed before. */
  async syncNow(): Promise<void> {
    if (this.broken) throw new Error(`an earlier fsync failed: ${this.fsyncError}`);
    if (this.written === this.fileSynced) return;
    const target = this.written;
    try {
      await this.faults.sync(this.fd);
    } catch (err) {
      this.fsyncFailed(err);
      throw err;
    }
    this.fileDurable(target);
  }

  /** Inside a control step: takes `fileSize` from the file on disk (which others may have changed). */
  measure(): void {
    this.fileSize = fs.fstatSync(this.fd).size;
  }

  /** Inside a control step: makes `fd` (just opened, empty) the file written from now on. */
  switchTo(fd: number): void {
    this.fd = fd;
    this.fileSize = 0;
    this.fileSynced = this.succeeded = this.written;
    this.broken = false;
  }

  /**
   * A rewrite's new base, durable and listed in the manifest, holds every effect
   * appended before `offset` (when its snapshot was taken): they are durable, whatever
   * became of the files they were written to. If no fsync has failed in the file
   * written since, the fsync error is over.
   */
  covered(offset: number): void {
    if (this.fsyncError !== null && !this.broken) {
      this.fsyncError = null;
      this.log.warn('AOF rewritten after the fsync error, Redis can write again.');
      this.onStatus?.();
    }
    const durable = this.fsyncError === null ? Math.max(offset, this.fileSynced) : offset;
    if (durable <= this.synced) return;
    this.synced = durable;
    this.release();
  }

  /**
   * Writes the queued bytes now, before the turn's replies go out (redis-server's
   * beforeSleep writes its AOF buffer first); the fsync decisions stay with the
   * end-of-turn flush. Under everysec with an fsync running, that flush decides
   * whether the write waits.
   */
  writeQueued(): void {
    const head = this.queue[0];
    if (!(head instanceof RespBuffer) || this.controlling || this.writeError !== null) return;
    if (this.policy === 'everysec' && this.syncing > 0) return;
    this.write(head);
  }

  /** Holds (true) or releases (false) the completion of fsyncs; see `fsyncHeld`. */
  holdFsyncs(hold: boolean): void {
    const held = this.fsyncHeld;
    this.fsyncHeld = hold ? (held ?? []) : null;
    if (!hold && held !== null) for (const complete of held) complete();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** The end of a turn: writes what is queued (or runs a control step), then fsyncs as the policy says. */
  private flush(): void {
    if (this.closed || this.controlling) return;
    const retry = this.retryNow;
    this.retryNow = false;
    const head = this.queue[0];
    if (head instanceof RespBuffer && (this.writeError === null || retry) && !this.postponed()) this.write(head);
    const wantSync = this.policy === 'always' || this.forceSync;
    if (wantSync && this.written > this.fileSynced && !this.broken && !this.gathering()) this.startSync();
    // A control step next in line runs once no fsync is running (fsyncDone comes back here).
    const next = this.queue[0];
    if (next !== undefined && !(next instanceof RespBuffer) && this.syncing === 0) this.runControl(next);
  }

  /**
   * always: true, and the flush comes back next turn, while writes keep arriving (for
   * at most GATHER_MAX_MS): when many clients write, their requests reach the loop over
   * several turns, and one fsync for all of them is much cheaper than one per turn.
   */
  private gathering(): boolean {
    if (this.policy !== 'always' || this.appended === this.gatherMark) {
      this.gatherSince = 0;
      return false;
    }
    this.gatherMark = this.appended;
    const now = performance.now();
    if (this.gatherSince === 0) this.gatherSince = now;
    else if (now - this.gatherSince >= GATHER_MAX_MS) {
      this.gatherSince = 0;
      return false;
    }
    this.schedule();
    return true;
  }

  /** everysec: true while writes wait for the running fsync (up to two seconds). */
  private postponed(): boolean {
    if (this.policy !== 'everysec' || this.syncing === 0) {
      this.postponedSince = 0;
      return false;
    }
    const now = Date.now();
    if (this.postponedSince === 0) this.postponedSince = now;
    if (now - this.postponedSince < POSTPONE_MAX_MS) return true;
    this.delayedFsync++;
    this.postponedSince = 0;
    this.log.info(
      'Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.',
    );
    return false;
  }

  /** One write(2) of the bytes at the head of the queue. */
  private write(pending: RespBuffer): void {
    const bytes = pending.bytes;
    const length = pending.length;
    let n = 0;
    let error: unknown = null;
    try {
      while (n < length) {
        const wrote = fs.writeSync(this.fd, bytes, n, length - n);
        if (wrote === 0) break;
        n += wrote;
      }
    } catch (err) {
      error = err;
    }
    if (n === length) {
      this.written += n;
      this.fileSize += n;
      pending.consume(n);
      this.queue.shift();
      this.spare = pending;
      if (this.writeError !== null) {
        this.writeError = null;
        this.log.warn('AOF write error looks solved, Redis can write again.');
        this.onStatus?.();
      }
      return;
    }
    this.writeFailed(pending, error, n);
  }

  /** The bytes stay queued (less any part that could not be cut back) and are retried later. */
  private writeFailed(pending: RespBuffer, err: unknown, n: number): void {
    const reason = err === null ? 'No space left on device' : strerror(err);
    const canLog = this.mayLogError();
    if (n === 0) {
      if (canLog) this.log.warn(`Error writing to the AOF file: ${reason}`);
    } else {
      if (canLog) this.log.warn(`Short write while writing to the AOF file: (nwritten=${n}, expected=${pending.length})`);
      // Cut the partial command off so the file stays loadable; else keep what did get written.
      try {
        fs.ftruncateSync(this.fd, this.fileSize);
      } catch (truncErr) {
        if (canLog) {
          this.log.warn(
            `Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${strerror(truncErr)}`,
          );
        }
        this.written += n;
        this.fileSize += n;
        pending.consume(n);
      }
    }
    const first = this.writeError === null;
    this.writeError = reason;
    if (first) this.onStatus?.();
    this.retryLater();
  }

  private startSync(): void {
    const max = this.policy === 'always' ? MAX_FSYNCS : 1;
    if (this.syncing >= max || this.closed || this.broken) return;
    // Nothing new for a second one; or one has succeeded and waits for the running one
    // (fsyncDone): starting another would make it wait longer.
    if (this.syncing > 0 && (this.syncTarget >= this.written || this.succeeded > this.fileSynced)) return;
    this.forceSync = false;
    const target = this.written;
    this.syncing++;
    this.syncTarget = target;
    const start = performance.now();
    this.faults.datasync(this.fd, (err) => {
      this.fsyncTimes.observe(performance.now() - start);
      if (this.fsyncHeld !== null) this.fsyncHeld.push(() => this.fsyncDone(err, target));
      else this.fsyncDone(err, target);
    });
  }

  /** An fsync up to `target` completed (or failed with `err`). */
  private fsyncDone(err: NodeJS.ErrnoException | null, target: number): void {
    this.syncing--;
    if (err !== null) this.fsyncFailed(err);
    else if (target > this.succeeded) this.succeeded = target;
    // Linux reports a page it failed to write back to one fsync of the file only, not
    // necessarily the one that covered it: a success counts once no fsync that ran
    // alongside it can still report a failure.
    if (this.syncing > 0) return;
    if (!this.broken) this.fileDurable(this.succeeded);
    // Writes postponed behind it, the next fsync under always, a waiting control step.
    if (this.queue.length > 0 || this.written > this.fileSynced) this.flush();
  }

  /** The current file is on disk up to `target`, and so is the stream unless an fsync error left a part untrusted. */
  private fileDurable(target: number): void {
    if (target > this.fileSynced) this.fileSynced = target;
    if (this.fsyncError !== null || this.fileSynced <= this.synced) return;
    this.synced = this.fileSynced;
    this.release();
  }

  /** The current file is not trusted any more: only a rewrite (`covered`) ends the error. */
  private fsyncFailed(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    const first = this.fsyncError === null;
    this.fsyncError = strerror(err);
    if (this.mayLogError() || first) {
      this.log.warn(`Fail to fsync the AOF file: ${this.fsyncError}`);
      this.log.warn('The AOF file may have lost writes: refusing writes until an AOF rewrite replaces it.');
    }
    this.onStatus?.();
  }

  private runControl(control: Control): void {
    this.queue.shift();
    this.controlling = true;
    control.run(this).then(
      () => this.controlDone(),
      (err: unknown) => {
        this.log.warn(`AOF file operation failed: ${strerror(err)}`);
        this.controlDone();
      },
    );
  }

  private controlDone(): void {
    this.controlling = false;
    if (this.queue.length > 0 || this.written > this.fileSynced) this.schedule();
  }

  /** Inside the close step: no write or retry after this. */
  private closeFile(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    return new Promise((resolve) => fs.close(this.fd, () => resolve()));
  }

  /** redis-server logs a disk error at most once every ERROR_LOG_EVERY_MS. */
  private mayLogError(): boolean {
    const now = Date.now();
    if (now - this.lastErrorLog <= ERROR_LOG_EVERY_MS) return false;
    this.lastErrorLog = now;
    return true;
  }

  /** Calls the waiters whose target is synced (not in target order: a waiter may come back for a later one). */
  private release(): void {
    const ready = this.waiters.filter((w) => w.target <= this.synced);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.target > this.synced);
    for (const waiter of ready) waiter.done();
  }

  /** A failed write is tried again in a second (a full disk may have room by then). */
  private retryLater(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryNow = true;
      this.flush();
      this.retryNow = false;
      // Still failing (or nothing could start yet): try again later.
      if (this.writeError !== null) this.retryLater();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
