/**
 * XREAD and XREADGROUP (redis-server 7.0's xreadCommand, which serves both), with
 * BLOCK on the engine's blocking framework (engine/blocking.ts).
 *
 * A read that finds nothing to serve and has BLOCK waits on its keys. Like
 * redis-server, a waiting reader is offered a key only after a write that would
 * signal it there: an XADD, an XGROUP DESTROY, or the key being created, replaced
 * or deleted. Other writes (XSETID, XGROUP SETID, XDEL...) do not wake it, even if
 * they change what it would read; `Stream.wakeups` and the stream's identity tell
 * the two apart. Then, as serveClientsBlockedOnStreamKey: an XREAD reader is served
 * if the stream's last ID passed the ID it waits after; an XREADGROUP reader waits
 * after its group's last delivered ID at that moment, so readers of one group get
 * the new entries in turn; a deleted stream or group ends an XREADGROUP wait with
 * an error.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import {
  INVALID_ID,
  NOGROUP,
  NOGROUP_BLOCKED,
  NOT_INTEGER,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_INTEGER,
  UNBLOCKED_STREAM_DELETED,
  XREAD_GROUP_OPTION,
  XREAD_GT_WITHOUT_GROUP,
  XREAD_NOACK_OPTION,
  XREAD_UNBALANCED,
  XREADGROUP_DOLLAR,
  XREADGROUP_MISSING_GROUP,
} from '../errors.js';
import { cString } from '../util/c-string.js';
import { INT64_MAX, parseInt64 } from '../util/int64.js';
import { Stream } from '../types/stream.js';
import { parseStreamId, StreamId } from '../types/stream-id.js';
import type { ConsumerGroup } from '../types/stream-group.js';
import { asStreamOrReply, fail, replyRange } from './stream-common.js';
import { isOption } from '../util/option.js';
import { deliverRange, lookupOrCreateConsumer, propagateConsumerCreation, replyHistory, type Delivery } from './stream-group.js';

/** How many entries a blocked read without COUNT gets (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;

/** What XREAD/XREADGROUP parsed. */
interface ReadArgs {
  /** BLOCK in ms (0: forever), or -1 without BLOCK. */
  timeout: number;
  count: number;
  /** Index of the first key. */
  keysAt: number;
  streams: number;
  groupName: string | null;
  consumerName: string;
  noack: boolean;
}

/**
 * The BLOCK timeout in ms (getTimeoutFromObjectOrReply, UNIT_MILLISECONDS); a
 * deadline beyond INT64_MAX never arrives, so it waits forever.
 */
function parseTimeoutOrReply(c: Client, arg: string): number | null {
  const ms = parseInt64(arg);
  if (ms === null) return fail(c, TIMEOUT_NOT_INTEGER);
  if (ms < 0) return fail(c, TIMEOUT_NEGATIVE);
  if (BigInt(ms) + BigInt(c.engine.now()) > INT64_MAX) return 0;
  return Number(ms);
}

function parseReadArgsOrReply(c: Client, argv: string[], group: boolean): ReadArgs | null {
  const a: ReadArgs = { timeout: -1, count: 0, keysAt: 0, streams: 0, groupName: null, consumerName: '', noack: false };
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (isOption(opt, 'block') && more > 0) {
      const timeout = parseTimeoutOrReply(c, argv[++i]);
      if (timeout === null) return null;
      a.timeout = timeout;
    } else if (isOption(opt, 'count') && more > 0) {
      const n = parseInt64(argv[++i]);
      if (n === null) return fail(c, NOT_INTEGER);
      a.count = n < 0 ? 0 : Number(n);
    } else if (isOption(opt, 'streams') && more > 0) {
      a.keysAt = i + 1;
      const rest = argv.length - a.keysAt;
      if (rest % 2 !== 0) return fail(c, XREAD_UNBALANCED);
      a.streams = rest / 2;
      break;
    } else if (isOption(opt, 'group') && more >= 2) {
      if (!group) return fail(c, XREAD_GROUP_OPTION);
      a.groupName = argv[i + 1];
      a.consumerName = argv[i + 2];
      i += 2;
    } else if (isOption(opt, 'noack')) {
      if (!group) return fail(c, XREAD_NOACK_OPTION);
      a.noack = true;
    } else {
      return fail(c, SYNTAX);
    }
  }
  if (a.keysAt === 0) return fail(c, SYNTAX);
  if (group && a.groupName === null) return fail(c, XREADGROUP_MISSING_GROUP);
  return a;
}

