/**
 * Consumer group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO
 * GROUPS/CONSUMERS, the groups part of XINFO STREAM FULL, and the delivery of
 * entries to a group that XREADGROUP (stream-read.ts) performs. Ported from
 * redis-server 7.0's t_stream.c: checks in the same order, the same errors, the
 * same replies.
 *
 * Effects (ARCHITECTURE.md, "Effects") are redis-server's: every change to a pending
 * entry goes out as `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE
 * JUSTID LASTID last-id`, which recreates it exactly (delivery time included)
 * whatever the replica's state; a group's last ID moved without a claim goes out as
 * `XGROUP SETID key group id ENTRIESREAD n`; a consumer created by a NOACK read as
 * `XGROUP CREATECONSUMER`. The other commands go out as they are.
 *
 * Where redis-server 7.0's effects lose state, ours do not, so that a replica or
 * an AOF replay ends with the same XINFO STREAM FULL:
 * - a read that moves the group's last ID also propagates XGROUP SETID with
 *   ENTRIESREAD after its claims (7.0 does so only for NOACK reads, and replicas
 *   lose the read counter, hence `entries-read` and `lag`; later redis-server
 *   versions propagate it always, as we do);
 * - a read of a consumer's own pending entries (an ID rather than `>`) propagates
 *   the new delivery time and count of each as a claim, and a consumer it creates
 *   as XGROUP CREATECONSUMER (redis-server propagates neither).
 */
import type { CommandDef } from '../command.js';
import { notify, NotifyFlag } from '../notify.js';
import type { Client } from '../client.js';
import type { Engine } from '../engine.js';
import type { Reply } from '../../protocol/reply.js';
import {
  BUSYGROUP,
  ENTRIESREAD_RANGE,
  INVALID_ID,
  NO_SUCH_GROUP,
  NO_SUCH_KEY,
  NOGROUP,
  NOT_INTEGER,
  SYNTAX,
  XAUTOCLAIM_COUNT,
  XAUTOCLAIM_MIN_IDLE,
  XAUTOCLAIM_NO_MEMORY,
  XCLAIM_MIN_IDLE,
  XCLAIM_OPTION_ARGUMENT,
  XCLAIM_UNRECOGNIZED_OPTION,
  XGROUP_NEEDS_KEY,
} from '../errors.js';
import { replyHelp, subcommandSyntaxError } from '../help.js';
import { cString } from '../util/c-string.js';
import { asLongLong, parseInt64, toInt64, type Int64 } from '../util/int64.js';
import { Stream, type StreamRange } from '../types/stream.js';
import { parseStreamId, StreamId, U64_MAX, type U64 } from '../types/stream-id.js';
import { byName, ConsumerGroup, ENTRIES_READ_UNKNOWN, Nack, type Consumer } from '../types/stream-group.js';
import { asStreamOrReply, fail, findEntry, parseRangeEndOrReply, parseRangeStartOrReply } from './stream-common.js';
import { isOption } from '../util/option.js';

/** XAUTOCLAIM's largest COUNT: LONG_MAX / max(sizeof(streamID), attempts factor 10). */
const AUTOCLAIM_MAX_COUNT = 576460752303423487n;
/**
 * redis-server allocates COUNT stream IDs (16 bytes each) up front, and on x86-64
 * Linux that allocation fails beyond 2^46 bytes: COUNT above 2^42 gets the
 * out-of-memory error instead of a reply, which we reproduce.
 */
const AUTOCLAIM_ALLOCATABLE_COUNT = 2 ** 42;
/** XAUTOCLAIM looks at up to this many PEL entries per entry it may return. */
const AUTOCLAIM_ATTEMPTS_FACTOR = 10;

// ---------------------------------------------------------------------------------------
// Effects

/** streamPropagateXCLAIM: the pending entry `nack` as a claim that recreates it. */
function propagateClaim(engine: Engine, db: number, key: string, groupName: string, idArg: string, nack: Nack, group: ConsumerGroup): void {
  const retryArg = String(asLongLong(nack.deliveryCount));
  propagateClaimArgs(engine, db, key, groupName, nack.consumer.name, idArg, String(nack.deliveryTime), retryArg, group.lastId.toString());
}

