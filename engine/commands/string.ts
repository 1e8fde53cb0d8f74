/**
 * The string family, as redis-server 7.0's t_string.c: GET/SET and their variants,
 * counters (INCR..., INCRBYFLOAT), ranges (GETRANGE, SETRANGE, APPEND) and LCS.
 *
 * Effects (ARCHITECTURE.md, "Effects") follow redis-server exactly: relative or absolute
 * expiries go out as `SET key value PXAT <ms>`, SET's GET option is dropped, GETEX as
 * PEXPIREAT/PERSIST/DEL, GETDEL as DEL, GETSET as SET, INCRBYFLOAT as SET ... KEEPTTL.
 *
 * Values up to `proto-max-bulk-len`: a value longer than LARGE_VALUE is a LargeString
 * (bytes off the V8 heap, engine/types/large-string.ts), whether it arrived so (the
 * commands that take values declare their value slots and get it as bytes) or was
 * built here (APPEND, SETRANGE). Shorter values stay JS strings, except bitmaps and
 * HyperLogLogs, changed in place as bytes (engine/commands/bitmap.ts): the checks for
 * the bytes kind come after the `typeof v === 'string'` ones, so small values pay nothing.
 */
import { textAt, type Arg, type CommandDef } from '../command.js';
import type { Client } from '../client.js';
import {
  DECREMENT_OVERFLOW,
  INVALID_EXPIRE,
  LCS_IDX_AND_LEN,
  LCS_NO_MEMORY,
  LCS_NOT_STRINGS,
  LCS_TOO_LARGE,
  NAN_OR_INFINITY,
  NOT_FLOAT,
  NOT_INTEGER,
  OFFSET_OUT_OF_RANGE,
  OVERFLOW,
  STRING_TOO_LONG,
  SYNTAX,
  WRONG_ARGS,
  WRONGTYPE,
} from '../errors.js';
import { addInt64, INT64_MIN, mulInt64, negateInt64, parseInt64, type Int64 } from '../util/int64.js';
import { StringForm } from '../keyspace.js';
import { isStringValue, LARGE_VALUE, LargeString, valueBytes, valueOfArg, type StringValue } from '../types/large-string.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../util/long-double.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';

/**
 * A string value as text where it may be a number: a JS string, or a LargeString short
 * enough (a bitmap SETBIT made of digits is one); null for a long value, never a number.
 */
function shortText(v: StringValue): string | null {
  if (typeof v === 'string') return v;
  return v.length <= MAX_NUMBER_TEXT ? v.view().latin1Slice() : null;
}

/** Longer than this, no text is a number INCR or INCRBYFLOAT accepts (redis-server's MAX_LONG_DOUBLE_CHARS). */
const MAX_NUMBER_TEXT = 5 * 1024;

/**
 * checkStringLength: a string a command builds (APPEND, SETRANGE) may not exceed
 * `proto-max-bulk-len` (redis-server 7.0 checks that setting, not a fixed 512 MB),
 * except for a client that must be obeyed (the AOF loader). Replies with the error and
 * returns false when `length` does.
 */
function checkLengthOrReply(c: Client, length: number): boolean {
  if (length <= c.engine.settings.protoMaxBulkLen || c.mustObey) return true;
  c.reply.error(STRING_TOO_LONG);
  return false;
}

// Option bits of SET and GETEX (redis-server's OBJ_* flags).
const NX = 1 << 0;
const XX = 1 << 1;
const GET = 1 << 2;
const KEEPTTL = 1 << 3;
const EX = 1 << 4;
const PX = 1 << 5;
const EXAT = 1 << 6;
const PXAT = 1 << 7;
const PERSIST = 1 << 8;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

/** The flag of an expiry option (EX, PX, EXAT, PXAT), or 0. */
function expireKind(opt: string): number {
  if (isOption(opt, 'ex')) return EX;
  if (isOption(opt, 'px')) return PX;
  if (isOption(opt, 'exat')) return EXAT;
  if (isOption(opt, 'pxat')) return PXAT;
  return 0;
}

interface StringOptions {
  flags: number;
  /** The argument holding the expire time, when one of EX/PX/EXAT/PXAT was given. */
  expire: string | undefined;
}

/**
 * parseExtendedStringArgumentsOrReply: SET's options from argv[3] (`forSet`) or
 * GETEX's from argv[2]. A repeated option is allowed (the last value wins), a
 * conflicting one is a syntax error. Null after replying with the error.
 */
