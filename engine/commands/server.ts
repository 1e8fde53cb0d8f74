/** Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL. */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import { SYNTAX } from '../errors.js';

function dbsize(c: Client): void {
  // Counts logically expired keys not yet reclaimed, as redis-server's dictSize does.
  c.reply.int(c.db.size);
}

/**
 * The optional SYNC|ASYNC argument (getFlushCommandFlags). Both flush at once here:
 * freeing is the garbage collector's job, so ASYNC has nothing to defer.
 */
function validFlushArgsOrReply(c: Client, argv: string[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length === 2) {
    const mode = argv[1].toLowerCase();
    if (mode === 'sync' || mode === 'async') return true;
  }
  c.reply.error(SYNTAX);
  return false;
}

function flushdb(c: Client, argv: string[]): void {
  if (!validFlushArgsOrReply(c, argv)) return;
  c.engine.changed(c.engine.flushDb(c.db));
  // Replicas must flush too even when this db was already empty.
  c.engine.forcePropagation();
  c.reply.ok();
}

function flushall(c: Client, argv: string[]): void {
  if (!validFlushArgsOrReply(c, argv)) return;
  const engine = c.engine;
  // Each key removed is a change, and redis-server counts FLUSHALL itself as one more.
  engine.changed(engine.flushAll() + 1);
  engine.forcePropagation();
  c.reply.ok();
}

export const serverCommands: readonly CommandDef<Client>[] = [
  { name: 'dbsize', handler: dbsize },
  { name: 'flushdb', handler: flushdb },
  { name: 'flushall', handler: flushall },
];
