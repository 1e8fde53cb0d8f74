/**
 * The libraries redis-server gives scripts beyond Lua's own: `bit` (LuaBitOp),
 * `cjson`, `cmsgpack` and `struct`, written here against the Lua stack, plus the
 * Lua 5.1 functions that 5.3 dropped and scripts still call (`unpack`, `table.getn`,
 * `loadstring`, `math.pow`...), and math.floor/ceil returning floats (lua.ts says why).
 *
 * Differences from redis-server's C libraries: cjson decodes through JSON.parse (a
 * number beyond 2^53 loses digits the same way, an invalid document's error text
 * differs); struct supports the formats b B h H i I l L T f d s c x and < > ! = with
 * optional sizes, not Lua 5.1 struct's alignment padding ('!' sets it, unused).
 */
import { lua, lauxlib, latin1, luaBytes, luaName, pushBytes, pushLatin1, raise, raiseWhere, formatG14, cLong, cUnsignedLong, forEachEntry, rawGetInt, stringAt, stringValueAt, stringValueOf, valueAt, type LuaTable, type LuaValue, type LuaJsFunction, type LuaState } from './lua.js';

/** Registers `fns` as fields of the table on top of the stack. */
export function setFunctions(L: LuaState, fns: Record<string, LuaJsFunction>): void {
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, luaName(name));
  }
}

/** Creates global table `name` holding `fns`. */
function globalLibrary(L: LuaState, name: string, fns: Record<string, LuaJsFunction>): void {
  lua.lua_createtable(L, 0, Object.keys(fns).length);
  setFunctions(L, fns);
  lua.lua_setglobal(L, luaName(name));
}

// ---- bit (LuaBitOp 1.0.2) ----

const bitView = new DataView(new ArrayBuffer(8));

/**
 * LuaBitOp's normalization (barg): the low 32 bits of the double n + 2^52 + 2^51, which
 * is n rounded to even modulo 2^32 while n + 2^52 + 2^51 keeps units, and beyond
 * (2^53, 1e300, inf) whatever bits the sum's mantissa ends with.
 */
function tobit(L: LuaState, i: number): number {
  bitView.setFloat64(0, lauxlib.luaL_checknumber(L, i) + 6755399441055744, true);
  return bitView.getInt32(0, true);
}

function bitFold(op: (a: number, b: number) => number): LuaJsFunction {
  return (L) => {
    let r = tobit(L, 1);
    const n = lua.lua_gettop(L);
    for (let i = 2; i <= n; i++) r = op(r, tobit(L, i));
    lua.lua_pushnumber(L, r | 0);
    return 1;
  };
}

function bitShift(op: (a: number, s: number) => number): LuaJsFunction {
  return (L) => {
    lua.lua_pushnumber(L, op(tobit(L, 1), tobit(L, 2) & 31) | 0);
    return 1;
  };
}

const bitLibrary: Record<string, LuaJsFunction> = {
  tobit: (L) => (lua.lua_pushnumber(L, tobit(L, 1)), 1),
  bnot: (L) => (lua.lua_pushnumber(L, ~tobit(L, 1)), 1),
  band: bitFold((a, b) => a & b),
  bor: bitFold((a, b) => a | b),
  bxor: bitFold((a, b) => a ^ b),
  lshift: bitShift((a, s) => a << s),
  rshift: bitShift((a, s) => a >>> s),
  arshift: bitShift((a, s) => a >> s),
  rol: bitShift((a, s) => (a << s) | (a >>> (32 - s))),
  ror: bitShift((a, s) => (a >>> s) | (a << (32 - s))),
  bswap: (L) => {
    const b = tobit(L, 1);
    lua.lua_pushnumber(L, ((b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)) | 0);
    return 1;
  },
  tohex: (L) => {
    const b = tobit(L, 1);
    let n = lua.lua_type(L, 2) <= lua.LUA_TNIL ? 8 : tobit(L, 2);
    const upper = n < 0;
    if (upper) n = -n;
    if (n > 8) n = 8;
    let hex = (b >>> 0).toString(16).padStart(8, '0').slice(8 - n);
    if (upper) hex = hex.toUpperCase();
    lua.lua_pushstring(L, luaBytes(hex));
    return 1;
  },
};

// ---- cjson ----

const JSON_NULL = luaName('cjson.null');
/** The cjson.null table itself (openRedisLibraries), compared by identity. */
let jsonNull: unknown = null;

/** lua-cjson's escapes by byte: control characters, `"`, `/`, `\\` and DEL; every other byte is written as it is. */
const JSON_ESCAPES: (Uint8Array | null)[] = Array.from({ length: 256 }, (_, b) => {
  const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 47: '\\/', 92: '\\\\' };
  if (short[b] !== undefined) return luaBytes(short[b]);
  if (b < 32 || b === 127) return luaBytes(`\\u${b.toString(16).padStart(4, '0')}`);
  return null;
});

/** lua-cjson's defaults: an array whose largest index is over twice its items (and over 10) is refused. */
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

/**
 * cjson.encode's output bytes, one buffer reused from call to call (encoding calls no
 * Lua code, so it never re-enters): the text is built as bytes, as lua-cjson's strbuf.
 */
