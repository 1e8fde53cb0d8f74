/**
 * DEBUG: the subset of redis-server's debugging subcommands that tests and tools
 * rely on. DEBUG has no subcommand metadata (arity -2), so it dispatches on argv[1]
 * itself, each subcommand with redis-server's argument count.
 */
import type { CommandDef } from '../../engine/command.js';
import { datasetDigest, valueDigest } from '../../engine/digest.js';
import { replyHelp, subcommandSyntaxError } from '../../engine/help.js';
import type { Connection } from '../net/connection.js';
import { allowProtectedAction } from '../net/protected.js';
import { AofLoadError } from '../persistence/loader.js';
import { blockFor } from '../block.js';
import {
  AOF_LOAD_FAILED,
  AOF_NOT_ENABLED,
  DEBUG_NOT_ALLOWED,
  DEBUG_RELOAD_FAILED,
  DEBUG_RELOAD_OPTIONS,
} from '../../engine/errors.js';

interface Subcommand {
  /** Accepts this many arguments, DEBUG itself included (redis-server's `c->argc` tests). */
  argc: (n: number) => boolean;
  run: (c: Connection, argv: string[]) => void;
}

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
  if (ms > 0 && Number.isFinite(ms)) blockFor(ms);
  c.reply.ok();
}

/**
 * DEBUG PANIC: crashes the process as a bug would, with the report (broker/main.ts).
 * Thrown in a turn of its own, outside every guard, where a real bug would surface.
 */
function panic(): void {
  const message = `DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)}`;
  setImmediate(() => {
    throw new Error(message);
  });
}

function digest(c: Connection): void {
  c.reply.simple(datasetDigest(c.engine));
}

function digestValue(c: Connection, argv: string[]): void {
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.simple(valueDigest(c.db, argv[i]));
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the snapshot, empty the dataset, load it back. */
function reload(c: Connection, argv: string[]): void {
  let save = true;
  let flush = true;
  for (let i = 2; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (option === 'nosave') save = false;
    else if (option === 'noflush') flush = false;
    else if (option !== 'merge') return c.reply.error(DEBUG_RELOAD_OPTIONS);
  }
  // Emptying and reloading the same data is no effect.
  c.engine.preventPropagation();
  const error = c.broker.persistence.snapshots.reload(save, flush);
  if (error !== null) return c.reply.error(DEBUG_RELOAD_FAILED(error));
  c.reply.ok();
}

/** The longest DEBUG LOADAOF may hold every client (a day: it only waits for pending writes). */
const LOADAOF_PAUSE_MS = 86_400_000;

/**
 * DEBUG LOADAOF: once every effect so far is written, empties the dataset and loads
 * the AOF. The writes finish off the event loop, so meanwhile every client is paused
 * (nothing may run between the command and the load) and the reply comes after the load.
 */
function loadAof(c: Connection): void {
  const broker = c.broker;
  const persistence = broker.persistence;
  if (persistence.state !== 'on') return c.reply.error(AOF_NOT_ENABLED);
  broker.pause.start(Date.now() + LOADAOF_PAUSE_MS, 'all');
  persistence.whenWritten(() => {
    try {
      persistence.loadAofNow();
      c.reply.ok();
    } catch (err) {
      if (!(err instanceof AofLoadError)) throw err;
      broker.log.error(err.message);
      c.reply.error(AOF_LOAD_FAILED(err.message));
    }
    broker.pause.end();
    c.flush();
  });
}

/**
 * DEBUG AOF-FSYNC-HOLD <0|1> (this broker's own): holds the completion of AOF fsyncs,
 * or releases them, so tests can see replies wait for the fsync (group commit).
 */
function aofFsyncHold(c: Connection, argv: string[]): void {
  const writer = c.broker.persistence.writer;
  if (writer === null) return c.reply.error(AOF_NOT_ENABLED);
  writer.holdFsyncs(atoi(argv[2]) !== 0);
  c.reply.ok();
}

/**
 * DEBUG AOF-FSYNC-FAIL <count> (this broker's own): the next <count> fsyncs of the
 * AOF's files fail with EIO, so tests can see the broker recover by a rewrite.
 */
function aofFsyncFail(c: Connection, argv: string[]): void {
  c.broker.persistence.fsyncFaults.inject(atoi(argv[2]));
  c.reply.ok();
}

function setActiveExpire(c: Connection, argv: string[]): void {
  c.engine.activeExpireEnabled = atoi(argv[2]) !== 0;
  c.reply.ok();
}

const HELP = [
  'AOF-FSYNC-HOLD <0|1>',
  '    Hold (1) or release (0) the completion of AOF fsyncs: replies that wait for one',
  '    (appendfsync always) wait until released. For tests.',
  'AOF-FSYNC-FAIL <count>',
  '    Make the next <count> fsyncs of the AOF files fail with EIO (0: none). For tests.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'PANIC',
  '    Crash the server simulating a panic.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
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
  ['panic', { argc: (n) => n === 2, run: panic }],
  ['set-active-expire', { argc: (n) => n === 3, run: setActiveExpire }],
  ['reload', { argc: (n) => n >= 2, run: reload }],
  ['loadaof', { argc: (n) => n === 2, run: loadAof }],
  ['aof-fsync-hold', { argc: (n) => n === 3, run: aofFsyncHold }],
  ['aof-fsync-fail', { argc: (n) => n === 3, run: aofFsyncFail }],
]);


function debug(c: Connection, argv: string[]): void {
  // As redis-server: off by default (enable-debug-command no), checked before the subcommand.
  if (!allowProtectedAction(c.broker.config.get('enable-debug-command'), c)) return c.reply.error(DEBUG_NOT_ALLOWED);
  const sub = SUBCOMMANDS.get(argv[1].toLowerCase());
  if (sub === undefined || !sub.argc(argv.length)) return c.reply.error(subcommandSyntaxError(argv));
  sub.run(c, argv);
}

export const debugCommands: readonly CommandDef<Connection>[] = [{ name: 'debug', handler: debug }];