/**
 * Each stream's ID to read after, with its group for XREADGROUP (`>` is the maximal
 * ID, as in redis-server: the group's last ID replaces it when serving). Every key
 * is looked up and type checked as it is parsed.
 */
function parseIdsOrReply(c: Client, argv: string[], a: ReadArgs, groups: ConsumerGroup[]): StreamId[] | null {
  const after: StreamId[] = [];
  for (let k = 0; k < a.streams; k++) {
    const key = argv[a.keysAt + k];
    const s = asStreamOrReply(c, c.db.lookupRead(key));
    if (s === null) return null;
    if (a.groupName !== null) {
      const group = s?.group(a.groupName);
      if (group === undefined) return fail(c, NOGROUP(key, a.groupName, ' in XREADGROUP with GROUP option'));
      groups.push(group);
    }
    const arg = argv[a.keysAt + a.streams + k];
    const text = cString(arg);
    let id: StreamId | null;
    if (text === '$') {
      if (a.groupName !== null) return fail(c, XREADGROUP_DOLLAR);
      id = s === undefined ? StreamId.MIN : s.lastId;
    } else if (text === '>') {
      if (a.groupName === null) return fail(c, XREAD_GT_WITHOUT_GROUP);
      id = StreamId.MAX;
    } else {
      id = parseStreamId(arg, 0, true);
      if (id === null) return fail(c, INVALID_ID);
    }
    after.push(id);
  }
  return after;
}

/**
 * The group's consumer for this read, created if new. A creation is propagated
 * unless claims will recreate the consumer: by a NOACK read, and by a history read
 * (a new consumer has no history).
 */
function readingConsumer(c: Client, db: Db, key: string, a: ReadArgs, group: ConsumerGroup, history: boolean): Delivery {
  const [consumer, created] = lookupOrCreateConsumer(c.engine, group, a.consumerName, key, db.id);
  if (created && (a.noack || history)) propagateConsumerCreation(c.engine, db.id, key, a.groupName!, a.consumerName);
  return { db: db.id, key, groupName: a.groupName!, group, consumer, noack: a.noack };
}

function xreadGeneric(c: Client, argv: string[], isGroup: boolean): void {
  const a = parseReadArgsOrReply(c, argv, isGroup);
  if (a === null) return;
  const groups: ConsumerGroup[] = [];
  const after = parseIdsOrReply(c, argv, a, groups);
  if (after === null) return;
  // Entries read by a group go out as claims and group IDs, not as this command.
  c.engine.preventPropagation();

  const reply = c.reply;
  let served = 0;
  let mark = 0;
  for (let k = 0; k < a.streams; k++) {
    const key = argv[a.keysAt + k];
    // Type checked by parseIdsOrReply, within the same command.
    const s = c.db.lookupRead(key) as Stream | undefined;
    if (s === undefined) continue;
    let gt = after[k];
    const group = isGroup ? groups[k] : null;
    // An ID other than `>` reads the consumer's own pending entries: always served.
    const history = group !== null && !gt.isMax();
    if (!history) {
      if (group !== null) gt = group.lastId;
      if (s.length === 0 || s.lastValidId().compare(gt) <= 0) continue;
    }
    if (served++ === 0) mark = reply.beginDeferred();
    if (reply.resp === 2) reply.array(2);
    reply.bulk(key);
    // streamIncrID: past the last possible ID it wraps to 0-0.
    const start = gt.next() ?? StreamId.MIN;
    if (group === null) {
      replyRange(c, s, start, StreamId.MAX, a.count, false);
      continue;
    }
    const d = readingConsumer(c, c.db, key, a, group, history);
    if (history) replyHistory(c, s, d, start, a.count);
    else deliverRange(c, s, d, start, a.count);
    c.engine.changed();
  }
  if (served > 0) return reply.endDeferred(mark, reply.resp === 2 ? 'array' : 'map', served);
  // Inside MULTI/EXEC a read cannot wait: it answers as a timeout would.
  if (a.timeout === -1 || c.denyBlocking) return reply.nilArray();
  block(c, argv, a, after);
}