class JsonWriter {
  buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.length++] = c;
  }

  /** ASCII text (numbers, literals). */
  ascii(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }

  /** A Lua string (its bytes, or its latin1 text when it has no bytes: stringValueAt) as a JSON string, escaped as lua-cjson does. */
  string(value: Uint8Array | string): void {
    this.room(value.length * 6 + 2);
    const buf = this.buf;
    let n = this.length;
    buf[n++] = 34;
    const text = typeof value === 'string';
    for (let i = 0; i < value.length; i++) {
      const b = text ? value.charCodeAt(i) : value[i];
      const escape = JSON_ESCAPES[b];
      if (escape === null) buf[n++] = b;
      else for (let j = 0; j < escape.length; j++) buf[n++] = escape[j];
    }
    buf[n++] = 34;
    this.length = n;
  }

  /** Forgets a buffer grown by one large document. */
  reset(): void {
    if (this.buf.length > 65536) this.buf = new Uint8Array(256);
    this.length = 0;
  }
}

const json = new JsonWriter();

/**
 * cjson.encode walks the tables themselves (forEachEntry, rawGetInt: `next`'s order
 * and lua_rawgeti's values) rather than through the stack: a stack walk cost about ten
 * API calls per field.
 */
function jsonEncodeValue(L: LuaState, v: LuaValue, depth: number): void {
  switch (v.type & 0x0f) {
    case lua.LUA_TSTRING:
      return json.string(stringValueOf(v));
    case lua.LUA_TNUMBER:
      return jsonEncodeNumber(L, v.value as number);
    case lua.LUA_TBOOLEAN:
      return json.ascii(v.value ? 'true' : 'false');
    case lua.LUA_TNIL:
      return json.ascii('null');
    case lua.LUA_TTABLE:
      if (v.value === jsonNull) return json.ascii('null');
      if (depth >= 1000) raiseWhere(L, 'Cannot serialise, excessive nesting (1001)');
      return jsonEncodeTable(L, v.value as LuaTable, depth + 1);
    default:
      return raiseWhere(L, `Cannot serialise ${typeName(v.type)}: type not supported`);
  }
}

function jsonEncodeNumber(L: LuaState, n: number): void {
  if (!Number.isFinite(n)) raiseWhere(L, 'Cannot serialise number: must not be NaN or Inf');
  json.ascii(formatG14(n));
}

/** lua_typename of a value's type (`type & 0x0f`, its variant bits aside). */
function typeName(type: number): string {
  return ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'][type & 0x0f] ?? 'value';
}

/** A table key as a number (an array part's index, or a number key), 0 for any other key. */
function keyNumber(k: LuaValue | number): number {
  if (typeof k === 'number') return k;
  return (k.type & 0x0f) === lua.LUA_TNUMBER ? (k.value as number) : 0;
}

/**
 * lua-cjson's lua_array_length: the largest key when every key is an integer from 1
 * (holes encode as null), 0 for an empty table, -1 for an object; a too sparse array
 * is an error.
 */
function jsonArrayLength(L: LuaState, t: LuaTable): number {
  let max = 0;
  let items = 0;
  forEachEntry(t, (key) => {
    const k = keyNumber(key);
    if (!(Number.isInteger(k) && k >= 1)) {
      max = -1;
      return false;
    }
    if (k > max) max = k;
    items++;
    return true;
  });
  if (max > items * SPARSE_RATIO && max > SPARSE_SAFE) raiseWhere(L, 'Cannot serialise table: excessively sparse array');
  return max;
}

function jsonEncodeTable(L: LuaState, t: LuaTable, depth: number): void {
  // lua-cjson's json_check_encode_depth: each level held a key and a value on the stack, and asks for 3 slots more.
  if (!lua.lua_checkstack(L, 2 * (depth - 1) + 3)) raiseWhere(L, `Cannot serialise, excessive nesting (${depth})`);
  const length = jsonArrayLength(L, t);
  if (length > 0) {
    json.byte(91);
    for (let i = 1; i <= length; i++) {
      if (i > 1) json.byte(44);
      jsonEncodeValue(L, rawGetInt(t, i), depth);
    }
    return json.byte(93);
  }
  json.byte(123);
  let first = true;
  forEachEntry(t, (key, value) => {
    if (!first) json.byte(44);
    first = false;
    if (typeof key === 'number') {
      json.byte(34);
      jsonEncodeNumber(L, key);
      json.byte(34);
    } else if ((key.type & 0x0f) === lua.LUA_TSTRING) json.string(stringValueOf(key));
    else if ((key.type & 0x0f) === lua.LUA_TNUMBER) {
      json.byte(34);
      jsonEncodeNumber(L, key.value as number);
      json.byte(34);
    } else raiseWhere(L, `Cannot serialise ${typeName(key.type)}: table key must be a number or string`);
    json.byte(58);
    jsonEncodeValue(L, value, depth);
    return true;
  });
  json.byte(125);
}

