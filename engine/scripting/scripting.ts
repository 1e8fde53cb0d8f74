/**
 * Scripting's state: the Lua VM, the EVAL script cache (SHA1 -> compiled function) and
 * the function libraries of Redis 7 (FUNCTION LOAD), with the checks that decide
 * whether a script may run (script flags against the command that runs it).
 *
 * One instance per engine, made by the broker with access to its command table
 * (ScriptCommandHost); snapshots reach the libraries through `Engine.functionLibraries`.
 */
import type { Client } from '../client.js';
import { Flag, type Command } from '../command.js';
import { INTERNAL_ERROR } from '../errors.js';
import type { Engine, FunctionLibraryStore } from '../engine.js';
import { lua, lauxlib, latin1, luaBytes, luaName, type LuaState } from './lua.js';
import { missingGlobal, raiseErrorTable, readonlyTable, ScriptVM, sha1hex, type RunContext, type ScriptCommandHost } from './vm.js';
import { REDIS_VERSION } from './vm.js';

/** Script flags (`#!lua flags=...`, register_function's flags). */
const SCRIPT_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const;
export type ScriptFlag = (typeof SCRIPT_FLAGS)[number];

export interface Script {
  ref: number;
  /** Its SHA1, lowercase hex (what errors cite). */
  sha: string;
  body: string;
  /** Null in compatibility mode (no shebang): no flag applies. */
  flags: ReadonlySet<ScriptFlag> | null;
}

export interface LibraryFunction {
  name: string;
  ref: number;
  description: string | null;
  flags: ReadonlySet<ScriptFlag>;
  library: Library;
}

export interface Library {
  name: string;
  code: string;
  functions: Map<string, LibraryFunction>;
  /** The library's globals table (its functions' `_ENV`), held in the registry. */
  envRef: number;
}

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** redis-server's shared.slowevalerr and shared.slowscripterr. */
export function busyError(isFunction: boolean): string {
  return `BUSY Redis is busy running a script. You can only call ${isFunction ? 'FUNCTION' : 'SCRIPT'} KILL or SHUTDOWN NOSAVE.`;
}

/**
 * A compiler message as Lua 5.1 words it: a statement that is neither a call nor an
 * assignment is "'=' expected" there, "syntax error" in 5.3 (which 5.1 also says of a
 * bad assignment target, a rarer mistake worded differently here).
 */
function lua51CompileError(message: string): string {
  return message.replace(/: syntax error near /, ": '=' expected near ");
}

/** The shebang of a script or library: its first line when it starts with `#!`. */
export interface Shebang {
  engine: string;
  options: string[];
  /** Length of the first line, without its newline (compiled as an empty line, so line numbers hold). */
  length: number;
}

function parseShebang(body: string): Shebang | null {
  if (!body.startsWith('#!')) return null;
  const end = body.indexOf('\n');
  const length = end < 0 ? body.length : end;
  const parts = body.slice(2, length).split(' ').filter((p) => p !== '');
  return { engine: parts[0] ?? '', options: parts.slice(1), length };
}

/** Flags named in a comma list, or the first unknown one. */
function parseFlags(list: readonly string[]): Set<ScriptFlag> | { unknown: string } {
  const flags = new Set<ScriptFlag>();
  for (const f of list) {
    if (f === '') continue;
    if (!(SCRIPT_FLAGS as readonly string[]).includes(f)) return { unknown: f };
    flags.add(f as ScriptFlag);
  }
  return flags;
}

/**
 * scriptFlagsToCmdFlags: a script that declares flags (a shebang, a function's flags)
 * replaces its command's `write`, `denyoom` and `stale` flags by what they imply, and
 * is no longer `may_replicate` (its flags say whether it writes).
 */
function scriptCommandFlags(commandFlags: number, flags: ReadonlySet<ScriptFlag>): number {
  let bits = commandFlags & ~(Flag.Stale | Flag.DenyOom | Flag.Write | Flag.MayReplicate);
  const noWrites = flags.has('no-writes');
  // no-writes implies allow-oom.
  if (!noWrites && !flags.has('allow-oom')) bits |= Flag.DenyOom;
  if (!noWrites) bits |= Flag.Write;
  if (flags.has('allow-stale')) bits |= Flag.Stale;
  return bits;
}

