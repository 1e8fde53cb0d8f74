/**
 * A `pop` subscription: the reliable list queue (redis.io's "reliable queue" pattern).
 * Each item is moved atomically from the list to a processing list of this consumer
 * (`BLMOVE list processing RIGHT LEFT 0`, blocked on a link of its own, woken by the
 * engine after the push that readies the list); an ack removes it from the processing
 * list (`LREM processing -1 item`), a nack puts it back at the list's right end, the
 * next to be popped (`LREM` and `RPUSH` in one MULTI). Producers `LPUSH`. A consumer
 * that comes back with the same name is first given what its processing list still
 * holds, oldest first.
 *
 * List items have no IDs: each delivery gets a number unique in the subscription,
 * which the client acks; the items themselves are the processing list's.
 */
import type { PopFrame } from '../../protocol/gateway-frames.js';
import { isError, type EngineLink } from './link.js';
import { bytesOf, latin1Of, message, Subscription, type SubscriptionHost } from './subscription.js';

export class ListPopper extends Subscription {
  readonly kind = 'pop';
  private readonly link: EngineLink;
  private readonly list: string;
  private readonly processing: string;
  /** Delivered items not acked or nacked yet, by their number. */
  private readonly unsettled = new Map<string, string>();
  /** Items found in the processing list at the start, oldest first, waiting for credit. */
  private held: string[] = [];
  private nextId = 1;
  private reading = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(host: SubscriptionHost, frame: PopFrame) {
    super(host, frame.sub, frame.credit);
    this.list = latin1Of(frame.list);
    this.processing = latin1Of(frame.processing !== '' ? frame.processing : `${frame.list}:processing:${frame.consumer}`);
    this.link = host.openLink();
  }

  start(ref: number): void {
    this.link.send(['LRANGE', this.processing, '0', '-1'], (reply) => {
      if (isError(reply)) return this.host.failed(this, ref, reply.error);
      this.held = (reply as string[]).reverse();
      // A wrong type of key at the list fails the request, not a later pop.
      this.link.send(['LRANGE', this.list, '0', '0'], (check) => {
        if (isError(check)) return this.host.failed(this, ref, check.error);
        this.host.answer(ref, this.name, null);
        this.pump();
      });
    });
  }

  protected pump(): void {
    if (this.ended || this.reading) return;
    if (this.held.length > 0) {
      const n = this.reserve(this.held.length);
      this.settle(n, n);
      this.send(this.held.splice(0, n).map((item) => this.delivery(item)));
    }
    if (this.reserve(1) === 0) return;
    this.reading = true;
    this.link.send(['BLMOVE', this.list, this.processing, 'RIGHT', 'LEFT', '0'], (reply) => {
      this.reading = false;
      if (this.ended) return;
      if (isError(reply) || reply === null) {
        this.settle(1, 0);
        if (isError(reply)) this.host.failed(this, 0, reply.error);
        return;
      }
      this.settle(1, 1);
      this.send([this.delivery(reply as string)]);
      this.pump();
    });
  }

  private delivery(item: string) {
    const id = String(this.nextId++);
    this.unsettled.set(id, item);
    return message({ id, value: bytesOf(item), deliveries: 1 });
  }

  /** The items of `ids`, forgotten; null when one of them is unknown. */
  private settleIds(ids: readonly string[]): string[] | null {
    if (ids.some((id) => !this.unsettled.has(id))) return null;
    return ids.map((id) => {
      const item = this.unsettled.get(id)!;
      this.unsettled.delete(id);
      return item;
    });
  }

  override ack(ref: number, ids: readonly string[]): void {
    const items = this.settleIds(ids);
    if (items === null) return this.host.answer(ref, this.name, 'UNKNOWN_ID an ID was not delivered on this subscription or is settled');
    let left = items.length;
    for (const item of items) {
      this.host.commands.send(['LREM', this.processing, '-1', item], (reply) => {
        if (typeof reply === 'number') this.host.stats.acked += reply;
        if (--left === 0) this.host.answer(ref, this.name, isError(reply) ? reply.error : null);
      });
    }
  }

  override nack(ref: number, ids: readonly string[], delayMs: number): void {
    const items = this.settleIds(ids);
    if (items === null) return this.host.answer(ref, this.name, 'UNKNOWN_ID an ID was not delivered on this subscription or is settled');
    this.host.stats.nacked += items.length;
    this.host.answer(ref, this.name, null);
    const putBack = (): void => {
      const commands = this.host.commands;
      commands.send(['MULTI']);
      for (const item of items) {
        commands.send(['LREM', this.processing, '-1', item]);
        commands.send(['RPUSH', this.list, item]);
      }
      commands.send(['EXEC']);
    };
    if (delayMs === 0) return putBack();
    // Kept in the processing list meanwhile: a session that ends before has it back on its return.
    const timer = this.host.setTimer(delayMs, () => {
      this.timers.delete(timer);
      putBack();
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
