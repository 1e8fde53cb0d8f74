/**
 * BGREWRITEAOF, SAVE, BGSAVE, LASTSAVE with redis-server 7.0's replies. The work is
 * broker/persistence/'s (aof/rewrites.ts, snapshots.ts, coordinated by persistence.ts); a snapshot
 * (a rewrite's or BGSAVE's) runs one at a time, and one asked for while another runs,
 * or inside EXEC, is scheduled.
 */
import type { CommandDef } from '../../engine/command.js';
import { SYNTAX } from '../../engine/errors.js';
import type { Connection } from '../net/connection.js';

/** Inside EXEC (the client stays in MULTI while its queued commands run). */
const inExec = (c: Connection): boolean => c.multi !== null;

function bgrewriteaof(c: Connection): void {
  const p = c.broker.persistence;
  if (p.rewrites.job !== null) return c.reply.error('ERR Background append only file rewriting already in progress');
  if (p.snapshotBusy || inExec(c)) {
    p.rewrites.schedule();
    return c.reply.simple('Background append only file rewriting scheduled');
  }
  if (p.rewrites.start()) return c.reply.simple('Background append only file rewriting started');
  c.reply.error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
}

function save(c: Connection): void {
  const snapshots = c.broker.persistence.snapshots;
  if (snapshots.job !== null) return c.reply.error('ERR Background save already in progress');
  const error = snapshots.save();
  if (error !== null) return c.reply.error(error);
  c.reply.ok();
}

function bgsave(c: Connection, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length !== 2 || argv[1].toLowerCase() !== 'schedule') return c.reply.error(SYNTAX);
    schedule = true;
  }
  const p = c.broker.persistence;
  if (p.snapshots.job !== null) return c.reply.error('ERR Background save already in progress');
  if (p.snapshotBusy || inExec(c)) {
    if (!schedule && !inExec(c)) {
      return c.reply.error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
      );
    }
    p.snapshots.scheduled = true;
    return c.reply.simple('Background saving scheduled');
  }
  p.snapshots.startBgsave();
  c.reply.simple('Background saving started');
}

function lastsave(c: Connection): void {
  c.reply.int(c.broker.persistence.snapshots.lastSave);
}

export const persistenceCommands: readonly CommandDef<Connection>[] = [
  { name: 'bgrewriteaof', handler: bgrewriteaof },
  { name: 'save', handler: save },
  { name: 'bgsave', handler: bgsave },
  { name: 'lastsave', handler: lastsave },
];
