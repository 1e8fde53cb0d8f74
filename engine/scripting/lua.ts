/**
 * The Lua VM: fengari (Lua 5.3 written in JavaScript, from the npm registry), loaded
 * once and adjusted to behave as the Lua 5.1 that redis-server embeds where scripts
 * can tell the difference. Why fengari and not a WebAssembly Lua: ARCHITECTURE.md,
 * "Scripting" (a script that calls the engine 20 times ran 13x faster here than under
 * wasmoon, whose every call crosses the JS/WebAssembly border through proxies; through
 * wasmoon's raw C API a BullMQ-sized script would cost about 40% less Lua time, short
 * of the target either way, for a Lua 5.4 that cannot be bent to 5.1). fengari's
 * sources are loaded patched for speed (withPatchedSources), its string keys are made
 * one latin1 character per byte (stringKey), its strings may hold latin1 text instead
 * of bytes (TEXT_STRINGS), and its tables can be readonly as redis-server's
 * (READONLY_TABLES).
 *
 * Where Lua 5.3 differs from 5.1 and how this bridges it:
 * - 5.3 has a separate integer subtype, and fengari's integers are 32-bit: 0x100000000
 *   would read as 0 and 100000 * 100000 would wrap. Every numeral (source literals,
 *   `tonumber`, string coercions) is read as a float here, as 5.1 reads all numbers,
 *   and math.floor/ceil return floats (engine/scripting/stdlib.ts).
 * - Numbers print as 5.1 prints them (`%.14g`, no `.0` on integral floats).
 * - Errors about values are worded as 5.1's, `#` of a constructor's table and the order
 *   of its array items are 5.1's (LUA51).
 * The rest (unpack, table.getn, loadstring, the coroutine library's 5.1 surface...) is
 * restored by the sandbox (libs.ts, vm.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The part of fengari's C-like API that the scripting engine uses (fengari ships no types). */
export interface LuaState {
  readonly __luaState: unique symbol;
}
export type LuaJsFunction = (L: LuaState) => number;
type Str = Uint8Array;

export interface LuaApi {
  LUA_OK: number;
  LUA_YIELD: number;
  LUA_ERRRUN: number;
  LUA_ERRSYNTAX: number;
  LUA_MULTRET: number;
  LUA_REGISTRYINDEX: number;
  LUA_RIDX_GLOBALS: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  LUA_TFUNCTION: number;
  LUA_TTHREAD: number;
  LUA_MASKCOUNT: number;
  lua_absindex(L: LuaState, i: number): number;
  lua_call(L: LuaState, nargs: number, nresults: number): void;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
  lua_pcallk(L: LuaState, nargs: number, nresults: number, msgh: number, ctx: number, k: (L: LuaState, status: number, ctx: number) => number): number;
  lua_replace(L: LuaState, i: number): void;
  lua_createtable(L: LuaState, narr: number, nrec: number): void;
  lua_concat(L: LuaState, n: number): void;
  lua_error(L: LuaState): never;
  lua_getfield(L: LuaState, i: number, k: Str): number;
  lua_getglobal(L: LuaState, name: Str): number;
  lua_getmetatable(L: LuaState, i: number): boolean;
  lua_gettop(L: LuaState): number;
  lua_insert(L: LuaState, i: number): void;
  lua_iscfunction(L: LuaState, i: number): boolean;
  lua_isfunction(L: LuaState, i: number): boolean;
  lua_isinteger(L: LuaState, i: number): boolean;
  lua_isyieldable(L: LuaState): boolean;
  lua_newthread(L: LuaState): LuaState;
  lua_next(L: LuaState, i: number): number;
  lua_pop(L: LuaState, n: number): void;
  lua_pushboolean(L: LuaState, b: boolean): void;
  lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
  lua_pushnil(L: LuaState): void;
  lua_pushnumber(L: LuaState, n: number): void;
  lua_pushthread(L: LuaState): boolean;
  lua_pushstring(L: LuaState, s: Str): void;
  lua_pushvalue(L: LuaState, i: number): void;
  lua_pushglobaltable(L: LuaState): void;
  lua_rawequal(L: LuaState, a: number, b: number): boolean;
  lua_rawget(L: LuaState, i: number): number;
  lua_rawgeti(L: LuaState, i: number, n: number): number;
  lua_rawlen(L: LuaState, i: number): number;
  lua_rawset(L: LuaState, i: number): void;
  lua_rawseti(L: LuaState, i: number, n: number): void;
  lua_remove(L: LuaState, i: number): void;
  lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
  lua_setfield(L: LuaState, i: number, k: Str): void;
  lua_setglobal(L: LuaState, name: Str): void;
  lua_sethook(L: LuaState, f: ((L: LuaState) => void) | null, mask: number, count: number): void;
  lua_setmetatable(L: LuaState, i: number): void;
  lua_setupvalue(L: LuaState, f: number, n: number): Str | null;
  lua_status(L: LuaState): number;
  lua_settop(L: LuaState, n: number): void;
  lua_toboolean(L: LuaState, i: number): boolean;
  lua_tocfunction(L: LuaState, i: number): LuaJsFunction | null;
  lua_tolstring(L: LuaState, i: number): Str | null;
  /** The table, function or thread object itself (identity comparisons). */
  lua_topointer(L: LuaState, i: number): unknown;
  lua_tonumber(L: LuaState, i: number): number;
  lua_type(L: LuaState, i: number): number;
  lua_xmove(from: LuaState, to: LuaState, n: number): void;
  lua_yield(L: LuaState, n: number): number;
}

export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_loadbuffer(L: LuaState, buff: Str, size: number | null, name: Str): number;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
  luaL_checknumber(L: LuaState, arg: number): number;
  luaL_checklstring(L: LuaState, arg: number): Str;
  luaL_checkinteger(L: LuaState, arg: number): number;
  luaL_optinteger(L: LuaState, arg: number, d: number): number;
  /** A string position (5.1's 64-bit luaL_checkinteger, clamped to what a position can mean). */
  luaL_checkposition(L: LuaState, arg: number): number;
  luaL_optposition(L: LuaState, arg: number, d: number): number;
  luaL_checktype(L: LuaState, arg: number, t: number): void;
  luaL_error(L: LuaState, fmt: Str): never;
  luaL_argerror(L: LuaState, arg: number, extramsg: Str): never;
  luaL_where(L: LuaState, level: number): void;
  luaL_requiref(L: LuaState, name: Str, open: LuaJsFunction, global: number): void;
}

export interface LualibApi {
  luaopen_base: LuaJsFunction;
  luaopen_table: LuaJsFunction;
  luaopen_string: LuaJsFunction;
  luaopen_math: LuaJsFunction;
  luaopen_debug: LuaJsFunction;
  luaopen_coroutine: LuaJsFunction;
}

interface NumberSlot {
  ttisinteger(): boolean;
  value: number;
  setfltvalue(n: number): void;
}

const require = createRequire(import.meta.url);

/**
 * C's printf `%.<precision>g` exactly: `precision` significant digits, ties to even,
 * trailing zeros dropped, exponent form below 1e-4 and from 10^precision with at
 * least two exponent digits; glibc's words for infinities and x86's default NaN.
 */
