/**
 * The stream family: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID and XINFO
 * STREAM/HELP here; XREAD/XREADGROUP (stream-read.ts) and the consumer group
 * commands (stream-group.ts) join them in `streamCommands`. Argument parsing and
 * every error follow redis-server 7.0's t_stream.c, check for check and in the
 * same order.
 *
 * Effects (ARCHITECTURE.md, "Effects"): XADD goes out with the ID it generated, and an
 * approximate trim (`~`, which depends on node boundaries) goes out as an exact one
 * (`=`) to the length or first ID it produced, as redis-server rewrites them.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import {
  INVALID_ID,
  LIMIT_NEGATIVE,
  LIMIT_WITHOUT_APPROX,
  LIMIT_WITHOUT_STRATEGY,
  MAXLEN_AND_MINID,
  MAXLEN_NEGATIVE,
  NO_SUCH_KEY,
  NOT_INTEGER,
  STREAM_ELEMENTS_TOO_LARGE,
  STREAM_IDS_EXHAUSTED,
  SYNTAX,
  WRONG_ARGS,
  XADD_ID_NOT_ABOVE_TOP,
  XADD_ID_ZERO,
  XSETID_BELOW_MAX_DELETED,
  XSETID_BELOW_TOP,
  XSETID_ENTRIES_ADDED_BELOW_LENGTH,
  XSETID_ENTRIES_ADDED_NEGATIVE,
  XTRIM_WITHOUT_STRATEGY,
} from '../errors.js';
import { replyHelp, subcommandSyntaxError } from '../help.js';
import { asLongLong, parseInt64, type Int64 } from '../util/int64.js';
import { LISTPACK_MAX_SIZE, Stream, type TrimStrategy } from '../types/stream.js';
import { incU64, parseStreamId, StreamId, U64_MAX, type SeqGiven } from '../types/stream-id.js';
import { asStreamOrReply, fail, parseRangeEndOrReply, parseRangeStartOrReply, replyRange } from './stream-common.js';
import { isOption } from '../util/option.js';
import { notify, NotifyFlag } from '../notify.js';
import { streamReadCommands } from './stream-read.js';
import { replyGroupsFull, streamGroupCommands } from './stream-group.js';
import { byteLength } from '../../protocol/packed-string.js';


/** The options of XADD and XTRIM (streamAddTrimArgs). */
interface AddTrimArgs {
  /** XADD: index of the ID argument. */
  idPos: number;
  /** XADD: the explicit ID, or null for `*`. */
  id: StreamId | null;
  /** XADD: false for `<ms>-*`. */
  seqGiven: boolean;
  noMkStream: boolean;
  strategy: TrimStrategy | null;
  /** Index of the MAXLEN count or MINID id, for the effect rewrite. */
  strategyArgIndex: number;
  /** Index of the LIMIT keyword, or -1. */
  limitIndex: number;
  approx: boolean;
  limit: number;
  maxLen: number;
  minId: StreamId;
}

/** streamParseAddOrTrimArgsOrReply: null after replying an error. */
function parseAddTrimArgsOrReply(c: Client, argv: readonly string[], xadd: boolean): AddTrimArgs | null {
  const a: AddTrimArgs = {
    idPos: argv.length,
    id: null,
    seqGiven: true,
    noMkStream: false,
    strategy: null,
    strategyArgIndex: 0,
    limitIndex: -1,
    approx: false,
    limit: 0,
    maxLen: 0,
    minId: StreamId.MIN,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && isOption(opt, '*')) {
      break;
    } else if ((isOption(opt, 'maxlen') || isOption(opt, 'minid')) && more > 0) {
      if (a.strategy !== null) return fail(c, MAXLEN_AND_MINID);
      const byLength = isOption(opt, 'maxlen');
      a.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && isOption(next, '~')) {
        a.approx = true;
        i++;
      } else if (more >= 2 && isOption(next, '=')) {
        i++;
      }
      if (byLength) {
        const n = parseInt64(argv[i + 1]);
        if (n === null) return fail(c, NOT_INTEGER);
        if (n < 0) return fail(c, MAXLEN_NEGATIVE);
        a.maxLen = Number(n);
      } else {
        const id = parseStreamId(argv[i + 1], 0, true);
        if (id === null) return fail(c, INVALID_ID);
        a.minId = id;
      }
      i++;
      a.strategy = byLength ? 'maxlen' : 'minid';
      a.strategyArgIndex = i;
    } else if (isOption(opt, 'limit') && more > 0) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return fail(c, NOT_INTEGER);
      if (n < 0) return fail(c, LIMIT_NEGATIVE);
      a.limit = Number(n);
      a.limitIndex = i;
      limitGiven = true;
      i++;
    } else if (xadd && isOption(opt, 'nomkstream')) {
      a.noMkStream = true;
    } else if (xadd) {
      const seq: SeqGiven = { seqGiven: true };
      const id = parseStreamId(opt, 0, true, seq);
      if (id === null) return fail(c, INVALID_ID);
      a.id = id;
      a.seqGiven = seq.seqGiven;
      break;
    } else {
      return fail(c, SYNTAX);
    }
  }
  a.idPos = i;
  if (a.limit !== 0 && a.strategy === null) return fail(c, LIMIT_WITHOUT_STRATEGY);
  if (!xadd && a.strategy === null) return fail(c, XTRIM_WITHOUT_STRATEGY);
  if (limitGiven) {
    if (!a.approx) return fail(c, LIMIT_WITHOUT_APPROX);
  } else if (a.approx) {
    // Without LIMIT, approximate trimming visits at most 100 nodes' worth of entries.
    a.limit = 100 * c.engine.settings.streamNodeMaxEntries;
  } else {
    a.limit = 0;
  }
  return a;
}

