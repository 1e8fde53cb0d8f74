/** Commands about the connection itself: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandDef } from '../../engine/command.js';
import {
  AUTH_WITHOUT_PASSWORD,
  DB_INDEX_OUT_OF_RANGE,
  HELLO_NOAUTH,
  HELLO_SYNTAX,
  INT_OUT_OF_RANGE,
  NOPROTO,
  NOT_INTEGER,
  PROTOCOL_NOT_INTEGER,
  SYNTAX,
  WRONG_ARGS,
  WRONGPASS,
} from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import { discardTransaction } from '../dispatch/multi.js';
import { REDIS_VERSION } from '../version.js';
import { clientNameError } from './client.js';
import { replicationOf } from '../replication/replication.js';


function ping(c: Connection, argv: string[]): void {
  if (argv.length > 2) return c.reply.error(WRONG_ARGS('ping'));
  if (c.subscriptions !== null && c.reply.resp === 2) {
    // In RESP2 subscribed mode a reply must look like a message: ["pong", argument or ""].
    c.reply.array(2);
    c.reply.bulk('pong');
    c.reply.bulk(argv.length === 2 ? argv[1] : '');
    return;
  }
  if (argv.length === 2) c.reply.bulk(argv[1]);
  else c.reply.simple('PONG');
}

function echo(c: Connection, argv: string[]): void {
  c.reply.bulk(argv[1]);
}

function quit(c: Connection): void {
  c.reply.ok();
  c.closeAfterReply = true;
}

function select(c: Connection, argv: string[]): void {
  const index = parseInt64(argv[1]);
  if (index === null) return c.reply.error(NOT_INTEGER);
  if (index < -2147483648 || index > 2147483647) return c.reply.error(INT_OUT_OF_RANGE);
  if (index < 0 || index >= c.engine.dbs.length) return c.reply.error(DB_INDEX_OUT_OF_RANGE);
  c.db = c.engine.dbs[Number(index)];
  c.reply.ok();
}

/**
 * The only user is `default`: it needs no password when `requirepass` is empty
 * (any password is then accepted, as redis-server's nopass user), else that one.
 */
function credentialsValid(c: Connection, user: string, password: string): boolean {
  if (user !== 'default') return false;
  const required = c.broker.config.get('requirepass');
  if (required === '') return true;
  // Compare digests: equal length, constant time, whatever the inputs.
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'latin1').digest();
  return timingSafeEqual(digest(password), digest(required));
}

function auth(c: Connection, argv: string[]): void {
  if (argv.length > 3) return c.reply.error(SYNTAX);
  if (argv.length === 2 && c.broker.config.get('requirepass') === '') return c.reply.error(AUTH_WITHOUT_PASSWORD);
  const user = argv.length === 3 ? argv[1] : 'default';
  if (!credentialsValid(c, user, argv[argv.length - 1])) return c.reply.error(WRONGPASS);
  c.setAuthenticated(true);
  c.reply.ok();
}

/** HELLO [protover [AUTH user pass] [SETNAME name]]: options apply in order, as redis-server's. */
function hello(c: Connection, argv: string[]): void {
  let protocol: 2 | 3 | 0 = 0;
  if (argv.length >= 2) {
    const version = parseInt64(argv[1]);
    if (version === null) return c.reply.error(PROTOCOL_NOT_INTEGER);
    if (version !== 2 && version !== 3) return c.reply.error(NOPROTO);
    protocol = version;
  }
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j].toLowerCase();
    if (option === 'auth' && more >= 2) {
      if (!credentialsValid(c, argv[j + 1], argv[j + 2])) return c.reply.error(WRONGPASS);
      c.setAuthenticated(true);
      j += 2;
    } else if (option === 'setname' && more >= 1) {
      const error = clientNameError(argv[j + 1]);
      if (error !== null) return c.reply.error(error);
      c.name = argv[j + 1];
      j++;
    } else {
      return c.reply.error(HELLO_SYNTAX(argv[j]));
    }
  }
  if (!c.authenticated) return c.reply.error(HELLO_NOAUTH);
  if (protocol !== 0) c.reply.resp = protocol;
  c.reply.map(7);
  c.reply.bulk('server');
  c.reply.bulk('redis');
  c.reply.bulk('version');
  c.reply.bulk(REDIS_VERSION);
  c.reply.bulk('proto');
  c.reply.int(c.reply.resp);
  c.reply.bulk('id');
  c.reply.int(c.id);
  c.reply.bulk('mode');
  c.reply.bulk('standalone');
  c.reply.bulk('role');
  c.reply.bulk(replicationOf(c.broker)?.role ?? 'master');
  c.reply.bulk('modules');
  c.reply.array(0);
}

/** RESET: the connection as if just opened, as redis-server's clearClientConnectionState. */
function reset(c: Connection): void {
  const broker = c.broker;
  if (c.monitor) {
    c.monitor = false;
    broker.monitors.delete(c);
  }
  discardTransaction(c);
  c.engine.pubsub.unsubscribeAll(c);
  c.engine.tracking.disable(c);
  c.db = c.engine.dbs[0];
  c.reply.resp = 2;
  c.setAuthenticated(!broker.authRequired);
  c.name = '';
  c.noEvict = false;
  // REPLY OFF and a pending SKIP end; a SKIP already applying to RESET itself stays.
  if (c.replyMode !== 'skip') c.replyMode = 'on';
  c.reply.simple('RESET');
}

export const connectionCommands: readonly CommandDef<Connection>[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: echo },
  { name: 'quit', handler: quit },
  { name: 'select', handler: select },
  { name: 'auth', handler: auth },
  { name: 'hello', handler: hello },
  { name: 'reset', handler: reset },
];