export function formatG(n: number, precision: number): string {
  // x86's default NaN (0/0, inf - inf) has its sign bit set: glibc prints '-nan'.
  if (Number.isNaN(n)) return '-nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const negative = n < 0;
  const { digits, exp } = significantDigits(Math.abs(n), precision);
  let out: string;
  if (exp < -4 || exp >= precision) {
    const m = stripZeros(`${digits[0]}.${digits.slice(1)}`);
    const e = Math.abs(exp);
    out = `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    out = stripZeros(`0.${'0'.repeat(-exp - 1)}${digits}`);
  } else {
    out = stripZeros(`${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`);
  }
  return negative ? `-${out}` : out;
}

/**
 * C's printf for one float conversion (`%e`, `%E`, `%f`, `%g`, `%G` with flags, width and
 * precision), as string.format's floats: sprintf-js, which fengari uses, drops `%f`'s
 * default precision of 6, writes one exponent digit and rounds a tie up where C rounds
 * the exact value to even (`%.1f` of 1.25 is 1.2).
 */
/** C's (long) of a double on x86-64: truncated; NaN and out of range are -2^63. */
export function cLong(n: number): bigint {
  const t = Math.trunc(n);
  return t >= -(2 ** 63) && t < 2 ** 63 ? BigInt(t) : -(2n ** 63n);
}

/** C's (unsigned long) of a double as gcc compiles it for x86-64: from 2^64 up (and inf) 0, NaN 2^63, a negative number two's complement. */
export function cUnsignedLong(n: number): bigint {
  return n >= 2 ** 64 ? 0n : n >= 2 ** 63 ? BigInt(Math.trunc(n)) : BigInt.asUintN(64, cLong(n));
}

/**
 * string.format's %d, %i, %o, %u, %x and %X as Lua 5.1 gives them: C's printf of the
 * number converted to a long for %d and %i, to an unsigned long for the others, as
 * x86-64 converts (out of range, a long is -2^63; an unsigned long from 2^64 up is
 * 0). `spec` is the item with its flags, width and precision.
 */
function formatInt64(spec: string, n: number): string {
  const m = /^%([-+ #0]*)(\d*)(?:\.(\d*))?([diouxX])$/.exec(spec);
  if (m === null) throw new Error(`not an integer format: ${spec}`);
  const [, flags, width, precision, conv] = m;
  const signed = conv === 'd' || conv === 'i';
  const value = signed ? cLong(n) : cUnsignedLong(n);
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString(conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10);
  if (conv === 'X') digits = digits.toUpperCase();
  if (precision !== undefined) digits = Number(precision || 0) === 0 && value === 0n ? '' : digits.padStart(Number(precision || 0), '0');
  let prefix = negative ? '-' : signed && flags.includes('+') ? '+' : signed && flags.includes(' ') ? ' ' : '';
  if (flags.includes('#') && conv === 'o' && !digits.startsWith('0')) digits = `0${digits}`;
  if (flags.includes('#') && (conv === 'x' || conv === 'X') && value !== 0n) prefix += conv === 'x' ? '0x' : '0X';
  const pad = Math.max(0, Number(width || 0) - prefix.length - digits.length);
  if (flags.includes('-')) return prefix + digits + ' '.repeat(pad);
  if (flags.includes('0') && precision === undefined) return prefix + '0'.repeat(pad) + digits;
  return ' '.repeat(pad) + prefix + digits;
}

function formatFloat(spec: string, n: number): string {
  const parts = /^%([-+ #0]*)(\d*)(?:\.(\d*))?([eEfgG])$/.exec(spec);
  if (parts === null) throw new Error(`not a float conversion: ${spec}`);
  const [, flags, width, precisionText, conversion] = parts;
  const precision = precisionText === undefined ? 6 : Number(precisionText);
  const negative = n < 0 || Object.is(n, -0) || Number.isNaN(n);
  const a = Math.abs(n);
  let body: string;
  if (Number.isNaN(n)) body = 'nan';
  else if (!Number.isFinite(n)) body = 'inf';
  else if (conversion === 'f') body = fixedC(a, precision, flags.includes('#'));
  else if (conversion === 'e' || conversion === 'E') body = exponentC(a, precision, flags.includes('#'));
  else body = generalC(a, precision === 0 ? 1 : precision, flags.includes('#'));
  if (conversion === 'E' || conversion === 'G') body = body.toUpperCase();
  const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const pad = Number(width || '0') - sign.length - body.length;
  if (pad <= 0) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(pad);
  if (flags.includes('0') && Number.isFinite(n)) return sign + '0'.repeat(pad) + body;
  return ' '.repeat(pad) + sign + body;
}

/** Whether the exact decimal `digits` past `at` are a 5 and then zeros: a tie between two roundings. */
function isTie(digits: string, at: number): boolean {
  return digits[at] === '5' && /^0*$/.test(digits.slice(at + 1));
}

/** `%.<p>f` of a non-negative finite `a`, ties to even. */
function fixedC(a: number, p: number, alt: boolean): string {
  let out: string;
  if (a >= 1e21) out = BigInt(a).toString() + (p > 0 ? `.${'0'.repeat(p)}` : '');
  else {
    out = a.toFixed(Math.min(p, 100)) + (p > 100 ? '0'.repeat(p - 100) : '');
    const [whole, fraction = ''] = a.toFixed(100).split('.');
    const kept = whole + fraction.slice(0, p);
    if (p < 100 && isTie(fraction, p) && Number(kept[kept.length - 1]) % 2 === 0) out = p > 0 ? `${whole}.${fraction.slice(0, p)}` : whole;
  }
  return alt && p === 0 ? `${out}.` : out;
}

/**
 * The first `count` significant digits of a non-negative finite `a`, rounded as C does
 * (JavaScript's toExponential rounds a tie up, C to even: a tie that went up from an
 * even digit is redone), and the decimal exponent of the first.
 */
function significantDigits(a: number, count: number): { digits: string; exp: number } {
  const [mantissa, expText] = a.toExponential(Math.min(count - 1, 100)).split('e');
  let digits = mantissa.replace('.', '') + '0'.repeat(Math.max(0, count - 101));
  const exact = exactDigits(a);
  if (exact !== null && exact.length > count && isTie(exact, count) && Number(exact[count - 1]) % 2 === 0) digits = exact.slice(0, count);
  return { digits, exp: Number(expText) };
}

/** `%.<p>e` of a non-negative finite `a`, ties to even, an exponent of two digits at least. */
function exponentC(a: number, p: number, alt: boolean): string {
  const { digits, exp } = significantDigits(a, p + 1);
  const e = Math.abs(exp);
  const head = p > 0 || alt ? `${digits[0]}.${digits.slice(1)}` : digits[0];
  return `${head}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/** `%.<p>g` of a non-negative finite `a`: `%e` or `%f` by the exponent, trailing zeros dropped unless `#`. */
function generalC(a: number, p: number, alt: boolean): string {
  const asExponent = exponentC(a, p - 1, alt);
  const exp = a === 0 ? 0 : Number(asExponent.slice(asExponent.indexOf('e') + 1));
  const out = exp < -4 || exp >= p ? asExponent : fixedC(a, p - 1 - exp, alt);
  if (alt) return out;
  const e = out.indexOf('e');
  return e < 0 ? stripZeros(out) : stripZeros(out.slice(0, e)) + out.slice(e);
}

/** Lua 5.1's LUAI_NUMFFORMAT, "%.14g": how numbers print. */
export function formatG14(n: number): string {
  // Integers of up to 14 digits print as themselves (tostring of a counter, a concatenation).
  if (Number.isInteger(n) && Math.abs(n) < 1e14 && !Object.is(n, -0)) return String(n);
  return formatG(n, 14);
}

/** The significant digits of a double's exact decimal value, when short enough to hold a tie; else null. */
function exactDigits(a: number): string | null {
  if (a >= 1e21 || a < 1e-6) return null;
  const text = Number.isInteger(a) ? BigInt(a).toString() : a.toFixed(100);
  return text.replace('.', '').replace(/^0+/, '');
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/** Whether a numeral is hexadecimal (fengari reads those as integers modulo 2^32): spaces, a sign, then 0x. */
function isHexNumeral(s: Str): boolean {
  let i = 0;
  while (i < s.length && (s[i] === 32 || (s[i] >= 9 && s[i] <= 13))) i++;
  if (s[i] === 45 || s[i] === 43) i++;
  return s[i] === 48 && (s[i + 1] === 120 || s[i + 1] === 88);
}

/** A hexadecimal integer numeral's value as a float, as Lua 5.1's strtod reads it. */
function hexNumeralValue(s: Str): number {
  const text = latin1(s).replace(/\0.*$/, '').trim();
  const negative = text.startsWith('-');
  const value = Number(text.replace(/^[-+]/, ''));
  return negative ? -value : value;
}

/** A Lua string's bytes as a latin1 JavaScript string (no Buffer made: latin1Slice takes any Uint8Array). */
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

interface FengariString {
  hash: string | null;
  /** Its bytes, null until asked for when it was made from text (TEXT_STRINGS). */
  realstring: Str | null;
  /** Its bytes as a latin1 JavaScript string, once asked for (textOf) or as it was made. */
  text: string | null;
}

/** A Lua string's bytes as latin1, made once per string object: a script's constants are asked for on every run. */
function textOf(ts: FengariString): string {
  return (ts.text ??= latin1Slice.call(ts.realstring!, 0, ts.realstring!.length));
}

/**
 * The key under which fengari's tables (JavaScript Maps) file a string, and by which
 * it orders strings (`<`, table.sort). fengari's own writes each byte's hexadecimal
 * digits without padding: slow (a string concatenation per byte, on every string a
 * script makes and uses as a key), ambiguous ("\x01\x23" and "\x12\x03" are the same
 * key) and out of byte order ("\x0f" sorted after "\x10"). One character per byte
 * is exact, ordered as C's strcmp (redis-server's Lua compares with strcoll, the C
 * locale's strcmp) and made natively.
 */
function stringKey(s: Str): string {
  return '|' + latin1Slice.call(s, 0, s.length);
}

/** A string object's key (stringKey), from its latin1 text. */
function stringObjectKey(ts: FengariString): string {
  return (ts.hash ??= '|' + textOf(ts));
}

/** The CommonJS loader's hook for `.js` files (node:module's Module._extensions). */
interface ModuleLoader {
  _extensions: Record<string, (m: { _compile(source: string, file: string): void }, file: string) => void>;
}

/**
 * fengari's internal assertions (`lua_assert`, `api_check`), statements of one line:
 * C Lua compiles them out of a release build, fengari evaluates them, `instanceof`
 * checks included, on every table access, push and call. Each becomes an empty
 * statement (an `if` whose body it was keeps one).
 */
const ASSERTION = /^([ \t]*)(?:lua_assert|api_check)\(.*\);[ \t]*(?:\/\*.*\*\/)?[ \t]*$/gm;

/** fengari's pops of stack slots (`delete L.stack[--L.top];` and the like): only their index expression is kept. */
const STACK_DELETE = /delete ([A-Za-z_][A-Za-z0-9_]*\.stack)\[([^\]]+)\];/g;

/** A slot at or above the top that may be reused: not there yet, or held by a closure as its upvalue. */
const FRESH_SLOT = `const tv = stack[i];
        if (tv === undefined || tv.captured) stack[i] = new lobject.TValue(LUA_TNIL, null);`;

/**
 * The stack's slots reused, not made anew. fengari keeps one TValue object per stack
 * slot and writes registers into it in place; it popped a slot by `delete` (which also
 * makes V8 turn a stack of 64 slots or more into a dictionary) and gave every slot a
 * new object each time the top rose over it: after every call from a script's main
 * body to a library function (redis.call, tostring...), one object per register of the
 * frame. Here pops only move the top, and a rising top keeps the objects it finds, as
 * C Lua keeps its slots (their stale values are never read: the compiler writes a
 * register before reading it, and lua_settop still clears what it exposes).
 *
 * The one object a slot must not keep is one a closure holds: an open upvalue is the
 * slot's object itself (luaF_findupval), and luaF_close moves it out to the closure by
 * giving the slot a copy, but only for slots below the top (`return a` with a captured
 * local above `a` leaves it behind). Such objects are marked `captured` and replaced,
 * never reused; luaF_close then needs to copy only those.
 *
 * Each thread keeps `fresh`: every slot below it is there and held by no closure, so a
 * rising top looks only at slots above it (after each library call from a frame of 20
 * registers, C Lua's `L->top = ci->top` was a loop over the 20). A rising top raises it
 * past the live slots up to the first one captured; capturing a slot, shrinking the
 * stack and clearAboveTop lower it.
 */
const STACK_REUSE: Record<string, [string, string][]> = {
  'lobject.js': [
    [
      'constructor(type, value) {\n        this.type = type;\n        this.value = value;\n    }',
      'constructor(type, value) {\n        this.type = type;\n        this.value = value;\n        this.captured = false;\n    }',
    ],
  ],
  'lfunc.js': [
    [
      'const luaF_findupval = function(L, level) {\n    return L.stack[level];\n};',
      'const luaF_findupval = function(L, level) {\n    const uv = L.stack[level];\n    uv.captured = true;\n    if (level < L.fresh) L.fresh = level;\n    return uv;\n};',
    ],
    [
      '        let old = L.stack[i];\n        L.stack[i] = new lobject.TValue(old.type, old.value);',
      '        let old = L.stack[i];\n        if (old.captured) L.stack[i] = new lobject.TValue(old.type, old.value);',
    ],
  ],
  'ldo.js': [
    [
      'const adjust_top = function(L, newtop) {\n    if (L.top < newtop) {\n        while (L.top < newtop)\n            L.stack[L.top++] = new lobject.TValue(LUA_TNIL, null);\n    } else {\n        while (L.top > newtop)\n            delete L.stack[--L.top];\n    }\n};',
      `const adjust_top = function(L, newtop) {\n    const top = L.top;\n    if (newtop > top && newtop > L.fresh) {\n        const stack = L.stack;\n        let live = L.fresh;\n        while (live < top && stack[live] !== undefined && !stack[live].captured) live++;\n        for (let i = top > L.fresh ? top : L.fresh; i < newtop; i++) {\n            ${FRESH_SLOT}\n        }\n        L.fresh = live < top ? live : newtop;\n    }\n    L.top = newtop;\n};`,
    ],
    [
      '    L.stack.length = newsize;\n    L.stack_last = newsize - lstate.EXTRA_STACK;',
      '    L.stack.length = newsize;\n    if (L.fresh > newsize) L.fresh = newsize;\n    L.stack_last = newsize - lstate.EXTRA_STACK;',
    ],
    ['            for (let i=L.top; i>=(res + nres); i--)\n                delete L.stack[i];\n', ''],
    ['    let newtop = res + wanted; /* top points after the last result */\n    for (let i=L.top; i>=newtop; i--)\n        delete L.stack[i];\n', '    let newtop = res + wanted; /* top points after the last result */\n'],
  ],
  'lstate.js': [['        this.errfunc = 0;\n    }', '        this.errfunc = 0;\n        this.fresh = 0;\n    }']],
  'lapi.js': [
    [
      "        newtop = L.top + idx + 1; /* 'subtract' index (index is negative) */\n    }\n    ldo.adjust_top(L, newtop);",
      `        newtop = L.top + idx + 1; /* 'subtract' index (index is negative) */\n    }\n    const stack = L.stack;\n    for (let i = L.top; i < newtop; i++) {\n        ${FRESH_SLOT}\n        else tv.setnilvalue();\n    }\n    L.top = newtop;`,
    ],
  ],
};

/** The API's pushes (lua_pushnumber, lua_pushstring, lua_rawgeti...): each made a new TValue for the slot at the top. */
const API_PUSH = /L\.stack\[L\.top(\+\+)?\] = new (?:lobject\.)?TValue\(([^()]*), ([^()]*)\);/g;

/**
 * The API's pushes reuse the slot's object too (STACK_REUSE's rule: not one a closure
 * holds), in lapi.js and lobject.js (pushobj2s, pushsvalue2s): every value a library
 * function, the bridge or KEYS/ARGV pushed was a new object.
 */
const PUSH_REUSE: Record<string, string> = {
  'lapi.js': 'TValue',
  'lobject.js': 'TValue',
};

function withPushReuse(source: string, tvalue: string): string {
  const helper = `
const setslot = function(L, i, type, value) {
    const tv = L.stack[i];
    if (tv === undefined || tv.captured) L.stack[i] = new ${tvalue}(type, value);
    else {
        tv.type = type;
        tv.value = value;
    }
};
`;
  return source.replace(API_PUSH, (_, incr: string | undefined, type: string, value: string) => `setslot(L, L.top${incr ?? ''}, ${type}, ${value});`) + helper;
}

/**
 * Call frames reused, as C Lua reuses its CallInfo list (`next_ci`): fengari made a new
 * CallInfo object on every call (a Lua function's or a library function's, redis.call
 * included) and dropped it on return. Here a return keeps the frame linked after the
 * caller's and the next call takes it; every field a call reads is set by the call
 * (luaD_precall, lua_callk, lua_yieldk), as in C Lua.
 */
const CALL_INFO_REUSE: Record<string, [string, string][]> = {
  'lstate.js': [
    [
      'const luaE_extendCI = function(L) {\n    let ci = new CallInfo();\n    L.ci.next = ci;\n    ci.previous = L.ci;\n    ci.next = null;\n    L.ci = ci;\n    return ci;\n};',
      'const luaE_extendCI = function(L) {\n    let ci = L.ci.next;\n    if (ci === null) {\n        ci = new CallInfo();\n        L.ci.next = ci;\n        ci.previous = L.ci;\n    }\n    L.ci = ci;\n    return ci;\n};',
    ],
  ],
  'ldo.js': [['    L.ci = ci.previous;\n    L.ci.next = null;\n    return moveresults(', '    L.ci = ci.previous;\n    return moveresults(']],
};

/**
 * The interpreter's loop, and its table reads by a string key (luaV_gettable: a key
 * found in the table is one Map lookup). Every instruction called luaG_traceexec while a hook is set,
 * and scripts always run with the count hook (busy-reply-threshold, SCRIPT KILL): that
 * call only counted down when no line hook is set and the count is not at its end, so
 * the loop counts down itself then (the same count, the same hook calls).
 */
const VM_LOOP: Record<string, [string, string][]> = {
  'lvm.js': [
    // A string key found in the table itself (globals, library functions, fields): one Map lookup, no hashing by type.
    [
      'const luaV_gettable = function(L, t, key, ra) {\n',
      'const luaV_gettable = function(L, t, key, ra) {\n    if (t.ttistable() && key.ttisstring()) {\n        const e = t.value.strong.get(luaS_hashlongstr(key.value));\n        if (e !== undefined && e.value.type !== LUA_TNIL) {\n            lobject.setobj2s(L, ra, e.value);\n            return;\n        }\n    }\n',
    ],
    [
      '        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {\n            ldebug.luaG_traceexec(L);\n        }',
      '        if (L.hookmask & (LUA_MASKLINE | LUA_MASKCOUNT)) {\n            if ((L.hookmask & LUA_MASKLINE) === 0 && L.hookcount > 1) L.hookcount--;\n            else ldebug.luaG_traceexec(L);\n        }',
    ],
  ],
};

/**
 * Corrections of fengari's bugs. lua_pcallk inside a coroutine means to save the
 * caller's `allowhook` in the call's CIST_OAH bit (C Lua's setoah), but its
 * `&= ~CIST_OAH | allowhook` changes nothing: an error caught by xpcall in a coroutine
 * then restores allowhook as 0, and that coroutine never calls its count hook again
 * (a script reusing it could neither be interrupted past busy-reply-threshold nor killed).
 */
const SOURCE_FIXES: Record<string, [string, string][]> = {
  'lapi.js': [['ci.callstatus &= ~lstate.CIST_OAH | L.allowhook;', 'ci.callstatus = (ci.callstatus & ~lstate.CIST_OAH) | L.allowhook;']],
};

/**
 * Strings made from text: a string object has its bytes (`realstring`) or its latin1
 * text (`text`, FengariString) or both, and makes its bytes when first asked for them
 * (getstr). KEYS, ARGV and the strings of commands' replies are made from text and
 * mostly go back to the engine as text (redis.call's arguments, table keys, a
 * script's result) without bytes ever made: a typed array costs several times the
 * allocation of a string. So are numbers made strings and concatenations, whose texts
 * join without a copy. Only lstring.js reads `realstring`; fengari's other modules ask
 * with getstr().
 */
const TEXT_STRINGS: Record<string, [string, string][]> = {
  'lstring.js': [
    ['        this.hash = null;\n        this.realstring = str;\n', '        this.hash = null;\n        this.realstring = str;\n        this.text = null;\n'],
    ['    getstr() {\n        return this.realstring;\n    }', '    getstr() {\n        return this.realstring ?? (this.realstring = latin1Bytes(this.text));\n    }'],
    ['        return this.realstring.length;', '        return this.realstring !== null ? this.realstring.length : this.text.length;'],
    [
      '    return a == b || luastring_eq(a.realstring, b.realstring);',
      '    return a == b || (a.text !== null && b.text !== null ? a.text === b.text : luastring_eq(a.getstr(), b.getstr()));',
    ],
  ],
  // Numbers made strings (a concatenation's operands, a coercion) are text.
  'lobject.js': [
    [
      '        buff = to_luastring(lua_integer2str(obj.value));',
      '        buff = lua_integer2str(obj.value);',
    ],
    [
      '        buff = to_luastring(str);\n    }\n    obj.setsvalue(luaS_bless(L, buff));',
      '        buff = str;\n    }\n    obj.setsvalue(lstringModule.luaS_text(L, buff));',
    ],
  ],
  // A concatenation joins its operands' texts (a string of V8's ropes, no copy) up to CONCAT_TEXT_MAX.
  'lvm.js': [
    [
      '            let buff = new Uint8Array(tl);\n            copy2buff(L, top, n, buff);\n            let ts = luaS_bless(L, buff);',
      '            let ts = tl <= CONCAT_TEXT_MAX ? concatText(L, top, n) : null;\n            if (ts === null) {\n                let buff = new Uint8Array(tl);\n                copy2buff(L, top, n, buff);\n                ts = luaS_bless(L, buff);\n            }',
    ],
  ],
};

/** Appended to the modules TEXT_STRINGS patches. */
const TEXT_STRING_HELPERS: Record<string, string> = {
  'lstring.js': `
const latin1Bytes = function(text) {
    const bytes = new Uint8Array(text.length);
    if (text.length <= 32) for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    else Buffer.prototype.latin1Write.call(bytes, text, 0, text.length);
    return bytes;
};
const luaS_text = function(L, text) {
    const ts = new TString(L, null);
    ts.text = text;
    return ts;
};
module.exports.luaS_text = luaS_text;
`,
  'lobject.js': `
const lstringModule = require('./lstring.js');
`,
  // Below V8's longest string (2^29 - 24 characters), with room to spare.
  'lvm.js': `
const CONCAT_TEXT_MAX = 1 << 28;
const latin1Slice = Buffer.prototype.latin1Slice;
const lstringModule = require('./lstring.js');
const concatText = function(L, top, n) {
    let text = '';
    for (let i = n; i > 0; i--) {
        const ts = L.stack[top - i].tsvalue();
        text += ts.text ?? (ts.text = latin1Slice.call(ts.realstring, 0, ts.realstring.length));
    }
    return lstringModule.luaS_text(L, text);
};
`,
};

/**
 * Tables as Lua 5.1's ltable.c lays them out, so that `next` and `pairs` give
 * redis-server's order: an array part (the values of keys 1..n, a JavaScript array of
 * TValues, a nil one a hole) and a node part, 2^k nodes holding the other keys where 5.1
 * puts them. A key's node is its main position: a string's hash or a boolean's value
 * modulo the size, a number's hashnum (its double's two 32-bit words added) modulo
 * size-1|1; the string hash is 5.1's luaS_hash, unseeded, over every byte as
 * redis-server's Lua has it (5.1 samples 32 bytes of a longer string). A key finding its
 * main position taken by a key that is in its own goes to the free node `lastfree` finds
 * walking down from the top; one finding it taken by a key out of place takes it and
 * moves that key there (luaH_newkey). A key whose value became nil keeps its node, so
 * `next` goes on from it and setting it again reuses it (a new key whose main position
 * it is takes it over); a new key with no free node left rehashes (5.1's rehash and
 * computesizes: the array part the largest power of two more than half filled by
 * integer keys, the node part what is left, the new key counted), and resize rebuilds
 * the parts in 5.1's order: the array's vanishing slice first, then the old nodes from
 * the top down. Constructors size the parts from OP_NEWTABLE's counts and OP_SETLIST's
 * last index, lua_createtable from its arguments; `t[k] = nil` for a key not there
 * takes a node too, as 5.1's luaH_set does (also before a __newindex call). Lookups are
 * still one Map lookup (`strong`, keyed as fengari keys them); each entry knows its node
 * `i`, the next node of its chain `nx` and its hash `h` (taken modulo a power of two, or
 * when `m` modulo size-1|1); the nodes decide only the order. What cannot match: keys
 * that are tables, functions or coroutines hash by their creation number where 5.1
 * hashes their address; and redis-server's garbage collector marks a deleted string key
 * dead when it traverses the table, after which that key set again takes a new node
 * (the same one when it sat in its main position). fengari's own code from `add` to
 * `luaH_next` (TABLE_51_REGION, checked by its SHA-256) is replaced by TABLE_51_CODE.
 */
const TABLE_51: Record<string, [string, string][]> = {
  // A string's hash kept, as 5.1 keeps its own: a script's constants are set as keys on every run.
  'lstring.js': [['        this.text = null;\n', '        this.text = null;\n        this.tablehash = -1;\n']],
  'ltable.js': [
    [
      '        this.strong = new Map();\n        this.dead_strong = new Map();\n        this.dead_weak = void 0; /* initialised when needed */\n        this.f = void 0; /* first entry */\n        this.l = void 0; /* last entry */\n',
      '        this.strong = NO_KEYS;\n        this.array = [];\n        this.node = EMPTY_NODES;\n        this.lastfree = 0;\n        this.intkeys = false;\n',
    ],
  ],
  'lvm.js': [
    [
      '                L.stack[ra].sethvalue(ltable.luaH_new(L));',
      '                L.stack[ra].sethvalue(ltable.luaH_sized(L, lobject.luaO_fb2int(i.B), lobject.luaO_fb2int(i.C)));',
    ],
    [
      '                for (; n > 0; n--) {\n                    ltable.luaH_setint(h, last--, L.stack[ra + n]);\n                }',
      // 5.1's OP_SETLIST sizes the array part to hold the last item (`{f()}` included), rebuilding the node part as any resize.
      '                const first = last - n;\n                if (last > h.array.length) ltable.luaH_resize(h, last, h.node.length);\n                for (let k = 1; k <= n; k++) {\n                    ltable.luaH_setint(h, first + k, L.stack[ra + k]);\n                }',
    ],
    // 5.1's luaV_settable makes the key's node (luaH_set) before it looks for __newindex: a key not there takes a node, without a value.
    [
      '                ltable.invalidateTMcache(h);\n                return;\n            }\n            /* else will try the metamethod */',
      '                ltable.invalidateTMcache(h);\n                return;\n            }\n            if (slot === lobject.luaO_nilobject) ltable.luaH_setfrom(L, h, key, slot);',
    ],
    // An integer key inside the array part: one array read (KEYS[1], unpack's reads).
    [
      'const luaV_gettable = function(L, t, key, ra) {\n',
      'const luaV_gettable = function(L, t, key, ra) {\n    if (t.ttistable() && key.ttisnumber() && ltable.inarray(t.value, key.value)) {\n        const tv = t.value.array[key.value - 1];\n        if (tv.type !== LUA_TNIL) {\n            lobject.setobj2s(L, ra, tv);\n            return;\n        }\n    }\n',
    ],
  ],
  'lapi.js': [['    let t = new lobject.TValue(LUA_TTABLE, ltable.luaH_new(L));', '    let t = new lobject.TValue(LUA_TTABLE, ltable.luaH_sized(L, narray, nrec));']],
};

/** The part of ltable.js TABLE_51 replaces: from its first line up to (not including) its last, and the SHA-256 of that text in fengari 0.1.5. */
const TABLE_51_REGION = {
  first: 'const add = function(t, hash, key, value) {\n',
  last: 'module.exports.invalidateTMcache = invalidateTMcache;\n',
  sha256: '779e37620fc4531d13089f83e7c58a0823575c4014a9afb50f136a38ab9beba8',
};

/** What TABLE_51 puts in place of TABLE_51_REGION (MAXBITS is 5.1's, LUAI_BITSINT - 2). */
const TABLE_51_CODE = `
const MAXBITS = 26;
const EMPTY_NODES = [];
/* The key map of every table without keys outside its array part (KEYS, ARGV, a list): a Map is made at the first such key (ownkeys); only lookups reach this one. */
const NO_KEYS = new Map();
const ownkeys = function(t) {
    if (t.strong === NO_KEYS) t.strong = new Map();
    return t.strong;
};
const nums = new Int32Array(MAXBITS + 1);
const number64 = new Float64Array(1);
const number32 = new Uint32Array(number64.buffer);

/* redis-server's luaS_hash of a string's bytes (every byte), from its latin1 text. */
const stringhash = function(text) {
    let h = text.length;
    for (let l1 = text.length; l1 >= 1; l1--)
        h = (h ^ ((h << 5) + (h >>> 2) + text.charCodeAt(l1 - 1))) >>> 0;
    return h;
};
/* 5.1's hashnum before its modulo: the double's two words added (0 for either zero). */
const numberhash = function(n) {
    if (n === 0) return 0;
    number64[0] = n;
    return (number32[0] + number32[1]) >>> 0;
};
const mainposition = function(e, size) {
    return e.m ? e.h % ((size - 1) | 1) : e.h & (size - 1);
};
const getfreepos = function(t) {
    const node = t.node;
    while (t.lastfree > 0) {
        if (node[--t.lastfree] === null) return t.lastfree;
    }
    return -1;
};
/* 5.1's newkey for entry 'e', whose key is not in the table: false when no node is free (then the caller rehashes). */
const place = function(t, e) {
    const node = t.node;
    const size = node.length;
    if (size === 0) return false;
    let mp = mainposition(e, size);
    const other = node[mp];
    e.nx = -1;
    if (other !== null) {
        if (other.value.type === LUA_TNIL) { /* a key without a value: its node is taken over, chain included */
            t.strong.delete(other.k);
            e.nx = other.nx;
        } else {
            const n = getfreepos(t);
            if (n < 0) return false;
            const othermp = mainposition(other, size);
            if (othermp !== mp) { /* the other key is out of its main position: it moves to the free node */
                let prev = othermp;
                while (node[prev].nx !== mp) prev = node[prev].nx;
                node[prev].nx = n;
                node[n] = other;
                other.i = n;
            } else { /* the new key goes to the free node, chained after the main position */
                e.nx = other.nx;
                other.nx = n;
                mp = n;
            }
        }
    }
    e.i = mp;
    node[mp] = e;
    return true;
};
/* A new entry for integer key 'k' (hashed as 5.1 hashes numbers); false when the table was rehashed instead (the caller sets again: the key may now be in the array part). */
const newintkey = function(t, k, value) {
    if (t.node.length > 0) {
        const e = {k: k, key: new lobject.TValue(LUA_TNUMINT, k), value: new lobject.TValue(value.type, value.value), h: numberhash(k), m: true, i: 0, nx: -1};
        if (place(t, e)) {
            ownkeys(t).set(k, e);
            t.intkeys = true;
            return true;
        }
    }
    rehash(t, k);
    return false;
};
/* newintkey's twin for a key that is no integer (never one for the array part): after a rehash it has a node. */
const newhashkey = function(t, k, type, kv, h, m, value) {
    const e = {k: k, key: new lobject.TValue(type, kv), value: new lobject.TValue(value.type, value.value), h: h, m: m, i: 0, nx: -1};
    if (t.node.length === 0 || !place(t, e)) {
        rehash(t, null);
        place(t, e);
    }
    ownkeys(t).set(k, e);
};
const inarray = function(t, k) {
    return k >= 1 && k <= t.array.length && (k | 0) === k;
};
const arrayindex = function(k) {
    return typeof k === 'number' && k >= 1 && k <= (1 << MAXBITS) && (k | 0) === k;
};
const ceillog2 = function(x) {
    return x <= 1 ? 0 : 32 - Math.clz32(x - 1);
};
/* 5.1's rehash: the array part the integer keys fill more than half of, the node part what is left (the new key, 'intkey' when an integer, included). */
const rehash = function(t, intkey) {
    const array = t.array;
    if (array.length > 0 || t.intkeys || intkey !== null) nums.fill(0);
    let nasize = 0;
    for (let k = 1; k <= array.length; k++) {
        if (array[k - 1].type !== LUA_TNIL) {
            nums[ceillog2(k)]++;
            nasize++;
        }
    }
    let totaluse = nasize + 1;
    const node = t.node;
    for (let i = 0; i < node.length; i++) {
        const e = node[i];
        if (e === null || e.value.type === LUA_TNIL) continue;
        totaluse++;
        if (t.intkeys && arrayindex(e.k)) {
            nums[ceillog2(e.k)]++;
            nasize++;
        }
    }
    if (arrayindex(intkey)) {
        nums[ceillog2(intkey)]++;
        nasize++;
    }
    /* computesizes */
    let a = 0, na = 0, n = 0;
    for (let i = 0, twotoi = 1; (twotoi >> 1) < nasize; i++, twotoi *= 2) {
        if (nums[i] > 0) {
            a += nums[i];
            if (a > (twotoi >> 1)) {
                n = twotoi;
                na = a;
            }
        }
        if (a === nasize) break;
    }
    luaH_resize(t, n, totaluse - na);
};
/* 5.1's resize: an array part of 'nasize', a new node part for 'nhsize' keys, the keys put back in 5.1's order. */
const luaH_resize = function(t, nasize, nhsize) {
    const array = t.array;
    const oldnode = t.node;
    const oldasize = array.length;
    for (let k = oldasize; k < nasize; k++) array.push(new lobject.TValue(LUA_TNIL, null));
    const size = nhsize > 0 ? 1 << ceillog2(nhsize) : 0;
    let node = EMPTY_NODES;
    if (size > 0) {
        node = [];
        for (let i = 0; i < size; i++) node.push(null);
    }
    t.node = node;
    t.lastfree = size;
    if (nasize < oldasize) {
        const vanishing = array.splice(nasize);
        for (let i = 0; i < vanishing.length; i++) {
            if (vanishing[i].type === LUA_TNIL) continue;
            const k = nasize + i + 1;
            const e = {k: k, key: new lobject.TValue(LUA_TNUMINT, k), value: vanishing[i], h: numberhash(k), m: true, i: 0, nx: -1};
            place(t, e);
            ownkeys(t).set(k, e);
            t.intkeys = true;
        }
    }
    for (let i = oldnode.length - 1; i >= 0; i--) {
        const e = oldnode[i];
        if (e === null) continue;
        if (e.value.type === LUA_TNIL) t.strong.delete(e.k);
        else if (typeof e.k === 'number' && inarray(t, e.k)) {
            array[e.k - 1] = e.value;
            t.strong.delete(e.k);
        } else place(t, e);
    }
};
const luaH_sized = function(L, narray, nhash) {
    const t = new Table(L);
    if (narray > 0 || nhash > 0) luaH_resize(t, narray, nhash);
    return t;
};

const luaH_new = function(L) {
    return new Table(L);
};

const getgeneric = function(t, hash) {
    let v = t.strong.get(hash);
    return v ? v.value : lobject.luaO_nilobject;
};

const luaH_getint = function(t, key) {
    if (key >= 1 && key <= t.array.length) return t.array[key - 1];
    return getgeneric(t, key);
};

const luaH_getstr = function(t, key) {
    return getgeneric(t, luaS_hashlongstr(key));
};

const luaH_get = function(L, t, key) {
    if (key.ttisnil() || (key.ttisfloat() && isNaN(key.value)))
        return lobject.luaO_nilobject;
    if (key.ttisnumber() && inarray(t, key.value)) return t.array[key.value - 1];
    return getgeneric(t, table_hash(L, key));
};

const luaH_setint = function(t, key, value) {
    const array = t.array;
    if (key >= 1 && key <= array.length) {
        array[key - 1].setfrom(value);
        return;
    }
    const e = t.strong.get(key);
    if (e !== undefined) e.value.setfrom(value);
    else if (!newintkey(t, key, value)) luaH_setint(t, key, value);
};

const luaH_setfrom = function(L, t, key, value) {
    const kv = key.value;
    if (key.ttisnumber() && (kv|0) === kv) return luaH_setint(t, kv, value); /* an integer key, as an integer */
    const k = table_hash(L, key);
    const e = t.strong.get(k);
    if (e !== undefined) {
        e.value.setfrom(value);
        return;
    }
    let h = 0, m = true;
    switch (key.type) {
        case LUA_TSHRSTR:
        case LUA_TLNGSTR:
            h = kv.tablehash >= 0 ? kv.tablehash : (kv.tablehash = stringhash(kv.text)); /* table_hash made its text */
            m = false;
            break;
        case LUA_TNUMFLT:
            h = numberhash(kv);
            break;
        case LUA_TBOOLEAN:
            h = kv ? 1 : 0;
            m = false;
            break;
        default: /* a table, function, coroutine or userdata: its creation number for its address */
            if (kv !== null && typeof kv.id === 'number') h = kv.id;
    }
    newhashkey(t, k, key.type, kv, h, m, value);
};

/* 5.1's luaH_getn: a boundary searched in the array part when its last slot is nil, else from its end. */
const luaH_getn = function(t) {
    const array = t.array;
    let i = 0;
    let j = array.length;
    if (j > 0 && array[j - 1].ttisnil()) {
        while (j - i > 1) {
            let m = Math.floor((i+j)/2);
            if (array[m - 1].ttisnil()) j = m;
            else i = m;
        }
        return i;
    }
    if (!t.intkeys) return j; /* no integer key past the array part */
    /* 5.1's unbound_search from the array's end */
    i = j++;
    while (!(luaH_getint(t, j).ttisnil())) {
        i = j;
        if (j > LUA_MAXINTEGER / 2) {  /* overflow? */
            /* table was built with bad purposes: resort to linear search */
            i = 1;
            while (!luaH_getint(t, i).ttisnil()) i++;
            return i - 1;
        }
        j *= 2;
    }
    while (j - i > 1) {
        let m = Math.floor((i+j)/2);
        if (luaH_getint(t, m).ttisnil()) j = m;
        else i = m;
    }
    return i;
};

/* 5.1's luaH_next: the array part, then the nodes in their order, from the key given (findindex). */
const luaH_next = function(L, table, keyI) {
    const keyO = L.stack[keyI];
    const array = table.array;
    let i;
    if (keyO.type === LUA_TNIL) i = 0;
    else if (keyO.ttisnumber() && inarray(table, keyO.value)) i = keyO.value;
    else {
        const e = keyO.ttisfloat() && isNaN(keyO.value) ? undefined : table.strong.get(table_hash(L, keyO));
        if (e === undefined) return ldebug.luaG_runerror(L, to_luastring("invalid key to 'next'"));
        i = array.length + e.i + 1;
    }
    for (; i < array.length; i++) {
        if (array[i].type !== LUA_TNIL) {
            L.stack[keyI].setivalue(i + 1);
            lobject.setobj2s(L, keyI + 1, array[i]);
            return true;
        }
    }
    const node = table.node;
    for (i -= array.length; i < node.length; i++) {
        const e = node[i];
        if (e !== null && e.value.type !== LUA_TNIL) {
            lobject.setobj2s(L, keyI, e.key);
            lobject.setobj2s(L, keyI + 1, e.value);
            return true;
        }
    }
    return false;
};

module.exports.inarray = inarray;
module.exports.luaH_sized = luaH_sized;
module.exports.luaH_resize = luaH_resize;
`;

/** A constructor's array size as OP_NEWTABLE encodes it (lobject.c's luaO_fb2int: eeeeexxx is (1xxx) * 2^(eeeee-1)). */
const FB2INT = `
module.exports.luaO_fb2int = function(x) {
    return x < 8 ? x : ((x & 7) + 8) * 2 ** ((x >>> 3) - 1);
};
`;

/**
 * C's conversion of a double to a 64-bit integer as x86-64 does it (Lua 5.1's
 * lua_Integer and string.format's long): truncation, and the "integer indefinite"
 * -2^63 for NaN and whatever is out of range. Its low 32 bits are 5.1's luaL_checkint
 * (`| 0`): `string.rep('x', 2^32 + 1)` is one x, `select(2^31, ...)` is select(-2^31, ...).
 */
const INT64 = `
const luai_int64 = function(n) {
    const t = Math.trunc(n);
    return t >= -9223372036854775808 && t < 9223372036854775808 ? t : -9223372036854775808;
};`;

/**
 * Where scripts see Lua 5.1 rather than 5.3: the wording of errors about a value,
 * "attempt to index local 't' (a nil value)" where 5.3 says "attempt to index a nil
 * value (local 't')" (ldebug.c's luaG_typeerror of each version; the variable's
 * description comes from the same place). `#` and the order of `next`: TABLE_51.
 * And the library functions' integer arguments: 5.1's luaL_checkinteger truncates a
 * number (`string.rep('x', 1.5)`, `string.format('%d', 1.5)`), where 5.3's refuses one
 * with a fraction ("number has no integer representation", which is still the error
 * past fengari's 32-bit integers); string.char refuses a byte out of range with 5.1's
 * "invalid value" (fengari's check lost its argument number and garbled the message).
 * tonumber with a base other than 10 is 5.1's strtoul (64 bits, unsigned, a string or a
 * number); with base 10, the plain conversion.
 * `%` is 5.1's a - floor(a / b) * b (5.3's is fmod's exact remainder: `2^63 % 7` is 0 in
 * 5.1, 1 in 5.3; `7 % (1/0)` is nan in 5.1).
 * Constant folding keeps a zero result as 5.1's does (5.3 refuses to fold one), so a
 * function's `-0` and `0` constants are one entry of its constant list, the sign of
 * whichever the function names first: `return {tostring(0), tostring(-0)}` gives two
 * "0", and `t[-0] = 0` sets the key -0 to -0, as in redis-server.
 */
const LUA51: Record<string, [string, string][]> = {
  'lbaselib.js': [
    [
      '    let r = /^[\\t\\v\\f \\n\\r]*([+-]?)0*([0-9A-Za-z]+)[\\t\\v\\f \\n\\r]*$/.exec(s);\n    if (!r) return null;\n    let v = parseInt(r[1]+r[2], base);\n    if (isNaN(v)) return null;\n    return v|0;',
      `    let r = /^[\\t\\v\\f \\n\\r]*([+-]?)(0[xX](?=.))?([0-9A-Za-z]+)[\\t\\v\\f \\n\\r]*$/.exec(s);
    if (!r || (r[2] !== undefined && base !== 16)) return null;
    let v = 0n;
    for (const c of r[3].toLowerCase()) {
        const d = parseInt(c, 36);
        if (d >= base) return null;
        v = v * BigInt(base) + BigInt(d);
    }
    if (v >= 2n ** 64n) v = 2n ** 64n - 1n;
    else if (r[1] === '-') v = BigInt.asUintN(64, -v);
    return Number(v);`,
    ],
    ['    if (lua_type(L, 2) <= 0) {  /* standard conversion? */', '    if (lua_type(L, 2) <= 0 || luaL_checkinteger(L, 2) === 10) {'],
    ['        luaL_checktype(L, 1, LUA_TSTRING);  /* no numbers as strings */\n', '        require("./lauxlib.js").luaL_checkstring(L, 1);\n'],
    ['            lua_pushinteger(L, n);\n            return 1;', '            require("./lapi.js").lua_pushnumber(L, n);\n            return 1;'],
  ],
  'llimits.js': [['    let m = a % b;\n    if ((m*b) < 0)\n        m += b;\n    return m;', '    return a - Math.floor(a / b) * b;']],
  'lcode.js': [['        if (isNaN(n) || n === 0)\n            return false;', '        if (isNaN(n))\n            return false;']],
  'lauxlib.js': [
    [
      'const luaL_checkinteger = function(L, arg) {\n    let d = lua_tointegerx(L, arg);\n    if (d === false)\n        interror(L, arg);',
      'const luaL_checkinteger = function(L, arg) {\n    let d = lua_tointegerx(L, arg);\n    if (d === false) {\n        const n = lua_tonumberx(L, arg);\n        if (n === false)\n            interror(L, arg);\n        return luai_int64(n) | 0;\n    }',
    ],
    ['const luaL_optinteger = function(L, arg, def) {', `${INT64}
const luaL_checkposition = function(L, arg) {
    const n = lua_tonumberx(L, arg);
    if (n === false)
        interror(L, arg);
    return Math.min(Math.max(luai_int64(n), -0x80000000), 0x7fffffff);
};
module.exports.luai_int64 = luai_int64;
module.exports.luaL_checkposition = luaL_checkposition;
module.exports.luaL_optposition = (L, arg, def) => luaL_opt(L, luaL_checkposition, arg, def);

const luaL_optinteger = function(L, arg, def) {`],
  ],
  'lstrlib.js': [
    ['    let start = posrelat(luaL_checkinteger(L, 2), l);\n    let end = posrelat(luaL_optinteger(L, 3, -1), l);', '    let start = posrelat(require("./lauxlib.js").luaL_checkposition(L, 2), l);\n    let end = posrelat(require("./lauxlib.js").luaL_optposition(L, 3, -1), l);'],
    ['    let posi = posrelat(luaL_optinteger(L, 2, 1), l);\n    let pose = posrelat(luaL_optinteger(L, 3, posi), l);', '    let posi = posrelat(require("./lauxlib.js").luaL_optposition(L, 2, 1), l);\n    let pose = posrelat(require("./lauxlib.js").luaL_optposition(L, 3, posi), l);'],
    ['    let init = posrelat(luaL_optinteger(L, 3, 1), ls);', '    let init = posrelat(require("./lauxlib.js").luaL_optposition(L, 3, 1), ls);'],
    [
      '                    // sprintf(String.fromCharCode(...form), luaL_checkinteger(L, arg));\n                    luaL_addchar(b, luaL_checkinteger(L, arg));',
      '                    const c = Math.trunc(luaL_checknumber(L, arg));\n                    if ((c | 0) === c && (c & 255) !== 0)\n                        luaL_addchar(b, c & 255);',
    ],
    [
      '                    let n = luaL_checkinteger(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(sprintf(String.fromCharCode(...form), n)));',
      '                    let n = luaL_checknumber(L, arg);\n                    luaL_addstring(b, to_luastring(require("./luaconf.js").lua_int64format(String.fromCharCode(...form), n)));',
    ],
    [
      '                    let n = luaL_checknumber(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(sprintf(String.fromCharCode(...form), n)));',
      '                    let n = luaL_checknumber(L, arg);\n                    luaL_addstring(b, to_luastring(require("./luaconf.js").lua_number2format(String.fromCharCode(...form), n)));',
    ],
    [
      '        luaL_argcheck(L, c >= 0 && c <= 255, "value out of range"); // Strings are 8-bit clean',
      '        luaL_argcheck(L, c >= 0 && c <= 255, i, to_luastring("invalid value"));',
    ],
  ],
  'ldebug.js': [
    [
      'const luaG_typeerror = function(L, o, op) {\n    let t = ltm.luaT_objtypename(L, o);\n    luaG_runerror(L, to_luastring("attempt to %s a %s value%s", true), op, t, varinfo(L, o));\n};',
      `const luaG_typeerror = function(L, o, op) {
    let t = ltm.luaT_objtypename(L, o);
    let ci = L.ci;
    let kind = null;
    if (ci.callstatus & lstate.CIST_LUA) {
        kind = getupvalname(L, ci, o);
        let stkid = isinstack(L, ci, o);
        if (!kind && stkid)
            kind = getobjname(ci.func.value.p, currentpc(ci), stkid - ci.l_base);
    }
    if (kind)
        luaG_runerror(L, to_luastring("attempt to %s %s '%s' (a %s value)", true), op, kind.funcname, kind.name, t);
    luaG_runerror(L, to_luastring("attempt to %s a %s value", true), op, t);
};`,
    ],
  ],
};

/**
 * redis-server 7.0's readonly tables (its Lua's `Table.readonly`, lua_enablereadonlytable):
 * a table so marked refuses every write, `t.k = v` as `rawset` and `setmetatable`, with
 * "Attempt to modify a readonly table" (luaV_settable checks each table of a __newindex
 * chain; lua_rawset, lua_rawseti and lua_setmetatable check theirs). The globals and the
 * libraries are marked (vm.ts), so scripts read them directly.
 */
const READONLY_TABLES: Record<string, [string, string][]> = {
  'ltable.js': [['        this.metatable = null;\n', '        this.metatable = null;\n        this.readonly = false;\n']],
  'lvm.js': [
    [
      "            let h = t.value; /* save 't' table */\n",
      "            let h = t.value; /* save 't' table */\n            if (h.readonly) ldebug.luaG_runerror(L, READONLY_TABLE);\n",
    ],
  ],
  'lapi.js': [
    [
      '    ltable.luaH_setfrom(L, o.value, k, v);\n    ltable.invalidateTMcache(o.value);',
      '    if (o.value.readonly) ldebug.luaG_runerror(L, READONLY_TABLE);\n    ltable.luaH_setfrom(L, o.value, k, v);\n    ltable.invalidateTMcache(o.value);',
    ],
    [
      '    ltable.luaH_setint(o.value, n, L.stack[L.top - 1]);',
      '    if (o.value.readonly) ldebug.luaG_runerror(L, READONLY_TABLE);\n    ltable.luaH_setint(o.value, n, L.stack[L.top - 1]);',
    ],
    [
      '        case LUA_TTABLE: {\n            obj.value.metatable = mt;',
      '        case LUA_TTABLE: {\n            if (obj.value.readonly) ldebug.luaG_runerror(L, READONLY_TABLE);\n            obj.value.metatable = mt;',
    ],
  ],
};

/** Appended to the modules READONLY_TABLES patches: the message, made once. */
const READONLY_MESSAGE = '\nconst READONLY_TABLE = to_luastring("Attempt to modify a readonly table", true);\n';

/** ltable.js with TABLE_51_REGION replaced by TABLE_51_CODE, when the region is the text it was written for. */
function withTable51(source: string): string {
  const from = source.indexOf(TABLE_51_REGION.first);
  const to = source.indexOf(TABLE_51_REGION.last);
  if (from < 0 || to < from || createHash('sha256').update(source.slice(from, to)).digest('hex') !== TABLE_51_REGION.sha256) {
    throw new Error("fengari's ltable.js is not the one TABLE_51 was written for");
  }
  return source.slice(0, from) + TABLE_51_CODE + source.slice(to);
}

/**
 * `switch` statements with numbers for labels: fengari's labels are constants read
 * from other modules (`case OP_MOVE:`, `case LUA_TSHRSTR:`), which V8 compiles into a
 * chain of comparisons, one per label before the one that matches (the interpreter's
 * OP_CALL made 36); literal integers give it a jump table. The opcodes come from
 * lopcodes.js; the type tags are defs.js's (checked against it once fengari is loaded,
 * which cannot be required while it loads).
 */
const OPCODE_CASE = /case (OP_[A-Z]+):/g;
const TYPE_CASE = /case (LUA_T[A-Z]+):/g;
const TYPE_TAGS: Record<string, number> = {
  LUA_TNONE: -1,
  LUA_TNIL: 0,
  LUA_TBOOLEAN: 1,
  LUA_TLIGHTUSERDATA: 2,
  LUA_TNUMBER: 3,
  LUA_TSTRING: 4,
  LUA_TTABLE: 5,
  LUA_TFUNCTION: 6,
  LUA_TUSERDATA: 7,
  LUA_TTHREAD: 8,
  LUA_TSHRSTR: 4,
  LUA_TLNGSTR: 4 | (1 << 4),
  LUA_TNUMFLT: 3,
  LUA_TNUMINT: 3 | (1 << 4),
  LUA_TLCL: 6,
  LUA_TLCF: 6 | (1 << 4),
  LUA_TCCL: 6 | (2 << 4),
};

function withCaseNumbers(name: string, source: string): string {
  const number = (table: Record<string, number>, what: string) => (_: string, label: string) => {
    if (!(label in table)) throw new Error(`fengari's ${name} names an unknown ${what}: ${label}`);
    return `case ${table[label]}: /* ${label} */`;
  };
  const out = source.replace(TYPE_CASE, number(TYPE_TAGS, 'type tag'));
  if (name !== 'lvm.js') return out;
  const { OpCodesI } = require('fengari/src/lopcodes.js') as { OpCodesI: Record<string, number> };
  return out.replace(OPCODE_CASE, number(OpCodesI, 'opcode'));
}

/** TYPE_TAGS as defs.js has them. */
function checkTypeTags(): void {
  const { constant_types: types } = require('fengari/src/defs.js') as { constant_types: Record<string, number> };
  for (const [tag, value] of Object.entries(TYPE_TAGS)) {
    if (types[tag] !== value) throw new Error(`fengari's ${tag} is ${types[tag]}, not ${value}`);
  }
}

/** One fengari module's source as loaded here: its exact patches applied (each must match once), then its stack pops. */
function patchedSource(file: string, source: string): string {
  const name = path.basename(file);
  let out = name === 'ltable.js' ? withTable51(source) : source;
  for (const [from, to] of [...(SOURCE_FIXES[name] ?? []), ...(TEXT_STRINGS[name] ?? []), ...(STACK_REUSE[name] ?? []), ...(CALL_INFO_REUSE[name] ?? []), ...(VM_LOOP[name] ?? []), ...(LUA51[name] ?? []), ...(TABLE_51[name] ?? []), ...(READONLY_TABLES[name] ?? [])]) {
    if (out.split(from).length !== 2) throw new Error(`fengari's ${name} is not the one this patch was written for: ${from}`);
    out = out.replace(from, () => to);
  }
  if (name in READONLY_TABLES && name !== 'ltable.js') out += READONLY_MESSAGE;
  if (name in TEXT_STRING_HELPERS) out += TEXT_STRING_HELPERS[name];
  if (name === 'lobject.js') out += FB2INT;
  if (name !== 'defs.js') out = withCaseNumbers(name, out);
  out = out.replace(STACK_DELETE, '$2;');
  out = out.replace(ASSERTION, '$1;');
  return PUSH_REUSE[name] === undefined ? out : withPushReuse(out, PUSH_REUSE[name]);
}

/**
 * Loads fengari with its sources patched (patchedSource), for speed (STACK_REUSE,
 * CALL_INFO_REUSE, PUSH_REUSE, VM_LOOP, TEXT_STRINGS, ASSERTION),
 * correctness (SOURCE_FIXES), Lua 5.1's behaviour (LUA51, TABLE_51) and redis-server's readonly
 * tables (READONLY_TABLES). The patches are exact texts of fengari 0.1.5, its last
 * release (package.json pins it): a source that differs fails the load.
 */
function withPatchedSources<T>(load: () => T): T {
  const loader = require('node:module') as ModuleLoader;
  const original = loader._extensions['.js'];
  const fengariSource = `${path.sep}fengari${path.sep}src${path.sep}`;
  loader._extensions['.js'] = (m, file) => {
    if (!file.includes(fengariSource)) return original(m, file);
    m._compile(patchedSource(file, fs.readFileSync(file, 'utf8')), file);
  };
  try {
    return load();
  } finally {
    loader._extensions['.js'] = original;
  }
}

function loadFengari(): { lua: LuaApi; lauxlib: LauxApi; lualib: LualibApi } {
  // luaconf's exports are read by the other modules as they load: change them first
  // (through defs.js, which loads luaconf in the order fengari's own cycle expects).
  // The same holds for defs' and lstring's functions that the other modules import.
  const defs = require('fengari/src/defs.js') as { luastring_from: (a: ArrayLike<number>) => Str };
  const from = defs.luastring_from;
  // Every string pushed is copied with it: copying a typed array is native, Uint8Array.from
  // iterates (and a Buffer's slice would be a view, not a copy).
  defs.luastring_from = (a) => (a instanceof Uint8Array ? new Uint8Array(a) : from(a));
  const conf = require('fengari/src/luaconf.js') as Record<string, unknown>;
  conf.LUA_COMPAT_FLOATSTRING = true;
  conf.lua_number2str = formatG14;
  conf.lua_number2format = formatFloat;
  conf.lua_int64format = formatInt64;
  const lstring = require('fengari/src/lstring.js') as FengariStrings;
  lstring.luaS_hash = stringKey;
  lstring.luaS_hashlongstr = stringObjectKey;
  const loaded = require('fengari') as { lua: LuaApi; lauxlib: LauxApi; lualib: LualibApi };
  checkTypeTags();
  internals = { lstring, lobject: require('fengari/src/lobject.js') as FengariObjects, ltable: require('fengari/src/ltable.js') as FengariTables };
  // Loaded after the whole of fengari (its modules require each other in a cycle).
  const lobject = require('fengari/src/lobject.js') as { luaO_str2num: (s: Str, o: NumberSlot) => number };
  const str2num = lobject.luaO_str2num;
  // Callers reach it through the module object (lexer, tonumber, coercions): every numeral becomes a float.
  lobject.luaO_str2num = (s, o) => {
    const size = str2num(s, o);
    if (size !== 0 && o.ttisinteger()) o.setfltvalue(isHexNumeral(s) ? hexNumeralValue(s) : o.value);
    return size;
  };
  return loaded;
}

/** The fengari modules the direct string paths below use (FengariInternals). */
interface FengariStrings {
  luaS_hash: (s: Str) => string;
  luaS_hashlongstr: (ts: FengariString) => string;
  luaS_bless: (L: LuaState, s: Uint8Array) => FengariString;
  TString: new (L: LuaState, s: Uint8Array | null) => FengariString;
}
interface FengariObjects {
  pushsvalue2s: (L: LuaState, ts: FengariString) => void;
  TValue: new (type: number, value: unknown) => { type: number; value: unknown };
}
interface FengariTables {
  luaH_setint: (t: unknown, key: number, value: { type: number; value: unknown }) => void;
  luaH_getint: (t: LuaTable, key: number) => LuaValue;
}
let internals!: { lstring: FengariStrings; lobject: FengariObjects; ltable: FengariTables };

const fengari = withPatchedSources(loadFengari);
export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;

/** A latin1 string (the engine's byte strings) as a Lua string. */
export function luaBytes(s: string): Str {
  return Buffer.from(s, 'latin1');
}

/** A Lua string's bytes as a latin1 string. */
export function latin1(bytes: Str): string {
  return latin1Slice.call(bytes, 0, bytes.length);
}

/** Interned names (field and global names used on every call). */
const names = new Map<string, Str>();
export function luaName(s: string): Str {
  let n = names.get(s);
  if (n === undefined) {
    n = Buffer.from(s, 'latin1');
    names.set(s, n);
  }
  return n;
}

/**
 * Empties what a thread's stack still holds above its top. The patched VM leaves popped
 * slots in place to reuse them (patchedSource); a thread kept between scripts would
 * otherwise hold the last script's values until overwritten. The slots' objects stay
 * for the next script (STACK_REUSE), but those a closure holds.
 */
export function clearAboveTop(L: LuaState): void {
  const state = L as unknown as StateInternals;
  const stack = state.stack;
  const nil = lua.LUA_TNIL;
  for (let i = state.top; i < stack.length; i++) {
    const slot = stack[i];
    if (slot === undefined) continue;
    if (slot.captured) {
      stack[i] = undefined;
      if (i < state.fresh) state.fresh = i;
    } else if (slot.type !== nil) {
      // Most slots above a script's registers were never written: read, not written again.
      slot.type = nil;
      slot.value = null;
    }
  }
}

/** The parts of a lua_State read here: the value slots of the stack and the running call's base. */
interface StateInternals {
  stack: ({ type: number; value: unknown; captured: boolean } | undefined)[];
  top: number;
  /** Slots below are there and held by no closure (STACK_REUSE). */
  fresh: number;
  ci: { funcOff: number };
}

/**
 * The string at `idx` (a positive index in the running JavaScript function's frame, or
 * a negative one from the top; lua_type said it is a string) as latin1: from its string
 * object, whose text is kept (textOf).
 */
export function stringAt(L: LuaState, idx: number): string {
  return textOf(slotAt(L as unknown as StateInternals, idx).value as FengariString);
}

/**
 * The `argc` arguments of the running JavaScript function as strings (redis.call's):
 * strings as their text, numbers as `formatNumber` writes them; null when one is
 * neither. Read from the stack slots directly (lua_type and lua_tonumber per argument
 * cost more than the reading).
 */
export function stringArguments(L: LuaState, argc: number, formatNumber: (n: number) => string): string[] | null {
  const state = L as unknown as StateInternals;
  const stack = state.stack;
  const base = state.ci.funcOff;
  const out = new Array<string>(argc);
  for (let i = 1; i <= argc; i++) {
    const slot = stack[base + i]!;
    // The variant bits aside: 4 is a string (short or long), 3 a number (float or integer).
    const type = slot.type & 0x0f;
    if (type === 4) out[i - 1] = textOf(slot.value as FengariString);
    else if (type === 3) out[i - 1] = formatNumber(slot.value as number);
    else return null;
  }
  return out;
}

function slotAt(state: StateInternals, idx: number): { type: number; value: unknown } {
  return state.stack[idx > 0 ? state.ci.funcOff + idx : state.top + idx]!;
}


/** Pushes a latin1 string as a Lua string, its bytes made once (lua_pushstring copies what it is given). */
export function pushLatin1(L: LuaState, s: string): void {
  internals.lobject.pushsvalue2s(L, stringObject(L, s));
}

/** A latin1 string's Lua string object, made from its text (TEXT_STRINGS). */
function stringObject(L: LuaState, s: string): FengariString {
  const ts = new internals.lstring.TString(L, null);
  ts.text = s;
  return ts;
}

/** fengari's tag of every string value (lobject.pushsvalue2s). */
const LUA_TLNGSTR = 4 | (1 << 4);

/** The value lua_pushstring would push, written into by pushStringArray (luaH_setint copies it). */
let stringSlot: { type: number; value: unknown } | null = null;

/** Pushes a new table of `values` at 1..n (KEYS, ARGV), filled directly rather than through the stack. */
export function pushStringArray(L: LuaState, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  const t = lua.lua_topointer(L, -1);
  const slot = (stringSlot ??= new internals.lobject.TValue(LUA_TLNGSTR, null));
  for (let i = 0; i < values.length; i++) {
    slot.value = stringObject(L, values[i]);
    internals.ltable.luaH_setint(t, i + 1, slot);
  }
  slot.value = null;
}

/** Pushes `buf[start, end)` as a Lua string (made from its text, TEXT_STRINGS). */
export function pushBytes(L: LuaState, buf: Uint8Array, start: number, end: number): void {
  internals.lobject.pushsvalue2s(L, stringObject(L, latin1Slice.call(buf, start, end)));
}

/** The string at `idx` (lua_type said it is one) as its text when it has no bytes yet, else its bytes. */
export function stringValueAt(L: LuaState, idx: number): string | Str {
  const ts = slotAt(L as unknown as StateInternals, idx).value as FengariString;
  return ts.realstring ?? ts.text!;
}

/** Names' string objects, made once: a name pushed on every call is neither copied nor keyed again. */
const nameStrings = new Map<string, FengariString>();

/** Pushes the name `s` (a field name, a reply table's key). */
export function pushName(L: LuaState, s: string): void {
  let ts = nameStrings.get(s);
  if (ts === undefined) {
    ts = internals.lstring.luaS_bless(L, Buffer.from(s, 'latin1'));
    ts.text = s;
    nameStrings.set(s, ts);
  }
  internals.lobject.pushsvalue2s(L, ts);
}

/** A value in a table or on the stack (fengari's TValue): `type` with its variant bits (`type & 0x0f` is lua_type's). */
export interface LuaValue {
  readonly type: number;
  readonly value: unknown;
}

/** A table's two parts as TABLE_51 lays them out: what `next` walks, in its order. */
export interface LuaTable {
  readonly array: readonly LuaValue[];
  readonly node: readonly ({ readonly key: LuaValue; readonly value: LuaValue } | null)[];
}

/** The value at `idx` (a positive index in the running JavaScript function's frame, or a negative one from the top). */
export function valueAt(L: LuaState, idx: number): LuaValue {
  return slotAt(L as unknown as StateInternals, idx);
}

/** Calls `f` with each key and value of `t` that `next` would give, in its order (luaH_next), without the stack; stops when `f` returns false. */
export function forEachEntry(t: LuaTable, f: (key: LuaValue | number, value: LuaValue) => boolean): void {
  const array = t.array;
  for (let i = 0; i < array.length; i++) {
    if (array[i].type !== lua.LUA_TNIL && !f(i + 1, array[i])) return;
  }
  const node = t.node;
  for (let i = 0; i < node.length; i++) {
    const e = node[i];
    if (e !== null && e.value.type !== lua.LUA_TNIL && !f(e.key, e.value)) return;
  }
}

/** t[n], raw (lua_rawgeti without the stack). */
export function rawGetInt(t: LuaTable, n: number): LuaValue {
  return internals.ltable.luaH_getint(t, n);
}

/** A string value's text when it has no bytes yet, else its bytes (stringValueAt's, for a value out of a table). */
export function stringValueOf(v: LuaValue): string | Str {
  const ts = v.value as FengariString;
  return ts.realstring ?? ts.text!;
}

export function isReadonly(L: LuaState, idx: number): boolean {
  return (lua.lua_topointer(L, idx) as { readonly: boolean }).readonly;
}

/** Marks the table at `idx` readonly or writable (READONLY_TABLES; redis-server's lua_enablereadonlytable). */
export function setReadonly(L: LuaState, idx: number, readonly: boolean): void {
  (lua.lua_topointer(L, idx) as { readonly: boolean }).readonly = readonly;
}

/** Raises a Lua error whose value is the string `message` (no position prefix). */
export function raise(L: LuaState, message: string): never {
  lua.lua_pushstring(L, luaBytes(message));
  return lua.lua_error(L);
}

/** Raises a Lua error with the position of the calling Lua code in front, as luaL_error does. */
export function raiseWhere(L: LuaState, message: string): never {
  lauxlib.luaL_where(L, 1);
  const where = lua.lua_tolstring(L, -1);
  lua.lua_pop(L, 1);
  return raise(L, (where === null ? '' : latin1(where)) + message);
}
