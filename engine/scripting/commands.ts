/**
 * The scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL
 * and FCALL_RO (redis-server 7.0's eval.c and functions.c), over the state in
 * scripting.ts. A script's own command line is never propagated: the commands it ran
 * are, as its effects (7.0 effects replication), wrapped in MULTI/EXEC when several.
 * FUNCTION LOAD, DELETE, FLUSH and RESTORE propagate as themselves.
 *
 * Differs from redis-server: SCRIPT FLUSH and FUNCTION FLUSH ASYNC flush at once (the
 * garbage collector frees); SCRIPT DEBUG (the Lua debugger) is not offered.
 */
import type { Client } from '../client.js';
import type { FunctionLibraryStore } from '../engine.js';
import type { CommandDef } from '../command.js';
import { NOT_INTEGER, SYNTAX } from '../errors.js';
import { parseInt64 } from '../util/int64.js';
import { replyHelp } from '../help.js';
import { globMatch } from '../glob.js';
import { ByteWriter } from '../persist/bytes.js';
import { Crc64 } from '../persist/rdb/crc64.js';
import { RDB_VERSION, RdbInput, RdbOp, writeString } from '../persist/rdb/encoding.js';
import { verifyDumpPayload } from '../persist/dump.js';
import { busyError, type Scripting, type ScriptFlag } from './scripting.js';
import type { RunContext } from './vm.js';

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
const NOTBUSY = 'NOTBUSY No scripts in execution right now.';
const WRITE_FLAG_RO = 'ERR Can not execute a script with write flag using *_ro command.';

const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];

