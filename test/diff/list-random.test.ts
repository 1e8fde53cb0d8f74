/**
 * Random sequences of list commands (fast-check, seeded) run pipelined on our broker
 * and on redis-server, every raw reply compared. A small key alphabet (one key is
 * sometimes a string) and a small value alphabet make commands meet on the same keys
 * and elements; indexes and counts cluster around 0, the ends of the lists and the
 * int64 limits. Blocking commands are included: with data they answer at once, and
 * without they time out after 1 ms on both servers (nothing else writes meanwhile:
 * the pipeline behind them waits), so every reply is deterministic. Each sequence
 * ends with DEBUG DIGEST, comparing the whole dataset. Finally, everything our broker
 * propagated meanwhile, replayed on a fresh redis-server and on a fresh broker, must
 * rebuild that dataset.
 */
import fc from 'fast-check';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c', 's').map((k) => KEY + k);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });

const element = fc.constantFrom('x', 'y', 'z', '', '0', '1', '-1', '01', '\x00');
const elements = fc.array(element, { minLength: 1, maxLength: 6 });
const side = fc.constantFrom('LEFT', 'right', 'Left', 'up');
const index = fc.oneof(
  fc.integer({ min: -8, max: 8 }).map(String),
  fc.constantFrom('9223372036854775807', '-9223372036854775808', '100', '-100', 'x', '1.0'),
);
const count = fc.oneof(fc.integer({ min: -1, max: 6 }).map(String), fc.constantFrom('9223372036854775807', 'x'));
const lposOption = fc.oneof(
  fc.tuple(fc.constantFrom('RANK', 'rank'), fc.constantFrom('1', '2', '-1', '-2', '0', '5', '-9223372036854775808', 'x')),
  fc.tuple(fc.constantFrom('COUNT', 'count'), fc.constantFrom('0', '1', '2', '-1')),
  fc.tuple(fc.constantFrom('MAXLEN', 'maxlen'), fc.constantFrom('0', '1', '3', '-1')),
  fc.constant(['BOGUS']),
);
/** Blocking timeouts: invalid ones, or 1 ms (answers at once when there is data, times out otherwise). */
const timeout = fc.constantFrom('0.001', '0.001', '0.001', '-1', 'x');
const mpopTail = fc.tuple(keys, side, fc.option(count, { nil: undefined })).map(([ks, s, n]) => [
  String(ks.length),
  ...ks,
  s,
  ...(n === undefined ? [] : ['COUNT', n]),
]);

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), key, elements).map(([c, k, e]) => [c, k, ...e]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('LPUSHX', 'RPUSHX'), key, elements).map(([c, k, e]) => [c, k, ...e]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.option(count, { nil: undefined })).map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])) },
  fc.tuple(key).map(([k]) => ['LLEN', k]),
  fc.tuple(key, index).map(([k, i]) => ['LINDEX', k, i]),
  { weight: 2, arbitrary: fc.tuple(key, index, index).map(([k, a, b]) => ['LRANGE', k, a, b]) },
  fc.tuple(key, fc.constantFrom('BEFORE', 'after', 'middle'), element, element).map(([k, w, p, e]) => ['LINSERT', k, w, p, e]),
  fc.tuple(key, index, element).map(([k, i, e]) => ['LSET', k, i, e]),
  fc.tuple(key, count, element).map(([k, n, e]) => ['LREM', k, n, e]),
  fc.tuple(key, index, index).map(([k, a, b]) => ['LTRIM', k, a, b]),
  fc.tuple(key, element, fc.array(lposOption, { maxLength: 3 })).map(([k, e, o]) => ['LPOS', k, e, ...o.flat()]),
  fc.tuple(key, key, side, side).map(([a, b, f, t]) => ['LMOVE', a, b, f, t]),
  fc.tuple(key, key).map(([a, b]) => ['RPOPLPUSH', a, b]),
  fc.tuple(fc.option(fc.constantFrom('0', '-1', 'x', '9'), { freq: 4 }), mpopTail).map(([badNumkeys, tail]) =>
    badNumkeys === null ? ['LMPOP', ...tail] : ['LMPOP', badNumkeys, ...tail.slice(1)],
  ),
  fc.tuple(fc.constantFrom('BLPOP', 'BRPOP'), keys, timeout).map(([c, ks, t]) => [c, ...ks, t]),
  fc.tuple(key, key, timeout).map(([a, b, t]) => ['BRPOPLPUSH', a, b, t]),
  fc.tuple(key, key, side, side, timeout).map(([a, b, f, t, to]) => ['BLMOVE', a, b, f, t, to]),
  fc.tuple(timeout, mpopTail).map(([t, tail]) => ['BLMPOP', t, ...tail]),
  fc.tuple(key).map(([k]) => ['SET', k, 'string']),
  fc.tuple(key).map(([k]) => ['DEL', k]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  fc.tuple(key).map(([k]) => ['TYPE', k]),
);

randomDiffSuite({
  family: 'list command',
  command,
  seed: 0x11575,
  // redis-server checks blocked clients' timeouts when its event loop wakes: at
  // least hz times a second, so a high hz keeps its 1 ms timeouts short.
  refArgs: ['--hz', '500'],
  replayOnBroker: true,
});
