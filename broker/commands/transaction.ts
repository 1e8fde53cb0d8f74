/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH with redis-server 7.0's replies.
 *
 * EXEC runs the queued commands as calls nested in its own: each is counted, shown
 * to MONITOR and to the slow log as if sent alone, but they all see one clock, their
 * effects form one unit (propagated wrapped in MULTI/EXEC when there are several),
 * and blocked clients their writes woke are served after the whole EXEC.
 */
import type { CommandDef } from '../../engine/command.js';
import type { Connection } from '../net/connection.js';
import { discardTransaction, EXECABORT, Transaction } from '../dispatch/multi.js';
import { DISCARD_WITHOUT_MULTI, EXEC_WITHOUT_MULTI, MULTI_NESTED, WATCH_INSIDE_MULTI } from '../../engine/errors.js';

function multi(c: Connection): void {
  if (c.multi !== null) return c.reply.error(MULTI_NESTED);
  c.multi = new Transaction();
  c.reply.ok();
}

function exec(c: Connection): void {
  const tx = c.multi;
  if (tx === null) return c.reply.error(EXEC_WITHOUT_MULTI);
  const engine = c.engine;
  // EXEC itself is no effect: the queued commands' effects are.
  engine.preventPropagation();
  if (tx.failed || engine.watches.changed(c)) {
    discardTransaction(c);
    return tx.failed ? c.reply.error(EXECABORT) : c.reply.nilArray();
  }
  engine.watches.unwatch(c);
  // Blocking commands answer at once, as if timed out (CLIENT_DENY_BLOCKING).
  const denied = c.denyBlocking;
  c.denyBlocking = true;
  try {
    c.reply.array(tx.queue.length);
    // The client stays in MULTI meanwhile: CLIENT INFO inside EXEC shows flag x.
    const dispatcher = c.broker.dispatcher;
    for (const { command, argv } of tx.queue) {
      // A queued CLIENT REPLY OFF mutes the rest of the EXEC as in redis-server, even
      // though its array then announces more replies than follow.
      if (c.replyMode === 'off') c.muted(() => dispatcher.execute(c, command, argv));
      else dispatcher.execute(c, command, argv);
    }
  } finally {
    c.denyBlocking = denied;
    discardTransaction(c);
  }
}

function discard(c: Connection): void {
  if (c.multi === null) return c.reply.error(DISCARD_WITHOUT_MULTI);
  discardTransaction(c);
  c.reply.ok();
}

function watch(c: Connection, argv: string[]): void {
  if (c.multi !== null) return c.reply.error(WATCH_INSIDE_MULTI);
  for (let i = 1; i < argv.length; i++) c.engine.watches.watch(c, argv[i]);
  c.reply.ok();
}

function unwatch(c: Connection): void {
  c.engine.watches.unwatch(c);
  c.reply.ok();
}

export const transactionCommands: readonly CommandDef<Connection>[] = [
  { name: 'multi', handler: multi },
  { name: 'exec', handler: exec },
  { name: 'discard', handler: discard },
  { name: 'watch', handler: watch },
  { name: 'unwatch', handler: unwatch },
];