function pushJsonValue(L: LuaState, v: unknown): void {
  if (!lua.lua_checkstack(L, 3)) raise(L, 'Found too many nested data structures');
  if (v === null) lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, JSON_NULL);
  else if (typeof v === 'string') lua.lua_pushstring(L, Buffer.from(v, 'utf8'));
  else if (typeof v === 'number') lua.lua_pushnumber(L, v);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0);
    v.forEach((e, i) => {
      pushJsonValue(L, e);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    // lua_newtable, as lua-cjson: a table's node order depends on how it grew.
    const entries = Object.entries(v as Record<string, unknown>);
    lua.lua_createtable(L, 0, 0);
    for (const [k, e] of entries) {
      lua.lua_pushstring(L, Buffer.from(k, 'utf8'));
      pushJsonValue(L, e);
      lua.lua_rawset(L, -3);
    }
  }
}

const cjsonLibrary: Record<string, LuaJsFunction> = {
  encode: (L) => {
    if (lua.lua_gettop(L) !== 1) raise(L, 'bad argument #1 to \'encode\' (expected 1 argument)');
    json.reset();
    jsonEncodeValue(L, valueAt(L, 1), 0);
    pushBytes(L, json.buf, 0, json.length);
    return 1;
  },
  decode: (L) => {
    const text = Buffer.from(lauxlib.luaL_checklstring(L, 1)).toString('utf8');
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return raise(L, `Expected value but found invalid token at character 1`);
    }
    pushJsonValue(L, v);
    return 1;
  },
};

// ---- cmsgpack ----

class Packer {
  private parts: Buffer[] = [];
  add(b: Buffer): void {
    this.parts.push(b);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
  header(small: number, smallMax: number, codes: [number, number, number], n: number): void {
    if (n <= smallMax && small !== 0) return this.add(Buffer.of(small | n));
    if (n < 0x100 && codes[0] !== 0) return this.add(Buffer.of(codes[0], n));
    if (n < 0x10000) {
      const b = Buffer.alloc(3);
      b[0] = codes[1];
      b.writeUInt16BE(n, 1);
      return this.add(b);
    }
    const b = Buffer.alloc(5);
    b[0] = codes[2];
    b.writeUInt32BE(n, 1);
    this.add(b);
  }
}

function packNumber(p: Packer, n: number): void {
  // lua_cmsgpack writes an integer when (int64_t)n == n: every whole number of [-2^63, 2^63).
  if (!(Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63)) {
    // A float when the value survives the round trip (not NaN), else a double.
    if (Math.fround(n) === n) {
      const b = Buffer.alloc(5);
      b[0] = 0xca;
      b.writeFloatBE(n, 1);
      return p.add(b);
    }
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(n, 1);
    return p.add(b);
  }
  if (n >= 0) {
    if (n < 128) return p.add(Buffer.of(n));
    if (n < 0x100) return p.add(Buffer.of(0xcc, n));
    if (n < 0x10000) return p.add(Buffer.from([0xcd, n >> 8, n & 0xff]));
    if (n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = 0xce;
      b.writeUInt32BE(n, 1);
      return p.add(b);
    }
    const b = Buffer.alloc(9);
    b[0] = 0xcf;
    b.writeBigUInt64BE(BigInt(n), 1);
    return p.add(b);
  }
  if (n >= -32) return p.add(Buffer.of(n & 0xff));
  if (n >= -128) return p.add(Buffer.of(0xd0, n & 0xff));
  if (n >= -32768) {
    const b = Buffer.alloc(3);
    b[0] = 0xd1;
    b.writeInt16BE(n, 1);
    return p.add(b);
  }
  if (n >= -2147483648) {
    const b = Buffer.alloc(5);
    b[0] = 0xd2;
    b.writeInt32BE(n, 1);
    return p.add(b);
  }
  const b = Buffer.alloc(9);
  b[0] = 0xd3;
  b.writeBigInt64BE(BigInt(n), 1);
  p.add(b);
}

function packValue(L: LuaState, idx: number, p: Packer, depth: number): void {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TSTRING: {
      const s = lua.lua_tolstring(L, idx)!;
      p.header(0xa0, 31, [0xd9, 0xda, 0xdb], s.length);
      p.add(Buffer.from(s));
      return;
    }
    case lua.LUA_TNUMBER:
      return packNumber(p, lua.lua_tonumber(L, idx));
    case lua.LUA_TBOOLEAN:
      return p.add(Buffer.of(lua.lua_toboolean(L, idx) ? 0xc3 : 0xc2));
    case lua.LUA_TTABLE:
      if (depth < 16) return packTable(L, lua.lua_absindex(L, idx), p, depth);
      return p.add(Buffer.of(0xc0));
    default:
      p.add(Buffer.of(0xc0));
  }
}

function packTable(L: LuaState, t: number, p: Packer, depth: number): void {
  let count = 0;
  let array = true;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, t) !== 0) {
    lua.lua_pop(L, 1);
    count++;
    const k = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : NaN;
    if (!(Number.isInteger(k) && k >= 1)) array = false;
  }
  if (array) {
    for (let i = 1; i <= count; i++) {
      if (lua.lua_rawgeti(L, t, i) === lua.LUA_TNIL) array = false;
      lua.lua_pop(L, 1);
    }
  }
  if (array) {
    p.header(0x90, 15, [0, 0xdc, 0xdd], count);
    for (let i = 1; i <= count; i++) {
      lua.lua_rawgeti(L, t, i);
      packValue(L, -1, p, depth + 1);
      lua.lua_pop(L, 1);
    }
    return;
  }
  p.header(0x80, 15, [0, 0xde, 0xdf], count);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, t) !== 0) {
    packValue(L, -2, p, depth + 1);
    packValue(L, -1, p, depth + 1);
    lua.lua_pop(L, 1);
  }
}

