/**
 * One Lua state for all scripts and function libraries, as redis-server keeps one per
 * engine: its libraries, the `redis` table, the globals protection, and the running of
 * one script (KEYS/ARGV, the error handler, the conversion of its result).
 *
 * Globals protection, as redis-server 7.0's: the globals, every table reachable from
 * them (the libraries: `redis`, `string`, `cjson`...) and the metatables of the globals
 * and of strings are readonly tables (lua.ts, READONLY_TABLES), whose writes fail with
 * "Attempt to modify a readonly table"; a missing global fails with "Script attempted
 * to access nonexistent global variable" (the globals' metatable). KEYS and ARGV are
 * set with the globals' flag lifted for the moment.
 *
 * Commands called by a script run on the calling client itself (its reply switched to
 * the script's RESP version, what they wrote read back and removed), through the
 * broker's dispatch so that they count, show in MONITOR and propagate as effects.
 */
import { createHash } from 'node:crypto';
import { Reply } from '../../protocol/reply.js';
import type { Client } from '../client.js';
import { Flag, type Command, type Lookup } from '../command.js';
import { OOM } from '../errors.js';
import { clearAboveTop, formatG, isReadonly, pushLatin1, pushStringArray, setReadonly, stringArguments, pushName, lua, lauxlib, lualib, latin1, luaBytes, luaName, raise, raiseWhere, type LuaJsFunction, type LuaState } from './lua.js';
import { openRedisLibraries, setFunctions } from './libs.js';
import { errorText, pushReply, writeLuaValue } from './convert.js';

/** How the scripting commands reach the command table and dispatch (the broker's). */
export interface ScriptCommandHost<C extends Client> {
  lookup(argv: string[]): Lookup<C>;
  execute(c: C, command: Command<C>, argv: string[]): void;
  /** redis.log: `level` is 0 (debug) to 3 (warning). */
  log(level: number, message: string): void;
  /** busy-reply-threshold in milliseconds (0: scripts are never interrupted). */
  busyThresholdMs(): number;
  /**
   * Whether memory was over maxmemory, nothing left to evict, when the command that
   * runs the script started (redis-server's OOM state saved before a script): its
   * first write that may grow memory is then refused. Never for a leader's command.
   */
  outOfMemory(c: C): boolean;
}

/** A script between its start and its end: its coroutine and what it changed on the caller. */
interface Suspension<C extends Client> {
  thread: LuaState;
  threadRef: number;
  ctx: RunContext<C>;
  asArguments: boolean;
  saved: { db: Client['db']; denyBlocking: boolean; streamable: boolean };
  mayYield: boolean;
}

/** What one running script (or function) is allowed and has done. */
export interface RunContext<C extends Client> {
  caller: C;
  /** EVAL_RO, FCALL_RO, or the `no-writes` flag: write commands are refused. */
  readOnly: boolean;
  /** The name errors cite: the script's SHA1, or the function's name. */
  name: string;
  /** A function (FCALL), not an EVAL script: SCRIPT KILL and FUNCTION KILL tell them apart. */
  isFunction: boolean;
  /** RESP version of the replies commands give the script (redis.setresp). */
  resp: 2 | 3;
  /** The script ran a write command (SCRIPT KILL then answers -UNKILLABLE; past maxmemory it may go on writing). */
  wrote: boolean;
  /** The `allow-oom` flag: writes run past maxmemory. */
  allowOom: boolean;
  /** Memory was over maxmemory when the script started (ScriptCommandHost.outOfMemory). */
  outOfMemory: boolean;
  /** Set by SCRIPT KILL / FUNCTION KILL: the next hook stops the script. */
  killed: boolean;
  /** It ran past busy-reply-threshold and yields between slices (other clients get -BUSY). */
  busy: boolean;
  startedAt: number;
}

export const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;

/** Instructions between two looks at the clock (and at SCRIPT KILL). */
const HOOK_INSTRUCTIONS = 100_000;

/**
 * redis-server 7.0's error handler (script_lua.c, luaRegisterErrorHandler): a string
 * error becomes {err='ERR ...'}, and every error records where it was raised.
 */
const ERROR_HANDLER = `
local dbg = debug
return function(err)
  local i = dbg.getinfo(2, 'nSl')
  -- fengari reports its JavaScript functions as 'J' where C Lua says 'C'.
  if i and (i.what == 'C' or i.what == 'J') then i = dbg.getinfo(3, 'nSl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end`;