/** The claim of `propagateClaim` from its arguments' text (a read delivering many entries makes the shared ones once). */
function propagateClaimArgs(engine: Engine, db: number, key: string, groupName: string, consumerName: string, idArg: string, timeArg: string, retryArg: string, lastIdArg: string): void {
  engine.alsoPropagate(db, [
    'XCLAIM', key, groupName, consumerName, '0', idArg,
    'TIME', timeArg, 'RETRYCOUNT', retryArg,
    'FORCE', 'JUSTID', 'LASTID', lastIdArg,
  ]);
}

/** streamPropagateGroupID: the group's last ID and read counter. */
function propagateGroupId(engine: Engine, db: number, key: string, groupName: string, group: ConsumerGroup): void {
  engine.alsoPropagate(db, ['XGROUP', 'SETID', key, groupName, group.lastId.toString(), 'ENTRIESREAD', String(group.entriesRead)]);
}

// ---------------------------------------------------------------------------------------
// Delivery (XREADGROUP)

/** A uint64 counter plus one, wrapping as C does. */
function incCount(v: U64): U64 {
  if (typeof v === 'number' && v < Number.MAX_SAFE_INTEGER) return v + 1;
  const next = (BigInt(v) + 1n) & U64_MAX;
  return next <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(next) : next;
}

/** A long long plus one, wrapping as C does. */
function incInt64(v: Int64): Int64 {
  return typeof v === 'number' && v < Number.MAX_SAFE_INTEGER ? v + 1 : toInt64(BigInt(v) + 1n);
}

/**
 * The consumer `name` of `group`, seen now; created if missing (streamCreateConsumer
 * counts a change). Returns whether it was created.
 */
export function lookupOrCreateConsumer(engine: Engine, group: ConsumerGroup, name: string, key: string, db: number): [Consumer, boolean] {
  const now = engine.now();
  const existing = group.consumer(name, now);
  if (existing !== undefined) return [existing, false];
  engine.changed();
  const created = group.createConsumer(name, now);
  notify(engine, NotifyFlag.Stream, 'xgroup-createconsumer', key, db);
  return [created, true];
}

/** The consumer creation a NOACK read propagates (streamPropagateConsumerCreation). */
export function propagateConsumerCreation(engine: Engine, db: number, key: string, groupName: string, consumer: string): void {
  engine.alsoPropagate(db, ['XGROUP', 'CREATECONSUMER', key, groupName, consumer]);
}

/** Where a group delivery goes: the group, its name and key for the effects, and the reader. */
export interface Delivery {
  db: number;
  key: string;
  groupName: string;
  group: ConsumerGroup;
  consumer: Consumer;
  noack: boolean;
}

/**
 * streamReplyWithRange with a group: replies the entries from `start` on (at most
 * `count`, 0 for all) as an array, advances the group's last ID and read counter,
 * and unless NOACK adds each entry to the consumer's pending entries, each change
 * propagated as a claim (a NOACK read propagates the group's new last ID instead).
 */
export function deliverRange(c: Client, s: Stream, d: Delivery, start: StreamId, count: number): number {
  const engine = c.engine;
  const group = d.group;
  const now = engine.now();
  const it = s.range(start, StreamId.MAX, false);
  const mark = c.reply.beginDeferred();
  let n = 0;
  let lastIdMoved = false;
  let timeArg: string | null = null;
  while ((count === 0 || n < count) && it.next()) {
    const id = it.node.idAt(it.index);
    if (id.compare(group.lastId) > 0) {
      // The read counter stays exact while no deleted entry can lie ahead of it.
      if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !s.hasTombstonesFrom(id)) group.entriesRead = incInt64(group.entriesRead);
      else if (s.entriesAdded !== 0) group.entriesRead = s.estimateEntriesRead(id);
      group.lastId = id;
      lastIdMoved = true;
    }
    it.node.replyEntry(it.index, c.reply);
    if (!d.noack) {
      group.deliver(id, d.consumer, now);
      group.counters.delivered++;
      engine.streamStats.firstDelivery.observe(now - Number(id.ms));
      // As propagateClaim, each entry's text made once: a delivery is pending since now, delivered once (ConsumerGroup.deliver).
      const idArg = id.toString();
      timeArg ??= String(now);
      propagateClaimArgs(engine, d.db, d.key, d.groupName, d.consumer.name, idArg, timeArg, '1', group.lastId === id ? idArg : group.lastId.toString());
    }
    n++;
  }
  c.reply.endDeferred(mark, 'array', n);
  // The claims carry the last ID (LASTID) but not the read counter.
  if (lastIdMoved) propagateGroupId(engine, d.db, d.key, d.groupName, group);
  return n;
}

