/** The string family: GET, SET and friends. */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import { WRONGTYPE } from '../errors.js';

function get(c: Client, argv: string[]): void {
  const v = c.db.lookupRead(argv[1]);
  if (v === undefined) return c.reply.nil();
  if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
  c.reply.bulk(v);
}

function set(c: Client, argv: string[]): void {
  c.db.set(argv[1], argv[2]);
  c.engine.modified(c.db, argv[1]);
  c.reply.ok();
}

export const stringCommands: readonly CommandDef<Client>[] = [
  { name: 'get', handler: get },
  { name: 'set', handler: set },
];
