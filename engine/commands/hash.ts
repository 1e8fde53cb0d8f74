/**
 * The hash family, as redis-server 7.0's t_hash.c: HSET/HMSET/HSETNX, HGET/HMGET,
 * HGETALL/HKEYS/HVALS, HDEL, HLEN, HSTRLEN, HEXISTS, HINCRBY/HINCRBYFLOAT,
 * HRANDFIELD and HSCAN.
 *
 * Replies, errors and the order of checks follow redis-server (RESP3: HGETALL is a
 * map, HRANDFIELD WITHVALUES an array of pairs). Effects: HINCRBYFLOAT goes out as
 * `HSET key field <result>`, as redis-server propagates it; the rest as they are.
 * A hash that loses its last field is deleted (event `del` after the command's own).
 *
 * Where this differs: HRANDFIELD with a negative count beyond SAMPLE_MAX is refused
 * (redis-server tries to build the reply and dies); HSCAN of a hashtable hash walks
 * positions with this broker's cursors (engine/types/dense-table.ts), not dict buckets.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import {
  HASH_VALUE_NOT_FLOAT,
  HASH_VALUE_NOT_INTEGER,
  INCREMENT_NAN_OR_INFINITY,
  NAN_OR_INFINITY,
  NOT_FLOAT,
  NOT_INTEGER,
  OVERFLOW,
  SYNTAX,
  VALUE_OUT_OF_RANGE,
  WRONG_ARGS,
} from '../errors.js';
import { Hash } from '../types/hash.js';
import { DenseTable } from '../types/dense-table.js';
import { addInt64, INT64_MAX, parseInt64, type Int64 } from '../util/int64.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../util/long-double.js';
import { isOption } from '../util/option.js';
import { randomIndex } from '../types/random-pick.js';
import { notify, NotifyFlag } from '../notify.js';
import { readableOrReply, writableOrReply } from './typed-lookup.js';
import { parseSampleCountOrReply, replyCollectionScan, sampleIndexesOrReply } from './collection-common.js';
import { streamsCollection, TableReply } from '../streamed-reply.js';

/** LONG_MAX/2: HRANDFIELD WITHVALUES refuses counts beyond it. */
const HALF_LONG_MAX = INT64_MAX / 2n;

/** The hash at `key` for a write, created when missing (hashTypeLookupWriteOrCreate); null after WRONGTYPE. */
function hashForWriteOrReply(c: Client, db: Db, key: string): Hash | null {
  const existing = writableOrReply(c, db, key, Hash);
  if (existing !== undefined) return existing;
  const h = new Hash();
  db.set(key, h);
  return h;
}

/** Deletes the key of a hash that has no field left (with its `del` event); true if it did. */
function deleteIfEmpty(c: Client, db: Db, key: string, h: Hash): boolean {
  if (h.size > 0) return false;
  db.delete(key);
  notify(c.engine, NotifyFlag.Generic, 'del', key, db.id);
  return true;
}

/** After a change of `count` to the hash at `key`: the key's watchers and the `event`. */
function changedHash(c: Client, db: Db, key: string, event: string, count = 1): void {
  c.engine.keyChanged(db, key, count);
  notify(c.engine, NotifyFlag.Hash, event, key, db.id);
}

/** A new (ordered) table of a hash's fields and values. */
function tableOf(h: Hash): DenseTable {
  const t = new DenseTable(true);
  h.forEach((field, value) => t.append(field, value));
  return t;
}

// ---------------------------------------------------------------- write

/** HSET and HMSET (hsetCommand): field/value pairs; HSET replies how many are new. */
function hset(c: Client, argv: string[]): void {
  if (argv.length % 2 === 1) return c.reply.error(WRONG_ARGS(argv[0].toLowerCase()));
  const db = c.db;
  const key = argv[1];
  const h = hashForWriteOrReply(c, db, key);
  if (h === null) return;
  const limits = c.engine.settings;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i], argv[i + 1], limits)) created++;
  if (isOption(argv[0], 'hmset')) c.reply.ok();
  else c.reply.int(created);
  changedHash(c, db, key, 'hset', (argv.length - 2) / 2);
}

function hsetnx(c: Client, argv: string[]): void {
  const db = c.db;
  const h = hashForWriteOrReply(c, db, argv[1]);
  if (h === null) return;
  if (h.has(argv[2])) return c.reply.int(0);
  h.set(argv[2], argv[3], c.engine.settings);
  c.reply.int(1);
  changedHash(c, db, argv[1], 'hset');
}

function hdel(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1];
  const h = writableOrReply(c, db, key, Hash);
  if (h === null) return;
  if (h === undefined) return c.reply.int(0);
  let deleted = 0;
  for (let i = 2; i < argv.length && h.size > 0; i++) if (h.delete(argv[i])) deleted++;
  if (deleted > 0) {
    changedHash(c, db, key, 'hdel', deleted);
    deleteIfEmpty(c, db, key, h);
  }
  c.reply.int(deleted);
}

function hincrby(c: Client, argv: string[]): void {
  const by = parseInt64(argv[3]);
  if (by === null) return c.reply.error(NOT_INTEGER);
  const db = c.db;
  const h = hashForWriteOrReply(c, db, argv[1]);
  if (h === null) return;
  const stored = h.get(argv[2]);
  let current: Int64 = 0;
  if (stored !== undefined) {
    const v = parseInt64(stored);
    if (v === null) return c.reply.error(HASH_VALUE_NOT_INTEGER);
    current = v;
  }
  const sum = addInt64(current, by);
  if (sum === null) return c.reply.error(OVERFLOW);
  h.set(argv[2], String(sum), c.engine.settings);
  c.reply.int(sum);
  changedHash(c, db, argv[1], 'hincrby');
}