/** unpackValue's results past the input: it ends inside a value, or a type byte lua_cmsgpack does not read (bin, ext, 0xc1). */
const MISSING_BYTES = -1;
const BAD_FORMAT = -2;

/**
 * Pushes the msgpack value at `pos` of `b`, whose input ends at `end` (lua_cmsgpack's
 * mp_decode_to_lua_type); returns the position after it, or MISSING_BYTES or BAD_FORMAT.
 */
function unpackValue(L: LuaState, b: Buffer, pos: number, end: number): number {
  if (pos >= end) return MISSING_BYTES;
  const t = b[pos++];
  if (t < 0x80) return (lua.lua_pushnumber(L, t), pos);
  if (t >= 0xe0) return (lua.lua_pushnumber(L, t - 256), pos);
  if ((t & 0xe0) === 0xa0) return unpackBytes(L, b, pos, t & 0x1f, end);
  if ((t & 0xf0) === 0x90) return unpackArray(L, b, pos, t & 0x0f, end);
  if ((t & 0xf0) === 0x80) return unpackMap(L, b, pos, t & 0x0f, end);
  if (t === 0xc0) return (lua.lua_pushnil(L), pos);
  if (t === 0xc2 || t === 0xc3) return (lua.lua_pushboolean(L, t === 0xc3), pos);
  const size = FIXED_SIZES[t];
  if (size === undefined) return BAD_FORMAT;
  if (pos + size > end) return MISSING_BYTES;
  switch (t) {
    case 0xcc:
      return (lua.lua_pushnumber(L, b[pos]), pos + 1);
    case 0xcd:
      return (lua.lua_pushnumber(L, b.readUInt16BE(pos)), pos + 2);
    case 0xce:
      return (lua.lua_pushnumber(L, b.readUInt32BE(pos)), pos + 4);
    case 0xcf:
    case 0xd3:
      // Pushed through Lua 5.1's lua_Integer, a signed 64-bit integer: from 2^63 up it is negative.
      return (lua.lua_pushnumber(L, Number(b.readBigInt64BE(pos))), pos + 8);
    case 0xd0:
      return (lua.lua_pushnumber(L, b.readInt8(pos)), pos + 1);
    case 0xd1:
      return (lua.lua_pushnumber(L, b.readInt16BE(pos)), pos + 2);
    case 0xd2:
      return (lua.lua_pushnumber(L, b.readInt32BE(pos)), pos + 4);
    case 0xca:
      return (lua.lua_pushnumber(L, b.readFloatBE(pos)), pos + 4);
    case 0xcb:
      return (lua.lua_pushnumber(L, b.readDoubleBE(pos)), pos + 8);
    case 0xd9:
      return unpackBytes(L, b, pos + 1, b[pos], end);
    case 0xda:
      return unpackBytes(L, b, pos + 2, b.readUInt16BE(pos), end);
    case 0xdb:
      return unpackBytes(L, b, pos + 4, b.readUInt32BE(pos), end);
    case 0xdc:
      return unpackArray(L, b, pos + 2, b.readUInt16BE(pos), end);
    case 0xdd:
      return unpackArray(L, b, pos + 4, b.readUInt32BE(pos), end);
    case 0xde:
      return unpackMap(L, b, pos + 2, b.readUInt16BE(pos), end);
    default: // 0xdf
      return unpackMap(L, b, pos + 4, b.readUInt32BE(pos), end);
  }
}

/** The bytes after the type byte of each msgpack type with a fixed-size part (a number, or the length of a string, array or map) that lua_cmsgpack reads. */
const FIXED_SIZES: Partial<Record<number, number>> = {
  0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8,
  0xd9: 1, 0xda: 2, 0xdb: 4, 0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4,
};

function unpackBytes(L: LuaState, b: Buffer, pos: number, n: number, end: number): number {
  if (pos + n > end) return MISSING_BYTES;
  pushBytes(L, b, pos, pos + n);
  return pos + n;
}

function unpackArray(L: LuaState, b: Buffer, pos: number, n: number, end: number): number {
  // lua_newtable, as lua_cmsgpack.c: the parts grow as it sets (nil items included), so `#` and `next` are 5.1's.
  lua.lua_createtable(L, 0, 0);
  for (let i = 1; i <= n; i++) {
    pos = unpackValue(L, b, pos, end);
    if (pos < 0) return pos;
    lua.lua_rawseti(L, -2, i);
  }
  return pos;
}

