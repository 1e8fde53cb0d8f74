/**
 * Hashes and sets through real clients, unchanged, against the broker and redis-server:
 * ioredis (its object-shaped HGETALL, HSCAN and SSCAN streams, pipelines) and
 * node-redis in RESP2 and RESP3 (HGETALL as a map, SMEMBERS as a set), in the way a
 * queue application uses them: job state in a hash, a dedup set of processed ids.
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

describe.each(TARGETS)('hashes and sets with real clients against $name', ({ start }) => {
  const server = suiteServer(() => start());

  it('ioredis: job state in a hash, a dedup set, scans as streams, a pipeline', async () => {
    const r = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    await r.connect();
    try {
      await r.del('job:1', 'processed', 'big:h', 'big:s');
      expect(await r.hset('job:1', { state: 'queued', tries: '0', payload: '\u00ff\u0000' })).toBe(3);
      expect(await r.hincrby('job:1', 'tries', 1)).toBe(1);
      expect(await r.hincrbyfloat('job:1', 'cost', '0.25')).toBe('0.25');
      expect(await r.hsetnx('job:1', 'state', 'running')).toBe(0);
      expect(await r.hgetall('job:1')).toEqual({ state: 'queued', tries: '1', payload: '\u00ff\u0000', cost: '0.25' });
      expect(await r.hmget('job:1', 'state', 'nope')).toEqual(['queued', null]);
      expect(await r.hdel('job:1', 'cost', 'nope')).toBe(1);
      expect(await r.hlen('job:1')).toBe(3);

      expect(await r.sadd('processed', 'id-1', 'id-2', 'id-1')).toBe(2);
      expect(await r.sismember('processed', 'id-2')).toBe(1);
      expect(await r.smismember('processed', 'id-1', 'id-9')).toEqual([1, 0]);
      expect((await r.smembers('processed')).sort()).toEqual(['id-1', 'id-2']);
      const popped = await r.spop('processed', 1);
      expect(popped).toHaveLength(1);
      expect(await r.scard('processed')).toBe(1);

      const results = await r.pipeline().hset('big:h', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, String(i)]))).sadd('big:s', ...Array.from({ length: 1000 }, (_, i) => `m${i}`)).exec();
      expect(results?.map(([err]) => err)).toEqual([null, null]);
      const fields = new Set<string>();
      for await (const batch of r.hscanStream('big:h', { count: 100 })) for (let i = 0; i < batch.length; i += 2) fields.add(batch[i] as string);
      expect(fields.size).toBe(1000);
      const members = new Set<string>();
      for await (const batch of r.sscanStream('big:s', { match: 'm1*', count: 50 })) for (const m of batch as string[]) members.add(m);
      expect(members.size).toBe(111);
      expect(await r.object('ENCODING', 'big:h')).toBe('hashtable');
    } finally {
      r.disconnect();
    }
  });

  it.each([2, 3] as const)('node-redis RESP%d: HGETALL, SMEMBERS, SINTER, HRANDFIELD WITHVALUES, SINTERCARD', async (RESP) => {
    const c = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const h = `nr:${RESP}:h`;
      const a = `nr:${RESP}:a`;
      const b = `nr:${RESP}:b`;
      await c.del([h, a, b]);
      expect(await c.hSet(h, { x: '1', y: '2' })).toBe(2);
      expect({ ...(await c.hGetAll(h)) }).toEqual({ x: '1', y: '2' });
      expect(await c.hGet(h, 'x')).toBe('1');
      expect(await c.hExists(h, 'z')).toBe(0);
      expect((await c.hKeys(h)).sort()).toEqual(['x', 'y']);
      const pairs = await c.hRandFieldCountWithValues(h, 2);
      expect(pairs).toHaveLength(2);
      expect(await c.sAdd(a, ['1', '2', '3'])).toBe(3);
      expect(await c.sAdd(b, ['2', '3', '4'])).toBe(3);
      expect([...(await c.sMembers(a))]).toEqual(['1', '2', '3']);
      expect([...(await c.sInter([a, b]))]).toEqual(['2', '3']);
      expect(await c.sInterCard([a, b], { LIMIT: 1 })).toBe(1);
      expect(await c.sMove(a, b, '1')).toBe(1);
      expect([...(await c.sDiff([b, a]))]).toEqual(['1', '4']);
    } finally {
      c.destroy();
    }
  });
});