/**
 * streamReplyWithRangeFromConsumerPEL: a consumer's own pending entries from
 * `start` on (XREADGROUP with an ID rather than `>`). Each counts as delivered
 * again, propagated as a claim (see the file comment); one whose entry was deleted
 * comes back as `[id, nil]`.
 */
export function replyHistory(c: Client, s: Stream, d: Delivery, start: StreamId, count: number): void {
  const engine = c.engine;
  const now = engine.now();
  const consumer = d.consumer;
  const reply = c.reply;
  const mark = reply.beginDeferred();
  let n = 0;
  for (const nack of consumer.pel.from(start)) {
    if (count !== 0 && n >= count) break;
    const entry = findEntry(s, nack.id);
    if (entry === null) {
      reply.array(2);
      reply.bulk(nack.id.toString());
      reply.nilArray();
    } else {
      entry.node.replyEntry(entry.index, reply);
      nack.deliveryTime = now;
      nack.deliveryCount = incCount(nack.deliveryCount);
      d.group.counters.redelivered++;
      propagateClaim(engine, d.db, d.key, d.groupName, nack.id.toString(), nack, d.group);
    }
    n++;
  }
  reply.endDeferred(mark, 'array', n);
}

// ---------------------------------------------------------------------------------------
// XGROUP

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

function xgroupHelp(c: Client, argv: string[]): void {
  replyHelp(c.reply, argv[0], XGROUP_HELP);
}

/** What xgroupCommand establishes before dispatching a subcommand. */
interface XgroupTarget {
  s: Stream | undefined;
  group: ConsumerGroup | undefined;
  mkstream: boolean;
  entriesRead: Int64;
}

/**
 * xgroupCommand's common part: options (CREATE and SETID), the key and its type,
 * then the key's and (for SETID, CREATECONSUMER, DELCONSUMER) the group's existence.
 */
function xgroupTargetOrReply(c: Client, argv: string[]): XgroupTarget | null {
  const sub = argv[1];
  const create = isOption(sub, 'create');
  const setid = isOption(sub, 'setid');
  const t: XgroupTarget = { s: undefined, group: undefined, mkstream: false, entriesRead: ENTRIES_READ_UNKNOWN };
  for (let i = 5; i < argv.length; ) {
    if (create && isOption(argv[i], 'mkstream')) {
      t.mkstream = true;
      i++;
    } else if ((create || setid) && isOption(argv[i], 'entriesread') && i + 1 < argv.length) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return fail(c, NOT_INTEGER);
      if (n < 0 && n !== ENTRIES_READ_UNKNOWN) return fail(c, ENTRIESREAD_RANGE);
      t.entriesRead = n;
      i += 2;
    } else {
      return fail(c, subcommandSyntaxError(argv));
    }
  }
  const s = asStreamOrReply(c, c.db.lookupWrite(argv[2]));
  if (s === null) return null;
  t.s = s;
  if (!t.mkstream) {
    if (s === undefined) return fail(c, XGROUP_NEEDS_KEY);
    t.group = s.group(argv[3]);
    if (t.group === undefined && !create && !isOption(sub, 'destroy')) return fail(c, NO_SUCH_GROUP(argv[2], argv[3]));
  }
  return t;
}