function unpackMap(L: LuaState, b: Buffer, pos: number, n: number, end: number): number {
  lua.lua_createtable(L, 0, 0);
  for (let i = 0; i < n; i++) {
    pos = unpackValue(L, b, pos, end);
    if (pos < 0) return pos;
    pos = unpackValue(L, b, pos, end);
    if (pos < 0) return pos;
    // A nil or NaN key fails as lua_settable fails ("table index is nil").
    lua.lua_rawset(L, -3);
  }
  return pos;
}

/** Where unpack reads its input: the string's bytes or its text written here, rather than a copy made per call. */
let unpackInput = Buffer.alloc(256);

/**
 * lua_cmsgpack's mp_unpack_full on the string at 1, the only value left on the stack:
 * up to `limit` values from `offset` (all of them when both are 0); but for "all of
 * them", the offset after them comes first (-1 at the end of the input).
 */
function msgpackUnpack(L: LuaState, limit: number, offset: number): number {
  let b: Buffer;
  let end: number;
  if (lua.lua_type(L, 1) === lua.LUA_TSTRING) {
    const value = stringValueAt(L, 1);
    if (value.length > unpackInput.length) unpackInput = Buffer.alloc(Math.max(value.length, 2 * unpackInput.length));
    if (typeof value === 'string') unpackInput.latin1Write(value, 0, value.length);
    else unpackInput.set(value, 0);
    b = unpackInput;
    end = value.length;
  } else {
    b = Buffer.from(lauxlib.luaL_checklstring(L, 1));
    end = b.length;
  }
  if (offset < 0 || limit < 0) raise(L, `Invalid request to unpack with offset of ${offset} and limit of ${end}.`);
  if (offset > end) raise(L, `Start offset ${offset} greater than input length ${end}.`);
  const all = limit === 0 && offset === 0;
  let pos = offset;
  let n = 0;
  for (; pos < end && (all || n < limit); n++) {
    pos = unpackValue(L, b, pos, end);
    if (pos === MISSING_BYTES) raise(L, 'Missing bytes in input.');
    if (pos === BAD_FORMAT) raise(L, 'Bad data format in input.');
  }
  if (all) return n;
  lua.lua_pushnumber(L, pos === end ? -1 : pos);
  lua.lua_insert(L, 2);
  return n + 1;
}

/** lua_pop(L, lua_gettop(L) - 1), as lua_cmsgpack's functions start: the string argument alone (or nothing). */
function keepFirstArgument(L: LuaState): void {
  lua.lua_settop(L, Math.min(lua.lua_gettop(L), 1));
}

const cmsgpackLibrary: Record<string, LuaJsFunction> = {
  pack: (L) => {
    const n = lua.lua_gettop(L);
    if (n < 1) raise(L, 'MessagePack pack needs input.');
    const p = new Packer();
    for (let i = 1; i <= n; i++) packValue(L, i, p, 0);
    lua.lua_pushstring(L, p.bytes());
    return 1;
  },
  unpack: (L) => {
    keepFirstArgument(L);
    return msgpackUnpack(L, 0, 0);
  },
  unpack_one: (L) => {
    const offset = lauxlib.luaL_optinteger(L, 2, 0);
    keepFirstArgument(L);
    return msgpackUnpack(L, 1, offset);
  },
  unpack_limit: (L) => {
    const limit = lauxlib.luaL_checkinteger(L, 2);
    const offset = lauxlib.luaL_optinteger(L, 3, 0);
    keepFirstArgument(L);
    return msgpackUnpack(L, limit, offset);
  },
};

// ---- struct (Roberto Ierusalimschy's struct library, as redis-server bundles it) ----

interface StructItem {
  code: string;
  size: number;
}

function structItems(L: LuaState, fmt: string): { items: StructItem[]; little: boolean[] } {
  const items: StructItem[] = [];
  const little: boolean[] = [];
  let le = true; // native order on x86-64
  for (let i = 0; i < fmt.length; i++) {
    const code = fmt[i];
    let digits = '';
    while (i + 1 < fmt.length && /[0-9]/.test(fmt[i + 1])) digits += fmt[++i];
    const size = digits === '' ? -1 : Number(digits);
    switch (code) {
      case '<':
      case '=':
        le = true;
        continue;
      case '>':
        le = false;
        continue;
      case '!':
      case ' ':
        continue;
      case 'b':
      case 'B':
      case 'x':
        items.push({ code, size: 1 });
        break;
      case 'h':
      case 'H':
        items.push({ code, size: 2 });
        break;
      case 'i':
      case 'I':
        items.push({ code, size: size === -1 ? 4 : size });
        break;
      case 'l':
      case 'L':
      case 'T':
        items.push({ code, size: 8 });
        break;
      case 'f':
        items.push({ code, size: 4 });
        break;
      case 'd':
        items.push({ code, size: 8 });
        break;
      case 's':
        items.push({ code, size: 0 });
        break;
      case 'c':
        items.push({ code, size: size === -1 ? 1 : size });
        break;
      default:
        raise(L, `invalid format option '${code}'`);
    }
    little.push(le);
  }
  return { items, little };
}