/**
 * After a trim that was approximate, rewrites the effect so that replaying it trims
 * exactly as this one did: `~` becomes `=` and the threshold becomes the length
 * (MAXLEN) or first ID (MINID) reached, as redis-server does.
 */
function rewriteApproxTrim(s: Stream, a: AddTrimArgs, effect: string[]): void {
  effect[a.strategyArgIndex - 1] = '=';
  effect[a.strategyArgIndex] = a.strategy === 'maxlen' ? String(s.length) : s.edgeId(true, false).toString();
}

/**
 * Unlike redis-server we also drop LIMIT from a rewritten trim: an exact trim
 * rejects LIMIT unless it comes from a primary or the AOF, and without it the
 * effect replays through any client with the same result. Call it last: it shifts
 * the arguments after LIMIT.
 */
function dropLimit(a: AddTrimArgs, effect: string[]): void {
  if (a.limitIndex >= 0) effect.splice(a.limitIndex, 2);
}

/** The ID XADD adds (streamAppendItem's choice), or the error to reply. */
function xaddId(s: Stream, a: AddTrimArgs, now: number): StreamId | string {
  const last = s.lastId;
  let id: StreamId;
  if (a.id === null) {
    // streamNextID: the clock, or the next sequence when the clock is not ahead.
    id = now > last.ms ? new StreamId(now, 0) : (last.next() ?? StreamId.MIN);
  } else if (!a.seqGiven && a.id.ms === last.ms) {
    // redis-server 7.0 fails here without setting errno, and XADD picks its error by
    // errno: a stale value, usually not EDOM (iterating or updating its radix tree
    // clears errno), hence this message. After some commands redis-server says
    // XADD_ID_NOT_ABOVE_TOP instead; emulating its errno exactly is out of reach.
    if (last.seq === U64_MAX) return STREAM_ELEMENTS_TOO_LARGE;
    id = new StreamId(last.ms, incU64(last.seq));
  } else {
    id = a.id;
  }
  return id.compare(last) > 0 ? id : XADD_ID_NOT_ABOVE_TOP;
}

