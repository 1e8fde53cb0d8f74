/**
 * A `read` subscription: a stream read without a group, as `XREAD` (no PEL, nothing to
 * acknowledge). `from` is an entry ID to read after, or `$` for the entries added from
 * now on; `$` is fixed to the stream's last ID when the subscription starts, so
 * entries added while the client has no credit are not skipped. Reads block on a
 * link of their own (`XREAD ... BLOCK 0`), woken by the engine after each XADD.
 */
import type { ReadFrame } from '../../protocol/gateway-frames.js';
import { isError, type EngineLink } from './link.js';
import { bytesOf, latin1Of, message, readBatch, readEntries, streamEntries, Subscription, type SubscriptionHost } from './subscription.js';


export class StreamReader extends Subscription {
  readonly kind = 'read';
  private readonly link: EngineLink;
  private readonly stream: string;
  private readonly batch: number;
  private cursor: string;
  private reading = false;

  constructor(host: SubscriptionHost, frame: ReadFrame) {
    super(host, frame.sub, frame.credit);
    this.stream = latin1Of(frame.stream);
    this.batch = readBatch(frame.batch);
    this.cursor = frame.from === '' ? '$' : frame.from;
    this.link = host.openLink();
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
    this.link.send(['XREAD', 'COUNT', String(n), 'BLOCK', '0', 'STREAMS', this.stream, this.cursor], (reply) => {
      this.reading = false;
      if (this.ended) return;
      if (isError(reply)) {
        this.settle(n, 0);
        return this.host.failed(this, 0, reply.error);
      }
      const entries = readEntries(reply);
      if (entries.length > 0) this.cursor = entries[entries.length - 1].id;
      this.settle(n, entries.length);
      this.send(entries.map((e) => message({ id: e.id, fields: (e.fields ?? []).map(bytesOf) })));
      this.pump();
    });
  }

  override end(): void {
    super.end();
    this.link.close();
  }
}
