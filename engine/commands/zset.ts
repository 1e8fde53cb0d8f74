/**
 * The sorted set family, as redis-server 7.0's t_zset.c: ZADD/ZINCRBY, ZREM and the
 * ZREMRANGEBY* commands, ZCARD/ZCOUNT/ZLEXCOUNT, ZSCORE/ZMSCORE, ZRANK/ZREVRANK, ZRANGE
 * (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES) and its older forms, ZRANGESTORE, ZPOPMIN/ZPOPMAX,
 * ZMPOP, the blocking BZPOPMIN/BZPOPMAX/BZMPOP, ZUNION/ZINTER/ZDIFF and their STORE
 * forms, ZINTERCARD, ZRANDMEMBER and ZSCAN.
 *
 * Replies, errors and the order of checks follow redis-server (scores are doubles in
 * RESP3 and `%.17g` bulk strings in RESP2; WITHSCORES pairs are nested arrays in RESP3).
 * Effects: ZMPOP goes out as `ZPOPMIN|ZPOPMAX key count`, a blocking pop as its
 * non-blocking form (BZPOPMIN as `ZPOPMIN key`); the rest as they are. A sorted set that
 * loses its last member is deleted (event `del` after the command's own).
 *
 * Where this differs: the order of ZSCAN over a skiplist set and of a distinct
 * ZRANDMEMBER sample (redis-server's dict order cannot be reproduced), and
 * ZRANDMEMBER's limit on negative counts (engine/commands/collection-common.ts).
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import {
  COUNT_NOT_POSITIVE,
  LIMIT_CANT_BE_NEGATIVE,
  MUST_BE_POSITIVE,
  NOT_FLOAT,
  NOT_INTEGER,
  NUMKEYS_NOT_POSITIVE,
  SYNTAX,
  VALUE_OUT_OF_RANGE,
  WRONGTYPE,
  ZADD_GT_LT_NX,
  ZADD_INCR_SINGLE_PAIR,
  ZADD_XX_NX,
  ZSET_INPUT_KEY_NEEDED,
  ZSET_LEX_RANGE_INVALID,
  ZSET_LIMIT_NEEDS_BY,
  ZSET_NAN_SCORE,
  ZSET_SCORE_RANGE_INVALID,
  ZSET_WEIGHT_NOT_FLOAT,
  ZSET_WITHSCORES_BYLEX,
} from '../errors.js';
import { ZSet, type LexRange, type ScoreRange, lexGteMin, lexLteMax, scoreGteMin, scoreLteMax } from '../types/zset.js';
import { SetValue } from '../types/set.js';
import { randomIndex } from '../types/random-pick.js';
import { parseDouble, parseRangeDouble } from '../util/double.js';
import { parseInt64 } from '../util/int64.js';
import { parseSecondsTimeout } from '../util/timeout.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';
import { readableOrReply, writableOrReply } from './typed-lookup.js';
import { parseSampleCountOrReply, replyCollectionScan, sampleIndexesOrReply } from './collection-common.js';
import { formatDouble } from '../../protocol/reply.js';
import { ScoredRangeReply, streamsCollection } from '../streamed-reply.js';

/** A member and its score, as a range or an algebra result lists them. */
export interface Scored {
  member: string;
  score: number;
}

/** Deletes the key of a sorted set left empty, with its `del` event; true if it did. */
function deleteIfEmpty(c: Client, db: Db, key: string, z: ZSet): boolean {
  if (z.size > 0) return false;
  db.delete(key);
  notify(c.engine, NotifyFlag.Generic, 'del', key, db.id);
  return true;
}

/** A long argument (getLongFromObjectOrReply), or null after the error. */
function parseLongOrReply(c: Client, arg: string): number | null {
  const v = parseInt64(arg);
  if (v === null) c.reply.error(NOT_INTEGER);
  return v === null ? null : Number(v);
}

/**
 * A new sorted set of `items` with the encoding the limits give it. ZRANGESTORE starts
 * a listpack and converts as it grows; the algebra (`convertAfter`) builds a skiplist
 * and converts it when small enough (zsetConvertToListpackIfNeeded). Only -0 can tell.
 */
function zsetFrom(c: Client, items: readonly Scored[], convertAfter: boolean): ZSet {
  const z = new ZSet();
  const { zsetMaxListpackEntries: maxEntries, zsetMaxListpackValue: maxValue } = c.engine.settings;
  if (maxEntries === 0 || convertAfter) z.toSkiplist();
  for (const { member, score } of items) z.set(member, score, maxEntries, maxValue);
  if (convertAfter && z.size <= maxEntries && z.longestMember() <= maxValue) z.toListpack();
  return z;
}

/** Writes members, with their scores when asked (pairs nested in RESP3). */
function replyScored(c: Client, items: readonly Scored[], withScores: boolean): void {
  const reply = c.reply;
  const nested = withScores && reply.resp !== 2;
  reply.array(withScores && !nested ? items.length * 2 : items.length);
  for (const { member, score } of items) {
    if (nested) reply.array(2);
    reply.bulk(member);
    if (withScores) reply.double(score);
  }
}