function hincrbyfloat(c: Client, argv: string[]): void {
  const by = parseLongDouble(argv[3]);
  if (by === null) return c.reply.error(NOT_FLOAT);
  if (by.infinite) return c.reply.error(INCREMENT_NAN_OR_INFINITY);
  const db = c.db;
  const [, key, field] = argv;
  const h = hashForWriteOrReply(c, db, key);
  if (h === null) return;
  const stored = h.get(field);
  const current = stored === undefined ? parseLongDouble('0')! : parseLongDouble(stored);
  if (current === null) return c.reply.error(HASH_VALUE_NOT_FLOAT);
  const sum = addLongDouble(current, by);
  if (sum === null) return c.reply.error(NAN_OR_INFINITY);
  const result = formatLongDouble(sum);
  h.set(field, result, c.engine.settings);
  c.reply.bulk(result);
  changedHash(c, db, key, 'hincrbyfloat');
  // The exact result, so replicas and AOF replays need not redo long double arithmetic.
  c.engine.rewriteEffect(['HSET', key, field, result]);
}

// ---------------------------------------------------------------- read

function hget(c: Client, argv: string[]): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h !== null) c.reply.bulkOrNil(h?.get(argv[2]));
}

function hmget(c: Client, argv: string[]): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h === null) return;
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.bulkOrNil(h?.get(argv[i]));
}

function hlen(c: Client, argv: string[]): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h !== null) c.reply.int(h?.size ?? 0);
}

function hstrlen(c: Client, argv: string[]): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h !== null) c.reply.int(h?.get(argv[2])?.length ?? 0);
}

function hexists(c: Client, argv: string[]): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h !== null) c.reply.int(h?.has(argv[2]) === true ? 1 : 0);
}

/** HGETALL (a map in RESP3), HKEYS and HVALS (genericHgetallCommand); a large hash's reply is streamed (engine/streamed-reply.ts). */
function hgetall(c: Client, argv: string[], fields: boolean, values: boolean): void {
  const h = readableOrReply(c, argv[1], Hash);
  if (h === null) return;
  const n = h?.size ?? 0;
  const reply = c.reply;
  if (fields && values) reply.map(n);
  else reply.array(n);
  if (h === undefined) return;
  if (!h.isPacked && reply.canStream && streamsCollection(n, h.payloadBytes)) {
    const table = h.table;
    return reply.stream(new TableReply(table.freeze(), fields, values, () => table.thaw(), c.engine.streamedReplies));
  }
  if (fields && values) {
    h.forEach((field, value) => {
      reply.bulk(field);
      reply.bulk(value);
    });
  } else if (h.isPacked) {
    h.forEach((field, value) => reply.bulk(fields ? field : value));
  } else {
    h.table.runs((keys, vals, from, to) => reply.bulkRun(fields ? keys : vals!, from, to));
  }
}

/** HRANDFIELD key [count [WITHVALUES]] (hrandfieldCommand). */
function hrandfield(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const h = readableOrReply(c, argv[1], Hash);
    if (h === null) return;
    if (h === undefined) return c.reply.nil();
    return c.reply.bulk(h.view().keyAt(randomIndex(h.size)));
  }
  const count = parseSampleCountOrReply(c, argv[2]);
  if (count === null) return;
  if (argv.length > 4 || (argv.length === 4 && !isOption(argv[3], 'withvalues'))) return c.reply.error(SYNTAX);
  const withValues = argv.length === 4;
  // The reply's length doubles with values: redis-server refuses what would overflow.
  if (withValues && (BigInt(count) > HALF_LONG_MAX || BigInt(count) < -HALF_LONG_MAX)) return c.reply.error(VALUE_OUT_OF_RANGE);
  const h = readableOrReply(c, argv[1], Hash);
  if (h === null) return;
  if (h === undefined || count === 0) return c.reply.array(0);
  const picks = sampleIndexesOrReply(c, h.size, count);
  if (picks === null) return;
  const reply = c.reply;
  const t = h.view();
  // RESP3 pairs each field with its value; RESP2 lays them out flat.
  const nested = withValues && reply.resp === 3;
  reply.array(withValues && !nested ? picks.length * 2 : picks.length);
  for (let j = 0; j < picks.length; j++) {
    const i = picks[j];
    if (nested) reply.array(2);
    reply.bulk(t.keyAt(i));
    if (withValues) reply.bulk(t.valueAt(i));
  }
}

function hscan(c: Client, argv: string[]): void {
  replyCollectionScan(c, argv, (key) => {
    const h = readableOrReply(c, key, Hash);
    if (h === null || h === undefined) return h;
    // A packed hash is a listpack, returned whole: a table of it for the scan, the hash left packed.
    const table = h.isPacked ? tableOf(h) : h.table;
    return { table, valueAt: (i) => table.valueAt(i) };
  });
}

export const hashCommands: readonly CommandDef<Client>[] = [
  { name: 'hset', handler: hset },
  { name: 'hmset', handler: hset },
  { name: 'hsetnx', handler: hsetnx },
  { name: 'hdel', handler: hdel },
  { name: 'hincrby', handler: hincrby },
  { name: 'hincrbyfloat', handler: hincrbyfloat },
  { name: 'hget', handler: hget },
  { name: 'hmget', handler: hmget },
  { name: 'hlen', handler: hlen },
  { name: 'hstrlen', handler: hstrlen },
  { name: 'hexists', handler: hexists },
  { name: 'hgetall', handler: (c, argv) => hgetall(c, argv, true, true) },
  { name: 'hkeys', handler: (c, argv) => hgetall(c, argv, true, false) },
  { name: 'hvals', handler: (c, argv) => hgetall(c, argv, false, true) },
  { name: 'hrandfield', handler: hrandfield },
  { name: 'hscan', handler: hscan },
];
