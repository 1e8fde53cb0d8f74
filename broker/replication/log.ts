/**
 * The replication stream's identity, position and backlog (redis-server's
 * server.replid/replid2, master_repl_offset, second_replid_offset and repl_backlog).
 *
 * Offsets count as redis-server counts them: `offset` (master_repl_offset) is the
 * number of stream bytes this history has produced, 0 for a fresh id; the backlog
 * holds the last `histlen` of them, its first byte being offset `firstByteOffset`
 * (repl_backlog_first_byte_offset = offset - histlen + 1). A follower asks
 * `PSYNC <replid> <n>` for the bytes from offset n on, n being one past the last byte
 * it processed, so n = offset + 1 asks for nothing and is still a valid continuation.
 *
 * As in redis-server the backlog exists only once a follower has attached (or this
 * broker followed a leader): before that nothing is encoded, the offset stays put,
 * and writes cost nothing here. `repl-backlog-ttl` frees it again after a while
 * without followers, with a new replication id.
 *
 * The bytes are encoded once, into blocks that are never written over (as redis-server
 * 7.0's shared replication buffer): a turn's bytes are a view of the block, handed as
 * they are to every follower's socket and kept as they are in the backlog, a list of
 * such views trimmed from the front to the last `repl-backlog-size` bytes. No byte is
 * copied after it is encoded; a block is freed once no view of it is left (in the
 * backlog or unsent in an output). A follower passes its leader's stream on the same
 * way, the Buffers read off the link becoming views of the backlog.
 */
import { randomBytes } from 'node:crypto';
import type { Effect } from '../../engine/engine.js';
import { EffectEncoder, RespBuffer } from '../persistence/aof/resp-log.js';
import { whenReadReturns } from '../net/direct-read.js';

/** master_replid2 when there is no previous history. */
export const NO_REPLID = '0000000000000000000000000000000000000000';

/** redis-server's CONFIG_REPL_BACKLOG_MIN_SIZE: a smaller repl-backlog-size is raised to this. */
export const BACKLOG_MIN_SIZE = 16 * 1024;

const EMPTY = Buffer.alloc(0);

/** A new replication id (redis-server's changeReplicationId): 40 random hex characters. */
function newReplid(): string {
  return randomBytes(20).toString('hex');
}

/** Bytes of a block the stream is encoded into (a longer command gets a block of its own size). */
const BLOCK_BYTES = 64 * 1024;
/**
 * A view whose front is trimmed: a copy of the rest when that is a small part of a large
 * Buffer (a long command's own block), which would otherwise stay in memory for it.
 */
function keptPart(view: Buffer, drop: number): Buffer {
  const rest = view.subarray(drop);
  return rest.buffer.byteLength > 2 * BLOCK_BYTES && rest.length * 4 < rest.buffer.byteLength ? Buffer.from(rest) : rest;
}

/** Dropped views at the front of the backlog's list beyond which the list is compacted. */
const COMPACT_AFTER = 1024;

/**
 * The encoder's output: RESP written into a block until it is full, then into a new one,
 * so that bytes once written never move and views of them can be shared.
 */
class BlockBuffer extends RespBuffer {
  /** Where the bytes not yet made into a view start in `bytes`. */
  sealedTo = 0;
  /** Bytes written into earlier blocks, so that `total` counts every byte ever written. */
  private before = 0;

  // The log itself, not a closure of it: a call through a method is the same call target
  // for every log, so the encoder's code optimized on one log stays valid for another
  // (a closure per log deoptimized it with "wrong call target").
  constructor(private readonly log: ReplicationLog) {
    super(BLOCK_BYTES);
  }

  get total(): number {
    return this.before + this.length;
  }

  /** The bytes written since the last call, as a view (null when none). */
  seal(): Buffer | null {
    const start = this.sealedTo;
    if (this.length === start) return null;
    this.sealedTo = this.length;
    return this.bytes.subarray(start, this.length);
  }

  /** Drops the bytes not yet sealed (a history given up). */
  discard(): void {
    this.length = this.sealedTo;
  }

  protected override reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    // The bytes written so far become a view first; the block is never written again.
    this.log.blockFull();
    this.before += this.length;
    this.bytes = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, n));
    this.length = 0;
    this.sealedTo = 0;
  }
}

