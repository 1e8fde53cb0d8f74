/**
 * BGREWRITEAOF, SAVE, BGSAVE, LASTSAVE with redis-server 7.0's replies. The work is
 * broker/persistence/'s (aof/rewrites.ts, snapshots.ts, coordinated by persistence.ts); a snapshot
 * (a rewrite's or BGSAVE's) runs one at a time, and one asked for while another runs,
 * or inside EXEC, is scheduled.
 */
import type { CommandDef } from '../../engine/command.js';
import {
  AOF_REWRITE_FAILED,
  AOF_REWRITE_IN_PROGRESS,
  BGSAVE_IN_PROGRESS,
  BGSAVE_WHILE_AOF_REWRITE,
  SYNTAX,
} from '../../engine/errors.js';
import type { Connection } from '../net/connection.js';

/** Inside EXEC (the client stays in MULTI while its queued commands run). */
const inExec = (c: Connection): boolean => c.multi !== null;

function bgrewriteaof(c: Connection): void {
  const p = c.broker.persistence;
  if (p.rewrites.job !== null) return c.reply.error(AOF_REWRITE_IN_PROGRESS);
  if (p.snapshotBusy || inExec(c)) {
    p.rewrites.schedule();
    return c.reply.simple('Background append only file rewriting scheduled');
  }
  if (p.rewrites.start()) return c.reply.simple('Background append only file rewriting started');
  c.reply.error(AOF_REWRITE_FAILED);
}

function save(c: Connection): void {
  const snapshots = c.broker.persistence.snapshots;
  if (snapshots.job !== null) return c.reply.error(BGSAVE_IN_PROGRESS);
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
  if (p.snapshots.job !== null) return c.reply.error(BGSAVE_IN_PROGRESS);
  if (p.snapshotBusy || inExec(c)) {
    if (!schedule && !inExec(c)) {
      return c.reply.error(
        BGSAVE_WHILE_AOF_REWRITE,
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
