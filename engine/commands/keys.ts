/**
 * The generic keyspace commands (redis-server's db.c and expire.c): DEL, UNLINK,
 * EXISTS, TYPE, TOUCH, the EXPIRE and TTL families, PERSIST, RENAME(NX), COPY,
 * MOVE, SWAPDB, KEYS, SCAN, RANDOMKEY and OBJECT.
 *
 * Effects: every expiry change goes out as `PEXPIREAT key <absolute ms>` (its
 * NX/XX/GT/LT condition already decided here), an expiry in the past as `DEL key`;
 * the other writes are deterministic and go out as they are.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db, Entry } from '../keyspace.js';
import { StringForm, typeOf } from '../keyspace.js';
import {
  DB_INDEX_OUT_OF_RANGE,
  EXPIRE_GT_AND_LT,
  EXPIRE_NX_AND_XX_GT_LT,
  EXPIRE_UNSUPPORTED_OPTION,
  INT_OUT_OF_RANGE,
  INVALID_CURSOR,
  INVALID_EXPIRE,
  INVALID_FIRST_DB,
  INVALID_SECOND_DB,
  LFU_NOT_SELECTED,
  LFU_SELECTED,
  NO_SUCH_KEY,
  NOT_INTEGER,
  SAME_OBJECT,
  SYNTAX,
} from '../errors.js';
import { globMatch } from '../glob.js';
import { replyHelp } from '../help.js';
import { cString } from '../util/c-string.js';
import { lfuCounter } from '../lfu.js';
import { parseScanCursor, parseScanOptionsOrReply } from '../scan.js';
import { compareInt64, INT64_MAX, parseInt64, type Int64 } from '../util/int64.js';
import { notify, NotifyFlag } from '../notify.js';

// ---------------------------------------------------------------- DEL, EXISTS, ...

function del(c: Client, argv: string[]): void {
  const db = c.db;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const e = db.entry(argv[i]);
    if (e === undefined) continue;
    db.remove(e);
    c.engine.keyChanged(db, argv[i]);
    notify(c.engine, NotifyFlag.Generic, 'del', argv[i], db.id);
    deleted++;
  }
  c.reply.int(deleted);
}

function exists(c: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.inspect(argv[i]) !== undefined) count++;
  c.reply.int(count);
}

function touch(c: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.lookupRead(argv[i]) !== undefined) count++;
  c.reply.int(count);
}

function typeCommand(c: Client, argv: string[]): void {
  const e = c.db.inspect(argv[1]);
  c.reply.simple(e === undefined ? 'none' : typeOf(e.value));
}

// ---------------------------------------------------------------- expiry

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** The NX/XX/GT/LT flags from argv[3] on, or -1 after replying the error. */
function parseExpireFlagsOrReply(c: Client, argv: string[]): number {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    if (opt === 'nx') flags |= EXPIRE_NX;
    else if (opt === 'xx') flags |= EXPIRE_XX;
    else if (opt === 'gt') flags |= EXPIRE_GT;
    else if (opt === 'lt') flags |= EXPIRE_LT;
    else {
      c.reply.error(EXPIRE_UNSUPPORTED_OPTION(argv[i]));
      return -1;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.reply.error(EXPIRE_NX_AND_XX_GT_LT);
    return -1;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.reply.error(EXPIRE_GT_AND_LT);
    return -1;
  }
  return flags;
}

