/**
 * Whether and whom this broker follows: REPLICAOF / SLAVEOF, `replicaof` from the
 * config file or flags, and what following changes around the link (follower.ts): the
 * role (replication.ts), no expiry of its own (engine `followsLeader`), and
 * -MASTERDOWN while the link is down under `replica-serve-stale-data no`.
 *
 * As redis-server's replicaofCommand and replicationSetMaster/replicationUnsetMaster:
 * REPLICAOF on a running broker asks its leader to continue from this broker's own
 * position (`PSYNC <replid> <offset+1>`, "using my own master parameters"), which
 * succeeds when the leader was a sibling or a follower of this broker (PSYNC2); a
 * broker started with `replicaof` asks for a full resync (`PSYNC ? -1`).
 */
import type { CommandDef } from '../../engine/command.js';
import { MASTERDOWN, REPLICAOF_DURING_FAILOVER, REPLICAOF_FROM_REPLICA, REPLICAOF_INVALID_PORT, UNBLOCKED_STATE_CHANGED } from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import { clientInfoLine } from '../commands/client.js';
import type { Connection } from '../net/connection.js';
import { FollowerLink, type FollowerHost } from './follower.js';
import type { Replication } from './replication.js';

/** What following uses of replication: the log and followers the link needs, and the role switch. */
type RoleSwitch = Pick<Replication, 'log' | 'leader' | 'becomeFollower' | 'becomeLeader' | 'failover'>;

export class Following {
  /** The link to the leader followed now, or null when this broker leads. */
  link: FollowerLink | null = null;

  constructor(
    private readonly broker: FollowerHost,
    private readonly replication: RoleSwitch,
  ) {
    const config = broker.config;
    config.onChange('replica-serve-stale-data', () => this.updateStaleGate());
    broker.shutdownHooks.push(() => {
      this.link?.stop();
      return null;
    });
    broker.commands.register(this.commands());
    // `replicaof` in the config file or flags: followed once the broker has loaded its own data.
    const configured = config.get('replicaof');
    if (configured !== '') {
      const [host, port] = configured.split(' ');
      this.follow(host, Number(port), false, false);
    }
  }

  /**
   * Follows `host:port` from now on (an earlier link ends). `resumable`: the dataset is
   * this broker's own history, which the new leader may continue; `now`: connect at
   * once, else within a second, after the start-up load; `failover`: the PSYNC asks the
   * leader to take over first (failover.ts), and this is told whether it did.
   */
  follow(host: string, port: number, resumable: boolean, now = true, failover: ((accepted: boolean) => void) | null = null): void {
    if (this.link === null) this.disconnectBlockedClients();
    this.link?.stop();
    // A follower re-pointed goes on in the db its stream was on (a leader's own stream starts with a SELECT).
    const streamDb = this.link?.streamDb ?? 0;
    const link = new FollowerLink(this.broker, this.replication, host, port, resumable, streamDb, () => this.updateStaleGate(), failover);
    this.link = link;
    this.broker.engine.followsLeader = true;
    this.broker.config.assign('replicaof', `${host} ${port}`);
    this.replication.becomeFollower(link);
    this.updateStaleGate();
    link.start(now);
  }

  /**
   * A leader turning follower: its blocked clients (they waited for writes this broker
   * no longer takes from them) get -UNBLOCKED and are disconnected, as redis-server's
   * disconnectAllBlockedClients.
   */
  private disconnectBlockedClients(): void {
    const blocking = this.broker.engine.blocking;
    if (blocking.size === 0) return;
    for (const c of this.broker.connections.values()) {
      if (!blocking.isBlocked(c)) continue;
      c.closeAfterReply = true;
      blocking.unblock(c, UNBLOCKED_STATE_CHANGED);
    }
  }

  /** Leads again (REPLICAOF NO ONE): the link ends, keys expire here again. */
  unfollow(): void {
    if (this.link === null) return;
    this.link.stop();
    this.link = null;
    this.broker.engine.followsLeader = false;
    this.broker.config.assign('replicaof', '');
    this.replication.becomeLeader();
    this.updateStaleGate();
  }

  /** -MASTERDOWN for commands without the `stale` flag while the link is down, if stale data is not to be served. */
  private updateStaleGate(): void {
    const down = this.link !== null && this.link.status.linkStatus === 'down';
    this.broker.dispatcher.staleRefusal = down && !this.broker.config.bool('replica-serve-stale-data') ? MASTERDOWN : null;
  }

  private replicaof(c: Connection, argv: string[]): void {
    const log = this.broker.log;
    if (this.replication.failover !== null && this.replication.failover.state !== 'no-failover') return c.reply.error(REPLICAOF_DURING_FAILOVER);
    if (argv[1].toLowerCase() === 'no' && argv[2].toLowerCase() === 'one') {
      if (this.link !== null) {
        this.unfollow();
        log.info(`MASTER MODE enabled (user request from '${clientInfoLine(c, argv)}')`);
      }
      return c.reply.ok();
    }
    if (c.kind === 'replica') return c.reply.error(REPLICAOF_FROM_REPLICA);
    const host = argv[1];
    const port = parseInt64(argv[2]);
    if (port === null || port < 0 || port > 65535) return c.reply.error(REPLICAOF_INVALID_PORT);
    const link = this.link;
    if (link !== null && link.host.toLowerCase() === host.toLowerCase() && link.port === Number(port)) {
      log.info('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
      return c.reply.simple('OK Already connected to specified master');
    }
    if (link === null) {
      log.info('Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.');
    }
    // A follower re-pointed keeps its position too, unless its dataset was being replaced.
    this.follow(host, Number(port), link === null || link.resumable);
    log.info(`REPLICAOF ${host}:${port} enabled (user request from '${clientInfoLine(c, argv)}')`);
    c.reply.ok();
  }

  private commands(): CommandDef<Connection>[] {
    const handler = (c: Connection, argv: string[]): void => this.replicaof(c, argv);
    return [
      { name: 'replicaof', handler },
      { name: 'slaveof', handler },
    ];
  }
}
