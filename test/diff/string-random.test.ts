/**
 * Random sequences of string commands (fast-check, seeded) run on our broker and
 * on redis-server, every raw reply compared. Small key and value alphabets make
 * commands collide on the same keys; integers cluster around the int64 and 2^53
 * boundaries; expiry times are either invalid, far away or already past, so that
 * no reply depends on how fast the test runs.
 */
import fc from 'fast-check';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c').map((k) => KEY + k);

const I64_MAX = 2n ** 63n - 1n;
const integer = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.bigInt({ min: I64_MAX - 3n, max: I64_MAX + 2n }),
  fc.bigInt({ min: -I64_MAX - 3n, max: -I64_MAX + 2n }),
  fc.bigInt({ min: 2n ** 53n - 3n, max: 2n ** 53n + 3n }),
  fc.bigInt({ min: -(2n ** 53n) - 3n, max: -(2n ** 53n) + 3n }),
).map(String);

const float = fc.oneof(
  integer,
  fc.double().map(String),
  fc.constantFrom('0.1', '-0.1', '1.5e2', '1e308', '-1e308', '1e-320', 'inf', '-inf', 'nan', '0x1p3', '-0', '3.0', '.5', '5.', '1e', ' 1'),
  fc.tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: 0, max: 99999 })).map(([i, f]) => `${i}.${f}`),
);

const value = fc.oneof(
  fc.constantFrom('', 'a', 'ab', 'abc', 'bab', '0', '1', '-1', '01', '+1', ' 1', '1.5', 'inf', '\x00\xff', 'xyzzy'),
  integer,
  fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\x00'), maxLength: 8 }),
);

const index = fc.oneof(fc.integer({ min: -12, max: 12 }).map(String), fc.constantFrom('9223372036854775807', '-9223372036854775808', 'x'));

/** Expiry values: invalid, far in the future, or already past, never near "now". */
const relative = fc.constantFrom('100', '100000', '0', '-1', 'abc', '9223372036854775807', '9223372036854775');
const absolute = fc.constantFrom('1', '4000000000', '4000000000000', '0', '9223372036854775807', 'x');
const expiry = fc.oneof(
  fc.tuple(fc.constantFrom('EX', 'px'), relative),
  fc.tuple(fc.constantFrom('EXAT', 'pxat'), absolute),
);

const setOption = fc.oneof(
  fc.constantFrom(['NX'], ['XX'], ['GET'], ['KEEPTTL'], ['get'], ['BAD']),
  expiry.map(([o, v]) => [o, v]),
);
const getexOption = fc.oneof(fc.constantFrom(['PERSIST'], ['NX'], ['EX']), expiry.map(([o, v]) => [o, v]));
const lcsOption = fc.oneof(
  fc.constantFrom(['IDX'], ['LEN'], ['WITHMATCHLEN'], ['MINMATCHLEN']),
  fc.integer({ min: -1, max: 4 }).map((n) => ['MINMATCHLEN', String(n)]),
);

const flat = (head: string[], options: readonly (readonly string[])[]): string[] => [...head, ...options.flat()];

const command: fc.Arbitrary<string[]> = fc.oneof(
  key.map((k) => ['GET', k]),
  fc.tuple(key, value, fc.array(setOption, { maxLength: 3 })).map(([k, v, o]) => flat(['SET', k, v], o)),
  fc.tuple(key, value).map(([k, v]) => ['SETNX', k, v]),
  fc.tuple(key, relative, value).map(([k, t, v]) => ['SETEX', k, t, v]),
  fc.tuple(key, relative, value).map(([k, t, v]) => ['PSETEX', k, t, v]),
  fc.tuple(key, fc.array(getexOption, { maxLength: 2 })).map(([k, o]) => flat(['GETEX', k], o)),
  key.map((k) => ['GETDEL', k]),
  fc.tuple(key, value).map(([k, v]) => ['GETSET', k, v]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['MGET', ...ks]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSET', ...kv.flat()]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSETNX', ...kv.flat()]),
  key.map((k) => ['INCR', k]),
  key.map((k) => ['DECR', k]),
  fc.tuple(key, integer).map(([k, n]) => ['INCRBY', k, n]),
  fc.tuple(key, integer).map(([k, n]) => ['DECRBY', k, n]),
  fc.tuple(key, float).map(([k, f]) => ['INCRBYFLOAT', k, f]),
  fc.tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  key.map((k) => ['STRLEN', k]),
  fc.tuple(fc.constantFrom('GETRANGE', 'SUBSTR'), key, index, index).map(([c, k, s, e]) => [c, k, s, e]),
  fc.tuple(key, fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), fc.constantFrom('-1', '536870912', 'x')), value).map(
    ([k, o, v]) => ['SETRANGE', k, o, v],
  ),
  fc.tuple(key, key, fc.array(lcsOption, { maxLength: 3 })).map(([a, b, o]) => flat(['LCS', a, b], o)),
  key.map((k) => ['PERSIST', k]),
);

randomDiffSuite({ family: 'string command', command, seed: 0x57e1, minLength: 20, maxLength: 40, digest: false, resp3: false });
