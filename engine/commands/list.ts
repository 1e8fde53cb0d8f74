/**
 * The list family, as redis-server 7.0's t_list.c: pushes and pops at both ends
 * (with counts), indexed access, LINSERT/LREM/LSET/LTRIM, LPOS, LMOVE/RPOPLPUSH,
 * LMPOP, and the blocking BLPOP, BRPOP, BRPOPLPUSH, BLMOVE and BLMPOP.
 *
 * Argument errors, reply shapes (RESP2 and RESP3 nulls) and the order in which
 * things are checked follow redis-server, as do the effects (ARCHITECTURE.md, "Effects"):
 * LMPOP goes out as `LPOP|RPOP key n`; a blocking command served at once as its
 * non-blocking form (BLPOP as `LPOP key`, BRPOPLPUSH as `RPOPLPUSH`, BLMOVE as
 * `LMOVE` with the directions as typed); one served after waiting propagates its own
 * effect explicitly (BLMOVE then as `LMOVE src dst left|right left|right`, in the
 * lower case redis-server's shared objects have).
 *
 * A list that becomes empty is deleted. A blocked client waits only on keys that do
 * not hold a list; it is served after the command that makes one appear, in the
 * order clients blocked (engine/blocking.ts).
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import {
  COUNT_NOT_POSITIVE,
  LPOS_COUNT_NEGATIVE,
  LPOS_MAXLEN_NEGATIVE,
  LPOS_RANK_ZERO,
  MUST_BE_POSITIVE,
  NO_SUCH_KEY,
  NOT_INTEGER,
  NUMKEYS_NOT_POSITIVE,
  OUT_OF_RANGE,
  SYNTAX,
  WRONG_ARGS,
  WRONGTYPE,
} from '../errors.js';
import { List } from '../types/list.js';
import { parseInt64 } from '../util/int64.js';
import { parseSecondsTimeout } from '../util/timeout.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';
import { ListRangeReply, MEASURED_FROM, streamsListRange } from '../streamed-reply.js';


/** LLONG_MIN, the one RANK whose negation overflows (see lpos). */
const LONG_MIN = -9223372036854775808n;

/**
 * getLongFromObjectOrReply: an int64 as a JS number (exact below 2^53, which every
 * list index or count that can matter is), or null after replying `error`.
 */
function parseLongOrReply(c: Client, arg: string, error = NOT_INTEGER): number | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.reply.error(error);
    return null;
  }
  return Number(v);
}

/** getRangeLongFromObjectOrReply with one message for both failures, as its callers here pass one. */
function parseAtLeastOrReply(c: Client, arg: string, min: number, error: string): number | null {
  const v = parseInt64(arg);
  if (v === null || v < min) {
    c.reply.error(error);
    return null;
  }
  return Number(v);
}

/** LEFT|RIGHT (getListPositionFromObjectOrReply): true for LEFT (the head), null after a syntax error. */
function parseSideOrReply(c: Client, arg: string): boolean | null {
  if (isOption(arg, 'left')) return true;
  if (isOption(arg, 'right')) return false;
  c.reply.error(SYNTAX);
  return null;
}

/** The timeout of a blocking command in ms (0: forever), or null after replying the error. */
function parseTimeoutOrReply(c: Client, arg: string): number | null {
  const t = parseSecondsTimeout(arg, c.engine.now());
  if (typeof t === 'string') {
    c.reply.error(t);
    return null;
  }
  return t;
}

/**
 * The list at `key` for a command that changes it: undefined when the key is
 * missing, null after a WRONGTYPE reply.
 */
function writableListOrReply(c: Client, db: Db, key: string): List | undefined | null {
  const v = db.lookupWrite(key);
  if (v === undefined || v instanceof List) return v;
  c.reply.error(WRONGTYPE);
  return null;
}

/** The same for a command that only reads it (counts keyspace hits and misses). */
function readableListOrReply(c: Client, key: string): List | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || v instanceof List) return v;
  c.reply.error(WRONGTYPE);
  return null;
}

