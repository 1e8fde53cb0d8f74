/**
 * The leader side of replication: followers attached to this broker, as
 * redis-server's master side of replication.c. A follower asks `PSYNC <replid>
 * <offset>`; it continues from the backlog (`+CONTINUE`) when the log can
 * (ReplicationLog.continueFrom), else it gets `+FULLRESYNC <replid> <offset>` and the
 * dataset as an RDB streamed as the copy-on-write snapshot is made
 * (broker/persistence/full-sync.ts), several followers sharing one snapshot. The
 * snapshot's instant is the offset: the stream after it is kept in the follower's
 * connection output, held while the payload goes to the socket directly, and sent
 * after it (once the follower's first REPLCONF ACK says it loaded, as redis-server's
 * repl_start_cmd_stream_on_ack). The link then carries the stream: each turn's bytes
 * are views of the log's blocks (log.ts), the same Buffers in every follower's output
 * and in the backlog, under its
 * client-output-buffer-limit (replica class), so a follower that falls behind is
 * dropped (and resyncs) rather than grow the leader's memory.
 *
 * Also: REPLCONF ACK bookkeeping, PING every repl-ping-replica-period, repl-timeout,
 * WAIT, min-replicas-to-write, repl-backlog-ttl, SHUTDOWN waiting for the followers, and
 * what INFO and ROLE show.
 *
 * With `repl-diskless-sync no`, or for a follower without `capa eof`, the snapshot goes
 * through a temp file sent as `$<length>` (full-sync.ts), and a follower arriving while
 * it is written shares it: its `+FULLRESYNC` names the snapshot's offset and its output
 * starts with the stream since, from the backlog (redis-server copies another waiting
 * replica's output buffer instead).
 *
 * Where it differs from redis-server: no fork; the disk-based payload is a temp file of
 * its own, not `dbfilename`; WAIT counts from the offset of the caller's last write as
 * redis-server's `c->woff`.
 */
import type { Connection } from '../net/connection.js';
import type { ShutdownOptions } from '../server.js';
import { syncsDiskless, type SyncPosition, type SyncTarget } from '../persistence/full-sync.js';
import type { Replication, ReplicationHost } from './replication.js';

/** redis-server's replstate for a replica, as INFO names them. */
type FollowerState = 'wait_bgsave_start' | 'wait_bgsave_end' | 'online';

/** What a connection announced with REPLCONF before (or after) its PSYNC. */
export interface FollowerCapabilities {
  eof: boolean;
  psync2: boolean;
  rdbOnly: boolean;
  listeningPort: number;
  ipAddress: string | null;
}

/** One connection this broker leads (redis-server's client with CLIENT_SLAVE). */
class AttachedFollower {
  state: FollowerState = 'wait_bgsave_start';
  /** The stream flows to the socket (false while the payload goes or the first ACK is awaited). */
  streaming = false;
  /** Its payload is streamed as it is made (else sent from a file): the stream then waits for its first ACK. */
  diskless = true;
  /** repl_ack_off and repl_ack_time (ms). */
  ackOffset = 0;
  ackTime = Date.now();
  /** When it began waiting for a snapshot (repl-diskless-sync-delay). */
  readonly since = Date.now();
  /** When its payload last moved (a write taken by the socket): repl-timeout during a full resync. */
  payloadMoved = Date.now();
  /** Its payload's first bytes were sent. */
  payloadStarted = false;

  constructor(
    readonly conn: Connection,
    readonly caps: FollowerCapabilities,
    /** Asked with PSYNC (false: SYNC, redis-server's CLIENT_PRE_PSYNC). */
    readonly psync: boolean,
  ) {}

  /** replicationGetSlaveName: `ip:listening-port`, as the logs name a replica. */
  get name(): string {
    const port = this.caps.listeningPort;
    return `${this.ip}:${port !== 0 ? port : '<unknown-replica-port>'}`;
  }

  get ip(): string {
    if (this.caps.ipAddress !== null) return this.caps.ipAddress;
    const addr = this.conn.addr;
    return addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  }
}

/**
 * A turn's stream bytes are written to the followers at once, unless the last write was
 * less than COALESCE_GAP_MS ago: under a high rate of small turns they are then held and
 * written together COALESCE_MS later, or once COALESCE_BYTES wait. Without pipelining a
 * turn carries a few commands, and one write a turn meant a follower woken and a
 * write(2) (with, on loopback, the follower's TCP receive) every ten commands or so; a
 * steady lower rate (a turn a millisecond, 10,000 XADD/s in batches) is not held.
 * WAIT, REPLCONF GETACK and SHUTDOWN write at once.
 */