function parseOptionsOrReply(c: Client, argv: readonly Arg[], forSet: boolean): StringOptions | null {
  let flags = 0;
  let expire: string | undefined;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const opt = textAt(argv, j);
    const hasNext = j < argv.length - 1;
    if (forSet && isOption(opt, 'nx') && !(flags & XX)) flags |= NX;
    else if (forSet && isOption(opt, 'xx') && !(flags & NX)) flags |= XX;
    else if (forSet && isOption(opt, 'get')) flags |= GET;
    else if (forSet && isOption(opt, 'keepttl') && !(flags & ANY_EXPIRE)) flags |= KEEPTTL;
    else if (!forSet && isOption(opt, 'persist') && !(flags & ANY_EXPIRE)) flags |= PERSIST;
    else {
      const kind = expireKind(opt);
      // Another kind of expiry, KEEPTTL or PERSIST conflicts; the same kind repeated does not.
      if (kind === 0 || !hasNext || flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~kind))) {
        c.reply.error(SYNTAX);
        return null;
      }
      flags |= kind;
      expire = textAt(argv, ++j);
    }
  }
  return { flags, expire };
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry in ms for an EX/PX/EXAT/PXAT
 * argument, or null after replying with the error (not an integer, not positive,
 * or overflowing int64 once scaled and made absolute).
 */
function expireAtOrReply(c: Client, arg: string, flags: number, command: string): Int64 | null {
  const value = parseInt64(arg);
  if (value === null) {
    c.reply.error(NOT_INTEGER);
    return null;
  }
  let ms: Int64 | null = value <= 0 ? null : flags & (EX | EXAT) ? mulInt64(value, 1000) : value;
  if (ms !== null && flags & (EX | PX)) ms = addInt64(ms, c.engine.now());
  if (ms === null) c.reply.error(INVALID_EXPIRE(command.toLowerCase()));
  return ms;
}

/** getGenericCommand: replies with the string at `key` or nil; false on WRONGTYPE. */
function replyValue(c: Client, key: string): boolean {
  const v = c.db.lookupRead(key);
  if (v === undefined) c.reply.nil();
  else if (typeof v === 'string') c.reply.bulk(v);
  else if (v instanceof LargeString) c.reply.bulkBytes(v.view());
  else {
    c.reply.error(WRONGTYPE);
    return false;
  }
  return true;
}

/**
 * setGenericCommand. `okReply`/`abortReply` are the integer replies (SETNX) for a performed or
 * an NX/XX-refused set (null: +OK and nil); with GET the old value is the reply.
 */
function setGeneric(
  c: Client,
  argv: readonly Arg[],
  key: string,
  value: Arg,
  flags: number,
  expire: string | undefined,
  okReply: number | null,
  abortReply: number | null,
): void {
  let at: Int64 | null = null;
  if (expire !== undefined && (at = expireAtOrReply(c, expire, flags, textAt(argv, 0))) === null) return;
  if (flags & GET && !replyValue(c, key)) return;
  const found = c.db.lookupWriteEntry(key);
  if ((flags & NX && found !== undefined) || (flags & XX && found === undefined)) {
    if (flags & GET) return;
    if (abortReply === null) c.reply.nil();
    else c.reply.int(abortReply);
    return;
  }
  const e = c.db.store(found, key, valueOfArg(value), (flags & KEEPTTL) !== 0);
  notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
  if (at !== null) {
    c.db.setExpire(e, at);
    notify(c.engine, NotifyFlag.Generic, 'expire', key, c.db.id);
    c.engine.rewriteEffect(['SET', key, value, 'PXAT', String(at)]);
  } else if (flags & GET) {
    c.engine.rewriteEffect(withoutGet(argv));
  }
  c.engine.keyChanged(c.db, key);
  if (flags & GET) return;
  if (okReply === null) c.reply.ok();
  else c.reply.int(okReply);
}

/** SET's argv without its GET options, as redis-server propagates it. */
function withoutGet(argv: readonly Arg[]): Arg[] {
  const out = argv.slice(0, 3);
  for (let j = 3; j < argv.length; j++) if (!isOption(textAt(argv, j), 'get')) out.push(argv[j]);
  return out;
}