/** __index of the globals: a miss is an error (raised by a JavaScript function, as redis-server's by a C one, so the error handler places it at the script's line). */
export function missingGlobal(L: LuaState): number {
  const s = lua.lua_tolstring(L, 2);
  return raiseWhere(L, `Script attempted to access nonexistent global variable '${s === null ? '?' : latin1(s)}'`);
}

/** __newindex of a protected table (the environment library code loads in). */
export function readonlyTable(L: LuaState): number {
  return raiseWhere(L, 'Attempt to modify a readonly table');
}

/** Globals scripts may not see at all (redis-server removes them or never loads them). */
const REMOVED_GLOBALS = ['loadfile', 'dofile', 'print', 'require', 'module', 'package', 'collectgarbage'];

export function sha1hex(body: string): string {
  return createHash('sha1').update(body, 'latin1').digest('hex');
}

/** Pushes {err=message}, as luaPushError does. */
function pushErrorTable(L: LuaState, message: string): void {
  lua.lua_createtable(L, 0, 1);
  pushName(L, 'err');
  pushLatin1(L, message);
  lua.lua_rawset(L, -3);
}

/** A Lua error raised with {err=message}, as luaPushError + luaError do. */
export function raiseErrorTable(L: LuaState, message: string): never {
  pushErrorTable(L, message);
  return lua.lua_error(L);
}

export class ScriptVM<C extends Client> {
  readonly L: LuaState;
  /** The script running now, or null. */
  running: RunContext<C> | null = null;
  private current: Suspension<C> | null = null;
  /** Where the commands a script calls write their replies (callCommand). */
  private readonly scratch = new Reply(2);
  /**
   * The base of a script's coroutine (runScript): it runs the script under the error
   * handler, and the hook yields through it.
   */
  private readonly baseRef: number;
  /** A coroutine whose script ended normally, kept for the next one (making one costs more than the set-up it saves). */
  private idle: { thread: LuaState; threadRef: number } | null = null;
  /** KEYS and ARGV hold a script's values: cleared before a function runs (redis-server's functions never see them). */
  private keysSet = false;
  /** Registry references: the error handler, the globals. */
  readonly handlerRef: number;
  readonly globalsRef: number;
  /** The globals table itself, whose readonly flag is lifted to set KEYS and ARGV. */
  private readonly globals: { readonly: boolean };

