/**
 * Writes a point-in-time snapshot (engine/persist/snapshot.ts) to a file while the
 * broker keeps serving: the snapshot advances a time slice at a time, each slice's
 * bytes are written off the event loop, and the loop yields between slices. Used by
 * the AOF rewrite (the base file) and BGSAVE; `pumpSnapshot` feeds a full resync's
 * socket the same way (full-sync.ts). The file is fsynced and closed when
 * done; on failure or cancellation it is removed and the snapshot released.
 */
import fs from 'node:fs';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { SnapshotInfo, SnapshotSource, SnapshotWriter } from '../../engine/persist/snapshot.js';
import type { Logger } from '../log.js';

/** Wall time one slice of serialization may take before clients are served again. */
const SLICE_MS = 2;
/**
 * Bytes taken for the file after a slice, at most (more stay for the next slices): a
 * long value's record arrives whole, and copying and checksumming it at once would
 * stall the clients as long as writing it at once.
 */
const DRAIN_MAX = 8 << 20;
const PROGRESS_EVERY_MS = 1000;

/** The aux fields of an RDB file the broker writes: memory in use now (INFO's used_memory), and whether it is an AOF base. */
export function rdbInfo(aofBase: boolean): SnapshotInfo {
  const m = process.memoryUsage();
  return { usedMem: m.heapUsed + m.external, aofBase };
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface SnapshotJob {
  readonly snapshot: SnapshotWriter;
  cancelled: boolean;
  /**
   * rdb-key-save-delay (full resyncs' snapshots): microseconds waited per key saved, so
   * that tests can watch a snapshot in progress; clients are served meanwhile.
   */
  keySaveDelayUs?: number;
}

const fdatasync = promisify(fs.fdatasync);

/** Writes `job.snapshot` to `file`; resolves with the file's size. `datasync` makes it durable. */
export async function writeSnapshotFile(
  job: SnapshotJob,
  file: string,
  what: string,
  log: Logger,
  datasync: (fd: number) => Promise<void> = fdatasync,
): Promise<number> {
  const handle = await fsp.open(file, 'w', 0o644);
  let size = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    await handle.write(chunk, 0, chunk.length, size);
    size += chunk.length;
  };
  try {
    await pumpSnapshot(job, write, what, log);
    await datasync(handle.fd);
    await handle.close();
    return size;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.unlink(file).catch(() => undefined);
    throw err;
  }
}

/**
 * Runs `job.snapshot` to its end a slice at a time, handing its bytes to `write` (a
 * file, a replica's socket) and letting clients run between slices; logs progress.
 * On failure or cancellation the snapshot is released and the error thrown.
 */
export async function pumpSnapshot(job: SnapshotJob, write: (chunk: Buffer) => Promise<void>, what: string, log: Logger): Promise<void> {
  const snapshot = job.snapshot;
  const put = async (chunk: Buffer): Promise<void> => {
    if (chunk.length > 0) await write(chunk);
  };
  let lastLog = Date.now();
  let lastDone = 0;
  try {
    for (;;) {
      if (job.cancelled) throw new Cancelled();
      const before = snapshot.done;
      const done = snapshot.step(SLICE_MS);
      const delayUs = job.keySaveDelayUs ?? 0;
      if (delayUs > 0) await sleep(((snapshot.done - before) * delayUs) / 1000);
      if (done) break;
      await put(snapshot.drain(DRAIN_MAX));
      // Let clients run between slices even when the disk keeps up.
      await nextTurn();
      const now = Date.now();
      if (now - lastLog >= PROGRESS_EVERY_MS) {
        const rate = Math.round(((snapshot.done - lastDone) * 1000) / (now - lastLog));
        const perc = snapshot.total === 0 ? 100 : (snapshot.done * 100) / snapshot.total;
        log.info(`${what}: ${perc.toFixed(2)}% of keys (${snapshot.done} keys, ${rate} keys/s)`);
        lastLog = now;
        lastDone = snapshot.done;
      }
    }
    while (snapshot.buffered > 0) {
      if (job.cancelled) throw new Cancelled();
      await put(snapshot.drain(DRAIN_MAX));
      await nextTurn();
    }
    if (job.cancelled) throw new Cancelled();
    await put(snapshot.finish());
  } catch (err) {
    snapshot.abort();
    throw err;
  }
}

/** Writes a whole file (one Buffer or its pieces in order) durably, blocking (SAVE): temp file, fsync, rename, fsync dir. */
export function writeFileDurablySync(file: string, temp: string, data: Buffer | readonly Buffer[]): void {
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    for (const piece of Array.isArray(data) ? data : [data]) {
      let off = 0;
      while (off < piece.length) off += fs.writeSync(fd, piece, off, piece.length - off);
    }
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  fsyncDirSync(path.dirname(file));
}

function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** At most this much per read(2): Node refuses reads over 2 GB. */
const READ_PIECE = 1 << 30;

/**
 * The first `size` bytes of an open file in one Buffer (fewer if it is shorter).
 * fs.readFileSync refuses files over 2 GB, which a snapshot holding a few values near
 * proto-max-bulk-len exceeds; a Buffer holds 4 GB.
 */
export function readWholeSync(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const n = fs.readSync(fd, buf, got, Math.min(size - got, READ_PIECE), got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** The first `size` bytes of an open file as a SnapshotSource, read a window at a time (snapshotSourceLoadSteps). */
export function fileSource(fd: number, size: number): SnapshotSource {
  return { size, read: (into, offset, length, position) => fs.readSync(fd, into, offset, Math.min(length, READ_PIECE), position) };
}
