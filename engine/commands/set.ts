/**
 * The set family, as redis-server 7.0's t_set.c: SADD, SREM, SMOVE, SISMEMBER,
 * SMISMEMBER, SCARD, SMEMBERS, SPOP, SRANDMEMBER, SINTER/SINTERCARD/SINTERSTORE,
 * SUNION/SUNIONSTORE, SDIFF/SDIFFSTORE and SSCAN.
 *
 * Replies, errors and the order of checks follow redis-server (RESP3: SMEMBERS, SINTER,
 * SUNION, SDIFF and SPOP with a count are sets, SRANDMEMBER with a count an array).
 * A result set is built as redis-server builds it, member by member (setTypeAdd), so
 * it is an intset, sorted, when every member is an integer and few enough. Effects:
 * SPOP goes out as `SREM key member` per member popped, or as `DEL key` when it took
 * the whole set; the rest as they are. A set that loses its last member is deleted.
 *
 * Where this differs: the order of a hashtable set's members (redis-server's dict
 * order cannot be reproduced; intsets match byte for byte), SSCAN's cursors over a
 * hashtable set (engine/types/dense-table.ts), and SRANDMEMBER's limit on negative
 * counts (engine/commands/collection-common.ts).
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import { LIMIT_CANT_BE_NEGATIVE, MUST_BE_POSITIVE, NUMKEYS_ABOVE_ARGS, NUMKEYS_NOT_POSITIVE, SYNTAX, WRONGTYPE } from '../errors.js';
import { SetValue, setFromMembers } from '../types/set.js';
import { distinctIndexes, randomIndex } from '../types/random-pick.js';
import { parseInt64 } from '../util/int64.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';
import { readableOrReply, writableOrReply } from './typed-lookup.js';
import { parseSampleCountOrReply, replyCollectionScan, sampleIndexesOrReply } from './collection-common.js';
import { streamsCollection, TableReply } from '../streamed-reply.js';

/** Deletes the key of a set left empty, with its `del` event. */
function deleteIfEmpty(c: Client, db: Db, key: string, s: SetValue): void {
  if (s.size > 0) return;
  db.delete(key);
  notify(c.engine, NotifyFlag.Generic, 'del', key, db.id);
}

/** Writes members as a RESP3 set (an array in RESP2), in order. */
function replyMembers(c: Client, members: readonly string[]): void {
  c.reply.set(members.length);
  c.reply.bulkRun(members, 0, members.length);
}

/**
 * Writes a set's members as a RESP3 set (an array in RESP2), in the set's order, a
 * chunk at a time; a large set's reply is streamed (engine/streamed-reply.ts).
 */
function replySet(c: Client, s: SetValue): void {
  const reply = c.reply;
  const t = s.table;
  reply.set(t.size);
  if (reply.canStream && streamsCollection(t.size, t.payloadBytes)) {
    return reply.stream(new TableReply(t.freeze(), true, false, () => t.thaw(), c.engine.streamedReplies));
  }
  t.runs((keys, _, from, to) => reply.bulkRun(keys, from, to));
}

// ---------------------------------------------------------------- add, remove, move

function sadd(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1];
  let s = writableOrReply(c, db, key, SetValue);
  if (s === null) return;
  if (s === undefined) {
    s = new SetValue();
    db.set(key, s);
  }
  const limits = c.engine.settings;
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i], limits)) added++;
  if (added > 0) {
    c.engine.keyChanged(db, key, added);
    notify(c.engine, NotifyFlag.Set, 'sadd', key, db.id);
  }
  c.reply.int(added);
}

function srem(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1];
  const s = writableOrReply(c, db, key, SetValue);
  if (s === null) return;
  if (s === undefined) return c.reply.int(0);
  let deleted = 0;
  for (let i = 2; i < argv.length && s.size > 0; i++) if (s.delete(argv[i])) deleted++;
  if (deleted > 0) {
    c.engine.keyChanged(db, key, deleted);
    notify(c.engine, NotifyFlag.Set, 'srem', key, db.id);
    deleteIfEmpty(c, db, key, s);
  }
  c.reply.int(deleted);
}

function smove(c: Client, argv: string[]): void {
  const db = c.db;
  const [, src, dst, member] = argv;
  const source = db.lookupWrite(src);
  const target = db.lookupWrite(dst);
  if (source === undefined) return c.reply.int(0);
  if (!(source instanceof SetValue) || (target !== undefined && !(target instanceof SetValue))) {
    return c.reply.error(WRONGTYPE);
  }
  if (source === target) return c.reply.int(source.has(member) ? 1 : 0);
  if (!source.delete(member)) return c.reply.int(0);
  notify(c.engine, NotifyFlag.Set, 'srem', src, db.id);
  deleteIfEmpty(c, db, src, source);
  let dest = target;
  if (dest === undefined) {
    dest = new SetValue();
    db.set(dst, dest);
  }
  c.engine.keyChanged(db, src);
  if (dest.add(member, c.engine.settings)) {
    c.engine.keyChanged(db, dst);
    notify(c.engine, NotifyFlag.Set, 'sadd', dst, db.id);
  }
  c.reply.int(1);
}