function xgroupCreate(c: Client, argv: string[]): void {
  const t = xgroupTargetOrReply(c, argv);
  if (t === null) return;
  if (argv.length > 8) return c.reply.error(subcommandSyntaxError(argv));
  const key = argv[2];
  let s = t.s;
  let id: StreamId | null;
  if (cString(argv[4]) === '$') id = s === undefined ? StreamId.MIN : s.lastId;
  else if ((id = parseStreamId(argv[4], 0, true)) === null) return c.reply.error(INVALID_ID);
  if (s === undefined) {
    s = new Stream();
    c.db.set(key, s);
    c.engine.keyChanged(c.db, key, 0);
  }
  const groups = (s.groups ??= new Map());
  if (groups.has(argv[3])) return c.reply.error(BUSYGROUP);
  groups.set(argv[3], new ConsumerGroup(id, t.entriesRead));
  c.engine.changed();
  c.reply.ok();
  notify(c.engine, NotifyFlag.Stream, 'xgroup-create', key, c.db.id);
}

function xgroupSetid(c: Client, argv: string[]): void {
  const t = xgroupTargetOrReply(c, argv);
  if (t === null) return;
  if (argv.length !== 5 && argv.length !== 7) return c.reply.error(subcommandSyntaxError(argv));
  const s = t.s!;
  let id: StreamId | null;
  if (cString(argv[4]) === '$') id = s.lastId;
  else if ((id = parseStreamId(argv[4], 0, false)) === null) return c.reply.error(INVALID_ID);
  t.group!.lastId = id;
  t.group!.entriesRead = t.entriesRead;
  c.engine.changed();
  c.reply.ok();
  notify(c.engine, NotifyFlag.Stream, 'xgroup-setid', argv[2], c.db.id);
}

function xgroupDestroy(c: Client, argv: string[]): void {
  const t = xgroupTargetOrReply(c, argv);
  if (t === null) return;
  if (t.group === undefined) return c.reply.int(0);
  const s = t.s!;
  s.groups!.delete(argv[3]);
  // Readers blocked on the group are woken to fail with NOGROUP.
  s.wakeups++;
  c.engine.keyChanged(c.db, argv[2]);
  c.reply.int(1);
  notify(c.engine, NotifyFlag.Stream, 'xgroup-destroy', argv[2], c.db.id);
}

function xgroupCreateConsumer(c: Client, argv: string[]): void {
  const t = xgroupTargetOrReply(c, argv);
  if (t === null) return;
  const group = t.group!;
  if (group.consumers.has(argv[4])) return c.reply.int(0);
  group.createConsumer(argv[4], c.engine.now());
  c.engine.changed();
  // streamCreateConsumer notifies, then the reply.
  notify(c.engine, NotifyFlag.Stream, 'xgroup-createconsumer', argv[2], c.db.id);
  c.reply.int(1);
}

function xgroupDelConsumer(c: Client, argv: string[]): void {
  const t = xgroupTargetOrReply(c, argv);
  if (t === null) return;
  const group = t.group!;
  const consumer = group.consumer(argv[4], null);
  let pending = 0;
  if (consumer !== undefined) {
    pending = group.deleteConsumer(consumer);
    c.engine.changed();
    notify(c.engine, NotifyFlag.Stream, 'xgroup-delconsumer', argv[2], c.db.id);
  }
  c.reply.int(pending);
}

// ---------------------------------------------------------------------------------------
// XACK, XPENDING

function xack(c: Client, argv: string[]): void {
  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  const group = s?.group(argv[2]);
  if (group === undefined) return c.reply.int(0);
  // All IDs are checked first: the command acknowledges all or nothing.
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = parseStreamId(argv[j], 0, true);
    if (id === null) return c.reply.error(INVALID_ID);
    ids.push(id);
  }
  let acknowledged = 0;
  const now = c.engine.now();
  const ackTimes = c.engine.streamStats.acknowledgement;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack === undefined) continue;
    group.remove(nack);
    ackTimes.observe(now - nack.deliveryTime);
    acknowledged++;
  }
  group.counters.acknowledged += acknowledged;
  c.engine.changed(acknowledged);
  c.reply.int(acknowledged);
}

/** The bounds, count and consumer of XPENDING's extended form. */
interface PendingRange {
  minIdle: Int64;
  start: StreamId;
  end: StreamId;
  count: number;
  consumer: string | null;
}

