/**
 * What every subscription of a session shares (a group consumer, a plain stream
 * read, a list-queue pop, a pub/sub subscription): its name, its credit, and the
 * exact accounting that keeps the server from sending more than was granted.
 *
 * Credit is spent when a read is issued, not when its reply arrives: a read asks for
 * at most the credit left (COUNT), its share is reserved while it waits (a blocked
 * XREADGROUP may be served any time), and what it did not use is given back. So
 * deliveries from anywhere else (redeliveries after a nack) can never add up past
 * the grant.
 */
import type { Decoded } from '../../protocol/decoder.js';
import type { DeliveredMessage } from '../../protocol/gateway-frames.js';
import type { EncodedDelivery, Encoding } from '../../protocol/gateway-delivery.js';
import type { EngineLink } from './link.js';
import type { AckBatcher } from './acks.js';
import type { GatewayStats } from './stats.js';

/** What a subscription uses of its session. */
export interface SubscriptionHost {
  /** The session's link for commands that do not block (XCLAIM, LREM...). */
  readonly commands: EngineLink;
  /** Stream acks, batched with the other sessions' of the turn. */
  readonly acks: AckBatcher;
  /** A new link of the session's own, for a subscription's blocking reads. */
  openLink(): EngineLink;
  /** Sends a `messages` frame; the caller has counted them against the credit. */
  deliver(sub: Subscription, messages: DeliveredMessage[]): void;
  /** The session's encoding, for frames encoded by the subscription itself (protocol/gateway-delivery.ts). */
  readonly encoding: Encoding;
  /** Sends a frame already encoded in the session's encoding. */
  deliverEncoded(frame: Buffer): void;
  /** The subscription failed (an error reply of the broker): an `error` frame, and it ends. */
  failed(sub: Subscription, ref: number, error: string): void;
  /** Answers a request: `ok` (error null) or an `error` frame. */
  answer(ref: number, sub: string, error: string | null): void;
  readonly stats: GatewayStats;
  /** A timer whose callback is guarded as the session's event handlers are. */
  setTimer(delayMs: number, fn: () => void): NodeJS.Timeout;
  /** Runs `fn` in the next turn of the event loop (setImmediate), guarded as the timers are. */
  nextTurn(fn: () => void): void;
}

const DEFAULT_BATCH = 100;
/** Entries per read at most, whatever is asked: one frame holds one read's entries. */
const MAX_BATCH = 1000;

/** The COUNT of a stream subscription's reads for the `batch` asked (0: the default). */
export function readBatch(asked: number): number {
  return asked === 0 ? DEFAULT_BATCH : Math.min(asked, MAX_BATCH);
}

/** Bytes from the engine's latin1 string (one char per byte). */
export function bytesOf(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** A name from a frame (UTF-8 text) as the engine's latin1 string of its bytes (ASCII, as IDs are, as it is). */
export function latin1Of(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'utf8').latin1Slice();
  return text;
}

/** Text for a frame from the engine's latin1 string (error messages hold key names). */
export function textOf(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function message(fields: Partial<DeliveredMessage>): DeliveredMessage {
  const empty = new Uint8Array(0);
  return { id: '', fields: [], deliveries: 0, value: empty, channel: empty, pattern: empty, ...fields };
}

/** A stream entry as XREADGROUP, XREAD, XCLAIM and XAUTOCLAIM reply it: `[id, [field, value...]]` (fields nil once deleted). */
export interface StreamEntry {
  id: string;
  fields: string[] | null;
}

/** The entries of a reply's `[[id, fields], ...]` array. */
export function streamEntries(value: Decoded): StreamEntry[] {
  if (!Array.isArray(value)) return [];
  return value.map((e) => {
    const [id, fields] = e as [string, string[] | null];
    return { id, fields };
  });
}

/** The entries of an XREAD/XREADGROUP reply for one stream (nil: none). */
export function readEntries(value: Decoded): StreamEntry[] {
  if (!Array.isArray(value) || value.length === 0) return [];
  return streamEntries((value[0] as Decoded[])[1]);
}

export abstract class Subscription {
  /** Credit granted and neither spent nor reserved. */
  protected credit: number;
  /** Credit set aside for the read in flight. */
  protected reserved = 0;
  protected ended = false;

  constructor(
    protected readonly host: SubscriptionHost,
    readonly name: string,
    credit: number,
  ) {
    this.credit = credit;
  }

  abstract readonly kind: 'consume' | 'read' | 'pop' | 'subscribe';

  /** Credit the client may still receive messages for (the metrics' credits outstanding). */
  get outstanding(): number {
    return this.credit + this.reserved;
  }

  /** Bytes held for the client beyond what was sent (pub/sub messages waiting for credit). */
  get heldBytes(): number {
    return 0;
  }

  /** Starts reading; answers `ref` once it is under way (or with the error that stopped it). */
  abstract start(ref: number): void;

  /** Issues the next read or delivery the credit allows. */
  protected abstract pump(): void;

  grant(n: number): void {
    this.credit = Math.min(this.credit + n, Number.MAX_SAFE_INTEGER);
    if (!this.ended) this.pump();
  }

  ack(ref: number, ids: readonly string[]): void {
    this.host.answer(ref, this.name, 'NOT_ACKABLE the subscription has nothing to acknowledge');
  }

  nack(ref: number, ids: readonly string[], delayMs: number): void {
    this.host.answer(ref, this.name, 'NOT_ACKABLE the subscription has nothing to acknowledge');
  }

  /** Stops it: its blocked read, its timers. What it delivered and nobody acked stays pending. */
  end(): void {
    this.ended = true;
  }

  /** Reserves credit for a read of at most `max` messages; returns the count to ask for (0: none). */
  protected reserve(max: number): number {
    const n = Math.min(max, this.credit);
    this.credit -= n;
    this.reserved += n;
    return n;
  }

  /** A read reserved `asked` and delivers `got`: the rest of the reservation goes back to the credit. */
  protected settle(asked: number, got: number): void {
    this.reserved -= asked;
    this.credit += asked - got;
  }

  /** Delivers messages that credit was reserved for. */
  protected send(messages: DeliveredMessage[]): void {
    if (messages.length === 0 || this.ended) return;
    this.host.stats.delivered += messages.length;
    this.host.deliver(this, messages);
  }

  /** Delivers a read's entries encoded as a frame (credit reserved for them). */
  protected sendEncoded(delivery: EncodedDelivery): void {
    if (delivery.frame === null || this.ended) return;
    this.host.stats.delivered += delivery.count;
    this.host.deliverEncoded(delivery.frame);
  }
}
