/**
 * Full resyncs: the dataset as an RDB payload for a peer (SYNC, `PSYNC ? -1`) while the
 * broker keeps serving, made by the same time-sliced copy-on-write snapshot as BGSAVE
 * (snapshot-file.ts, `pumpSnapshot`), one snapshot at a time with them: a sync asked
 * for while a rewrite or BGSAVE runs waits for it to end. The payload goes to a
 * `SyncTarget`: a follower's connection (broker/replication/leader.ts). Two ways, as
 * redis-server's startBgsaveForReplication chooses:
 *
 * - diskless (`repl-diskless-sync yes`, and every target announced `REPLCONF capa
 *   eof`): streamed to the sockets as it is made, `$EOF:<40-char mark>\r\n`, the RDB,
 *   the mark; targets waiting together share one snapshot;
 * - disk-based (`repl-diskless-sync no`, or a target without `capa eof`): the snapshot
 *   is written to a temp file in `dir`, then sent to each target as `$<length>\r\n` and
 *   the file, read a chunk at a time; targets arriving while the file is being written
 *   share it (`join`, redis-server's "Waiting for end of BGSAVE for SYNC"), and the file
 *   is removed once sent. Where this differs from redis-server: it writes `dbfilename`
 *   (a BGSAVE that counts as a save); here the file is the sync's own, as with
 *   `rdb-del-sync-files yes`, and BGSAVE and dump.rdb are left alone.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { SnapshotWriter } from '../../engine/persist/snapshot.js';
import type { Config } from '../config/config.js';
import type { Broker } from '../server.js';
import { Cancelled, pumpSnapshot, rdbInfo, writeSnapshotFile, type SnapshotJob } from './snapshot-file.js';
import { strerror } from './strerror.js';

/** Where a full resync's payload goes. */
export interface SyncTarget {
  /** The peer takes `$EOF:` framing (REPLCONF capa eof). */
  readonly eof: boolean;
  /**
   * The payload will stand for `position` (`+FULLRESYNC`): called at the snapshot's
   * instant, or when the target joins a snapshot being written to a file, later.
   * `diskless`: the payload is streamed as it is made.
   */
  begin(position: SyncPosition, diskless: boolean): void;
  /** Sends bytes; resolves once the peer can take more, rejects when it is gone. */
  write(bytes: Buffer): Promise<void>;
  /** The payload was sent whole (`ok`) or could not be: the target is done with. */
  end(ok: boolean): void;
}

/** The replication position a payload stands for (the RDB's repl-* aux fields). */
export interface SyncPosition {
  replid: string;
  offset: number;
  /** The db the stream is on at that offset (RDB aux repl-stream-db). */
  streamDb: number;
}

export type FullSyncHost = Pick<Broker, 'config' | 'engine' | 'log' | 'runId'>;

const EOF_MARK_BYTES = 20;
/** Bytes of the sync file read and sent at a time, to each target. */
const FILE_CHUNK = 1 << 20;

/** Whether a snapshot for `targets` goes to their sockets as it is made (else through a file). */
export function syncsDiskless(config: Pick<Config, 'bool'>, targets: readonly { eof: boolean }[]): boolean {
  return config.bool('repl-diskless-sync') && targets.every((t) => t.eof);
}

export class FullSyncs {
  /** The snapshot being made for syncs, if any (one snapshot at a time with rewrites and BGSAVE). */
  job: SnapshotJob | null = null;
  /** Targets waiting for the running snapshot to end. */
  private readonly waiting: SyncTarget[] = [];
  /** A snapshot being written to a file, and the targets it will be sent to. */
  private filling: { position: SyncPosition; targets: SyncTarget[] } | null = null;
  private files = 0;

  constructor(private readonly host: FullSyncHost) {}

  /** The position a payload made now stands for; replication (broker/replication/) sets its own. */
  positionOf: () => SyncPosition = () => ({ replid: this.host.runId, offset: 0, streamDb: 0 });

  /** Queues full resyncs that will share one snapshot; `busy` says whether another snapshot runs now. */
  request(targets: readonly SyncTarget[], busy: boolean): void {
    this.waiting.push(...targets);
    if (!busy) this.startNext();
  }

  /** True when a sync waits for the running snapshot to end. */
  get pending(): boolean {
    return this.waiting.length > 0;
  }

  /** The position of the snapshot being written to a file, which a target may still join; null when none is. */
  get joinable(): SyncPosition | null {
    return this.filling?.position ?? null;
  }