/** xpendingCommand's argument checks, in its order: IDLE, count, start, end. */
function parsePendingRangeOrReply(c: Client, argv: string[]): PendingRange | null {
  let at = 3;
  let minIdle: Int64 = 0;
  if (isOption(argv[3], 'idle')) {
    const n = parseInt64(argv[4]);
    if (n === null) return fail(c, NOT_INTEGER);
    minIdle = n;
    // IDLE needs start, end and count after it.
    if (argv.length < 8) return fail(c, SYNTAX);
    at += 2;
  }
  const n = parseInt64(argv[at + 2]);
  if (n === null) return fail(c, NOT_INTEGER);
  const count = n < 0 ? 0 : Number(n);
  const start = parseRangeStartOrReply(c, argv[at]);
  if (start === null) return null;
  const end = parseRangeEndOrReply(c, argv[at + 1]);
  if (end === null) return null;
  return { minIdle, start, end, count, consumer: at + 3 < argv.length ? argv[at + 3] : null };
}

function xpending(c: Client, argv: string[]): void {
  const summary = argv.length === 3;
  if (!summary && (argv.length < 6 || argv.length > 9)) return c.reply.error(SYNTAX);
  const range = summary ? null : parsePendingRangeOrReply(c, argv);
  if (!summary && range === null) return;
  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  const group = s?.group(argv[2]);
  if (group === undefined) return c.reply.error(NOGROUP(argv[1], argv[2]));
  const reply = c.reply;
  if (range === null) return replyPendingSummary(reply, group);

  let pel = group.pel;
  if (range.consumer !== null) {
    const consumer = group.consumer(range.consumer, null);
    if (consumer === undefined) return reply.array(0);
    pel = consumer.pel;
  }
  const now = c.engine.now();
  let count = range.count;
  const mark = reply.beginDeferred();
  let n = 0;
  if (count > 0) {
    for (const nack of pel.from(range.start)) {
      if (nack.id.compare(range.end) > 0) break;
      const idle = now - nack.deliveryTime;
      if (range.minIdle !== 0 && idle < range.minIdle) continue;
      replyPendingEntry(reply, nack, true, idle < 0 ? 0 : idle);
      n++;
      if (--count === 0) break;
    }
  }
  reply.endDeferred(mark, 'array', n);
}

/**
 * One pending entry as XPENDING and XINFO STREAM FULL show it: its ID, its owner
 * (unless listed under it), a time (idle or delivery) and the delivery count.
 */
function replyPendingEntry(reply: Reply, nack: Nack, withOwner: boolean, time: number): void {
  reply.array(withOwner ? 4 : 3);
  reply.bulk(nack.id.toString());
  if (withOwner) reply.bulk(nack.consumer.name);
  reply.int(time);
  reply.int(asLongLong(nack.deliveryCount));
}

/** XPENDING key group: count, smallest and greatest ID, and each consumer's count. */
function replyPendingSummary(reply: Reply, group: ConsumerGroup): void {
  reply.array(4);
  reply.int(group.pel.size);
  if (group.pel.size === 0) {
    reply.nil();
    reply.nil();
    reply.nilArray();
    return;
  }
  reply.bulk(group.pel.first()!.id.toString());
  reply.bulk(group.pel.last()!.id.toString());
  const owners = group.sortedConsumers().filter((consumer) => consumer.pel.size > 0);
  reply.array(owners.length);
  for (const consumer of owners) {
    reply.array(2);
    reply.bulk(consumer.name);
    reply.bulk(String(consumer.pel.size));
  }
}

// ---------------------------------------------------------------------------------------
// XCLAIM, XAUTOCLAIM

/** A delivery time given as IDLE (relative) or TIME (absolute), clamped into [0, now] as XCLAIM does. */
function clampDeliveryTime(time: Int64, now: number): number {
  return typeof time === 'number' && time >= 0 && time <= now ? time : now;
}

/** The options after XCLAIM's IDs. */
interface ClaimOptions {
  force: boolean;
  justId: boolean;
  deliveryTime: number;
  retryCount: Int64;
  lastId: StreamId;
}

