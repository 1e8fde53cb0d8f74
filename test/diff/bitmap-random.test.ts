/**
 * Random sequences of bitmap commands (fast-check, seeded) run pipelined on our broker
 * and on redis-server, every reply compared byte for byte, each sequence ending with
 * DEBUG DIGEST; the effects replayed must rebuild the dataset (test/harness/random-diff.ts).
 * A small key alphabet (one key sometimes a list) and offsets clustered in the first
 * bytes make SETBIT, BITFIELD and BITOP meet on the same bits; the string commands mixed
 * in (SET, APPEND, SETRANGE, INCR) cross between JS strings and byte values, and ranges
 * and field widths sit at their edges.
 */
import fc from 'fast-check';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c', 'l').map((k) => KEY + k);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const bitOffset = fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom('-1', 'x', '4294967296', '100'));
const index = fc.oneof(fc.integer({ min: -10, max: 10 }).map(String), fc.constantFrom('9223372036854775807', '-9223372036854775808', 'x'));
const unit = fc.constantFrom([], [], ['BIT'], ['byte'], ['BAD']);
const fieldType = fc.oneof(
  fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 })).map(([s, b]) => `${s}${b}`),
  fc.constantFrom('u64', 'i0', 'x8'),
);
const fieldOffset = fc.oneof(fc.integer({ min: 0, max: 30 }).map(String), fc.integer({ min: 0, max: 4 }).map((n) => `#${n}`), fc.constantFrom('-1'));
const fieldValue = fc.oneof(
  fc.integer({ min: -300, max: 300 }).map(String),
  fc.constantFrom('9223372036854775807', '-9223372036854775808', '4294967296', 'x'),
);
const fieldOp = fc.oneof(
  fc.tuple(fieldType, fieldOffset).map(([t, o]) => ['GET', t, o]),
  fc.tuple(fc.constantFrom('SET', 'INCRBY'), fieldType, fieldOffset, fieldValue).map(([c, t, o, v]) => [c, t, o, v]),
  fc.constantFrom('WRAP', 'SAT', 'FAIL', 'sat', 'BAD').map((o) => ['OVERFLOW', o]),
);
const value = fc.constantFrom('', 'a', '\xff\x00', '123', 'foobar', '\x00\x00\x00\x01');

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, bitOffset, fc.constantFrom('0', '1', '1', '2')).map(([k, o, b]) => ['SETBIT', k, o, b]) },
  { weight: 2, arbitrary: fc.tuple(key, bitOffset).map(([k, o]) => ['GETBIT', k, o]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.option(fc.tuple(index, index, unit), { nil: undefined })).map(([k, r]) => ['BITCOUNT', k, ...(r === undefined ? [] : [r[0], r[1], ...r[2]])]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, fc.constantFrom('0', '1', '2'), fc.array(index, { maxLength: 2 }), unit)
      .map(([k, b, r, u]) => ['BITPOS', k, b, ...r, ...(r.length === 2 ? u : [])]),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('AND', 'OR', 'XOR', 'NOT', 'not', 'NAND'), key, keys).map(([op, d, ks]) => ['BITOP', op, d, ...ks]) },
  { weight: 4, arbitrary: fc.tuple(key, fc.array(fieldOp, { maxLength: 4 })).map(([k, ops]) => ['BITFIELD', k, ...ops.flat()]) },
  fc.tuple(key, fc.array(fieldOp, { maxLength: 3 })).map(([k, ops]) => ['BITFIELD_RO', k, ...ops.flat()]),
  fc.tuple(key, value).map(([k, v]) => ['SET', k, v]),
  fc.tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(key, fc.constantFrom('0', '2', '7'), value).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  fc.tuple(fc.constantFrom('GET', 'STRLEN', 'INCR', 'TYPE', 'DEL'), key).map(([c, k]) => [c, k]),
  fc.tuple(key).map(([k]) => ['OBJECT', 'ENCODING', k]),
  fc.tuple(key).map(([k]) => ['RPUSH', k, 'x']),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
);

randomDiffSuite({ family: 'bitmap command', command, seed: 0xb175, replayOnBroker: true });
