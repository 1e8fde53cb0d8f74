/**
 * A `consume` subscription: a member of a stream's consumer group, read through the
 * engine's own group-read path. First this consumer's pending entries (XREADGROUP
 * from ID 0 on, as a RESP worker recovers after a restart), then new ones with
 * `XREADGROUP ... BLOCK 0 STREAMS key >` on a link of its own: the engine's blocking
 * machinery wakes it after the XADD that readies the stream (engine/blocking.ts),
 * nothing polls. With `claimIdleMs` it also takes the group's entries idle that long
 * (XAUTOCLAIM) before each read, and blocks for at most that long so it looks again.
 *
 * Acks are XACKs, with the other sessions' acks of the same turn (acks.ts). A nack releases the entries: they
 * become claimable by any consumer of the group at once (last delivered at the epoch,
 * `XCLAIM ... TIME 0 JUSTID`: XAUTOCLAIM and XCLAIM with any min-idle-time take them),
 * or after the nack's delay, during which they stay this consumer's, idle from the nack
 * (`XCLAIM ... 0 <ids> JUSTID`) as if just delivered. Once released, this consumer
 * claims them back (`XCLAIM` with a min-idle-time only an entry nobody took since has)
 * and delivers them again, before new entries, as soon as its credit allows. A nack
 * only touches entries pending for this consumer (XCLAIM would take anyone's).
 * Entries deleted from the stream while pending are acknowledged when met: there is
 * nothing left to deliver.
 *
 * No decision here rests on the engine's clock and the gateway's agreeing to the
 * millisecond: the engine reads the wall clock off performance.now() (up to a
 * millisecond either way, broker/dispatch/wall-clock.ts), a timer runs on libuv's
 * monotonic milliseconds, and each rounds its own way.
 */
import type { Decoded } from '../../protocol/decoder.js';
import type { ConsumeFrame, DeliveredMessage } from '../../protocol/gateway-frames.js';
import { DeliveryEncoder } from '../../protocol/gateway-delivery.js';
import { decodeWhole } from '../../protocol/decoder.js';
import { encodeCommand, isError, type EngineLink } from './link.js';
import { bytesOf, latin1Of, message, readBatch, readEntries, streamEntries, Subscription, type StreamEntry, type SubscriptionHost } from './subscription.js';


export class GroupConsumer extends Subscription {
  readonly kind = 'consume';
  private readonly link: EngineLink;
  private readonly stream: string;
  private readonly group: string;
  private readonly consumer: string;
  private readonly batch: number;
  private readonly claimIdleMs: number;
  private readonly create: boolean;
  /** Reading this consumer's history (from `cursor`) before new entries. */
  private recovering = true;
  private cursor = '0';
  private claimCursor = '0-0';
  private lastClaim = 0;
  private reading = false;
  /** Entries released by a nack, to claim back and deliver again once credit allows. */
  private released: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly encoder: DeliveryEncoder;
  private readCommand: { count: number; bytes: Buffer } | null = null;

  constructor(host: SubscriptionHost, frame: ConsumeFrame) {
    super(host, frame.sub, frame.credit);
    this.stream = latin1Of(frame.stream);
    this.group = latin1Of(frame.group);
    this.consumer = latin1Of(frame.consumer);
    this.batch = readBatch(frame.batch);
    this.claimIdleMs = frame.claimIdleMs;
    this.create = frame.create;
    this.link = host.openLink();
    this.encoder = new DeliveryEncoder(this.name, host.encoding);
  }

  start(ref: number): void {
    if (!this.create) return this.begin(ref);
    this.host.commands.send(['XGROUP', 'CREATE', this.stream, this.group, '$', 'MKSTREAM'], (reply) => {
      if (isError(reply) && !reply.error.startsWith('BUSYGROUP')) return this.host.failed(this, ref, reply.error);
      this.begin(ref);
    });
  }

  /**
   * Answers the request once the stream and group are known to exist (NOGROUP
   * otherwise), whatever the credit: XPENDING with a count of 0 reads nothing.
   */
  private begin(ref: number): void {
    this.link.send(['XPENDING', this.stream, this.group, '-', '+', '0'], (reply) => {
      if (isError(reply)) return this.host.failed(this, ref, reply.error);
      this.host.answer(ref, this.name, null);
      this.pump();
    });
  }