/**
 * Stores `items` (in order) at `dst` (setKey) with `event`, or deletes `dst` when
 * there are none; replies the count (ZRANGESTORE, the algebra's STORE forms, and the
 * geo commands' STORE, which count one change per member).
 */
export function storeResult(c: Client, dst: string, items: readonly Scored[], event: string, changes = 1): void {
  const db = c.db;
  if (items.length > 0) {
    db.set(dst, zsetFrom(c, items, event !== 'zrangestore'));
    c.reply.int(items.length);
    notify(c.engine, NotifyFlag.Zset, event, dst, db.id);
    return c.engine.keyChanged(db, dst, changes);
  }
  c.reply.int(0);
  if (db.delete(dst)) {
    c.engine.keyChanged(db, dst);
    notify(c.engine, NotifyFlag.Generic, 'del', dst, db.id);
  }
}

// ---------------------------------------------------------------- ranges

/** zslParseRange: `(` excludes a bound; null when either bound is not a float. */
function parseScoreRange(min: string, max: string): ScoreRange | null {
  const minex = min.startsWith('(');
  const maxex = max.startsWith('(');
  const lo = parseRangeDouble(minex ? min.slice(1) : min);
  const hi = parseRangeDouble(maxex ? max.slice(1) : max);
  if (lo === null || hi === null || Number.isNaN(lo) || Number.isNaN(hi)) return null;
  return { min: lo, max: hi, minex, maxex };
}

/** zslParseLexRangeItem: `-`, `+`, `[member` or `(member`. */
function parseLexBound(s: string): { bound: string | number; ex: boolean } | null {
  switch (s[0]) {
    case '+':
      return s.length === 1 ? { bound: Infinity, ex: false } : null;
    case '-':
      return s.length === 1 ? { bound: -Infinity, ex: false } : null;
    case '(':
      return { bound: s.slice(1), ex: true };
    case '[':
      return { bound: s.slice(1), ex: false };
    default:
      return null;
  }
}

function parseLexRange(min: string, max: string): LexRange | null {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  if (lo === null || hi === null) return null;
  return { min: lo.bound, max: hi.bound, minex: lo.ex, maxex: hi.ex };
}

/**
 * A run of members: `count` of them walked from rank `from` (towards rank 0 when
 * reversed). Every ZRANGE form selects one: by rank, by score and by lex alike.
 */
interface Run {
  from: number;
  count: number;
}

const EMPTY_RUN: Run = { from: 0, count: 0 };

/** The members of `run`, in its order. */
function runItems(z: ZSet, run: Run, reverse: boolean): Scored[] {
  const out: Scored[] = [];
  if (run.count === 0) return out;
  z.walk(run.from, reverse, (member, score) => out.push({ member, score }) < run.count);
  return out;
}

/**
 * ZRANGE's reply: written as the set is walked (no list of items in between); a long
 * run is copied and streamed (engine/streamed-reply.ts), RESP3's scores in the protocol
 * of the command's instant.
 */
function replyRun(c: Client, z: ZSet, run: Run, reverse: boolean, withScores: boolean): void {
  const reply = c.reply;
  let left = run.count;
  const nested = withScores && reply.resp !== 2;
  reply.array(withScores && !nested ? left * 2 : left);
  if (left === 0) return;
  // A listpack's packed length stands for its members' bytes (more, read without a scan).
  const bytes = z.isSkiplist ? z.payloadBytes : z.packedLength;
  if (reply.canStream && streamsCollection(left, (bytes * left) / z.size)) {
    const members = new Array<string>(left);
    const scores = withScores ? new Float64Array(left) : null;
    let i = 0;
    z.walk(run.from, reverse, (member, score) => {
      members[i] = member;
      if (scores !== null) scores[i] = score;
      return ++i < members.length;
    });
    return reply.stream(new ScoredRangeReply(members, scores, reply.resp, c.engine.streamedReplies));
  }
  z.walk(run.from, reverse, (member, score) => {
    if (nested) reply.array(2);
    reply.bulk(member);
    if (withScores) reply.double(score);
    return --left > 0;
  });
}

/** The run of ranks `start` to `end` (zrange's arguments, negative from the end), read forward or reversed. */
function rankRun(size: number, start: number, end: number, reverse: boolean): Run {
  const ranks = clampRanks(size, start, end);
  if (ranks === null) return EMPTY_RUN;
  return { from: reverse ? size - 1 - ranks[0] : ranks[0], count: ranks[1] - ranks[0] + 1 };
}

/** Sanitized ranks [start, end] as zrange and zremrange clamp them, or null when empty. */
function clampRanks(size: number, start: number, end: number): [number, number] | null {
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (start > end || start >= size) return null;
  return [start, Math.min(end, size - 1)];
}