/**
 * Records that `n` elements left the list at `key` by `event` (lpop, rpop, lrem,
 * ltrim), deleting the key when the list is empty (listElementsRemoved): the event,
 * then `del` for a deleted key.
 */
function removed(c: Client, db: Db, key: string, list: List, n: number, event: string): void {
  notify(c.engine, NotifyFlag.List, event, key, db.id);
  if (list.length === 0) {
    db.delete(key);
    notify(c.engine, NotifyFlag.Generic, 'del', key, db.id);
  }
  c.engine.keyChanged(db, key, n);
}

/** redis-server's event names of the two ends. */
const popEvent = (head: boolean): string => (head ? 'lpop' : 'rpop');
const pushEvent = (head: boolean): string => (head ? 'lpush' : 'rpush');

/** Pushes onto the list at `key`, creating it (lmoveHandlePush / pushGenericCommand). */
function listForPush(db: Db, key: string, existing: List | undefined): List {
  if (existing !== undefined) return existing;
  const list = new List();
  db.set(key, list);
  return list;
}

/** redis-server's effect names (shared.lpop, shared.rpop). */
const popName = (head: boolean): string => (head ? 'LPOP' : 'RPOP');
/** BLMOVE served after waiting propagates shared.left / shared.right, in lower case. */
const sideName = (head: boolean): string => (head ? 'left' : 'right');

/** Pops `n` elements (n <= length) from one end, each written as a bulk in popping order. */
function popInto(c: Client, list: List, n: number, head: boolean): void {
  c.reply.array(n);
  for (let i = 0; i < n; i++) c.reply.bulk(list.pop(head)!);
}

/** addListRangeReply: the elements from start to end (inclusive, negative from the tail); a long range is streamed (engine/streamed-reply.ts). */
function replyRange(c: Client, list: List, start: number, end: number): void {
  const length = list.length;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return c.reply.array(0);
  if (end >= length) end = length - 1;
  const n = end - start + 1;
  const reply = c.reply;
  reply.array(n);
  if (n >= MEASURED_FROM && reply.canStream && streamsListRange(list, start, n)) return reply.stream(new ListRangeReply(list.freezeRange(start, n), c.engine.streamedReplies));
  list.visitRange(start, n, (values, from, to) => reply.bulkRun(values, from, to));
}

// ---------------------------------------------------------------- push

function push(c: Client, argv: string[], head: boolean, onlyExisting: boolean): void {
  const db = c.db;
  const key = argv[1];
  const existing = writableListOrReply(c, db, key);
  if (existing === null) return;
  if (existing === undefined && onlyExisting) return c.reply.int(0);
  const list = listForPush(db, key, existing);
  for (let j = 2; j < argv.length; j++) list.push(argv[j], head);
  c.reply.int(list.length);
  c.engine.keyChanged(db, key, argv.length - 2);
  notify(c.engine, NotifyFlag.List, pushEvent(head), key, db.id);
}

function linsert(c: Client, argv: string[]): void {
  let after: boolean;
  if (isOption(argv[2], 'after')) after = true;
  else if (isOption(argv[2], 'before')) after = false;
  else return c.reply.error(SYNTAX);
  const list = writableListOrReply(c, c.db, argv[1]);
  if (list === null) return;
  if (list === undefined) return c.reply.int(0);
  const pivot = argv[3];
  const cursor = list.cursor(0, false);
  for (let i = 0; i < list.length; i++) {
    if (cursor.next() === pivot) {
      list.insert(after ? i + 1 : i, argv[4]);
      c.engine.keyChanged(c.db, argv[1]);
      notify(c.engine, NotifyFlag.List, 'linsert', argv[1], c.db.id);
      return c.reply.int(list.length);
    }
  }
  c.reply.int(-1);
}

// ---------------------------------------------------------------- read

function llen(c: Client, argv: string[]): void {
  const list = readableListOrReply(c, argv[1]);
  if (list !== null) c.reply.int(list === undefined ? 0 : list.length);
}

/**
 * A list index as quicklist resolves it: from the head when >= 0, from the tail when
 * negative; -1 when it falls outside the list.
 */
function resolveIndex(list: List, index: number): number {
  const i = index < 0 ? list.length + index : index;
  return i >= 0 && i < list.length ? i : -1;
}

