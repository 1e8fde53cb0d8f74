/**
 * DEBUG: the subset of redis-server's debugging subcommands that tests and tools
 * rely on. DEBUG has no subcommand metadata (arity -2), so it dispatches on argv[1]
 * itself, each subcommand with redis-server's argument count.
 */
import type { CommandDef } from '../../engine/command.js';
import { datasetDigest, valueDigest } from '../../engine/digest.js';
import { replyHelp, subcommandSyntaxError } from '../../engine/help.js';
import type { Connection } from '../connection.js';
import { allowProtectedAction } from '../protected.js';

interface Subcommand {
  /** Accepts this many arguments, DEBUG itself included (redis-server's `c->argc` tests). */
  argc: (n: number) => boolean;
  run: (c: Connection, argv: string[]) => void;
}

/** A word Atomics.wait can block on: nothing ever notifies it. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The longest decimal prefix C's strtod would read (DEBUG SLEEP's argument), or 0. */
function strtodPrefix(s: string): number {
  const m = /^[\t\n\v\f\r ]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m === null ? 0 : Number(m[0].trim());
}

/** C's atoi: optional whitespace and sign, then digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^[\t\n\v\f\r ]*[+-]?\d+/.exec(s);
  return m === null ? 0 : Number.parseInt(m[0].trim(), 10);
}

/** Blocks the whole process, as redis-server's nanosleep does: no client is served meanwhile. */
function sleep(c: Connection, argv: string[]): void {
  const ms = strtodPrefix(argv[2]) * 1000;
  if (ms > 0 && Number.isFinite(ms)) Atomics.wait(sleeper, 0, 0, ms);
  c.reply.ok();
}

function digest(c: Connection): void {
  c.reply.simple(datasetDigest(c.engine));
}

function digestValue(c: Connection, argv: string[]): void {
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.simple(valueDigest(c.db, argv[i]));
}

function setActiveExpire(c: Connection, argv: string[]): void {
  c.engine.activeExpireEnabled = atoi(argv[2]) !== 0;
  c.reply.ok();
}

const HELP = [
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
];

const SUBCOMMANDS = new Map<string, Subcommand>([
  ['help', { argc: (n) => n === 2, run: (c, argv) => replyHelp(c.reply, argv[0], HELP) }],
  ['digest', { argc: (n) => n === 2, run: digest }],
  ['digest-value', { argc: (n) => n >= 2, run: digestValue }],
  ['sleep', { argc: (n) => n === 3, run: sleep }],
  ['set-active-expire', { argc: (n) => n === 3, run: setActiveExpire }],
]);

const NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

function debug(c: Connection, argv: string[]): void {
  // As redis-server: off by default (enable-debug-command no), checked before the subcommand.
  if (!allowProtectedAction(c.broker.config.get('enable-debug-command'), c)) return c.reply.error(NOT_ALLOWED);
  const sub = SUBCOMMANDS.get(argv[1].toLowerCase());
  if (sub === undefined || !sub.argc(argv.length)) return c.reply.error(subcommandSyntaxError(argv));
  sub.run(c, argv);
}

export const debugCommands: readonly CommandDef<Connection>[] = [{ name: 'debug', handler: debug }];
