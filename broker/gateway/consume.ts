/**
 * A `consume` subscription: a member of a stream's consumer group, read through the
 * engine's own group-read path. First this consumer's pending entries (XREADGROUP
 * from ID 0 on, as a RESP worker recovers after a restart), then new ones with
 * `XREADGROUP ... BLOCK 0 STREAMS key >` on a link of its own: the engine's blocking
 * machinery wakes it after the XADD that readies the stream (engine/blocking.ts),
 * nothing polls. With `claimIdleMs` it also takes the group's entries idle that long
 * (XAUTOCLAIM) before each read, and blocks for at most that long so it looks again.
 *
 * Acks are XACKs on the session's command link. A nack makes the entries idle at
 * once (XCLAIM ... TIME 0 JUSTID: last delivered at the epoch: claimable by any consumer claiming idle entries),
 * then after its delay claims them back for this consumer (XCLAIM with that delay
 * as min-idle-time: not if another consumer took them meanwhile) and delivers them
 * again. Entries deleted from the stream while pending are acknowledged when met:
 * there is nothing left to deliver.
 */
import type { Decoded } from '../../protocol/decoder.js';
import type { ConsumeFrame, DeliveredMessage } from '../../protocol/gateway-frames.js';
import { isError, type EngineLink } from './link.js';
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
  /** Entries claimed back after a nack, waiting for credit. */
  private readonly redeliveries: DeliveredMessage[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(host: SubscriptionHost, frame: ConsumeFrame) {
    super(host, frame.sub, frame.credit);
    this.stream = latin1Of(frame.stream);
    this.group = latin1Of(frame.group);
    this.consumer = latin1Of(frame.consumer);
    this.batch = readBatch(frame.batch);
    this.claimIdleMs = frame.claimIdleMs;
    this.create = frame.create;
    this.link = host.openLink();
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
    this.redeliver();
    const n = this.reserve(this.batch);
    if (n === 0) return;
    this.reading = true;
    if (this.recovering) this.readHistory(n);
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

  private readNew(n: number): void {
    const block = String(this.claimIdleMs);
    const argv = ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', String(n), 'BLOCK', block, 'STREAMS', this.stream, '>'];
    this.link.send(argv, (reply) => this.delivered(reply, n, readEntries(reply), null));
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
   * A read waiting for new entries holds the credit it asked for: it is ended (as its
   * timeout would, CLIENT UNBLOCK) so the credit serves the redeliveries first. A
   * read not blocked is not touched (CLIENT UNBLOCK answers 0), and delivers next.
   */
  private interruptRead(): void {
    if (this.recovering || this.link.clientId === 0) return;
    this.host.commands.send(['CLIENT', 'UNBLOCK', String(this.link.clientId)]);
  }

  /** Entries claimed back after a nack go first, as far as the credit goes. */
  private redeliver(): void {
    if (this.redeliveries.length === 0) return;
    const n = this.reserve(this.redeliveries.length);
    this.settle(n, n);
    this.send(this.redeliveries.splice(0, n));
  }

  override ack(ref: number, ids: readonly string[]): void {
    this.host.commands.send(['XACK', this.stream, this.group, ...ids], (reply) => {
      if (typeof reply === 'number') this.host.stats.acked += reply;
      this.host.answer(ref, this.name, isError(reply) ? reply.error : null);
    });
  }

  override nack(ref: number, ids: readonly string[], delayMs: number): void {
    const claim = ['XCLAIM', this.stream, this.group, this.consumer];
    this.host.commands.send([...claim, '0', ...ids, 'TIME', '0', 'JUSTID'], (reply) => {
      if (Array.isArray(reply)) this.host.stats.nacked += reply.length;
      this.host.answer(ref, this.name, isError(reply) ? reply.error : null);
    });
    const claimBack = (): void => {
      this.host.commands.send([...claim, String(delayMs), ...ids], (reply) => {
        const entries = streamEntries(reply).filter((e) => e.fields !== null);
        if (entries.length === 0 || this.ended) return;
        const first = entries[0].id;
        // Delivery counts for the entries claimed back (XCLAIM counted this delivery).
        this.host.commands.send(['XPENDING', this.stream, this.group, first, '+', String(entries.length), this.consumer], (pending) => {
          const counts = deliveryCounts(pending);
          for (const e of entries) this.redeliveries.push(message({ id: e.id, fields: e.fields!.map(bytesOf), deliveries: counts.get(e.id) ?? 1 }));
          if (!this.reading) this.pump();
          else this.interruptRead();
        });
      });
    };
    if (delayMs === 0) return claimBack();
    const timer = this.host.setTimer(delayMs, () => {
      this.timers.delete(timer);
      if (!this.ended) claimBack();
    });
    this.timers.add(timer);
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
