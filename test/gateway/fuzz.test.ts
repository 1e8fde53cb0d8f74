/**
 * Random client frames, valid in form but arbitrary in content (names, IDs, counts,
 * trimming arguments, acks of what was never delivered...), in both framings: the
 * session answers each request and stays open (an exception in the gateway would
 * close it: its guard cuts the session off), and the broker goes on.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { frame, type ClientFrame, type Frame } from '../../protocol/gateway-frames.js';
import { rawSession, suiteGatewayBroker } from './harness.js';

const name = fc.constantFrom('s', 'orders', 'jobs', 'a-string', '', 'ünï', 'x'.repeat(300));
const id = fc.constantFrom('0', '$', '0-0', '1-1', '>', '', '*', 'abc', '18446744073709551615-18446744073709551615', '-1');
const count = fc.constantFrom(0, 1, 3, 100, 4294967295);
const subName = fc.constantFrom('a', 'b', '');
const bytes = fc.uint8Array({ maxLength: 8 });

const clientFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ ref: count, sub: subName, stream: name, group: name, consumer: name, create: fc.boolean(), batch: count, credit: count, claimIdleMs: fc.constantFrom(0, 1, 50) }).map((f) => frame('consume', f)),
  fc.record({ ref: count, sub: subName, stream: name, from: id, batch: count, credit: count }).map((f) => frame('read', f)),
  fc.record({ ref: count, sub: subName, list: name, consumer: name, processing: name, credit: count }).map((f) => frame('pop', f)),
  fc.record({ ref: count, sub: subName, channels: fc.array(name, { maxLength: 3 }), patterns: fc.array(name, { maxLength: 2 }), credit: count }).map((f) => frame('subscribe', f)),
  fc.record({ sub: subName, n: count }).map((f) => frame('credit', f)),
  fc.record({ ref: count, sub: subName, ids: fc.array(id, { maxLength: 3 }) }).map((f) => frame('ack', f)),
  fc.record({ ref: count, sub: subName, ids: fc.array(id, { maxLength: 3 }), delayMs: fc.constantFrom(0, 5) }).map((f) => frame('nack', f)),
  fc
    .record({
      ref: count,
      stream: name,
      id,
      fields: fc.array(bytes, { maxLength: 4 }),
      maxlen: fc.constantFrom('', '0', '5', '-1', 'abc'),
      minid: fc.constantFrom('', '0', '1-1'),
      approximate: fc.boolean(),
      limit: count,
      noMkStream: fc.boolean(),
    })
    .map((f) => frame('produce', f)),
  fc.record({ ref: count, sub: subName }).map((f) => frame('cancel', f)),
  fc.record({ ref: count }).map((f) => frame('ping', f)),
);

const b = suiteGatewayBroker();
beforeAll(async () => {
  const redis = b.redis();
  await redis.set('a-string', 'v');
  await redis.xgroup('CREATE', 'orders', 'orders', '$', 'MKSTREAM');
});

describe.each(['json', 'protobuf'] as const)('random requests (%s)', (encoding) => {
  it('are answered, and leave the session and the broker working', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(clientFrame, { minLength: 1, maxLength: 12 }), async (frames) => {
        const s = await rawSession(b.url, { encoding });
        for (const f of frames) s.send(f as ClientFrame);
        s.send(frame('ping', { ref: 999_999 }));
        for (;;) {
          const f = await s.next();
          if (f.type === 'pong' && f.ref === 999_999) break;
        }
        s.ws.close();
        const closed = await s.closed;
        expect(closed.code).toBe(1005);
      }),
      { numRuns: 60 },
    );
    expect(await b.redis().ping()).toBe('PONG');
  });
});
