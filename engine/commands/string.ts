/**
 * The string family, as redis-server 7.0's t_string.c: GET/SET and their variants,
 * counters (INCR..., INCRBYFLOAT), ranges (GETRANGE, SETRANGE, APPEND) and LCS.
 *
 * Effects (ARCHITECTURE.md, "Effects") follow redis-server exactly: relative or absolute
 * expiries go out as `SET key value PXAT <ms>`, SET's GET option is dropped, GETEX as
 * PEXPIREAT/PERSIST/DEL, GETDEL as DEL, GETSET as SET, INCRBYFLOAT as SET ... KEEPTTL.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import {
  DECREMENT_OVERFLOW,
  INVALID_EXPIRE,
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
import { addLongDouble, formatLongDouble, parseLongDouble } from '../util/long-double.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';

/**
 * Largest string a command may build (APPEND, SETRANGE): redis-server's default
 * `proto-max-bulk-len`, capped by V8's own string limit (2^29 - 24 chars), above
 * which we answer with the same error rather than fail.
 */
const MAX_STRING_LENGTH = Math.min(512 * 1024 * 1024, (1 << 29) - 24);
/** redis-server refuses LCS tables (4 bytes a cell) larger than `proto-max-bulk-len`. */
const MAX_LCS_TABLE_BYTES = 512 * 1024 * 1024;

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
function parseOptions(c: Client, argv: string[], forSet: boolean): StringOptions | null {
  let flags = 0;
  let expire: string | undefined;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const opt = argv[j];
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
      expire = argv[++j];
    }
  }
  return { flags, expire };
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry in ms for an EX/PX/EXAT/PXAT
 * argument, or null after replying with the error (not an integer, not positive,
 * or overflowing int64 once scaled and made absolute).
 */
function expireAt(c: Client, arg: string, flags: number, command: string): Int64 | null {
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
  else if (typeof v !== 'string') {
    c.reply.error(WRONGTYPE);
    return false;
  } else c.reply.bulk(v);
  return true;
}

/**
 * setGenericCommand. `okReply`/`abortReply` are the integer replies (SETNX) for a performed or
 * an NX/XX-refused set (null: +OK and nil); with GET the old value is the reply.
 */
function setGeneric(
  c: Client,
  argv: string[],
  key: string,
  value: string,
  flags: number,
  expire: string | undefined,
  okReply: number | null,
  abortReply: number | null,
): void {
  let at: Int64 | null = null;
  if (expire !== undefined && (at = expireAt(c, expire, flags, argv[0])) === null) return;
  if (flags & GET && !replyValue(c, key)) return;
  const found = c.db.lookupWrite(key) !== undefined;
  if ((flags & NX && found) || (flags & XX && !found)) {
    if (flags & GET) return;
    if (abortReply === null) c.reply.nil();
    else c.reply.int(abortReply);
    return;
  }
  const e = c.db.set(key, value, (flags & KEEPTTL) !== 0);
  notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
  if (at !== null) {
    c.db.setExpire(e, at);
    notify(c.engine, NotifyFlag.Generic, 'expire', key, c.db.id);
    c.engine.rewriteEffect(['SET', key, value, 'PXAT', String(at)]);
  } else if (flags & GET) {
    c.engine.rewriteEffect(withoutGet(argv));
  }
  c.engine.modified(c.db, key);
  if (flags & GET) return;
  if (okReply === null) c.reply.ok();
  else c.reply.int(okReply);
}

/** SET's argv without its GET options, as redis-server propagates it. */
function withoutGet(argv: string[]): string[] {
  const out = argv.slice(0, 3);
  for (let j = 3; j < argv.length; j++) if (!isOption(argv[j], 'get')) out.push(argv[j]);
  return out;
}

function set(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    // The common case, kept free of option parsing.
    c.db.set(argv[1], argv[2]);
    c.engine.modified(c.db, argv[1]);
    notify(c.engine, NotifyFlag.String, 'set', argv[1], c.db.id);
    c.reply.ok();
    return;
  }
  const options = parseOptions(c, argv, true);
  if (options !== null) setGeneric(c, argv, argv[1], argv[2], options.flags, options.expire, null, null);
}

function setnx(c: Client, argv: string[]): void {
  setGeneric(c, argv, argv[1], argv[2], NX, undefined, 1, 0);
}

function setex(c: Client, argv: string[]): void {
  setGeneric(c, argv, argv[1], argv[3], EX, argv[2], null, null);
}

function psetex(c: Client, argv: string[]): void {
  setGeneric(c, argv, argv[1], argv[3], PX, argv[2], null, null);
}

function get(c: Client, argv: string[]): void {
  replyValue(c, argv[1]);
}

