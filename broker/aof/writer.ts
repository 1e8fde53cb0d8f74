/**
 * The append-only file writer: effects go in as RESP text, and reach the current
 * incremental file with one write per event-loop turn; fsyncs run off the event loop
 * (libuv's thread pool), as redis-server's background fsync does.
 *
 * Counters are logical byte offsets over the whole stream of effects, across files:
 * `appended` (handed to the writer), `written` (write(2) returned) and `synced`
 * (fsync returned, in a file the durable manifest lists). Under `appendfsync always`
 * callers wait for `synced` to pass their offset (`whenSynced`): every client
 * waiting when an fsync starts shares it (group commit). Under `everysec` an fsync
 * starts at most once a second, concurrently with writes; one still running after
 * two seconds is counted in `delayedFsync` as redis-server's aof_delayed_fsync.
 *
 * Operations run one at a time, in order: writes, fsyncs (which may overlap a
 * write) and control steps such as switching to a new incremental file, which wait
 * for everything before them. A failed write keeps its bytes (a short write is cut
 * back with ftruncate first) and is retried every second; meanwhile `error` is set
 * and the broker refuses writes with -MISCONF. A failed fsync is retried the same way.
 */
import fs from 'node:fs';
import type { Logger } from '../log.js';
import { strerror } from './strerror.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** A step that needs the file quiet: nothing being written or synced. */
interface Control {
  run(writer: AofWriter): Promise<void>;
}

