/**
 * The commands a replica (or `redis-cli --rdb`) opens a full resync with: REPLCONF,
 * SYNC and `PSYNC <replid> <offset>`, answered as redis-server 7.0 does for a full
 * resync: `+FULLRESYNC <replid> <offset>` (PSYNC only), then the RDB payload
 * (broker/persistence/full-sync.ts).
 *
 * Where this differs from redis-server, until replication (broker/replication/) comes:
 * every PSYNC gets a full resync, and once the payload is sent the link is closed
 * instead of carrying the stream of changes; `REPLCONF rdb-only 1` (redis-cli --rdb)
 * asks for exactly that, so backups work as with redis-server.
 */
import type { CommandDef } from '../../engine/command.js';
import { NOT_INTEGER, RDB_ONLY_RANGE, REPLCONF_UNRECOGNIZED, SYNTAX } from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { SyncTarget } from '../persistence/full-sync.js';
import type { Connection } from '../net/connection.js';

/** What a connection announced with REPLCONF (kept here, not on the connection). */
interface ReplicaCapabilities {
  eof: boolean;
  rdbOnly: boolean;
}

const announced = new WeakMap<Connection, ReplicaCapabilities>();

function capabilities(c: Connection): ReplicaCapabilities {
  let caps = announced.get(c);
  if (caps === undefined) {
    caps = { eof: false, rdbOnly: false };
    announced.set(c, caps);
  }
  return caps;
}

/** REPLCONF <option> <value> ...: the options of redis-server 7.0 a replica sends. */
function replconf(c: Connection, argv: string[]): void {
  if (argv.length % 2 === 0) return c.reply.error(SYNTAX);
  const caps = capabilities(c);
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j].toLowerCase();
    const value = argv[j + 1];
    switch (option) {
      case 'capa':
        if (value.toLowerCase() === 'eof') caps.eof = true;
        break;
      case 'rdb-only': {
        const v = parseInt64(value);
        if (v === null) return c.reply.error(NOT_INTEGER);
        if (v !== 0 && v !== 1) return c.reply.error(RDB_ONLY_RANGE);
        caps.rdbOnly = v === 1;
        break;
      }
      case 'listening-port':
      case 'ip-address':
      case 'getack':
        break;
      case 'ack':
        // An acknowledgement gets no reply (there is no stream to acknowledge yet).
        return;
      default:
        return c.reply.error(REPLCONF_UNRECOGNIZED(argv[j]));
    }
  }
  c.reply.ok();
}

/** The connection's socket as a sync target; the connection is closed when the payload is done. */
function socketTarget(c: Connection, eof: boolean): SyncTarget {
  const socket = c.socket;
  return {
    eof,
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (socket.destroyed) return reject(new Error('replica gone'));
        c.broker.stats.netOutputBytes += bytes.length;
        if (socket.write(bytes)) return resolve();
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          if (socket.destroyed) reject(new Error('replica gone'));
          else resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      }),
    end: (ok) => {
      if (ok) socket.end(() => socket.destroy());
      else socket.destroy();
    },
  };
}

/** SYNC and PSYNC: the replies so far go out, then the payload, which ends the connection. */
function fullResync(c: Connection, psync: boolean): void {
  if (c.kind === 'replica') return;
  const persistence = c.broker.persistence;
  c.kind = 'replica';
  if (psync) {
    const { replid, offset } = persistence.fullSyncs.position();
    c.reply.simple(`FULLRESYNC ${replid} ${offset}`);
  }
  c.flush();
  persistence.fullSyncs.request(socketTarget(c, capabilities(c).eof), persistence.snapshotBusy);
}

export const replicationCommands: readonly CommandDef<Connection>[] = [
  { name: 'replconf', handler: replconf },
  { name: 'sync', handler: (c) => fullResync(c, false) },
  { name: 'psync', handler: (c) => fullResync(c, true) },
];
