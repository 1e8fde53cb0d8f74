/**
 * Range replies too large to write at once (XRANGE, XREVRANGE, XREAD, XINFO STREAM
 * FULL, LRANGE, HGETALL/HKEYS/HVALS, SMEMBERS and ZRANGE by rank over millions of
 * entries) are written in pieces as the client's socket drains (`Reply.stream`,
 * ARCHITECTURE.md "Replies"). The command counts the entries, writes the header and
 * freezes the range: the value's nodes or chunks are shared copy-on-write, as a
 * snapshot shares them (a sorted set's range is copied instead: a reference and a score
 * per member), so the reply shows the value at the command's instant while writers
 * change copies. The frozen range is released when the reply is complete or dropped
 * (the client left).
 *
 * The producers write arrays and bulks only, the same bytes in RESP2 and RESP3, except
 * ZRANGE's RESP3 scores, written in the protocol of the command's instant: a HELLO
 * pipelined after the command changes nothing in the rest of its reply.
 *
 * Where it differs from Redis: redis-server builds such a reply whole, blocking every
 * client meanwhile (0.44 s for 2,000,000 entries) and holding all of it in memory.
 */
import type { Protocol, Reply, ReplyProducer } from '../protocol/reply.js';
import type { FrozenListRange, List } from './types/list.js';
import type { FrozenStreamRange } from './types/stream.js';
import type { TableView } from './types/dense-table.js';

/**
 * Ranges of at least this many entries are streamed when the client can take it
 * (`Reply.canStream`): below, writing the reply at once takes under ~1 ms and streaming
 * would only add a turn of latency. ARCHITECTURE.md, "Replies", has the measurements.
 */
export const STREAMED_STREAM_ENTRIES = 2000;
const STREAMED_LIST_ELEMENTS = 16384;
/** Or when the entries' payloads reach this many bytes (large values): about 1 ms of copying too. */
export const STREAMED_BYTES = 4 << 20;
/** Ranges shorter than this are not measured at all: LRANGE 0 99 and XRANGE COUNT 100 pay nothing. */
export const MEASURED_FROM = 256;
/** Stream entries written between two looks at the reply's size. */
const ENTRIES_PER_CHECK = 32;

/** Whether the `n` elements of `list` from `start` are worth streaming: many of them, or large in all. */
export function streamsListRange(list: List, start: number, n: number): boolean {
  if (n >= STREAMED_LIST_ELEMENTS) return true;
  if (n < MEASURED_FROM) return false;
  let bytes = 0;
  list.visitRange(start, n, (values, from, to) => {
    for (let i = from; i < to; i++) bytes += values[i].length;
  });
  return bytes >= STREAMED_BYTES;
}

/** Streamed replies in progress across all clients (INFO `streamed_replies`): each holds a frozen range. */
export class StreamedReplies {
  live = 0;
}

/** The rest of a streamed XRANGE/XREVRANGE/XREAD: `left` entries of a frozen range. */
export class StreamRangeReply implements ReplyProducer {
  constructor(
    private readonly range: FrozenStreamRange,
    private left: number,
    private readonly replies: StreamedReplies,
  ) {
    replies.live++;
  }

  produce(reply: Reply, budget: number): boolean {
    const it = this.range.it;
    while (this.left > 0 && reply.length < budget) {
      const n = Math.min(ENTRIES_PER_CHECK, this.left);
      for (let k = 0; k < n; k++) {
        // The range was counted on the same frozen nodes: it cannot end early.
        if (!it.next()) throw new Error(`streamed range ended ${this.left - k} entries early`);
        it.node.replyEntry(it.index, reply);
      }
      this.left -= n;
    }
    return this.left === 0;
  }

  release(): void {
    this.range.release();
    this.replies.live--;
  }
}

/** The rest of a streamed LRANGE: the elements of a frozen range, a chunk's slice at a time. */
export class ListRangeReply implements ReplyProducer {
  constructor(
    private readonly range: FrozenListRange,
    private readonly replies: StreamedReplies,
  ) {
    replies.live++;
  }

  produce(reply: Reply, budget: number): boolean {
    const range = this.range;
    const write = (values: readonly string[], from: number, to: number): void => reply.bulkRun(values, from, to);
    while (range.remaining > 0 && reply.length < budget) range.visitNext(write);
    return range.remaining === 0;
  }

  release(): void {
    this.range.release();
    this.replies.live--;
  }
}

/** Whether a hash's or set's `n` members (of `bytes` bytes in all) are worth streaming whole. */
export function streamsCollection(n: number, bytes: number): boolean {
  return n >= STREAMED_LIST_ELEMENTS || (n >= MEASURED_FROM && bytes >= STREAMED_BYTES);
}

/** Table positions written between two looks at the reply's size. */
const MEMBERS_PER_CHECK = 128;

/** The rest of a streamed HGETALL, HKEYS, HVALS or SMEMBERS: a frozen table's members, values or both. */
export class TableReply implements ReplyProducer {
  private next = 0;

  constructor(
    private readonly view: TableView,
    private readonly keys: boolean,
    private readonly values: boolean,
    private readonly thaw: () => void,
    private readonly replies: StreamedReplies,
  ) {
    replies.live++;
  }

  produce(reply: Reply, budget: number): boolean {
    const { view, keys, values } = this;
    while (this.next < view.size && reply.length < budget) {
      const end = Math.min(view.size, this.next + MEMBERS_PER_CHECK);
      for (let i = this.next; i < end; i++) {
        if (keys) reply.bulk(view.keyAt(i));
        if (values) reply.bulk(view.valueAt(i));
      }
      this.next = end;
    }
    return this.next === view.size;
  }

  release(): void {
    this.thaw();
    this.replies.live--;
  }
}

/**
 * The rest of a streamed ZRANGE: members (and scores) copied from the sorted set when the
 * command ran; with scores in RESP3, each pair an array of the member and a double.
 */
export class ScoredRangeReply implements ReplyProducer {
  private next = 0;

  constructor(
    private readonly members: readonly string[],
    private readonly scores: Float64Array | null,
    /** The client's protocol when the command ran (its scores' form). */
    private readonly resp: Protocol,
    private readonly replies: StreamedReplies,
  ) {
    replies.live++;
  }

  produce(reply: Reply, budget: number): boolean {
    const { members, scores } = this;
    const nested = scores !== null && this.resp !== 2;
    // A HELLO run since switched the client's protocol: the rest of this reply keeps the command's.
    const current = reply.resp;
    reply.resp = this.resp;
    try {
      while (this.next < members.length && reply.length < budget) {
        const end = Math.min(members.length, this.next + MEMBERS_PER_CHECK);
        for (let i = this.next; i < end; i++) {
          if (nested) reply.array(2);
          reply.bulk(members[i]);
          if (scores !== null) reply.double(scores[i]);
        }
        this.next = end;
      }
    } finally {
      reply.resp = current;
    }
    return this.next === members.length;
  }

  release(): void {
    this.replies.live--;
  }
}