// ---------------------------------------------------------------- membership

function sismember(c: Client, argv: string[]): void {
  const s = readableOrReply(c, argv[1], SetValue);
  if (s !== null) c.reply.int(s?.has(argv[2]) === true ? 1 : 0);
}

function smismember(c: Client, argv: string[]): void {
  const s = readableOrReply(c, argv[1], SetValue);
  if (s === null) return;
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.int(s?.has(argv[i]) === true ? 1 : 0);
}

function scard(c: Client, argv: string[]): void {
  const s = readableOrReply(c, argv[1], SetValue);
  if (s !== null) c.reply.int(s?.size ?? 0);
}

// ---------------------------------------------------------------- random members

function spop(c: Client, argv: string[]): void {
  if (argv.length === 3) return spopWithCount(c, argv);
  if (argv.length > 3) return c.reply.error(SYNTAX);
  const db = c.db;
  const key = argv[1];
  const s = writableOrReply(c, db, key, SetValue);
  if (s === null) return;
  if (s === undefined) return c.reply.nil();
  const member = s.removeAt(randomIndex(s.size));
  notify(c.engine, NotifyFlag.Set, 'spop', key, db.id);
  c.engine.rewriteEffect(['SREM', key, member]);
  c.reply.bulk(member);
  deleteIfEmpty(c, db, key, s);
  c.engine.keyChanged(db, key);
}

/** SPOP key count (spopWithCountCommand). */
function spopWithCount(c: Client, argv: string[]): void {
  const count = parseInt64(argv[2]);
  if (count === null || count < 0) return c.reply.error(MUST_BE_POSITIVE);
  const db = c.db;
  const key = argv[1];
  const s = writableOrReply(c, db, key, SetValue);
  if (s === null) return;
  if (s === undefined || count === 0) return c.reply.set(0);
  const size = s.size;
  notify(c.engine, NotifyFlag.Set, 'spop', key, db.id);
  if (count >= size) {
    // redis-server replies with the SUNION of the set, a set built anew: an intset
    // (sorted) whenever its members allow, whatever the set's own encoding.
    const limits = c.engine.settings;
    replySet(c, size <= limits.setMaxIntsetEntries ? setFromMembers(s.memberList(), limits) : s);
    db.delete(key);
    notify(c.engine, NotifyFlag.Generic, 'del', key, db.id);
    c.engine.rewriteEffect(['DEL', key]);
    return c.engine.keyChanged(db, key, Number(count));
  }
  const picks = distinctIndexes(size, Number(count));
  c.reply.set(picks.length);
  // From the highest position down, so the positions still to take stay where they were.
  for (let j = picks.length - 1; j >= 0; j--) {
    const member = s.removeAt(picks[j]);
    c.reply.bulk(member);
    c.engine.alsoPropagate(db.id, ['SREM', key, member]);
  }
  c.engine.preventPropagation();
  c.engine.keyChanged(db, key, Number(count));
}

function srandmember(c: Client, argv: string[]): void {
  if (argv.length > 3) return c.reply.error(SYNTAX);
  if (argv.length === 2) {
    const s = readableOrReply(c, argv[1], SetValue);
    if (s === null) return;
    if (s === undefined) return c.reply.nil();
    return c.reply.bulk(s.memberAt(randomIndex(s.size)));
  }
  const count = parseSampleCountOrReply(c, argv[2]);
  if (count === null) return;
  const s = readableOrReply(c, argv[1], SetValue);
  if (s === null) return;
  if (s === undefined || count === 0) return c.reply.array(0);
  const picks = sampleIndexesOrReply(c, s.size, count);
  if (picks === null) return;
  c.reply.array(picks.length);
  for (let j = 0; j < picks.length; j++) c.reply.bulk(s.memberAt(picks[j]));
}

// ---------------------------------------------------------------- algebra

/**
 * The sets at `keys` for SINTER/SUNION/SDIFF (a missing key is an empty set:
 * undefined), or null after a WRONGTYPE reply.
 */
function setsOrReply(c: Client, keys: readonly string[]): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const s = readableOrReply(c, key, SetValue);
    if (s === null) return null;
    sets.push(s);
  }
  return sets;
}

/**
 * Stores `result` at `dst` (setKey), or deletes `dst` when the result is empty;
 * replies the result's size (the STORE forms of the set algebra).
 */
function storeResult(c: Client, dst: string, result: SetValue, event: string): void {
  const db = c.db;
  if (result.size > 0) {
    db.set(dst, result);
    c.reply.int(result.size);
    notify(c.engine, NotifyFlag.Set, event, dst, db.id);
    return c.engine.keyChanged(db, dst);
  }
  c.reply.int(0);
  if (db.delete(dst)) {
    c.engine.keyChanged(db, dst);
    notify(c.engine, NotifyFlag.Generic, 'del', dst, db.id);
  }
}

