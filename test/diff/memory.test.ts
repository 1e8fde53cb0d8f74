/**
 * Memory commands and maxmemory against redis-server, where replies must match:
 * -OOM for every kind of write (strings, lists, streams, hashes, sets, sorted sets)
 * while reads, DEL and DISCARD keep working, MULTI/EXEC's OOM rules (EXECABORT),
 * OBJECT FREQ/IDLETIME by policy, MEMORY HELP, MEMORY USAGE's errors and reply
 * types, MEMORY STATS's field names and order, and the maxmemory parameters.
 *
 * Both servers get `maxmemory 1` (far below what either uses) so that nothing fits;
 * figures themselves differ by design and are compared by type only.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { clearOfSecondBoundary, diffSuite } from '../harness/diff.js';
import type { Decoded } from '../../protocol/decoder.js';

/** A reply with every integer and double replaced, for comparing shapes. */
function shape(raw: Buffer): string {
  return raw
    .toString('latin1')
    .replace(/^:-?\d+\r\n/gm, ':N\r\n')
    .replace(/^\$\d+\r\n-?[\d.e+-]+\r\n/gm, '$D\r\n')
    .replace(/^,[^\r]*\r\n/gm, ',D\r\n');
}

describe.skipIf(!hasRedisServer())('MEMORY and maxmemory vs redis-server', () => {
  const { servers, p } = diffSuite();
  beforeEach(async () => {
    await p.same('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction');
    await p.same('FLUSHALL');
  });

  it('refuses writes of every type with -OOM under noeviction; reads, DEL and admin commands work', async () => {
    await p.samePipeline([
      ['SET', 's', 'v'],
      ['RPUSH', 'l', 'a', 'b'],
      ['XADD', 'x', '1-1', 'f', 'v'],
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 'st', 'm'],
      ['ZADD', 'z', '1', 'm'],
      ['XGROUP', 'CREATE', 'x', 'g', '0'],
    ]);
    await p.same('CONFIG', 'SET', 'maxmemory', '1');
    await p.samePipeline([
      ['SET', 's', 'w'],
      ['APPEND', 's', 'x'],
      ['INCR', 'n'],
      ['LPUSH', 'l', 'c'],
      ['RPUSH', 'l', 'c'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'z'],
      ['XADD', 'x', '*', 'f', 'v'],
      ['XGROUP', 'CREATE', 'x', 'g2', '0'],
      ['HSET', 'h', 'g', 'v'],
      ['SADD', 'st', 'n'],
      ['ZADD', 'z', '2', 'n'],
      ['RESTORE', 'r', '0', 'x'],
      ['GET', 's'],
      ['LRANGE', 'l', '0', '-1'],
      ['XRANGE', 'x', '-', '+'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'x', '>'],
      ['XACK', 'x', 'g', '1-1'],
      ['LPOP', 'l'],
      ['HGETALL', 'h'],
      ['SMEMBERS', 'st'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['EXPIRE', 's', '100'],
      ['PING'],
      ['DBSIZE'],
      ['DEL', 'h'],
      ['INFO', 'nosuchsection'],
    ]);
    // The OOM refusals count as rejected calls, as in redis-server.
    await p.same('CONFIG', 'SET', 'maxmemory', '0');
    await p.same('SET', 's', 'again');
  });

  it('applies redis-server MULTI rules: everything but EXEC/DISCARD refused inside, EXECABORT after', async () => {
    await p.same('CONFIG', 'SET', 'maxmemory', '1');
    await p.samePipeline([['MULTI'], ['GET', 'k'], ['SET', 'k', 'v'], ['PING'], ['EXEC']]);
    await p.samePipeline([['MULTI'], ['GET', 'k'], ['DISCARD']]);
    // Queued before memory ran out: EXEC of a denyoom command is refused, of reads runs.
    await p.same('CONFIG', 'SET', 'maxmemory', '0');
    await p.samePipeline([['MULTI'], ['SET', 'k', 'v'], ['GET', 'k']]);
    const other = await servers.pair();
    await other.same('CONFIG', 'SET', 'maxmemory', '1');
    await p.same('EXEC');
    await other.same('CONFIG', 'SET', 'maxmemory', '0');
    await p.samePipeline([['MULTI'], ['GET', 'k'], ['PING']]);
    await other.same('CONFIG', 'SET', 'maxmemory', '1');
    await p.same('EXEC');
    await other.same('CONFIG', 'SET', 'maxmemory', '0');
  });

  it('OBJECT FREQ and IDLETIME by policy', async () => {
    await clearOfSecondBoundary();
    await p.same('SET', 'k', 'v');
    await p.same('OBJECT', 'FREQ', 'k');
    await p.same('OBJECT', 'FREQ', 'missing');
    for (const policy of ['allkeys-lfu', 'volatile-lfu']) {
      await p.same('CONFIG', 'SET', 'maxmemory-policy', policy);
      await p.same('OBJECT', 'IDLETIME', 'k');
      await p.same('SET', 'n', 'v');
      // A new key's counter starts at LFU_INIT_VAL.
      await p.same('OBJECT', 'FREQ', 'n');
    }
    for (const policy of ['allkeys-lru', 'volatile-ttl', 'allkeys-random', 'noeviction']) {
      await p.same('CONFIG', 'SET', 'maxmemory-policy', policy);
      await p.same('OBJECT', 'FREQ', 'k');
      await p.same('OBJECT', 'IDLETIME', 'k');
    }
  });

  it('MEMORY HELP, errors, and the types of its replies', async () => {
    await p.same('SET', 'k', 'v');
    await p.same('MEMORY', 'HELP');
    await p.same('memory', 'help');
    await p.same('MEMORY');
    await p.same('MEMORY', 'FOO');
    await p.same('MEMORY', 'USAGE');
    await p.same('MEMORY', 'STATS', 'x');
    await p.same('MEMORY', 'DOCTOR', 'x');
    await p.same('MEMORY', 'PURGE');
    await p.same('MEMORY', 'USAGE', 'missing');
    await p.same('MEMORY', 'USAGE', 'k', 'SAMPLES');
    await p.same('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x');
    await p.same('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1');
    await p.same('MEMORY', 'USAGE', 'k', 'FOO', '1');
    await p.same('MEMORY', 'USAGE', 'missing', 'SAMPLES', 'x');
    for (const argv of [
      ['MEMORY', 'USAGE', 'k'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', '0'],
      ['MEMORY', 'USAGE', 'k', 'samples', '5', 'SAMPLES', '10'],
    ]) {
      const { ours, ref } = await p.both(...argv);
      expect(shape(ours.raw)).toBe(shape(ref.raw));
    }
    for (const sub of ['DOCTOR', 'MALLOC-STATS']) {
      const { ours, ref } = await p.both('MEMORY', sub);
      expect(ours.raw[0], `MEMORY ${sub} is a bulk string`).toBe(ref.raw[0]);
    }
  });

  it('MEMORY STATS has redis-server 7.0 field names in its order, db entries for dbs with keys', async () => {
    await p.samePipeline([['SET', 'a', '1'], ['SELECT', '3'], ['SET', 'b', '2', 'EX', '100'], ['SELECT', '0']]);
    const { ours, ref } = await p.both('MEMORY', 'STATS');
    // Names, and for a db.N entry its own names; values by type only.
    const names = (v: Decoded): unknown[] =>
      (v as Decoded[]).map((x, i) => (i % 2 === 0 ? x : Array.isArray(x) ? x.filter((_, j) => j % 2 === 0) : typeof x));
    expect(names(ours.value)).toEqual(names(ref.value));
    await p.inResp3(async () => {
      const r3 = await p.both('MEMORY', 'STATS');
      expect(shape(r3.ours.raw).replace(/,D/g, 'D')).toBe(shape(r3.ref.raw).replace(/,D/g, 'D'));
    });
  });

  it('the maxmemory parameters: values, ranges and errors', async () => {
    for (const name of ['maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time', 'replica-ignore-maxmemory', 'slave-ignore-maxmemory', 'maxmemory-samples']) {
      await p.same('CONFIG', 'GET', name);
    }
    await p.same('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '101');
    await p.same('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '100');
    await p.same('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '10');
    await p.same('CONFIG', 'SET', 'lfu-log-factor', '-1');
    await p.same('CONFIG', 'SET', 'lfu-decay-time', 'x');
    await p.same('CONFIG', 'SET', 'replica-ignore-maxmemory', 'maybe');
    await p.same('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0', 'lfu-decay-time', '0');
    await p.same('CONFIG', 'GET', 'lfu-log-factor');
    await p.same('CONFIG', 'GET', 'lfu-decay-time');
    await p.same('CONFIG', 'SET', 'lfu-log-factor', '10', 'lfu-decay-time', '1');
    await p.same('CONFIG', 'SET', 'maxmemory-policy', 'lru');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
