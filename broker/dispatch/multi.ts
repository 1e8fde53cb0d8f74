/**
 * MULTI state of a connection, as dispatch sees it (redis-server's multi.c): after
 * MULTI, commands are queued instead of run; a command rejected meanwhile (unknown,
 * wrong arity, NOAUTH, not allowed in a transaction...) dooms the transaction, whose
 * EXEC then fails with EXECABORT. The queued commands run in EXEC
 * (broker/commands/transaction.ts); WATCH state lives in the engine (engine/watches.ts).
 */
import { argsOf, Flag, type Argv, type Command } from '../../engine/command.js';
import type { Connection } from '../net/connection.js';

export interface QueuedCommand {
  command: Command<Connection>;
  argv: Argv<Connection>;
}

export class Transaction {
  readonly queue: QueuedCommand[] = [];
  /** A command was rejected while queueing (CLIENT_DIRTY_EXEC): EXEC will abort. */
  failed = false;
  /** Some queued command writes or may replicate: the EXEC counts as a write (execWrites). */
  writes = false;
  /**
   * Bytes of the queued commands' arguments and a pointer per argument, as
   * redis-server's argv_len_sums counts them (CLIENT LIST multi-mem, client memory).
   */
  argvBytes = 0;
}

/** Commands that run at once inside MULTI instead of being queued (processCommand). */
const NOT_QUEUED = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** sizeof(robj *): what redis-server's multi-mem adds for each queued argument. */
const POINTER_BYTES = 8;

export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

/**
 * Queues the command if `c` is inside MULTI (replying +QUEUED) and returns true;
 * false when it must run now.
 */
export function queueIfInMulti(c: Connection, command: Command<Connection>, argv: Argv<Connection>): boolean {
  const tx = c.multi;
  if (tx === null || NOT_QUEUED.has(command.fullname)) return false;
  // A doomed transaction keeps nothing more (redis-server's queueMultiCommand).
  if (!tx.failed) {
    tx.queue.push({ command, argv });
    const args = argsOf(argv);
    tx.argvBytes += POINTER_BYTES * args.length;
    for (const a of args) tx.argvBytes += a.length;
    if (command.has(Flag.Write) || command.has(Flag.MayReplicate)) tx.writes = true;
  }
  c.reply.simple('QUEUED');
  return true;
}

/** A command was rejected: inside MULTI, the transaction can no longer run (flagTransaction). */
export function flagTransaction(c: Connection): void {
  if (c.multi !== null) c.multi.failed = true;
}

/** Leaves MULTI and forgets the watched keys (discardTransaction). */
export function discardTransaction(c: Connection): void {
  c.multi = null;
  c.engine.watches.unwatch(c);
}

/**
 * The error EXEC replies when dispatch rejects EXEC itself (execCommandAbort): the
 * transaction is discarded, MULTI or not, and the reason follows EXECABORT.
 */
export function execAbortError(c: Connection, error: string): string {
  discardTransaction(c);
  return `EXECABORT Transaction discarded because of: ${error.startsWith('ERR ') ? error.slice(4) : error}`;
}

/**
 * EXEC of a transaction with a command that writes or may replicate queued: it counts
 * as a write (CLIENT PAUSE WRITE holds it, -MISCONF refuses it), as in processCommand.
 */
export function execWrites(c: Connection, command: Command<Connection>): boolean {
  return command.fullname === 'exec' && c.multi?.writes === true;
}

/** EXEC of a transaction with a command with `flag` queued (processCommand's is_denyoom_command). */
export function execQueuedWith(c: Connection, command: Command<Connection>, flag: Flag): boolean {
  return command.fullname === 'exec' && c.multi !== null && c.multi.queue.some((q) => q.command.has(flag));
}

/** EXEC of a transaction with a command without `flag` queued (processCommand's is_denyloading_command...). */
export function execQueuedWithout(c: Connection, command: Command<Connection>, flag: Flag): boolean {
  return command.fullname === 'exec' && c.multi !== null && c.multi.queue.some((q) => !q.command.has(flag));
}