const COALESCE_GAP_MS = 0.25;
const COALESCE_MS = 1;
const COALESCE_BYTES = 64 * 1024;

const PING = Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1');
const GETACK = Buffer.from('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n', 'latin1');
const CRON_MS = 1000;

interface AckWait {
  conn: Connection;
  offset: number;
  replicas: number;
}

export class Leader {
  readonly followers = new Map<Connection, AttachedFollower>();
  /** INFO stats. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** Followers online with an ACK within min-replicas-max-lag (repl_good_slaves_count). */
  goodReplicas = 0;
  /** Each client's offset after its last write (redis-server's c->woff), for WAIT. */
  private readonly writeOffsets = new WeakMap<Connection, number>();
  /** The client that wrote last (null: none, or the server itself) and its offset, not yet in writeOffsets. */
  private lastWriter: Connection | null = null;
  private lastWriteOffset = 0;
  /** Clients blocked in WAIT. */
  private readonly waits: AckWait[] = [];
  private getAckScheduled = false;
  /** Called on every ACK while a shutdown waits for the followers. */
  private onAck: (() => void) | null = null;
  private deliveryScheduled = false;
  private readonly deliverTurn = (): void => this.deliver(false);
  /** Stream bytes handed to the followers' outputs and not yet written, and when the last write was. */
  private unwritten = 0;
  private lastWrite = 0;
  private writeTimer: NodeJS.Timeout | null = null;
  private readonly writeHeld = (): void => {
    this.writeTimer = null;
    this.writeStream();
  };
  private noFollowersSince = Date.now();
  private cronLoops = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: ReplicationHost,
    private readonly replication: Replication,
  ) {
    const log = replication.log;
    log.onTurnStart = () => {
      if (this.deliveryScheduled) return;
      this.deliveryScheduled = true;
      setImmediate(this.deliverTurn);
    };
    const config = host.config;
    for (const name of ['min-replicas-to-write', 'min-replicas-max-lag']) {
      config.onChange(name, () => {
        this.refreshGoodReplicas();
        replication.updateWriteGate();
      });
    }
    this.startCron();
    // First of the hooks: the followers catch up before the final save, writes held meanwhile.
    host.shutdownHooks.unshift((options, aborted) => this.beforeShutdown(options, aborted));
    host.persistence.fullSyncs.positionOf = () => ({ replid: log.replid, offset: log.offset, streamDb: this.streamDb() });
  }

  // --- the stream ------------------------------------------------------------------

  /**
   * The db the stream is on at this offset: a leader restarts it with a SELECT for the
   * new follower (0 then, as redis-server says); a follower passes its leader's on.
   */
  private streamDb(): number {
    const replication = this.replication;
    return replication.role === 'replica' ? (replication.follower?.streamDb ?? 0) : 0;
  }

  /**
   * An own unit went into the log: the running client's WAIT offset moves (c->woff).
   * The last writer's is kept aside and goes into the WeakMap only once another client
   * writes, so a pipeline of writes costs one WeakMap update rather than one a write.
   */
  wrote(): void {
    const c = this.host.dispatcher.current;
    if (c !== this.lastWriter) {
      if (this.lastWriter !== null) this.writeOffsets.set(this.lastWriter, this.lastWriteOffset);
      this.lastWriter = c;
    }
    this.lastWriteOffset = this.replication.log.offset;
  }

  /**
   * Hands the turn's stream bytes to every follower past its snapshot's instant: into
   * the output of those streaming, written now (`now`, or unless the last write was
   * just before) or with the next turns' (COALESCE_MS); held in the output of those
   * still loading. Called
   * once per turn, and before a follower attaches (its stream starts after what is pending).
   */
  deliver(now: boolean): void {
    this.deliveryScheduled = false;
    const turn = this.replication.log.takeTurn();
    if (turn !== null) {
      for (const f of this.followers.values()) {
        if (f.state === 'wait_bgsave_start') continue;
        for (const bytes of turn) f.conn.reply.shared(bytes);
        if (!f.streaming) this.host.outputLimits.enforce(f.conn);
      }
      for (const bytes of turn) this.unwritten += bytes.length;
    }
    if (this.unwritten === 0) return;
    if (now || this.unwritten >= COALESCE_BYTES || performance.now() - this.lastWrite >= COALESCE_GAP_MS) this.writeStream();
    else this.writeTimer ??= setTimeout(this.writeHeld, COALESCE_MS);
  }

  /** Writes what the streaming followers' outputs hold (a connection's flush also enforces its output limit). */
  private writeStream(): void {
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    this.unwritten = 0;
    this.lastWrite = performance.now();
    for (const f of this.followers.values()) if (f.streaming) f.conn.flush();
  }

  /** Bytes of the leader's own making (PING, GETACK) into the stream, as redis-server's replicationFeedSlaves. */
  private feed(bytes: Buffer): void {
    this.replication.log.append(bytes);
  }

  // --- attaching ---------------------------------------------------------------------

  /**
   * SYNC and PSYNC (syncCommand): a partial resync when the log can continue from the
   * asked offset, else a full one, started now or once repl-diskless-sync-delay has
   * gathered the followers that will share its snapshot.
   */
  attach(c: Connection, caps: FollowerCapabilities, psync: { replid: string; offset: string } | null): void {
    const log = this.host.log;
    const follower = new AttachedFollower(c, caps, psync !== null);
    log.info(`Replica ${follower.name} asks for synchronization`);
    if (psync !== null) {
      if (this.tryContinue(follower, psync.replid, psync.offset)) return;
    }
    this.syncFull++;
    c.kind = 'replica';
    this.add(follower);
    this.ensureBacklog();
    const fullSyncs = this.host.persistence.fullSyncs;
    if (fullSyncs.job !== null) {
      // syncCommand's cases 1 and 2: a snapshot is being made.
      if (fullSyncs.joinable === null) log.info('Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC');
      else if (this.joinFileSync(follower)) log.info('Waiting for end of BGSAVE for SYNC');
      else log.info("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      return;
    }
    if (!this.startFullSyncIfDue()) log.info('Delay next BGSAVE for diskless SYNC');
  }

  /**
   * A follower arriving while a snapshot is written to a file for others shares it when
   * the backlog still holds the stream since the snapshot's instant (beginFullSync
   * gives it that stream).
   */
  private joinFileSync(f: AttachedFollower): boolean {
    const fullSyncs = this.host.persistence.fullSyncs;
    const position = fullSyncs.joinable!;
    // What is pending is in the backlog once delivered.
    this.deliver(false);
    if (!this.replication.log.continueFrom(position.replid, position.offset + 1)) return false;
    fullSyncs.join(this.syncTarget(f));
    return true;
  }

  /** masterTryPartialResynchronization: true when the follower continues from the backlog. */
  private tryContinue(f: AttachedFollower, replid: string, offsetArg: string): boolean {
    const log = this.host.log;
    const stream = this.replication.log;
    const offset = /^-?\d+$/.test(offsetArg) ? Number(offsetArg) : NaN;
    if (replid === '?') {
      log.info(`Full resync requested by replica ${f.name}`);
      return false;
    }
    if (!stream.continueFrom(replid, offset)) {
      const lower = replid.toLowerCase();
      if (lower !== stream.replid && (lower !== stream.replid2 || offset > stream.secondReplOffset)) {
        log.info(
          lower === stream.replid2
            ? `Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${stream.secondReplOffset}`
            : `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${stream.replid}' and '${stream.replid2}')`,
        );
      } else if (offset > stream.offset) {
        log.warn(`Warning: replica ${f.name} tried to PSYNC with an offset that is greater than the master replication offset.`);
      } else {
        log.info(`Unable to partial resync with replica ${f.name} for lack of backlog (Replica request was: ${offsetArg}).`);
      }
      this.syncPartialErr++;
      return false;
    }
    const c = f.conn;
    c.kind = 'replica';
    // Whatever is pending belongs before the backlog's end: it goes to the others first.
    this.deliver(false);
    f.state = 'online';
    f.streaming = true;
    this.add(f);
    c.reply.simple(f.caps.psync2 ? `CONTINUE ${stream.replid}` : 'CONTINUE');
    const tail = stream.tail(offset);
    let bytes = 0;
    for (const b of tail) {
      c.reply.shared(b);
      bytes += b.length;
    }
    c.flush();
    this.syncPartialOk++;
    this.refreshGoodReplicas();
    log.info(`Partial resynchronization request from ${f.name} accepted. Sending ${bytes} bytes of backlog starting from offset ${offset}.`);
    return true;
  }

  private add(f: AttachedFollower): void {
    this.followers.set(f.conn, f);
    this.replication.log.keepTurn = true;
    if (this.host.config.bool('repl-disable-tcp-nodelay')) f.conn.socket.setNoDelay(false);
    f.conn.socket.once('close', () => this.detach(f));
  }

  /** The follower's connection closed (killed, dropped over its limit, timed out, gone). */
  private detach(f: AttachedFollower): void {
    if (this.followers.get(f.conn) !== f) return;
    this.followers.delete(f.conn);
    this.host.log.info(`Connection with replica ${f.name} lost.`);
    if (this.followers.size === 0) {
      this.replication.log.keepTurn = false;
      this.replication.log.takeTurn();
      this.noFollowersSince = Date.now();
    }
    this.refreshGoodReplicas();
  }

  /** Disconnects every follower (disconnectSlaves: the history changed id or was replaced, they must resync to learn it). */
  dropAll(): void {
    for (const f of [...this.followers.values()]) f.conn.close();
  }

  /**
   * A backlog from the first follower on (syncCommand): created from scratch, the history
   * gets a new id, as no earlier follower can continue it.
   */
  private ensureBacklog(): void {
    const log = this.replication.log;
    if (log.active) return;
    log.newHistory();
    log.createBacklog();
    this.host.log.info(`Replication backlog created, my new replication IDs are '${log.replid}' and '${log.replid2}'`);
  }

  /**
   * Starts one snapshot for every follower waiting for one, once the oldest has waited
   * repl-diskless-sync-delay seconds (or enough are waiting), as redis-server's
   * replicationStartPendingFork; a running snapshot makes them wait for the next.
   */
  private startFullSyncIfDue(): boolean {
    const waiting = [...this.followers.values()].filter((f) => f.state === 'wait_bgsave_start');
    if (waiting.length === 0) return false;
    const config = this.host.config;
    const persistence = this.host.persistence;
    if (persistence.fullSyncs.job !== null || persistence.fullSyncs.pending) return false;
    // The delay gathers followers for a diskless snapshot; one through a file starts now, and later ones join it.
    const delay = syncsDiskless(config, waiting.map((f) => f.caps)) ? config.int('repl-diskless-sync-delay') * 1000 : 0;
    const enough = config.int('repl-diskless-sync-max-replicas');
    const oldest = Math.min(...waiting.map((f) => f.since));
    if (delay > 0 && Date.now() - oldest < delay && !(enough > 0 && waiting.length >= enough)) return false;
    persistence.fullSyncs.request(
      waiting.map((f) => this.syncTarget(f)),
      persistence.snapshotBusy,
    );
    return true;
  }

  /** A follower's connection as the payload's target (full-sync.ts). */
  private syncTarget(f: AttachedFollower): SyncTarget {
    const c = f.conn;
    const socket = c.socket;
    return {
      eof: f.caps.eof,
      begin: (position: SyncPosition, diskless: boolean) => this.beginFullSync(f, position, diskless),
      write: (bytes) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed || c.closed) return reject(new Error('replica gone'));
          this.host.stats.netReplOutputBytes += bytes.length;
          f.payloadMoved = Date.now();
          f.payloadStarted = true;
          if (socket.write(bytes)) return resolve();
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            f.payloadMoved = Date.now();
            if (socket.destroyed) reject(new Error('replica gone'));
            else resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        }),
      end: (ok) => this.endFullSync(f, ok),
    };
  }

  /**
   * The snapshot's instant (replicationSetupSlaveForFullResync): `+FULLRESYNC` with
   * the offset it stands for; the stream from here on is held in the follower's output,
   * starting with a SELECT (slaveseldb = -1). A follower joining a snapshot being
   * written to a file gets the stream since its instant from the backlog first (which
   * begins with that SELECT).
   */
  private beginFullSync(f: AttachedFollower, position: SyncPosition, diskless: boolean): void {
    const c = f.conn;
    // What is pending came before now (and goes to the others); only now does
    // this follower start receiving the stream, held behind +FULLRESYNC and the payload.
    this.deliver(false);
    const log = this.replication.log;
    f.state = 'wait_bgsave_end';
    f.diskless = diskless;
    f.payloadMoved = Date.now();
    if (this.replication.role === 'master') log.encoder.selectedDb = -1;
    if (f.psync) c.reply.simple(`FULLRESYNC ${position.replid} ${position.offset}`);
    c.flush();
    c.outputHeld = true;
    for (const b of log.tail(position.offset + 1)) c.reply.shared(b);
  }

  private endFullSync(f: AttachedFollower, ok: boolean): void {
    const c = f.conn;
    if (!ok) {
      c.close();
      return;
    }
    if (f.caps.rdbOnly) {
      // redis-cli --rdb: the payload was all it wanted.
      const socket = c.socket;
      socket.end(() => socket.destroy());
      c.close();
      return;
    }
    f.state = 'online';
    f.ackTime = Date.now();
    this.refreshGoodReplicas();
    if (f.diskless) {
      this.host.log.info(`Streamed RDB transfer with replica ${f.name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`);
    } else {
      // A payload from a file: the stream follows it at once (redis-server's replicaPutOnline after sendBulkToSlave).
      this.startStream(f);
    }
    this.host.log.info(`Synchronization with replica ${f.name} succeeded`);
  }

  /** replicaStartCommandStream: what was held goes out, and the stream flows from now on. */
  private startStream(f: AttachedFollower): void {
    f.streaming = true;
    f.conn.outputHeld = false;
    f.conn.flush();
  }

  // --- acknowledgements and WAIT ------------------------------------------------------

  /** REPLCONF ACK <offset>: how far a follower has processed the stream. */
  ack(c: Connection, offset: number): void {
    const f = this.followers.get(c);
    if (f === undefined) return;
    if (offset > f.ackOffset) f.ackOffset = offset;
    f.ackTime = Date.now();
    if (f.state === 'online' && !f.streaming) this.startStream(f);
    if (this.waits.length !== 0) this.wakeWaits();
    this.onAck?.();
  }

  /** replicationCountAcksByOffset. */
  acksAt(offset: number): number {
    let n = 0;
    for (const f of this.followers.values()) if (f.state === 'online' && f.ackOffset >= offset) n++;
    return n;
  }

  /** The offset WAIT waits for on behalf of `c`: that of its last write (0 when none). */
  writeOffsetOf(c: Connection): number {
    return c === this.lastWriter ? this.lastWriteOffset : (this.writeOffsets.get(c) ?? 0);
  }

  /**
   * WAIT numreplicas timeout, once it must block: the client waits (in the engine's
   * blocking registry, as any blocked client) until enough ACKs or the timeout, and the
   * followers are asked for an ACK now (REPLCONF GETACK, once per turn).
   */
  block(c: Connection, offset: number, replicas: number, timeoutMs: number): void {
    const wait: AckWait = { conn: c, offset, replicas };
    this.waits.push(wait);
    c.engine.blocking.block(c, {
      keys: [],
      timeoutMs,
      serve: () => false,
      timedOut: () => {
        this.forget(wait);
        c.reply.int(this.acksAt(offset));
      },
    });
    if (!this.getAckScheduled) {
      this.getAckScheduled = true;
      setImmediate(() => {
        this.getAckScheduled = false;
        if (this.followers.size === 0) return;
        this.feed(GETACK);
        // The writes WAIT waits for, and the question, without the coalescing delay.
        this.deliver(true);
      });
    }
  }

  private forget(wait: AckWait): void {
    const i = this.waits.indexOf(wait);
    if (i >= 0) this.waits.splice(i, 1);
  }

  /** processClientsWaitingReplicas: WAITs now satisfied answer with the count. */
  private wakeWaits(): void {
    for (const w of [...this.waits]) {
      if (w.conn.closed) {
        this.forget(w);
        continue;
      }
      if (this.acksAt(w.offset) >= w.replicas) w.conn.engine.blocking.unblock(w.conn, null);
    }
  }

  // --- min-replicas-to-write ----------------------------------------------------------

  minReplicasEnabled(): boolean {
    const config = this.host.config;
    return config.int('min-replicas-to-write') > 0 && config.int('min-replicas-max-lag') > 0;
  }

  /** checkGoodReplicasStatus. */
  enoughGoodReplicas(): boolean {
    return this.goodReplicas >= this.host.config.int('min-replicas-to-write');
  }

  /** refreshGoodSlavesCount: online followers whose last ACK is at most min-replicas-max-lag seconds old. */
  private refreshGoodReplicas(): void {
    const maxLag = this.host.config.int('min-replicas-max-lag');
    const now = Math.floor(Date.now() / 1000);
    let good = 0;
    for (const f of this.followers.values()) {
      if (f.state === 'online' && now - Math.floor(f.ackTime / 1000) <= maxLag) good++;
    }
    this.goodReplicas = good;
  }

  // --- shutdown --------------------------------------------------------------------

  /**
   * SHUTDOWN and SIGTERM, as redis-server 7.0's prepareForShutdown: unless NOW (or
   * shutdown-timeout 0), writes are held and the followers asked for an ACK, and the
   * shutdown waits up to shutdown-timeout seconds for every online follower to have the
   * whole stream; then it says which ones lag. SHUTDOWN ABORT ends the wait, and the
   * pause, and the leader goes on as before (cancelShutdown).
   */
  private async beforeShutdown(options: ShutdownOptions, aborted: AbortSignal): Promise<null> {
    // The cron's PINGs would move the offset the followers must reach.
    this.stopCron();
    const timeoutMs = this.host.config.int('shutdown-timeout') * 1000;
    const log = this.host.log;
    if (!options.now && timeoutMs > 0 && !this.followersInSync()) {
      this.host.pause.start(Date.now() + timeoutMs, 'write');
      this.feed(GETACK);
      this.deliver(true);
      log.info('Waiting for replicas before shutting down.');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          aborted.removeEventListener('abort', done);
          resolve();
        }
        aborted.addEventListener('abort', done);
        this.onAck = () => {
          if (this.followersInSync()) done();
        };
      });
      this.onAck = null;
      if (aborted.aborted) this.host.pause.end();
    }
    if (aborted.aborted) this.startCron();
    else this.reportLagging();
    return null;
  }

  /** isReadyToShutdown: every online follower acknowledged the whole stream. */
  private followersInSync(): boolean {
    const offset = this.replication.log.offset;
    for (const f of this.followers.values()) if (f.state === 'online' && f.ackOffset < offset) return false;
    return true;
  }

  /** finishShutdown's account of the followers. */
  private reportLagging(): void {
    if (this.followers.size === 0) return;
    const log = this.host.log;
    const offset = this.replication.log.offset;
    const now = Date.now();
    let lagging = 0;
    for (const f of this.followers.values()) {
      if (f.ackOffset === offset) continue;
      lagging++;
      const lag = f.state === 'online' ? Math.floor((now - f.ackTime) / 1000) : 0;
      const state = f.state === 'online' ? 'online' : 'wait_bgsave';
      log.warn(`Lagging replica ${f.name} reported offset ${offset - f.ackOffset} behind master, lag=${lag}, state=${state}.`);
    }
    log.info(`${this.followers.size - lagging} of ${this.followers.size} replicas are in sync when shutting down.`);
  }

  // --- the cron ------------------------------------------------------------------------

  private startCron(): void {
    this.timer = setInterval(this.host.guard('in the replication cron', () => this.cron()), CRON_MS);
    this.timer.unref();
  }

  private stopCron(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** replicationCron's leader half, every second. */
  private cron(): void {
    const config = this.host.config;
    const now = Date.now();
    const period = config.int('repl-ping-replica-period');
    if (this.cronLoops % period === 0 && this.followers.size > 0 && this.replication.role === 'master') this.feed(PING);
    this.cronLoops++;
    const timeout = config.int('repl-timeout') * 1000;
    for (const f of [...this.followers.values()]) {
      if (f.state === 'online' && f.psync && now - f.ackTime > timeout) {
        this.host.log.warn(`Disconnecting timedout replica (streaming sync): ${f.name}`);
        f.conn.close();
      } else if (f.state === 'wait_bgsave_end' && (f.diskless || f.payloadStarted) && now - f.payloadMoved > timeout) {
        // A follower that stopped reading its payload would hold the shared snapshot (and
        // every BGSAVE and rewrite behind it), or the sync file, for good.
        this.host.log.warn(`Disconnecting timedout replica (full sync): ${f.name}`);
        f.conn.close();
      } else if (f.state === 'wait_bgsave_end' && !f.diskless && !f.payloadStarted) {
        // While the sync file is written: a newline keeps the follower from timing out
        // (replicationCron's, to replicas in their pre-synchronization stage).
        f.conn.socket.write('\n');
      }
    }
    this.expireBacklog(now);
    this.refreshGoodReplicas();
    this.startFullSyncIfDue();
  }

  /** repl-backlog-ttl: a leader without followers for that long frees its backlog (and its history's id). */
  private expireBacklog(now: number): void {
    const ttl = this.host.config.int('repl-backlog-ttl');
    const log = this.replication.log;
    if (ttl === 0 || !log.active || this.followers.size > 0 || this.replication.role !== 'master') return;
    if (now - this.noFollowersSince <= ttl * 1000) return;
    log.newHistory();
    log.freeBacklog();
    this.host.log.info(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
  }
}