function parseClaimOptionsOrReply(c: Client, argv: string[], from: number, now: number): ClaimOptions | null {
  const o: ClaimOptions = { force: false, justId: false, deliveryTime: now, retryCount: -1, lastId: StreamId.MIN };
  const integerOrReply = (arg: string, option: string): Int64 | null => {
    const n = parseInt64(arg);
    return n === null ? fail(c, XCLAIM_OPTION_ARGUMENT(option)) : n;
  };
  for (let j = from; j < argv.length; j++) {
    const more = argv.length - 1 - j > 0;
    const opt = argv[j];
    if (isOption(opt, 'force')) {
      o.force = true;
    } else if (isOption(opt, 'justid')) {
      o.justId = true;
    } else if (isOption(opt, 'idle') && more) {
      const idle = integerOrReply(argv[++j], 'IDLE');
      if (idle === null) return null;
      // now - idle, which lands outside [0, now] for any idle outside [0, now].
      o.deliveryTime = typeof idle === 'number' && idle >= 0 && idle <= now ? now - idle : now;
    } else if (isOption(opt, 'time') && more) {
      const time = integerOrReply(argv[++j], 'TIME');
      if (time === null) return null;
      o.deliveryTime = clampDeliveryTime(time, now);
    } else if (isOption(opt, 'retrycount') && more) {
      const n = integerOrReply(argv[++j], 'RETRYCOUNT');
      if (n === null) return null;
      o.retryCount = n;
    } else if (isOption(opt, 'lastid') && more) {
      const id = parseStreamId(argv[++j], 0, true);
      if (id === null) return fail(c, INVALID_ID);
      o.lastId = id;
    } else {
      return fail(c, XCLAIM_UNRECOGNIZED_OPTION(opt));
    }
  }
  return o;
}

/** A group and stream both commands claim from, with what the claims need. */
interface ClaimTarget {
  s: Stream;
  group: ConsumerGroup;
  key: string;
  groupName: string;
  consumerName: string;
  consumer: Consumer | undefined;
}

/** The claiming consumer, looked up (or created) at the first claim, as redis-server. */
function claimer(c: Client, t: ClaimTarget): Consumer {
  return (t.consumer ??= lookupOrCreateConsumer(c.engine, t.group, t.consumerName, t.key, c.db.id)[0]);
}

/** A pending entry whose stream entry is gone: dropped, the drop propagated. */
function dropDeleted(c: Client, t: ClaimTarget, nack: Nack, idArg: string): void {
  propagateClaim(c.engine, c.db.id, t.key, t.groupName, idArg, nack, t.group);
  c.engine.changed();
  t.group.remove(nack);
}

function xclaim(c: Client, argv: string[]): void {
  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  const group = s?.group(argv[2]);
  if (s === undefined || group === undefined) return c.reply.error(NOGROUP(argv[1], argv[2]));
  const minIdleArg = parseInt64(argv[4]);
  if (minIdleArg === null) return c.reply.error(XCLAIM_MIN_IDLE);
  const minIdle = minIdleArg < 0 ? 0 : minIdleArg;
  // The IDs run up to the first argument that is not one; options follow.
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseStreamId(argv[j], 0, true);
    if (id === null) break;
    ids.push(id);
  }
  const now = c.engine.now();
  const o = parseClaimOptionsOrReply(c, argv, j, now);
  if (o === null) return;
  c.engine.preventPropagation();

  const engine = c.engine;
  let lastIdMoved = false;
  if (o.lastId.compare(group.lastId) > 0) {
    group.lastId = o.lastId;
    lastIdMoved = true;
  }
  const t: ClaimTarget = { s, group, key: argv[1], groupName: argv[2], consumerName: argv[3], consumer: undefined };
  const reply = c.reply;
  const mark = reply.beginDeferred();
  let n = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const idArg = argv[5 + k];
    let nack = group.pel.get(id);
    const entry = findEntry(s, id);
    if (entry === null) {
      if (nack !== undefined) {
        dropDeleted(c, t, nack, idArg);
        lastIdMoved = false; // the claim carries it
      }
      continue;
    }
    if (nack === undefined) {
      if (!o.force) continue;
      // FORCE creates the pending entry, whatever the minimum idle time.
      nack = new Nack(id, claimer(c, t), now, 1);
      group.pel.add(nack);
      nack.consumer.pel.add(nack);
    } else {
      if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
      group.moveTo(nack, claimer(c, t));
    }
    nack.deliveryTime = o.deliveryTime;
    group.counters.claimed++;
    if (o.retryCount >= 0) nack.deliveryCount = o.retryCount;
    else if (!o.justId) nack.deliveryCount = incCount(nack.deliveryCount);
    if (o.justId) reply.bulk(id.toString());
    else entry.node.replyEntry(entry.index, reply);
    n++;
    propagateClaim(engine, c.db.id, t.key, t.groupName, idArg, nack, group);
    lastIdMoved = false;
    engine.changed();
  }
  if (lastIdMoved) {
    propagateGroupId(engine, c.db.id, t.key, t.groupName, group);
    engine.changed();
  }
  reply.endDeferred(mark, 'array', n);
}

