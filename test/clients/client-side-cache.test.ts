/**
 * Client-side caching with node-redis's own cache (`clientSideCache`, RESP3 CLIENT
 * TRACKING and its invalidation pushes), unchanged, against the broker and
 * redis-server: a value read twice is served from the cache the second time, and a
 * change by another client, an expiry or a flush takes it out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicClientSideCache, createClient } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

/** Waits (bounded) until `done` holds: invalidations arrive as pushes, after the write's reply. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done(), what).toBe(true);
}

describe.each(TARGETS)('node-redis client-side caching against $name', ({ start }) => {
  const server = suiteServer(() => start());
  let cache: BasicClientSideCache;
  let cached: ReturnType<typeof createClient>;
  let writer: ReturnType<typeof createClient>;
  beforeAll(async () => {
    const url = `redis://127.0.0.1:${server.port}`;
    cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    cached = createClient({ url, RESP: 3, clientSideCache: cache, socket: { reconnectStrategy: false } });
    writer = createClient({ url, socket: { reconnectStrategy: false } });
    for (const c of [cached, writer]) c.on('error', () => undefined);
    await cached.connect();
    await writer.connect();
  });
  afterAll(async () => {
    cached?.destroy();
    writer?.destroy();
  });

  it('serves a second read from the cache, and drops it when another client writes the key', async () => {
    await writer.set('csc:a', '1');
    cache.clear();
    expect(await cached.get('csc:a')).toBe('1');
    expect(await cached.get('csc:a')).toBe('1');
    expect(cache.stats().hitCount).toBe(1);
    expect(cache.stats().missCount).toBe(1);
    await writer.set('csc:a', '2');
    await until(() => cache.size() === 0, 'invalidated by SET');
    expect(await cached.get('csc:a')).toBe('2');
    expect(cache.stats().missCount).toBe(2);
  });

  it('invalidates hashes and multi-key reads on a change to any of their keys', async () => {
    await writer.hSet('csc:h', { f: 'v' });
    await writer.mSet({ 'csc:m1': 'x', 'csc:m2': 'y' });
    cache.clear();
    expect(await cached.hGetAll('csc:h')).toEqual({ f: 'v' });
    expect(await cached.mGet(['csc:m1', 'csc:m2'])).toEqual(['x', 'y']);
    expect(cache.size()).toBe(2);
    await writer.hSet('csc:h', { g: 'w' });
    await until(() => cache.size() === 1, 'hash invalidated');
    await writer.del('csc:m2');
    await until(() => cache.size() === 0, 'MGET invalidated by DEL of one key');
    expect(await cached.mGet(['csc:m1', 'csc:m2'])).toEqual(['x', null]);
  });

  it('invalidates on expiry and on FLUSHALL', async () => {
    await writer.set('csc:e', 'v', { PX: 50 });
    await writer.set('csc:f', 'v');
    cache.clear();
    expect(await cached.get('csc:e')).toBe('v');
    expect(await cached.get('csc:f')).toBe('v');
    await until(() => cache.size() === 1, 'expired key invalidated');
    await writer.flushAll();
    await until(() => cache.size() === 0, 'flush invalidates everything');
    expect(await cached.get('csc:f')).toBeNull();
  });

  it("takes the client's own writes into account", async () => {
    cache.clear();
    expect(await cached.get('csc:own')).toBeNull();
    await cached.set('csc:own', 'mine');
    await until(() => cache.size() === 0, 'own write invalidates');
    expect(await cached.get('csc:own')).toBe('mine');
  });
});