  constructor(private readonly host: ScriptCommandHost<C>) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    const libs: [string, LuaJsFunction][] = [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['debug', lualib.luaopen_debug],
      ['coroutine', lualib.luaopen_coroutine],
    ];
    for (const [name, open] of libs) {
      lauxlib.luaL_requiref(L, luaName(name), open, 1);
      lua.lua_pop(L, 1);
    }
    openRedisLibraries(L);
    this.adaptCoroutines();
    this.openRedisTable();
    this.handlerRef = this.refOf(ERROR_HANDLER, 0);
    lua.lua_pushjsfunction(L, runScript);
    this.baseRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    for (const name of REMOVED_GLOBALS) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, luaName(name));
    }
    lua.lua_pushglobaltable(L);
    this.globals = lua.lua_topointer(L, -1) as { readonly: boolean };
    this.globalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.protectGlobals();
  }

  /** Compiles Lua source and returns a registry reference to the function it returns (or the chunk itself with `results` 0). */
  private refOf(source: string, args: number, ...values: (() => void)[]): number {
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, luaBytes(source), null, luaName('=redis')) !== lua.LUA_OK) {
      throw new Error(latin1(lua.lua_tolstring(L, -1)!));
    }
    for (const push of values) push();
    lua.lua_call(L, args, 1);
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /**
   * Installs the protection (scriptingInit's luaSetErrorMetatable and
   * luaSetTableProtectionRecursively): a missing global raises an error, and the
   * globals, what they reach, their metatable and strings' are readonly.
   */
  private protectGlobals(): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.globalsRef);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushjsfunction(L, missingGlobal);
    lua.lua_setfield(L, -2, luaName('__index'));
    lua.lua_setmetatable(L, -2);
    protectRecursively(L);
    lua.lua_getmetatable(L, -1);
    protectRecursively(L);
    lua.lua_pushstring(L, luaName(''));
    lua.lua_getmetatable(L, -1);
    protectRecursively(L);
    lua.lua_pop(L, 4);
  }

  /**
   * Lua 5.1's coroutine library from 5.3's: no `isyieldable`; `running` is nil outside a
   * coroutine the script made, and `yield` there fails as 5.1's does in redis-server
   * (a script runs as a coroutine here, for the hook's yields: it must not yield itself).
   */
  private adaptCoroutines(): void {
    const L = this.L;
    lua.lua_getglobal(L, luaName('coroutine'));
    const own = (name: string): LuaJsFunction => {
      lua.lua_getfield(L, -1, luaName(name));
      const f = lua.lua_tocfunction(L, -1)!;
      lua.lua_pop(L, 1);
      return f;
    };
    const [coroutineYield, create, wrap, resume, status] = ['yield', 'create', 'wrap', 'resume', 'status'].map(own);
    lua.lua_pushnil(L);
    lua.lua_setfield(L, -2, luaName('isyieldable'));
    // 5.1's argument checks and words: a Lua function (not a library one), a coroutine.
    const luaFunction = (f: LuaJsFunction): LuaJsFunction => (T) => {
      if (!lua.lua_isfunction(T, 1) || lua.lua_iscfunction(T, 1)) lauxlib.luaL_argerror(T, 1, luaName('Lua function expected'));
      return f(T);
    };
    const coroutine = (f: LuaJsFunction): LuaJsFunction => (T) => {
      if (lua.lua_type(T, 1) !== lua.LUA_TTHREAD) lauxlib.luaL_argerror(T, 1, luaName('coroutine expected'));
      return f(T);
    };
    setFunctions(L, {
      create: luaFunction(create),
      wrap: luaFunction(wrap),
      resume: coroutine(resume),
      status: coroutine(status),
      yield: (T) => (this.isScriptThread(T) ? raise(T, 'attempt to yield across metamethod/C-call boundary') : coroutineYield(T)),
      running: (T) => {
        if (this.isScriptThread(T)) lua.lua_pushnil(T);
        else lua.lua_pushthread(T);
        return 1;
      },
    });
    lua.lua_pop(L, 1);
  }

  /** Whether `T` runs a script's or a library's own code, not a coroutine the script made. */
  private isScriptThread(T: LuaState): boolean {
    return T === this.L || T === this.current?.thread;
  }

  private openRedisTable(): void {
    const L = this.L;
    lua.lua_createtable(L, 0, 32);
    setFunctions(L, {
      call: (L) => this.redisCall(L, true),
      pcall: (L) => this.redisCall(L, false),
      error_reply: (L) => this.replyTable(L, 'err'),
      status_reply: (L) => this.replyTable(L, 'ok'),
      sha1hex: (L) => {
        if (lua.lua_gettop(L) !== 1) raise(L, 'wrong number of arguments');
        lua.lua_pushstring(L, luaBytes(sha1hex(latin1(lauxlib.luaL_checklstring(L, 1)))));
        return 1;
      },
      log: (L) => this.redisLog(L),
      setresp: (L) => this.setResp(L),
      set_repl: (L) => this.setRepl(L),
      replicate_commands: (L) => (lua.lua_pushboolean(L, true), 1),
      breakpoint: (L) => (lua.lua_pushboolean(L, false), 1),
      debug: () => 0,
    });
    const constants: [string, number][] = [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REPL_NONE', 0],
      ['REPL_SLAVE', 1],
      ['REPL_REPLICA', 1],
      ['REPL_AOF', 2],
      ['REPL_ALL', 3],
      ['REDIS_VERSION_NUM', REDIS_VERSION_NUM],
    ];
    for (const [name, value] of constants) {
      lua.lua_pushnumber(L, value);
      lua.lua_setfield(L, -2, luaName(name));
    }
    lua.lua_pushstring(L, luaBytes(REDIS_VERSION));
    lua.lua_setfield(L, -2, luaName('REDIS_VERSION'));
    lua.lua_setglobal(L, luaName('redis'));
  }

  /**
   * Compiles a script body as a function of its own whose globals are the protected
   * ones; returns its registry reference, or the compiler's message.
   */
  compile(body: string, chunkName: string): number | { error: string } {
    const L = this.L;
    const bytes = luaBytes(body);
    if (lauxlib.luaL_loadbuffer(L, bytes, bytes.length, luaName(chunkName)) !== lua.LUA_OK) {
      const message = latin1(lua.lua_tolstring(L, -1) ?? luaBytes('unknown error'));
      lua.lua_pop(L, 1);
      return { error: message };
    }
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** Sets the globals (`_ENV`, the first upvalue) of the function at `idx` to the table referenced by `ref`. */
  setEnvironment(idx: number, ref: number): void {
    const L = this.L;
    const f = lua.lua_absindex(L, idx);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    lua.lua_setupvalue(L, f, 1);
  }

  release(ref: number): void {
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /**
   * Starts the function `ref` with `keys` and `args`, as KEYS and ARGV (scripts) or as
   * its two arguments (functions), in a coroutine of its own. Returns true once it
   * ended, its result or error written to the caller; false when it yielded past
   * busy-reply-threshold: `resume` continues it (meanwhile other clients get -BUSY).
   */
  run(ref: number, keys: readonly string[], args: readonly string[], ctx: RunContext<C>, asArguments: boolean): boolean {
    const c = ctx.caller;
    const saved = { db: c.db, denyBlocking: c.denyBlocking, streamable: c.reply.streamable };
    c.denyBlocking = true;
    c.scriptKeys = keys;
    ctx.outOfMemory = this.host.outOfMemory(c);
    c.reply.streamable = false;
    this.running = ctx;
    const { thread, threadRef } = this.takeThread();
    this.idle = null;
    if (asArguments && this.keysSet) this.clearKeysAndArgv();
    if (!asArguments) {
      // G's metatable has no __newindex: raw sets are what lua_setfield would do.
      lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, this.globalsRef);
      this.globals.readonly = false;
      pushName(thread, 'KEYS');
      pushStringArray(thread, keys);
      lua.lua_rawset(thread, -3);
      pushName(thread, 'ARGV');
      pushStringArray(thread, args);
      lua.lua_rawset(thread, -3);
      this.globals.readonly = true;
      lua.lua_pop(thread, 1);
      this.keysSet = true;
    }
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, this.baseRef);
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, this.handlerRef);
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, ref);
    if (asArguments) {
      pushStringArray(thread, keys);
      pushStringArray(thread, args);
    }
    // Inside EXEC, or for a command a leader sent, the script must end within the command.
    const mayYield = !saved.denyBlocking && !c.mustObey;
    this.current = { thread, threadRef, ctx, asArguments, saved, mayYield };
    return this.step(asArguments ? 4 : 2);
  }

  /** The idle coroutine, or a new one with the hook that watches the clock and SCRIPT KILL. */
  private takeThread(): { thread: LuaState; threadRef: number } {
    if (this.idle !== null) return this.idle;
    const L = this.L;
    const thread = lua.lua_newthread(L);
    const threadRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_sethook(thread, (T) => this.hook(T), lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    return { thread, threadRef };
  }

  /** Continues the script that yielded; true once it ended (see `run`). */
  resume(): boolean {
    return this.step(0);
  }

  private step(nargs: number): boolean {
    const s = this.current!;
    let status: number;
    try {
      status = lua.lua_resume(s.thread, null, nargs);
    } catch (err) {
      // A JavaScript exception left the coroutine midway: it is not reused.
      this.endRun(s, false);
      throw err;
    }
    if (status === lua.LUA_YIELD) return false;
    const T = s.thread;
    const out = s.ctx.caller.reply;
    try {
      // The coroutine ends with runScript's results: true and the result, or false and the error.
      if (status === lua.LUA_OK && lua.lua_toboolean(T, 1)) writeLuaValue(T, 2, out, s.ctx.resp);
      else {
        lua.lua_settop(T, status === lua.LUA_OK ? 2 : lua.lua_gettop(T));
        out.error(this.errorReply(T, s.ctx));
      }
    } finally {
      this.endRun(s, status === lua.LUA_OK);
    }
    return true;
  }

  /** The script ended: its coroutine is kept for the next one when it ended normally, the caller's state restored. */
  private endRun(s: Suspension<C>, reusable: boolean): void {
    if (reusable) {
      lua.lua_settop(s.thread, 0);
      clearAboveTop(s.thread);
      this.idle = { thread: s.thread, threadRef: s.threadRef };
    } else {
      lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, s.threadRef);
    }
    const c = s.ctx.caller;
    c.db = s.saved.db;
    c.denyBlocking = s.saved.denyBlocking;
    c.scriptKeys = null;
    c.reply.streamable = s.saved.streamable;
    this.running = null;
    this.current = null;
  }

  private clearKeysAndArgv(): void {
    this.keysSet = false;
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.globalsRef);
    this.globals.readonly = false;
    for (const name of ['KEYS', 'ARGV']) {
      lua.lua_pushstring(L, luaName(name));
      lua.lua_pushnil(L);
      lua.lua_rawset(L, -3);
    }
    this.globals.readonly = true;
    lua.lua_pop(L, 1);
  }

  /**
   * Called every HOOK_INSTRUCTIONS instructions: a script killed by SCRIPT KILL stops
   * here; one running past busy-reply-threshold yields, so that the event loop answers
   * other clients (-BUSY, SCRIPT KILL) before it goes on.
   */
  private hook(T: LuaState): void {
    const s = this.current;
    if (s === null) return;
    if (s.ctx.killed) raiseErrorTable(T, 'ERR Script killed by user with SCRIPT KILL...');
    const threshold = this.host.busyThresholdMs();
    // Only the script's own coroutine yields to the event loop: one the script made would yield to the script.
    if (s.mayYield && T === s.thread && threshold > 0 && Date.now() - s.ctx.startedAt >= threshold && lua.lua_isyieldable(T)) {
      s.ctx.busy = true;
      lua.lua_yield(T, 0);
    }
  }

  /** The error reply for a script that raised an error (luaCallFunction). */
  private errorReply(L: LuaState, ctx: RunContext<C>): string {
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
      const s = lua.lua_tolstring(L, -1);
      return `ERR Error running script (call to ${ctx.name}): @user_script: ${s === null ? 'unknown error' : latin1(s)}`;
    }
    const t = lua.lua_gettop(L);
    const field = (name: string): string | null => {
      lua.lua_getfield(L, t, luaName(name));
      const s = lua.lua_type(L, -1) === lua.LUA_TSTRING || lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tolstring(L, -1) : null;
      lua.lua_pop(L, 1);
      return s === null ? null : latin1(s);
    };
    const err = field('err');
    const source = field('source');
    const line = field('line');
    let message = err === null ? 'ERR unknown error' : errorText(err);
    if (source !== null && line !== null) message += ` script: ${ctx.name}, on ${source}:${line}.`;
    return message;
  }

  /** redis.call and redis.pcall (luaRedisGenericCommand). */
  private redisCall(L: LuaState, raiseErrors: boolean): number {
    const ctx = this.running;
    const argc = lua.lua_gettop(L);
    if (ctx === null) return raiseErrorTable(L, 'ERR redis.call/pcall can only be called inside a script invocation');
    if (argc === 0) return this.callError(L, raiseErrors, 'ERR Please specify at least one argument for this redis lib call');
    const argv = stringArguments(L, argc, formatArgNumber);
    if (argv === null) return this.callError(L, raiseErrors, 'ERR Lua redis lib command arguments must be strings or integers');
    const found = this.host.lookup(argv);
    if (found.error !== undefined) {
      const unknown = found.command === undefined;
      return this.callError(L, raiseErrors, unknown ? 'ERR Unknown Redis command called from script' : 'ERR Wrong number of args calling Redis command from script');
    }
    const command = found.command;
    if (command.has(Flag.NoScript)) return this.callError(L, raiseErrors, 'ERR This Redis command is not allowed from script');
    const write = command.has(Flag.Write);
    if (write && ctx.readOnly) return this.callError(L, raiseErrors, 'ERR Write commands are not allowed from read-only scripts.');
    // scriptVerifyOOM: only before the script's first write (once it wrote, it must be able to finish).
    if (ctx.outOfMemory && !ctx.wrote && !ctx.allowOom && command.has(Flag.DenyOom)) return this.callError(L, raiseErrors, OOM);
    if (write) ctx.wrote = true;
    const reply = this.callCommand(ctx, command, argv);
    if (raiseErrors && reply[0] === 45) {
      // The command's error, raised as {err=...} for the script's error handler to place.
      lua.lua_settop(L, 0);
      pushReply(L, reply, 0);
      return lua.lua_error(L);
    }
    pushReply(L, reply, 0);
    return 1;
  }

  /**
   * Runs one command for the script; returns the reply it wrote, in the script's RESP
   * version. The caller's reply is swapped for a scratch one meanwhile (as redis-server
   * runs script commands on a fake client): the caller's pending output is untouched.
   */
  private callCommand(ctx: RunContext<C>, command: Command<C>, argv: string[]): Buffer {
    const c = ctx.caller as { reply: Reply };
    const own = c.reply;
    const scratch = this.scratch;
    scratch.resp = ctx.resp;
    c.reply = scratch;
    try {
      this.host.execute(ctx.caller, command, argv);
    } finally {
      c.reply = own;
    }
    const pieces = scratch.take();
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  private callError(L: LuaState, raiseErrors: boolean, message: string): number {
    if (raiseErrors) return raiseErrorTable(L, message);
    pushErrorTable(L, message);
    return 1;
  }

  /** redis.error_reply / redis.status_reply: {err=...} or {ok=...}. */
  private replyTable(L: LuaState, field: 'err' | 'ok'): number {
    if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) {
      return raiseErrorTable(L, 'ERR wrong number or type of arguments');
    }
    let text = latin1(lua.lua_tolstring(L, 1)!);
    if (field === 'err' && text.startsWith('-')) text = text.slice(1);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, luaBytes(text));
    lua.lua_setfield(L, -2, luaName(field));
    return 1;
  }

  private redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) return raiseErrorTable(L, 'ERR redis.log() requires two arguments or more.');
    if (lua.lua_type(L, 1) !== lua.LUA_TNUMBER) return raiseErrorTable(L, 'ERR First argument must be a number (log level).');
    const level = lua.lua_tonumber(L, 1);
    if (level < 0 || level > 3) return raiseErrorTable(L, 'ERR Invalid debug level.');
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const s = lua.lua_tolstring(L, i);
      if (s !== null) parts.push(latin1(s));
    }
    this.host.log(level, parts.join(' '));
    return 0;
  }

  private setResp(L: LuaState): number {
    const ctx = this.running;
    if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, 'ERR redis.setresp() requires one argument.');
    const resp = lua.lua_tonumber(L, 1);
    if (resp !== 2 && resp !== 3) return raiseErrorTable(L, 'ERR RESP version must be 2 or 3.');
    if (ctx !== null) ctx.resp = resp;
    return 0;
  }

  /** redis.set_repl: every command's effect is propagated here (AOF and followers share one stream), so only the argument is checked. */
  private setRepl(L: LuaState): number {
    if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, 'ERR redis.set_repl() requires two arguments.');
    const flags = lua.lua_tonumber(L, 1);
    if (!(flags >= 0 && flags <= 3 && Number.isInteger(flags))) {
      return raiseErrorTable(L, 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
    }
    return 0;
  }
}