function xadd(c: Client, argv: string[]): void {
  const a = parseAddTrimArgsOrReply(c, argv, true);
  if (a === null) return;
  const fieldPos = a.idPos + 1;
  const pairArgs = argv.length - fieldPos;
  if (pairArgs < 2 || pairArgs % 2 === 1) return c.reply.error(WRONG_ARGS('xadd'));
  if (a.id !== null && a.seqGiven && a.id.isZero()) return c.reply.error(XADD_ID_ZERO);

  const key = argv[1];
  let s = asStreamOrReply(c, c.db.lookupWrite(key));
  if (s === null) return;
  if (s === undefined) {
    if (a.noMkStream) return c.reply.nil();
    s = new Stream();
    c.db.set(key, s);
  }
  if (s.lastId.isMax()) return c.reply.error(STREAM_IDS_EXHAUSTED);
  const id = xaddId(s, a, c.engine.now());
  if (typeof id === 'string') return c.reply.error(id);
  let bytes = 0;
  for (let i = fieldPos; i < argv.length; i++) bytes += byteLength(argv[i]);
  if (bytes > LISTPACK_MAX_SIZE) return c.reply.error(STREAM_ELEMENTS_TOO_LARGE);

  const sealed = s.append(id, argv, fieldPos, c.engine.settings);
  if (sealed !== null) c.engine.sealedNodes.add(c.db, key, s, sealed);
  s.wakeups++;
  const idString = id.toString();
  c.reply.bulk(idString);
  c.engine.keyChanged(c.db, key);
  notify(c.engine, NotifyFlag.Stream, 'xadd', key, c.db.id);

  let effect: string[] | null = null;
  if (a.strategy !== null) {
    const trimmed = s.trim({ strategy: a.strategy, maxLen: a.maxLen, minId: a.minId, approx: a.approx, limit: a.limit });
    if (trimmed > 0) notify(c.engine, NotifyFlag.Stream, 'xtrim', key, c.db.id);
    if (a.approx) rewriteApproxTrim(s, a, (effect = argv.slice()));
  }
  if (a.id === null || !a.seqGiven) (effect ??= argv.slice())[a.idPos] = idString;
  if (effect === null) return;
  if (a.approx) dropLimit(a, effect);
  c.engine.rewriteEffect(effect);
}

function xtrim(c: Client, argv: string[]): void {
  const a = parseAddTrimArgsOrReply(c, argv, false);
  if (a === null) return;
  const s = asStreamOrReply(c, c.db.lookupWrite(argv[1]));
  if (s === null) return;
  if (s === undefined) return c.reply.int(0);
  const removed = s.trim({ strategy: a.strategy!, maxLen: a.maxLen, minId: a.minId, approx: a.approx, limit: a.limit });
  if (removed > 0) {
    if (a.approx) {
      const effect = argv.slice();
      rewriteApproxTrim(s, a, effect);
      dropLimit(a, effect);
      c.engine.rewriteEffect(effect);
    }
    c.engine.keyChanged(c.db, argv[1], removed);
    notify(c.engine, NotifyFlag.Stream, 'xtrim', argv[1], c.db.id);
  }
  c.reply.int(removed);
}

function xlen(c: Client, argv: string[]): void {
  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  c.reply.int(s === undefined ? 0 : s.length);
}

/** An optional `COUNT n` at argv[from..]; -1 when absent, negative counts as 0. */
function parseRangeCountOrReply(c: Client, argv: readonly string[], from: number): number | null {
  let count = -1;
  for (let j = from; j < argv.length; j++) {
    if (!isOption(argv[j], 'count') || j + 1 >= argv.length) return fail(c, SYNTAX);
    const n = parseInt64(argv[++j]);
    if (n === null) return fail(c, NOT_INTEGER);
    count = n < 0 ? 0 : Number(n);
  }
  return count;
}

function xrangeGeneric(c: Client, argv: string[], rev: boolean): void {
  const start = parseRangeStartOrReply(c, rev ? argv[3] : argv[2]);
  if (start === null) return;
  const end = parseRangeEndOrReply(c, rev ? argv[2] : argv[3]);
  if (end === null) return;
  const count = parseRangeCountOrReply(c, argv, 4);
  if (count === null) return;

  const s = asStreamOrReply(c, c.db.lookupRead(argv[1]));
  if (s === null) return;
  if (s === undefined) return c.reply.array(0);
  // An explicit COUNT 0 answers a null array, as redis-server does.
  if (count === 0) return c.reply.nilArray();
  replyRange(c, s, start, end, count === -1 ? 0 : count, rev);
}

function xrange(c: Client, argv: string[]): void {
  xrangeGeneric(c, argv, false);
}

function xrevrange(c: Client, argv: string[]): void {
  xrangeGeneric(c, argv, true);
}

function xdel(c: Client, argv: string[]): void {
  const s = asStreamOrReply(c, c.db.lookupWrite(argv[1]));
  if (s === null) return;
  if (s === undefined) return c.reply.int(0);
  // Every ID is checked first, so an invalid one leaves the stream untouched.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = parseStreamId(argv[j], 0, true);
    if (id === null) return c.reply.error(INVALID_ID);
    ids.push(id);
  }
  const deleted = s.delete(ids);
  if (deleted > 0) {
    c.engine.keyChanged(c.db, argv[1], deleted);
    notify(c.engine, NotifyFlag.Stream, 'xdel', argv[1], c.db.id);
  }
  c.reply.int(deleted);
}