/**
 * The run of members whose score (BYSCORE) or member (BYLEX) is in range, from the low
 * end (or the high end when `reverse`), skipping `offset` and taking at most `limit`
 * (negative: all), as genericZrangebyscoreCommand and genericZrangebylexCommand walk.
 */
function boundedRun(z: ZSet, range: { score: ScoreRange } | { lex: LexRange }, offset: number, limit: number, reverse: boolean): Run {
  // A negative offset skips past the end, as redis-server's `while (ln && offset--)`.
  if (offset < 0 || (offset > 0 && offset >= z.size)) return EMPTY_RUN;
  let start: number;
  let inRange: (member: string, score: number) => boolean;
  if ('score' in range) {
    const r = range.score;
    start = reverse ? z.lastInScoreRange(r) : z.firstInScoreRange(r);
    inRange = reverse ? (_, score) => scoreGteMin(score, r) : (_, score) => scoreLteMax(score, r);
  } else {
    const r = range.lex;
    start = reverse ? z.lastInLexRange(r) : z.firstInLexRange(r);
    inRange = reverse ? (member) => lexGteMin(member, r) : (member) => lexLteMax(member, r);
  }
  if (start < 0) return EMPTY_RUN;
  // The skipped members are not checked against the range, as redis-server skips them.
  const from = reverse ? start - offset : start + offset;
  if (from < 0 || from >= z.size) return EMPTY_RUN;
  let count = 0;
  z.walk(from, reverse, (member, score) => count !== limit && inRange(member, score) && ++count > 0);
  return { from, count };
}

const enum RangeBy {
  Auto,
  Rank,
  Score,
  Lex,
}

/**
 * zrangeGenericCommand: `at` is the source key's position; `dst` the ZRANGESTORE
 * destination (null: reply the range). `by` and `rev` fixed by the older forms (Auto
 * and null let the options choose).
 */