/**
 * How many members every set in `sets` has, up to `limit` (0: all), walking the
 * smallest (sinterGenericCommand); they are pushed onto `found` when given.
 */
function intersection(sets: readonly SetValue[], limit: number, found: string[] | null): number {
  // The smallest set first (a stable sort, as glibc's qsort is here), the others probed.
  const bySize = [...sets].sort((a, b) => a.size - b.size);
  const smallest = bySize[0];
  let n = 0;
  next: for (let i = 0; i < smallest.size; i++) {
    const m = smallest.memberAt(i);
    for (let j = 1; j < bySize.length; j++) if (bySize[j] !== smallest && !bySize[j].has(m)) continue next;
    found?.push(m);
    if (++n === limit) break;
  }
  return n;
}

/** SINTER, SINTERSTORE (`dst`) and SMEMBERS (sinterGenericCommand). */
function sinter(c: Client, keys: readonly string[], dst: string | null): void {
  const sets = setsOrReply(c, keys);
  if (sets === null) return;
  // SMEMBERS (or SINTER of one key): the set as it is, without a copy of its members.
  if (dst === null && sets.length === 1) return sets[0] === undefined ? c.reply.set(0) : replySet(c, sets[0]);
  const present = sets.filter((s): s is SetValue => s !== undefined);
  const found: string[] = [];
  if (present.length === sets.length) intersection(present, 0, found);
  if (dst !== null) return storeResult(c, dst, setFromMembers(found, c.engine.settings), 'sinterstore');
  replyMembers(c, found);
}

function sintercard(c: Client, argv: string[]): void {
  const numkeys = parseInt64(argv[1]);
  if (numkeys === null || numkeys < 1) return c.reply.error(NUMKEYS_NOT_POSITIVE);
  if (numkeys > argv.length - 2) return c.reply.error(NUMKEYS_ABOVE_ARGS);
  const keysEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let i = keysEnd; i < argv.length; i++) {
    if (!isOption(argv[i], 'limit') || i === argv.length - 1) return c.reply.error(SYNTAX);
    const v = parseInt64(argv[++i]);
    if (v === null || v < 0) return c.reply.error(LIMIT_CANT_BE_NEGATIVE);
    limit = Number(v);
  }
  const sets = setsOrReply(c, argv.slice(2, keysEnd));
  if (sets === null) return;
  const present = sets.filter((s): s is SetValue => s !== undefined);
  c.reply.int(present.length < sets.length ? 0 : intersection(present, limit, null));
}

/** The members of the union of `sets`, or of the first minus the others. */
function* unionOrDiff(sets: readonly (SetValue | undefined)[], union: boolean): Generator<string> {
  if (union) {
    for (const s of sets) for (let i = 0; s !== undefined && i < s.size; i++) yield s.memberAt(i);
    return;
  }
  const [first, ...others] = sets;
  if (first === undefined) return;
  for (let i = 0; i < first.size; i++) {
    const m = first.memberAt(i);
    if (!others.some((s) => s?.has(m) === true)) yield m;
  }
}

/** SUNION, SDIFF and their STORE forms (sunionDiffGenericCommand). */
function sunionDiff(c: Client, keys: readonly string[], dst: string | null, union: boolean): void {
  const sets = setsOrReply(c, keys);
  if (sets === null) return;
  const result = setFromMembers(unionOrDiff(sets, union), c.engine.settings);
  if (dst !== null) return storeResult(c, dst, result, union ? 'sunionstore' : 'sdiffstore');
  replySet(c, result);
}

function sscan(c: Client, argv: string[]): void {
  replyCollectionScan(c, argv, (key) => {
    const s = readableOrReply(c, key, SetValue);
    return s === null || s === undefined ? s : { table: s.table };
  });
}

export const setCommands: readonly CommandDef<Client>[] = [
  { name: 'sadd', handler: sadd },
  { name: 'srem', handler: srem },
  { name: 'smove', handler: smove },
  { name: 'sismember', handler: sismember },
  { name: 'smismember', handler: smismember },
  { name: 'scard', handler: scard },
  { name: 'spop', handler: spop },
  { name: 'srandmember', handler: srandmember },
  { name: 'smembers', handler: (c, argv) => sinter(c, argv.slice(1), null) },
  { name: 'sinter', handler: (c, argv) => sinter(c, argv.slice(1), null) },
  { name: 'sinterstore', handler: (c, argv) => sinter(c, argv.slice(2), argv[1]) },
  { name: 'sintercard', handler: sintercard },
  { name: 'sunion', handler: (c, argv) => sunionDiff(c, argv.slice(1), null, true) },
  { name: 'sunionstore', handler: (c, argv) => sunionDiff(c, argv.slice(2), argv[1], true) },
  { name: 'sdiff', handler: (c, argv) => sunionDiff(c, argv.slice(1), null, false) },
  { name: 'sdiffstore', handler: (c, argv) => sunionDiff(c, argv.slice(2), argv[1], false) },
  { name: 'sscan', handler: sscan },
];
