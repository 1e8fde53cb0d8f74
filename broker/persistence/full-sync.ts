/**
 * Full resyncs: the dataset as an RDB payload streamed to a peer (SYNC, `PSYNC ? -1`)
 * while the broker keeps serving, made by the same time-sliced copy-on-write snapshot
 * as BGSAVE (snapshot-file.ts, `pumpSnapshot`), one snapshot at a time with them: a
 * sync asked for while a rewrite or BGSAVE runs waits for it to end.
 *
 * The payload goes to a `SyncTarget`: a follower's connection (broker/replication/leader.ts). Framing as
 * redis-server's: `$EOF:<40-char mark>\r\n`, the RDB as it is made, the mark again, for a
 * peer that announced `REPLCONF capa eof` (redis-cli --rdb and every replica since 4.0
 * do); otherwise `$<length>\r\n` and the RDB, gathered in memory first since its length
 * comes before it.
 */
import { randomBytes } from 'node:crypto';
import { SnapshotWriter } from '../../engine/persist/snapshot.js';
import type { Broker } from '../server.js';
import { Cancelled, pumpSnapshot, rdbInfo, type SnapshotJob } from './snapshot-file.js';
import { strerror } from './strerror.js';

/** Where a full resync's payload goes. */
export interface SyncTarget {
  /** The peer takes `$EOF:` framing (REPLCONF capa eof). */
  readonly eof: boolean;
  /** The snapshot's instant: the replication position its payload stands for (`+FULLRESYNC`). */
  begin(position: SyncPosition): void;
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

export type FullSyncHost = Pick<Broker, 'engine' | 'log' | 'runId'>;

const EOF_MARK_BYTES = 20;

export class FullSyncs {
  /** The sync being made, if any (one snapshot at a time with rewrites and BGSAVE). */
  job: SnapshotJob | null = null;
  /** Targets waiting for the running snapshot to end. */
  private readonly waiting: SyncTarget[] = [];

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

  /** Starts the waiting syncs, all from one snapshot. */
  startNext(): void {
    if (this.job !== null || this.waiting.length === 0) return;
    const targets = this.waiting.splice(0);
    const { engine, log } = this.host;
    const position = this.positionOf();
    log.info('Starting BGSAVE for SYNC with target: replicas sockets');
    // The instant of the snapshot, made just below with nothing in between: its position.
    for (const t of targets) t.begin(position);
    const { replid, offset, streamDb } = position;
    const snapshot = new SnapshotWriter(engine.dbs, Date.now(), { info: { ...rdbInfo(false), repl: { streamDb, id: replid, offset } } });
    const job: SnapshotJob = { snapshot, cancelled: false };
    this.job = job;
    void this.run(job, targets).finally(() => {
      if (this.job === job) this.job = null;
    });
  }

  private async run(job: SnapshotJob, targets: SyncTarget[]): Promise<void> {
    const log = this.host.log;
    const mark = randomBytes(EOF_MARK_BYTES).toString('hex');
    const streamed = targets.filter((t) => t.eof);
    const gathered = targets.filter((t) => !t.eof);
    const chunks: Buffer[] = [];
    let live = streamed.slice();
    // Sends to every streamed target; one that fails is ended and dropped, and the
    // snapshot stops once no target is left.
    const send = async (bytes: Buffer): Promise<void> => {
      const results = await Promise.allSettled(live.map((t) => t.write(bytes)));
      const failed = live.filter((_, i) => results[i].status === 'rejected');
      for (const t of failed) t.end(false);
      live = live.filter((t) => !failed.includes(t));
      if (live.length === 0 && gathered.length === 0) job.cancelled = true;
    };
    try {
      await send(Buffer.from(`$EOF:${mark}\r\n`, 'latin1'));
      await pumpSnapshot(job, async (chunk) => {
        if (gathered.length > 0) chunks.push(chunk);
        if (live.length > 0) await send(chunk);
      }, 'SYNC', log);
      await send(Buffer.from(mark, 'latin1'));
      for (const t of live) t.end(true);
      const payload = Buffer.concat(chunks);
      for (const t of gathered) {
        await t.write(Buffer.concat([Buffer.from(`$${payload.length}\r\n`, 'latin1'), payload])).then(
          () => t.end(true),
          () => t.end(false),
        );
      }
      log.info('Background RDB transfer terminated with success');
    } catch (err) {
      for (const t of [...live, ...gathered]) t.end(false);
      if (!(err instanceof Cancelled)) log.warn(`SYNC failed: ${strerror(err)}`);
    }
  }

  /** Stops the sync in progress and drops the waiting ones (shutdown). */
  cancel(): void {
    if (this.job !== null) this.job.cancelled = true;
    for (const t of this.waiting.splice(0)) t.end(false);
  }
}
