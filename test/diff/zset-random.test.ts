/**
 * Random sequences of sorted set commands (fast-check, seeded) run pipelined on our
 * broker and on redis-server, every reply compared byte for byte (a sorted set's order
 * is its scores', the same on both). zset-max-listpack-entries is lowered to 4 so the
 * sets cross into skiplists and back (stores build anew). A small key alphabet (one key
 * sometimes a string or a plain set) and small member and score alphabets (inf, -inf,
 * -0, NaN-producing increments, invalid floats) make commands meet. Commands whose reply
 * is random (ZRANDMEMBER) and ZSCAN (a skiplist's order is redis-server's dict's) are
 * left to the hand-written suite. Each sequence starts with FLUSHALL and ends with DEBUG DIGEST; finally
 * everything our broker propagated, replayed on a fresh redis-server, must rebuild the
 * same dataset.
 */
import fc from 'fast-check';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c', 's').map((k) => KEY + k);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '', '1', '\x00', 'x'.repeat(70));
const score = fc.constantFrom('1', '2', '-1', '0', '-0', '1.5', 'inf', '-inf', '+inf', '1e-5', '3', 'x', '0x10');
const bound = fc.constantFrom('1', '(1', '2', '(2', '-inf', '+inf', '(inf', '0', '-0', 'x', '1.5', '(-1');
const lexBound = fc.constantFrom('-', '+', '[a', '(a', '[c', '(c', '[', '(', 'a', '[\x00');
const index = fc.constantFrom('0', '1', '-1', '2', '-2', '10', '-10', 'x');
const limit = fc.option(fc.tuple(fc.constantFrom('0', '1', '2', '-1', '5'), fc.constantFrom('0', '1', '3', '-1')), { nil: undefined });
const limitArgs = (l: [string, string] | undefined): string[] => (l === undefined ? [] : ['LIMIT', ...l]);
const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 });
const flags = fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR']);

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(key, flags, pairs).map(([k, f, ps]) => ['ZADD', k, ...f, ...ps.flat()]) },
  { weight: 2, arbitrary: fc.tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZREM', k, ...ms]) },
  fc.tuple(fc.constantFrom('ZSCORE', 'ZRANK', 'ZREVRANK'), key, member).map(([c, k, m]) => [c, k, m]),
  fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZMSCORE', k, ...ms]),
  fc.tuple(fc.constantFrom('ZCARD', 'TYPE', 'OBJECT'), key).map(([c, k]) => (c === 'OBJECT' ? ['OBJECT', 'ENCODING', k] : [c, k])),
  fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
  fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ['ZLEXCOUNT', k, a, b]),
  { weight: 3, arbitrary: fc.tuple(key, index, index, fc.boolean(), fc.boolean()).map(([k, a, b, rev, ws]) => ['ZRANGE', k, a, b, ...(rev ? ['REV'] : []), ...(ws ? ['WITHSCORES'] : [])]) },
  { weight: 3, arbitrary: fc.tuple(key, bound, bound, fc.boolean(), fc.boolean(), limit).map(([k, a, b, rev, ws, l]) => ['ZRANGE', k, a, b, 'BYSCORE', ...(rev ? ['REV'] : []), ...(ws ? ['WITHSCORES'] : []), ...limitArgs(l)]) },
  { weight: 2, arbitrary: fc.tuple(key, lexBound, lexBound, fc.boolean(), limit).map(([k, a, b, rev, l]) => ['ZRANGE', k, a, b, 'BYLEX', ...(rev ? ['REV'] : []), ...limitArgs(l)]) },
  fc.tuple(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, bound, bound, limit).map(([c, k, a, b, l]) => [c, k, a, b, 'WITHSCORES', ...limitArgs(l)]),
  fc.tuple(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), key, lexBound, lexBound, limit).map(([c, k, a, b, l]) => [c, k, a, b, ...limitArgs(l)]),
  fc.tuple(key, index, index).map(([k, a, b]) => ['ZREVRANGE', k, a, b, 'WITHSCORES']),
  fc.tuple(key, key, bound, bound).map(([d, k, a, b]) => ['ZRANGESTORE', d, k, a, b, 'BYSCORE']),
  fc.tuple(key, index, index).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
  fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
  fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ['ZREMRANGEBYLEX', k, a, b]),
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.option(fc.constantFrom('0', '1', '3', '-1'), { nil: undefined })).map(([c, k, n]) => [c, k, ...(n === undefined ? [] : [n])]) },
  fc.tuple(keys, fc.constantFrom('MIN', 'MAX'), fc.option(fc.constantFrom('1', '2', '0'), { nil: undefined })).map(([ks, w, n]) => ['ZMPOP', String(ks.length), ...ks, w, ...(n === undefined ? [] : ['COUNT', n])]),
  fc.tuple(keys, fc.constantFrom('MIN', 'MAX')).map(([ks, w]) => ['BZMPOP', '0.01', String(ks.length), ...ks, w]),
  fc.tuple(fc.constantFrom('BZPOPMIN', 'BZPOPMAX'), keys).map(([c, ks]) => [c, ...ks, '0.01']),
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('ZUNION', 'ZINTER', 'ZDIFF'), keys, fc.boolean(), fc.option(fc.constantFrom('SUM', 'MIN', 'MAX'), { nil: undefined }), fc.boolean())
      .map(([c, ks, weights, agg, ws]) => [
        c,
        String(ks.length),
        ...ks,
        ...(weights && c !== 'ZDIFF' ? ['WEIGHTS', ...ks.map((_, i) => String(i + 0.5))] : []),
        ...(agg !== undefined && c !== 'ZDIFF' ? ['AGGREGATE', agg] : []),
        ...(ws ? ['WITHSCORES'] : []),
      ]),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, String(ks.length), ...ks]) },
  fc.tuple(keys, fc.option(fc.constantFrom('0', '1', '-1'), { nil: undefined })).map(([ks, l]) => ['ZINTERCARD', String(ks.length), ...ks, ...(l === undefined ? [] : ['LIMIT', l])]),
  fc.tuple(key).map(([k]) => ['SET', k, 'string']),
  fc.tuple(key).map(([k]) => ['SADD', k, 'a', 'b']),
  fc.tuple(key).map(([k]) => ['DEL', k]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
);

randomDiffSuite({
  family: 'sorted set command',
  command,
  seed: 0x25e7,
  setup: [['CONFIG', 'SET', 'zset-max-listpack-entries', '4']],
  flush: true,
});