const RETRY_MS = 1000;
/** redis-server logs a write error at most once every this many seconds. */
const ERROR_LOG_EVERY_MS = 30_000;
/** A write this long after an fsync started counts a delayed fsync (redis-server's 2 s). */
const DELAYED_FSYNC_MS = 2000;

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
  /** When the last fsync completed (ms). */
  lastFsyncAt = Date.now();
  /** Called when a write or fsync fails or recovers, so the broker can update its state. */
  onStatus: (() => void) | null = null;

  private queue: (Buffer | string | Control)[] = [];
  private writing = false;
  private syncing = false;
  private controlling = false;
  private syncStartedAt = 0;
  private delayCounted = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastErrorLog = 0;
  private waiters: { target: number; done: () => void }[] = [];
  private closed = false;
  /** Set by `whenSynced` under everysec/no: sync as soon as the file is written. */
  private forceSync = false;
  /** The retry timer fired: one attempt may run despite the error state. */
  private retryNow = false;
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

  /** True while something is queued or running. */
  get busy(): boolean {
    return this.queue.length > 0 || this.writing || this.syncing || this.controlling;
  }

  /** aof_buffer_length: bytes appended and not yet written. */
  get buffered(): number {
    return this.appended - this.written;
  }

  /** aof_pending_bio_fsync. */
  get fsyncInProgress(): boolean {
    return this.syncing;
  }

  /** Adds effects; they are written at the end of this event-loop turn. */
  append(text: string): void {
    if (text.length === 0) return;
    this.appended += text.length;
    const q = this.queue;
    const last = q.length - 1;
    // Consecutive texts concatenate (V8 ropes): one write per turn.
    if (last >= 0 && typeof q[last] === 'string') q[last] = (q[last] as string) + text;
    else q.push(text);
    this.schedule();
  }

  /** Runs `control` once everything queued before it is written and synced. */
  enqueue(control: Control): void {
    this.queue.push(control);
    this.schedule();
  }

  /** Calls `done` once `synced` reaches `target` (immediately if it has). */
  whenSynced(target: number, done: () => void): void {
    if (this.synced >= target) return done();
    this.waiters.push({ target, done });
    // Under everysec/no nothing else would start an fsync for it.
    if (this.policy !== 'always') this.schedule(true);
  }

  /** everysec: called once a second; starts an fsync when there is something to sync. */
  tick(): void {
    if (this.policy === 'everysec' && this.written > this.synced) this.startSync();
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

  /** Inside a control step: fsyncs the current file if anything is unsynced; throws on failure. */
  async syncNow(): Promise<void> {
    if (this.written === this.synced && this.fsyncError === null) return;
    const target = this.written;
    await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
    this.synced = Math.max(this.synced, target);
    this.lastFsyncAt = Date.now();
    this.release();
  }

  /** Inside a control step: makes `fd` (just opened, empty) the file written from now on. */
  switchTo(fd: number): void {
    this.fd = fd;
    this.fileSize = 0;
  }

  private schedule(forceSync = false): void {
    if (forceSync) this.forceSync = true;
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  /** Starts whatever can run now. */
  private kick(): void {
    if (this.closed) return;
    const retry = this.retryNow;
    this.retryNow = false;
    if (!this.writing && !this.controlling && (this.writeError === null || retry)) {
      const head = this.queue[0];
      if (typeof head === 'string' || head instanceof Buffer) this.startWrite();
      else if (head !== undefined && !this.syncing) this.runControl(head as Control);
    }
    const wantSync = this.policy === 'always' || this.forceSync;
    if (this.written > this.synced && wantSync && (this.fsyncError === null || retry)) this.startSync();
  }

  private startWrite(): void {
    // Every leading text or buffer goes out in one write.
    const parts: Buffer[] = [];
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (typeof head === 'string') parts.push(Buffer.from(head, 'latin1'));
      else if (head instanceof Buffer) parts.push(head);
      else break;
      this.queue.shift();
    }
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (this.syncing && !this.delayCounted && Date.now() - this.syncStartedAt >= DELAYED_FSYNC_MS) {
      this.delayCounted = true;
      this.delayedFsync++;
      this.log.info(
        'Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.',
      );
    }
    this.writing = true;
    fs.write(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (err !== null || n < buf.length) return this.writeFailed(buf, err, err === null ? n : 0);
      this.writing = false;
      this.written += n;
      this.fileSize += n;
      if (this.writeError !== null) {
        this.writeError = null;
        this.log.warn('AOF write error looks solved, Redis can write again.');
        this.onStatus?.();
      }
      this.kick();
    });
  }

  private writeFailed(buf: Buffer, err: NodeJS.ErrnoException | null, n: number): void {
    const reason = err === null ? 'No space left on device' : strerror(err);
    const now = Date.now();
    const canLog = now - this.lastErrorLog > ERROR_LOG_EVERY_MS;
    if (canLog) this.lastErrorLog = now;
    const keep = (rest: Buffer): void => {
      this.writing = false;
      this.queue.unshift(rest);
      const first = this.writeError === null;
      this.writeError = reason;
      if (first) this.onStatus?.();
      this.retryLater();
    };
    if (n === 0) {
      if (canLog) this.log.warn(`Error writing to the AOF file: ${reason}`);
      return keep(buf);
    }
    if (canLog) this.log.warn(`Short write while writing to the AOF file: (nwritten=${n}, expected=${buf.length})`);
    // Cut the partial command off, so the file stays loadable; else keep what did get written.
    fs.ftruncate(this.fd, this.fileSize, (truncErr) => {
      if (truncErr === null) return keep(buf);
      if (canLog) {
        this.log.warn(
          `Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${strerror(truncErr)}`,
        );
      }
      this.written += n;
      this.fileSize += n;
      keep(buf.subarray(n));
    });
  }

  private startSync(): void {
    if (this.syncing || this.closed) return;
    this.forceSync = false;
    const target = this.written;
    this.syncing = true;
    this.syncStartedAt = Date.now();
    this.delayCounted = false;
    fs.fdatasync(this.fd, (err) => {
      if (this.fsyncHeld !== null) this.fsyncHeld.push(() => this.fsyncDone(err, target));
      else this.fsyncDone(err, target);
    });
  }

  /** Holds (true) or releases (false) the completion of fsyncs; see `fsyncHeld`. */
  holdFsyncs(hold: boolean): void {
    const held = this.fsyncHeld;
    this.fsyncHeld = hold ? (held ?? []) : null;
    if (!hold && held !== null) for (const complete of held) complete();
  }

  /** An fsync up to `target` completed (or failed with `err`). */
  private fsyncDone(err: NodeJS.ErrnoException | null, target: number): void {
    this.syncing = false;
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
    this.lastFsyncAt = Date.now();
    if (this.fsyncError !== null) {
      this.fsyncError = null;
      this.log.warn('AOF fsync error looks solved, Redis can write again.');
      this.onStatus?.();
    }
    this.release();
    this.kick();
  }

  private runControl(control: Control): void {
    this.queue.shift();
    this.controlling = true;
    control.run(this).then(
      () => {
        this.controlling = false;
        this.kick();
      },
      (err: unknown) => {
        this.controlling = false;
        this.log.warn(`AOF file operation failed: ${strerror(err)}`);
        this.kick();
      },
    );
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
      this.kick();
      // Nothing could start (a write or fsync still running): try again later.
      if (!this.writing && !this.syncing && (this.writeError !== null || this.fsyncError !== null)) this.retryLater();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
