/** Commands about the connection itself: PING, ECHO, QUIT, SELECT. */
import type { CommandDef } from '../../engine/command.js';
import { DB_INDEX_OUT_OF_RANGE, NOT_INTEGER } from '../../engine/errors.js';
import type { Connection } from '../connection.js';

function ping(c: Connection, argv: string[]): void {
  if (argv.length > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
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
  if (!/^-?\d+$/.test(argv[1])) return c.reply.error(NOT_INTEGER);
  const index = Number(argv[1]);
  if (index < 0 || index >= c.engine.dbs.length) return c.reply.error(DB_INDEX_OUT_OF_RANGE);
  c.db = c.engine.dbs[index];
  c.reply.ok();
}

export const connectionCommands: readonly CommandDef<Connection>[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: echo },
  { name: 'quit', handler: quit },
  { name: 'select', handler: select },
];
