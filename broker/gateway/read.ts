/**
 * A `read` subscription: a stream read without a group, as `XREAD` (no PEL, nothing to
 * acknowledge). `from` is an entry ID to read after, or `$` for the entries added from
 * now on; `$` is fixed to the stream's last ID when the subscription starts, so
 * entries added while the client has no credit are not skipped. Reads block on a
 * link of their own (`XREAD ... BLOCK 0`), woken by the engine after each XADD.
 */
import type { ReadFrame } from '../../protocol/gateway-frames.js';
import { decodeWhole } from '../../protocol/decoder.js';
import { DeliveryEncoder } from '../../protocol/gateway-delivery.js';
import { isError, type EngineLink } from './link.js';
import { latin1Of, readBatch, streamEntries, Subscription, type SubscriptionHost } from './subscription.js';


export class StreamReader extends Subscription {
  readonly kind = 'read';
  private readonly link: EngineLink;
  private readonly stream: string;
  private readonly batch: number;
  private cursor: string;
  private reading = false;
  private readonly encoder: DeliveryEncoder;

  constructor(host: SubscriptionHost, frame: ReadFrame) {
    super(host, frame.sub, frame.credit);
    this.stream = latin1Of(frame.stream);
    this.batch = readBatch(frame.batch);
    this.cursor = frame.from === '' ? '$' : frame.from;
    this.link = host.openLink();
    this.encoder = new DeliveryEncoder(this.name, host.encoding);
  }

  start(ref: number): void {
    if (this.cursor !== '$') return this.begin(ref);
    // The last ID now, or 0-0 for a stream that is empty or not there yet.
    this.link.send(['XREVRANGE', this.stream, '+', '-', 'COUNT', '1'], (reply) => {
      if (isError(reply)) return this.host.failed(this, ref, reply.error);
      this.cursor = streamEntries(reply)[0]?.id ?? '0-0';
      this.begin(ref);
    });
  }

  /** A first read of nothing checks the key and the ID (WRONGTYPE, an invalid ID) before answering. */
  private begin(ref: number): void {
    this.link.send(['XRANGE', this.stream, this.cursor, '+', 'COUNT', '0'], (reply) => {
      if (isError(reply)) return this.host.failed(this, ref, reply.error);
      this.host.answer(ref, this.name, null);
      this.pump();
    });
  }

  protected pump(): void {
    if (this.ended || this.reading) return;
    const n = this.reserve(this.batch);
    if (n === 0) return;
    this.reading = true;
    // The frame is made from the reply's bytes; what is not entries (an error) is decoded.
    this.link.sendForBytes(['XREAD', 'COUNT', String(n), 'BLOCK', '0', 'STREAMS', this.stream, this.cursor], (raw) => {
      this.reading = false;
      if (this.ended) return;
      const delivery = this.encoder.encode(raw, 0);
      if (delivery === null) {
        this.settle(n, 0);
        const reply = decodeWhole(raw);
        return this.host.failed(this, 0, isError(reply) ? reply.error : 'ERR unexpected reply to XREAD');
      }
      if (delivery.count > 0) this.cursor = delivery.lastId;
      this.settle(n, delivery.count);
      this.sendEncoded(delivery);
      this.pump();
    });
  }

  override end(): void {
    super.end();
    this.link.close();
  }
}
