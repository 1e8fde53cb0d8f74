/** Server administration: TIME, MONITOR, SHUTDOWN. */
import type { CommandDef } from '../../engine/command.js';
import { MONITOR_DENY_BLOCKING, NO_SHUTDOWN_IN_PROGRESS, SYNTAX } from '../../engine/errors.js';
import type { Connection } from '../net/connection.js';

function time(c: Connection): void {
  const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(usec / 1e6);
  c.reply.array(2);
  c.reply.bulk(String(sec));
  c.reply.bulk(String(usec - sec * 1e6));
}

/** MONITOR: from now on the connection receives every command run (broker/dispatch/dispatcher.ts). */
function monitor(c: Connection): void {
  // Inside EXEC a client expects one reply per command: no stream of lines.
  if (c.denyBlocking) return c.reply.error(MONITOR_DENY_BLOCKING);
  // Already a monitor (or a replication link): redis-server ignores it, without a reply.
  if (c.monitor || c.kind !== 'normal') return;
  c.monitor = true;
  c.broker.monitors.add(c);
  c.reply.ok();
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success no reply: the connection
 * closes with the broker. A failed shutdown hook (a final save) replies its error.
 */
function shutdown(c: Connection, argv: string[]): void {
  const options = { save: false, nosave: false, now: false, force: false };
  let abort = false;
  for (const arg of argv.slice(1)) {
    const option = arg.toLowerCase();
    if (option === 'nosave') options.nosave = true;
    else if (option === 'save') options.save = true;
    else if (option === 'now') options.now = true;
    else if (option === 'force') options.force = true;
    else if (option === 'abort') abort = true;
    else return c.reply.error(SYNTAX);
  }
  const anyFlag = options.save || options.nosave || options.now || options.force;
  if ((abort && anyFlag) || (options.save && options.nosave)) return c.reply.error(SYNTAX);
  // Cancels a shutdown still waiting for its followers (broker/replication/leader.ts).
  if (abort) return c.broker.abortShutdown() ? c.reply.ok() : c.reply.error(NO_SHUTDOWN_IN_PROGRESS);
  void c.broker.shutdown(options).then((refusal) => {
    if (refusal === null || c.closed) return;
    c.reply.error(refusal.error);
    c.flush();
  });
}

export const adminCommands: readonly CommandDef<Connection>[] = [
  { name: 'time', handler: time },
  { name: 'monitor', handler: monitor },
  { name: 'shutdown', handler: shutdown },
];
