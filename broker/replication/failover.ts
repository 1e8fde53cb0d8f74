/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the coordinated handover of
 * redis-server 6.2+ (replication.c failoverCommand, updateFailoverStatus), run on the
 * leader. Writes are paused ('waiting-for-sync'); once a follower (the one named by TO,
 * else any) has acknowledged everything, this broker follows it with
 * `PSYNC <replid> <offset> FAILOVER` ('failover-in-progress'), which tells the follower to
 * take over first (its side: `failoverRequested`); the handover is done when the new
 * leader answers the PSYNC, and the pause ends. A timeout aborts, or with FORCE hands
 * over to the named follower anyway; an abort while in progress leads again.
 *
 * Where it differs from redis-server: acknowledgements are the followers' own (every
 * second), not asked for with REPLCONF GETACK; the pause is CLIENT PAUSE's, so CLIENT
 * UNPAUSE meanwhile ends it too.
 */
import type { CommandDef } from '../../engine/command.js';
import {
  FAILOVER_FORCE_ARGS,
  FAILOVER_IN_PROGRESS,
  FAILOVER_NO_REPLICAS,
  FAILOVER_NOT_A_REPLICA,
  FAILOVER_ON_REPLICA,
  FAILOVER_TARGET_OFFLINE,
  FAILOVER_TIMEOUT_NOT_POSITIVE,
  NO_FAILOVER,
  NOT_INTEGER,
  PSYNC_FAILOVER_ON_MASTER,
  PSYNC_FAILOVER_REPLID,
  SYNTAX,
} from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import { clientInfoLine } from '../commands/client.js';
import type { Broker } from '../server.js';
import type { Following } from './following.js';
import type { Replication } from './replication.js';

export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

type FailoverHost = Pick<Broker, 'commands' | 'log' | 'pause' | 'guard' | 'config'>;

const TICK_MS = 100;

