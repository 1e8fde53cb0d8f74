/**
 * A reply writer that writes nothing, for a client whose replies nobody reads: the link
 * from a leader (broker/replication/leader-connection.ts), as redis-server's
 * prepareClientToWrite refuses its master client. Building a reply only to drop it cost
 * a follower a tenth of its CPU per XADD applied.
 *
 * Every writer returns at once, so the writer stays empty: `position` and `length` stay
 * 0, `take` has nothing, and what a handler reads back (a mark from `beginDeferred`, the
 * position before and after a command) is consistent with that. Errors are still counted
 * and told to `onError` (INFO errorstats, the follower's CRITICAL log line). `canStream`
 * is false: a large range is never frozen for a producer that would never run.
 *
 * A subclass given to that one client, rather than a flag every writer of `Reply` tests:
 * the clients that read their replies pay nothing for it. A public method added to
 * `Reply` fails the build until test/unit/reply.test.ts lists it, as a writer (which
 * the test then requires overridden here) or as one that moves output.
 */
import { Reply, type PushMessage, type ReplyProducer, type RespValue } from './reply.js';

export class DiscardingReply extends Reply {
  override get canStream(): boolean {
    return false;
  }

  /** Not called while `canStream` is false; the producer is let go at once. */
  override stream(producer: ReplyProducer): void {
    producer.release();
  }

  override error(message: string): void {
    this.countError(message);
  }

  override beginDeferred(): number {
    return this.position;
  }

  override endDeferred(mark: number, kind: 'array' | 'map' | 'set', n: number): void {}
  override simple(s: string): void {}
  override simpleBytes(bytes: Uint8Array): void {}
  override ok(): void {}
  override int(n: number | bigint): void {}
  override bulk(s: string): void {}
  override bulkRun(values: readonly string[], from: number, to: number): void {}
  override bulkSlice(s: string, start: number, end: number): void {}
  override streamEntryHead(msHi: number, msLo: number, seq: number, items: number): void {}
  override prefixedBulks(names: readonly string[] | null, text: string, at: number, items: number): void {}
  override bulkBytes(bytes: Uint8Array): void {}
  override bulkOrNil(s: string | null | undefined): void {}
  override nil(): void {}
  override nilArray(): void {}
  override array(n: number): void {}
  override map(n: number): void {}
  override set(n: number): void {}
  override push(n: number): void {}
  override message(m: PushMessage): void {}
  override shared(bytes: Buffer): void {}
  override bool(b: boolean): void {}
  override double(d: number): void {}
  override doubleText(s: string): void {}
  override bigNumber(digits: string): void {}
  override verbatim(s: string, format?: string): void {}
  override bulks(items: readonly string[]): void {}
  override value(v: RespValue): void {}
}