function set(c: Client, argv: readonly Arg[]): void {
  const key = textAt(argv, 1);
  if (argv.length === 3) {
    // The common case, kept free of option parsing. Under LFU the overwritten key's
    // access counts first, as setGenericCommand's lookupKeyWrite (its counter is kept).
    c.db.store(c.engine.lfuMode ? c.db.lookupWriteEntry(key) : c.db.entry(key), key, valueOfArg(argv[2]));
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
    c.reply.ok();
    return;
  }
  const options = parseOptionsOrReply(c, argv, true);
  if (options !== null) setGeneric(c, argv, key, argv[2], options.flags, options.expire, null, null);
}

function setnx(c: Client, argv: readonly Arg[]): void {
  setGeneric(c, argv, textAt(argv, 1), argv[2], NX, undefined, 1, 0);
}

function setex(c: Client, argv: readonly Arg[]): void {
  setGeneric(c, argv, textAt(argv, 1), argv[3], EX, textAt(argv, 2), null, null);
}

function psetex(c: Client, argv: readonly Arg[]): void {
  setGeneric(c, argv, textAt(argv, 1), argv[3], PX, textAt(argv, 2), null, null);
}

function get(c: Client, argv: string[]): void {
  replyValue(c, argv[1]);
}

function getex(c: Client, argv: string[]): void {
  const options = parseOptionsOrReply(c, argv, false);
  if (options === null) return;
  const key = argv[1];
  const v = c.db.lookupRead(key);
  if (v === undefined) return c.reply.nil();
  if (!isStringValue(v)) return c.reply.error(WRONGTYPE);
  const { flags, expire } = options;
  let at: Int64 | null = null;
  if (expire !== undefined && (at = expireAtOrReply(c, expire, flags, argv[0])) === null) return;
  if (typeof v === 'string') c.reply.bulk(v);
  else c.reply.bulkBytes(v.view());
  const e = c.db.entry(key)!;
  if (at !== null && flags & (EXAT | PXAT) && at <= c.engine.now()) {
    // An absolute time already past deletes the key, as its expiry would.
    c.db.remove(e);
    c.engine.rewriteEffect(['DEL', key]);
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'del', key, c.db.id);
  } else if (at !== null) {
    c.db.setExpire(e, at);
    c.engine.rewriteEffect(['PEXPIREAT', key, String(at)]);
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'expire', key, c.db.id);
  } else if (flags & PERSIST && e.expireAt !== 0) {
    c.db.clearExpire(e);
    c.engine.rewriteEffect(['PERSIST', key]);
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'persist', key, c.db.id);
  }
}

function getdel(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!replyValue(c, key) || !c.db.delete(key)) return;
  c.engine.rewriteEffect(['DEL', key]);
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.Generic, 'del', key, c.db.id);
}

function getset(c: Client, argv: readonly Arg[]): void {
  const key = textAt(argv, 1);
  if (!replyValue(c, key)) return;
  c.db.set(key, valueOfArg(argv[2]));
  notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
  c.engine.rewriteEffect(['SET', key, argv[2]]);
  c.engine.keyChanged(c.db, key);
}

function mget(c: Client, argv: string[]): void {
  c.reply.array(argv.length - 1);
  for (let j = 1; j < argv.length; j++) {
    const v = c.db.lookupRead(argv[j]);
    if (typeof v === 'string') c.reply.bulk(v);
    else if (v instanceof LargeString) c.reply.bulkBytes(v.view());
    else c.reply.nil();
  }
}

/** MSET and MSETNX: with `nx`, nothing is set if any key exists. */
function msetGeneric(c: Client, argv: readonly Arg[], nx: boolean): void {
  if (argv.length % 2 === 0) return c.reply.error(WRONG_ARGS(textAt(argv, 0).toLowerCase()));
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (c.db.lookupWrite(textAt(argv, j)) !== undefined) return c.reply.int(0);
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    const key = textAt(argv, j);
    c.db.set(key, valueOfArg(argv[j + 1]));
    c.engine.keyChanged(c.db, key);
    notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
  }
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function mset(c: Client, argv: readonly Arg[]): void {
  msetGeneric(c, argv, false);
}

function msetnx(c: Client, argv: readonly Arg[]): void {
  msetGeneric(c, argv, true);
}

