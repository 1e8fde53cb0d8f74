/**
 * maxmemory under load, through the protocol: each policy fills past the limit and the
 * keys that go are checked, statistically where the policy is an approximation
 * (volatile-* take only keys with a TTL, volatile-ttl the nearest expiries first, LRU
 * keeps recently touched keys, LFU frequently touched ones); evictions fire `evicted`
 * events and reach the effects as DEL; noeviction refuses writes until a DEL frees
 * room; a follower does not evict on its own (replica-ignore-maxmemory) and mirrors its
 * leader's evictions.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, type RawReply } from '../harness/raw.js';
import { spawnBroker, type RunningServer } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { infoField } from '../replication/topology.js';
import { until } from '../harness/wait.js';

const VALUE = 'v'.repeat(100);
/** Commands sent per pipelined batch. */
const BATCH = 200;

async function num(c: RawClient, section: string, name: string): Promise<number> {
  return Number(await infoField(c, section, name));
}

/** Which of `keys` still exist. */
async function present(c: RawClient, keys: readonly string[]): Promise<Set<string>> {
  const replies = await c.pipeline(keys.map((k) => ['EXISTS', k]), BATCH);
  return new Set(keys.filter((_, i) => replies[i].value === 1));
}

const range = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe('maxmemory eviction', () => {
  const server = suiteBroker();
  const c = suiteClient(server);
  beforeEach(async () => {
    await c.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'maxmemory-samples', '5', 'lfu-log-factor', '10');
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'RESETSTAT');
  });

  /**
   * Sets maxmemory to what is used now, less the INFO replies' own buffers (4 KB): any
   * growth must evict.
   */
  async function limitAtCurrentUse(): Promise<number> {
    const used = (await num(c, 'memory', 'used_memory')) - (await num(c, 'memory', 'mem_not_counted_for_evict')) - 4096;
    await c.call('CONFIG', 'SET', 'maxmemory', String(used));
    return used;
  }

  async function addNew(n: number): Promise<RawReply[]> {
    return c.pipeline(range(n, (i) => ['SET', `new:${i}`, VALUE]), BATCH);
  }

  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
    it(`${policy} evicts only keys with a TTL, then refuses writes with -OOM`, async () => {
      const persistent = range(1000, (i) => `p:${i}`);
      const volatile = range(1000, (i) => `t:${i}`);
      await c.pipeline([...persistent.map((k) => ['SET', k, VALUE]), ...volatile.map((k, i) => ['SET', k, VALUE, 'EX', String(10_000 + i)])], BATCH);
      await c.call('CONFIG', 'SET', 'maxmemory-policy', policy);
      const limit = await limitAtCurrentUse();
      const replies = await addNew(3000);
      expect((await present(c, persistent)).size).toBe(1000);
      expect(await num(c, 'stats', 'evicted_keys')).toBeGreaterThan(0);
      // Volatile keys ran out: the writes that still needed room were refused.
      expect((await present(c, volatile)).size).toBe(0);
      const refused = replies.filter((r) => r.raw.toString() === "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
      expect(refused.length).toBeGreaterThan(0);
      expect(replies.every((r) => r.raw.toString() === '+OK\r\n' || refused.includes(r))).toBe(true);
      expect((await c.call('GET', 'p:1')).value).toBe(VALUE);
      expect(await num(c, 'memory', 'used_memory')).toBeLessThan(limit + 64 * 1024);
    });
  }

  it('volatile-ttl evicts the nearest expiries first', async () => {
    const volatile = range(1000, (i) => `t:${i}`);
    // Key i expires in 10000 + 10 * i seconds: a low i is a near expiry.
    await c.pipeline(volatile.map((k, i) => ['SET', k, VALUE, 'EX', String(10_000 + 10 * i)]), BATCH);
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl');
    await limitAtCurrentUse();
    await addNew(300);
    const kept = await present(c, volatile);
    const evicted = volatile.map((_, i) => i).filter((i) => !kept.has(`t:${i}`));
    expect(evicted.length).toBeGreaterThan(150);
    // Uniform choice would give a median of 500; the sampled pool keeps it far lower.
    const median = evicted.sort((a, b) => a - b)[Math.floor(evicted.length / 2)];
    expect(median).toBeLessThan(350);
  });

  it('allkeys-lru keeps the keys touched recently', async () => {
    const keys = range(1000, (i) => `k:${i}`);
    await c.call('SET', 'model', VALUE);
    const payload = (await c.call('DUMP', 'model')).raw;
    const dumped = payload.subarray(payload.indexOf('\r\n') + 2, payload.length - 2).toString('latin1');
    await c.call('DEL', 'model');
    // Every key idle for 1000 s, then 200 of them read now.
    await c.pipeline(keys.map((k) => ['RESTORE', k, '0', dumped, 'IDLETIME', '1000']), BATCH);
    const hot = keys.slice(0, BATCH);
    await c.pipeline(hot.map((k) => ['GET', k]), BATCH);
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await limitAtCurrentUse();
    await addNew(500);
    expect(await num(c, 'stats', 'evicted_keys')).toBeGreaterThan(300);
    expect((await present(c, hot)).size).toBeGreaterThanOrEqual(190);
    expect((await present(c, keys.slice(200))).size).toBeLessThan(500);
  });

  it('allkeys-lfu keeps the keys touched often', async () => {
    // lfu-log-factor 0: every access counts one, so ten reads make a counter of 15 against 5.
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0');
    const keys = range(1000, (i) => `k:${i}`);
    await c.pipeline(keys.map((k) => ['SET', k, VALUE]), BATCH);
    const hot = keys.slice(0, BATCH);
    for (let n = 0; n < 10; n++) {
      await c.pipeline(hot.map((k) => ['GET', k]), BATCH);
    }
    expect((await c.call('OBJECT', 'FREQ', hot[0])).value).toBe(15);
    await limitAtCurrentUse();
    await addNew(500);
    expect(await num(c, 'stats', 'evicted_keys')).toBeGreaterThan(300);
    expect((await present(c, hot)).size).toBeGreaterThanOrEqual(190);
  });

  it('allkeys-random keeps used memory at the limit; evictions are evicted events and DEL effects', async () => {
    const deletes: string[] = [];
    const off = server.broker.engine.onEffects((unit) => {
      for (const e of unit) if (e.argv[0] === 'DEL') deletes.push(String(e.argv[1]));
    });
    const sub = await RawClient.connect(server.port);
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    await sub.call('SUBSCRIBE', '__keyevent@0__:evicted');
    await c.pipeline(range(1000, (i) => ['RPUSH', `l:${i}`, VALUE, VALUE]), BATCH);
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    const limit = await limitAtCurrentUse();
    await addNew(1000);
    const evicted = await num(c, 'stats', 'evicted_keys');
    expect(evicted).toBeGreaterThan(300);
    expect(await num(c, 'memory', 'used_memory')).toBeLessThan(limit + 64 * 1024);
    const messages = await sub.readMany(evicted);
    const names = messages.map((m) => (m.value as string[])[2]);
    expect(new Set(names).size).toBe(evicted);
    expect(deletes.sort()).toEqual([...names].sort());
    for (const name of names.slice(0, 20)) expect((await c.call('EXISTS', name)).value).toBe(0);
    off();
    sub.close();
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  });

  it('noeviction refuses writes until a DEL frees room, and the accounting follows', async () => {
    await c.pipeline(range(500, (i) => ['SET', `k:${i}`, VALUE]), BATCH);
    const before = await num(c, 'memory', 'used_memory_dataset');
    await limitAtCurrentUse();
    const oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    expect((await c.call('SET', 'x', VALUE)).raw.toString()).toBe(oom);
    expect((await c.call('XADD', 's', '*', 'f', 'v')).raw.toString()).toBe(oom);
    expect((await c.call('GET', 'k:1')).value).toBe(VALUE);
    await c.pipeline(range(50, (i) => ['DEL', `k:${i}`]), BATCH);
    expect(await num(c, 'memory', 'used_memory_dataset')).toBeLessThan(before);
    expect((await c.call('SET', 'x', VALUE)).raw.toString()).toBe('+OK\r\n');
    expect((await c.call('XADD', 's', '*', 'f', 'v')).raw[0]).toBe('$'.charCodeAt(0));
    expect(await num(c, 'stats', 'evicted_keys')).toBe(0);
  });
});