/** EVAL's and FCALL's numkeys (evalGenericCommand's checks, string2ll's integer: no leading zero, no "-0"); null once replied. */
function numkeysOrReply(c: Client, argv: string[]): number | null {
  const n = parseInt64(argv[2]);
  if (n === null) {
    c.reply.error(NOT_INTEGER);
    return null;
  }
  if (n > argv.length - 3) {
    c.reply.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  if (n < 0) {
    c.reply.error("ERR Number of keys can't be negative");
    return null;
  }
  return Number(n);
}

/** The flags of the script or function about to run, checked against the command running it (scriptPrepareForRun). */
function refusedFlagsOrReply(c: Client, flags: ReadonlySet<ScriptFlag> | null, readOnlyCommand: boolean): boolean {
  if (flags !== null && readOnlyCommand && !flags.has('no-writes')) {
    c.reply.error(WRITE_FLAG_RO);
    return true;
  }
  return false;
}

function newContext<C extends Client>(c: C, name: string, isFunction: boolean, readOnly: boolean, flags: ReadonlySet<ScriptFlag> | null): RunContext<C> {
  const allowOom = flags?.has('allow-oom') === true;
  return { caller: c, readOnly, name, isFunction, resp: 2, wrote: false, allowOom, outOfMemory: false, killed: false, busy: false, startedAt: Date.now() };
}

/** The command table entries, bound to one engine's scripting state. */
export function scriptingCommands<C extends Client>(scripting: Scripting<C>): readonly CommandDef<C>[] {
  const evalGeneric = (c: C, argv: string[], bySha: boolean, readOnlyCommand: boolean): void => {
    const numkeys = numkeysOrReply(c, argv);
    if (numkeys === null) return;
    let sha: string;
    let script;
    if (bySha) {
      script = scripting.scriptBySha(argv[1]);
      if (script === undefined) return c.reply.error(NOSCRIPT);
      sha = script.sha;
    } else {
      const loaded = scripting.loadScript(argv[1]);
      if ('error' in loaded) return c.reply.error(loaded.error);
      ({ sha, script } = loaded);
    }
    if (refusedFlagsOrReply(c, script.flags, readOnlyCommand)) return;
    // The commands the script runs are its effects; its own line is not.
    c.engine.preventPropagation();
    const readOnly = readOnlyCommand || script.flags?.has('no-writes') === true;
    runScript(c, argv, () => scripting.vm.run(script.ref, argv.slice(3, 3 + numkeys), argv.slice(3 + numkeys), newContext(c, sha, false, readOnly, script.flags), false));
  };

  const fcallGeneric = (c: C, argv: string[], readOnlyCommand: boolean): void => {
    const f = scripting.functions.get(argv[1]);
    if (f === undefined) return c.reply.error('ERR Function not found');
    const numkeys = numkeysOrReply(c, argv);
    if (numkeys === null) return;
    if (refusedFlagsOrReply(c, f.flags, readOnlyCommand)) return;
    c.engine.preventPropagation();
    const readOnly = readOnlyCommand || f.flags.has('no-writes');
    runScript(c, argv, () => scripting.vm.run(f.ref, argv.slice(3, 3 + numkeys), argv.slice(3 + numkeys), newContext(c, f.name, true, readOnly, f.flags), true));
  };

  /** Runs a script to its end, or until it yields past busy-reply-threshold: then it goes on in later turns. */
  const runScript = (c: C, argv: string[], run: () => boolean): void => {
    scripting.runningCommand = argv;
    let done = true;
    try {
      done = run();
    } finally {
      if (done) scripting.runningCommand = null;
    }
    if (!done) scripting.continueLater(c);
  };

  const killOrReply = (c: C, byFunction: boolean): void => {
    const running = scripting.running;
    if (running === null) return c.reply.error(NOTBUSY);
    if (running.wrote) {
      return c.reply.error('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');
    }
    if (byFunction !== running.isFunction) return c.reply.error(busyError(running.isFunction));
    running.killed = true;
    c.reply.ok();
  };

  return [
    { name: 'eval', handler: (c, argv) => evalGeneric(c, argv, false, false) },
    { name: 'evalsha', handler: (c, argv) => evalGeneric(c, argv, true, false) },
    { name: 'eval_ro', handler: (c, argv) => evalGeneric(c, argv, false, true) },
    { name: 'evalsha_ro', handler: (c, argv) => evalGeneric(c, argv, true, true) },
    { name: 'fcall', handler: (c, argv) => fcallGeneric(c, argv, false) },
    { name: 'fcall_ro', handler: (c, argv) => fcallGeneric(c, argv, true) },
    {
      name: 'script|load',
      handler: (c, argv) => {
        const loaded = scripting.loadScript(argv[2]);
        if ('error' in loaded) return c.reply.error(loaded.error);
        c.reply.bulk(loaded.sha);
      },
    },
    {
      name: 'script|exists',
      handler: (c, argv) => {
        c.reply.array(argv.length - 2);
        for (let i = 2; i < argv.length; i++) c.reply.int(scripting.scripts.has(argv[i].toLowerCase()) ? 1 : 0);
      },
    },
    {
      name: 'script|flush',
      handler: (c, argv) => {
        if (argv.length > 3 || (argv.length === 3 && !isFlushMode(argv[2]))) return c.reply.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
        scripting.flushScripts();
        c.reply.ok();
      },
    },
    { name: 'script|kill', handler: (c) => killOrReply(c, false) },
    { name: 'script|help', handler: (c, argv) => replyHelp(c.reply, argv[0], SCRIPT_HELP) },
    ...functionWriteCommands,
    { name: 'function|list', handler: (c, argv) => functionList(scripting, c, argv) },
    { name: 'function|stats', handler: (c) => functionStats(scripting, c) },
    { name: 'function|kill', handler: (c) => killOrReply(c, true) },
    { name: 'function|dump', handler: (c) => c.reply.bulkBytes(functionsPayload(scripting.libraryCodes())) },
    { name: 'function|help', handler: (c, argv) => replyHelp(c.reply, argv[0], FUNCTION_HELP) },
  ];
}

function isFlushMode(arg: string): boolean {
  const mode = arg.toLowerCase();
  return mode === 'sync' || mode === 'async';
}

/** The store of function libraries; null (after replying) when scripting is not set up on this engine. */
function librariesOrReply(c: Client): FunctionLibraryStore | null {
  const store = c.engine.functionLibraries;
  if (store === null) c.reply.error('ERR Engine \'LUA\' not found');
  return store;
}

/**
 * FUNCTION's subcommands that change the libraries: through the engine's store, so the
 * AOF replay (which has no scripting commands of its own) registers them too.
 */
export const functionWriteCommands: readonly CommandDef<Client>[] = [
  { name: 'function|load', handler: functionLoad },
  {
    name: 'function|delete',
    handler: (c, argv) => {
      const store = librariesOrReply(c);
      if (store === null) return;
      if (!store.delete(argv[2])) return c.reply.error('ERR Library not found');
      c.engine.changed();
      c.reply.ok();
    },
  },
  {
    name: 'function|flush',
    handler: (c, argv) => {
      if (argv.length > 3 || (argv.length === 3 && !isFlushMode(argv[2]))) return c.reply.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      const store = librariesOrReply(c);
      if (store === null) return;
      store.flush();
      c.engine.changed();
      c.reply.ok();
    },
  },
  { name: 'function|restore', handler: functionRestore },
];

function functionLoad(c: Client, argv: string[]): void {
  let replace = false;
  for (let i = 2; i < argv.length - 1; i++) {
    if (argv[i].toLowerCase() !== 'replace') return c.reply.error(`ERR Unknown option given: ${argv[i]}`);
    replace = true;
  }
  const store = librariesOrReply(c);
  if (store === null) return;
  const loaded = store.load(argv[argv.length - 1], replace);
  if ('error' in loaded) return c.reply.error(loaded.error);
  c.engine.changed();
  c.reply.bulk(loaded.name);
}

function functionList<C extends Client>(scripting: Scripting<C>, c: C, argv: string[]): void {
  let pattern: string | null = null;
  let withCode = false;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (arg === 'withcode' && !withCode) withCode = true;
    else if (arg === 'libraryname' && pattern === null) {
      if (i + 1 >= argv.length) return c.reply.error('ERR library name argument was not given');
      pattern = argv[++i];
    } else return c.reply.error(`ERR Unknown argument ${argv[i]}`);
  }
  const libraries = [...scripting.libraries.values()].filter((l) => pattern === null || globMatch(pattern, l.name, true));
  const out = c.reply;
  out.array(libraries.length);
  for (const library of libraries) {
    out.map(withCode ? 4 : 3);
    out.bulk('library_name');
    out.bulk(library.name);
    out.bulk('engine');
    out.bulk('LUA');
    out.bulk('functions');
    out.array(library.functions.size);
    for (const f of library.functions.values()) {
      out.map(3);
      out.bulk('name');
      out.bulk(f.name);
      out.bulk('description');
      out.bulkOrNil(f.description);
      out.bulk('flags');
      out.set(f.flags.size);
      for (const flag of f.flags) out.simple(flag);
    }
    if (withCode) {
      out.bulk('library_code');
      out.bulk(library.code);
    }
  }
}