function getex(c: Client, argv: string[]): void {
  const options = parseOptions(c, argv, false);
  if (options === null) return;
  const key = argv[1];
  const v = c.db.lookupRead(key);
  if (v === undefined) return c.reply.nil();
  if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
  const { flags, expire } = options;
  let at: Int64 | null = null;
  if (expire !== undefined && (at = expireAt(c, expire, flags, argv[0])) === null) return;
  c.reply.bulk(v);
  const e = c.db.entry(key)!;
  if (at !== null && flags & (EXAT | PXAT) && at <= c.engine.now()) {
    // An absolute time already past deletes the key, as its expiry would.
    c.db.remove(e);
    c.engine.rewriteEffect(['DEL', key]);
    c.engine.modified(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'del', key, c.db.id);
  } else if (at !== null) {
    c.db.setExpire(e, at);
    c.engine.rewriteEffect(['PEXPIREAT', key, String(at)]);
    c.engine.modified(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'expire', key, c.db.id);
  } else if (flags & PERSIST && e.expireAt !== 0) {
    c.db.clearExpire(e);
    c.engine.rewriteEffect(['PERSIST', key]);
    c.engine.modified(c.db, key);
    notify(c.engine, NotifyFlag.Generic, 'persist', key, c.db.id);
  }
}

function getdel(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!replyValue(c, key) || !c.db.delete(key)) return;
  c.engine.rewriteEffect(['DEL', key]);
  c.engine.modified(c.db, key);
  notify(c.engine, NotifyFlag.Generic, 'del', key, c.db.id);
}

function getset(c: Client, argv: string[]): void {
  const key = argv[1];
  if (!replyValue(c, key)) return;
  c.db.set(key, argv[2]);
  notify(c.engine, NotifyFlag.String, 'set', key, c.db.id);
  c.engine.rewriteEffect(['SET', key, argv[2]]);
  c.engine.modified(c.db, key);
}

function mget(c: Client, argv: string[]): void {
  c.reply.array(argv.length - 1);
  for (let j = 1; j < argv.length; j++) {
    const v = c.db.lookupRead(argv[j]);
    if (typeof v === 'string') c.reply.bulk(v);
    else c.reply.nil();
  }
}

/** MSET and MSETNX: with `nx`, nothing is set if any key exists. */
function msetGeneric(c: Client, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) return c.reply.error(WRONG_ARGS(argv[0].toLowerCase()));
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (c.db.lookupWrite(argv[j]) !== undefined) return c.reply.int(0);
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    c.db.set(argv[j], argv[j + 1]);
    c.engine.modified(c.db, argv[j]);
    notify(c.engine, NotifyFlag.String, 'set', argv[j], c.db.id);
  }
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function mset(c: Client, argv: string[]): void {
  msetGeneric(c, argv, false);
}

function msetnx(c: Client, argv: string[]): void {
  msetGeneric(c, argv, true);
}

