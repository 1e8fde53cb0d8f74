/**
 * The append-only file writer: effects are encoded as RESP into `tail()` and reach the
 * current incremental file with one write(2) per event-loop turn, at the end of the turn, as
 * redis-server writes its AOF buffer before sleeping. A write to the page cache takes
 * microseconds; fsyncs, which wait for the disk, run off the event loop (libuv's
 * thread pool), as redis-server's background fsync does.
 *
 * Counters are logical byte offsets over the whole stream of effects, across files:
 * `appended` (handed to the writer), `written` (write(2) returned) and `synced`
 * (fsync returned, in a file the durable manifest lists). Under `appendfsync always`
 * callers wait for `synced` to pass their offset (`whenSynced`): every client whose
 * write is in the file when an fsync starts shares it (group commit), and writes go
 * on while it runs. An fsync starts once a turn adds no more writes (`gathering`):
 * while clients keep writing, each turn's writes join the coming fsync rather than
 * costing one each. A second fsync may start before the first returns, so that a
 * write never waits for a whole fsync it missed plus its own (whichever returns,
 * everything written before it started is durable). Under `everysec` an fsync
 * starts at most once a second; while one runs, writes are postponed for up to two
 * seconds and then done anyway, counted in `delayedFsync` (redis-server's
 * aof_delayed_fsync), because a write can stall behind an fsync of the same file.
 *
 * Control steps (switching to a new incremental file, closing) run in order with
 * the writes, once nothing before them is unwritten and no fsync runs. A failed
 * write keeps its bytes (a short write is cut back with ftruncate first) and is
 * retried every second; meanwhile `writeError` is set and the broker refuses writes
 * with -MISCONF. A failed fsync is retried the same way (`fsyncError`).
 */
import fs from 'node:fs';
import type { Logger } from '../log.js';
import { RespBuffer } from './resp-log.js';
import { strerror } from './strerror.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** A step that needs the file quiet: everything before it written, no fsync running. */
export interface Control {
  run(writer: AofWriter): Promise<void>;
}

const RETRY_MS = 1000;
/** redis-server logs a write error at most once every this many seconds. */
const ERROR_LOG_EVERY_MS = 30_000;
/** How long everysec postpones writes behind a running fsync (redis-server's 2 s). */
const POSTPONE_MAX_MS = 2000;
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
  /** The last write or fsync error as strerror text, until a retry succeeds. */
  writeError: string | null = null;
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
  /** The retry timer fired: one attempt may run despite the error state. */
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
  ) {
    this.fileSize = fileSize;
  }

  /** aof_buffer_length: bytes appended and not yet written. */
  get buffered(): number {
    return this.appended - this.written;
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
    if (this.policy === 'everysec' && this.written > this.synced) this.startSync();
    if (this.queue.length > 0) this.schedule();
  }

  /** Stops: pending bytes are written and synced first; resolves when the file is closed. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.enqueue({
        run: async (w) => {
          await w.syncNow();
          await new Promise<void>((r) => fs.close(w.fd, () => r()));
          w.closed = true;
          resolve();
        },
      });
    });
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
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

  /** Inside a control step: fsyncs the current file if anything is unsynced; throws on failure. */
  async syncNow(): Promise<void> {
    if (this.written === this.synced && this.fsyncError === null) return;
    const target = this.written;
    await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
    this.synced = Math.max(this.synced, target);
    this.release();
  }

  /** Inside a control step: takes `fileSize` from the file on disk (which others may have changed). */
  measure(): void {
    this.fileSize = fs.fstatSync(this.fd).size;
  }

  /** Inside a control step: makes `fd` (just opened, empty) the file written from now on. */
  switchTo(fd: number): void {
    this.fd = fd;
    this.fileSize = 0;
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
    if (this.written > this.synced && wantSync && (this.fsyncError === null || retry) && !this.gathering()) this.startSync();
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
    const now = Date.now();
    const canLog = now - this.lastErrorLog > ERROR_LOG_EVERY_MS;
    if (canLog) this.lastErrorLog = now;
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
    if (this.syncing >= max || this.closed || (this.syncing > 0 && this.syncTarget >= this.written)) return;
    this.forceSync = false;
    const target = this.written;
    this.syncing++;
    this.syncTarget = target;
    fs.fdatasync(this.fd, (err) => {
      if (this.fsyncHeld !== null) this.fsyncHeld.push(() => this.fsyncDone(err, target));
      else this.fsyncDone(err, target);
    });
  }

  /** An fsync up to `target` completed (or failed with `err`). */
  private fsyncDone(err: NodeJS.ErrnoException | null, target: number): void {
    this.syncing--;
    if (err !== null) {
      const first = this.fsyncError === null;
      this.fsyncError = strerror(err);
      if (first) {
        this.log.warn(`Error fsyncing the AOF file: ${this.fsyncError}`);
        this.onStatus?.();
      }
      this.retryLater();
      return;
    }
    this.synced = Math.max(this.synced, target);
    if (this.fsyncError !== null) {
      this.fsyncError = null;
      this.log.warn('AOF fsync error looks solved, Redis can write again.');
      this.onStatus?.();
    }
    this.release();
    // Writes postponed behind it, the next fsync under always, a waiting control step.
    if (this.queue.length > 0 || this.written > this.synced) this.flush();
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
    if (this.queue.length > 0 || this.written > this.synced) this.schedule();
  }

  private release(): void {
    const w = this.waiters;
    let i = 0;
    while (i < w.length && w[i].target <= this.synced) i++;
    if (i === 0) return;
    const ready = w.splice(0, i);
    for (const waiter of ready) waiter.done();
  }

  private retryLater(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.fsyncError !== null) this.forceSync = true;
      this.retryNow = true;
      this.flush();
      this.retryNow = false;
      // Still failing (or nothing could start yet): try again later.
      if (this.writeError !== null || this.fsyncError !== null) this.retryLater();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
