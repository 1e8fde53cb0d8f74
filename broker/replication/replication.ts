/**
 * Replication, the subsystem (ARCHITECTURE.md, "Replication"): this broker's role, the
 * stream's identity and backlog (log.ts), the leader side (followers attached to this
 * broker: leader.ts) and a slot for the follower side (this broker following a
 * leader: follower.ts). main.ts builds it next to the broker (`attachReplication`)
 * with a narrow view of it, and it hooks itself on the broker's existing hooks:
 * `Engine.onEffects` (this broker's own effects into the stream, only while it leads),
 * `Broker.shutdownHooks`, `Config.onChange`, and dispatch's write gate (-READONLY,
 * -NOREPLICAS). Commands find it with `replicationOf(broker)`.
 *
 * Where it differs from redis-server: see leader.ts and follower.ts.
 */
import type { Broker } from '../server.js';
import type { Connection } from '../net/connection.js';
import { NOREPLICAS, READONLY_REPLICA } from '../../engine/errors.js';
import type { Effect } from '../../engine/engine.js';
import { commandLength } from '../persistence/aof/resp-log.js';
import { ReplicationLog } from './log.js';
import { Leader } from './leader.js';
import { replicationCommands } from './commands.js';
import type { FollowerStatus, FollowerHost } from './follower.js';
import { Following } from './following.js';
import { Failover } from './failover.js';

/** What replication uses of the broker. */
export type ReplicationHost = Pick<
  Broker,
  | 'commands'
  | 'config'
  | 'connections'
  | 'dispatcher'
  | 'engine'
  | 'guard'
  | 'log'
  | 'outputLimits'
  | 'pause'
  | 'persistence'
  | 'shutdownHooks'
  | 'stats'
>;

export type Role = 'master' | 'replica';

/** The follower side as the rest of replication sees it (follower.ts's FollowerLink). */
export interface FollowerSide {
  readonly status: FollowerStatus;
  /** The db the leader's stream is on (its last SELECT): a chained follower's full resync says it (RDB repl-stream-db). */
  readonly streamDb?: number;
}

const attached = new WeakMap<object, Replication>();

/** The replication subsystem attached to `broker`, or null (a broker built without it is a leader with no followers). */
export function replicationOf(broker: object): Replication | null {
  return attached.get(broker) ?? null;
}

/** Builds replication for `broker` (main.ts, and tests that start a broker as main.ts does). */
export function attachReplication(broker: ReplicationHost & FollowerHost): Replication {
  const replication = new Replication(broker);
  attached.set(broker, replication);
  // The follower side: REPLICAOF, and `replicaof` from the configuration.
  replication.following = new Following(broker, replication);
  replication.failover = new Failover(broker, replication, replication.following);
  return replication;
}

export class Replication {
  /** role: master (leading, possibly with followers) or replica (following `follower`'s leader). */
  role: Role = 'master';
  readonly log: ReplicationLog;
  /** Followers attached to this broker (it leads them, whatever its own role: chained followers). */
  readonly leader: Leader;
  /** The link to this broker's leader while it follows one. */
  follower: FollowerSide | null = null;
  /** Whether and whom this broker follows (following.ts); set by attachReplication. */
  following: Following | null = null;
  /** FAILOVER (failover.ts); set by attachReplication. */
  failover: Failover | null = null;

  constructor(private readonly host: ReplicationHost) {
    const config = host.config;
    this.log = new ReplicationLog(config.int('repl-backlog-size'));
    this.leader = new Leader(host, this);
    host.commands.register(replicationCommands(this));
    config.onChange('repl-backlog-size', (_, value) => this.log.resize(Number(value)));
    config.onChange('replica-read-only', () => this.updateWriteGate());
    host.engine.onEffects((unit) => {
      // The start-up load (and DEBUG LOADAOF) replays what is in the stream already;
      // a follower's own effects are its leader's stream, passed on as received.
      if (this.role !== 'master' || !this.log.active || host.persistence.loading.active) return;
      // The AOF (whose sink runs first) encoded the same unit from the same SELECT state: its bytes are the stream's.
      const aof = host.persistence.lastEncoded;
      if (aof.unit === unit && aof.dbBefore === this.log.encoder.selectedDb) this.log.appendEncoded(aof.bytes, aof.from, aof.to, aof.dbAfter);
      else if (!this.appendAsRead(unit)) this.log.appendUnit(unit);
      this.leader.wrote();
    });
    this.updateWriteGate();
  }

