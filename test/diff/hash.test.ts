/**
 * The hash family against redis-server, reply for reply, byte for byte: every command,
 * option and error, RESP2 and RESP3 shapes, the encodings (listpack order, the size
 * rules and their config aliases), the generic commands on hashes (TYPE, COPY, RENAME,
 * MOVE, SCAN TYPE, DUMP/RESTORE both ways, DEBUG DIGEST), and the effects: what our
 * broker propagates, replayed on a fresh redis-server, rebuilds the same dataset.
 * Random replies (HRANDFIELD) are compared by shape; a hashtable's order, which
 * redis-server's dict decides, by content.
 */
import { describe, expect, it } from 'vitest';
import type { Decoded } from '../../protocol/decoder.js';
import { recordEffects, replayedDigest } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const fields = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]).flat();

describe.skipIf(!hasRedisServer())('hash commands vs redis-server', () => {
  const { p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });

  async function same(...commands: string[][]): Promise<void> {
    for (const argv of commands) await p.same(...argv);
  }

  /** Both servers' decoded replies, for replies that legitimately differ in order or choice. */
  async function both(...argv: string[]): Promise<[Decoded, Decoded]> {
    const { ours, ref } = await p.both(...argv);
    return [ours.value, ref.value];
  }

  it('HSET, HMSET, HSETNX, HGET, HMGET, HLEN, HSTRLEN, HEXISTS: values, arity, wrong type', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['HSET', 'h', 'a', '1', 'b', '2'],
        ['HSET', 'h', 'a', '10', 'c', '3'],
        ['HMSET', 'h', 'd', '4'],
        ['HSETNX', 'h', 'a', 'x'],
        ['HSETNX', 'h', 'e', '5'],
        ['HSETNX', 'new', 'f', 'v'],
        ['HGET', 'h', 'a'],
        ['HGET', 'h', 'zz'],
        ['HGET', 'nokey', 'a'],
        ['HMGET', 'h', 'a', 'zz', 'e'],
        ['HMGET', 'nokey', 'a', 'b'],
        ['HLEN', 'h'],
        ['HLEN', 'nokey'],
        ['HSTRLEN', 'h', 'a'],
        ['HSTRLEN', 'h', 'zz'],
        ['HSTRLEN', 'nokey', 'a'],
        ['HEXISTS', 'h', 'a'],
        ['HEXISTS', 'h', 'zz'],
        ['HEXISTS', 'nokey', 'a'],
        ['HSET', 'h', 'a'],
        ['HSET', 'h', 'a', 'b', 'c'],
        ['HMSET', 'h', 'a'],
        ['HMSET', 'h', 'a', 'b', 'c'],
        ['HSET', 'h'],
        ['HSETNX', 'h', 'a'],
        ['HGET', 'h'],
        ['HMGET', 'h'],
        ['HSET', 'bin', '\x00\xff', '', '', '\r\n', '0', '-1', '01', '9223372036854775808'],
        ['HGETALL', 'bin'],
        ['SET', 's', 'v'],
        ['HSET', 's', 'a', '1'],
        ['HMSET', 's', 'a', '1'],
        ['HSETNX', 's', 'a', '1'],
        ['HGET', 's', 'a'],
        ['HMGET', 's', 'a'],
        ['HLEN', 's'],
        ['HSTRLEN', 's', 'a'],
        ['HEXISTS', 's', 'a'],
        ['HGETALL', 's'],
        ['HKEYS', 's'],
        ['HVALS', 's'],
        ['HDEL', 's', 'a'],
        ['HINCRBY', 's', 'a', '1'],
        ['HINCRBYFLOAT', 's', 'a', '1'],
        ['HRANDFIELD', 's'],
        ['HRANDFIELD', 's', '1'],
        ['HSCAN', 's', '0'],
        ['TYPE', 'h'],
      );
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('HGETALL, HKEYS, HVALS keep listpack order through deletes; HDEL deletes the empty hash', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['HSET', 'h', 'z', '1', 'a', '2', 'm', '3', 'b', '4'],
        ['HDEL', 'h', 'a'],
        ['HSET', 'h', 'a', '5', 'z', '6'],
        ['HGETALL', 'h'],
        ['HKEYS', 'h'],
        ['HVALS', 'h'],
        ['HGETALL', 'nokey'],
        ['HKEYS', 'nokey'],
        ['HVALS', 'nokey'],
        ['HDEL', 'h', 'nope'],
        ['HDEL', 'h', 'z', 'z', 'nope', 'm'],
        ['HDEL', 'nokey', 'a'],
        ['HDEL', 'h', 'a', 'b'],
        ['EXISTS', 'h'],
        ['HDEL', 'h'],
      );
    };
    await run();
    await p.inResp3(run);
  });

  it('HINCRBY and HINCRBYFLOAT: parsing, overflow, NaN and infinity, long results, the encoding they cause', async () => {
    await same(
      ['HSET', 'h', 'i', '10', 's', 'abc', 'f', '1.5', 'max', '9223372036854775807', 'min', '-9223372036854775808', 'sp', ' 1'],
      ['HINCRBY', 'h', 'i', '5'],
      ['HINCRBY', 'h', 'i', '-20'],
      ['HINCRBY', 'h', 'new', '7'],
      ['HINCRBY', 'nokey', 'a', '1'],
      ['HINCRBY', 'h', 's', '1'],
      ['HINCRBY', 'h', 'f', '1'],
      ['HINCRBY', 'h', 'sp', '1'],
      ['HINCRBY', 'h', 'max', '1'],
      ['HINCRBY', 'h', 'min', '-1'],
      ['HINCRBY', 'h', 'max', '0'],
      ['HINCRBY', 'h', 'i', 'x'],
      ['HINCRBY', 'h', 'i', '1.5'],
      ['HINCRBY', 'h', 'i', '9223372036854775808'],
      ['HINCRBY', 'other', 'i', 'x'],
      ['EXISTS', 'other'],
      ['HINCRBYFLOAT', 'h', 'f', '0.1'],
      ['HINCRBYFLOAT', 'h', 'i', '1.0'],
      ['HINCRBYFLOAT', 'h', 'i', '-1e2'],
      ['HINCRBYFLOAT', 'h', 'newf', '3.0e3'],
      ['HINCRBYFLOAT', 'h', 's', '1'],
      ['HINCRBYFLOAT', 'h', 'f', 'abc'],
      ['HINCRBYFLOAT', 'h', 'f', 'inf'],
      ['HINCRBYFLOAT', 'h', 'f', '-inf'],
      ['HINCRBYFLOAT', 'h', 'f', 'nan'],
      ['HINCRBYFLOAT', 'h', 'f', ''],
      ['HINCRBYFLOAT', 'h', 'max', '1'],
      ['HINCRBYFLOAT', 'float', 'x', 'x'],
      ['EXISTS', 'float'],
      ['OBJECT', 'ENCODING', 'h'],
      ['HINCRBYFLOAT', 'h', 'big', '1e70'],
      ['HGET', 'h', 'big'],
      ['OBJECT', 'ENCODING', 'h'],
      ['HSET', 'g', 'x', '1e4932'],
      ['HINCRBYFLOAT', 'g', 'x', '1e4932'],
      ['HINCRBYFLOAT', 'g', 'x', '-1'],
      ['DEBUG', 'DIGEST-VALUE', 'h'],
    );
  });

  it('encodings: listpack up to 512 fields and 64-byte values, then hashtable for good; the ziplist aliases in CONFIG', async () => {
    await p.same('HSET', 'h', ...fields(512));
    await same(['OBJECT', 'ENCODING', 'h'], ['HSET', 'h', 'one', 'more'], ['OBJECT', 'ENCODING', 'h'], ['HDEL', 'h', 'one', 'f0', 'f1'], ['OBJECT', 'ENCODING', 'h']);
    await same(
      ['HSET', 'v', 'f', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'v'],
      ['HSET', 'v', 'f', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'v'],
      ['HSET', 'k', 'y'.repeat(65), '1'],
      ['OBJECT', 'ENCODING', 'k'],
      ['HSET', 'nx', 'f', '1'],
      ['HSETNX', 'nx', 'f', 'x'.repeat(100)],
      ['OBJECT', 'ENCODING', 'nx'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', '2'],
      ['CONFIG', 'GET', 'hash-max-listpack-entries'],
      ['HSET', 'c', 'a', '1', 'b', '2'],
      ['OBJECT', 'ENCODING', 'c'],
      ['HSET', 'c', 'c', '3'],
      ['OBJECT', 'ENCODING', 'c'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '3'],
      ['CONFIG', 'GET', 'hash-max-ziplist-value'],
      ['HSET', 'd', 'a', '1234'],
      ['OBJECT', 'ENCODING', 'd'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'],
      ['HSET', 'e', 'a', '1'],
      ['OBJECT', 'ENCODING', 'e'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
      ['OBJECT', 'ENCODING', 'nokey'],
    );
  });

  it('HRANDFIELD: errors and shapes in RESP2 and RESP3; the whole hash in listpack order when count covers it', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
        ['HRANDFIELD', 'nokey'],
        ['HRANDFIELD', 'nokey', '3'],
        ['HRANDFIELD', 'nokey', '-3', 'WITHVALUES'],
        ['HRANDFIELD', 'h', '0'],
        ['HRANDFIELD', 'h', '0', 'withvalues'],
        ['HRANDFIELD', 'h', '3'],
        ['HRANDFIELD', 'h', '10', 'WithValues'],
        ['HRANDFIELD', 'h', 'x'],
        ['HRANDFIELD', 'h', '1.5'],
        ['HRANDFIELD', 'h', '1', 'withvalue'],
        ['HRANDFIELD', 'h', '1', 'withvalues', 'x'],
        ['HRANDFIELD', 'h', '-9223372036854775808'],
        ['HRANDFIELD', 'h', '-4611686018427387904', 'withvalues'],
        ['HRANDFIELD', 'h', '4611686018427387904', 'withvalues'],
        ['HRANDFIELD', 'h', '9223372036854775807'],
        ['HRANDFIELD', 'nokey', 'x'],
        ['HRANDFIELD', 'nokey', '1', 'bad'],
      );
      const all = new Map([['a', '1'], ['b', '2'], ['c', '3']]);
      for (const count of ['1', '2', '-1', '-5']) {
        for (const withValues of [false, true]) {
          const argv = ['HRANDFIELD', 'h', count, ...(withValues ? ['WITHVALUES'] : [])];
          const [ours, ref] = await both(...argv);
          const n = Math.abs(Number(count));
          for (const reply of [ours, ref]) {
            const items = reply as Decoded[];
            const pairs = withValues ? (Array.isArray(items[0]) ? (items as string[][]) : chunk(items as string[])) : (items as string[]).map((f) => [f]);
            expect(pairs.length, argv.join(' ')).toBe(n);
            for (const [f, v] of pairs) {
              expect(all.has(f)).toBe(true);
              if (withValues) expect(v).toBe(all.get(f));
            }
            if (Number(count) > 0) expect(new Set(pairs.map(([f]) => f)).size).toBe(n);
          }
          expect(shapeOf(ours)).toBe(shapeOf(ref));
        }
      }
      const [one] = await both('HRANDFIELD', 'h');
      expect(all.has(one as string)).toBe(true);
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('HRANDFIELD on a hashtable hash: counts above and below a third of the size', async () => {
    await p.same('HSET', 'h', ...fields(600));
    for (const count of ['100', '300', '599', '600', '-700']) {
      const [ours, ref] = await both('HRANDFIELD', 'h', count, 'WITHVALUES');
      const pairs = chunk(ours as string[]);
      expect(pairs.length).toBe((ref as string[]).length / 2);
      for (const [f, v] of pairs) expect(v).toBe(`v${f.slice(1)}`);
      if (!count.startsWith('-')) expect(new Set(pairs.map(([f]) => f)).size).toBe(pairs.length);
    }
  });

  it('HSCAN: a listpack hash whole in one call, MATCH, COUNT, errors; a hashtable hash scanned to the end', async () => {
    await same(
      ['HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3'],
      ['HSCAN', 'h', '0'],
      ['HSCAN', 'h', '0', 'COUNT', '1'],
      ['HSCAN', 'h', '0', 'MATCH', 'a*'],
      ['HSCAN', 'h', '0', 'match', 'a*', 'count', '100'],
      ['HSCAN', 'h', '0', 'MATCH', 'zz*'],
      ['HSCAN', 'h', 'x'],
      ['HSCAN', 'h', '-1'],
      ['HSCAN', 'h', '0', 'COUNT', '0'],
      ['HSCAN', 'h', '0', 'COUNT', 'x'],
      ['HSCAN', 'h', '0', 'TYPE', 'hash'],
      ['HSCAN', 'h', '0', 'MATCH'],
      ['HSCAN', 'h', '0', 'FOO', 'bar'],
      ['HSCAN', 'nokey', '0'],
      ['HSCAN', 'nokey', '0', 'FOO'],
      ['HSCAN', 'nokey', 'x'],
    );
    await p.same('HSET', 'big', ...fields(1000));
    for (const client of [p.ours, p.ref]) {
      const seen = new Map<string, string>();
      let cursor = '0';
      let calls = 0;
      do {
        const reply = (await client.call('HSCAN', 'big', cursor, 'COUNT', '50', 'MATCH', 'f1*')).value as [string, string[]];
        cursor = reply[0];
        for (const [f, v] of chunk(reply[1])) seen.set(f, v);
        calls++;
      } while (cursor !== '0');
      expect(calls).toBeGreaterThan(1);
      expect(seen.size).toBe(111);
      for (const [f, v] of seen) expect(v).toBe(`v${f.slice(1)}`);
    }
  });

  it('TYPE, COPY, RENAME, MOVE, SCAN TYPE, EXPIRE, DEBUG DIGEST and DIGEST-VALUE on hashes', async () => {
    await p.same('HSET', 'big', ...fields(700));
    await same(
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['TYPE', 'h'],
      ['COPY', 'h', 'h2'],
      ['HSET', 'h2', 'c', '3'],
      ['HGETALL', 'h'],
      ['HGETALL', 'h2'],
      ['OBJECT', 'ENCODING', 'h2'],
      ['COPY', 'big', 'big2'],
      ['OBJECT', 'ENCODING', 'big2'],
      ['HDEL', 'big2', 'f1'],
      ['HLEN', 'big'],
      ['RENAME', 'h2', 'h3'],
      ['HGETALL', 'h3'],
      ['MOVE', 'h3', '1'],
      ['SELECT', '1'],
      ['HGETALL', 'h3'],
      ['SELECT', '0'],
      ['EXPIRE', 'h', '100'],
      ['HSET', 'h', 'z', '26'],
      ['TTL', 'h'],
      ['DEBUG', 'DIGEST-VALUE', 'h'],
      ['DEBUG', 'DIGEST-VALUE', 'big'],
      ['DEBUG', 'DIGEST-VALUE', 'nokey'],
      ['DEBUG', 'DIGEST'],
    );
    const [ours, ref] = await both('SCAN', '0', 'TYPE', 'hash', 'COUNT', '100');
    expect(((ours as Decoded[])[1] as string[]).sort()).toEqual(((ref as Decoded[])[1] as string[]).sort());
  });

  it('DUMP and RESTORE both ways: listpack payloads byte for byte, hashtable payloads by digest', async () => {
    await p.same('HSET', 'small', 'a', '1', 'b', 'two', 'c', '-3', 'd', 'x'.repeat(40));
    await p.same('HSET', 'big', ...fields(600));
    await p.same('DUMP', 'small');
    for (const key of ['small', 'big']) {
      const [ours, ref] = await Promise.all([p.ours.call('DUMP', key), p.ref.call('DUMP', key)]);
      // Each payload restores on the other server to the same value.
      expect((await p.ref.call('RESTORE', `${key}-ours`, '0', ours.value as string)).value).toEqual({ simple: 'OK' });
      expect((await p.ours.call('RESTORE', `${key}-ours`, '0', ref.value as string)).value).toEqual({ simple: 'OK' });
      await p.same('DEBUG', 'DIGEST-VALUE', `${key}-ours`);
      await p.same('OBJECT', 'ENCODING', `${key}-ours`);
    }
    await p.same('DEBUG', 'DIGEST');
  });
});

/** A flat field/value list as pairs. */
function chunk(items: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

/** The nesting of a reply without its contents: arrays by length, strings as `s`. */
function shapeOf(v: Decoded): string {
  return Array.isArray(v) ? `[${v.map(shapeOf).join(',')}]` : typeof v === 'string' ? 's' : JSON.stringify(v);
}

/**
 * Effects: the commands above run on our broker with a recorder; replaying what it
 * propagated on a fresh redis-server gives the dataset both servers hold.
 */
describe.skipIf(!hasRedisServer())('hash effects replayed on redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG });

  it('HINCRBYFLOAT goes out as HSET with its result; the rest as they are', async () => {
    const { units } = recordEffects(servers.ours.broker.engine);
    const workload = [
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HMSET', 'h', 'c', '3'],
      ['HSETNX', 'h', 'a', 'x'],
      ['HSETNX', 'h', 'd', '4'],
      ['HINCRBY', 'h', 'a', '10'],
      ['HINCRBYFLOAT', 'h', 'f', '1.5'],
      ['HINCRBYFLOAT', 'h', 'f', '0.1'],
      ['HINCRBYFLOAT', 'h', 'x', '1e70'],
      ['HDEL', 'h', 'b', 'nope'],
      ['HDEL', 'h', 'nope'],
      ['HSET', 'gone', 'a', '1'],
      ['HDEL', 'gone', 'a'],
      ['SELECT', '2'],
      ['HSET', 'other', 'k', 'v'],
      ['SELECT', '0'],
    ];
    for (const argv of workload) await p.same(...argv);
    const effects = units.flat();
    expect(effects.map((e) => e.argv.join(' '))).toEqual(expect.arrayContaining(['HSET h f 1.5', 'HSET h f 1.6']));
    expect(effects.map((e) => e.argv[0].toUpperCase())).not.toContain('HINCRBYFLOAT');
    // Commands that changed nothing are not propagated.
    expect(effects.filter((e) => e.argv[0] === 'HSETNX')).toHaveLength(1);
    expect(effects.filter((e) => e.argv.join(' ') === 'HDEL h nope')).toHaveLength(0);
    const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units)).toBe(ours);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