function zrange(c: Client, argv: string[], at: number, dst: string | null, fixedBy: RangeBy, fixedRev: boolean | null): void {
  let by = fixedBy;
  let rev = fixedRev;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    if (dst === null && isOption(argv[j], 'withscores')) withScores = true;
    else if (isOption(argv[j], 'limit') && left >= 2) {
      const o = parseLongOrReply(c, argv[j + 1]);
      if (o === null) return;
      const l = parseLongOrReply(c, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (rev === null && isOption(argv[j], 'rev')) rev = true;
    else if (by === RangeBy.Auto && isOption(argv[j], 'bylex')) by = RangeBy.Lex;
    else if (by === RangeBy.Auto && isOption(argv[j], 'byscore')) by = RangeBy.Score;
    else return c.reply.error(SYNTAX);
  }
  const reverse = rev === true;
  if (by === RangeBy.Auto) by = RangeBy.Rank;
  if (limit !== -1 && by === RangeBy.Rank) return c.reply.error(ZSET_LIMIT_NEEDS_BY);
  if (withScores && by === RangeBy.Lex) return c.reply.error(ZSET_WITHSCORES_BYLEX);
  // BYSCORE and BYLEX in reverse take the range as max, min.
  const [minArg, maxArg] = reverse && by !== RangeBy.Rank ? [argv[at + 2], argv[at + 1]] : [argv[at + 1], argv[at + 2]];
  let select: (z: ZSet) => Run;
  if (by === RangeBy.Rank) {
    const start = parseLongOrReply(c, minArg);
    if (start === null) return;
    const end = parseLongOrReply(c, maxArg);
    if (end === null) return;
    select = (z) => rankRun(z.size, start, end, reverse);
  } else if (by === RangeBy.Score) {
    const score = parseScoreRange(minArg, maxArg);
    if (score === null) return c.reply.error(ZSET_SCORE_RANGE_INVALID);
    select = (z) => boundedRun(z, { score }, offset, limit, reverse);
  } else {
    const lex = parseLexRange(minArg, maxArg);
    if (lex === null) return c.reply.error(ZSET_LEX_RANGE_INVALID);
    select = (z) => boundedRun(z, { lex }, offset, limit, reverse);
  }
  const z = readableOrReply(c, argv[at], ZSet);
  if (z === null) return;
  if (dst !== null) return storeResult(c, dst, z === undefined ? [] : runItems(z, select(z), reverse), 'zrangestore');
  if (z === undefined) return c.reply.array(0);
  replyRun(c, z, select(z), reverse, withScores);
}

// ---------------------------------------------------------------- add, increment, remove

const enum AddFlag {
  None = 0,
  Nx = 1,
  Xx = 2,
  Gt = 4,
  Lt = 8,
  Incr = 16,
  Ch = 32,
}

/** ZADD (GEOADD turns itself into one, as redis-server's geoaddCommand does). */
export function zaddCommand(c: Client, argv: string[]): void {
  zadd(c, argv, AddFlag.None);
}

/**
 * The ZADD option `arg` names, or None. Chosen by the first letter (each option's is
 * its own), so a score, the usual first argument, costs one test and no comparison.
 */
function addFlagOf(arg: string): AddFlag {
  switch (arg.charCodeAt(0) | 0x20) {
    case 0x6e: // n
      return isOption(arg, 'nx') ? AddFlag.Nx : AddFlag.None;
    case 0x78: // x
      return isOption(arg, 'xx') ? AddFlag.Xx : AddFlag.None;
    case 0x63: // c
      return isOption(arg, 'ch') ? AddFlag.Ch : AddFlag.None;
    case 0x69: // i
      return isOption(arg, 'incr') ? AddFlag.Incr : AddFlag.None;
    case 0x67: // g
      return isOption(arg, 'gt') ? AddFlag.Gt : AddFlag.None;
    case 0x6c: // l
      return isOption(arg, 'lt') ? AddFlag.Lt : AddFlag.None;
    default:
      return AddFlag.None;
  }
}

/**
 * The scores of a ZADD of a few pairs, all parsed before anything changes
 * (redis-server refuses the whole command for one bad score): reused from call to
 * call (one ZADD runs at a time), so the usual ZADD allocates no array for them.
 */
const FEW_SCORES = new Float64Array(16);

/** ZADD and ZINCRBY (zaddGenericCommand): `flags` holds INCR for ZINCRBY. */
function zadd(c: Client, argv: string[], initial: AddFlag): void {
  let flags = initial;
  let at = 2;
  for (; at < argv.length; at++) {
    const flag = addFlagOf(argv[at]);
    if (flag === AddFlag.None) break;
    flags |= flag;
  }
  const pairs = argv.length - at;
  if (pairs === 0 || pairs % 2 === 1) return c.reply.error(SYNTAX);
  // Booleans, not a closure over `flags`: a closure would cost each call a context.
  const nx = (flags & AddFlag.Nx) !== 0;
  const xx = (flags & AddFlag.Xx) !== 0;
  const gt = (flags & AddFlag.Gt) !== 0;
  const lt = (flags & AddFlag.Lt) !== 0;
  const incr = (flags & AddFlag.Incr) !== 0;
  if (nx && xx) return c.reply.error(ZADD_XX_NX);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return c.reply.error(ZADD_GT_LT_NX);
  if (incr && pairs > 2) return c.reply.error(ZADD_INCR_SINGLE_PAIR);
  const count = pairs / 2;
  const scores = count <= FEW_SCORES.length ? FEW_SCORES : new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const s = parseDouble(argv[at + j * 2]);
    if (s === null) return c.reply.error(NOT_FLOAT);
    scores[j] = s;
  }
  const db = c.db;
  const key = argv[1];
  let z = writableOrReply(c, db, key, ZSet);
  if (z === null) return;
  const { zsetMaxListpackEntries: maxEntries, zsetMaxListpackValue: maxValue } = c.engine.settings;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === undefined && !xx) {
    z = new ZSet();
    if (maxEntries === 0 || maxValue < argv[at + 1].length) z.toSkiplist();
    db.set(key, z);
  }
  // Without flags nothing depends on the score before: one lookup sets it.
  const plain = (flags & ~AddFlag.Ch) === AddFlag.None;
  for (let j = 0; z !== undefined && j < count; j++) {
    const member = argv[at + 1 + j * 2];
    score = scores[j];
    if (plain) {
      const before = z.put(member, score, maxEntries, maxValue);
      if (before === undefined) added++;
      else if (before !== score) updated++;
      continue;
    }
    const current = z.score(member);
    if (current === undefined) {
      if (xx) continue;
      z.set(member, score, maxEntries, maxValue);
      added++;
      processed++;
      continue;
    }
    if (nx) continue;
    if (incr) {
      score += current;
      if (Number.isNaN(score)) {
        // Only a single pair can get here: nothing was changed.
        return c.reply.error(ZSET_NAN_SCORE);
      }
    }
    if ((gt && score <= current) || (lt && score >= current)) continue;
    processed++;
    if (score !== current) {
      z.set(member, score, maxEntries, maxValue);
      updated++;
    }
  }
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.nil();
  } else c.reply.int((flags & AddFlag.Ch) !== 0 ? added + updated : added);
  if (added + updated > 0) {
    c.engine.keyChanged(db, key, added + updated);
    notify(c.engine, NotifyFlag.Zset, incr ? 'zincr' : 'zadd', key, db.id);
  }
}

function zrem(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1];
  const z = writableOrReply(c, db, key, ZSet);
  if (z === null) return;
  if (z === undefined) return c.reply.int(0);
  let deleted = 0;
  for (let i = 2; i < argv.length && z.size > 0; i++) if (z.delete(argv[i])) deleted++;
  if (deleted > 0) {
    notify(c.engine, NotifyFlag.Zset, 'zrem', key, db.id);
    deleteIfEmpty(c, db, key, z);
    c.engine.keyChanged(db, key, deleted);
  }
  c.reply.int(deleted);
}

