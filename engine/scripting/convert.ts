/**
 * Values between RESP and Lua, both ways, by redis-server 7.0's rules (script_lua.c):
 *
 * RESP -> Lua (a command's reply inside a script): integer -> number, bulk -> string,
 * null bulk or array -> false (RESP2) or nil (RESP3 null), array -> table, status ->
 * {ok=...}, error -> {err=...}; RESP3 map -> {map={...}}, set -> {set={k=true}},
 * double -> {double=n}, boolean -> boolean, big number -> {big_number="..."}, verbatim
 * -> {verbatim_string={format=..., string=...}}.
 *
 * Lua -> RESP (a script's result): number -> integer (truncated), string -> bulk,
 * true -> 1 (RESP3 true), false and nil -> null (RESP3 false for false), a table with
 * `err`/`ok`/`double`/`map`/`set`/`big_number`/`verbatim_string` as above, otherwise an
 * array that stops at the first nil.
 *
 * The reply is read straight from the bytes the command wrote, as redis-server parses
 * its fake client's reply buffer.
 */
import type { Reply } from '../../protocol/reply.js';
import { lua, luaName, pushBytes, pushName, stringAt, stringValueAt, type LuaState } from './lua.js';

const CR = 13;

/** Parses one RESP reply from `buf` at `pos` onto the Lua stack; returns the position after it. */
export function pushReply(L: LuaState, buf: Buffer, pos: number): number {
  const type = buf[pos];
  const lineEnd = lineEndAt(buf, pos + 1);
  const next = lineEnd + 2;
  switch (type) {
    case 43: // + status
      pushField(L, 'ok', buf, pos + 1, lineEnd);
      return next;
    case 45: // - error
      pushField(L, 'err', buf, pos + 1, lineEnd);
      return next;
    case 58: // : integer
      lua.lua_pushnumber(L, parseInteger(buf, pos + 1, lineEnd));
      return next;
    case 36: // $ bulk
    case 61: {
      // = verbatim
      const len = parseInteger(buf, pos + 1, lineEnd);
      if (len < 0) {
        lua.lua_pushboolean(L, false);
        return next;
      }
      if (type === 36) pushBytes(L, buf, next, next + len);
      else pushVerbatim(L, buf.subarray(next, next + len));
      return next + len + 2;
    }
    case 42: // * array
    case 126: // ~ set
    case 37: // % map
    case 62: // > push
      return pushAggregate(L, buf, type, parseInteger(buf, pos + 1, lineEnd), next);
    case 95: // _ null
      lua.lua_pushnil(L);
      return next;
    case 35: // # boolean
      lua.lua_pushboolean(L, buf[pos + 1] === 116);
      return next;
    case 44: // , double
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushnumber(L, parseRespDouble(buf.latin1Slice(pos + 1, lineEnd)));
      lua.lua_setfield(L, -2, luaName('double'));
      return next;
    case 40: // ( big number
      pushField(L, 'big_number', buf, pos + 1, lineEnd);
      return next;
    default:
      throw new Error(`unexpected reply type ${type} in a script's command reply`);
  }
}

/** Where the line from `pos` ends (its CR): a loop, the lines being short (Buffer.indexOf's argument checks cost more than the search). */
function lineEndAt(buf: Buffer, pos: number): number {
  while (pos < buf.length && buf[pos] !== CR) pos++;
  return pos;
}

function pushAggregate(L: LuaState, buf: Buffer, type: number, n: number, pos: number): number {
  if (n < 0) {
    lua.lua_pushboolean(L, false);
    return pos;
  }
  if (type === 42 || type === 62) {
    lua.lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      pos = pushReply(L, buf, pos);
      lua.lua_rawseti(L, -2, i);
    }
    return pos;
  }
  // {map={k=v...}} or {set={k=true...}}; the inner table grows from empty as redis-server's does (its node order depends on it).
  lua.lua_createtable(L, 0, 1);
  lua.lua_createtable(L, 0, 0);
  for (let i = 0; i < n; i++) {
    pos = pushReply(L, buf, pos);
    if (type === 37) pos = pushReply(L, buf, pos);
    else lua.lua_pushboolean(L, true);
    lua.lua_rawset(L, -3);
  }
  lua.lua_setfield(L, -2, luaName(type === 37 ? 'map' : 'set'));
  return pos;
}

function pushVerbatim(L: LuaState, body: Buffer): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_createtable(L, 0, 2);
  lua.lua_pushstring(L, body.subarray(0, 3));
  lua.lua_setfield(L, -2, luaName('format'));
  lua.lua_pushstring(L, body.subarray(4));
  lua.lua_setfield(L, -2, luaName('string'));
  lua.lua_setfield(L, -2, luaName('verbatim_string'));
}

/** Pushes `{[name] = buf[start, end)}`. */
function pushField(L: LuaState, name: string, buf: Uint8Array, start: number, end: number): void {
  lua.lua_createtable(L, 0, 1);
  pushName(L, name);
  pushBytes(L, buf, start, end);
  lua.lua_rawset(L, -3);
}

/** A RESP integer's digits (the line is the server's own: a sign, then digits) as a number. */
function parseInteger(buf: Buffer, start: number, end: number): number {
  const negative = buf[start] === 45;
  let n = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) n = n * 10 + (buf[i] - 48);
  // Beyond 2^53 a digit at a time would round differently from one conversion.
  if (end - start > 15) return Number(buf.latin1Slice(start, end));
  return negative ? -n : n;
}

function parseRespDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s === 'nan') return NaN;
  return Number(s);
}

/** How deep a script's result may nest before the rest is cut (redis-server's LUA_CMD_OBJCACHE_... guard is the C stack; this one is explicit). */
const MAX_DEPTH = 1000;

/**
 * Writes the Lua value at `idx` as a reply, as luaReplyToRedisReply does. An error
 * table's text is written as is (its code included, a leading '-' dropped).
 */
export function writeLuaValue(L: LuaState, idx: number, out: Reply, scriptResp: 2 | 3, depth = 0): void {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TSTRING: {
      const value = stringValueAt(L, idx);
      if (typeof value === 'string') out.bulk(value);
      else out.bulkBytes(value);
      return;
    }
    case lua.LUA_TNUMBER:
      out.int(luaNumberToInteger(lua.lua_tonumber(L, idx)));
      return;
    case lua.LUA_TBOOLEAN: {
      // The script's RESP version decides (redis.setresp), not the caller's.
      const b = lua.lua_toboolean(L, idx);
      if (scriptResp === 3) out.bool(b);
      else if (b) out.int(1);
      else out.nil();
      return;
    }
    case lua.LUA_TTABLE:
      writeTable(L, lua.lua_absindex(L, idx), out, scriptResp, depth);
      return;
    default:
      out.nil();
  }
}

/** (long long)n as the C conversion on x86-64 does it: truncated, and LLONG_MIN when out of range or NaN. */
function luaNumberToInteger(n: number): number | bigint {
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) return t;
  if (!Number.isFinite(t) || t >= 2 ** 63 || t < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(t);
}

function writeTable(L: LuaState, idx: number, out: Reply, scriptResp: 2 | 3, depth: number): void {
  if (depth > MAX_DEPTH) {
    out.error('ERR reached lua stack limit');
    return;
  }
  if (fieldType(L, idx, 'err') === lua.LUA_TSTRING) {
    out.error(errorText(stringField(L, idx, 'err')));
    return;
  }
  if (fieldType(L, idx, 'ok') === lua.LUA_TSTRING) {
    out.simple(stringField(L, idx, 'ok').replace(/[\r\n]/g, ' '));
    return;
  }
  if (fieldType(L, idx, 'double') === lua.LUA_TNUMBER) {
    lua.lua_getfield(L, idx, luaName('double'));
    out.double(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 1);
    return;
  }
  if (fieldType(L, idx, 'big_number') === lua.LUA_TSTRING) {
    out.bigNumber(stringField(L, idx, 'big_number').replace(/[\r\n]/g, ' '));
    return;
  }
  if (fieldType(L, idx, 'map') === lua.LUA_TTABLE) return writeMapOrSet(L, idx, 'map', out, scriptResp, depth);
  if (fieldType(L, idx, 'set') === lua.LUA_TTABLE) return writeMapOrSet(L, idx, 'set', out, scriptResp, depth);
  if (fieldType(L, idx, 'verbatim_string') === lua.LUA_TTABLE) return writeVerbatim(L, idx, out);
  writeArray(L, idx, out, scriptResp, depth);
}

function writeArray(L: LuaState, idx: number, out: Reply, scriptResp: 2 | 3, depth: number): void {
  const mark = out.beginDeferred();
  let n = 0;
  for (;;) {
    if (lua.lua_rawgeti(L, idx, n + 1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    writeLuaValue(L, -1, out, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    n++;
  }
  out.endDeferred(mark, 'array', n);
}

function writeMapOrSet(L: LuaState, idx: number, kind: 'map' | 'set', out: Reply, scriptResp: 2 | 3, depth: number): void {
  lua.lua_getfield(L, idx, luaName(kind));
  const t = lua.lua_gettop(L);
  const mark = out.beginDeferred();
  let n = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, t) !== 0) {
    // The key is written from a copy: writing a number key must not turn it into a string under lua_next.
    lua.lua_pushvalue(L, -2);
    writeLuaValue(L, -1, out, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    if (kind === 'map') writeLuaValue(L, -1, out, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    n++;
  }
  lua.lua_pop(L, 1);
  out.endDeferred(mark, kind, n);
}

function writeVerbatim(L: LuaState, idx: number, out: Reply): void {
  lua.lua_getfield(L, idx, luaName('verbatim_string'));
  const t = lua.lua_gettop(L);
  const format = fieldType(L, t, 'format') === lua.LUA_TSTRING ? stringField(L, t, 'format') : 'txt';
  const text = fieldType(L, t, 'string') === lua.LUA_TSTRING ? stringField(L, t, 'string') : '';
  lua.lua_pop(L, 1);
  out.verbatim(text, format);
}

/** The type of the table's field `name` (`idx` is absolute), read raw as redis-server 7.0.15's luaReplyToRedisReply does (no __index). */
function fieldType(L: LuaState, idx: number, name: string): number {
  pushName(L, name);
  const t = lua.lua_rawget(L, idx);
  lua.lua_pop(L, 1);
  return t;
}

function stringField(L: LuaState, idx: number, name: string): string {
  pushName(L, name);
  lua.lua_rawget(L, idx);
  const text = lua.lua_type(L, -1) === lua.LUA_TSTRING ? stringAt(L, -1) : '';
  lua.lua_pop(L, 1);
  return text;
}

/** An error reply's text from a Lua error string, newlines blanked (addReplyErrorFormatEx). */
export function errorText(message: string): string {
  return message.replace(/[\r\n]/g, ' ');
}