/** The environment library code loads in: `redis.register_function`, `redis.log` and constants only. */
const LOAD_ENVIRONMENT = `
local register, log, version, versionNum, setmetatable, missing, refuse = ...
local redis = setmetatable({}, {__index = setmetatable({
  register_function = register, log = log, REDIS_VERSION = version, REDIS_VERSION_NUM = versionNum,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
}, {__index = missing}), __newindex = refuse})
return setmetatable({redis = redis}, {__index = missing, __newindex = refuse})`;

export class Scripting<C extends Client> {
  readonly vm: ScriptVM<C>;
  readonly scripts = new Map<string, Script>();
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LibraryFunction>();
  /** The library being loaded (FUNCTION LOAD), whose functions register_function adds to. */
  private loading: Library | null = null;
  private readonly loadEnvRef: number;
  /** Told when a script starts and stops yielding past busy-reply-threshold (dispatch refuses commands meanwhile). */
  busyChanged: (busy: boolean) => void = () => {};
  /** The command (EVAL, FCALL...) that runs the current script, for FUNCTION STATS. */
  runningCommand: string[] | null = null;

  constructor(
    readonly engine: Engine,
    host: ScriptCommandHost<C>,
  ) {
    this.vm = new ScriptVM(host);
    this.loadEnvRef = this.makeLoadEnvironment();
    engine.functionLibraries = this.store();
  }

  get running(): RunContext<C> | null {
    return this.vm.running;
  }

  /**
   * The script of `c` yielded past busy-reply-threshold: it goes on in later turns,
   * `c`'s input held meanwhile, its effects gathered into one unit with those it had.
   */
  continueLater(c: C): void {
    c.suspended = true;
    this.engine.beginUnit();
    this.busyChanged(true);
    const next = (): void => {
      let done = true;
      try {
        done = this.vm.resume();
      } catch (err) {
        c.reply.error(INTERNAL_ERROR(this.runningCommand?.[0]?.toLowerCase() ?? 'eval'));
        this.engine.onInternalError(err, 'eval');
      }
      if (!done) {
        setImmediate(next);
        return;
      }
      this.runningCommand = null;
      c.suspended = false;
      this.engine.endUnit();
      this.busyChanged(false);
      c.unblocked();
    };
    setImmediate(next);
  }

  /** The -BUSY refusal of a command while a script yields past busy-reply-threshold (null: it may run). */
  busyRefusal(allowedWhileBusy: boolean): string | null {
    const running = this.running;
    if (running === null || !running.busy || allowedWhileBusy) return null;
    return busyError(running.isFunction);
  }

  /**
   * The flags dispatch checks for a command line of EVAL, EVALSHA, FCALL and their _RO
   * forms (evalGetCommandFlags, fcallGetCommandFlags): the command's own, or those its
   * script's or function's flags imply; a script without a shebang, or not found, keeps
   * the command's.
   */
  commandFlags(command: Command<C>, argv: string[]): number {
    const flags = this.declaredFlags(command.fullname, argv);
    return flags === null ? command.flags : scriptCommandFlags(command.flags, flags);
  }

  private declaredFlags(command: string, argv: string[]): ReadonlySet<ScriptFlag> | null {
    switch (command) {
      case 'fcall':
      case 'fcall_ro':
        return this.functions.get(argv[1])?.flags ?? null;
      case 'evalsha':
      case 'evalsha_ro':
        return argv[1].length === 40 ? (this.scriptBySha(argv[1])?.flags ?? null) : null;
      default: {
        const cached = this.scripts.get(this.shaOf(argv[1]));
        if (cached !== undefined) return cached.flags;
        const shebang = parseShebang(argv[1]);
        const parsed = shebang === null ? null : this.shebangFlags(shebang);
        return parsed === null || 'error' in parsed ? null : parsed.flags;
      }
    }
  }

  /** SHA1 of a script body, the last one remembered (EVAL asks twice: for its flags, then to run it). */
  private shaOf(body: string): string {
    if (body !== this.lastBody) {
      this.lastBody = body;
      this.lastSha = sha1hex(body);
    }
    return this.lastSha;
  }
  private lastBody = '';
  private lastSha = sha1hex('');

  // ---- EVAL scripts ----

  /** The script cached under a SHA1 given in any case (EVALSHA): clients send it lowercase, as SCRIPT LOAD replies it. */
  scriptBySha(sha: string): Script | undefined {
    return this.scripts.get(sha) ?? this.scripts.get(sha.toLowerCase());
  }

