/**
 * `FollowerLink`: this broker following a leader (a redis-server 7.0 or another
 * broker), as redis-server's replica side (replication.c: connectWithMaster,
 * syncWithMaster, readSyncBulkPayload, replicationCron). One link per REPLICAOF:
 *
 * 1. connect, then the handshake (handshake.ts) and PSYNC: `PSYNC <replid> <offset+1>`
 *    from the position of this broker's replication log when its dataset is that
 *    history (a link that dropped, REPLICAOF on a running broker), else `PSYNC ? -1`;
 * 2. `+CONTINUE [<newid>]`: the stream goes on from there. `+FULLRESYNC <id> <offset>`:
 *    the payload is written to a temp file in `dir` as it arrives (payload.ts) while
 *    clients keep the old data (replica-serve-stale-data); then the AOF is stopped, the
 *    dataset flushed and the file loaded a slice at a time (clients get -LOADING, as
 *    during the start-up load), read a window at a time (never whole in memory), the
 *    log adopts the leader's id and offset, and the AOF is started again with a rewrite
 *    (redis-server's restartAOFAfterSYNC); this broker's own followers are dropped then,
 *    and when the leader's id changes, else they stay attached (replication.ts);
 * 3. the command stream runs on a `LeaderConnection` (leader-connection.ts); after each
 *    whole command the bytes applied are appended to the log, which feeds this broker's
 *    own followers the same stream at the same offsets (chained replication);
 * 4. every second: `REPLCONF ACK <offset>`, repl-timeout checks, and reconnection.
 *
 * Log lines are redis-server's words. Where this differs from redis-server: the temp
 * file is deleted once loaded rather than kept as `dbfilename`; the end mark of a
 * `$EOF:` payload is found anywhere in a read (payload.ts).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { snapshotSourceLoadSteps } from '../../engine/persist/snapshot.js';
import { FormatError } from '../../engine/persist/bytes.js';
import type { Broker, CommandHost, ConnectionHost } from '../server.js';
import type { Replication } from './replication.js';
import { LoadCancelled } from '../persistence/loading.js';
import { fileSource } from '../persistence/snapshot-file.js';
import { strerror } from '../persistence/strerror.js';
import { PayloadReceiver } from './payload.js';
import { readDirectly } from '../net/direct-read.js';
import { LeaderConnection } from './leader-connection.js';
import { warmApplyPath } from './warm-up.js';
import { ackCommand, handshakeSteps, parsePsyncReply, pingReplyError, PING_COMMAND, psyncCommand, type HandshakeStep } from './handshake.js';

/** master_link_status and the rest of what INFO replication and ROLE show of a follower. */
export interface FollowerStatus {
  host: string;
  port: number;
  /** master_link_status. */
  linkStatus: 'up' | 'down';
  /** master_last_io_seconds_ago (-1 when no stream flows). */
  lastIoSecondsAgo: number;
  /** master_sync_in_progress. */
  syncInProgress: boolean;
  /** slave_read_repl_offset. */
  readOffset: number;
  /** slave_repl_offset; ROLE's offset (-1 there while no stream flows). */
  processedOffset: number;
  /** ROLE's third field. */
  state: 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';
  /** INFO lines after slave_repl_offset: the transfer's progress while it runs, master_link_down_since_seconds while down. */
  extraInfo: readonly string[];
}

/** What the link uses of replication (replication.ts): the log, and this broker's own followers (`leader`). */
export type FollowerReplication = Pick<Replication, 'log' | 'leader'>;

/** What the link uses of the broker; the leader's connection is a full connection. */
export type FollowerHost = ConnectionHost & CommandHost & Pick<Broker, 'adopt' | 'shutdownHooks'>;

type Phase = 'idle' | 'connecting' | 'ping' | 'handshake' | 'psync' | 'payload' | 'loading' | 'stream';

const CRON_MS = 1000;
const EMPTY = Buffer.alloc(0);
/** Longest reply line taken during the handshake. */
const LINE_MAX = 64 * 1024;
/** Bytes of a block the stream's reads are copied into (a longer read gets a block of its own size). */
const READ_BLOCK_BYTES = 64 * 1024;

/**
 * The stream's reads, copied into blocks that are never written over (as the log's,
 * log.ts): a read's copy is a view the parser, the backlog and chained followers keep as
 * it is. The link reads into the buffer shared with the clients (net/direct-read.ts),
 * which spares the Readable stream's work per read and a new ArrayBuffer per read, kept
 * in the backlog until trimmed (for the young-generation GC, the most costly of garbage).
 */
