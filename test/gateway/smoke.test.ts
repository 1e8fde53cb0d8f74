import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayBroker, type GatewayBroker } from './harness.js';

let b: GatewayBroker;
beforeAll(async () => {
  b = await startGatewayBroker();
});
afterAll(async () => b.stop());

describe('smoke', () => {
  for (const encoding of ['json', 'protobuf'] as const) {
    it(`consumes and acks (${encoding})`, async () => {
      const redis = b.redis();
      const stream = `smoke-${encoding}`;
      await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      const client = await b.client({ encoding });
      const sub = client.consume({ stream, group: 'g', consumer: 'c1', prefetch: 10 });
      for (let i = 0; i < 5; i++) await redis.xadd(stream, '*', 'n', String(i));
      const got: string[] = [];
      for await (const m of sub) {
        got.push(m.fields.n);
        m.ack();
        if (got.length === 5) break;
      }
      expect(got).toEqual(['0', '1', '2', '3', '4']);
      await client.ping();
      const pending = (await redis.xpending(stream, 'g')) as [number];
      expect(pending[0]).toBe(0);
      const id = await client.produce(stream, { a: 'b' });
      expect(id).toMatch(/^\d+-\d+$/);
    });
  }
});
