/**
 * The sorted set family against redis-server, reply for reply, byte for byte, in RESP2
 * and RESP3: every command, option and error (inf/-inf, NaN, exclusive and lex ranges,
 * LIMIT offsets), the encodings and their limits, the generic commands on sorted sets,
 * DEBUG DIGEST, DUMP/RESTORE both ways and the effects replayed on a fresh redis-server.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS, startRedis, type RunningServer } from '../harness/servers.js';
import { startDiffServers, type DiffPair, type DiffServers } from '../harness/diff.js';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { RawClient } from '../harness/raw.js';

const DEBUG = ['--enable-debug-command', 'yes'];

describe.skipIf(!hasRedisServer())('sorted set commands vs redis-server', () => {
  let servers: DiffServers;
  let p: DiffPair;
  beforeAll(async () => {
    servers = await startDiffServers(DEBUG, DEBUG);
    p = await servers.pair();
  });
  afterAll(() => servers?.stop());
  beforeEach(async () => {
    await p.same('FLUSHALL');
  });

  /** Runs the commands in RESP2 on a fresh dataset, then again in RESP3. */
  async function bothProtocols(commands: string[][]): Promise<void> {
    await p.samePipeline(commands);
    await p.same('FLUSHALL');
    await p.inResp3(() => p.samePipeline(commands));
  }

  const SEED = [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '3', 'cc', '-inf', 'ninf', 'inf', 'pinf', '1.5', 'x', '0.1', 'tenth', '-0', 'zero'],
  ];

  it('ZADD flags, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, errors', async () => {
    await bothProtocols([
      ...SEED,
      ['ZADD', 'z', 'NX', '10', 'a', '10', 'new'],
      ['ZADD', 'z', 'XX', '11', 'a', '11', 'nope'],
      ['ZADD', 'z', 'XX', 'CH', '12', 'a', '12', 'nope'],
      ['ZADD', 'z', 'GT', 'CH', '5', 'a', '20', 'b'],
      ['ZADD', 'z', 'LT', 'CH', '5', 'a', '20', 'c', '1', 'lt-new'],
      ['ZADD', 'z', 'GT', 'XX', 'CH', '100', 'a'],
      ['ZADD', 'z', 'CH', '100', 'a'],
      ['ZADD', 'z', 'INCR', '2.5', 'a'],
      ['ZADD', 'z', 'INCR', 'NX', '2.5', 'a'],
      ['ZADD', 'z', 'INCR', 'XX', '2.5', 'missing'],
      ['ZADD', 'z', 'INCR', 'GT', '-1', 'a'],
      ['ZADD', 'z', 'INCR', 'LT', '-1', 'a'],
      ['ZADD', 'z', 'NX', 'XX', '1', 'a'],
      ['ZADD', 'z', 'GT', 'LT', '1', 'a'],
      ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', '1'],
      ['ZADD', 'z', '1', 'a', '2'],
      ['ZADD', 'z', 'nan', 'a'],
      ['ZADD', 'z', 'x', 'a'],
      ['ZADD', 'z', ' 1', 'a'],
      ['ZADD', 'z', '1e400', 'a'],
      ['ZADD', 'z', '0x10', 'hex', '1e-2', 'exp', '+5', 'plus', '.5', 'dot', '5.', 'dot2', 'Infinity', 'infy', '-INF', 'ninfy'],
      ['ZADD', 'z', '1', 'a', 'bad', 'b'],
      ['ZADD', 'z', 'XX', '1', 'a'],
      ['ZADD', 'nokey', 'XX', '1', 'a'],
      ['EXISTS', 'nokey'],
      ['ZINCRBY', 'z', '1.1', 'a'],
      ['ZINCRBY', 'z', '1', 'newmember'],
      ['ZINCRBY', 'z', 'x', 'a'],
      ['ZINCRBY', 'z', '-inf', 'pinf'],
      ['ZINCRBY', 'z', 'inf', 'pinf'],
      ['ZINCRBY', 'z', 'nx', 'a'],
      ['ZSCORE', 'z', 'a'],
      ['ZSCORE', 'z', 'tenth'],
      ['ZSCORE', 'z', 'zero'],
      ['ZSCORE', 'z', 'ninf'],
      ['ZSCORE', 'z', 'missing'],
      ['ZSCORE', 'nokey', 'a'],
      ['ZMSCORE', 'z', 'a', 'missing', 'pinf', 'hex'],
      ['ZMSCORE', 'nokey', 'a', 'b'],
      ['ZCARD', 'z'],
      ['ZCARD', 'nokey'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['SET', 'str', 'v'],
      ['ZADD', 'str', '1', 'a'],
      ['ZSCORE', 'str', 'a'],
      ['ZMSCORE', 'str', 'a'],
      ['ZCARD', 'str'],
      ['ZINCRBY', 'str', '1', 'a'],
      ['ZADD', 'str', 'x', 'a'],
      ['TYPE', 'z'],
      ['OBJECT', 'ENCODING', 'z'],
      ['DEBUG', 'DIGEST-VALUE', 'z'],
    ]);
  });

  it('ZRANGE by rank, score and lex, REV, LIMIT, WITHSCORES, and the older forms', async () => {
    await bothProtocols([
      ...SEED,
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', '', '0', '\x00\xff'],
      ['ZRANGE', 'z', '0', '-1'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'z', '2', '4', 'WITHSCORES'],
      ['ZRANGE', 'z', '-3', '-1'],
      ['ZRANGE', 'z', '-100', '100'],
      ['ZRANGE', 'z', '5', '2'],
      ['ZRANGE', 'z', '100', '200'],
      ['ZRANGE', 'z', '0', '-1', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '2', 'REV'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'WITHSCORES'],
      ['ZRANGE', 'z', '(1', '3', 'BYSCORE'],
      ['ZRANGE', 'z', '1', '(3', 'BYSCORE'],
      ['ZRANGE', 'z', '(1', '(1', 'BYSCORE'],
      ['ZRANGE', 'z', '3', '1', 'BYSCORE'],
      ['ZRANGE', 'z', '3', '1', 'BYSCORE', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '1', '3'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '2', '2'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '2', '-1'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '-1', '2'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '0', '0'],
      ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '100', '2'],
      ['ZRANGE', 'z', '', '(', 'BYSCORE'],
      ['ZRANGE', 'z', ' 1', '2', 'BYSCORE'],
      ['ZRANGE', 'z', 'nan', '2', 'BYSCORE'],
      ['ZRANGE', 'z', '1', 'x', 'BYSCORE'],
      ['ZRANGE', 'z', '1e400', '(1e400', 'BYSCORE'],
      ['ZRANGE', 'l', '-', '+', 'BYLEX'],
      ['ZRANGE', 'l', '[b', '(e', 'BYLEX'],
      ['ZRANGE', 'l', '(b', '[e', 'BYLEX', 'LIMIT', '1', '2'],
      ['ZRANGE', 'l', '+', '-', 'BYLEX', 'REV'],
      ['ZRANGE', 'l', '[e', '[b', 'BYLEX', 'REV', 'LIMIT', '0', '2'],
      ['ZRANGE', 'l', '[', '(a', 'BYLEX'],
      ['ZRANGE', 'l', '(e', '[b', 'BYLEX'],
      ['ZRANGE', 'l', '+', '-', 'BYLEX'],
      ['ZRANGE', 'l', 'a', '+', 'BYLEX'],
      ['ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'],
      ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'z', '0', '1', 'LIMIT', '0'],
      ['ZRANGE', 'z', '0', '1', 'LIMIT', 'x', '1', 'BYSCORE'],
      ['ZRANGE', 'z', 'a', '1'],
      ['ZRANGE', 'z', '0', '1', 'FOO'],
      ['ZRANGE', 'nokey', '0', '-1'],
      ['ZRANGE', 'nokey', '0', '-1', 'WITHSCORES'],
      ['ZREVRANGE', 'z', '0', '3', 'WITHSCORES'],
      ['ZREVRANGE', 'z', '0', '3', 'REV'],
      ['ZRANGEBYSCORE', 'z', '1', '3', 'WITHSCORES', 'LIMIT', '1', '2'],
      ['ZRANGEBYSCORE', 'z', '1', '3', 'BYLEX'],
      ['ZREVRANGEBYSCORE', 'z', '3', '1', 'WITHSCORES'],
      ['ZREVRANGEBYSCORE', 'z', '(3', '(1'],
      ['ZRANGEBYLEX', 'l', '-', '[c'],
      ['ZRANGEBYLEX', 'l', '-', '[c', 'LIMIT', '1', '1'],
      ['ZREVRANGEBYLEX', 'l', '[c', '-'],
      ['ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES'],
      ['ZRANGE', 'str', '0', '-1'],
      ['SET', 'str', 'v'],
      ['ZRANGE', 'str', '0', '-1'],
      ['ZRANGE', 'str', 'x', '-1'],
      ['ZRANGEBYSCORE', 'str', '0', '1'],
      ['ZRANGEBYLEX', 'str', '-', '+'],
    ]);
  });

  it('long ranges (streamed past 16,384 members) by rank, score and lex, REV, LIMIT, WITHSCORES; ZRANGESTORE and ZREMRANGEBY* of them', async () => {
    const N = 20_000;
    const fill = (key: string, score: (i: number) => string): string[][] =>
      Array.from({ length: N / 500 }, (_, b) => ['ZADD', key, ...Array.from({ length: 500 }, (_, j) => [score(b * 500 + j), `m:${String(b * 500 + j).padStart(6, '0')}`]).flat()]);
    await bothProtocols([
      // Scores with halves and ties; one set of equal scores for lex ranges.
      ...fill('big', (i) => String(Math.floor(i / 2) * 0.5)),
      ...fill('lex', () => '0'),
      ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'big', '10', '-11', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'big', '-inf', '+inf', 'BYSCORE', 'WITHSCORES'],
      ['ZRANGE', 'big', '(100', '4900.5', 'BYSCORE'],
      ['ZRANGE', 'big', '+inf', '(10', 'BYSCORE', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'big', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1000', '18000', 'WITHSCORES'],
      ['ZRANGE', 'big', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '3', '-1'],
      ['ZRANGEBYSCORE', 'big', '1', '+inf', 'WITHSCORES'],
      ['ZREVRANGEBYSCORE', 'big', '+inf', '1', 'WITHSCORES', 'LIMIT', '2', '17000'],
      ['ZRANGE', 'lex', '-', '+', 'BYLEX'],
      ['ZRANGE', 'lex', '(m:000100', '[m:019000', 'BYLEX', 'LIMIT', '5', '17000'],
      ['ZRANGE', 'lex', '+', '(m:000001', 'BYLEX', 'REV'],
      ['ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '1', '-1'],
      ['ZRANGESTORE', 'dst', 'big', '(1', '+inf', 'BYSCORE', 'LIMIT', '0', '19000'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'big', '(2', '9000'],
      ['ZREMRANGEBYLEX', 'lex', '[m:000500', '(m:019500'],
      ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'lex', '0', '-1'],
    ]);
  });

  it('ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT', async () => {
    await bothProtocols([
      ...SEED,
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd'],
      ['ZRANK', 'z', 'a'],
      ['ZRANK', 'z', 'ninf'],
      ['ZRANK', 'z', 'pinf'],
      ['ZREVRANK', 'z', 'pinf'],
      ['ZREVRANK', 'z', 'cc'],
      ['ZRANK', 'z', 'missing'],
      ['ZRANK', 'nokey', 'a'],
      ['ZCOUNT', 'z', '-inf', '+inf'],
      ['ZCOUNT', 'z', '(1', '3'],
      ['ZCOUNT', 'z', '(3', '3'],
      ['ZCOUNT', 'z', '5', '1'],
      ['ZCOUNT', 'z', 'x', '1'],
      ['ZCOUNT', 'nokey', '0', '1'],
      ['ZLEXCOUNT', 'l', '-', '+'],
      ['ZLEXCOUNT', 'l', '(a', '[c'],
      ['ZLEXCOUNT', 'l', '[c', '(a'],
      ['ZLEXCOUNT', 'l', 'a', '+'],
      ['ZLEXCOUNT', 'nokey', '-', '+'],
      ['SET', 'str', 'v'],
      ['ZRANK', 'str', 'a'],
      ['ZCOUNT', 'str', '0', '1'],
      ['ZLEXCOUNT', 'str', '-', '+'],
    ]);
  });

  it('ZREM, ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN/ZPOPMAX, ZMPOP, and the keys they empty', async () => {
    await bothProtocols([
      ...SEED,
      ['ZREM', 'z', 'a', 'a', 'missing', 'b'],
      ['ZREM', 'nokey', 'a'],
      ['ZREMRANGEBYRANK', 'z', '0', '0'],
      ['ZREMRANGEBYRANK', 'z', '5', '1'],
      ['ZREMRANGEBYRANK', 'z', 'x', '1'],
      ['ZREMRANGEBYSCORE', 'z', '(0', '1.5'],
      ['ZREMRANGEBYSCORE', 'z', 'x', '1.5'],
      ['ZREMRANGEBYSCORE', 'nokey', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd'],
      ['ZREMRANGEBYLEX', 'l', '(a', '[c'],
      ['ZREMRANGEBYLEX', 'l', 'a', '[c'],
      ['ZRANGE', 'l', '0', '-1'],
      ['ZREMRANGEBYLEX', 'l', '-', '+'],
      ['EXISTS', 'l'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZPOPMIN', 'z', '2'],
      ['ZPOPMAX', 'z', '1'],
      ['ZPOPMIN', 'z', '0'],
      ['ZPOPMIN', 'z', '-1'],
      ['ZPOPMIN', 'z', 'x'],
      ['ZPOPMIN', 'z', '1', '2'],
      ['ZPOPMIN', 'nokey'],
      ['ZPOPMIN', 'nokey', '3'],
      ['ZADD', 'm', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '2', 'nokey', 'm', 'MIN'],
      ['ZMPOP', '2', 'nokey', 'm', 'MAX', 'COUNT', '10'],
      ['ZMPOP', '1', 'm', 'MIN'],
      ['ZMPOP', '0', 'm', 'MIN'],
      ['ZMPOP', 'x', 'm', 'MIN'],
      ['ZMPOP', '1', 'm', 'LEFT'],
      ['ZMPOP', '3', 'm', 'MIN'],
      ['ZMPOP', '1', 'm', 'MIN', 'COUNT', '0'],
      ['ZMPOP', '1', 'm', 'MIN', 'COUNT', '1', 'COUNT', '1'],
      ['ZPOPMAX', 'z', '100'],
      ['EXISTS', 'z'],
      ['SET', 'str', 'v'],
      ['ZREM', 'str', 'a'],
      ['ZPOPMIN', 'str'],
      ['ZMPOP', '2', 'nokey', 'str', 'MIN'],
      ['ZREMRANGEBYRANK', 'str', '0', '1'],
    ]);
  });

  it('ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD, ZRANGESTORE; sets as inputs', async () => {
    await bothProtocols([
      ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z', 'inf', 'i'],
      ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w', '-inf', 'i'],
      ['SADD', 's', 'x', 'w', 'q'],
      ['ZUNION', '2', 'a', 'b', 'WITHSCORES'],
      ['ZUNION', '3', 'a', 'b', 's', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '0', '1', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'AGGREGATE', 'max', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'AGGREGATE', 'avg'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', 'x'],
      ['ZUNION', '0', 'a'],
      ['ZUNION', '-1', 'a'],
      ['ZUNION', 'x', 'a'],
      ['ZUNION', '3', 'a', 'b'],
      ['ZUNION', '2', 'a', 'nokey'],
      ['ZINTER', '2', 'a', 'b', 'WITHSCORES'],
      ['ZINTER', '2', 'a', 's', 'WITHSCORES'],
      ['ZINTER', '2', 'a', 'nokey'],
      ['ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MAX', 'WEIGHTS', '1', '2', 'WITHSCORES'],
      ['ZDIFF', '2', 'a', 'b', 'WITHSCORES'],
      ['ZDIFF', '2', 'a', 's'],
      ['ZDIFF', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['ZDIFF', '1', 'nokey'],
      ['ZUNIONSTORE', 'd', '2', 'a', 'b'],
      ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WITHSCORES'],
      ['ZINTERSTORE', 'd2', '2', 'a', 'b', 'WEIGHTS', '2', '3'],
      ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'd3', '2', 'a', 'b'],
      ['ZRANGE', 'd3', '0', '-1', 'WITHSCORES'],
      ['ZINTERSTORE', 'd3', '2', 'a', 'nokey'],
      ['EXISTS', 'd3'],
      ['ZUNIONSTORE', 'd', '0', 'a'],
      ['ZINTERCARD', '2', 'a', 'b'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'],
      ['ZINTERCARD', '0', 'a'],
      ['ZINTERCARD', 'x', 'a'],
      ['ZINTERCARD', '3', 'a', 'b'],
      ['ZINTERCARD', '2', 'a', 'b', 'WITHSCORES'],
      ['ZRANGESTORE', 'r', 'a', '0', '1'],
      ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'r', 'a', '(1', '+inf', 'BYSCORE', 'LIMIT', '0', '1'],
      ['ZRANGESTORE', 'r', 'a', '5', '10'],
      ['EXISTS', 'r'],
      ['ZRANGESTORE', 'r', 'a', '0', '1', 'WITHSCORES'],
      ['ZRANGESTORE', 'r', 'nokey', '0', '1'],
      ['SET', 'str', 'v'],
      ['ZUNION', '2', 'a', 'str'],
      ['ZUNION', '2', 'str', 'a', 'WEIGHTS', 'x'],
      ['ZINTERSTORE', 'str', '1', 'a'],
      ['TYPE', 'str'],
      ['ZRANGESTORE', 'r', 'str', '0', '1'],
    ]);
  });

  it('encodings by zset-max-listpack-entries/value and their ziplist aliases; conversion is for good', async () => {
    const many = Array.from({ length: 129 }, (_, i) => [String(i), `m${i}`]).flat();
    await p.samePipeline([
      ['ZADD', 'small', '1', 'a'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'big', ...many],
      ['OBJECT', 'ENCODING', 'big'],
      ['ZREMRANGEBYRANK', 'big', '0', '100'],
      ['OBJECT', 'ENCODING', 'big'],
      ['ZADD', 'long', '1', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'grow', '1', 'a'],
      ['ZADD', 'grow', '1', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'grow'],
      ['ZUNIONSTORE', 'u', '1', 'big'],
      ['OBJECT', 'ENCODING', 'u'],
      ['ZRANGESTORE', 'rs', 'grow', '0', '0'],
      ['OBJECT', 'ENCODING', 'rs'],
      ['CONFIG', 'SET', 'zset-max-ziplist-entries', '2'],
      ['CONFIG', 'GET', 'zset-max-listpack-entries'],
      ['ZADD', 'three', '1', 'a', '2', 'b', '3', 'c'],
      ['OBJECT', 'ENCODING', 'three'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ['ZADD', 'zero', '1', 'a'],
      ['OBJECT', 'ENCODING', 'zero'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '3'],
      ['ZADD', 'v', '1', 'abcd'],
      ['OBJECT', 'ENCODING', 'v'],
      ['CONFIG', 'SET', 'zset-max-ziplist-value', '64'],
      ['DEBUG', 'DIGEST-VALUE', 'big', 'small', 'grow', 'three'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('generic commands: TYPE, SCAN TYPE, COPY, RENAME, MOVE, DUMP/RESTORE both ways, DEBUG RELOAD', async () => {
    const many = Array.from({ length: 200 }, (_, i) => [String(i / 7), `m${i}`]).flat();
    await p.samePipeline([
      ['ZADD', 'z', '1', 'a', '2.5', 'b', '-inf', 'c', '100000', 'd'],
      ['ZADD', 'big', ...many],
      ['TYPE', 'z'],
      ['HSET', 'zh', 'f', 'v'],
      ['SCAN', '0', 'MATCH', 'z*', 'TYPE', 'zset', 'COUNT', '100'],
      ['COPY', 'z', 'z2'],
      ['ZRANGE', 'z2', '0', '-1', 'WITHSCORES'],
      ['RENAME', 'z2', 'z3'],
      ['MOVE', 'z3', '1'],
      ['SELECT', '1'],
      ['ZRANGE', 'z3', '0', '-1', 'WITHSCORES'],
      ['SELECT', '0'],
      ['DEBUG', 'RELOAD'],
      ['OBJECT', 'ENCODING', 'z'],
      ['OBJECT', 'ENCODING', 'big'],
      ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'],
      ['DEBUG', 'DIGEST'],
    ]);
    for (const key of ['z', 'big']) {
      const ours = await p.ours.call('DUMP', key);
      const ref = await p.ref.call('DUMP', key);
      expect(ours.value, `DUMP ${key}`).toEqual(ref.value);
      await p.same('RESTORE', `${key}-r`, '0', ref.value as string);
      await p.same('ZRANGE', `${key}-r`, '0', '-1', 'WITHSCORES');
      await p.same('OBJECT', 'ENCODING', `${key}-r`);
      expect((await p.ref.call('RESTORE', `${key}-ours`, '0', ours.value as string)).value).toEqual({ simple: 'OK' });
      expect((await p.ref.call('DEBUG', 'DIGEST-VALUE', `${key}-ours`)).value).toEqual((await p.ours.call('DEBUG', 'DIGEST-VALUE', key)).value);
    }
  });

  it('ZSCAN of a listpack set whole; ZRANDMEMBER shapes and errors', async () => {
    await bothProtocols([
      ...SEED,
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'MATCH', '*n*'],
      ['ZSCAN', 'nokey', '0'],
      ['ZSCAN', 'z', 'x'],
      ['ZRANDMEMBER', 'nokey'],
      ['ZRANDMEMBER', 'nokey', '3'],
      ['ZRANDMEMBER', 'z', '0'],
      ['ZRANDMEMBER', 'z', '100', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '100'],
      ['ZRANDMEMBER', 'z', 'x'],
      ['ZRANDMEMBER', 'z', '1', 'FOO'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'],
      ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES'],
    ]);
    // Random picks: compare the shape only.
    for (const argv of [['ZRANDMEMBER', 'z', '-5', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '3'], ['ZRANDMEMBER', 'z', '1']]) {
      const { ours, ref } = await p.both(...argv);
      expect(ours.raw.subarray(0, 3).toString(), argv.join(' ')).toBe(ref.raw.subarray(0, 3).toString());
    }
  });

  it('BZPOPMIN, BZPOPMAX, BZMPOP served at once, on a later ZADD and on timeout', async () => {
    await bothProtocols([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['BZPOPMIN', 'nokey', 'z', '0'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5'],
      ['BZPOPMIN', 'z', '0.01'],
      ['BZMPOP', '0.01', '1', 'z', 'MAX'],
      ['BZPOPMIN', 'z', 'x'],
      ['BZPOPMIN', 'z', '-1'],
      ['MULTI'],
      ['BZPOPMIN', 'z', '0'],
      ['EXEC'],
    ]);
    const waiters = await Promise.all([RawClient.connect(servers.ours.port), RawClient.connect(servers.ref.port)]);
    const replies = waiters.map((w) => w.call('BZPOPMAX', 'w', '5'));
    await new Promise((r) => setTimeout(r, 100));
    await p.same('ZADD', 'w', '1', 'a', '2', 'b');
    const [ours, ref] = await Promise.all(replies);
    expect(ours.raw.toString()).toBe(ref.raw.toString());
    await p.same('ZRANGE', 'w', '0', '-1', 'WITHSCORES');
    waiters.forEach((w) => w.close());
  });

  it('keyspace events', async () => {
    const events = async (port: number, commands: string[][]): Promise<string[]> => {
      const sub = await RawClient.connect(port);
      const pub = await RawClient.connect(port);
      await pub.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      await sub.call('PSUBSCRIBE', '__keyevent@0__:*');
      for (const argv of commands) await pub.call(...argv);
      await pub.call('PUBLISH', '__keyevent@0__:end', 'end');
      const seen: string[] = [];
      for (;;) {
        const m = (await sub.read()).value as string[];
        if (m[2] === '__keyevent@0__:end') break;
        seen.push(`${m[2].slice(15)} ${m[3]}`);
      }
      sub.close();
      pub.close();
      return seen;
    };
    const commands = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
      ['ZADD', 'z', 'NX', '1', 'a'],
      ['ZINCRBY', 'z', '1', 'a'],
      ['ZREM', 'z', 'a'],
      ['ZREMRANGEBYSCORE', 'z', '2', '2'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZADD', 'y', '1', 'a', '2', 'b'],
      ['ZREMRANGEBYRANK', 'y', '0', '0'],
      ['ZREMRANGEBYLEX', 'y', '-', '+'],
      ['ZADD', 'x', '1', 'a'],
      ['ZUNIONSTORE', 'u', '1', 'x'],
      ['ZINTERSTORE', 'u', '1', 'x'],
      ['ZDIFFSTORE', 'u', '1', 'nokey'],
      ['ZRANGESTORE', 'u', 'x', '0', '-1'],
      ['ZMPOP', '1', 'x', 'MAX'],
    ];
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    expect(await events(servers.ours.port, commands)).toEqual(await events(servers.ref.port, commands));
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', '');
  });
});

describe.skipIf(!hasRedisServer())('sorted set effects replayed on a fresh redis-server', () => {
  let servers: DiffServers;
  let p: DiffPair;
  let replica: RunningServer;
  beforeAll(async () => {
    servers = await startDiffServers(DEBUG, DEBUG);
    p = await servers.pair();
    replica = await startRedis(DEBUG);
  });
  afterAll(async () => {
    await servers?.stop();
    await replica?.stop();
  });

  it('ZMPOP as ZPOPMIN/ZPOPMAX, BZPOPMIN as ZPOPMIN: the replayed dataset digests the same', async () => {
    const seen: TextEffect[] = [];
    servers.ours.broker.engine.onEffects((unit) => seen.push(...effectsAsText(unit)));
    await p.samePipeline([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZINCRBY', 'z', '2.5', 'a'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '2'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '1'],
      ['ZUNIONSTORE', 'u', '1', 'z'],
    ]);
    const names = seen.map((e) => e.argv[0].toUpperCase());
    expect(names).toEqual(['ZADD', 'ZINCRBY', 'ZPOPMIN', 'ZPOPMAX', 'ZPOPMAX', 'ZUNIONSTORE']);
    const r = await RawClient.connect(replica.port);
    for (const e of seen) await r.call(...e.argv);
    expect(seen.every((e) => e.db === 0)).toBe(true);
    const digest = await r.call('DEBUG', 'DIGEST');
    expect((await p.ours.call('DEBUG', 'DIGEST')).value).toEqual(digest.value);
    r.close();
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
