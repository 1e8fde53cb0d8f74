/**
 * Random sequences of HyperLogLog commands (fast-check, seeded) run pipelined on our
 * broker and on redis-server, every reply compared byte for byte, each sequence
 * ending with DEBUG DIGEST (so the HyperLogLogs' bytes are compared too); the effects
 * replayed must rebuild the dataset (test/harness/random-diff.ts). hll-sparse-max-bytes
 * is lowered to 60 so values cross from sparse to dense within a sequence; string
 * commands mixed in (SET, APPEND, SETRANGE, SETBIT) make foreign and corrupt values.
 */
import fc from 'fast-check';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c', 'l').map((k) => KEY + k);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const element = fc.oneof(fc.integer({ min: 0, max: 200 }).map(String), fc.constantFrom('', '\x00', 'x'.repeat(30)));
const elements = fc.oneof(
  fc.array(element, { maxLength: 5 }),
  fc.integer({ min: 0, max: 1000 }).map((from) => Array.from({ length: 40 }, (_, i) => `e${from + i}`)),
);

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(key, elements).map(([k, es]) => ['PFADD', k, ...es]) },
  { weight: 4, arbitrary: keys.map((ks) => ['PFCOUNT', ...ks]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.array(key, { maxLength: 3 })).map(([d, ks]) => ['PFMERGE', d, ...ks]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ENCODING', 'DECODE', 'TODENSE', 'encoding', 'BOGUS'), key).map(([s, k]) => ['PFDEBUG', s, k]) },
  fc.tuple(key).map(([k]) => ['PFDEBUG', 'GETREG', k]),
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('GET', 'STRLEN', 'TYPE', 'DEL'), key).map(([c, k]) => [c, k]) },
  fc.tuple(key).map(([k]) => ['OBJECT', 'ENCODING', k]),
  fc.tuple(key, fc.constantFrom('x', 'HYLL', '12')).map(([k, v]) => ['SET', k, v]),
  fc.tuple(key, fc.constantFrom('\x80', '\x00', 'x')).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(key, fc.constantFrom('4', '16', '17', '15'), fc.constantFrom('\x01', '\x7f', '\x00', '\xff')).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  fc.tuple(key, fc.constantFrom('130', '131', '200'), fc.constantFrom('0', '1')).map(([k, o, b]) => ['SETBIT', k, o, b]),
  fc.tuple(key).map(([k]) => ['RPUSH', k, 'x']),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
);

randomDiffSuite({
  family: 'HyperLogLog command',
  command,
  seed: 0x411,
  runs: 150,
  setup: [['CONFIG', 'SET', 'hll-sparse-max-bytes', '60']],
  replayOnBroker: true,
  // A PFADD that changed registers before meeting a corrupt value propagates, and fails again the same way.
  replayError: 'INVALIDOBJ',
});