function xautoclaim(c: Client, argv: string[]): void {
  const minIdleArg = parseInt64(argv[4]);
  if (minIdleArg === null) return c.reply.error(XAUTOCLAIM_MIN_IDLE);
  const minIdle = minIdleArg < 0 ? 0 : minIdleArg;
  const start = parseRangeStartOrReply(c, argv[5]);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j > 0;
    if (isOption(argv[j], 'count') && more) {
      const n = parseInt64(argv[++j]);
      if (n === null || n < 1 || BigInt(n) > AUTOCLAIM_MAX_COUNT) return c.reply.error(XAUTOCLAIM_COUNT);
      count = Number(n);
    } else if (isOption(argv[j], 'justid')) {
      justId = true;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  const group = s?.group(argv[2]);
  if (s === undefined || group === undefined) return c.reply.error(NOGROUP(argv[1], argv[2]));
  if (count > AUTOCLAIM_ALLOCATABLE_COUNT) return c.reply.error(XAUTOCLAIM_NO_MEMORY);
  c.engine.preventPropagation();

  const engine = c.engine;
  const now = engine.now();
  const t: ClaimTarget = { s, group, key: argv[1], groupName: argv[2], consumerName: argv[3], consumer: undefined };
  let attempts = count * AUTOCLAIM_ATTEMPTS_FACTOR;
  let cursor: StreamId | null = start;
  // Written once the loop has found the cursor, which comes first in the reply.
  const claimed: (StreamRange | string)[] = [];
  const deleted: string[] = [];
  while (attempts-- > 0 && count > 0 && cursor !== null) {
    const nack = group.pel.atOrAfter(cursor);
    if (nack === undefined) {
      cursor = null;
      break;
    }
    const id = nack.id;
    cursor = id.next();
    const text = id.toString();
    const entry = findEntry(s, id);
    if (entry === null) {
      dropDeleted(c, t, nack, text);
      deleted.push(text);
      count--; // COUNT limits the reply's size, deleted IDs included
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    group.moveTo(nack, claimer(c, t));
    nack.deliveryTime = now;
    t.group.counters.claimed++;
    if (!justId) nack.deliveryCount = incCount(nack.deliveryCount);
    claimed.push(justId ? text : entry);
    count--;
    propagateClaim(engine, c.db.id, t.key, t.groupName, text, nack, group);
    engine.changed();
  }
  // The cursor for the next call: the next pending ID, or 0-0 when the scan is done.
  const next = cursor === null ? undefined : group.pel.atOrAfter(cursor);
  const reply = c.reply;
  reply.array(3);
  reply.bulk((next === undefined ? StreamId.MIN : next.id).toString());
  reply.array(claimed.length);
  for (const e of claimed) {
    if (typeof e === 'string') reply.bulk(e);
    else e.node.replyEntry(e.index, reply);
  }
  reply.bulks(deleted);
}

// ---------------------------------------------------------------------------------------
// XINFO GROUPS, CONSUMERS, and the groups of XINFO STREAM FULL

/**
 * A group's position, the same three fields in XINFO GROUPS and XINFO STREAM FULL:
 * `last-delivered-id`, `entries-read` (nil when unknown) and `lag` (nil when it cannot
 * be computed).
 */
function replyGroupPosition(reply: Reply, s: Stream, group: ConsumerGroup): void {
  reply.bulk('last-delivered-id');
  reply.bulk(group.lastId.toString());
  reply.bulk('entries-read');
  if (group.entriesRead === ENTRIES_READ_UNKNOWN) reply.nil();
  else reply.int(group.entriesRead);
  reply.bulk('lag');
  const lag = s.groupLag(group);
  if (lag === null) reply.nil();
  else reply.int(lag);
}

/** XINFO STREAM/GROUPS/CONSUMERS' key: the stream, or null after replying an error. */
function xinfoStreamOrReply(c: Client, key: string): Stream | null {
  const s = asStreamOrReply(c, c.db.lookupRead(key));
  if (s === undefined) return fail(c, NO_SUCH_KEY);
  return s;
}

function xinfoGroups(c: Client, argv: string[]): void {
  const s = xinfoStreamOrReply(c, argv[2]);
  if (s === null) return;
  const reply = c.reply;
  if (s.groups === null) return reply.array(0);
  reply.array(s.groups.size);
  for (const [name, group] of byName(s.groups)) {
    reply.map(6);
    reply.bulk('name');
    reply.bulk(name);
    reply.bulk('consumers');
    reply.int(group.consumers.size);
    reply.bulk('pending');
    reply.int(group.pel.size);
    replyGroupPosition(reply, s, group);
  }
}

function xinfoConsumers(c: Client, argv: string[]): void {
  const s = xinfoStreamOrReply(c, argv[2]);
  if (s === null) return;
  const group = s.group(argv[3]);
  if (group === undefined) return c.reply.error(NO_SUCH_GROUP(argv[2], argv[3]));
  const reply = c.reply;
  const now = c.engine.now();
  const consumers = group.sortedConsumers();
  reply.array(consumers.length);
  for (const consumer of consumers) {
    const idle = now - consumer.seenTime;
    reply.map(3);
    reply.bulk('name');
    reply.bulk(consumer.name);
    reply.bulk('pending');
    reply.int(consumer.pel.size);
    reply.bulk('idle');
    reply.int(idle < 0 ? 0 : idle);
  }
}

/** XINFO STREAM FULL's `groups`: each group with its PEL and consumers, PELs cut at `count` (0: all). */
export function replyGroupsFull(reply: Reply, s: Stream, count: number): void {
  if (s.groups === null) return reply.array(0);
  reply.array(s.groups.size);
  for (const [name, group] of byName(s.groups)) {
    reply.map(7);
    reply.bulk('name');
    reply.bulk(name);
    replyGroupPosition(reply, s, group);
    reply.bulk('pel-count');
    reply.int(group.pel.size);
    reply.bulk('pending');
    replyPending(reply, group.pel.from(StreamId.MIN), true, count);
    reply.bulk('consumers');
    reply.array(group.consumers.size);
    for (const consumer of group.sortedConsumers()) {
      reply.map(4);
      reply.bulk('name');
      reply.bulk(consumer.name);
      reply.bulk('seen-time');
      reply.int(consumer.seenTime);
      reply.bulk('pel-count');
      reply.int(consumer.pel.size);
      reply.bulk('pending');
      replyPending(reply, consumer.pel.from(StreamId.MIN), false, count);
    }
  }
}

/** XINFO STREAM FULL's pending entries (with their owner for a group's), at most `count` (0: all). */
function replyPending(reply: Reply, nacks: Iterable<Nack>, withOwner: boolean, count: number): void {
  const mark = reply.beginDeferred();
  let n = 0;
  for (const nack of nacks) {
    if (count !== 0 && n >= count) break;
    replyPendingEntry(reply, nack, withOwner, nack.deliveryTime);
    n++;
  }
  reply.endDeferred(mark, 'array', n);
}

export const streamGroupCommands: readonly CommandDef<Client>[] = [
  { name: 'xgroup|help', handler: xgroupHelp },
  { name: 'xgroup|create', handler: xgroupCreate },
  { name: 'xgroup|setid', handler: xgroupSetid },
  { name: 'xgroup|destroy', handler: xgroupDestroy },
  { name: 'xgroup|createconsumer', handler: xgroupCreateConsumer },
  { name: 'xgroup|delconsumer', handler: xgroupDelConsumer },
  { name: 'xack', handler: xack },
  { name: 'xpending', handler: xpending },
  { name: 'xclaim', handler: xclaim },
  { name: 'xautoclaim', handler: xautoclaim },
  { name: 'xinfo|groups', handler: xinfoGroups },
  { name: 'xinfo|consumers', handler: xinfoConsumers },
];