const SECONDS_LIMIT = INT64_MAX / 1000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `input` (seconds or ms) plus `basetime` as an absolute time in ms, or null when
 * the unit conversion or the addition leaves int64 (redis-server's overflow checks).
 */
function absoluteExpire(input: Int64, basetime: number, seconds: boolean): Int64 | null {
  if (typeof input === 'number') {
    const ms = seconds ? input * 1000 : input;
    const when = ms + basetime;
    if (Number.isSafeInteger(ms) && Number.isSafeInteger(when)) return when;
  }
  let when = BigInt(input);
  if (seconds) {
    if (when > SECONDS_LIMIT || when < -SECONDS_LIMIT) return null;
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(basetime)) return null;
  when += BigInt(basetime);
  return when >= -MAX_SAFE && when <= MAX_SAFE ? Number(when) : when;
}

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (expireGenericCommand). */
function expireGeneric(c: Client, argv: string[], relative: boolean, seconds: boolean): void {
  const flags = parseExpireFlagsOrReply(c, argv);
  if (flags < 0) return;
  const input = parseInt64(argv[2]);
  if (input === null) return c.reply.error(NOT_INTEGER);
  const engine = c.engine;
  const when = absoluteExpire(input, relative ? engine.now() : 0, seconds);
  if (when === null) return c.reply.error(INVALID_EXPIRE(argv[0].toLowerCase()));

  const db = c.db;
  const key = argv[1];
  if (db.lookupWrite(key) === undefined) return c.reply.int(0);
  const e = db.peek(key)!;
  if (flags !== 0) {
    const current: Int64 = e.expireAt === 0 ? -1 : db.expireTime(e);
    if (flags & EXPIRE_NX && current !== -1) return c.reply.int(0);
    if (flags & EXPIRE_XX && current === -1) return c.reply.int(0);
    // No expiry counts as an infinite one: never less than, never exceeded.
    if (flags & EXPIRE_GT && (current === -1 || compareInt64(when, current) <= 0)) return c.reply.int(0);
    if (flags & EXPIRE_LT && current !== -1 && compareInt64(when, current) >= 0) return c.reply.int(0);
  }

  if (compareInt64(when, engine.now()) <= 0) {
    // Already expired: the key goes now, and replicas see a plain DEL.
    db.remove(e);
    engine.keyChanged(db, key);
    notify(engine, NotifyFlag.Generic, 'del', key, db.id);
    engine.rewriteEffect(['DEL', key]);
    c.reply.int(1);
  } else {
    db.setExpire(e, when);
    engine.keyChanged(db, key);
    engine.rewriteEffect(['PEXPIREAT', key, String(when)]);
    // redis-server replies before this event (the deletion's comes before its reply).
    c.reply.int(1);
    notify(engine, NotifyFlag.Generic, 'expire', key, db.id);
  }
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME (ttlGenericCommand). */
function ttlGeneric(c: Client, key: string, ms: boolean, absolute: boolean): void {
  const db = c.db;
  const e = db.inspect(key);
  if (e === undefined) return c.reply.int(-2);
  if (e.expireAt === 0) return c.reply.int(-1);
  const expire = db.expireTime(e);
  if (typeof expire === 'number') {
    const ttl = Math.max(absolute ? expire : expire - c.engine.now(), 0);
    c.reply.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
  } else {
    const ttl = absolute ? expire : expire - BigInt(c.engine.now());
    c.reply.int(ms ? ttl : (ttl + 500n) / 1000n);
  }
}

function persist(c: Client, argv: string[]): void {
  const db = c.db;
  if (db.lookupWrite(argv[1]) === undefined) return c.reply.int(0);
  const e = db.peek(argv[1])!;
  if (e.expireAt === 0) return c.reply.int(0);
  db.clearExpire(e);
  c.engine.keyChanged(db, argv[1]);
  notify(c.engine, NotifyFlag.Generic, 'persist', argv[1], db.id);
  c.reply.int(1);
}

// ---------------------------------------------------------------- RENAME, COPY, MOVE

/**
 * Stores `src`'s value under `key` in `dst` (which must not hold `key`), keeping
 * its expiry and access word: the value object moves, as in redis-server.
 */
function addMoved(from: Db, src: Entry, dst: Db, key: string): Entry {
  const e = dst.set(key, src.value, false, src.form);
  e.lru = src.lru;
  if (src.expireAt !== 0) dst.setExpire(e, from.expireTime(src));
  return e;
}

function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const db = c.db;
  const [, from, to] = argv;
  if (db.lookupWrite(from) === undefined) return c.reply.error(NO_SUCH_KEY);
  if (from === to) return nx ? c.reply.int(0) : c.reply.ok();
  const src = db.peek(from)!;
  if (db.lookupWrite(to) !== undefined) {
    if (nx) return c.reply.int(0);
    db.delete(to);
  }
  addMoved(db, src, db, to);
  db.remove(src);
  c.engine.keyChanged(db, from, 0);
  c.engine.keyChanged(db, to);
  notify(c.engine, NotifyFlag.Generic, 'rename_from', from, db.id);
  notify(c.engine, NotifyFlag.Generic, 'rename_to', to, db.id);
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/**
 * A C int argument (getIntFromObjectOrReply), or null after replying the error:
 * `message` for every failure if given, else redis-server's two default texts.
 */
function intArgumentOrReply(c: Client, arg: string, message?: string): number | null {
  const n = parseInt64(arg);
  if (n === null || typeof n === 'bigint' || n > INT_MAX || n < INT_MIN) {
    c.reply.error(message ?? (n === null ? NOT_INTEGER : INT_OUT_OF_RANGE));
    return null;
  }
  return n;
}

/**
 * A db index argument (getIntFromObjectOrReply, then selectDb's range check), or
 * null after replying the error.
 */
function dbArgumentOrReply(c: Client, arg: string): Db | null {
  const index = intArgumentOrReply(c, arg);
  if (index === null) return null;
  const db = c.engine.dbs[index];
  if (index < 0 || db === undefined) {
    c.reply.error(DB_INDEX_OUT_OF_RANGE);
    return null;
  }
  return db;
}

function move(c: Client, argv: string[]): void {
  const src = c.db;
  const dst = dbArgumentOrReply(c, argv[2]);
  if (dst === null) return;
  if (dst === src) return c.reply.error(SAME_OBJECT);
  const key = argv[1];
  if (src.lookupWrite(key) === undefined) return c.reply.int(0);
  const e = src.peek(key)!;
  if (dst.lookupWrite(key) !== undefined) return c.reply.int(0);
  addMoved(src, e, dst, key);
  src.remove(e);
  c.engine.keyChanged(src, key, 0);
  c.engine.keyChanged(dst, key);
  notify(c.engine, NotifyFlag.Generic, 'move_from', key, src.id);
  notify(c.engine, NotifyFlag.Generic, 'move_to', key, dst.id);
  c.reply.int(1);
}

function swapdb(c: Client, argv: string[]): void {
  const first = intArgumentOrReply(c, argv[1], INVALID_FIRST_DB);
  if (first === null) return;
  const second = intArgumentOrReply(c, argv[2], INVALID_SECOND_DB);
  if (second === null) return;
  const dbs = c.engine.dbs;
  if (first < 0 || first >= dbs.length || second < 0 || second >= dbs.length) return c.reply.error(DB_INDEX_OUT_OF_RANGE);
  if (first !== second) {
    // Watchers of a key present on either side see it change (before the swap, as redis-server).
    c.engine.watches.touchDb(dbs[first], dbs[second]);
    c.engine.watches.touchDb(dbs[second], dbs[first]);
    dbs[first].swapContents(dbs[second]);
    // Clients blocked in either db now see the other db's keys.
    c.engine.blocking.signalDb(dbs[first]);
    c.engine.blocking.signalDb(dbs[second]);
  }
  // Even swapping a db with itself counts as a change and is propagated.
  c.engine.changed();
  c.reply.ok();
}

function copy(c: Client, argv: string[]): void {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    if (opt === 'replace') {
      replace = true;
    } else if (opt === 'db' && i + 1 < argv.length) {
      const db = dbArgumentOrReply(c, argv[++i]);
      if (db === null) return;
      dst = db;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  const [, from, to] = argv;
  if (src === dst && from === to) return c.reply.error(SAME_OBJECT);
  const value = src.lookupRead(from);
  if (value === undefined) return c.reply.int(0);
  const e = src.peek(from)!;
  if (dst.lookupWrite(to) !== undefined) {
    if (!replace) return c.reply.int(0);
    dst.delete(to);
  }
  // A duplicated string keeps its encoding but is never a shared integer.
  const form = e.form === StringForm.Auto ? StringForm.Unshared : e.form;
  const copied = dst.set(to, typeof value === 'string' ? value : value.clone(), false, form);
  if (e.expireAt !== 0) dst.setExpire(copied, src.expireTime(e));
  c.engine.keyChanged(dst, to);
  notify(c.engine, NotifyFlag.Generic, 'copy_to', to, dst.id);
  c.reply.int(1);
}

// ---------------------------------------------------------------- KEYS, SCAN, RANDOMKEY

function keysCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const pattern = argv[1];
  const all = pattern === '*';
  const found: string[] = [];
  // Logically expired keys are skipped, not deleted (deleting while iterating is unsafe in redis-server).
  for (const e of db.entries()) {
    if ((all || globMatch(pattern, e.key)) && !db.isExpired(e)) found.push(e.key);
  }
  c.reply.bulks(found);
}

function scan(c: Client, argv: string[]): void {
  const cursor = parseScanCursor(argv[1]);
  if (cursor === null) return c.reply.error(INVALID_CURSOR);
  const options = parseScanOptionsOrReply(c, argv, 2, true);
  if (options === null) return;
  const db = c.db;
  const visited: Entry[] = [];
  const next = db.scan(cursor, options.count, (e) => visited.push(e));
  const { pattern, type } = options;
  const wantedType = type === null ? null : cString(type).toLowerCase();
  const found: string[] = [];
  for (const e of visited) {
    const key = e.key;
    if (pattern !== null && !globMatch(pattern, key)) continue;
    if (wantedType !== null) {
      // As redis-server: a lookup (which may expire the key, whose type is then "none").
      const live = db.inspect(key);
      if ((live === undefined ? 'none' : typeOf(live.value)) !== wantedType) continue;
    }
    const stored = db.peek(key);
    if (stored !== undefined && db.isExpired(stored)) {
      db.entry(key); // deletes it
      continue;
    }
    found.push(key);
  }
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.bulks(found);
}

function randomkey(c: Client): void {
  const db = c.db;
  for (;;) {
    const e = db.randomEntry();
    if (e === undefined) return c.reply.nil();
    // An expired pick is deleted and another one drawn.
    if (db.entry(e.key) !== undefined) return c.reply.bulk(e.key);
  }
}

// ---------------------------------------------------------------- OBJECT

/** redis-server's OBJ_SHARED_REFCOUNT: shared integers 0..9999 report it. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000;
/** Longest string stored embedded in its object header (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_SIZE_LIMIT = 44;

/**
 * OBJECT ENCODING of a string: what redis-server's tryObjectEncoding gives a value
 * stored by SET ("int" for a canonical 64-bit integer, "embstr" up to 44 bytes,
 * else "raw"), unless the value was built another way (`StringForm`).
 */
function stringEncoding(v: string, form: StringForm): string {
  if (form === StringForm.Raw) return 'raw';
  if (form !== StringForm.NotInt && v.length <= 20 && parseInt64(v) !== null) return 'int';
  return v.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw';
}

/** OBJECT REFCOUNT of a string: SET shares the integers 0..9999, everything else has one owner. */
function stringRefcount(v: string, form: StringForm): number {
  if (form !== StringForm.Auto || v.length > 4) return 1;
  const n = parseInt64(v);
  return n !== null && n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}

const OBJECT_HELP = [
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
];


/** OBJECT's key lookup: a null reply when the key is missing. */
function objectLookupOrReply(c: Client, key: string): Entry | undefined {
  const e = c.db.inspect(key, false);
  if (e === undefined) c.reply.nil();
  return e;
}

function objectHelp(c: Client, argv: string[]): void {
  replyHelp(c.reply, argv[0], OBJECT_HELP);
}

function objectEncoding(c: Client, argv: string[]): void {
  const e = objectLookupOrReply(c, argv[2]);
  if (e === undefined) return;
  const v = e.value;
  c.reply.bulk(typeof v === 'string' ? stringEncoding(v, e.form) : v.encoding());
}

function objectRefcount(c: Client, argv: string[]): void {
  const e = objectLookupOrReply(c, argv[2]);
  if (e === undefined) return;
  c.reply.int(typeof e.value === 'string' ? stringRefcount(e.value, e.form) : 1);
}

function objectIdletime(c: Client, argv: string[]): void {
  const e = objectLookupOrReply(c, argv[2]);
  if (e === undefined) return;
  if (c.engine.lfuMode) return c.reply.error(LFU_SELECTED);
  c.reply.int(c.engine.idleSeconds(e));
}

function objectFreq(c: Client, argv: string[]): void {
  const e = objectLookupOrReply(c, argv[2]);
  if (e === undefined) return;
  const engine = c.engine;
  if (!engine.lfuMode) return c.reply.error(LFU_NOT_SELECTED);
  c.reply.int(lfuCounter(e.lru, engine.now(), engine.lfuDecayTime));
}

export const keysCommands: readonly CommandDef<Client>[] = [
  { name: 'del', handler: del },
  { name: 'unlink', handler: del },
  { name: 'exists', handler: exists },
  { name: 'touch', handler: touch },
  { name: 'type', handler: typeCommand },
  { name: 'expire', handler: (c, argv) => expireGeneric(c, argv, true, true) },
  { name: 'pexpire', handler: (c, argv) => expireGeneric(c, argv, true, false) },
  { name: 'expireat', handler: (c, argv) => expireGeneric(c, argv, false, true) },
  { name: 'pexpireat', handler: (c, argv) => expireGeneric(c, argv, false, false) },
  { name: 'ttl', handler: (c, argv) => ttlGeneric(c, argv[1], false, false) },
  { name: 'pttl', handler: (c, argv) => ttlGeneric(c, argv[1], true, false) },
  { name: 'expiretime', handler: (c, argv) => ttlGeneric(c, argv[1], false, true) },
  { name: 'pexpiretime', handler: (c, argv) => ttlGeneric(c, argv[1], true, true) },
  { name: 'persist', handler: persist },
  { name: 'rename', handler: (c, argv) => renameGeneric(c, argv, false) },
  { name: 'renamenx', handler: (c, argv) => renameGeneric(c, argv, true) },
  { name: 'move', handler: move },
  { name: 'copy', handler: copy },
  { name: 'swapdb', handler: swapdb },
  { name: 'keys', handler: keysCommand },
  { name: 'scan', handler: scan },
  { name: 'randomkey', handler: randomkey },
  { name: 'object|help', handler: objectHelp },
  { name: 'object|encoding', handler: objectEncoding },
  { name: 'object|refcount', handler: objectRefcount },
  { name: 'object|idletime', handler: objectIdletime },
  { name: 'object|freq', handler: objectFreq },
];