function xsetid(c: Client, argv: string[]): void {
  const id = parseStreamId(argv[2], 0, true);
  if (id === null) return c.reply.error(INVALID_ID);
  let entriesAdded: Int64 = -1;
  let maxDeleted = StreamId.MIN;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    if (isOption(argv[i], 'entriesadded') && more > 0) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return c.reply.error(NOT_INTEGER);
      if (n < 0) return c.reply.error(XSETID_ENTRIES_ADDED_NEGATIVE);
      entriesAdded = n;
    } else if (isOption(argv[i], 'maxdeletedid') && more > 0) {
      const max = parseStreamId(argv[i + 1], 0, true);
      if (max === null) return c.reply.error(INVALID_ID);
      if (id.compare(max) < 0) {
        return c.reply.error(XSETID_BELOW_MAX_DELETED);
      }
      maxDeleted = max;
    } else {
      return c.reply.error(SYNTAX);
    }
  }

  const s = asStreamOrReply(c, c.db.lookupWrite(argv[1]));
  if (s === null) return;
  if (s === undefined) return c.reply.error(NO_SUCH_KEY);
  if (s.length > 0) {
    if (id.compare(s.lastValidId()) < 0) {
      return c.reply.error(XSETID_BELOW_TOP);
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      return c.reply.error(XSETID_ENTRIES_ADDED_BELOW_LENGTH);
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!maxDeleted.isZero()) s.maxDeletedId = maxDeleted;
  c.reply.ok();
  c.engine.keyChanged(c.db, argv[1]);
  notify(c.engine, NotifyFlag.Stream, 'xsetid', argv[1], c.db.id);
}

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

function xinfoHelp(c: Client, argv: string[]): void {
  replyHelp(c.reply, argv[0], XINFO_HELP);
}

/** XINFO STREAM key [FULL [COUNT n]] (xinfoReplyWithStreamInfo). */
function xinfoStream(c: Client, argv: string[]): void {
  const s = asStreamOrReply(c, c.db.lookupRead(argv[2]));
  if (s === null) return;
  if (s === undefined) return c.reply.error(NO_SUCH_KEY);
  const options = argv.length - 3;
  const full = options > 0;
  let count = 10;
  if (full) {
    if ((options !== 1 && options !== 3) || !isOption(argv[3], 'full')) return c.reply.error(subcommandSyntaxError(argv));
    if (options === 3) {
      if (!isOption(argv[4], 'count')) return c.reply.error(subcommandSyntaxError(argv));
      const n = parseInt64(argv[5]);
      if (n === null) return c.reply.error(NOT_INTEGER);
      count = n < 0 ? 10 : Number(n);
    }
  }

  const reply = c.reply;
  reply.map(full ? 9 : 10);
  reply.bulk('length');
  reply.int(s.length);
  reply.bulk('radix-tree-keys');
  reply.int(s.nodeCount);
  reply.bulk('radix-tree-nodes');
  reply.int(s.radixTreeNodes());
  reply.bulk('last-generated-id');
  reply.bulk(s.lastId.toString());
  reply.bulk('max-deleted-entry-id');
  reply.bulk(s.maxDeletedId.toString());
  reply.bulk('entries-added');
  reply.int(asLongLong(s.entriesAdded));
  reply.bulk('recorded-first-entry-id');
  reply.bulk(s.firstId.toString());
  if (full) {
    reply.bulk('entries');
    replyRange(c, s, StreamId.MIN, StreamId.MAX, count, false);
    reply.bulk('groups');
    replyGroupsFull(reply, s, count);
    return;
  }
  reply.bulk('groups');
  reply.int(s.groups === null ? 0 : s.groups.size);
  for (const rev of [false, true]) {
    reply.bulk(rev ? 'last-entry' : 'first-entry');
    const it = s.range(StreamId.MIN, StreamId.MAX, rev);
    if (it.next()) it.node.replyEntry(it.index, reply);
    else reply.nil();
  }
}

export const streamCommands: readonly CommandDef<Client>[] = [
  { name: 'xadd', handler: xadd },
  { name: 'xtrim', handler: xtrim },
  { name: 'xlen', handler: xlen },
  { name: 'xrange', handler: xrange },
  { name: 'xrevrange', handler: xrevrange },
  { name: 'xdel', handler: xdel },
  { name: 'xsetid', handler: xsetid },
  { name: 'xinfo|help', handler: xinfoHelp },
  { name: 'xinfo|stream', handler: xinfoStream },
  ...streamReadCommands,
  ...streamGroupCommands,
];