/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX (zremrangeGenericCommand). */
function zremrange(c: Client, argv: string[], by: RangeBy): void {
  let remove: (z: ZSet) => number;
  let event: string;
  if (by === RangeBy.Rank) {
    const start = parseLongOrReply(c, argv[2]);
    if (start === null) return;
    const end = parseLongOrReply(c, argv[3]);
    if (end === null) return;
    event = 'zremrangebyrank';
    remove = (z) => {
      const ranks = clampRanks(z.size, start, end);
      return ranks === null ? 0 : z.deleteRankRange(ranks[0], ranks[1] - ranks[0] + 1);
    };
  } else if (by === RangeBy.Score) {
    const score = parseScoreRange(argv[2], argv[3]);
    if (score === null) return c.reply.error(ZSET_SCORE_RANGE_INVALID);
    event = 'zremrangebyscore';
    remove = (z) => removeRun(z, boundedRun(z, { score }, 0, -1, false));
  } else {
    const lex = parseLexRange(argv[2], argv[3]);
    if (lex === null) return c.reply.error(ZSET_LEX_RANGE_INVALID);
    event = 'zremrangebylex';
    remove = (z) => removeRun(z, boundedRun(z, { lex }, 0, -1, false));
  }
  const db = c.db;
  const key = argv[1];
  const z = writableOrReply(c, db, key, ZSet);
  if (z === null) return;
  if (z === undefined) return c.reply.int(0);
  const deleted = remove(z);
  if (deleted > 0) {
    c.engine.keyChanged(db, key, deleted);
    notify(c.engine, NotifyFlag.Zset, event, key, db.id);
    deleteIfEmpty(c, db, key, z);
  }
  c.reply.int(deleted);
}

/** Removes a run read forward; returns how many. */
function removeRun(z: ZSet, run: Run): number {
  return z.deleteRankRange(run.from, run.count);
}

// ---------------------------------------------------------------- reads

function zcard(c: Client, argv: string[]): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z !== null) c.reply.int(z?.size ?? 0);
}

function zcount(c: Client, argv: string[], lex: boolean): void {
  let first: (z: ZSet) => number;
  let last: (z: ZSet) => number;
  if (lex) {
    const r = parseLexRange(argv[2], argv[3]);
    if (r === null) return c.reply.error(ZSET_LEX_RANGE_INVALID);
    first = (z) => z.firstInLexRange(r);
    last = (z) => z.lastInLexRange(r);
  } else {
    const r = parseScoreRange(argv[2], argv[3]);
    if (r === null) return c.reply.error(ZSET_SCORE_RANGE_INVALID);
    first = (z) => z.firstInScoreRange(r);
    last = (z) => z.lastInScoreRange(r);
  }
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  if (z === undefined) return c.reply.int(0);
  const from = first(z);
  const to = from < 0 ? -1 : last(z);
  c.reply.int(from < 0 || to < 0 ? 0 : to - from + 1);
}

function zscore(c: Client, argv: string[]): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  const score = z?.score(argv[2]);
  if (score === undefined) c.reply.nil();
  else c.reply.double(score);
}

function zmscore(c: Client, argv: string[]): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = z?.score(argv[i]);
    if (score === undefined) c.reply.nil();
    else c.reply.double(score);
  }
}

function zrank(c: Client, argv: string[], reverse: boolean): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  const rank = z === undefined ? -1 : z.rank(argv[2]);
  if (rank < 0) return c.reply.nil();
  c.reply.int(reverse ? z!.size - 1 - rank : rank);
}

function zrandmember(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const z = readableOrReply(c, argv[1], ZSet);
    if (z === null) return;
    if (z === undefined) return c.reply.nil();
    return c.reply.bulk(z.memberAt(randomIndex(z.size)));
  }
  const count = parseSampleCountOrReply(c, argv[2]);
  if (count === null) return;
  if (argv.length > 4 || (argv.length === 4 && !isOption(argv[3], 'withscores'))) return c.reply.error(SYNTAX);
  const withScores = argv.length === 4;
  const halfMax = 4611686018427387903n;
  if (withScores && (BigInt(count) < -halfMax || BigInt(count) > halfMax)) return c.reply.error(VALUE_OUT_OF_RANGE);
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  if (z === undefined || count === 0) return c.reply.array(0);
  // A count covering the set replies all of it, from the highest (redis-server's CASE 2).
  if (count >= z.size) return replyScored(c, runItems(z, { from: z.size - 1, count: z.size }, true), withScores);
  // A count of 1 draws one member, as with repetitions (redis-server's CASE 1).
  const picks = sampleIndexesOrReply(c, z.size, count === 1 && z.size > 1 ? -1 : count);
  if (picks === null) return;
  const items: Scored[] = [];
  for (let j = 0; j < picks.length; j++) items.push({ member: z.memberAt(picks[j]), score: z.scoreAt(picks[j]) });
  replyScored(c, items, withScores);
}