  /** Compiles and caches a script (EVAL, SCRIPT LOAD); its SHA1, or the error reply. */
  loadScript(body: string): { sha: string; script: Script } | { error: string } {
    const sha = this.shaOf(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return { sha, script: cached };
    const shebang = parseShebang(body);
    let flags: Set<ScriptFlag> | null = null;
    if (shebang !== null) {
      const parsed = this.shebangFlags(shebang);
      if ('error' in parsed) return parsed;
      flags = parsed.flags;
    }
    const source = shebang === null ? body : body.slice(shebang.length);
    const ref = this.vm.compile(source, '@user_script');
    if (typeof ref !== 'number') return { error: `ERR Error compiling script (new function): ${lua51CompileError(ref.error)}` };
    const script = { ref, sha, body, flags };
    this.scripts.set(sha, script);
    return { sha, script };
  }

  /** evalExtractShebangFlags. */
  private shebangFlags(shebang: Shebang): { flags: Set<ScriptFlag> } | { error: string } {
    if (shebang.engine !== 'lua') return { error: `ERR Unexpected engine in script shebang: #!${shebang.engine}` };
    let flags = new Set<ScriptFlag>();
    for (const option of shebang.options) {
      if (!option.startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${option}` };
      const parsed = parseFlags(option.slice(6).split(','));
      if ('unknown' in parsed) return { error: `ERR Unexpected flag in script shebang: ${parsed.unknown}` };
      flags = parsed;
    }
    return { flags };
  }

  /** SCRIPT FLUSH: forgets every cached script. */
  flushScripts(): void {
    for (const s of this.scripts.values()) this.vm.release(s.ref);
    this.scripts.clear();
  }

  // ---- Function libraries ----

  private makeLoadEnvironment(): number {
    const L = this.vm.L;
    const source = luaBytes(LOAD_ENVIRONMENT);
    if (lauxlib.luaL_loadbuffer(L, source, source.length, luaName('=redis')) !== lua.LUA_OK) throw new Error('load environment');
    lua.lua_pushjsfunction(L, (L) => this.registerFunction(L));
    lua.lua_getglobal(L, luaName('redis'));
    lua.lua_getfield(L, -1, luaName('log'));
    lua.lua_remove(L, -2);
    lua.lua_pushstring(L, luaBytes(REDIS_VERSION));
    lua.lua_getglobal(L, luaName('redis'));
    lua.lua_getfield(L, -1, luaName('REDIS_VERSION_NUM'));
    lua.lua_remove(L, -2);
    lua.lua_getglobal(L, luaName('setmetatable'));
    lua.lua_pushjsfunction(L, missingGlobal);
    lua.lua_pushjsfunction(L, readonlyTable);
    lua.lua_call(L, 7, 1);
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /**
   * FUNCTION LOAD: compiles and runs library code, which registers its functions;
   * returns the library's name or the error reply. With `replace`, a library of the
   * same name is replaced (its functions may move); without, it is an error.
   */
  loadLibrary(code: string, replace: boolean): { name: string } | { error: string } {
    const shebang = parseShebang(code);
    if (shebang === null) return { error: 'ERR Missing library metadata' };
    if (shebang.length === code.length) return { error: 'ERR Invalid library metadata' };
    const name = this.libraryName(shebang);
    if (typeof name !== 'string') return name;
    const existing = this.libraries.get(name);
    if (existing !== undefined && !replace) return { error: `ERR Library '${name}' already exists` };
    const L = this.vm.L;
    const source = luaBytes(code.slice(shebang.length));
    if (lauxlib.luaL_loadbuffer(L, source, source.length, luaName('@user_function')) !== lua.LUA_OK) {
      const message = latin1(lua.lua_tolstring(L, -1)!);
      lua.lua_pop(L, 1);
      return { error: `ERR Error compiling function: ${lua51CompileError(message)}` };
    }
    const library: Library = { name, code, functions: new Map(), envRef: this.libraryEnvironment() };
    this.vm.setEnvironment(-1, library.envRef);
    this.loading = library;
    const failure = this.runLoader(L);
    this.loading = null;
    if (failure === null && library.functions.size === 0) return this.dropLibrary(library, 'ERR No functions registered');
    if (failure !== null) return this.dropLibrary(library, `ERR Error registering functions: ${failure}`);
    for (const f of library.functions.keys()) {
      const owner = this.functions.get(f)?.library;
      if (owner !== undefined && owner !== existing) return this.dropLibrary(library, `ERR Function ${f} already exists`);
    }
    if (existing !== undefined) this.removeLibrary(existing);
    this.libraries.set(name, library);
    for (const f of library.functions.values()) this.functions.set(f.name, f);
    // From now on the functions see the full (protected) globals.
    this.switchToRunEnvironment(library.envRef);
    return { name };
  }

  private libraryName(shebang: Shebang): string | { error: string } {
    if (shebang.engine !== 'lua') return { error: `ERR Engine '${shebang.engine}' not found` };
    let name: string | null = null;
    for (const option of shebang.options) {
      const eq = option.indexOf('=');
      if (eq < 0 || option.slice(0, eq) !== 'name') return { error: 'ERR Invalid metadata value given: ' + option };
      name = option.slice(eq + 1);
    }
    if (name === null) return { error: 'ERR Library name was not given' };
    if (!NAME_PATTERN.test(name)) {
      return { error: 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long' };
    }
    return name;
  }

  /** A fresh globals table for a library, reading the load environment until the load ends. */
  private libraryEnvironment(): number {
    const L = this.vm.L;
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 2);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.loadEnvRef);
    lua.lua_setfield(L, -2, luaName('__index'));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.loadEnvRef);
    lua.lua_setfield(L, -2, luaName('__newindex'));
    lua.lua_setmetatable(L, -2);
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** The library's globals now read the protected globals (their misses and writes fail as in scripts). */
  private switchToRunEnvironment(envRef: number): void {
    const L = this.vm.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, envRef);
    lua.lua_createtable(L, 0, 2);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.vm.globalsRef);
    lua.lua_setfield(L, -2, luaName('__index'));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.vm.globalsRef);
    lua.lua_setfield(L, -2, luaName('__newindex'));
    lua.lua_setmetatable(L, -2);
    lua.lua_pop(L, 1);
  }

  /** Runs the compiled library code on the stack; null, or the error's text. */
  private runLoader(L: LuaState): string | null {
    const base = lua.lua_gettop(L) - 1;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.vm.handlerRef);
    lua.lua_insert(L, -2);
    const status = lua.lua_pcall(L, 0, 0, base + 1);
    let failure: string | null = null;
    if (status !== lua.LUA_OK) {
      lua.lua_getfield(L, -1, luaName('err'));
      const err = lua.lua_tolstring(L, -1);
      failure = err === null ? 'unknown error' : latin1(err);
    }
    lua.lua_settop(L, base);
    return failure;
  }

  private dropLibrary(library: Library, error: string): { error: string } {
    this.releaseLibrary(library);
    return { error };
  }

  private releaseLibrary(library: Library): void {
    for (const f of library.functions.values()) this.vm.release(f.ref);
    this.vm.release(library.envRef);
  }

  private removeLibrary(library: Library): void {
    this.libraries.delete(library.name);
    for (const f of library.functions.keys()) this.functions.delete(f);
    this.releaseLibrary(library);
  }

  /** FUNCTION DELETE; false when there is no such library. */
  deleteLibrary(name: string): boolean {
    const library = this.libraries.get(name);
    if (library === undefined) return false;
    this.removeLibrary(library);
    return true;
  }

  /** FUNCTION FLUSH, and a restore with FLUSH. */
  flushLibraries(): void {
    for (const library of [...this.libraries.values()]) this.removeLibrary(library);
  }

  /** redis.register_function(name, callback) or redis.register_function{...} (luaRegisterFunction). */
  private registerFunction(L: LuaState): number {
    const library = this.loading;
    if (library === null) return raiseErrorTable(L, 'ERR redis.register_function can only be called on FUNCTION LOAD command');
    const argc = lua.lua_gettop(L);
    let name: string | null = null;
    let description: string | null = null;
    let flags = new Set<ScriptFlag>();
    if (argc === 1 && lua.lua_type(L, 1) === lua.LUA_TTABLE) {
      const parsed = this.registrationTable(L);
      if ('error' in parsed) return raiseErrorTable(L, parsed.error);
      ({ name, description, flags } = parsed);
    } else if (argc === 2) {
      if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) return raiseErrorTable(L, 'ERR first argument to redis.register_function must be a string');
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) return raiseErrorTable(L, 'ERR second argument to redis.register_function must be a function');
      name = latin1(lua.lua_tolstring(L, 1)!);
      lua.lua_pushvalue(L, 2);
    } else if (argc === 1) {
      return raiseErrorTable(L, 'ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
    } else {
      return raiseErrorTable(L, 'ERR wrong number of arguments to redis.register_function');
    }
    if (!NAME_PATTERN.test(name)) {
      lua.lua_pop(L, 1);
      // redis-server 7.0 names libraries in this error about a function's name.
      return raiseErrorTable(L, 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
    }
    if (library.functions.has(name)) {
      lua.lua_pop(L, 1);
      return raiseErrorTable(L, 'ERR Function already exists in the library');
    }
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    library.functions.set(name, { name, ref, description, flags, library });
    return 0;
  }

  /** register_function's table form; leaves the callback on the stack. */
  private registrationTable(L: LuaState): { name: string; description: string | null; flags: Set<ScriptFlag> } | { error: string } {
    let name: string | null = null;
    let description: string | null = null;
    let flags = new Set<ScriptFlag>();
    let hasCallback = false;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      if (lua.lua_type(L, -2) !== lua.LUA_TSTRING) {
        lua.lua_pop(L, 2);
        return { error: 'ERR named argument key given to redis.register_function is not a string' };
      }
      const key = latin1(lua.lua_tolstring(L, -2)!);
      const type = lua.lua_type(L, -1);
      if (key === 'function_name' && type === lua.LUA_TSTRING) name = latin1(lua.lua_tolstring(L, -1)!);
      else if (key === 'description' && type === lua.LUA_TSTRING) description = latin1(lua.lua_tolstring(L, -1)!);
      else if (key === 'callback' && type === lua.LUA_TFUNCTION) hasCallback = true;
      else if (key === 'flags' && type === lua.LUA_TTABLE) {
        const parsed = parseFlags(this.stringsOf(L, lua.lua_gettop(L)));
        if ('unknown' in parsed) {
          lua.lua_pop(L, 2);
          return { error: 'ERR unknown flag given' };
        }
        flags = parsed;
      } else {
        lua.lua_pop(L, 2);
        return { error: 'ERR unknown argument given to redis.register_function' };
      }
      lua.lua_pop(L, 1);
    }
    if (name === null) return { error: 'ERR redis.register_function must get a function name argument' };
    if (!hasCallback) return { error: 'ERR redis.register_function must get a callback argument' };
    lua.lua_getfield(L, 1, luaName('callback'));
    return { name, description, flags };
  }

  private stringsOf(L: LuaState, t: number): string[] {
    const out: string[] = [];
    for (let i = 1; lua.lua_rawgeti(L, t, i) !== lua.LUA_TNIL; i++) {
      const s = lua.lua_tolstring(L, -1);
      out.push(s === null ? '' : latin1(s));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return out;
  }

  libraryCodes(): string[] {
    return [...this.libraries.values()].map((l) => l.code);
  }

  /**
   * FUNCTION RESTORE's libraries under a policy; null, or the error. FLUSH drops the
   * libraries first; APPEND refuses a library that exists, and undoes the libraries it
   * added when one fails; REPLACE replaces (a failure there leaves what was replaced).
   */
  restoreLibraries(codes: readonly string[], policy: 'flush' | 'append' | 'replace'): string | null {
    if (policy === 'flush') this.flushLibraries();
    const added: string[] = [];
    for (const code of codes) {
      const shebang = parseShebang(code);
      const name = shebang === null ? null : this.libraryName(shebang);
      // functionsLibCtxFunctionsLoad's own wording, without the quotes of FUNCTION LOAD's.
      if (policy === 'append' && typeof name === 'string' && this.libraries.has(name)) {
        for (const earlier of added) this.deleteLibrary(earlier);
        return `ERR Library ${name} already exists`;
      }
      const loaded = this.loadLibrary(code, policy === 'replace');
      if ('error' in loaded) {
        if (policy !== 'replace') for (const name of added) this.deleteLibrary(name);
        return loaded.error;
      }
      added.push(loaded.name);
    }
    return null;
  }

  /** What FUNCTION's writes, the AOF replay and snapshots use. */
  private store(): FunctionLibraryStore {
    return {
      codes: () => this.libraryCodes(),
      load: (code, replace) => this.loadLibrary(code, replace),
      delete: (name) => this.deleteLibrary(name),
      flush: () => this.flushLibraries(),
      restore: (codes, policy) => this.restoreLibraries(codes, policy),
    };
  }
}
