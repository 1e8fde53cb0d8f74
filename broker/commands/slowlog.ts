/** SLOWLOG GET/LEN/RESET/HELP over the broker's slow log (entries recorded by dispatch). */
import type { CommandDef } from '../../engine/command.js';
import { replyHelp, subcommandSyntaxError } from '../../engine/help.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import { SLOWLOG_COUNT } from '../../engine/errors.js';


function slowlogGet(c: Connection, argv: string[]): void {
  if (argv.length > 3) return c.reply.error(subcommandSyntaxError(argv));
  const entries = c.broker.slowlog.entries;
  let count = 10;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null || n < -1) return c.reply.error(SLOWLOG_COUNT);
    count = n === -1 ? entries.length : Number(n);
  }
  const shown = entries.slice(0, count);
  c.reply.array(shown.length);
  for (const e of shown) {
    c.reply.array(6);
    c.reply.int(e.id);
    c.reply.int(e.time);
    c.reply.int(e.duration);
    c.reply.bulks(e.argv);
    c.reply.bulk(e.peer);
    c.reply.bulk(e.name);
  }
}

function slowlogLen(c: Connection): void {
  c.reply.int(c.broker.slowlog.entries.length);
}

function slowlogReset(c: Connection): void {
  c.broker.slowlog.reset();
  c.reply.ok();
}

const HELP = [
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

export const slowlogCommands: readonly CommandDef<Connection>[] = [
  { name: 'slowlog|get', handler: slowlogGet },
  { name: 'slowlog|len', handler: slowlogLen },
  { name: 'slowlog|reset', handler: slowlogReset },
  { name: 'slowlog|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];
