/**
 * The container suites' write load: a producer adding to a stream and a consumer-group
 * worker reading and acking it, each remembering exactly what the broker acknowledged
 * (a reply received), so that after a fault the test can ask whether every
 * acknowledged write survived. The load ends by itself when its connections fail (the
 * fault) or when stopped.
 */
import { expect } from 'vitest';
import type { Decoded } from '../../protocol/decoder.js';
import type { RawClient } from '../harness/raw.js';

export const STREAM = 'orders';
export const GROUP = 'workers';

const isError = (value: Decoded): boolean => typeof value === 'object' && value !== null && 'error' in value;

export class StreamLoad {
  /** IDs whose XADD was answered. */
  readonly added: string[] = [];
  /** IDs whose XACK was answered 1. */
  readonly acked: string[] = [];
  private running = true;
  private readonly done: Promise<unknown>;

  /**
   * `producer` adds entries (MAXLEN ~ `maxlen` when given: a load that does not grow
   * the dataset); `worker` reads them as consumer `c1` of GROUP and acks each batch.
   */
  constructor(producer: RawClient, worker: RawClient, maxlen?: number) {
    const trim = maxlen === undefined ? [] : ['MAXLEN', '~', String(maxlen)];
    this.done = Promise.allSettled([this.produce(producer, trim), this.consume(worker)]);
  }

  /** Creates the group (and the stream) before the load starts. */
  static async prepare(c: RawClient): Promise<void> {
    expect((await c.call('XGROUP', 'CREATE', STREAM, GROUP, '$', 'MKSTREAM')).raw.toString('latin1')).toBe('+OK\r\n');
  }

  private async produce(c: RawClient, trim: string[]): Promise<void> {
    for (let n = 0; this.running; n++) {
      const reply = await c.call('XADD', STREAM, ...trim, '*', 'n', String(n), 'payload', 'x'.repeat(100));
      if (typeof reply.value !== 'string') return;
      this.added.push(reply.value);
    }
  }

  private async consume(c: RawClient): Promise<void> {
    while (this.running) {
      const reply = await c.call('XREADGROUP', 'GROUP', GROUP, 'c1', 'COUNT', '50', 'BLOCK', '100', 'STREAMS', STREAM, '>');
      if (reply.value === null) continue;
      if (isError(reply.value)) return;
      const entries = ((reply.value as Decoded[])[0] as Decoded[])[1] as Decoded[];
      for (const entry of entries) {
        const id = (entry as Decoded[])[0] as string;
        const ack = await c.call('XACK', STREAM, GROUP, id);
        if (ack.value !== 1) return;
        this.acked.push(id);
      }
    }
  }

  /** Ends the load (or waits for it to have ended by a fault). */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** Checks, on a broker after the fault, that every acknowledged XADD is there and every acknowledged XACK holds. */
export async function expectAcknowledgedWrites(c: RawClient, load: StreamLoad): Promise<void> {
  const present = new Set<string>();
  const range = (await c.call('XRANGE', STREAM, '-', '+')).value as Decoded[];
  for (const entry of range) present.add((entry as Decoded[])[0] as string);
  expect(load.added.filter((id) => !present.has(id))).toEqual([]);
  const pending = new Set<string>();
  const pel = (await c.call('XPENDING', STREAM, GROUP, '-', '+', '1000000')).value as Decoded[];
  for (const entry of pel) pending.add((entry as Decoded[])[0] as string);
  expect(load.acked.filter((id) => pending.has(id))).toEqual([]);
}
