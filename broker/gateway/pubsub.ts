/**
 * A `subscribe` subscription: pub/sub channels and patterns on a link of its own in
 * subscribed mode. Messages are pushed by the engine when published; each one spends
 * a credit, and those that arrive without credit wait here, counted in the session's
 * buffer (so the session's limit, and the broker's `client-output-buffer-limit
 * pubsub` class on this link, end a subscriber that does not keep up). Nothing to
 * acknowledge: pub/sub is at-most-once, as in Redis.
 */
import type { Decoded } from '../../protocol/decoder.js';
import type { DeliveredMessage, SubscribeFrame } from '../../protocol/gateway-frames.js';
import { isError, type EngineLink } from './link.js';
import { bytesOf, latin1Of, message, Subscription, type SubscriptionHost } from './subscription.js';

export class PubSubSubscriber extends Subscription {
  readonly kind = 'subscribe';
  private readonly link: EngineLink;
  private readonly waiting: DeliveredMessage[] = [];
  private waitingBytes = 0;
  private confirmations: number;
  private ref = 0;

  constructor(
    host: SubscriptionHost,
    private readonly frame: SubscribeFrame,
  ) {
    super(host, frame.sub, frame.credit);
    this.confirmations = frame.channels.length + frame.patterns.length;
    this.link = host.openLink();
    this.link.onPush = (value) => this.pushed(value);
  }

  override get heldBytes(): number {
    return this.waitingBytes;
  }

  start(ref: number): void {
    if (this.confirmations === 0) return this.host.failed(this, ref, 'BAD_REQUEST subscribe needs channels or patterns');
    this.ref = ref;
    if (this.frame.channels.length > 0) this.link.sendForPushes(['SUBSCRIBE', ...this.frame.channels.map(latin1Of)]);
    if (this.frame.patterns.length > 0) this.link.sendForPushes(['PSUBSCRIBE', ...this.frame.patterns.map(latin1Of)]);
  }

  private pushed(value: Decoded): void {
    if (this.ended) return;
    if (isError(value)) return this.host.failed(this, this.ref, value.error);
    if (!Array.isArray(value)) return;
    const kind = value[0];
    if (kind === 'subscribe' || kind === 'psubscribe') {
      if (--this.confirmations === 0) this.host.answer(this.ref, this.name, null);
      return;
    }
    const m =
      kind === 'message'
        ? message({ channel: bytesOf(value[1] as string), value: bytesOf(value[2] as string) })
        : kind === 'pmessage'
          ? message({ pattern: bytesOf(value[1] as string), channel: bytesOf(value[2] as string), value: bytesOf(value[3] as string) })
          : null;
    if (m === null) return;
    this.waiting.push(m);
    this.waitingBytes += m.value.length + m.channel.length + m.pattern.length;
    this.pump();
  }

  protected pump(): void {
    if (this.waiting.length === 0) return;
    const n = this.reserve(this.waiting.length);
    if (n === 0) return;
    this.settle(n, n);
    const out = this.waiting.splice(0, n);
    for (const m of out) this.waitingBytes -= m.value.length + m.channel.length + m.pattern.length;
    this.send(out);
  }

  override end(): void {
    super.end();
    this.link.close();
  }
}