class ReadCopies {
  private block = EMPTY;
  private used = 0;

  copy(chunk: Buffer): Buffer {
    if (this.used + chunk.length > this.block.length) {
      this.block = Buffer.allocUnsafe(Math.max(READ_BLOCK_BYTES, chunk.length));
      this.used = 0;
    }
    const start = this.used;
    this.used += chunk.copy(this.block, start);
    return this.block.subarray(start, this.used);
  }
}

export class FollowerLink {
  private phase: Phase = 'idle';
  private socket: net.Socket | null = null;
  private connection: LeaderConnection | null = null;
  private input: Buffer = EMPTY;
  private steps: HandshakeStep[] = [];
  private payload: PayloadReceiver | null = null;
  private temp: { fd: number; path: string } | null = null;
  /** +FULLRESYNC's id and offset, adopted once the payload is loaded. */
  private fullSync: { replid: string; offset: number } | null = null;
  /** Whether the dataset is the log's history up to `processed`, so that PSYNC may ask to continue it. */
  private canContinue: boolean;
  /** Stream bytes received (slave_read_repl_offset), and applied (slave_repl_offset). */
  private readOffset: number;
  private processed: number;
  /** Up to where the bytes applied went to the log (`processed` once appendApplied ran). */
  private logged: number;
  /** Stream bytes received but not yet appended to the log, oldest first. */
  private unapplied: Buffer[] = [];
  private readonly readCopies = new ReadCopies();
  private lastIo = 0;
  private linkDownSince = 0;
  private everUp = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** A payload is being loaded: no new attempt starts until it is done. */
  private loadRunning = false;
  /**
   * The db the stream was on when the last connection ended (or as the payload's
   * repl-stream-db says): a partial resync continues there, as redis-server's cached
   * master keeps its db, since the leader sends no SELECT where nothing changed.
   */
  private lastStreamDb: number;
  /** The position is to be recorded in the AOF at the end of this turn's commands. */
  private annotationQueued = false;
  /** The bytes applied are to be appended to the log at the end of this read's commands. */
  private appendQueued = false;

  constructor(
    private readonly broker: FollowerHost,
    private readonly replication: FollowerReplication,
    readonly host: string,
    readonly port: number,
    /** True when the dataset is the log's history (REPLICAOF on a running broker): PSYNC tries to continue it. */
    resumable: boolean,
    /** The db the stream is on at that position (the link this one replaces was on it). */
    streamDb: number,
    /** Called when the link goes up or down. */
    private readonly linkChanged: () => void,
    /** A handover (FAILOVER): PSYNC asks the leader to take over, and this learns whether it did. */
    private failover: ((accepted: boolean) => void) | null = null,
  ) {
    this.canContinue = resumable;
    this.lastStreamDb = streamDb;
    this.readOffset = this.processed = this.logged = replication.log.offset;
  }

  /** The db the leader's stream is on at the offset applied (a chained follower's full resync says it: RDB repl-stream-db). */
  get streamDb(): number {
    return this.connection?.db.id ?? this.lastStreamDb;
  }

  /** Whether the dataset is a whole history a leader may continue (false while it is being replaced). */
  get resumable(): boolean {
    return this.canContinue;
  }

  /**
   * Starts the once-a-second work, which connects; `now`: connect at once (REPLICAOF)
   * rather than at the first tick (`replicaof` at start-up: once the broker's own load is over).
   */
  start(now: boolean): void {
    this.timer = setInterval(this.broker.guard('in the replication cron', () => this.cron()), CRON_MS);
    this.timer.unref();
    if (now) this.connect('Connecting');
  }

