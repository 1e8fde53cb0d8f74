/** ioredis, unchanged, against the broker (and redis-server as the reference), RESP2 and RESP3. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

describe.each(TARGETS)('ioredis against $name', ({ start }) => {
  const server = suiteServer(() => start());

  describe.each([2, 3] as const)('RESP%d', (protocol) => {
    let redis: Redis;
    const k = (name: string) => `ioredis:${protocol}:${name}`;
    beforeAll(async () => {
      redis = new Redis({ port: server.port, host: '127.0.0.1', protocol, lazyConnect: true, maxRetriesPerRequest: 0 });
      await redis.connect();
    });
    afterAll(async () => {
      await redis?.quit();
    });

    it('connects (ready check, handshake) and pings', async () => {
      expect(redis.status).toBe('ready');
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.ping('hello')).toBe('hello');
      expect(await redis.echo('bytes')).toBe('bytes');
    });

    it('sets, gets and deletes strings, binary-safe', async () => {
      expect(await redis.set(k('a'), 'value')).toBe('OK');
      expect(await redis.get(k('a'))).toBe('value');
      expect(await redis.get(k('missing'))).toBeNull();
      const binary = Buffer.from([0, 1, 2, 0xff, 13, 10, 0x80]);
      await redis.set(k('bin'), binary);
      expect(await redis.getBuffer(k('bin'))).toEqual(binary);
      expect(await redis.set(k('a'), 'x', 'NX')).toBeNull();
      expect(await redis.set(k('a'), 'y', 'XX', 'GET')).toBe('value');
      expect(await redis.strlen(k('a'))).toBe(1);
      expect(await redis.append(k('a'), 'zz')).toBe(3);
      expect(await redis.getrange(k('a'), 1, -1)).toBe('zz');
      expect(await redis.del(k('a'), k('bin'), k('missing'))).toBe(2);
    });

    it('counts with INCR family and reports errors as ReplyError', async () => {
      expect(await redis.incr(k('n'))).toBe(1);
      expect(await redis.incrby(k('n'), 41)).toBe(42);
      expect(await redis.decr(k('n'))).toBe(41);
      expect(await redis.incrbyfloat(k('n'), '0.5')).toBe('41.5');
      await redis.set(k('text'), 'abc');
      await expect(redis.incr(k('text'))).rejects.toThrow('ERR value is not an integer or out of range');
    });

    it('handles multi-key commands', async () => {
      expect(await redis.mset(k('m1'), '1', k('m2'), '2', k('m3'), '3')).toBe('OK');
      expect(await redis.mget(k('m1'), k('nope'), k('m3'))).toEqual(['1', null, '3']);
      expect(await redis.exists(k('m1'), k('m2'), k('nope'), k('m1'))).toBe(3);
      expect(await redis.msetnx(k('m1'), 'x', k('m4'), 'y')).toBe(0);
      expect(await redis.unlink(k('m1'), k('m2'), k('m3'))).toBe(3);
    });

    it('expires keys and reports TTLs', async () => {
      await redis.set(k('ttl'), 'v', 'EX', 100);
      const ttl = await redis.ttl(k('ttl'));
      expect(ttl).toBeGreaterThan(90);
      expect(ttl).toBeLessThanOrEqual(100);
      expect(await redis.persist(k('ttl'))).toBe(1);
      expect(await redis.ttl(k('ttl'))).toBe(-1);
      expect(await redis.ttl(k('none'))).toBe(-2);
      expect(await redis.pexpire(k('ttl'), 1)).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await redis.get(k('ttl'))).toBeNull();
      expect(await redis.type(k('missing'))).toBe('none');
    });

    it('runs a pipeline of 10,000 commands with every reply in order', async () => {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 5000; i++) pipeline.set(k(`p${i}`), `value-${i}`);
      for (let i = 0; i < 5000; i++) pipeline.get(k(`p${i}`));
      const results = (await pipeline.exec())!;
      expect(results.length).toBe(10_000);
      for (let i = 0; i < 5000; i++) {
        expect(results[i]).toEqual([null, 'OK']);
        expect(results[5000 + i]).toEqual([null, `value-${i}`]);
      }
    });

    it('scans keys with scanStream', async () => {
      await redis.mset(k('scan:1'), 'a', k('scan:2'), 'b', k('scan:3'), 'c');
      const found = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        redis
          .scanStream({ match: k('scan:*'), count: 500 })
          .on('data', (keys: string[]) => keys.forEach((key) => found.add(key)))
          .on('end', resolve)
          .on('error', reject);
      });
      expect([...found].sort()).toEqual([k('scan:1'), k('scan:2'), k('scan:3')]);
    });

    it('selects databases and names the connection', async () => {
      const other = new Redis({ port: server.port, host: '127.0.0.1', protocol, db: 3, connectionName: 'worker-7', lazyConnect: true });
      await other.connect();
      await other.set(k('db3'), 'here');
      expect(await redis.get(k('db3'))).toBeNull();
      expect(await other.get(k('db3'))).toBe('here');
      expect(await other.client('GETNAME')).toBe('worker-7');
      await other.quit();
    });
  });
});