export class Failover {
  /** master_failover_state. */
  state: FailoverState = 'no-failover';
  private target: { host: string; port: number } | null = null;
  /** When the wait (or, with FORCE, the whole handover) times out; 0: never. */
  private endTime = 0;
  private force = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: FailoverHost,
    private readonly replication: Pick<Replication, 'role' | 'leader' | 'log'>,
    private readonly following: Following,
  ) {
    broker.commands.register(this.commands());
  }

  private failover(c: Connection, argv: string[]): void {
    if (argv.length === 2 && argv[1].toLowerCase() === 'abort') {
      if (this.state === 'no-failover') return c.reply.error(NO_FAILOVER);
      this.abort('Failover manually aborted');
      return c.reply.ok();
    }
    let timeout = 0;
    let force = false;
    let target: { host: string; port: number } | null = null;
    for (let j = 1; j < argv.length; j++) {
      const option = argv[j].toLowerCase();
      if (option === 'timeout' && j + 1 < argv.length && timeout === 0) {
        const ms = parseInt64(argv[j + 1]);
        if (ms === null) return c.reply.error(NOT_INTEGER);
        if (ms <= 0n) return c.reply.error(FAILOVER_TIMEOUT_NOT_POSITIVE);
        timeout = Number(ms);
        j++;
      } else if (option === 'to' && j + 2 < argv.length && target === null) {
        const port = parseInt64(argv[j + 2]);
        if (port === null) return c.reply.error(NOT_INTEGER);
        target = { host: argv[j + 1], port: Number(port) };
        j += 2;
      } else if (option === 'force' && !force) {
        force = true;
      } else {
        return c.reply.error(SYNTAX);
      }
    }
    const error = this.refusal(target, timeout, force);
    if (error !== null) return c.reply.error(error);
    const log = this.broker.log;
    log.info(target !== null ? `FAILOVER requested to ${target.host}:${target.port}.` : 'FAILOVER requested to any replica.');
    this.target = target;
    this.force = force;
    this.endTime = timeout !== 0 ? Date.now() + timeout : 0;
    this.state = 'waiting-for-sync';
    this.broker.pause.start(Infinity, 'write');
    this.timer = setInterval(this.broker.guard('in the failover', () => this.tick()), TICK_MS);
    this.timer.unref();
    c.reply.ok();
  }

  /** failoverCommand's checks after the syntax, in its order; null when it may start. */
  private refusal(target: { host: string; port: number } | null, timeout: number, force: boolean): string | null {
    if (this.state !== 'no-failover') return FAILOVER_IN_PROGRESS;
    if (this.replication.role === 'replica') return FAILOVER_ON_REPLICA;
    const followers = [...this.replication.leader.followers.values()];
    if (followers.length === 0) return FAILOVER_NO_REPLICAS;
    if (force && (timeout === 0 || target === null)) return FAILOVER_FORCE_ARGS;
    if (target !== null) {
      const f = followers.find((x) => x.ip === target.host && x.caps.listeningPort === target.port);
      if (f === undefined) return FAILOVER_NOT_A_REPLICA;
      if (f.state !== 'online') return FAILOVER_TARGET_OFFLINE;
    }
    return null;
  }

  private tick(): void {
    const now = Date.now();
    if (this.state === 'waiting-for-sync') {
      if (this.endTime !== 0 && now >= this.endTime) {
        if (this.force && this.target !== null) return this.handOver(this.target);
        return this.abort('Replica never caught up before timeout');
      }
      const synced = [...this.replication.leader.followers.values()].find(
        (f) =>
          f.state === 'online' &&
          f.ackOffset === this.replication.log.offset &&
          (this.target === null || (f.ip === this.target.host && f.caps.listeningPort === this.target.port)),
      );
      if (synced === undefined) return;
      this.broker.log.info(`Failover target ${synced.ip}:${synced.caps.listeningPort} is synced, failing over.`);
      return this.handOver({ host: synced.ip, port: synced.caps.listeningPort });
    }
    // In progress: the new leader must answer our PSYNC within the timeout (repl-timeout without one).
    const limit = this.endTime !== 0 ? this.endTime : 0;
    if (limit !== 0 && now >= limit) this.abort('Failover target timed out');
  }

  /** Follows `to`, asking it to take over (PSYNC ... FAILOVER). */
  private handOver(to: { host: string; port: number }): void {
    this.state = 'failover-in-progress';
    this.target = to;
    if (this.endTime === 0) this.endTime = Date.now() + this.broker.config.int('repl-timeout') * 1000;
    this.following.follow(to.host, to.port, true, true, (accepted) => {
      if (accepted) this.succeeded();
      else this.abort('Failover target rejected psync request');
    });
  }

  private succeeded(): void {
    this.broker.log.info(`Failover to ${this.target!.host}:${this.target!.port} succeeded`);
    this.clear();
  }

  /** abortFailover: logged; leads again if it already followed the target. */
  private abort(why: string): void {
    if (this.state === 'no-failover') return;
    const to = this.target !== null ? `${this.target.host}:${this.target.port}` : 'any replica';
    this.broker.log.info(`FAILOVER to ${to} aborted: ${why}`);
    if (this.state === 'failover-in-progress') this.following.unfollow();
    this.clear();
  }

  private clear(): void {
    this.state = 'no-failover';
    this.target = null;
    this.endTime = 0;
    this.force = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.broker.pause.end();
  }

  private commands(): CommandDef<Connection>[] {
    return [{ name: 'failover', handler: (c, argv) => this.failover(c, argv) }];
  }
}

/**
 * The follower's side of a handover (syncCommand): `PSYNC <replid> <offset> FAILOVER`
 * from its leader, with this broker's own replication id, makes it lead first; the PSYNC
 * then continues as any other. Returns the error to answer, or null.
 */
export function failoverRequested(replication: Pick<Replication, 'log' | 'following' | 'role'>, c: Connection, replid: string): string | null {
  if (replication.role === 'master') return PSYNC_FAILOVER_ON_MASTER;
  if (replid.toLowerCase() !== replication.log.replid) return PSYNC_FAILOVER_REPLID;
  replication.following?.unfollow();
  c.broker.log.info(`MASTER MODE enabled (failover request from '${clientInfoLine(c)}')`);
  return null;
}