function functionStats<C extends Client>(scripting: Scripting<C>, c: C): void {
  const out = c.reply;
  out.map(2);
  out.bulk('running_script');
  const running = scripting.running;
  const argv = scripting.runningCommand;
  if (running === null || argv === null || !running.isFunction) out.nil();
  else {
    out.map(3);
    out.bulk('name');
    out.bulk(running.name);
    out.bulk('command');
    out.bulks(argv);
    out.bulk('duration_ms');
    out.int(Date.now() - running.startedAt);
  }
  out.bulk('engines');
  out.map(1);
  out.bulk('LUA');
  out.map(2);
  out.bulk('libraries_count');
  out.int(scripting.libraries.size);
  out.bulk('functions_count');
  out.int(scripting.functions.size);
}

/** FUNCTION DUMP's payload: each library as an RDB FUNCTION2 record, then the RDB version and CRC-64, as DUMP's payloads. */
function functionsPayload(codes: readonly string[]): Buffer {
  const w = new ByteWriter();
  for (const code of codes) {
    w.u8(RdbOp.Function2);
    writeString(w, code);
  }
  w.u8(RDB_VERSION & 0xff);
  w.u8(RDB_VERSION >>> 8);
  const body = w.take();
  return Buffer.concat([body, new Crc64().update(body).bytes()]);
}

/** The library codes in a FUNCTION DUMP payload, or null when it is not one. */
function codesOfPayload(payload: Buffer): string[] | null {
  if (!verifyDumpPayload(payload)) return null;
  const r = new RdbInput(payload.subarray(0, payload.length - 10));
  const codes: string[] = [];
  try {
    while (r.pos < payload.length - 10) {
      if (r.u8() !== RdbOp.Function2) return null;
      codes.push(r.string());
    }
  } catch {
    return null;
  }
  return codes;
}

function functionRestore(c: Client, argv: string[]): void {
  if (argv.length > 4) return c.reply.error(SYNTAX);
  const policy = argv.length === 4 ? argv[3].toLowerCase() : 'append';
  if (policy !== 'flush' && policy !== 'append' && policy !== 'replace') {
    return c.reply.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  }
  const codes = codesOfPayload(Buffer.from(argv[2], 'latin1'));
  if (codes === null) return c.reply.error('ERR DUMP payload version or checksum are wrong');
  const store = librariesOrReply(c);
  if (store === null) return;
  const error = store.restore(codes, policy);
  if (error !== null) return c.reply.error(error);
  c.engine.changed();
  c.reply.ok();
}
