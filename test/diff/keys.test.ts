/**
 * Generic keyspace commands against redis-server, byte for byte: errors, expiry
 * boundaries (with fixed absolute times, so no reply depends on elapsed time),
 * KEYS/SCAN patterns, OBJECT, COPY/MOVE across dbs, RENAME of volatile keys,
 * FLUSHDB/FLUSHALL, DEBUG DIGEST.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { clearOfSecondBoundary, diffSuite, show, startDiffServers, type DiffServers } from '../harness/diff.js';
import type { Decoded } from '../../protocol/decoder.js';

/** Far in the future (year 2128) but exact: EXPIRETIME/PEXPIRETIME replies are deterministic. */
const FAR_MS = '5000000000000';
const FAR_S = '5000000000';

describe.skipIf(!hasRedisServer())('keyspace commands vs redis-server', () => {
  const { p } = diffSuite({ ours: ['--enable-debug-command', 'yes'], ref: ['--enable-debug-command', 'yes'] });
  beforeEach(async () => {
    await p.same('SELECT', '0');
    await p.same('FLUSHALL');
  });

  /** Runs a command on both and expects the same elements, in any order (KEYS, SCAN). */
  async function sameSet(...argv: string[]): Promise<string[]> {
    const { ours, ref } = await p.both(...argv);
    const sorted = (v: Decoded): string[] => {
      expect(Array.isArray(v), `array reply to ${argv.join(' ')}: ${show(ours.raw)}`).toBe(true);
      return (v as string[]).slice().sort();
    };
    const o = sorted(ours.value);
    expect(o).toEqual(sorted(ref.value));
    return o;
  }

  /** Iterates a whole SCAN on both sides; expects the same set of keys. */
  async function sameScan(...options: string[]): Promise<string[]> {
    const collect = async (call: (...a: string[]) => Promise<{ value: Decoded }>): Promise<string[]> => {
      const found = new Set<string>();
      let cursor = '0';
      do {
        const r = (await call('SCAN', cursor, ...options)).value as [string, string[]];
        cursor = r[0];
        for (const k of r[1]) found.add(k);
      } while (cursor !== '0');
      return [...found].sort();
    };
    const ours = await collect((...a) => p.ours.call(...a));
    const ref = await collect((...a) => p.ref.call(...a));
    expect(ours, `SCAN ${options.join(' ')}`).toEqual(ref);
    return ours;
  }

  it('DEL, UNLINK, EXISTS, TOUCH and TYPE', async () => {
    await p.same('SET', 'a', '1');
    await p.same('SET', 'b', '2');
    await p.same('EXISTS', 'a', 'a', 'b', 'nope');
    await p.same('TOUCH', 'a', 'nope', 'b');
    await p.same('TYPE', 'a');
    await p.same('TYPE', 'nope');
    await p.same('DEL', 'a', 'a', 'nope');
    await p.same('UNLINK', 'b', 'b');
    await p.same('DEL', 'a');
    await p.same('EXISTS', 'a', 'b');
    await p.same('DEL');
    await p.same('EXISTS');
    await p.same('TYPE');
    await p.same('TYPE', 'a', 'b');
  });

  it('EXPIRE family argument errors', async () => {
    await p.same('SET', 'k', 'v');
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
      await p.same(cmd, 'k');
      await p.same(cmd, 'k', 'abc');
      await p.same(cmd, 'k', '1.5');
      await p.same(cmd, 'k', ' 1');
      await p.same(cmd, 'k', '+1');
      await p.same(cmd, 'k', '01');
      await p.same(cmd, 'k', '9223372036854775808');
      await p.same(cmd, 'k', '100', 'foo');
      await p.same(cmd, 'k', '100', 'nx', 'xx');
      await p.same(cmd, 'k', '100', 'NX', 'GT');
      await p.same(cmd, 'k', '100', 'nx', 'lt');
      await p.same(cmd, 'k', '100', 'gt', 'LT');
      await p.same(cmd, 'k', '100', 'xx', 'gt', 'lt');
      await p.same(cmd, 'k', '100', '');
      await p.same(cmd, 'k', '100', 'xx', 'a\x00b');
      await p.same(cmd, 'k', 'abc', 'foo');
      await p.same(cmd, 'nokey', '100', 'foo');
      await p.same(cmd, 'nokey', 'abc');
    }
    await p.same('PEXPIRETIME', 'k');
  });

  it('EXPIRE overflow boundaries', async () => {
    const cases: [string, string][] = [
      ['EXPIRE', '9223372036854775807'],
      ['EXPIRE', '9223372036854776'],
      ['EXPIRE', '9223372036854775'],
      ['EXPIRE', '-9223372036854776'],
      ['EXPIRE', '-9223372036854775808'],
      ['PEXPIRE', '9223372036854775807'],
      ['EXPIREAT', '9223372036854776'],
      ['EXPIREAT', '-9223372036854776'],
    ];
    for (const [cmd, arg] of cases) {
      await p.same('SET', 'k', 'v');
      await p.same(cmd, 'k', arg);
      await p.same(cmd, 'nokey', arg);
      await p.same('EXISTS', 'k');
    }
    // Huge but valid absolute times are kept exactly.
    for (const [cmd, arg] of [
      ['PEXPIREAT', '9223372036854775807'],
      ['PEXPIREAT', '9007199254740993'],
      ['EXPIREAT', '9223372036854775'],
      ['EXPIREAT', '9007199254740993'],
      ['PEXPIREAT', FAR_MS],
    ]) {
      await p.same('SET', 'k', 'v');
      await p.same(cmd, 'k', arg);
      await p.same('PEXPIRETIME', 'k');
      await p.same('EXPIRETIME', 'k');
      await p.same('EXPIRE', 'k', '100', 'GT');
      await p.same('PEXPIRETIME', 'k');
      await p.same('PEXPIREAT', 'k', '9223372036854775807', 'LT');
      await p.same('PEXPIRETIME', 'k');
    }
  });

  it('an expiry in the past deletes the key', async () => {
    for (const [cmd, arg] of [
      ['EXPIRE', '0'],
      ['EXPIRE', '-1'],
      ['PEXPIRE', '-100'],
      ['EXPIREAT', '1'],
      ['PEXPIREAT', '0'],
      ['PEXPIREAT', '-5'],
      ['EXPIREAT', '-9223372036854775'],
    ]) {
      await p.same('SET', 'k', 'v');
      await p.same(cmd, 'k', arg);
      await p.same('EXISTS', 'k');
      await p.same('TTL', 'k');
      await p.same(cmd, 'k', arg);
    }
  });

  it('NX, XX, GT and LT conditions', async () => {
    await p.same('SET', 'k', 'v');
    await p.same('EXPIREAT', 'k', FAR_S, 'XX');
    await p.same('EXPIREAT', 'k', FAR_S, 'GT');
    await p.same('EXPIRETIME', 'k');
    await p.same('EXPIREAT', 'k', FAR_S, 'LT');
    await p.same('EXPIRETIME', 'k');
    await p.same('EXPIREAT', 'k', FAR_S, 'NX');
    await p.same('EXPIRETIME', 'k');
    await p.same('EXPIREAT', 'k', FAR_S, 'nx');
    await p.same('EXPIREAT', 'k', FAR_S, 'xx');
    await p.same('PEXPIRETIME', 'k');
    await p.same('PEXPIREAT', 'k', '5000000000001', 'gt');
    await p.same('PEXPIREAT', 'k', '5000000000001', 'gt');
    await p.same('PEXPIREAT', 'k', '5000000000000', 'GT');
    await p.same('PEXPIRETIME', 'k');
    await p.same('PEXPIREAT', 'k', '5000000000002', 'LT');
    await p.same('PEXPIREAT', 'k', '4999999999999', 'lt', 'xx');
    await p.same('PEXPIRETIME', 'k');
    await p.same('PEXPIREAT', 'k', '4999999999999', 'GT', 'XX', 'gt');
    // LT may set a time in the past, which deletes the key.
    await p.same('PEXPIREAT', 'k', '1', 'LT');
    await p.same('EXISTS', 'k');
    await p.same('SET', 'k', 'v');
    await p.same('EXPIRE', 'k', '100', 'LT');
    await p.same('TTL', 'k');
    await p.same('EXPIRE', 'k', '-1', 'GT');
    await p.same('EXISTS', 'k');
    await p.same('EXPIRE', 'k', '-1', 'XX');
    await p.same('EXISTS', 'k');
  });

  it('TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST', async () => {
    for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) {
      await p.same(cmd, 'nokey');
      await p.same('SET', 'k', 'v');
      await p.same(cmd, 'k');
      await p.same(cmd);
      await p.same(cmd, 'k', 'x');
    }
    await p.same('PEXPIREAT', 'k', FAR_MS);
    await p.same('EXPIRETIME', 'k');
    await p.same('PEXPIREAT', 'k', '4999999999499');
    await p.same('EXPIRETIME', 'k');
    await p.same('PEXPIREAT', 'k', '4999999999500');
    await p.same('EXPIRETIME', 'k');
    await p.same('PERSIST', 'k');
    await p.same('PERSIST', 'k');
    await p.same('TTL', 'k');
    await p.same('PERSIST', 'nokey');
    // SET without KEEPTTL clears the expiry.
    await p.same('PEXPIREAT', 'k', FAR_MS);
    await p.same('SET', 'k', 'w');
    await p.same('PTTL', 'k');
  });

  it('RENAME and RENAMENX', async () => {
    await p.same('RENAME', 'nokey', 'x');
    await p.same('RENAMENX', 'nokey', 'x');
    await p.same('RENAME', 'nokey', 'nokey');
    await p.same('SET', 'a', '1');
    await p.same('RENAME', 'a', 'a');
    await p.same('RENAMENX', 'a', 'a');
    await p.same('PEXPIREAT', 'a', FAR_MS);
    await p.same('RENAME', 'a', 'b');
    await p.same('EXISTS', 'a', 'b');
    await p.same('PEXPIRETIME', 'b');
    await p.same('GET', 'b');
    await p.same('SET', 'c', '3');
    await p.same('RENAMENX', 'b', 'c');
    await p.same('RENAMENX', 'b', 'd');
    await p.same('PEXPIRETIME', 'd');
    // Overwriting a volatile destination: it takes the source's (absent) expiry.
    await p.same('PEXPIREAT', 'd', '6000000000000');
    await p.same('RENAME', 'c', 'd');
    await p.same('PEXPIRETIME', 'd');
    await p.same('GET', 'd');
    await p.same('RENAME', 'd');
    await p.same('RENAME', 'd', 'e', 'f');
  });

  it('COPY within and across databases', async () => {
    await p.same('COPY', 'a', 'b');
    await p.same('SET', 'a', 'va');
    await p.same('COPY', 'a', 'a');
    await p.same('COPY', 'a', 'a', 'DB', '0');
    await p.same('COPY', 'nokey', 'nokey');
    await p.same('COPY', 'a', 'b', 'foo');
    await p.same('COPY', 'a', 'b', 'DB');
    await p.same('COPY', 'a', 'b', 'DB', 'x');
    await p.same('COPY', 'a', 'b', 'DB', '16');
    await p.same('COPY', 'a', 'b', 'DB', '-1');
    await p.same('COPY', 'a', 'b', 'DB', '4294967296');
    await p.same('COPY', 'a', 'b', 'DB', 'x', 'foo');
    await p.same('COPY', 'a', 'b', 'foo', 'DB', 'x');
    await p.same('PEXPIREAT', 'a', FAR_MS);
    await p.same('COPY', 'a', 'b');
    await p.same('PEXPIRETIME', 'b');
    await p.same('COPY', 'a', 'b');
    await p.same('SET', 'a', 'va2');
    await p.same('COPY', 'a', 'b', 'REPLACE');
    await p.same('GET', 'b');
    await p.same('PTTL', 'b');
    await p.same('COPY', 'a', 'a', 'DB', '3');
    await p.same('COPY', 'a', 'a', 'db', '3', 'replace', 'REPLACE');
    await p.same('SELECT', '3');
    await p.same('GET', 'a');
    await p.same('DBSIZE');
    await p.same('COPY', 'a', 'z', 'DB', '0');
    await p.same('SELECT', '0');
    await p.same('GET', 'z');
    await p.same('COPY');
    await p.same('COPY', 'a');
  });

  it('MOVE across databases', async () => {
    await p.same('MOVE', 'a', '1');
    await p.same('SET', 'a', 'va');
    await p.same('MOVE', 'a', '0');
    await p.same('MOVE', 'a', 'x');
    await p.same('MOVE', 'a', '16');
    await p.same('MOVE', 'a', '-1');
    await p.same('MOVE', 'a', '99999999999');
    await p.same('MOVE', 'nokey', '0');
    await p.same('MOVE', 'nokey', '1');
    await p.same('PEXPIREAT', 'a', FAR_MS);
    await p.same('MOVE', 'a', '1');
    await p.same('EXISTS', 'a');
    await p.same('SELECT', '1');
    await p.same('PEXPIRETIME', 'a');
    await p.same('GET', 'a');
    await p.same('SELECT', '0');
    await p.same('SET', 'a', 'other');
    await p.same('MOVE', 'a', '1');
    await p.same('GET', 'a');
    await p.same('MOVE', 'a');
  });

  it('SWAPDB', async () => {
    await p.same('SET', 'a', 'in0');
    await p.same('PEXPIREAT', 'a', FAR_MS);
    await p.same('SELECT', '1');
    await p.same('SET', 'b', 'in1');
    for (const [x, y] of [['0', '1'], ['1', '1'], ['x', '1'], ['1', 'x'], ['0', '16'], ['-1', '0'], ['4294967296', '0'], ['0', '4294967296'], ['x', 'y']]) {
      await p.same('SWAPDB', x, y);
    }
    await p.same('GET', 'a');
    await p.same('PEXPIRETIME', 'a');
    await p.same('GET', 'b');
    await p.same('DBSIZE');
    await sameScan();
    await p.same('SELECT', '0');
    await p.same('GET', 'b');
    await p.same('DEBUG', 'DIGEST');
    await p.same('SWAPDB', '0');
  });

  it('KEYS with glob patterns', async () => {
    const keys = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h*llo', 'h?llo', 'h[a]llo', 'h\\llo', 'a-b', '', 'x\x00y', 'ümlaut', '\xff\x80', 'HELLO', ']', '[', '^'];
    for (const k of keys) await p.same('SET', k, 'v');
    const patterns = [
      '*', '**', 'h?llo', 'h*llo', 'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h[b-a]llo', 'h\\*llo', 'h\\?llo', 'h\\[a\\]llo',
      'h\\\\llo', 'h[\\]]llo', '[', '[]', '[]]', '[^]', '[^', ']', '\\', 'x?y', 'x\x00y', 'x*', '*o', '*l*l*o', 'h*l*',
      '[\x80-\xff]*', '[a-\xff]*', '\xff*', '?', '', 'h[', 'h[a', 'h[a-', 'a[-]b', 'a[a-]b', '*\\', 'HELLO', 'hello*', '[h]*',
      '[[]', '\\[', '[\\', '^', '[\\^]', '[a-c-e]*',
    ];
    for (const pattern of patterns) await sameSet('KEYS', pattern);
    await p.same('KEYS');
    await p.same('KEYS', 'a', 'b');
  });

  it('KEYS and SCAN skip logically expired keys', async () => {
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    try {
      await p.same('SET', 'live', 'v');
      await p.same('SET', 'dead', 'v');
      await p.same('PEXPIRE', 'dead', '1');
      await new Promise((r) => setTimeout(r, 20));
      await sameSet('KEYS', '*');
      await p.same('DBSIZE'); // still stored
      await sameScan();
      await p.same('DBSIZE'); // SCAN reclaimed it
    } finally {
      await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    }
  });

  it('logically expired keys: SCAN TYPE, RANDOMKEY, DEBUG DIGEST-VALUE, TTL, COPY, RENAME', async () => {
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    try {
      const expireSoon = async (...keys: string[]): Promise<void> => {
        for (const k of keys) {
          await p.same('SET', k, 'v');
          await p.same('PEXPIRE', k, '1');
        }
        await new Promise((r) => setTimeout(r, 20));
      };
      await expireSoon('a', 'b');
      await p.same('DEBUG', 'DIGEST-VALUE', 'a');
      await p.same('DEBUG', 'DIGEST');
      // A TYPE lookup deletes the key first, and redis-server then reports it as type "none".
      await sameScan('TYPE', 'none');
      await p.same('DBSIZE');
      await expireSoon('a', 'b');
      await p.same('RANDOMKEY');
      await p.same('DBSIZE');
      await expireSoon('a');
      await p.same('TTL', 'a');
      await expireSoon('a');
      await p.same('COPY', 'a', 'c');
      await expireSoon('a');
      await p.same('RENAME', 'a', 'c');
      await expireSoon('a');
      await p.same('MOVE', 'a', '1');
      await expireSoon('a');
      await p.same('EXPIRE', 'a', '100');
      await expireSoon('a');
      await p.same('PERSIST', 'a');
      await p.same('DBSIZE');
    } finally {
      await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    }
  });

  it('SCAN arguments, MATCH, COUNT and TYPE', async () => {
    for (const cursor of ['x', ' 0', '0 ', '-', '+', '1.5', '0x10', '18446744073709551616', '99999999999999999999999']) {
      await p.same('SCAN', cursor);
    }
    for (const cursor of ['', '+0', '-0', '18446744073709551615', '-1', '0\x00junk']) {
      const { ours, ref } = await p.both('SCAN', cursor);
      // Cursor values are implementation details; both must accept these.
      expect((ours.value as Decoded[]).length).toBe((ref.value as Decoded[]).length);
    }
    await p.same('SCAN', '0', 'COUNT', '0');
    await p.same('SCAN', '0', 'COUNT', '-1');
    await p.same('SCAN', '0', 'COUNT', 'x');
    await p.same('SCAN', '0', 'COUNT');
    await p.same('SCAN', '0', 'MATCH');
    await p.same('SCAN', '0', 'TYPE');
    await p.same('SCAN', '0', 'foo', 'bar');
    await p.same('SCAN', 'x', 'COUNT', '0');
    await p.same('SCAN', '0', 'COUNT', '0', 'MATCH', '*');
    for (let i = 0; i < 300; i++) await p.ours.call('SET', `key:${i}`, String(i));
    for (let i = 0; i < 300; i++) await p.ref.call('SET', `key:${i}`, String(i));
    await p.same('SET', 'other', 'x');
    await sameScan();
    await sameScan('COUNT', '1');
    await sameScan('COUNT', '1000');
    await sameScan('MATCH', 'key:1*');
    await sameScan('MATCH', 'key:[0-2]?', 'COUNT', '7');
    await sameScan('TYPE', 'string');
    await sameScan('TYPE', 'STRING', 'MATCH', 'o*');
    await sameScan('TYPE', 'list');
    await sameScan('TYPE', 'nosuchtype');
    await sameScan('MATCH', '*', 'MATCH', 'other');
  });

  it('SCAN never misses a key present for the whole scan', async () => {
    const stable = Array.from({ length: 200 }, (_, i) => `stable:${i}`);
    for (const k of stable) await p.ours.call('SET', k, 'v');
    let cursor = '0';
    const seen = new Set<string>();
    let round = 0;
    do {
      const r = (await p.ours.call('SCAN', cursor, 'COUNT', '5')).value as [string, string[]];
      cursor = r[0];
      for (const k of r[1]) seen.add(k);
      // Churn: keys come and go between calls.
      await p.ours.call('SET', `tmp:${round}`, 'v');
      if (round > 2) await p.ours.call('DEL', `tmp:${round - 2}`);
      round++;
    } while (cursor !== '0');
    for (const k of stable) expect(seen.has(k), k).toBe(true);
  });

  it('RANDOMKEY', async () => {
    await p.same('RANDOMKEY');
    await p.same('SET', 'only', 'v');
    await p.same('RANDOMKEY');
    await p.same('RANDOMKEY', 'x');
  });

  it('OBJECT subcommands', async () => {
    const values = ['0', '1', '9999', '10000', '-1', '-0', '01', '123456789012345678', '9223372036854775807',
      '9223372036854775808', '-9223372036854775808', '12345678901234567890', ' 1', '1.5', 'abc', '',
      'x'.repeat(44), 'x'.repeat(45), '1'.repeat(21)];
    for (const v of values) {
      await p.same('SET', 'k', v);
      await p.same('OBJECT', 'ENCODING', 'k');
      await p.same('OBJECT', 'REFCOUNT', 'k');
    }
    await clearOfSecondBoundary();
    await p.same('SET', 's', 'not an int');
    await p.same('OBJECT', 'IDLETIME', 's');
    await p.same('OBJECT', 'encoding', 'nokey');
    await p.same('OBJECT', 'REFCOUNT', 'nokey');
    await p.same('OBJECT', 'IDLETIME', 'nokey');
    await p.same('OBJECT', 'FREQ', 'nokey');
    await p.same('OBJECT', 'FREQ', 's');
    await p.same('OBJECT', 'HELP');
    await p.same('object', 'help');
    await p.same('OBJECT', 'HELP', 'x');
    await p.same('OBJECT', 'ENCODING');
    await p.same('OBJECT', 'ENCODING', 'a', 'b');
    await p.same('OBJECT', 'foo', 'k');
    await p.same('OBJECT');
  });

  it('DBSIZE, FLUSHDB and FLUSHALL', async () => {
    await p.same('DBSIZE');
    await p.same('SET', 'a', '1');
    await p.same('SET', 'b', '1');
    await p.same('DBSIZE');
    await p.same('DBSIZE', 'x');
    await p.same('SELECT', '2');
    await p.same('SET', 'c', '1');
    await p.same('FLUSHDB', 'foo');
    await p.same('FLUSHDB', 'sync', 'async');
    await p.same('FLUSHDB', 'ASYNC');
    await p.same('DBSIZE');
    await p.same('SELECT', '0');
    await p.same('DBSIZE');
    await p.same('FLUSHDB', 'SYNC');
    await p.same('DBSIZE');
    await p.same('SET', 'a', '1');
    await p.same('SELECT', '5');
    await p.same('SET', 'a', '1');
    await p.same('FLUSHALL', 'x');
    await p.same('FLUSHALL', 'async');
    await p.same('DBSIZE');
    await p.same('SELECT', '0');
    await p.same('DBSIZE');
    await p.same('FLUSHALL');
  });

  it('DEBUG DIGEST and DIGEST-VALUE equal redis-server', async () => {
    await p.same('DEBUG', 'DIGEST');
    await p.same('SET', 'a', '1');
    await p.same('SET', 'b', 'hello');
    await p.same('SET', '', '');
    await p.same('SET', 'bin\x00\xff', '\x00\x01\xfe');
    await p.same('DEBUG', 'DIGEST');
    await p.same('PEXPIREAT', 'b', FAR_MS);
    await p.same('DEBUG', 'DIGEST');
    await p.same('SELECT', '7');
    await p.same('SET', 'a', '1');
    await p.same('DEBUG', 'DIGEST');
    await p.same('DEBUG', 'DIGEST-VALUE');
    await p.same('DEBUG', 'DIGEST-VALUE', 'a', 'nokey');
    await p.same('SELECT', '0');
    await p.same('DEBUG', 'DIGEST-VALUE', 'a', 'b', 'bin\x00\xff', '');
    await p.same('DEBUG', 'DIGEST', 'x');
    await p.same('DEBUG', 'nosuch');
    await p.same('DEBUG', 'nosuch', 'x'.repeat(200));
    await p.same('DEBUG', 'x'.repeat(200));
    await p.same('DEBUG', 'a\x00b');
    await p.same('DEBUG', 'SLEEP');
    await p.same('DEBUG', 'SLEEP', '0');
    await p.same('DEBUG', 'SLEEP', 'abc');
    await p.same('DEBUG', 'SLEEP', '-1');
    await p.same('DEBUG', 'SLEEP', '0.01');
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE');
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await p.same('DEBUG');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);

describe.skipIf(!hasRedisServer())('DEBUG protection vs redis-server', () => {
  let servers: DiffServers;
  afterAll(() => servers?.stop());

  it('refuses DEBUG by default and from local clients when set to local', async () => {
    servers = await startDiffServers();
    const p = await servers.pair();
    await p.same('DEBUG', 'DIGEST');
    await p.same('DEBUG', 'nosuch');
    await p.same('DEBUG');
    const local = await startDiffServers(['--enable-debug-command', 'local'], ['--enable-debug-command', 'local']);
    try {
      const q = await local.pair();
      await q.same('DEBUG', 'DIGEST');
    } finally {
      await local.stop();
    }
  });
});