describe('maxmemory on a follower', () => {
  const servers: RunningServer[] = [];
  const clients: RawClient[] = [];
  afterAll(async () => {
    for (const cl of clients) cl.close();
    for (const s of servers.reverse()) await s.stop();
  });

  it('does not evict on its own (replica-ignore-maxmemory) and mirrors the leader’s evictions', async () => {
    const leader = await spawnBroker(['--repl-diskless-sync-delay', '0']);
    servers.push(leader);
    const follower = await spawnBroker(['--replicaof', `127.0.0.1 ${leader.port}`, '--maxmemory', '1', '--maxmemory-policy', 'allkeys-random']);
    servers.push(follower);
    const l = await RawClient.connect(leader.port);
    const f = await RawClient.connect(follower.port);
    clients.push(l, f);
    await until('the follower link is up', async () => (await infoField(f, 'replication', 'master_link_status')) === 'up');
    await l.pipeline(range(500, (i) => ['SET', `k:${i}`, VALUE]), BATCH);
    await until('the follower has every key', async () => (await f.call('DBSIZE')).value === 500);
    expect(await num(f, 'stats', 'evicted_keys')).toBe(0);
    // The leader evicts: its DELs reach the follower.
    await l.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    const used = (await num(l, 'memory', 'used_memory')) - (await num(l, 'memory', 'mem_not_counted_for_evict'));
    await l.call('CONFIG', 'SET', 'maxmemory', String(used));
    await l.pipeline(range(200, (i) => ['SET', `new:${i}`, VALUE]), BATCH);
    const leaderKeys = (await l.call('DBSIZE')).value as number;
    expect(leaderKeys).toBeLessThan(700);
    await until('the follower mirrors the leader', async () => (await f.call('DBSIZE')).value === leaderKeys);
    expect(await num(f, 'stats', 'evicted_keys')).toBe(0);
    // Told not to ignore maxmemory, it evicts before its next command.
    await f.call('CONFIG', 'SET', 'replica-ignore-maxmemory', 'no');
    await f.call('PING');
    expect(await num(f, 'stats', 'evicted_keys')).toBeGreaterThan(0);
  }, 60_000);
});