/**
 * The base of a script's coroutine, xpcall's work with its arguments in the order
 * they are pushed (the error handler, the function, its arguments): the results are
 * true and the function's, or false and the error handler's. The function is called
 * with a continuation, so that the hook can yield from inside it.
 */
function runScript(L: LuaState): number {
  return finishScript(L, lua.lua_pcallk(L, lua.lua_gettop(L) - 2, lua.LUA_MULTRET, 1, 0, finishScript), 0);
}

/** luaB_xpcall's finishpcall for runScript: the handler's slot becomes the first result. */
function finishScript(L: LuaState, status: number, _ctx: number): number {
  if (status !== lua.LUA_OK && status !== lua.LUA_YIELD) {
    lua.lua_pushboolean(L, false);
    lua.lua_pushvalue(L, -2);
    return 2;
  }
  lua.lua_pushboolean(L, true);
  lua.lua_replace(L, 1);
  return lua.lua_gettop(L);
}

/** Marks the table on top of the stack readonly, and the tables it holds, once each (luaSetTableProtectionRecursively). */
function protectRecursively(L: LuaState): void {
  if (isReadonly(L, -1)) return;
  setReadonly(L, -1, true);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    if (lua.lua_type(L, -1) === lua.LUA_TTABLE) protectRecursively(L);
    lua.lua_pop(L, 1);
  }
}

/** A number argument of redis.call as redis-server 7.0 writes it: "%.17g". */
function formatArgNumber(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : formatG(n, 17);
}