/** incrDecrCommand: adds `by` to the integer at `key` (0 when missing), keeping its TTL. */
function incrDecr(c: Client, key: string, by: Int64): void {
  const e = c.db.lookupWriteEntry(key);
  let current: Int64 | null = 0;
  if (e !== undefined) {
    const v = e.value;
    if (!isStringValue(v)) return c.reply.error(WRONGTYPE);
    const text = shortText(v);
    if (text === null || (current = parseInt64(text)) === null) return c.reply.error(NOT_INTEGER);
  }
  const sum = addInt64(current, by);
  if (sum === null) return c.reply.error(OVERFLOW);
  c.db.store(e, key, String(sum), true);
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.String, 'incrby', key, c.db.id);
  c.reply.int(sum);
}

function incr(c: Client, argv: string[]): void {
  incrDecr(c, argv[1], 1);
}

function decr(c: Client, argv: string[]): void {
  incrDecr(c, argv[1], -1);
}

function incrby(c: Client, argv: string[]): void {
  const by = parseInt64(argv[2]);
  if (by === null) return c.reply.error(NOT_INTEGER);
  incrDecr(c, argv[1], by);
}

function decrby(c: Client, argv: string[]): void {
  const by = parseInt64(argv[2]);
  if (by === null) return c.reply.error(NOT_INTEGER);
  if (by === INT64_MIN) return c.reply.error(DECREMENT_OVERFLOW);
  incrDecr(c, argv[1], negateInt64(by)!);
}

function incrbyfloat(c: Client, argv: string[]): void {
  const key = argv[1];
  const e = c.db.lookupWriteEntry(key);
  const v = e?.value;
  if (v !== undefined && !isStringValue(v)) return c.reply.error(WRONGTYPE);
  const text = v === undefined ? '0' : shortText(v);
  const result = text === null ? NOT_FLOAT : addFloatStrings(text, argv[2]);
  if (result === NOT_FLOAT || result === NAN_OR_INFINITY) return c.reply.error(result);
  c.db.store(e, key, result, true, StringForm.NotInt);
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.String, 'incrbyfloat', key, c.db.id);
  c.reply.bulk(result);
  // The exact result, so replicas and AOF replays need not redo float arithmetic.
  c.engine.rewriteEffect(['SET', key, result, 'KEEPTTL']);
}

/** The long double sum of two numeric strings as INCRBYFLOAT stores it, or an error. */
function addFloatStrings(a: string, b: string): string {
  const x = parseInt64(a);
  const y = parseInt64(b);
  if (typeof x === 'number' && typeof y === 'number') {
    // Integers below 2^53 and their sum are exact in a long double: skip BigInt math.
    const sum = x + y;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  const lx = parseLongDouble(a);
  const ly = parseLongDouble(b);
  if (lx === null || ly === null) return NOT_FLOAT;
  const sum = addLongDouble(lx, ly);
  return sum === null ? NAN_OR_INFINITY : formatLongDouble(sum);
}

function append(c: Client, argv: readonly Arg[]): void {
  const key = textAt(argv, 1);
  const suffix = argv[2];
  const e = c.db.lookupWriteEntry(key);
  let length = suffix.length;
  if (e === undefined) {
    c.db.store(e, key, valueOfArg(suffix));
  } else {
    const v = e.value;
    if (!isStringValue(v)) return c.reply.error(WRONGTYPE);
    length += v.length;
    if (!checkLengthOrReply(c, length)) return;
    c.db.store(e, key, appended(v, suffix, length), true, StringForm.Raw);
  }
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.String, 'append', key, c.db.id);
  c.reply.int(length);
}

/** `v` followed by `suffix` (`length` bytes in all): a JS string while short, else the LargeString `v` grown in place. */
function appended(v: StringValue, suffix: Arg, length: number): StringValue {
  if (typeof v === 'string' && typeof suffix === 'string' && length <= LARGE_VALUE) return v + suffix;
  const grown = typeof v === 'string' ? LargeString.from(v, length) : v;
  grown.append(suffix);
  return grown;
}

function strlen(c: Client, argv: string[]): void {
  const v = c.db.lookupRead(argv[1]);
  if (v === undefined) return c.reply.int(0);
  if (!isStringValue(v)) return c.reply.error(WRONGTYPE);
  c.reply.int(v.length);
}