function zscan(c: Client, argv: string[]): void {
  replyCollectionScan(c, argv, (key) => {
    const z = readableOrReply(c, key, ZSet);
    if (z === null || z === undefined) return z;
    const table = z.scanView();
    return { table, valueAt: (i) => formatDouble(z.score(table.keyAt(i))!) };
  });
}

// ---------------------------------------------------------------- pops

/**
 * genericZpopCommand on a sorted set already found: pops `count` members from the low
 * (or high) end and writes them; `withKey` (BZPOP*, ZMPOP) and `nested` shape the
 * reply. Returns how many it popped.
 */
function popAndReply(c: Client, db: Db, key: string, z: ZSet, max: boolean, count: number, withKey: boolean, nested: boolean): number {
  const n = Math.min(count, z.size);
  const reply = c.reply;
  if (!withKey) reply.array(nested ? n : n * 2);
  else if (!nested) {
    reply.array(n * 2 + 1);
    reply.bulk(key);
  } else {
    reply.array(2);
    reply.bulk(key);
    reply.array(n);
  }
  const write = (member: string, score: number): boolean => {
    if (nested) reply.array(2);
    reply.bulk(member);
    reply.double(score);
    return false;
  };
  for (let i = 0; i < n; i++) {
    const rank = max ? z.size - 1 : 0;
    z.walk(rank, false, write);
    z.deleteRankRange(rank, 1);
  }
  notify(c.engine, NotifyFlag.Zset, max ? 'zpopmax' : 'zpopmin', key, db.id);
  deleteIfEmpty(c, db, key, z);
  c.engine.keyChanged(db, key, n);
  return n;
}

function popName(max: boolean): string {
  return max ? 'ZPOPMAX' : 'ZPOPMIN';
}

function zpop(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) return c.reply.error(SYNTAX);
  let count = -1;
  if (argv.length === 3) {
    const v = parseInt64(argv[2]);
    if (v === null || v < 0) return c.reply.error(MUST_BE_POSITIVE);
    count = Number(v);
  }
  const db = c.db;
  const z = writableOrReply(c, db, argv[1], ZSet);
  if (z === null) return;
  if (z === undefined || count === 0) return c.reply.array(0);
  popAndReply(c, db, argv[1], z, max, count === -1 ? 1 : count, false, c.reply.resp !== 2 && count !== -1);
}

/** The first key holding a sorted set among `keys`; undefined when none, null after WRONGTYPE. */
function firstZsetOrReply(c: Client, keys: readonly string[]): { key: string; z: ZSet } | undefined | null {
  for (const key of keys) {
    const z = writableOrReply(c, c.db, key, ZSet);
    if (z === null) return null;
    if (z !== undefined) return { key, z };
  }
  return undefined;
}

/** A number in [min, LONG_MAX] (getRangeLongFromObjectOrReply with a message), or null after `error`. */
function parseAtLeastOrReply(c: Client, arg: string, min: number, error: string): number | null {
  const v = parseInt64(arg);
  if (v === null || v < min) {
    c.reply.error(error);
    return null;
  }
  return Number(v);
}