function lindex(c: Client, argv: string[]): void {
  const list = readableListOrReply(c, argv[1]);
  if (list === null) return;
  if (list === undefined) return c.reply.nil();
  const index = parseLongOrReply(c, argv[2]);
  if (index === null) return;
  const i = resolveIndex(list, index);
  if (i < 0) c.reply.nil();
  else c.reply.bulk(list.at(i)!);
}

function lrange(c: Client, argv: string[]): void {
  const start = parseLongOrReply(c, argv[2]);
  if (start === null) return;
  const end = parseLongOrReply(c, argv[3]);
  if (end === null) return;
  const list = readableListOrReply(c, argv[1]);
  if (list === null) return;
  if (list === undefined) return c.reply.array(0);
  replyRange(c, list, start, end);
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(c: Client, argv: string[]): void {
  let rank = 1;
  let count = -1; // -1: no COUNT option
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const more = j < argv.length - 1;
    if (isOption(opt, 'rank') && more) {
      const v = parseInt64(argv[++j]);
      if (v === null) return c.reply.error(NOT_INTEGER);
      if (v === 0) return c.reply.error(LPOS_RANK_ZERO);
      // -LLONG_MIN overflows to itself in C: a "negative" rank every match reaches
      // and a COUNT that is never reached, i.e. all matches from the tail.
      rank = v === LONG_MIN ? Number.NEGATIVE_INFINITY : Number(v);
    } else if (isOption(opt, 'count') && more) {
      const v = parseAtLeastOrReply(c, argv[++j], 0, LPOS_COUNT_NEGATIVE);
      if (v === null) return;
      count = v;
    } else if (isOption(opt, 'maxlen') && more) {
      const v = parseAtLeastOrReply(c, argv[++j], 0, LPOS_MAXLEN_NEGATIVE);
      if (v === null) return;
      maxlen = v;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  const list = readableListOrReply(c, argv[1]);
  if (list === null) return;
  if (list === undefined) return count !== -1 ? c.reply.array(0) : c.reply.nil();
  const fromTail = rank < 0;
  const unlimited = rank === Number.NEGATIVE_INFINITY;
  if (fromTail) rank = unlimited ? 1 : -rank;
  const length = list.length;
  const element = argv[2];
  const found: number[] = [];
  const cursor = list.cursor(fromTail ? length - 1 : 0, fromTail);
  const scan = maxlen === 0 ? length : Math.min(maxlen, length);
  let matches = 0;
  for (let index = 0; index < scan; index++) {
    if (cursor.next() !== element || ++matches < rank) continue;
    found.push(fromTail ? length - index - 1 : index);
    if (count === -1 || (count !== 0 && !unlimited && matches - rank + 1 >= count)) break;
  }
  if (count !== -1) {
    c.reply.array(found.length);
    for (const i of found) c.reply.int(i);
  } else if (found.length > 0) {
    c.reply.int(found[0]);
  } else {
    c.reply.nil();
  }
}

// ---------------------------------------------------------------- write in place

function lset(c: Client, argv: string[]): void {
  const v = c.db.lookupWrite(argv[1]);
  if (v === undefined) return c.reply.error(NO_SUCH_KEY);
  if (!(v instanceof List)) return c.reply.error(WRONGTYPE);
  const index = parseLongOrReply(c, argv[2]);
  if (index === null) return;
  const i = resolveIndex(v, index);
  if (i < 0) return c.reply.error(OUT_OF_RANGE);
  v.set(i, argv[3]);
  c.reply.ok();
  c.engine.keyChanged(c.db, argv[1]);
  notify(c.engine, NotifyFlag.List, 'lset', argv[1], c.db.id);
}

function lrem(c: Client, argv: string[]): void {
  const toRemove = parseLongOrReply(c, argv[2]);
  if (toRemove === null) return;
  const key = argv[1];
  const list = writableListOrReply(c, c.db, key);
  if (list === null) return;
  if (list === undefined) return c.reply.int(0);
  const n = list.removeMatching(argv[3], Math.abs(toRemove), toRemove < 0);
  if (n > 0) removed(c, c.db, key, list, n, 'lrem');
  c.reply.int(n);
}

function ltrim(c: Client, argv: string[]): void {
  let start = parseLongOrReply(c, argv[2]);
  if (start === null) return;
  let end = parseLongOrReply(c, argv[3]);
  if (end === null) return;
  const key = argv[1];
  const list = writableListOrReply(c, c.db, key);
  if (list === null) return;
  if (list === undefined) return c.reply.ok();
  const length = list.length;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  let front: number;
  let back: number;
  if (start > end || start >= length) {
    front = length;
    back = 0;
  } else {
    if (end >= length) end = length - 1;
    front = start;
    back = length - end - 1;
  }
  list.trim(front, back);
  // Trimming nothing changes nothing: not counted, so not propagated either.
  removed(c, c.db, key, list, front + back, 'ltrim');
  c.reply.ok();
}

// ---------------------------------------------------------------- pop

function pop(c: Client, argv: string[], head: boolean): void {
  if (argv.length > 3) return c.reply.error(WRONG_ARGS(argv[0].toLowerCase()));
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const v = parseAtLeastOrReply(c, argv[2], 0, MUST_BE_POSITIVE);
    if (v === null) return;
    count = v;
  }
  const key = argv[1];
  const list = writableListOrReply(c, c.db, key);
  if (list === null) return;
  if (list === undefined) return hasCount ? c.reply.nilArray() : c.reply.nil();
  if (!hasCount) {
    c.reply.bulk(list.pop(head)!);
    return removed(c, c.db, key, list, 1, popEvent(head));
  }
  if (count === 0) return c.reply.array(0);
  const n = Math.min(count, list.length);
  popInto(c, list, n, head);
  removed(c, c.db, key, list, n, popEvent(head));
}

/**
 * Pops up to `count` elements from the list at `key` and replies `[key, [elements]]`
 * (listPopRangeAndReplyWithKey); returns how many it popped.
 */
function popWithKey(c: Client, db: Db, key: string, list: List, head: boolean, count: number): number {
  const n = Math.min(count, list.length);
  c.reply.array(2);
  c.reply.bulk(key);
  popInto(c, list, n, head);
  removed(c, db, key, list, n, popEvent(head));
  return n;
}

/** The parsed arguments of LMPOP and BLMPOP. */
interface MpopArgs {
  keys: string[];
  head: boolean;
  count: number;
}

/** LMPOP/BLMPOP: numkeys at argv[at], the keys, LEFT|RIGHT, [COUNT n]; null after an error reply. */
function parseMpopOrReply(c: Client, argv: string[], at: number): MpopArgs | null {
  const numkeys = parseAtLeastOrReply(c, argv[at], 1, NUMKEYS_NOT_POSITIVE);
  if (numkeys === null) return null;
  const sideAt = at + numkeys + 1;
  if (sideAt >= argv.length) {
    c.reply.error(SYNTAX);
    return null;
  }
  const head = parseSideOrReply(c, argv[sideAt]);
  if (head === null) return null;
  let count = -1;
  for (let j = sideAt + 1; j < argv.length; j++) {
    if (count === -1 && isOption(argv[j], 'count') && j < argv.length - 1) {
      const v = parseAtLeastOrReply(c, argv[++j], 1, COUNT_NOT_POSITIVE);
      if (v === null) return null;
      count = v;
    } else {
      c.reply.error(SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(at + 1, sideAt), head, count: count === -1 ? 1 : count };
}

/**
 * The first key holding a list among `keys` (missing keys are skipped), undefined
 * when there is none, null after a WRONGTYPE reply for a key of another type met first.
 */
function firstListOrReply(c: Client, keys: readonly string[]): { key: string; list: List } | undefined | null {
  for (const key of keys) {
    const list = writableListOrReply(c, c.db, key);
    if (list === null) return null;
    if (list !== undefined) return { key, list };
  }
  return undefined;
}

function lmpop(c: Client, argv: string[]): void {
  const args = parseMpopOrReply(c, argv, 1);
  if (args === null) return;
  const found = firstListOrReply(c, args.keys);
  if (found === null) return;
  if (found === undefined) return c.reply.nilArray();
  const n = popWithKey(c, c.db, found.key, found.list, args.head, args.count);
  c.engine.rewriteEffect([popName(args.head), found.key, String(n)]);
}

// ---------------------------------------------------------------- move

/**
 * lmoveGenericCommand: pops from `src`, pushes onto `dst`, replies the element.
 * `effect` replaces the command's own effect (a blocking form served at once).
 */
function lmove(c: Client, src: string, dst: string, from: boolean, to: boolean, effect: string[] | null): void {
  const db = c.db;
  const source = writableListOrReply(c, db, src);
  if (source === null) return;
  if (source === undefined) return c.reply.nil();
  const target = writableListOrReply(c, db, dst);
  if (target === null) return;
  moveOne(c, db, src, source, dst, target, from, to, 1);
  if (effect !== null) c.engine.rewriteEffect(effect);
}

/** Moves one element between lists already looked up and replies it; counts `changes`. */
function moveOne(c: Client, db: Db, src: string, source: List, dst: string, target: List | undefined, from: boolean, to: boolean, changes: number): void {
  const value = source.pop(from)!;
  listForPush(db, dst, target).push(value, to);
  c.engine.keyChanged(db, dst, 0);
  notify(c.engine, NotifyFlag.List, pushEvent(to), dst, db.id);
  // Replied between the push and the pop events, as redis-server's lmoveHandlePush.
  c.reply.bulk(value);
  removed(c, db, src, source, changes, popEvent(from));
}

/** BLPOP/BRPOP's reply `[key, element]`, popping the element; counts `changes`. */
function popOneWithKey(c: Client, db: Db, key: string, list: List, head: boolean, changes: number): void {
  c.reply.array(2);
  c.reply.bulk(key);
  c.reply.bulk(list.pop(head)!);
  removed(c, db, key, list, changes, popEvent(head));
}

// ---------------------------------------------------------------- blocking

/**
 * BLPOP, BRPOP and BLMPOP (blockingPopGenericCommand). `count` is -1 for the
 * single-element forms, whose reply is `[key, element]`; BLMPOP's is `[key, [elements]]`.
 */
function blockingPop(c: Client, keys: string[], head: boolean, timeoutArg: string, count: number): void {
  const timeoutMs = parseTimeoutOrReply(c, timeoutArg);
  if (timeoutMs === null) return;
  const found = firstListOrReply(c, keys);
  if (found === null) return;
  if (found !== undefined) {
    const { key, list } = found;
    if (count !== -1) {
      const n = popWithKey(c, c.db, key, list, head, count);
      return c.engine.rewriteEffect([popName(head), key, String(n)]);
    }
    popOneWithKey(c, c.db, key, list, head, 1);
    return c.engine.rewriteEffect([popName(head), key]);
  }
  // Inside MULTI/EXEC (or wherever blocking is denied) the answer is a timeout's.
  if (c.denyBlocking) return c.reply.nilArray();
  const db = c.db;
  c.engine.blocking.block(c, {
    keys,
    timeoutMs,
    serve(key) {
      const v = db.lookupWrite(key);
      // Missing or of another type by now: keep waiting, as redis-server does.
      if (!(v instanceof List)) return false;
      if (count !== -1) {
        // listPopRangeAndReplyWithKey counts the popped elements as changes.
        const n = popWithKey(c, db, key, v, head, count);
        c.engine.alsoPropagate(db.id, [popName(head), key, String(n)]);
        return true;
      }
      // redis-server's serveClientBlockedOnList counts no change for BLPOP/BRPOP.
      popOneWithKey(c, db, key, v, head, 0);
      c.engine.alsoPropagate(db.id, [popName(head), key]);
      return true;
    },
    timedOut: () => c.reply.nilArray(),
  });
}

/** BLMOVE and BRPOPLPUSH (blmoveGenericCommand); `effect` is their non-blocking form. */
function blockingMove(c: Client, src: string, dst: string, from: boolean, to: boolean, timeoutMs: number, effect: string[]): void {
  const db = c.db;
  const source = writableListOrReply(c, db, src);
  if (source === null) return;
  if (source !== undefined) return lmove(c, src, dst, from, to, effect);
  if (c.denyBlocking) return c.reply.nil();
  // Served later, BRPOPLPUSH still propagates as RPOPLPUSH; BLMOVE as LMOVE with redis-server's shared left/right.
  const served = effect[0] === 'RPOPLPUSH' ? effect : ['LMOVE', src, dst, sideName(from), sideName(to)];
  c.engine.blocking.block(c, {
    keys: [src],
    timeoutMs,
    serve() {
      const v = db.lookupWrite(src);
      if (!(v instanceof List)) return false;
      const target = db.lookupWrite(dst);
      // A destination of another type ends the wait with the error, popping nothing.
      if (target !== undefined && !(target instanceof List)) {
        c.reply.error(WRONGTYPE);
        return true;
      }
      // Like BLPOP, a served move counts no change in redis-server.
      moveOne(c, db, src, v, dst, target, from, to, 0);
      c.engine.alsoPropagate(db.id, served);
      return true;
    },
    // redis-server 7.0 answers every list wait's timeout with the null array, even BLMOVE's.
    timedOut: () => c.reply.nilArray(),
  });
}

function blmove(c: Client, argv: string[]): void {
  const from = parseSideOrReply(c, argv[3]);
  if (from === null) return;
  const to = parseSideOrReply(c, argv[4]);
  if (to === null) return;
  const timeoutMs = parseTimeoutOrReply(c, argv[5]);
  if (timeoutMs === null) return;
  blockingMove(c, argv[1], argv[2], from, to, timeoutMs, ['LMOVE', argv[1], argv[2], argv[3], argv[4]]);
}

function brpoplpush(c: Client, argv: string[]): void {
  const timeoutMs = parseTimeoutOrReply(c, argv[3]);
  if (timeoutMs === null) return;
  blockingMove(c, argv[1], argv[2], false, true, timeoutMs, ['RPOPLPUSH', argv[1], argv[2]]);
}

function blmpop(c: Client, argv: string[]): void {
  const args = parseMpopOrReply(c, argv, 2);
  if (args !== null) blockingPop(c, args.keys, args.head, argv[1], args.count);
}

export const listCommands: readonly CommandDef<Client>[] = [
  { name: 'lpush', handler: (c, argv) => push(c, argv, true, false) },
  { name: 'rpush', handler: (c, argv) => push(c, argv, false, false) },
  { name: 'lpushx', handler: (c, argv) => push(c, argv, true, true) },
  { name: 'rpushx', handler: (c, argv) => push(c, argv, false, true) },
  { name: 'linsert', handler: linsert },
  { name: 'llen', handler: llen },
  { name: 'lindex', handler: lindex },
  { name: 'lrange', handler: lrange },
  { name: 'lpos', handler: lpos },
  { name: 'lset', handler: lset },
  { name: 'lrem', handler: lrem },
  { name: 'ltrim', handler: ltrim },
  { name: 'lpop', handler: (c, argv) => pop(c, argv, true) },
  { name: 'rpop', handler: (c, argv) => pop(c, argv, false) },
  { name: 'lmpop', handler: lmpop },
  {
    name: 'lmove',
    handler: (c, argv) => {
      const from = parseSideOrReply(c, argv[3]);
      if (from === null) return;
      const to = parseSideOrReply(c, argv[4]);
      if (to !== null) lmove(c, argv[1], argv[2], from, to, null);
    },
  },
  { name: 'rpoplpush', handler: (c, argv) => lmove(c, argv[1], argv[2], false, true, null) },
  { name: 'blpop', handler: (c, argv) => blockingPop(c, argv.slice(1, -1), true, argv[argv.length - 1], -1) },
  { name: 'brpop', handler: (c, argv) => blockingPop(c, argv.slice(1, -1), false, argv[argv.length - 1], -1) },
  { name: 'blmove', handler: blmove },
  { name: 'brpoplpush', handler: brpoplpush },
  { name: 'blmpop', handler: blmpop },
];