export class ReplicationLog {
  /** master_replid. */
  replid = newReplid();
  /** master_replid2: the id of the history this one continues ('000...0' when none). */
  replid2 = NO_REPLID;
  /** second_repl_offset: up to where replid2's history is shared with this one (-1 when none). */
  secondReplOffset = -1;
  /** master_repl_offset. */
  offset = 0;
  /** Encodes this broker's own effect units (its SELECT state is the stream's, redis-server's slaveseldb). */
  readonly encoder = new EffectEncoder();
  /** Views of the bytes appended since the last `takeTurn`, kept only while `keepTurn` (followers are attached). */
  private turn: Buffer[] = [];
  /** Whether something was appended since the last `takeTurn` (onTurnStart was called). */
  private turnOpen = false;
  keepTurn = false;
  /** Called on the first append after a `takeTurn` while `keepTurn`: the owner schedules delivery. */
  onTurnStart: (() => void) | null = null;
  private readonly blocks = new BlockBuffer(this);
  /**
   * Requests appended as they were read (`appendRequest`) and not copied yet: bytes
   * `runFrom` to `runTo` of `runSrc`, a read in the clients' shared buffer. Copied into
   * the block once the read's handling returns, or before anything else is appended.
   */
  private runSrc: Buffer | null = null;
  private runFrom = 0;
  private runTo = 0;
  /** `copyRun` waits for the read's handling to return (net/direct-read.ts). */
  private runQueued = false;
  private readonly copyRun = (): void => {
    this.runQueued = false;
    this.flushRun();
  };
  private backlogActive = false;
  /** The backlog: views of the stream's last bytes, oldest first, from `head` on. */
  private views: Buffer[] = [];
  private head = 0;
  /** Bytes in `views` (at most `size` once trimmed). */
  private stored = 0;
  private size: number;

  constructor(size: number) {
    this.size = Math.max(size, BACKLOG_MIN_SIZE);
  }

  /** repl_backlog_active. */
  get active(): boolean {
    return this.backlogActive;
  }

  /** repl_backlog_histlen: the backlog's bytes, the encoded or read ones not yet made into views included. */
  get histlen(): number {
    const run = this.runSrc === null ? 0 : this.runTo - this.runFrom;
    return Math.min(this.stored + this.blocks.length - this.blocks.sealedTo + run, this.size);
  }

  /** repl_backlog_first_byte_offset (0 without a backlog). */
  get firstByteOffset(): number {
    return this.backlogActive ? this.offset - this.histlen + 1 : 0;
  }

  /** repl_backlog_size as configured (at least BACKLOG_MIN_SIZE). */
  get backlogSize(): number {
    return this.size;
  }

  /** createReplicationBacklog: an empty backlog whose first byte is the next one produced. */
  createBacklog(): void {
    if (this.backlogActive) return;
    this.backlogActive = true;
    this.dropViews();
  }

  /** freeReplicationBacklog (repl-backlog-ttl): the history is forgotten. */
  freeBacklog(): void {
    this.backlogActive = false;
    this.runSrc = null;
    this.blocks.discard();
    this.dropViews();
  }

  /** A new repl-backlog-size: the most recent bytes that fit are kept (redis-server 7.0 trims the same way). */
  resize(size: number): void {
    size = Math.max(size, BACKLOG_MIN_SIZE);
    // What the old size kept, and no more, is what the new one starts from.
    this.flushRun();
    this.seal();
    this.size = size;
    this.trim();
  }

  /** A unit of this broker's own effects, encoded once for the backlog and every follower. */
  appendUnit(unit: readonly Effect[]): void {
    if (!this.turnOpen && this.keepTurn) this.openTurn();
    if (this.runSrc !== null) this.flushRun();
    const blocks = this.blocks;
    const before = blocks.total;
    this.encoder.encode(unit, blocks);
    this.offset += blocks.total - before;
  }

  /**
   * A unit whose RESP was made already from the stream's SELECT state (the AOF's bytes
   * for it): copied rather than encoded again; `dbAfter` is the db they leave the stream on.
   */
  appendEncoded(src: Buffer, from: number, to: number, dbAfter: number): void {
    if (!this.turnOpen && this.keepTurn) this.openTurn();
    if (this.runSrc !== null) this.flushRun();
    this.blocks.copy(src, from, to);
    this.offset += to - from;
    this.encoder.selectedDb = dbAfter;
  }

  /**
   * A unit that is its command's own argv, in the stream's db, as the client sent it in
   * RESP's shortest form: bytes `from` to `to` of `read`, a read in the clients' shared
   * buffer being handled (net/direct-read.ts), which are the bytes `appendUnit` would
   * encode. Consecutive requests of one read are copied together once its handling
   * returns: a pipeline's commands in one copy rather than one encoding each (a `SET`
   * is encoded in about 70 ns; Node's Buffer copy costs as much per call, whatever its size).
   */
  appendRequest(read: Buffer, from: number, to: number): void {
    if (!this.turnOpen && this.keepTurn) this.openTurn();
    this.offset += to - from;
    if (read === this.runSrc && from === this.runTo) {
      this.runTo = to;
      return;
    }
    if (this.runSrc !== null) this.flushRun();
    // The read's last request (without pipelining, its only one) has nothing to wait for.
    if (to === read.length) return this.blocks.copy(read, from, to);
    if (!this.runQueued) {
      this.runQueued = true;
      whenReadReturns(this.copyRun);
    }
    this.runSrc = read;
    this.runFrom = from;
    this.runTo = to;
  }