  protected pump(): void {
    if (this.ended || this.reading) return;
    const n = this.reserve(this.released.length > 0 ? this.released.length : this.batch);
    if (n === 0) return;
    this.reading = true;
    if (this.released.length > 0) this.claimBack(n);
    else if (this.recovering) this.readHistory(n);
    else if (this.claimIdleMs > 0 && Date.now() - this.lastClaim >= this.claimIdleMs) this.claimIdle(n);
    else this.readNew(n);
  }

  private readHistory(n: number): void {
    const argv = ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', String(n), 'STREAMS', this.stream, this.cursor];
    this.link.send(argv, (reply) => {
      const entries = readEntries(reply);
      if (entries.length === 0) this.recovering = false;
      else this.cursor = entries[entries.length - 1].id;
      this.withDeliveryCounts(reply, n, entries);
    });
  }

  private claimIdle(n: number): void {
    const argv = ['XAUTOCLAIM', this.stream, this.group, this.consumer, String(this.claimIdleMs), this.claimCursor, 'COUNT', String(n)];
    this.link.send(argv, (reply) => {
      this.lastClaim = Date.now();
      if (Array.isArray(reply)) this.claimCursor = reply[0] as string;
      const entries = Array.isArray(reply) ? streamEntries(reply[1]) : [];
      this.withDeliveryCounts(reply, n, entries);
    });
  }

  /** The read of new entries for a COUNT, encoded once: nearly every read asks for the same. */
  private readNewCommand(n: number): Buffer {
    if (this.readCommand?.count !== n) {
      const argv = ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', String(n), 'BLOCK', String(this.claimIdleMs), 'STREAMS', this.stream, '>'];
      this.readCommand = { count: n, bytes: encodeCommand(argv) };
    }
    return this.readCommand.bytes;
  }

  /** New entries, each delivered for the first time: their frame is made from the reply's bytes. */
  private readNew(n: number): void {
    this.link.sendEncoded(this.readNewCommand(n), (raw) => {
      const delivery = this.encoder.encode(raw, 1);
      if (delivery === null) {
        const reply = decodeWhole(raw);
        return this.delivered(reply, n, readEntries(reply), null);
      }
      this.reading = false;
      if (this.ended) return;
      this.settle(n, delivery.count);
      this.sendEncoded(delivery);
      // A read that found fewer entries than it asked for caught up with the stream: the
      // next waits a turn, so that the writes of this one (a producer's pipeline) are in
      // before it, rather than each of them waking it for an entry or two.
      if (delivery.count < n) this.host.nextTurn(() => this.pump());
      else this.pump();
    });
  }

  /** Redelivered entries: their delivery counts from XPENDING (XREADGROUP does not say). */
  private withDeliveryCounts(reply: Decoded, asked: number, entries: StreamEntry[]): void {
    if (isError(reply) || entries.length === 0) return this.delivered(reply, asked, entries, null);
    const first = entries[0].id;
    const last = entries[entries.length - 1].id;
    this.link.send(['XPENDING', this.stream, this.group, first, last, String(entries.length), this.consumer], (pending) => {
      this.delivered(reply, asked, entries, deliveryCounts(pending));
    });
  }

  private delivered(reply: Decoded, asked: number, entries: StreamEntry[], counts: Map<string, number> | null): void {
    this.reading = false;
    if (this.ended) return;
    if (isError(reply)) {
      this.settle(asked, 0);
      return this.host.failed(this, 0, reply.error);
    }
    const messages: DeliveredMessage[] = [];
    const deleted: string[] = [];
    for (const e of entries) {
      if (e.fields === null) deleted.push(e.id);
      else messages.push(message({ id: e.id, fields: e.fields.map(bytesOf), deliveries: counts?.get(e.id) ?? 1 }));
    }
    if (deleted.length > 0) this.host.commands.send(['XACK', this.stream, this.group, ...deleted]);
    this.settle(asked, messages.length);
    this.send(messages);
    this.pump();
  }

  /**
   * Released entries, claimed back unless another consumer took them since: a released
   * entry was last delivered at the epoch, one taken since at its release or later. The
   * min-idle-time parts the two halfway (idle since before half of now), not at the time
   * since the release: an entry another consumer claimed in the millisecond of its
   * release is idle exactly that long, give or take the two clocks' millisecond.
   */
  private claimBack(n: number): void {
    const claimed = this.released.splice(0, n);
    const minIdle = Math.ceil(Date.now() / 2);
    const argv = ['XCLAIM', this.stream, this.group, this.consumer, String(minIdle), ...claimed];
    this.link.send(argv, (reply) => this.withDeliveryCounts(reply, n, streamEntries(reply)));
  }