  /**
   * Adds a target to the snapshot being written to a file: it gets the file too. Its
   * payload stands for the snapshot's position (the caller gives it the stream since).
   */
  join(target: SyncTarget): void {
    const filling = this.filling!;
    target.begin(filling.position, false);
    filling.targets.push(target);
  }

  /** Starts the waiting syncs, all from one snapshot. */
  startNext(): void {
    if (this.job !== null || this.waiting.length === 0) return;
    const targets = this.waiting.splice(0);
    const { engine, log, config } = this.host;
    const diskless = syncsDiskless(config, targets);
    const position = this.positionOf();
    log.info(`Starting BGSAVE for SYNC with target: ${diskless ? 'replicas sockets' : 'disk'}`);
    // The instant of the snapshot, made just below with nothing in between: its position.
    for (const t of targets) t.begin(position, diskless);
    const { replid, offset, streamDb } = position;
    const snapshot = new SnapshotWriter(engine.dbs, Date.now(), { info: { ...rdbInfo(false), repl: { streamDb, id: replid, offset } } });
    const job: SnapshotJob = { snapshot, cancelled: false, keySaveDelayUs: config.int('rdb-key-save-delay') };
    this.job = job;
    const run = diskless ? this.stream(job, targets) : this.throughFile(job, position, targets);
    void run.finally(() => {
      if (this.job === job) this.job = null;
    });
  }

  /** Diskless: the snapshot to every target's socket as it is made, `$EOF:` framed. */
  private async stream(job: SnapshotJob, targets: SyncTarget[]): Promise<void> {
    const log = this.host.log;
    const mark = randomBytes(EOF_MARK_BYTES).toString('hex');
    let live = targets.slice();
    // Sends to every target; one that fails is ended and dropped, and the snapshot
    // stops once no target is left.
    const send = async (bytes: Buffer): Promise<void> => {
      const results = await Promise.allSettled(live.map((t) => t.write(bytes)));
      const failed = live.filter((_, i) => results[i].status === 'rejected');
      for (const t of failed) t.end(false);
      live = live.filter((t) => !failed.includes(t));
      if (live.length === 0) job.cancelled = true;
    };
    try {
      await send(Buffer.from(`$EOF:${mark}\r\n`, 'latin1'));
      await pumpSnapshot(job, send, 'SYNC', log);
      await send(Buffer.from(mark, 'latin1'));
      for (const t of live) t.end(true);
      log.info('Background RDB transfer terminated with success');
    } catch (err) {
      for (const t of live) t.end(false);
      if (!(err instanceof Cancelled)) log.warn(`SYNC failed: ${strerror(err)}`);
    }
  }

  /**
   * Disk-based: the snapshot to a temp file (the next snapshot may start once it is
   * written), then the file to every target that waited for it, each at its own pace.
   */
  private async throughFile(job: SnapshotJob, position: SyncPosition, targets: SyncTarget[]): Promise<void> {
    const { log, config } = this.host;
    const file = path.join(config.get('dir'), `temp-sync-${process.pid}-${++this.files}.rdb`);
    const filling = { position, targets };
    this.filling = filling;
    let size: number;
    try {
      // Not made durable: it lives as long as the transfer.
      size = await writeSnapshotFile(job, file, 'SYNC', log, async () => undefined);
    } catch (err) {
      for (const t of filling.targets) t.end(false);
      if (!(err instanceof Cancelled)) log.warn(`Background saving error for SYNC: ${strerror(err)}`);
      return;
    } finally {
      this.filling = null;
      this.job = null;
    }
    log.info('Background saving terminated with success');
    try {
      await Promise.all(filling.targets.map((t) => sendFile(file, size, t)));
    } finally {
      await fsp.rm(file, { force: true }).catch(() => undefined);
    }
  }

  /** Stops the sync in progress and drops the waiting ones (shutdown). */
  cancel(): void {
    if (this.job !== null) this.job.cancelled = true;
    for (const t of this.waiting.splice(0)) t.end(false);
  }
}

/** `$<size>\r\n` and the file to one target, a chunk at a time as its socket takes them (sendBulkToSlave). */
async function sendFile(file: string, size: number, target: SyncTarget): Promise<void> {
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(file, 'r');
    await target.write(Buffer.from(`$${size}\r\n`, 'latin1'));
    for (let pos = 0; pos < size; ) {
      // A fresh Buffer each time: the socket may still hold the last one.
      const chunk = Buffer.allocUnsafe(Math.min(FILE_CHUNK, size - pos));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) throw new Error('the sync file ends before its size');
      await target.write(chunk.subarray(0, bytesRead));
      pos += bytesRead;
    }
    target.end(true);
  } catch {
    target.end(false);
  } finally {
    await handle?.close();
  }
}
