/**
 * Sorted sets through real clients, unchanged, against the broker and redis-server, as a
 * queue application uses them for a delayed-job schedule: ioredis (ZADD, ZRANGEBYSCORE
 * with LIMIT, ZPOPMIN, a MULTI claiming due jobs, ZSCAN as a stream, BZPOPMIN woken by a
 * ZADD) and node-redis in RESP2 and RESP3 (scores as numbers, ZRANGE WITHSCORES).
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

describe.each(TARGETS)('sorted sets with real clients against $name', ({ start }) => {
  const server = suiteServer(() => start());

  it('ioredis: a delayed-job schedule, due jobs claimed in MULTI, ZSCAN, BZPOPMIN', async () => {
    const connect = async (): Promise<Redis> => {
      const r = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      await r.connect();
      return r;
    };
    const r = await connect();
    const waiter = await connect();
    try {
      await r.del('delayed', 'big:z', 'wake');
      expect(await r.zadd('delayed', 1000, 'job:a', 3000, 'job:c', 2000, 'job:b')).toBe(3);
      expect(await r.zadd('delayed', 'NX', 500, 'job:a')).toBe(0);
      expect(await r.zscore('delayed', 'job:b')).toBe('2000');
      expect(await r.zrangebyscore('delayed', '-inf', 2500, 'LIMIT', 0, 10)).toEqual(['job:a', 'job:b']);
      expect(await r.zrange('delayed', '0', '-1', 'WITHSCORES')).toEqual(['job:a', '1000', 'job:b', '2000', 'job:c', '3000']);
      const claimed = await r.multi().zrangebyscore('delayed', '-inf', 1500).zremrangebyscore('delayed', '-inf', 1500).exec();
      expect(claimed).toEqual([
        [null, ['job:a']],
        [null, 1],
      ]);
      expect(await r.zpopmin('delayed')).toEqual(['job:b', '2000']);
      expect(await r.zincrby('delayed', '0.5', 'job:c')).toBe('3000.5');
      expect(await r.zrank('delayed', 'job:c')).toBe(0);

      await r.zadd('big:z', ...Array.from({ length: 500 }, (_, i) => [String(i), `m${i}`]).flat());
      expect(await r.object('ENCODING', 'big:z')).toBe('skiplist');
      const members = new Set<string>();
      for await (const batch of r.zscanStream('big:z', { count: 50 })) for (let i = 0; i < batch.length; i += 2) members.add(batch[i] as string);
      expect(members.size).toBe(500);

      const woken = waiter.bzpopmin('wake', 5);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await r.zadd('wake', 7, 'job:w');
      expect(await woken).toEqual(['wake', 'job:w', '7']);
    } finally {
      r.disconnect();
      waiter.disconnect();
    }
  });

  it.each([2, 3] as const)('node-redis RESP%d: ZADD, ZRANGE WITHSCORES, ZSCORE, ZPOPMIN, ZUNIONSTORE, ZMPOP', async (RESP) => {
    const c = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const a = `nr:${RESP}:za`;
      const b = `nr:${RESP}:zb`;
      const u = `nr:${RESP}:zu`;
      await c.del([a, b, u]);
      expect(await c.zAdd(a, [{ score: 1, value: 'x' }, { score: 2.5, value: 'y' }])).toBe(2);
      expect(await c.zAdd(b, [{ score: 10, value: 'y' }])).toBe(1);
      expect(await c.zRangeWithScores(a, 0, -1)).toEqual([{ value: 'x', score: 1 }, { value: 'y', score: 2.5 }]);
      expect(await c.zScore(a, 'y')).toBe(2.5);
      expect(await c.zCard(a)).toBe(2);
      expect(await c.zUnionStore(u, [a, b])).toBe(2);
      expect(await c.zRangeWithScores(u, 0, -1)).toEqual([{ value: 'x', score: 1 }, { value: 'y', score: 12.5 }]);
      expect(await c.zPopMin(a)).toEqual({ value: 'x', score: 1 });
      const popped = await c.zmPop([b, u], 'MAX');
      expect(popped?.key).toBe(b);
      expect(await c.exists(b)).toBe(0);
    } finally {
      c.destroy();
    }
  });
});