  /** Copies the pending requests into the block. */
  private flushRun(): void {
    const src = this.runSrc;
    if (src === null) return;
    this.runSrc = null;
    this.blocks.copy(src, this.runFrom, this.runTo);
  }

  /**
   * Stream bytes: into the backlog, offset += length, and to attached followers (a
   * follower passes what its leader sent on, so chained followers see the same stream
   * and offsets). `bytes` is kept as it is: it must never be written again.
   */
  append(bytes: Buffer): void {
    if (!this.backlogActive || bytes.length === 0) return;
    if (!this.turnOpen && this.keepTurn) this.openTurn();
    // What was encoded before goes first.
    this.flushRun();
    this.seal();
    this.offset += bytes.length;
    this.keep(bytes);
  }

  /** The bytes appended since the last call, as views shared by every follower; null when none. */
  takeTurn(): Buffer[] | null {
    this.flushRun();
    this.seal();
    this.turnOpen = false;
    const turn = this.turn;
    if (turn.length === 0) return null;
    this.turn = [];
    return turn;
  }

  /** A history no follower can continue (changeReplicationId and clearReplicationId2). */
  newHistory(): void {
    this.replid = newReplid();
    this.replid2 = NO_REPLID;
    this.secondReplOffset = -1;
  }

  /**
   * A follower took its leader's history (after +FULLRESYNC): its id and offset, no
   * second id, and an empty backlog from there (readSyncBulkPayload).
   */
  adopt(replid: string, offset: number): void {
    this.replid = replid;
    this.replid2 = NO_REPLID;
    this.secondReplOffset = -1;
    this.offset = offset;
    this.turn = [];
    this.freeBacklog();
    this.createBacklog();
  }

  /**
   * The history goes on under a new id (promotion, redis-server's shiftReplicationId;
   * or `+CONTINUE <newid>` with the leader's id): the old one stays valid as replid2
   * up to this offset, so followers of the old history can continue (PSYNC2).
   */
  shiftIds(replid = newReplid()): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = replid;
  }

  /**
   * masterTryPartialResynchronization's test: can `PSYNC replid psyncOffset` continue
   * from the backlog? The id must be ours, or our previous one asked no further than
   * where the histories part; the offset within [firstByteOffset, offset + 1].
   */
  continueFrom(replid: string, psyncOffset: number): boolean {
    const sameHistory =
      replid.toLowerCase() === this.replid || (replid.toLowerCase() === this.replid2 && psyncOffset <= this.secondReplOffset);
    if (!sameHistory || !this.backlogActive) return false;
    return psyncOffset >= this.firstByteOffset && psyncOffset <= this.offset + 1 && Number.isSafeInteger(psyncOffset);
  }

  /** The backlog's bytes from stream offset `from` (within it) to the end, as views (never written again). */
  tail(from: number): Buffer[] {
    this.flushRun();
    this.seal();
    let n = this.offset + 1 - from;
    if (!this.backlogActive || n <= 0) return [];
    const out: Buffer[] = [];
    for (let i = this.views.length - 1; i >= this.head && n > 0; i--) {
      const view = this.views[i];
      out.push(view.length <= n ? view : view.subarray(view.length - n));
      n -= view.length;
    }
    return out.reverse();
  }

  private openTurn(): void {
    this.turnOpen = true;
    this.onTurnStart?.();
  }

  /** The encoder's block is full: what it holds becomes a view before a new block is begun. */
  blockFull(): void {
    this.seal();
  }

  /** The bytes encoded since the last seal become a view: into the backlog, and the turn. */
  private seal(): void {
    const view = this.blocks.seal();
    if (view !== null && this.backlogActive) this.keep(view);
  }

  private keep(view: Buffer): void {
    if (this.keepTurn) this.turn.push(view);
    this.views.push(view);
    this.stored += view.length;
    this.trim();
  }

  /** Drops the oldest bytes beyond `size`: whole views, then the front of one. */
  private trim(): void {
    let excess = this.stored - this.size;
    if (excess <= 0) return;
    const views = this.views;
    while (excess > 0) {
      const first = views[this.head];
      if (first.length <= excess) {
        views[this.head++] = EMPTY;
        excess -= first.length;
        this.stored -= first.length;
      } else {
        views[this.head] = keptPart(first, excess);
        this.stored -= excess;
        excess = 0;
      }
    }
    if (this.head > COMPACT_AFTER && this.head * 2 > views.length) {
      this.views = views.slice(this.head);
      this.head = 0;
    }
  }

  private dropViews(): void {
    this.views = [];
    this.head = 0;
    this.stored = 0;
  }
}
