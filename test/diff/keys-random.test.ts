/**
 * Random sequences of keyspace commands (fast-check), run on our broker and on
 * redis-server, every reply compared byte for byte, and the datasets compared
 * with DEBUG DIGEST after each sequence. Expiry times are absolute and fixed (or
 * in the past), so every reply is deterministic; KEYS and SCAN are compared as sets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decoded } from '../../protocol/decoder.js';
import { diffSuite, show } from '../harness/diff.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';

const KEYS = ['a', 'b', '', 'k\x00\xff'];
const VALUES = ['v', '0', '1', '9999', '10000', '-3', 'x'.repeat(45), '', '9223372036854775807'];
const DBS = ['0', '1', '2'];
const FLAGS = [[], ['NX'], ['XX'], ['GT'], ['LT'], ['nx', 'xx'], ['gt', 'lt'], ['XX', 'GT'], ['XX', 'LT'], ['bad']];
const ABS_SECONDS = ['4000000000', '5000000000', '6000000000', '1', '-5', '0', 'abc', '9223372036854776', '9223372036854775'];
const ABS_MS = ['4000000000000', '5000000000000', '5000000000001', '6000000000000', '1', '-5', '9223372036854775807', '1.5'];
/** Relative times that delete, overflow or fail to parse: never a time that depends on "now". */
const REL_SECONDS = ['0', '-1', '-9223372036854775', '9223372036854775807', '9223372036854776', 'x'];
const REL_MS = ['0', '-100', '9223372036854775807', '-9223372036854775808'];
const PATTERNS = ['*', '?', '[ab]', '[^a]*', 'k*', '*\\x00*', '[a-c]', '\\a', ''];

const key = fc.constantFrom(...KEYS);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const flags = fc.constantFrom(...FLAGS);

const command: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(key, fc.constantFrom(...VALUES)).map(([k, v]) => ['SET', k, v]),
  key.map((k) => ['GET', k]),
  key.map((k) => ['INCR', k]),
  keys.map((ks) => ['DEL', ...ks]),
  keys.map((ks) => ['UNLINK', ...ks]),
  keys.map((ks) => ['EXISTS', ...ks]),
  keys.map((ks) => ['TOUCH', ...ks]),
  key.map((k) => ['TYPE', k]),
  fc.tuple(key, fc.constantFrom(...ABS_SECONDS), flags).map(([k, t, f]) => ['EXPIREAT', k, t, ...f]),
  fc.tuple(key, fc.constantFrom(...ABS_MS), flags).map(([k, t, f]) => ['PEXPIREAT', k, t, ...f]),
  fc.tuple(key, fc.constantFrom(...REL_SECONDS), flags).map(([k, t, f]) => ['EXPIRE', k, t, ...f]),
  fc.tuple(key, fc.constantFrom(...REL_MS), flags).map(([k, t, f]) => ['PEXPIRE', k, t, ...f]),
  key.map((k) => ['EXPIRETIME', k]),
  key.map((k) => ['PEXPIRETIME', k]),
  key.map((k) => ['PERSIST', k]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['RENAMENX', a, b]),
  fc
    .tuple(key, key, fc.option(fc.constantFrom(...DBS, '9', 'x')), fc.boolean())
    .map(([a, b, db, replace]) => ['COPY', a, b, ...(db === null ? [] : ['DB', db]), ...(replace ? ['REPLACE'] : [])]),
  fc.tuple(key, fc.constantFrom(...DBS)).map(([k, db]) => ['MOVE', k, db]),
  fc.constantFrom(...DBS).map((db) => ['SELECT', db]),
  fc.constantFrom(...PATTERNS).map((p) => ['KEYS', p]),
  fc.constant<string[]>(['SCAN']),
  fc.constant<string[]>(['DBSIZE']),
  key.map((k) => ['OBJECT', 'ENCODING', k]),
  key.map((k) => ['OBJECT', 'REFCOUNT', k]),
  keys.map((ks) => ['DEBUG', 'DIGEST-VALUE', ...ks]),
  fc.constant<string[]>(['DEBUG', 'DIGEST']),
  fc.constant<string[]>(['FLUSHDB']),
  fc.tuple(fc.constantFrom(...DBS), fc.constantFrom(...DBS)).map(([x, y]) => ['SWAPDB', x, y]),
);

describe.skipIf(!hasRedisServer())('random keyspace sequences vs redis-server', () => {
  const { p } = diffSuite({ ours: ['--enable-debug-command', 'yes'], ref: ['--enable-debug-command', 'yes'] });

  /** Every key of a full SCAN, sorted. */
  async function scanAll(call: (...argv: string[]) => Promise<{ value: Decoded }>): Promise<string[]> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = (await call('SCAN', cursor, 'COUNT', '3')).value as [string, string[]];
      cursor = next;
      for (const k of batch) found.add(k);
    } while (cursor !== '0');
    return [...found].sort();
  }

  async function run(argv: string[]): Promise<void> {
    if (argv[0] === 'SCAN') {
      const ours = await scanAll((...a) => p.ours.call(...a));
      expect(ours, 'SCAN').toEqual(await scanAll((...a) => p.ref.call(...a)));
    } else if (argv[0] === 'KEYS') {
      const { ours, ref } = await p.both(...argv);
      expect((ours.value as string[]).slice().sort(), argv.join(' ')).toEqual((ref.value as string[]).slice().sort());
    } else {
      await p.same(...argv);
    }
  }

  it('gives the same replies and the same dataset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (sequence) => {
        await p.same('FLUSHALL');
        await p.same('SELECT', '0');
        for (const argv of sequence) await run(argv);
        // Probe every key everywhere, so state differences surface even if no command looked.
        for (const db of DBS) {
          await p.same('SELECT', db);
          for (const k of KEYS) {
            await p.same('TYPE', k);
            await p.same('GET', k);
            await p.same('PEXPIRETIME', k);
            await p.same('OBJECT', 'ENCODING', k);
            await p.same('OBJECT', 'REFCOUNT', k);
          }
        }
        const { ours, ref } = await p.both('DEBUG', 'DIGEST');
        expect(show(ours.raw), `digest after ${JSON.stringify(sequence)}`).toBe(show(ref.raw));
      }),
      { numRuns: 200 },
    );
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