  /**
   * A unit that is the running command's own argv, in the stream's db, goes into the
   * stream as its client sent it when that was RESP's shortest form (`SET k v` as
   * `*3\r\n$3\r\nSET...`, what the encoder would write): the bytes of the read being
   * handled from the command's start, when they begin with `*` and are as long as that
   * form. Any other form is longer (a count or length with a leading zero, an empty
   * `*0` before it), an inline command does not begin with `*`, and a command begun in
   * an earlier read does not begin in this one. False when the unit is to be encoded.
   */
  private appendAsRead(unit: readonly Effect[]): boolean {
    if (unit.length !== 1) return false;
    const c = this.host.dispatcher.current;
    if (c === null || c.readChunk === null || c.request === null || c.requestPending < 0) return false;
    const read = c.readChunk;
    const request = c.request;
    const effect = unit[0];
    if (effect.argv !== (Array.isArray(request) ? request : request.args) || effect.db !== this.log.encoder.selectedDb) return false;
    const from = read.length - c.requestPending;
    const to = read.length - c.parser.pendingBytes;
    if (from < 0 || read[from] !== 0x2a || to - from !== commandLength(effect.argv)) return false;
    this.log.appendRequest(read, from, to);
    return true;
  }

  /**
   * This broker now follows a leader through `link` (REPLICAOF host port). Followers
   * attached to it stay, as redis-server 7.0's replicationSetMaster keeps its
   * sub-replicas: when the new leader continues this history under the same id, they
   * go on receiving its stream at the same offsets; the link drops them only when the
   * id changes (`+CONTINUE <newid>`) or a full resync replaces the dataset
   * (follower.ts), so that they learn the new history.
   */
  becomeFollower(link: FollowerSide): void {
    this.follower = link;
    this.role = 'replica';
    this.updateWriteGate();
  }

  /**
   * This broker leads again (REPLICAOF NO ONE, FAILOVER): the history goes on under a
   * new id, the old one kept as replid2 (redis-server's shiftReplicationId). As
   * replicationUnsetMaster, its own followers are disconnected so that they learn the
   * new id: they continue partially (`+CONTINUE <newid>`), and the stream restarts with
   * a SELECT.
   */
  becomeLeader(): void {
    if (this.role === 'master') return;
    this.follower = null;
    this.role = 'master';
    this.log.shiftIds();
    this.log.encoder.selectedDb = -1;
    this.leader.dropAll();
    this.updateWriteGate();
  }

  /** INFO replication, redis-server 7.0's fields in its order. */
  infoFields(): string[] {
    const log = this.log;
    const leader = this.leader;
    const config = this.host.config;
    const lines = [`role:${this.role === 'master' ? 'master' : 'slave'}`];
    const status = this.follower?.status;
    if (this.role === 'replica' && status !== undefined) {
      lines.push(
        `master_host:${status.host}`,
        `master_port:${status.port}`,
        `master_link_status:${status.linkStatus}`,
        `master_last_io_seconds_ago:${status.lastIoSecondsAgo}`,
        `master_sync_in_progress:${status.syncInProgress ? 1 : 0}`,
        `slave_read_repl_offset:${status.readOffset}`,
        `slave_repl_offset:${status.processedOffset}`,
        ...(status.extraInfo ?? []),
        `slave_priority:${config.int('replica-priority')}`,
        `slave_read_only:${config.bool('replica-read-only') ? 1 : 0}`,
        `replica_announced:${config.bool('replica-announced') ? 1 : 0}`,
      );
    }
    lines.push(`connected_slaves:${leader.followers.size}`);
    if (leader.minReplicasEnabled()) lines.push(`min_slaves_good_slaves:${leader.goodReplicas}`);
    let i = 0;
    const now = Math.floor(Date.now() / 1000);
    for (const f of leader.followers.values()) {
      const state = f.state === 'online' ? 'online' : 'wait_bgsave';
      const lag = now - Math.floor(f.ackTime / 1000);
      lines.push(`slave${i++}:ip=${f.ip},port=${f.caps.listeningPort},state=${state},offset=${f.ackOffset},lag=${lag}`);
    }
    lines.push(
      `master_failover_state:${this.failover?.state ?? 'no-failover'}`,
      `master_replid:${log.replid}`,
      `master_replid2:${log.replid2}`,
      `master_repl_offset:${log.offset}`,
      `second_repl_offset:${log.secondReplOffset}`,
      `repl_backlog_active:${log.active ? 1 : 0}`,
      `repl_backlog_size:${log.backlogSize}`,
      `repl_backlog_first_byte_offset:${log.firstByteOffset}`,
      `repl_backlog_histlen:${log.histlen}`,
    );
    return lines;
  }

  /**
   * Dispatch's write gate (processCommand): -NOREPLICAS when min-replicas-to-write
   * is not met, -READONLY on a read-only follower except for its leader's link. Null
   * when neither can refuse, so dispatch pays one test per write.
   */
  updateWriteGate(): void {
    const readOnly = this.role === 'replica' && this.host.config.bool('replica-read-only');
    const minReplicas = this.role === 'master' && this.leader.minReplicasEnabled();
    this.host.dispatcher.writeGate =
      !readOnly && !minReplicas
        ? null
        : (c: Connection) => {
            if (minReplicas && !this.leader.enoughGoodReplicas()) return NOREPLICAS;
            if (readOnly && c.kind !== 'master') return READONLY_REPLICA;
            return null;
          };
  }
}