function structPack(L: LuaState): number {
  const fmt = latin1(lauxlib.luaL_checklstring(L, 1));
  const { items, little } = structItems(L, fmt);
  const parts: Buffer[] = [];
  let arg = 2;
  items.forEach((item, k) => {
    const le = little[k];
    switch (item.code) {
      case 'x':
        parts.push(Buffer.of(0));
        return;
      case 'f':
      case 'd': {
        const b = Buffer.alloc(item.size);
        const n = lauxlib.luaL_checknumber(L, arg++);
        if (item.code === 'f' && le) b.writeFloatLE(n);
        else if (item.code === 'f') b.writeFloatBE(n);
        else if (le) b.writeDoubleLE(n);
        else b.writeDoubleBE(n);
        parts.push(b);
        return;
      }
      case 's':
      case 'c': {
        const s = Buffer.from(lauxlib.luaL_checklstring(L, arg++));
        if (item.code === 's') parts.push(s, Buffer.of(0));
        else parts.push(item.size === 0 ? s : Buffer.concat([s, Buffer.alloc(Math.max(0, item.size - s.length))]).subarray(0, item.size));
        return;
      }
      default: {
        // lua_struct.c's putinteger: a negative number through a long, the others through an unsigned long.
        const d = lauxlib.luaL_checknumber(L, arg++);
        const n = BigInt.asUintN(item.size * 8, d < 0 ? BigInt.asUintN(64, cLong(d)) : cUnsignedLong(d));
        const b = Buffer.alloc(item.size);
        for (let i = 0; i < item.size; i++) b[le ? i : item.size - 1 - i] = Number((n >> BigInt(8 * i)) & 0xffn);
        parts.push(b);
      }
    }
  });
  lua.lua_pushstring(L, Buffer.concat(parts));
  return 1;
}

function structUnpack(L: LuaState): number {
  const fmt = latin1(lauxlib.luaL_checklstring(L, 1));
  const data = Buffer.from(lauxlib.luaL_checklstring(L, 2));
  // lua_struct.c reads the offset as a size_t: 0 is refused, a negative one is far past the end.
  const offset = cLong(lua.lua_type(L, 3) <= lua.LUA_TNIL ? 1 : lauxlib.luaL_checknumber(L, 3));
  if (offset === 0n) lauxlib.luaL_argerror(L, 3, luaName('offset must be 1 or greater'));
  let pos = offset < 0n ? Infinity : Number(offset) - 1;
  const { items, little } = structItems(L, fmt);
  let pushed = 0;
  items.forEach((item, k) => {
    const le = little[k];
    const size = item.code === 's' ? data.indexOf(0, pos) - pos + 1 : item.size;
    if (size <= 0 || pos + size > data.length) lauxlib.luaL_argerror(L, 2, luaName('data string too short'));
    switch (item.code) {
      case 'x':
        break;
      case 'f':
        lua.lua_pushnumber(L, le ? data.readFloatLE(pos) : data.readFloatBE(pos));
        pushed++;
        break;
      case 'd':
        lua.lua_pushnumber(L, le ? data.readDoubleLE(pos) : data.readDoubleBE(pos));
        pushed++;
        break;
      case 's':
        lua.lua_pushstring(L, data.subarray(pos, pos + size - 1));
        pushed++;
        break;
      case 'c':
        lua.lua_pushstring(L, data.subarray(pos, pos + size));
        pushed++;
        break;
      default: {
        let n = 0n;
        for (let i = 0; i < size; i++) n |= BigInt(data[pos + (le ? i : size - 1 - i)]) << BigInt(8 * i);
        const signed = item.code === 'b' || item.code === 'h' || item.code === 'i' || item.code === 'l';
        lua.lua_pushnumber(L, Number(signed ? BigInt.asIntN(size * 8, n) : n));
        pushed++;
      }
    }
    pos += size;
  });
  lua.lua_pushnumber(L, pos + 1);
  return pushed + 1;
}

const structLibrary: Record<string, LuaJsFunction> = {
  pack: structPack,
  unpack: structUnpack,
  size: (L) => {
    const { items } = structItems(L, latin1(lauxlib.luaL_checklstring(L, 1)));
    lua.lua_pushnumber(L, items.reduce((sum, item) => sum + item.size, 0));
    return 1;
  },
};

// ---- Lua 5.1 compatibility ----

/** Lua source run once at start: the 5.1 names 5.3 dropped. */
const COMPAT_SOURCE = `
table.setn = function() error('setn is obsolete', 2) end
table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end
table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
loadstring = load
math.pow = function(x, y) return x ^ y end
math.log10 = function(x) return math.log(x, 10) end
math.mod = math.fmod
math.frexp = function(x)
  if x == 0 then return 0.0, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 end
  return m, e
end
string.gfind = string.gmatch
-- redis-server 7.0's luaRedisPcall: an error table's err string is what pcall returns.
local rawpcall, type, pack, unpack = pcall, type, table.pack, table.unpack
pcall = function(...)
  local r = pack(rawpcall(...))
  if not r[1] and type(r[2]) == 'table' and type(r[2].err) == 'string' then return false, r[2].err end
  return unpack(r, 1, r.n)
end
`;

/** 5.1's optional integer argument (luaL_opt: none or nil is the default). */
function optInteger(L: LuaState, arg: number, def: () => number): number {
  return lua.lua_type(L, arg) <= lua.LUA_TNIL ? def() : lauxlib.luaL_checkinteger(L, arg);
}