/** incrDecrCommand: adds `by` to the integer at `key` (0 when missing), keeping its TTL. */
function incrDecr(c: Client, key: string, by: Int64): void {
  const v = c.db.lookupWrite(key);
  let current: Int64 | null = 0;
  if (v !== undefined) {
    if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
    if ((current = parseInt64(v)) === null) return c.reply.error(NOT_INTEGER);
  }
  const sum = addInt64(current, by);
  if (sum === null) return c.reply.error(OVERFLOW);
  c.db.set(key, String(sum), true);
  c.engine.modified(c.db, key);
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
  const v = c.db.lookupWrite(key);
  if (v !== undefined && typeof v !== 'string') return c.reply.error(WRONGTYPE);
  const result = addFloatStrings(v ?? '0', argv[2]);
  if (result === NOT_FLOAT || result === NAN_OR_INFINITY) return c.reply.error(result);
  c.db.set(key, result, true, StringForm.NotInt);
  c.engine.modified(c.db, key);
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

function append(c: Client, argv: string[]): void {
  const key = argv[1];
  const suffix = argv[2];
  const v = c.db.lookupWrite(key);
  let length = suffix.length;
  if (v === undefined) {
    c.db.set(key, suffix);
  } else {
    if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
    length += v.length;
    if (length > MAX_STRING_LENGTH) return c.reply.error(STRING_TOO_LONG);
    c.db.set(key, v + suffix, true, StringForm.Raw);
  }
  c.engine.modified(c.db, key);
  notify(c.engine, NotifyFlag.String, 'append', key, c.db.id);
  c.reply.int(length);
}

function strlen(c: Client, argv: string[]): void {
  const v = c.db.lookupRead(argv[1]);
  if (v === undefined) return c.reply.int(0);
  if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
  c.reply.int(v.length);
}

function getrange(c: Client, argv: string[]): void {
  const startArg = parseInt64(argv[2]);
  const endArg = parseInt64(argv[3]);
  if (startArg === null || endArg === null) return c.reply.error(NOT_INTEGER);
  const v = c.db.lookupRead(argv[1]);
  if (v === undefined) return c.reply.bulk('');
  if (typeof v !== 'string') return c.reply.error(WRONGTYPE);
  // Past ±2^53 only the sign matters, so rounding to a double is harmless.
  let start = Number(startArg);
  let end = Number(endArg);
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return c.reply.bulk('');
  if (start < 0) start = Math.max(0, len + start);
  if (end < 0) end = Math.max(0, len + end);
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.reply.bulk('');
  c.reply.bulk(v.slice(start, end + 1));
}

function setrange(c: Client, argv: string[]): void {
  const key = argv[1];
  const patch = argv[3];
  const offsetArg = parseInt64(argv[2]);
  if (offsetArg === null) return c.reply.error(NOT_INTEGER);
  if (offsetArg < 0) return c.reply.error(OFFSET_OUT_OF_RANGE);
  const v = c.db.lookupWrite(key);
  if (v !== undefined && typeof v !== 'string') return c.reply.error(WRONGTYPE);
  const old = v ?? '';
  // Setting nothing changes nothing, not even creates the key.
  if (patch.length === 0) return c.reply.int(old.length);
  if (Number(offsetArg) + patch.length > MAX_STRING_LENGTH) return c.reply.error(STRING_TOO_LONG);
  const offset = Number(offsetArg);
  const head = offset <= old.length ? old.slice(0, offset) : old + '\0'.repeat(offset - old.length);
  const updated = head + patch + old.slice(offset + patch.length);
  // SETRANGE builds the value in place, so redis-server stores it "raw" even if new.
  c.db.set(key, updated, true, StringForm.Raw);
  c.engine.modified(c.db, key);
  notify(c.engine, NotifyFlag.String, 'setrange', key, c.db.id);
  c.reply.int(updated.length);
}

function lcs(c: Client, argv: string[]): void {
  const va = c.db.lookupRead(argv[1]);
  const vb = c.db.lookupRead(argv[2]);
  if ((va !== undefined && typeof va !== 'string') || (vb !== undefined && typeof vb !== 'string')) {
    return c.reply.error('ERR The specified keys must contain string values');
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
  if (idx && len) return c.reply.error('ERR If you want both the length and indexes, please just use IDX.');
  const a = va ?? '';
  const b = vb ?? '';
  if ((a.length + 1) * (b.length + 1) * 4 > MAX_LCS_TABLE_BYTES) {
    return c.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  const table = lcsTable(a, b);
  if (table === null) return c.reply.error('ERR Insufficient memory, failed allocating transient memory for LCS');
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
 * b[0..j). Lengths never exceed 65535 once the size limit has passed (the shorter
 * string is then below 11586 bytes), so 16-bit cells suffice. Null if out of memory.
 */
function lcsTable(a: string, b: string): Uint16Array | null {
  const width = b.length + 1;
  let table: Uint16Array;
  try {
    table = new Uint16Array((a.length + 1) * width);
  } catch {
    return null;
  }
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const up = row - width;
    for (let j = 1; j < width; j++) {
      if (ca === b.charCodeAt(j - 1)) table[row + j] = table[up + j - 1] + 1;
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
  a: string,
  b: string,
  table: Uint16Array,
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
    const ch = a.charCodeAt(i - 1);
    if (ch === b.charCodeAt(j - 1)) {
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

export const stringCommands: readonly CommandDef<Client>[] = [
  { name: 'get', handler: get },
  { name: 'set', handler: set },
  { name: 'setnx', handler: setnx },
  { name: 'setex', handler: setex },
  { name: 'psetex', handler: psetex },
  { name: 'getex', handler: getex },
  { name: 'getdel', handler: getdel },
  { name: 'getset', handler: getset },
  { name: 'mget', handler: mget },
  { name: 'mset', handler: mset },
  { name: 'msetnx', handler: msetnx },
  { name: 'incr', handler: incr },
  { name: 'decr', handler: decr },
  { name: 'incrby', handler: incrby },
  { name: 'decrby', handler: decrby },
  { name: 'incrbyfloat', handler: incrbyfloat },
  { name: 'append', handler: append },
  { name: 'strlen', handler: strlen },
  { name: 'getrange', handler: getrange },
  { name: 'substr', handler: getrange },
  { name: 'setrange', handler: setrange },
  { name: 'lcs', handler: lcs },
];
