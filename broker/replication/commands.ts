/**
 * The replication commands of the leader side, as redis-server 7.0 answers them:
 * REPLCONF, SYNC, PSYNC, WAIT and ROLE, registered by `attachReplication` over the
 * command table (they need the broker's Replication). The follower side adds
 * REPLICAOF/SLAVEOF (follower.ts).
 */
import type { CommandDef } from '../../engine/command.js';
import { NOT_INTEGER, RDB_ONLY_RANGE, REPLCONF_UNRECOGNIZED, SYNC_PENDING_OUTPUT, SYNC_WITHOUT_LEADER, SYNTAX, TIMEOUT_NEGATIVE, TIMEOUT_NOT_INTEGER, WAIT_ON_REPLICA } from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import type { FollowerCapabilities } from './leader.js';
import { LeaderConnection } from './leader-connection.js';
import { failoverRequested } from './failover.js';
import type { Replication } from './replication.js';

const announced = new WeakMap<Connection, FollowerCapabilities>();

function capabilities(c: Connection): FollowerCapabilities {
  let caps = announced.get(c);
  if (caps === undefined) {
    caps = { eof: false, psync2: false, rdbOnly: false, listeningPort: 0, ipAddress: null };
    announced.set(c, caps);
  }
  return caps;
}

/** REPLCONF <option> <value> ...: the options of redis-server 7.0 (replconfCommand). */
function replconf(replication: Replication, c: Connection, argv: string[]): void {
  if (argv.length % 2 === 0) return c.reply.error(SYNTAX);
  const caps = capabilities(c);
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j].toLowerCase();
    const value = argv[j + 1];
    switch (option) {
      case 'listening-port': {
        const port = parseInt64(value);
        if (port === null) return c.reply.error(NOT_INTEGER);
        caps.listeningPort = Number(port);
        break;
      }
      case 'ip-address':
        caps.ipAddress = value;
        break;
      case 'capa':
        if (value.toLowerCase() === 'eof') caps.eof = true;
        else if (value.toLowerCase() === 'psync2') caps.psync2 = true;
        break;
      case 'rdb-only': {
        const v = parseInt64(value);
        if (v === null) return c.reply.error(NOT_INTEGER);
        if (Number(v) !== 0 && Number(v) !== 1) return c.reply.error(RDB_ONLY_RANGE);
        caps.rdbOnly = Number(v) === 1;
        break;
      }
      case 'rdb-filter-only':
        // redis-cli asks for no functions in the payload: there are none to leave out.
        break;
      case 'ack': {
        // An acknowledgement gets no reply; from a connection that is not a follower it is ignored.
        const offset = parseInt64(value);
        if (offset !== null) replication.leader.ack(c, Number(offset));
        return;
      }
      case 'getack':
        // From this broker's leader: the link sends REPLCONF ACK (follower.ts); never a reply.
        if (c instanceof LeaderConnection) c.ackNow();
        return;
      default:
        return c.reply.error(REPLCONF_UNRECOGNIZED(argv[j]));
    }
  }
  c.reply.ok();
}

/** SYNC and PSYNC (syncCommand): the connection becomes a follower of this broker. */
function sync(replication: Replication, c: Connection, argv: string[]): void {
  // Already a follower: ignored, as redis-server does.
  if (c.kind === 'replica') return;
  // A handover from this broker's leader (FAILOVER): it takes over first (failover.ts).
  if (argv.length > 3 && argv[0].toLowerCase() === 'psync' && argv[3].toLowerCase() === 'failover') {
    const error = failoverRequested(replication, c, argv[1]);
    if (error !== null) return c.reply.error(error);
  }
  const status = replication.follower?.status;
  if (status !== undefined && status.linkStatus !== 'up') return c.reply.error(SYNC_WITHOUT_LEADER);
  if (c.reply.length > 0) return c.reply.error(SYNC_PENDING_OUTPUT);
  const psync = argv[0].toLowerCase() === 'psync' ? { replid: argv[1], offset: argv[2] } : null;
  replication.leader.attach(c, capabilities(c), psync);
}

/** WAIT numreplicas timeout (waitCommand). */
function wait(replication: Replication, c: Connection, argv: string[]): void {
  if (replication.role === 'replica') return c.reply.error(WAIT_ON_REPLICA);
  const replicas = parseInt64(argv[1]);
  if (replicas === null) return c.reply.error(NOT_INTEGER);
  const timeout = parseInt64(argv[2]);
  if (timeout === null) return c.reply.error(TIMEOUT_NOT_INTEGER);
  if (timeout < 0n) return c.reply.error(TIMEOUT_NEGATIVE);
  const leader = replication.leader;
  const offset = leader.writeOffsetOf(c);
  const acks = leader.acksAt(offset);
  // Inside EXEC nothing may block: the count now, as redis-server does under CLIENT_MULTI.
  if (BigInt(acks) >= replicas || c.denyBlocking) return c.reply.int(acks);
  leader.block(c, offset, Number(replicas), Number(timeout));
}

/** ROLE (roleCommand). */
function role(replication: Replication, c: Connection): void {
  const status = replication.follower?.status;
  if (replication.role === 'replica' && status !== undefined) {
    c.reply.array(5);
    c.reply.bulk('slave');
    c.reply.bulk(status.host);
    c.reply.int(status.port);
    c.reply.bulk(status.state);
    c.reply.int(status.linkStatus === 'up' || status.state === 'connected' ? status.processedOffset : -1);
    return;
  }
  const online = [...replication.leader.followers.values()].filter((f) => f.state === 'online');
  c.reply.array(3);
  c.reply.bulk('master');
  c.reply.int(replication.log.offset);
  c.reply.array(online.length);
  for (const f of online) {
    c.reply.array(3);
    c.reply.bulk(f.ip);
    c.reply.bulk(String(f.caps.listeningPort));
    c.reply.bulk(String(f.ackOffset));
  }
}

/** The commands, bound to one broker's replication. */
export function replicationCommands(replication: Replication): CommandDef<Connection>[] {
  return [
    { name: 'replconf', handler: (c, argv) => replconf(replication, c, argv) },
    { name: 'sync', handler: (c, argv) => sync(replication, c, argv) },
    { name: 'psync', handler: (c, argv) => sync(replication, c, argv) },
    { name: 'wait', handler: (c, argv) => wait(replication, c, argv) },
    { name: 'role', handler: (c) => role(replication, c) },
  ];
}