/** A raw `t[i]` of 5.1's ipairs: the index and the value, nothing at the first nil. */
function ipairsNext(L: LuaState): number {
  const i = lauxlib.luaL_checkinteger(L, 2) + 1;
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushnumber(L, i);
  return lua.lua_rawgeti(L, 1, i) === lua.LUA_TNIL ? 0 : 2;
}

/**
 * Lua 5.1's own table functions where 5.3's differ: a table argument required ("table
 * expected, got nil" where 5.3 says "attempt to get length of a nil value"), and reads
 * that are raw (5.3's unpack and ipairs ask __index and __len). Raw reads of the array
 * part are also what makes `redis.call(cmd, unpack(args))` cheap.
 */
const lua51Tables: Record<string, LuaJsFunction> = {
  unpack: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    const first = optInteger(L, 2, () => 1);
    const last = optInteger(L, 3, () => lua.lua_rawlen(L, 1));
    if (first > last) return 0;
    const n = last - first + 1;
    if (n >= 2 ** 31 || !lua.lua_checkstack(L, n)) return raiseWhere(L, 'too many results to unpack');
    for (let i = first; i <= last; i++) lua.lua_rawgeti(L, 1, i);
    return n;
  },
  ipairs: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lua.lua_pushjsfunction(L, ipairsNext);
    lua.lua_pushvalue(L, 1);
    lua.lua_pushnumber(L, 0);
    return 3;
  },
  // 5.1's insert and remove: a position out of the table's range is no error (insert
  // moves the elements between, remove returns nothing).
  insert: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let e = lua.lua_rawlen(L, 1) + 1;
    let pos = e;
    if (lua.lua_gettop(L) === 3) {
      pos = lauxlib.luaL_checkinteger(L, 2);
      if (pos > e) e = pos;
      for (let i = e; i > pos; i--) {
        lua.lua_rawgeti(L, 1, i - 1);
        lua.lua_rawseti(L, 1, i);
      }
    } else if (lua.lua_gettop(L) !== 2) {
      return raiseWhere(L, "wrong number of arguments to 'insert'");
    }
    lua.lua_rawseti(L, 1, pos);
    return 0;
  },
  remove: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    const e = lua.lua_rawlen(L, 1);
    let pos = optInteger(L, 2, () => e);
    if (!(pos >= 1 && pos <= e)) return 0;
    lua.lua_rawgeti(L, 1, pos);
    for (; pos < e; pos++) {
      lua.lua_rawgeti(L, 1, pos + 1);
      lua.lua_rawseti(L, 1, pos);
    }
    lua.lua_pushnil(L);
    lua.lua_rawseti(L, 1, e);
    return 1;
  },
  getn: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lua.lua_pushnumber(L, lua.lua_rawlen(L, 1));
    return 1;
  },
  maxn: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let max = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
        const v = lua.lua_tonumber(L, -1);
        if (v > max) max = v;
      }
    }
    lua.lua_pushnumber(L, max);
    return 1;
  },
};

/** 5.1's math.max and math.min: their first argument is a number like the others ("number expected, got no value"). */
function withFirstNumber(L: LuaState, name: string): void {
  lua.lua_getfield(L, -1, luaName(name));
  const f = lua.lua_tocfunction(L, -1)!;
  lua.lua_pop(L, 1);
  setFunctions(L, {
    [name]: (L) => {
      if (lua.lua_gettop(L) === 0) lauxlib.luaL_checknumber(L, 1);
      return f(L);
    },
  });
}

/** Lua 5.1's error(): a number message gets the position too (5.3 adds it to strings only). */
function luaError(L: LuaState): number {
  const level = lauxlib.luaL_optinteger(L, 2, 1);
  lua.lua_settop(L, 1);
  const t = lua.lua_type(L, 1);
  if ((t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) && level > 0) {
    lauxlib.luaL_where(L, level);
    lua.lua_pushvalue(L, 1);
    lua.lua_concat(L, 2);
  }
  return lua.lua_error(L);
}

const floatMath: Record<string, LuaJsFunction> = {
  floor: (L) => (lua.lua_pushnumber(L, Math.floor(lauxlib.luaL_checknumber(L, 1))), 1),
  ceil: (L) => (lua.lua_pushnumber(L, Math.ceil(lauxlib.luaL_checknumber(L, 1))), 1),
  // C's ldexp of 5.1's luaL_checkint (2^32 + 1 is 1), in steps so that a large m and a
  // very negative e meet before the power underflows.
  ldexp: (L) => {
    let m = lauxlib.luaL_checknumber(L, 1);
    let e = lauxlib.luaL_checkinteger(L, 2);
    for (; e > 1000 && Number.isFinite(m) && m !== 0; e -= 1000) m *= 2 ** 1000;
    for (; e < -1000 && m !== 0; e += 1000) m *= 2 ** -1000;
    lua.lua_pushnumber(L, m * 2 ** e);
    return 1;
  },
};

/** A plain decimal integer that a double holds exactly: what tonumber reads most often (IDs, timestamps). */
const PLAIN_INTEGER = /^-?[0-9]{1,15}$/;