/** ZMPOP/BZMPOP: numkeys at argv[at], the keys, MIN|MAX, [COUNT n]; null after an error reply. */
function parseMpopOrReply(c: Client, argv: string[], at: number): { keys: string[]; max: boolean; count: number } | null {
  const numkeys = parseAtLeastOrReply(c, argv[at], 1, NUMKEYS_NOT_POSITIVE);
  if (numkeys === null) return null;
  const whereAt = at + numkeys + 1;
  if (whereAt >= argv.length || !(isOption(argv[whereAt], 'min') || isOption(argv[whereAt], 'max'))) {
    c.reply.error(SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && isOption(argv[j], 'count') && j < argv.length - 1) {
      const v = parseAtLeastOrReply(c, argv[++j], 1, COUNT_NOT_POSITIVE);
      if (v === null) return null;
      count = v;
    } else {
      c.reply.error(SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(at + 1, whereAt), max: isOption(argv[whereAt], 'max'), count: count === -1 ? 1 : count };
}

function zmpop(c: Client, argv: string[]): void {
  const args = parseMpopOrReply(c, argv, 1);
  if (args === null) return;
  const found = firstZsetOrReply(c, args.keys);
  if (found === null) return;
  if (found === undefined) return c.reply.nilArray();
  popAndReply(c, c.db, found.key, found.z, args.max, args.count, true, true);
  c.engine.rewriteEffect([popName(args.max), found.key, String(args.count)]);
}

/**
 * BZPOPMIN, BZPOPMAX (`count` -1) and BZMPOP (blockingGenericZpopCommand): served at
 * once as the non-blocking form when a key holds a sorted set, else the client waits.
 */
function blockingPop(c: Client, keys: string[], max: boolean, timeoutArg: string, count: number): void {
  const timeoutMs = parseSecondsTimeout(timeoutArg, c.engine.now());
  if (typeof timeoutMs === 'string') return c.reply.error(timeoutMs);
  const found = firstZsetOrReply(c, keys);
  if (found === null) return;
  const nested = count !== -1;
  const effect = (key: string): string[] => (nested ? [popName(max), key, String(count)] : [popName(max), key]);
  if (found !== undefined) {
    popAndReply(c, c.db, found.key, found.z, max, nested ? count : 1, true, nested);
    return c.engine.rewriteEffect(effect(found.key));
  }
  // Inside MULTI/EXEC (or wherever blocking is denied) the answer is a timeout's.
  if (c.denyBlocking) return c.reply.nilArray();
  const db = c.db;
  c.engine.blocking.block(c, {
    keys,
    timeoutMs,
    serve(key) {
      const v = db.lookupWrite(key);
      if (!(v instanceof ZSet)) return false;
      popAndReply(c, db, key, v, max, nested ? count : 1, true, nested);
      c.engine.alsoPropagate(db.id, effect(key));
      return true;
    },
    timedOut: () => c.reply.nilArray(),
  });
}

function bzmpop(c: Client, argv: string[]): void {
  const args = parseMpopOrReply(c, argv, 2);
  if (args !== null) blockingPop(c, args.keys, args.max, argv[1], args.count);
}

// ---------------------------------------------------------------- algebra

const enum SetOp {
  Union,
  Inter,
  Diff,
}

type Aggregate = 'sum' | 'min' | 'max';

/** A source of the algebra: a sorted set, or a plain set whose members score 1. */
interface Source {
  size: number;
  score(member: string): number | undefined;
  each(visit: (member: string, score: number) => void): void;
}

function sourceOf(v: ZSet | SetValue | undefined): Source {
  if (v === undefined) return { size: 0, score: () => undefined, each: () => undefined };
  if (v instanceof SetValue) {
    return { size: v.size, score: (m) => (v.has(m) ? 1 : undefined), each: (visit) => v.memberList().forEach((m) => visit(m, 1)) };
  }
  return { size: v.size, score: (m) => v.score(m), each: (visit) => v.walk(0, false, (m, score) => (visit(m, score), true)) };
}

/** zunionInterAggregate; a NaN sum (inf + -inf) is 0. */
function aggregate(how: Aggregate, a: number, b: number): number {
  if (how === 'min') return Math.min(a, b);
  if (how === 'max') return Math.max(a, b);
  const sum = a + b;
  return Number.isNaN(sum) ? 0 : sum;
}

/** A weighted score; NaN (inf * 0) is 0. */
function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v;
}

/** The result of the algebra over `sources`, sorted by (score, member). */
function combine(op: SetOp, sources: readonly Source[], weights: readonly number[], how: Aggregate): Scored[] {
  const result = new Map<string, number>();
  if (op === SetOp.Union) {
    sources.forEach((s, i) =>
      s.each((m, score) => {
        const v = weighted(score, weights[i]);
        const had = result.get(m);
        result.set(m, had === undefined ? v : aggregate(how, had, v));
      }),
    );
  } else if (op === SetOp.Inter) {
    const order = sources.map((s, i) => i).sort((a, b) => sources[a].size - sources[b].size);
    const [first, ...rest] = order;
    sources[first].each((m, score) => {
      let v = weighted(score, weights[first]);
      for (const i of rest) {
        const other = sources[i].score(m);
        if (other === undefined) return;
        v = aggregate(how, v, weighted(other, weights[i]));
      }
      result.set(m, v);
    });
  } else {
    const [first, ...rest] = sources;
    first.each((m, score) => {
      if (!rest.some((s) => s.score(m) !== undefined)) result.set(m, score);
    });
  }
  const items = [...result].map(([member, score]) => ({ member, score }));
  return items.sort((a, b) => (a.score !== b.score ? (a.score < b.score ? -1 : 1) : a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

/**
 * ZUNION/ZINTER/ZDIFF, their STORE forms (`dst`) and ZINTERCARD (`cardinality`)
 * (zunionInterDiffGenericCommand): numkeys at argv[at], then keys and options.
 */
function zalgebra(c: Client, argv: string[], at: number, dst: string | null, op: SetOp, cardinality = false): void {
  const numkeys = parseInt64(argv[at]);
  if (numkeys === null) return c.reply.error(NOT_INTEGER);
  if (numkeys < 1) return c.reply.error(ZSET_INPUT_KEY_NEEDED(argv[0].toLowerCase()));
  const n = Number(numkeys);
  if (n > argv.length - at - 1) return c.reply.error(SYNTAX);
  const sources: Source[] = [];
  for (let i = 0; i < n; i++) {
    const key = argv[at + 1 + i];
    const v = dst !== null ? c.db.lookupWrite(key) : c.db.lookupRead(key);
    if (v !== undefined && !(v instanceof ZSet) && !(v instanceof SetValue)) return c.reply.error(WRONGTYPE);
    sources.push(sourceOf(v));
  }
  const weights = new Array<number>(n).fill(1);
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  let j = at + 1 + n;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const word = argv[j];
    if (op !== SetOp.Diff && !cardinality && remaining >= n + 1 && isOption(word, 'weights')) {
      for (let i = 0; i < n; i++) {
        const w = parseDouble(argv[j + 1 + i]);
        if (w === null) return c.reply.error(ZSET_WEIGHT_NOT_FLOAT);
        weights[i] = w;
      }
      j += n + 1;
    } else if (op !== SetOp.Diff && !cardinality && remaining >= 2 && isOption(word, 'aggregate')) {
      const a = argv[j + 1].toLowerCase();
      if (a !== 'sum' && a !== 'min' && a !== 'max') return c.reply.error(SYNTAX);
      how = a;
      j += 2;
    } else if (dst === null && !cardinality && isOption(word, 'withscores')) {
      withScores = true;
      j++;
    } else if (cardinality && remaining >= 2 && isOption(word, 'limit')) {
      const v = parseInt64(argv[j + 1]);
      if (v === null || v < 0) return c.reply.error(LIMIT_CANT_BE_NEGATIVE);
      limit = Number(v);
      j += 2;
    } else return c.reply.error(SYNTAX);
  }
  const items = combine(op, sources, weights, how);
  if (cardinality) return c.reply.int(limit > 0 ? Math.min(limit, items.length) : items.length);
  if (dst !== null) return storeResult(c, dst, items, op === SetOp.Union ? 'zunionstore' : op === SetOp.Inter ? 'zinterstore' : 'zdiffstore');
  replyScored(c, items, withScores);
}

export const zsetCommands: readonly CommandDef<Client>[] = [
  { name: 'zadd', handler: zaddCommand },
  { name: 'zincrby', handler: (c, argv) => zadd(c, argv, AddFlag.Incr) },
  { name: 'zrem', handler: zrem },
  { name: 'zremrangebyrank', handler: (c, argv) => zremrange(c, argv, RangeBy.Rank) },
  { name: 'zremrangebyscore', handler: (c, argv) => zremrange(c, argv, RangeBy.Score) },
  { name: 'zremrangebylex', handler: (c, argv) => zremrange(c, argv, RangeBy.Lex) },
  { name: 'zcard', handler: zcard },
  { name: 'zcount', handler: (c, argv) => zcount(c, argv, false) },
  { name: 'zlexcount', handler: (c, argv) => zcount(c, argv, true) },
  { name: 'zscore', handler: zscore },
  { name: 'zmscore', handler: zmscore },
  { name: 'zrank', handler: (c, argv) => zrank(c, argv, false) },
  { name: 'zrevrank', handler: (c, argv) => zrank(c, argv, true) },
  { name: 'zrange', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Auto, null) },
  { name: 'zrangestore', handler: (c, argv) => zrange(c, argv, 2, argv[1], RangeBy.Auto, null) },
  { name: 'zrevrange', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Rank, true) },
  { name: 'zrangebyscore', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Score, false) },
  { name: 'zrevrangebyscore', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Score, true) },
  { name: 'zrangebylex', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Lex, false) },
  { name: 'zrevrangebylex', handler: (c, argv) => zrange(c, argv, 1, null, RangeBy.Lex, true) },
  { name: 'zpopmin', handler: (c, argv) => zpop(c, argv, false) },
  { name: 'zpopmax', handler: (c, argv) => zpop(c, argv, true) },
  { name: 'zmpop', handler: zmpop },
  { name: 'bzpopmin', handler: (c, argv) => blockingPop(c, argv.slice(1, -1), false, argv[argv.length - 1], -1) },
  { name: 'bzpopmax', handler: (c, argv) => blockingPop(c, argv.slice(1, -1), true, argv[argv.length - 1], -1) },
  { name: 'bzmpop', handler: bzmpop },
  { name: 'zunion', handler: (c, argv) => zalgebra(c, argv, 1, null, SetOp.Union) },
  { name: 'zinter', handler: (c, argv) => zalgebra(c, argv, 1, null, SetOp.Inter) },
  { name: 'zdiff', handler: (c, argv) => zalgebra(c, argv, 1, null, SetOp.Diff) },
  { name: 'zunionstore', handler: (c, argv) => zalgebra(c, argv, 2, argv[1], SetOp.Union) },
  { name: 'zinterstore', handler: (c, argv) => zalgebra(c, argv, 2, argv[1], SetOp.Inter) },
  { name: 'zdiffstore', handler: (c, argv) => zalgebra(c, argv, 2, argv[1], SetOp.Diff) },
  { name: 'zintercard', handler: (c, argv) => zalgebra(c, argv, 1, null, SetOp.Inter, true) },
  { name: 'zrandmember', handler: zrandmember },
  { name: 'zscan', handler: zscan },
];