  /** Ends the link for good (REPLICAOF NO ONE or another leader, shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.dropLink();
  }

  get status(): FollowerStatus {
    const now = Date.now();
    const up = this.phase === 'stream';
    // Without a stream or a position to continue, redis-server shows offsets of 1.
    const known = up || this.canContinue;
    return {
      host: this.host,
      port: this.port,
      linkStatus: up ? 'up' : 'down',
      lastIoSecondsAgo: up ? Math.floor((now - this.lastIo) / 1000) : -1,
      syncInProgress: this.phase === 'payload' || this.phase === 'loading',
      readOffset: known ? this.readOffset : 1,
      processedOffset: known ? this.processed : 1,
      state: this.state(),
      extraInfo: this.extraInfo(now),
    };
  }

  /** replicationInfo's transfer fields (master_sync_*) and master_link_down_since_seconds. */
  private extraInfo(now: number): string[] {
    const lines: string[] = [];
    const payload = this.payload;
    if ((this.phase === 'payload' || this.phase === 'loading') && payload !== null) {
      const total = payload.announced;
      const left = total < 0 ? 0 : total - payload.received;
      const perc = total <= 0 ? 0 : (payload.received * 100) / total;
      lines.push(
        `master_sync_total_bytes:${total}`,
        `master_sync_read_bytes:${payload.received}`,
        `master_sync_left_bytes:${left}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${Math.floor((now - this.lastIo) / 1000)}`,
      );
    }
    if (this.phase !== 'stream') lines.push(`master_link_down_since_seconds:${this.everUp ? Math.floor((now - this.linkDownSince) / 1000) : -1}`);
    return lines;
  }

  private state(): FollowerStatus['state'] {
    switch (this.phase) {
      case 'idle':
        return 'connect';
      case 'connecting':
        return 'connecting';
      case 'ping':
      case 'handshake':
      case 'psync':
        return 'handshake';
      case 'payload':
      case 'loading':
        return 'sync';
      case 'stream':
        return 'connected';
    }
  }

  // --- connecting and the handshake ----------------------------------------------