function getrange(c: Client, argv: string[]): void {
  const startArg = parseInt64(argv[2]);
  const endArg = parseInt64(argv[3]);
  if (startArg === null || endArg === null) return c.reply.error(NOT_INTEGER);
  const v = c.db.lookupRead(argv[1]);
  if (v === undefined) return c.reply.bulk('');
  if (!isStringValue(v)) return c.reply.error(WRONGTYPE);
  // Past ±2^53 only the sign matters, so rounding to a double is harmless.
  let start = Number(startArg);
  let end = Number(endArg);
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return c.reply.bulk('');
  if (start < 0) start = Math.max(0, len + start);
  if (end < 0) end = Math.max(0, len + end);
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.reply.bulk('');
  if (typeof v === 'string') c.reply.bulk(v.slice(start, end + 1));
  else c.reply.bulkBytes(v.view().subarray(start, end + 1));
}

function setrange(c: Client, argv: readonly Arg[]): void {
  const key = textAt(argv, 1);
  const patch = argv[3];
  const offsetArg = parseInt64(textAt(argv, 2));
  if (offsetArg === null) return c.reply.error(NOT_INTEGER);
  if (offsetArg < 0) return c.reply.error(OFFSET_OUT_OF_RANGE);
  const v = c.db.lookupWrite(key);
  if (v !== undefined && !isStringValue(v)) return c.reply.error(WRONGTYPE);
  const old = v ?? '';
  // Setting nothing changes nothing, not even creates the key.
  if (patch.length === 0) return c.reply.int(old.length);
  // Past ±2^53 only the size matters, so rounding to a double is harmless.
  const offset = Number(offsetArg);
  if (!checkLengthOrReply(c, offset + patch.length)) return;
  const updated = patched(old, offset, patch);
  // SETRANGE builds the value in place, so redis-server stores it "raw" even if new.
  c.db.set(key, updated, true, StringForm.Raw);
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.String, 'setrange', key, c.db.id);
  c.reply.int(updated.length);
}

/** `old` with `patch` written at `offset` (zero-padded up to it): a JS string while short, else a LargeString changed in place. */
function patched(old: StringValue, offset: number, patch: Arg): StringValue {
  const length = Math.max(old.length, offset + patch.length);
  if (typeof old === 'string' && typeof patch === 'string' && length <= LARGE_VALUE) {
    const head = offset <= old.length ? old.slice(0, offset) : old + '\0'.repeat(offset - old.length);
    return head + patch + old.slice(offset + patch.length);
  }
  const updated = typeof old === 'string' ? LargeString.from(old, length) : old;
  updated.setRange(offset, patch);
  return updated;
}

function lcs(c: Client, argv: string[]): void {
  const va = c.db.lookupRead(argv[1]);
  const vb = c.db.lookupRead(argv[2]);
  if ((va !== undefined && !isStringValue(va)) || (vb !== undefined && !isStringValue(vb))) {
    return c.reply.error(LCS_NOT_STRINGS);
  }
  let idx = false;
  let len = false;
  let withMatchLen = false;
  let minMatchLen: Int64 = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isOption(opt, 'idx')) idx = true;
    else if (isOption(opt, 'len')) len = true;
    else if (isOption(opt, 'withmatchlen')) withMatchLen = true;
    else if (isOption(opt, 'minmatchlen') && j < argv.length - 1) {
      const n = parseInt64(argv[++j]);
      if (n === null) return c.reply.error(NOT_INTEGER);
      minMatchLen = n < 0 ? 0 : n;
    } else return c.reply.error(SYNTAX);
  }
  if (idx && len) return c.reply.error(LCS_IDX_AND_LEN);
  // redis-server refuses tables (4 bytes a cell) larger than proto-max-bulk-len: a long
  // value only meets a short one here, and is read as bytes, never as a JS string.
  if (((va?.length ?? 0) + 1) * ((vb?.length ?? 0) + 1) * 4 > c.engine.settings.protoMaxBulkLen) {
    return c.reply.error(LCS_TOO_LARGE);
  }
  const a = valueBytes(va ?? '');
  const b = valueBytes(vb ?? '');
  const table = lcsTable(a, b);
  if (table === null) return c.reply.error(LCS_NO_MEMORY);
  const total = table[table.length - 1];
  if (!idx && len) return c.reply.int(total);
  if (idx) {
    c.reply.map(2);
    c.reply.bulk('matches');
    const mark = c.reply.beginDeferred();
    const ranges = lcsWalk(c, a, b, table, Number(minMatchLen), withMatchLen, null);
    c.reply.endDeferred(mark, 'array', ranges);
    c.reply.bulk('len');
    c.reply.int(total);
    return;
  }
  const chars = new Array<number>(total);
  lcsWalk(c, a, b, table, 0, false, chars);
  let text = '';
  // Chunks keep fromCharCode's argument count well under the engine's limit.
  for (let i = 0; i < chars.length; i += 8192) text += String.fromCharCode(...chars.slice(i, i + 8192));
  c.reply.bulk(text);
}

