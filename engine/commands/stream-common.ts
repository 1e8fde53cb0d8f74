/** What the stream command families share: the stream lookup with its type check, and entry replies. */
import type { Client } from '../client.js';
import type { Reply } from '../../protocol/reply.js';
import type { Value } from '../keyspace.js';
import { WRONGTYPE } from '../errors.js';
import { Stream, type StreamRange } from '../types/stream.js';
import type { StreamId } from '../types/stream-id.js';

/**
 * A looked-up value as a stream (undefined when the key is missing). Replies
 * WRONGTYPE and returns null when the key holds another type.
 */
export function asStream(c: Client, value: Value | undefined): Stream | undefined | null {
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
 * streamReplyWithRange without a group: the live entries from start to end (or end
 * to start with `rev`), at most `count` of them unless it is 0, as an array.
 * Returns how many were sent.
 */
export function replyRange(reply: Reply, s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): number {
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

/** A uint64 counter as redis-server replies it through a long long. */
export function longLong(v: number | bigint): number | bigint {
  return typeof v === 'number' ? v : BigInt.asIntN(64, v);
}