  /**
   * A read waiting for new entries holds the credit it asked for: it is ended (as its
   * timeout would, CLIENT UNBLOCK) so the credit serves the released entries first. A
   * read not blocked is not touched (CLIENT UNBLOCK answers 0), and delivers next.
   */
  private interruptRead(): void {
    if (this.recovering || this.link.clientId === 0) return;
    this.host.commands.send(['CLIENT', 'UNBLOCK', String(this.link.clientId)]);
  }

  override ack(ref: number, ids: readonly string[]): void {
    this.host.acks.ack(this.stream, this.group, ids, (error) => this.host.answer(ref, this.name, error));
  }

  override nack(ref: number, ids: readonly string[], delayMs: number): void {
    this.pendingHere(ids, (pending, error) => {
      if (error !== null) return this.host.answer(ref, this.name, error);
      const mine = pending.map((p) => p.id);
      this.host.stats.nacked += mine.length;
      if (mine.length === 0 || delayMs === 0) {
        this.release(mine);
        return this.host.answer(ref, this.name, null);
      }
      // Held back: idle from now, as if just delivered, until the delay has passed.
      this.host.commands.send(['XCLAIM', this.stream, this.group, this.consumer, '0', ...mine, 'JUSTID'], (reply) => {
        this.host.answer(ref, this.name, isError(reply) ? reply.error : null);
        if (isError(reply) || this.ended) return;
        this.releaseAfter(delayMs, mine, delayMs);
      });
    });
  }

  /**
   * Releases held entries after `waitMs`, those still held (idle `delayMs`) unless
   * another consumer claimed them meanwhile or they were acked. The engine may find one
   * idle a millisecond or two short of the time the timer waited: still this
   * consumer's, it waits for the rest of its delay, or it would stay held for good.
   */
  private releaseAfter(waitMs: number, ids: readonly string[], delayMs: number): void {
    const timer = this.host.setTimer(waitMs, () => {
      this.timers.delete(timer);
      if (this.ended) return;
      this.release(ids, delayMs, (released) => {
        const done = new Set(released);
        this.pendingHere(
          ids.filter((id) => !done.has(id)),
          (held, error) => {
            if (error !== null || held.length === 0 || this.ended) return;
            const idle = Math.min(...held.map((p) => p.idle));
            this.releaseAfter(Math.max(1, delayMs - idle), held.map((p) => p.id), delayMs);
          },
        );
      });
    });
    this.timers.add(timer);
  }

  /**
   * `then` gets those of `ids` pending for this consumer with their idle times (one
   * XPENDING each), or the error a bad ID or a missing group gives.
   */
  private pendingHere(ids: readonly string[], then: (mine: { id: string; idle: number }[], error: string | null) => void): void {
    const mine: { id: string; idle: number }[] = [];
    let error: string | null = null;
    let left = ids.length;
    if (left === 0) return then(mine, null);
    for (const id of ids) {
      this.host.commands.send(['XPENDING', this.stream, this.group, id, id, '1', this.consumer], (reply) => {
        if (isError(reply)) error ??= reply.error;
        else if (Array.isArray(reply) && reply.length > 0) mine.push({ id, idle: (reply as [string, string, number, number][])[0][2] });
        if (--left === 0) then(mine, error);
      });
    }
  }

  /**
   * Makes entries claimable by any consumer at once (those idle at least `minIdle`),
   * then claims them back when credit allows; `then` gets those it released.
   */
  private release(ids: readonly string[], minIdle = 0, then: (released: readonly string[]) => void = () => undefined): void {
    if (ids.length === 0) return;
    this.host.commands.send(['XCLAIM', this.stream, this.group, this.consumer, String(minIdle), ...ids, 'TIME', '0', 'JUSTID'], (reply) => {
      if (this.ended) return;
      const released = Array.isArray(reply) ? (reply as string[]) : [];
      then(released);
      if (released.length === 0) return;
      for (const id of released) this.released.push(id);
      if (!this.reading) this.pump();
      else this.interruptRead();
    });
  }

  override end(): void {
    super.end();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.link.close();
  }
}

/** Delivery counts by ID from an extended XPENDING reply (`[id, consumer, idle, count]` each). */
function deliveryCounts(pending: Decoded): Map<string, number> {
  const counts = new Map<string, number>();
  if (Array.isArray(pending)) for (const p of pending as [string, string, number, number][]) counts.set(p[0], p[3]);
  return counts;
}