/**
 * The dynamic-programming table: cell (i, j) holds the LCS length of a[0..i) and
 * b[0..j). Lengths never exceed the shorter string's: below 65536 bytes (always so
 * under the default size limit, which keeps it below 11586) 16-bit cells suffice.
 * Null if out of memory.
 */
function lcsTable(a: Uint8Array, b: Uint8Array): Uint16Array | Uint32Array | null {
  const width = b.length + 1;
  let table: Uint16Array | Uint32Array;
  try {
    const cells = (a.length + 1) * width;
    table = Math.min(a.length, b.length) < 65536 ? new Uint16Array(cells) : new Uint32Array(cells);
  } catch {
    return null;
  }
  for (let i = 1; i <= a.length; i++) {
    const ca = a[i - 1];
    const row = i * width;
    const up = row - width;
    for (let j = 1; j < width; j++) {
      if (ca === b[j - 1]) table[row + j] = table[up + j - 1] + 1;
      else {
        const l1 = table[up + j];
        const l2 = table[row + j - 1];
        table[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  return table;
}

/**
 * Walks the table back from its end as redis-server does. Collects the common
 * subsequence into `chars` when given; otherwise replies each matching range of at
 * least `minMatchLen` (IDX) and returns how many it replied.
 */
function lcsWalk(
  c: Client,
  a: Uint8Array,
  b: Uint8Array,
  table: Uint16Array | Uint32Array,
  minMatchLen: number,
  withMatchLen: boolean,
  chars: number[] | null,
): number {
  const width = b.length + 1;
  const alen = a.length;
  let pos = table[table.length - 1];
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let ranges = 0;
  let i = alen;
  let j = b.length;
  while (i > 0 && j > 0) {
    let emit = false;
    const ch = a[i - 1];
    if (ch === b[j - 1]) {
      if (chars !== null) chars[pos - 1] = ch;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        // Contiguous with the open range: extend it backwards.
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      pos--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (chars === null && (minMatchLen === 0 || matchLen >= minMatchLen)) {
        c.reply.array(withMatchLen ? 3 : 2);
        c.reply.array(2);
        c.reply.int(aStart);
        c.reply.int(aEnd);
        c.reply.array(2);
        c.reply.int(bStart);
        c.reply.int(bEnd);
        if (withMatchLen) c.reply.int(matchLen);
        ranges++;
      }
      aStart = alen;
    }
  }
  return ranges;
}

/** Value slots (see ValueSlots): the third argument, the fourth, every second from the third. */
const THIRD = { first: 2, last: 2, step: 1 };
const FOURTH = { first: 3, last: 3, step: 1 };
const PAIRS = { first: 2, last: -1, step: 2 };

export const stringCommands: readonly CommandDef<Client>[] = [
  { name: 'get', handler: get },
  { name: 'set', handler: set, values: THIRD },
  { name: 'setnx', handler: setnx, values: THIRD },
  { name: 'setex', handler: setex, values: FOURTH },
  { name: 'psetex', handler: psetex, values: FOURTH },
  { name: 'getex', handler: getex },
  { name: 'getdel', handler: getdel },
  { name: 'getset', handler: getset, values: THIRD },
  { name: 'mget', handler: mget },
  { name: 'mset', handler: mset, values: PAIRS },
  { name: 'msetnx', handler: msetnx, values: PAIRS },
  { name: 'incr', handler: incr },
  { name: 'decr', handler: decr },
  { name: 'incrby', handler: incrby },
  { name: 'decrby', handler: decrby },
  { name: 'incrbyfloat', handler: incrbyfloat },
  { name: 'append', handler: append, values: THIRD },
  { name: 'strlen', handler: strlen },
  { name: 'getrange', handler: getrange },
  { name: 'substr', handler: getrange },
  { name: 'setrange', handler: setrange, values: FOURTH },
  { name: 'lcs', handler: lcs },
];
