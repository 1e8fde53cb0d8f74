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
 * Where it differs: the backlog is one ring Buffer of `repl-backlog-size` bytes
 * (redis-server 7.0 shares its reply blocks between the backlog and the replicas'
 * output); followers here get each event-loop turn's bytes as one shared Buffer
 * (`takeTurn`), which is what that sharing buys.
 */
import { randomBytes } from 'node:crypto';
import type { Effect } from '../../engine/engine.js';
import { EffectEncoder, RespBuffer } from '../persistence/aof/resp-log.js';

/** master_replid2 when there is no previous history. */
export const NO_REPLID = '0000000000000000000000000000000000000000';

/** redis-server's CONFIG_REPL_BACKLOG_MIN_SIZE: a smaller repl-backlog-size is raised to this. */
export const BACKLOG_MIN_SIZE = 16 * 1024;

/** A new replication id (redis-server's changeReplicationId): 40 random hex characters. */
function newReplid(): string {
  return randomBytes(20).toString('hex');
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
  /** The bytes appended since the last `takeTurn`, kept only while `keepTurn` (followers are attached). */
  private readonly turn = new RespBuffer();
  keepTurn = false;
  /** Called on the first append after a `takeTurn` while `keepTurn`: the owner schedules delivery. */
  onTurnStart: (() => void) | null = null;
  /** The ring; null while there is no backlog (repl_backlog_active:0). */
  private ring: Buffer | null = null;
  private size: number;
  /** Where the next byte goes in the ring. */
  private next = 0;
  /** repl_backlog_histlen. */
  private held = 0;

  constructor(size: number) {
    this.size = Math.max(size, BACKLOG_MIN_SIZE);
  }

  /** repl_backlog_active. */
  get active(): boolean {
    return this.ring !== null;
  }

  /** repl_backlog_histlen. */
  get histlen(): number {
    return this.held;
  }

  /** repl_backlog_first_byte_offset (0 without a backlog). */
  get firstByteOffset(): number {
    return this.ring === null ? 0 : this.offset - this.held + 1;
  }

  /** repl_backlog_size as configured (at least BACKLOG_MIN_SIZE). */
  get backlogSize(): number {
    return this.size;
  }

  /** createReplicationBacklog: an empty backlog whose first byte is the next one produced. */
  createBacklog(): void {
    if (this.ring !== null) return;
    this.ring = Buffer.allocUnsafe(this.size);
    this.next = 0;
    this.held = 0;
  }

  /** freeReplicationBacklog (repl-backlog-ttl): the history is forgotten. */
  freeBacklog(): void {
    this.ring = null;
    this.next = 0;
    this.held = 0;
  }

  /** A new repl-backlog-size: the most recent bytes that fit are kept (redis-server 7.0 trims the same way). */
  resize(size: number): void {
    size = Math.max(size, BACKLOG_MIN_SIZE);
    if (size === this.size) return;
    if (this.ring === null) {
      this.size = size;
      return;
    }
    const bytes = this.tail(this.offset - Math.min(this.held, size) + 1);
    this.size = size;
    const ring = (this.ring = Buffer.allocUnsafe(size));
    this.next = 0;
    this.held = 0;
    for (const b of bytes) this.store(ring, b, 0, b.length);
  }

  /** A unit of this broker's own effects, encoded once for the backlog and every follower. */
  appendUnit(unit: readonly Effect[]): void {
    const turn = this.turn;
    const before = turn.length;
    if (before === 0 && this.keepTurn) this.onTurnStart?.();
    this.encoder.encode(unit, turn);
    this.record(turn.bytes, before, turn.length);
    if (!this.keepTurn) turn.length = 0;
  }

  /**
   * Stream bytes: into the backlog ring, offset += length, and to attached followers
   * (a follower passes what its leader sent on, so chained followers see the same
   * stream and offsets).
   */
  append(bytes: Buffer): void {
    if (this.keepTurn) {
      if (this.turn.length === 0) this.onTurnStart?.();
      this.turn.raw(bytes);
    }
    this.record(bytes, 0, bytes.length);
  }

  /** The bytes appended since the last call, as one Buffer of their own (shared by every follower); null when none. */
  takeTurn(): Buffer | null {
    const turn = this.turn;
    if (turn.length === 0) return null;
    const out = Buffer.allocUnsafe(turn.length);
    turn.bytes.copy(out, 0, 0, turn.length);
    turn.consume(turn.length);
    return out;
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
    this.turn.consume(this.turn.length);
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
    if (!sameHistory || this.ring === null) return false;
    return psyncOffset >= this.firstByteOffset && psyncOffset <= this.offset + 1 && Number.isSafeInteger(psyncOffset);
  }

  /** The backlog's bytes from stream offset `from` (within it) to the end, as at most two Buffers (copies). */
  tail(from: number): Buffer[] {
    const ring = this.ring;
    const n = this.offset + 1 - from;
    if (ring === null || n <= 0) return [];
    const start = (this.next - n + this.size) % this.size;
    if (start + n <= this.size) return [Buffer.from(ring.subarray(start, start + n))];
    return [Buffer.from(ring.subarray(start)), Buffer.from(ring.subarray(0, n - (this.size - start)))];
  }

  /** feedReplicationBuffer's bookkeeping: bytes into the ring (when there is one), the offset moved on. */
  private record(src: Uint8Array, start: number, end: number): void {
    if (this.ring === null) return;
    this.offset += end - start;
    this.store(this.ring, src, start, end);
  }

  /** Writes bytes into the ring after the last ones, overwriting the oldest. */
  private store(ring: Buffer, src: Uint8Array, start: number, end: number): void {
    const size = this.size;
    const n = end - start;
    // Only the last `size` bytes can be kept.
    if (n > size) start = end - size;
    let p = start;
    while (p < end) {
      const chunk = Math.min(end - p, size - this.next);
      ring.set(src.subarray(p, p + chunk), this.next);
      this.next = (this.next + chunk) % size;
      p += chunk;
    }
    this.held = Math.min(this.held + n, size);
  }
}
