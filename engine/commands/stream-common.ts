/** What the stream command families share: the stream lookup with its type check, and entry replies. */
import type { Client } from '../client.js';
import type { Reply } from '../../protocol/reply.js';
import type { Value } from '../keyspace.js';
import { INVALID_END_ID, INVALID_ID, INVALID_START_ID, WRONGTYPE } from '../errors.js';
import { Stream } from '../types/stream.js';
import type { StreamNode } from '../types/stream-node.js';
import { parseIntervalId, U64_MAX, type StreamId } from '../types/stream-id.js';

/**
 * A looked-up value as a stream (undefined when the key is missing). Replies
 * WRONGTYPE and returns null when the key holds another type.
 */
export function asStreamOrReply(c: Client, value: Value | undefined): Stream | undefined | null {
  if (value === undefined || value instanceof Stream) return value;
  c.reply.error(WRONGTYPE);
  return null;
}

/** Replies an error; returns null so that parsers can `return fail(...)`. */
export function fail(c: Client, error: string): null {
  c.reply.error(error);
  return null;
}

/**
 * The first ID of a range given as its start bound (XRANGE, XREVRANGE, XPENDING,
 * XAUTOCLAIM): streamParseIntervalIDOrReply, then for `(id` the ID after it, as
 * their redis-server commands do. Null after replying the error.
 */
export function parseRangeStartOrReply(c: Client, arg: string): StreamId | null {
  const bound = parseIntervalId(arg, 0);
  if (bound === null) return fail(c, INVALID_ID);
  const start = bound.exclusive ? bound.id.next() : bound.id;
  return start ?? fail(c, INVALID_START_ID);
}

/** The last ID of a range given as its end bound: for `(id` the ID before it. Null after replying the error. */
export function parseRangeEndOrReply(c: Client, arg: string): StreamId | null {
  const bound = parseIntervalId(arg, U64_MAX);
  if (bound === null) return fail(c, INVALID_ID);
  const end = bound.exclusive ? bound.id.prev() : bound.id;
  return end ?? fail(c, INVALID_END_ID);
}

/** Reusable buffer for one entry's fields and values while replying. */
const pairs: string[] = [];

/**
 * Entry `index` as RESP `[id, [field, value, ...]]`. Built as one local string and
 * written with one `raw` call: cheaper than a writer call per element.
 */
export function entryResp(node: StreamNode, index: number): string {
  node.readPairs(index, pairs);
  const id = node.idString(index);
  let out = '*2\r\n$' + id.length + '\r\n' + id + '\r\n*' + pairs.length + '\r\n';
  for (let i = 0; i < pairs.length; i++) out += '$' + pairs[i].length + '\r\n' + pairs[i] + '\r\n';
  return out;
}

/** One entry as `[id, [field, value, ...]]`. */
export function replyEntry(reply: Reply, node: StreamNode, index: number): void {
  reply.raw(entryResp(node, index));
}

/**
 * streamReplyWithRange without a group: the live entries from start to end (or end
 * to start with `rev`), at most `count` of them unless it is 0, as an array.
 * Returns how many were sent.
 */
export function replyRange(reply: Reply, s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): number {
  const it = s.range(start, end, rev);
  let body = '';
  let n = 0;
  while ((count === 0 || n < count) && it.next()) {
    body += entryResp(it.node, it.index);
    n++;
  }
  reply.array(n);
  reply.raw(body);
  return n;
}

/** The entry with this ID as `[id, [field, value, ...]]`, or false if it does not exist. */
export function entryById(s: Stream, id: StreamId): string | false {
  const it = s.range(id, id, false);
  return it.next() ? entryResp(it.node, it.index) : false;
}