/**
 * tostring and tonumber with their common cases done here, the rest by Lua's own
 * functions (called on the same frame, so their errors read as theirs): a number's text
 * made directly (Lua's goes through its printf-like formatter), a string returned as
 * it is, a decimal integer read directly.
 */
function withFastPaths(L: LuaState): void {
  const tostring = globalJsFunction(L, 'tostring');
  lua.lua_pushjsfunction(L, (L) => {
    if (lua.lua_gettop(L) === 1) {
      const t = lua.lua_type(L, 1);
      if (t === lua.LUA_TSTRING) return 1;
      if (t === lua.LUA_TNUMBER) return (pushLatin1(L, formatG14(lua.lua_tonumber(L, 1))), 1);
    }
    return tostring(L);
  });
  lua.lua_setglobal(L, luaName('tostring'));
  const tonumber = globalJsFunction(L, 'tonumber');
  lua.lua_pushjsfunction(L, (L) => {
    if (lua.lua_gettop(L) === 1 && lua.lua_type(L, 1) === lua.LUA_TSTRING) {
      const text = stringAt(L, 1);
      if (PLAIN_INTEGER.test(text)) return (lua.lua_pushnumber(L, Number(text)), 1);
    }
    return tonumber(L);
  });
  lua.lua_setglobal(L, luaName('tonumber'));
  // string.sub of a string: its text sliced (Lua's makes the string's bytes first, a copy of a key's text).
  lua.lua_getglobal(L, luaName('string'));
  lua.lua_getfield(L, -1, luaName('sub'));
  const sub = lua.lua_tocfunction(L, -1)!;
  lua.lua_pop(L, 1);
  setFunctions(L, {
    sub: (L) => {
      if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) return sub(L);
      const text = stringAt(L, 1);
      const start = Math.max(stringPosition(lauxlib.luaL_checkposition(L, 2), text.length), 1);
      const end = Math.min(stringPosition(lauxlib.luaL_optposition(L, 3, -1), text.length), text.length);
      pushLatin1(L, start <= end ? text.slice(start - 1, end) : '');
      return 1;
    },
  });
  lua.lua_pop(L, 1);
}

/** A string position counted from the end when negative (lstrlib.c's posrelat). */
function stringPosition(pos: number, length: number): number {
  if (pos >= 0) return pos;
  return -pos > length ? 0 : length + pos + 1;
}

function globalJsFunction(L: LuaState, name: string): LuaJsFunction {
  lua.lua_getglobal(L, luaName(name));
  const f = lua.lua_tocfunction(L, -1);
  lua.lua_pop(L, 1);
  if (f === null) throw new Error(`Lua's ${name} is not a JavaScript function`);
  return f;
}

/** Opens `bit`, `cjson`, `cmsgpack`, `struct` and the 5.1 compatibility names in the global table. */
export function openRedisLibraries(L: LuaState): void {
  globalLibrary(L, 'bit', bitLibrary);
  globalLibrary(L, 'cjson', cjsonLibrary);
  // cjson.null: a unique value scripts compare against (a lightuserdata NULL in lua-cjson).
  lua.lua_getglobal(L, luaName('cjson'));
  lua.lua_createtable(L, 0, 0);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, JSON_NULL);
  jsonNull = lua.lua_topointer(L, -1);
  lua.lua_setfield(L, -2, luaName('null'));
  lua.lua_pop(L, 1);
  globalLibrary(L, 'cmsgpack', cmsgpackLibrary);
  globalLibrary(L, 'struct', structLibrary);
  lua.lua_pushjsfunction(L, luaError);
  lua.lua_setglobal(L, luaName('error'));
  withFastPaths(L);
  lua.lua_getglobal(L, luaName('math'));
  setFunctions(L, floatMath);
  withFirstNumber(L, 'max');
  withFirstNumber(L, 'min');
  lua.lua_pop(L, 1);
  lua.lua_pushjsfunction(L, lua51Tables.unpack);
  lua.lua_setglobal(L, luaName('unpack'));
  lua.lua_pushjsfunction(L, lua51Tables.ipairs);
  lua.lua_setglobal(L, luaName('ipairs'));
  lua.lua_getglobal(L, luaName('table'));
  lua.lua_pushjsfunction(L, lua51Tables.insert);
  lua.lua_setfield(L, -2, luaName('insert'));
  lua.lua_pushjsfunction(L, lua51Tables.remove);
  lua.lua_setfield(L, -2, luaName('remove'));
  lua.lua_pushjsfunction(L, lua51Tables.getn);
  lua.lua_setfield(L, -2, luaName('getn'));
  lua.lua_pushjsfunction(L, lua51Tables.maxn);
  lua.lua_setfield(L, -2, luaName('maxn'));
  lua.lua_pop(L, 1);
  if (lauxlib.luaL_loadbuffer(L, luaBytes(COMPAT_SOURCE), null, luaName('=compat')) !== lua.LUA_OK) {
    throw new Error(`Lua compatibility source: ${latin1(lua.lua_tolstring(L, -1)!)}`);
  }
  lua.lua_call(L, 0, 0);
}