/** What a blocked reader knows of one of its keys. */
interface WaitedKey {
  /** Entries after this ID are new to the reader (for a group: its last ID when last offered). */
  after: StreamId;
  /** The stream and its `wakeups` when the reader last looked: unchanged, the key was not signaled. */
  stream: Stream | undefined;
  wakeups: number;
}

function block(c: Client, argv: string[], a: ReadArgs, after: StreamId[]): void {
  const db = c.db;
  const keys: string[] = [];
  const waited = new Map<string, WaitedKey>();
  for (let k = 0; k < a.streams; k++) {
    const key = argv[a.keysAt + k];
    keys.push(key);
    // A key given twice waits with its first ID, as blockForKeys keeps the first.
    if (waited.has(key)) continue;
    const s = db.peek(key)?.value;
    const stream = s instanceof Stream ? s : undefined;
    waited.set(key, { after: after[k], stream, wakeups: stream?.wakeups ?? 0 });
  }
  const count = a.count !== 0 ? a.count : BLOCKED_DEFAULT_COUNT;
  c.engine.blocking.block(c, {
    keys,
    timeoutMs: a.timeout,
    serve: (key) => serveBlocked(c, db, key, waited.get(key)!, a, count),
    timedOut: () => c.reply.nilArray(),
  });
}

/** serveClientsBlockedOnStreamKey for one reader: true when it got its reply. */
function serveBlocked(c: Client, db: Db, key: string, w: WaitedKey, a: ReadArgs, count: number): boolean {
  const value = db.entry(key)?.value;
  if (!(value instanceof Stream)) {
    w.stream = undefined;
    // The group went with the stream: an XREADGROUP reader can never be served.
    if (a.groupName === null) return false;
    c.reply.error(UNBLOCKED_STREAM_DELETED);
    return true;
  }
  if (value === w.stream && value.wakeups === w.wakeups) return false;
  w.stream = value;
  w.wakeups = value.wakeups;
  let group: ConsumerGroup | undefined;
  if (a.groupName !== null) {
    group = value.group(a.groupName);
    if (group === undefined) {
      c.reply.error(NOGROUP_BLOCKED);
      return true;
    }
    w.after = group.lastId;
  }
  // redis-server compares the last ID ever added, deleted entries included: a
  // reader can be served an empty array.
  if (value.lastId.compare(w.after) <= 0) return false;
  const start = w.after.next() ?? StreamId.MIN;
  const reply = c.reply;
  if (reply.resp === 2) {
    reply.array(1);
    reply.array(2);
  } else {
    reply.map(1);
  }
  reply.bulk(key);
  if (group === undefined) replyRange(c, value, start, StreamId.MAX, count, false);
  else deliverRange(c, value, readingConsumer(c, db, key, a, group, false), start, count);
  return true;
}

function xread(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, false);
}

function xreadgroup(c: Client, argv: string[]): void {
  xreadGeneric(c, argv, true);
}

export const streamReadCommands: readonly CommandDef<Client>[] = [
  { name: 'xread', handler: xread },
  { name: 'xreadgroup', handler: xreadgroup },
];
