/** What the stream command families share: the stream lookup with its type check, and entry replies. */
import type { Client } from '../client.js';
import type { Value } from '../keyspace.js';
import { INVALID_END_ID, INVALID_ID, INVALID_START_ID, WRONGTYPE } from '../errors.js';
import { Stream, type StreamRange } from '../types/stream.js';
import { parseIntervalId, U64_MAX, type StreamId } from '../types/stream-id.js';
import { MEASURED_FROM, STREAMED_BYTES, STREAMED_STREAM_ENTRIES, StreamRangeReply } from '../streamed-reply.js';

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

/**
 * streamReplyWithRange without a group: the live entries from start to end (or end
 * to start with `rev`), at most `count` of them unless it is 0, as an array.
 * Returns how many were sent. A long range is streamed (engine/streamed-reply.ts).
 */
export function replyRange(c: Client, s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): number {
  const reply = c.reply;
  if ((count === 0 || count >= MEASURED_FROM) && s.length >= MEASURED_FROM && reply.canStream) {
    const { entries: n, bytes } = s.range(start, end, rev).countRest(count);
    if (n >= STREAMED_STREAM_ENTRIES || bytes >= STREAMED_BYTES) {
      reply.array(n);
      reply.stream(new StreamRangeReply(s.freezeRange(start, end, rev), n, c.engine.streamedReplies));
      return n;
    }
  }
  const it = s.range(start, end, rev);
  const mark = reply.beginDeferred();
  let n = 0;
  while ((count === 0 || n < count) && it.next()) {
    it.node.replyEntry(it.index, reply);
    n++;
  }
  reply.endDeferred(mark, 'array', n);
  return n;
}

/** The live entry with this ID (its node and index), or null if there is none (streamEntryExists). */
export function findEntry(s: Stream, id: StreamId): StreamRange | null {
  const it = s.range(id, id, false);
  return it.next() ? it : null;
}