  private connect(verb: 'Connecting' | 'Reconnecting'): void {
    const log = this.broker.log;
    log.info(`${verb} to MASTER ${this.host}:${this.port}`);
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    this.phase = 'connecting';
    this.lastIo = Date.now();
    log.info('MASTER <-> REPLICA sync started');
    socket.setNoDelay(true);
    socket.on('connect', this.broker.guard('connecting to the leader', () => this.connected(socket)));
    socket.on('data', this.onHandshakeData);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket !== this.socket) return;
      if (this.phase === 'connecting') log.warn(`Unable to connect to MASTER: ${strerror(err)}`);
      else if (this.phase !== 'stream') log.warn(`Error condition on socket for SYNC: ${strerror(err)}`);
    });
    socket.on('close', this.broker.guard('on the link to the leader closing', () => this.closed(socket)));
  }

  private connected(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.broker.log.info('Non blocking connect for SYNC fired the event.');
    this.phase = 'ping';
    this.lastIo = Date.now();
    socket.write(PING_COMMAND);
  }

  private readonly onHandshakeData = (chunk: Buffer): void => {
    this.broker.guard('reading from the leader', () => this.handshakeData(chunk))();
  };

  private handshakeData(chunk: Buffer): void {
    this.lastIo = Date.now();
    this.broker.stats.netReplInputBytes += chunk.length;
    if (this.phase === 'payload') return this.payloadData(chunk);
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (this.socket !== null && (this.phase === 'ping' || this.phase === 'handshake' || this.phase === 'psync')) {
      const line = this.readLine();
      if (line === null) return;
      if (this.phase === 'ping') this.pingReplied(line);
      else if (this.phase === 'handshake') this.stepReplied(line);
      // The leader may send newlines to keep the link alive before it answers PSYNC.
      else if (line !== '') this.psyncReplied(line);
    }
    if ((this.phase as Phase) === 'payload' && this.input.length > 0) {
      const rest = this.input;
      this.input = EMPTY;
      this.payloadData(rest);
    }
  }

  /** The next line of the input without its CRLF, or null until one is complete. */
  private readLine(): string | null {
    const end = this.input.indexOf(10);
    if (end < 0) {
      if (this.input.length > LINE_MAX) this.abort('Protocol error from MASTER: reply line too long');
      return null;
    }
    const line = this.input.latin1Slice(0, end > 0 && this.input[end - 1] === 13 ? end - 1 : end);
    this.input = this.input.subarray(end + 1);
    return line;
  }

  private pingReplied(line: string): void {
    const error = pingReplyError(line);
    if (error !== null) return this.abort(`Error reply to PING from master: '${error}'`);
    this.broker.log.info('Master replied to PING, replication can continue...');
    const config = this.broker.config;
    const announcedPort = config.int('replica-announce-port');
    this.steps = handshakeSteps({
      masterauth: config.get('masterauth'),
      masteruser: config.get('masteruser'),
      listeningPort: announcedPort !== 0 ? announcedPort : this.broker.port,
      announceIp: config.get('replica-announce-ip'),
    });
    this.phase = 'handshake';
    this.socket!.write(Buffer.concat(this.steps.map((s) => s.bytes)));
  }

  private stepReplied(line: string): void {
    const step = this.steps.shift()!;
    if (line.startsWith('-')) {
      const error = line.slice(1);
      if (step.kind === 'auth') return this.abort(`Unable to AUTH to MASTER: ${error}`);
      this.broker.log.info(`(Non critical) Master does not understand REPLCONF ${step.kind === 'capa' ? 'capa' : step.kind}: ${error}`);
    }
    if (this.steps.length === 0) this.sendPsync();
  }

  private sendPsync(): void {
    const log = this.broker.log;
    const replicationLog = this.replication.log;
    let position: { replid: string; offset: number } | null = null;
    if (this.canContinue) {
      position = { replid: replicationLog.replid, offset: this.processed + 1 };
      log.info(`Trying a partial resynchronization (request ${position.replid}:${position.offset}).`);
    } else {
      log.info('Partial resynchronization not possible (no cached master)');
    }
    this.phase = 'psync';
    this.socket!.write(psyncCommand(position, this.failover !== null));
  }

  private psyncReplied(line: string): void {
    const log = this.broker.log;
    const reply = parsePsyncReply(line);
    const failover = this.failover;
    if (failover !== null) {
      this.failover = null;
      failover(reply.kind === 'full' || reply.kind === 'continue');
      if (reply.kind !== 'full' && reply.kind !== 'continue') return;
    }
    switch (reply.kind) {
      case 'full':
        log.info(`Full resync from master: ${reply.replid}:${reply.offset}`);
        return this.beginTransfer(reply.replid, reply.offset);
      case 'continue':
        return this.continued(reply.replid);
      case 'try-later':
        return this.abort(`Master is currently unable to PSYNC but should be in the future: ${reply.error}`);
      case 'error':
        return this.abort(`Unexpected reply to PSYNC from master: ${reply.error}`);
    }
  }

  private continued(newId: string | null): void {
    const log = this.broker.log;
    log.info('Successful partial resynchronization with master.');
    const replicationLog = this.replication.log;
    if (newId !== null && newId !== replicationLog.replid) {
      log.info(`Master replication ID changed to ${newId}`);
      replicationLog.shiftIds(newId);
      // Their history continues under the new id too: they reconnect and learn it.
      this.replication.leader.dropAll();
    }
    log.info('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
    const rest = this.input;
    this.input = EMPTY;
    this.startStream(rest);
  }

  // --- the payload -------------------------------------------------------------------

  private beginTransfer(replid: string, offset: number): void {
    const dir = this.broker.config.get('dir');
    const file = path.join(dir, `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
    let fd: number;
    try {
      fd = fs.openSync(file, 'w+');
    } catch (err) {
      return this.abort(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${strerror(err)}`);
    }
    this.temp = { fd, path: file };
    this.fullSync = { replid, offset };
    this.payload = new PayloadReceiver({
      write: (bytes) => {
        // writeSync may take part of the bytes.
        for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      },
    });
    this.phase = 'payload';
    // Started while the leader makes the payload, when this process mostly waits for
    // its bytes: the load below waits for what is left of it (warm-up.ts). Not before
    // this read is handled: the payload's first bytes may be in it.
    const log = this.broker.log;
    setImmediate(() => void warmApplyPath(log));
  }

  private payloadData(chunk: Buffer): void {
    const payload = this.payload!;
    const wasStarted = payload.started;
    let progress;
    try {
      progress = payload.feed(chunk);
    } catch (err) {
      return this.abort(`Write error writing to the DB file ${this.temp?.path ?? ''}: ${strerror(err)}`);
    }
    if (!wasStarted && payload.started) {
      const what = payload.eofMode ? 'streamed RDB from master with EOF' : `${payload.announced} bytes from master`;
      this.broker.log.info(`MASTER <-> REPLICA sync: receiving ${what} to disk`);
    }
    if (progress.state === 'error') return this.abort(progress.error);
    if (progress.state === 'done') void this.loadPayload(progress.rest);
  }

  /** The payload is on disk: the dataset is replaced by it, then the stream begins. */
  private async loadPayload(rest: Buffer): Promise<void> {
    const socket = this.socket!;
    const temp = this.temp!;
    const { replid, offset } = this.fullSync!;
    // Commands that follow wait in the socket until the dataset is loaded.
    socket.pause();
    this.phase = 'loading';
    this.temp = null;
    this.loadRunning = true;
    const { log, engine, persistence } = this.broker;
    const size = this.payload!.received;
    try {
      log.info('Discarding previously cached master state.');
      this.canContinue = false;
      const aofWasOn = persistence.suspendAofForSync();
      log.info('MASTER <-> REPLICA sync: Flushing old data');
      engine.flushAll();
      this.replication.leader.dropAll();
      log.info('MASTER <-> REPLICA sync: Loading DB in memory');
      // Read from the file a window at a time, never whole (a payload may be larger than
      // the memory it leaves once loaded). A follower keeps keys past their time: the
      // leader's DEL removes them (now: 0).
      const steps = snapshotSourceLoadSteps(engine.dbs, fileSource(temp.fd, size), { now: 0 });
      const loaded = await persistence.loading.runLoad({ totalBytes: size, steps });
      log.info(`Done loading RDB, keys loaded: ${loaded.keys}, keys expired: ${loaded.expired}.`);
      const streamDb = Number(loaded.aux?.get('repl-stream-db') ?? 0);
      this.lastStreamDb = Number.isInteger(streamDb) && streamDb >= 0 && streamDb < engine.dbs.length ? streamDb : 0;
      this.replication.log.adopt(replid, offset);
      this.processed = offset;
      this.canContinue = true;
      if (aofWasOn) {
        persistence.resumeAofAfterSync();
        this.recordPosition();
      }
      // A fresh process's apply path is compiled before the stream flows (begun with the transfer).
      await warmApplyPath(log);
    } catch (err) {
      if (err instanceof LoadCancelled) return;
      engine.flushAll();
      const why = err instanceof FormatError ? `${err.message} at offset ${err.offset}` : strerror(err);
      return this.abort(`Failed trying to load the MASTER synchronization DB from disk: ${why}`);
    } finally {
      this.loadRunning = false;
      fs.closeSync(temp.fd);
      fs.rmSync(temp.path, { force: true });
    }
    // The link dropped or was stopped meanwhile: the next attempt continues from the loaded position.
    if (this.phase !== 'loading' || socket.destroyed) return this.dropLink();
    log.info('MASTER <-> REPLICA sync: Finished with success');
    this.startStream(rest);
    // The first acknowledgement at once: a leader that sent the payload diskless waits for it.
    this.sendAck();
  }

  // --- the stream ----------------------------------------------------------------------

  private startStream(rest: Buffer): void {
    const socket = this.socket!;
    socket.pause();
    socket.off('data', this.onHandshakeData);
    this.payload = null;
    this.fullSync = null;
    this.readOffset = this.logged = this.processed;
    this.unapplied = [];
    const connection = this.broker.adopt(
      (id) => new LeaderConnection(this.broker, socket, id, (c) => this.applied(c), () => this.sendAck()),
    );
    connection.db = this.broker.engine.dbs[this.lastStreamDb];
    this.connection = connection;
    // Counted before the connection parses them: its offset is what was read minus what it has not consumed.
    // What the socket's Readable holds already (and `rest`) still comes as 'data' events.
    socket.prependListener('data', this.onStreamData);
    readDirectly(
      socket,
      this.broker.guard('reading from the leader', (chunk: Buffer) => {
        const copy = this.readCopies.copy(chunk);
        this.onStreamData(copy);
        connection.input(copy);
      }),
    );
    if (rest.length > 0) socket.unshift(rest);
    this.phase = 'stream';
    this.everUp = true;
    this.lastIo = Date.now();
    this.linkChanged();
    socket.resume();
  }

  private readonly onStreamData = (chunk: Buffer): void => {
    this.lastIo = Date.now();
    this.readOffset += chunk.length;
    this.unapplied.push(chunk);
  };

  /**
   * After a whole command was applied: its bytes are the log's once this read's commands
   * have run (appendApplied), as one view per read rather than one per command.
   */
  private applied(c: LeaderConnection): void {
    this.processed = this.readOffset - c.parser.pendingBytes;
    if (!this.appendQueued) {
      this.appendQueued = true;
      queueMicrotask(this.appendApplied);
    }
    if (!this.annotationQueued && this.broker.persistence.state !== 'off') {
      // Once the turn's commands ran: their effects are in the AOF before it.
      this.annotationQueued = true;
      queueMicrotask(this.recordPosition);
    }
  }

  /** The bytes applied since the last call go to the log (the backlog and chained followers). */
  private readonly appendApplied = (): void => {
    this.appendQueued = false;
    const log = this.replication.log;
    let bytes = this.processed - this.logged;
    this.logged = this.processed;
    while (bytes > 0 && this.unapplied.length > 0) {
      const chunk = this.unapplied[0];
      if (chunk.length <= bytes) {
        this.unapplied.shift();
        log.append(chunk);
        bytes -= chunk.length;
      } else {
        log.append(chunk.subarray(0, bytes));
        this.unapplied[0] = chunk.subarray(bytes);
        bytes = 0;
      }
    }
  };

  /**
   * Records the position the AOF's content stands for, as an annotation after the
   * effects of the commands applied so far: a follower restarted from its AOF continues
   * from there (ARCHITECTURE.md, "Replication").
   */
  private readonly recordPosition = (): void => {
    this.annotationQueued = false;
    this.broker.persistence.annotate(`REPL ${this.replication.log.replid} ${this.processed} ${this.streamDb}`);
  };

  /**
   * `replicaof` at start-up: the AOF loaded may stand for a position in the leader's
   * stream (persistence.ts `recordedReplPosition`); the log takes it, and PSYNC asks to
   * continue from it, where redis-server 7.0 would need a full resync.
   */
  private resumeFromAof(): void {
    const recorded = this.broker.persistence.recordedReplPosition;
    this.broker.persistence.recordedReplPosition = null;
    if (recorded === null || this.canContinue) return;
    this.broker.log.info(`Resuming from the position recorded in the AOF: ${recorded.replid}:${recorded.offset}`);
    this.replication.log.adopt(recorded.replid, recorded.offset);
    this.readOffset = this.processed = recorded.offset;
    this.lastStreamDb = recorded.db < this.broker.engine.dbs.length ? recorded.db : 0;
    this.canContinue = true;
  }

  private sendAck(): void {
    if (this.phase !== 'stream' || this.socket === null) return;
    this.socket.write(ackCommand(this.processed));
  }

  // --- losing the link -------------------------------------------------------------------

  /** Ends this attempt (logged as a warning); the cron tries again within a second. */
  private abort(why: string): void {
    this.broker.log.warn(why);
    this.dropLink();
  }

  /** Closes the socket and whatever the attempt had open; back to 'connect'. */
  private dropLink(): void {
    const socket = this.socket;
    this.socket = null;
    const wasUp = this.phase === 'stream';
    // What was applied is the log's before the link's bytes are dropped.
    this.appendApplied();
    if (this.connection !== null) {
      this.lastStreamDb = this.connection.db.id;
      this.connection.close();
      this.connection = null;
    }
    socket?.destroy();
    if (this.temp !== null) {
      fs.closeSync(this.temp.fd);
      fs.rmSync(this.temp.path, { force: true });
      this.temp = null;
    }
    this.phase = 'idle';
    this.payload = null;
    this.input = EMPTY;
    this.unapplied = [];
    if (wasUp) {
      this.linkDownSince = Date.now();
      this.linkChanged();
    }
  }

  private closed(socket: net.Socket): void {
    if (socket !== this.socket) return;
    const wasUp = this.phase === 'stream';
    this.dropLink();
    if (!wasUp) return this.broker.log.warn('Master closed the connection during the synchronization');
    const log = this.broker.log;
    log.warn('Connection with master lost.');
    log.info('Caching the disconnected master state.');
    if (!this.stopped) this.connect('Reconnecting');
  }

  // --- once a second ---------------------------------------------------------------------

  private cron(): void {
    const timeoutMs = this.broker.config.int('repl-timeout') * 1000;
    const silent = Date.now() - this.lastIo > timeoutMs;
    switch (this.phase) {
      case 'idle':
        if (this.stopped || this.loadRunning || this.broker.persistence.loading.active) return;
        this.resumeFromAof();
        this.connect('Connecting');
        return;
      case 'connecting':
      case 'ping':
      case 'handshake':
      case 'psync':
        if (silent) this.abort('Timeout connecting to the MASTER...');
        return;
      case 'payload':
        if (silent) this.abort("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
        return;
      case 'loading':
        // The leader must not give up on us while the load runs (redis-server's replicationSendNewlineToMaster).
        this.socket?.write('\n');
        return;
      case 'stream':
        if (silent) {
          this.broker.log.warn('MASTER timeout: no data nor PING received...');
          this.connection?.close();
          return;
        }
        this.sendAck();
        return;
    }
  }
}
