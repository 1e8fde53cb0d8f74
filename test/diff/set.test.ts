/**
 * The set family against redis-server, reply for reply, byte for byte where the order
 * is redis-server's to reproduce (intsets are sorted; a hashtable's order is its
 * dict's, so those replies are compared by content): every command, option and error,
 * RESP2 and RESP3 shapes, the encodings, the generic commands on sets, DUMP/RESTORE
 * both ways, and the effects (SPOP as SREM or DEL) replayed on a fresh redis-server.
 */
import { describe, expect, it } from 'vitest';
import type { Decoded } from '../../protocol/decoder.js';
import { recordEffects, replayedDigest } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite, suiteServers } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const ints = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => String(from + i));
const words = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The members of a reply (an array, or a RESP3 set), sorted. */
function sortedMembers(v: Decoded): string[] {
  const items = Array.isArray(v) ? v : (v as { set: Decoded[] }).set;
  return (items as string[]).slice().sort();
}

describe.skipIf(!hasRedisServer())('set commands vs redis-server', () => {
  const { p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });

  async function same(...commands: string[][]): Promise<void> {
    for (const argv of commands) await p.same(...argv);
  }

  /** Runs on both; the replies must hold the same members, in any order, and be of the same kind. */
  async function sameMembers(...argv: string[]): Promise<void> {
    const { ours, ref } = await p.both(...argv);
    expect(ours.raw[0], argv.join(' ')).toBe(ref.raw[0]);
    expect(sortedMembers(ours.value), argv.join(' ')).toEqual(sortedMembers(ref.value));
  }

  it('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS: intsets sorted, arity, wrong type', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['SADD', 's', '5', '-3', '100000', '5', '0'],
        ['SMEMBERS', 's'],
        ['SADD', 's', '9223372036854775807', '-9223372036854775808'],
        ['SMEMBERS', 's'],
        ['SCARD', 's'],
        ['SCARD', 'nokey'],
        ['SISMEMBER', 's', '5'],
        ['SISMEMBER', 's', '6'],
        ['SISMEMBER', 'nokey', '5'],
        ['SMISMEMBER', 's', '5', '6', '-3'],
        ['SMISMEMBER', 'nokey', '5', '6'],
        ['SMEMBERS', 'nokey'],
        ['SREM', 's', '5', '5', '77'],
        ['SREM', 'nokey', 'a'],
        ['SREM', 's', '-3', '100000', '9223372036854775807', '-9223372036854775808', '0'],
        ['EXISTS', 's'],
        ['SADD', 'w', 'b', 'a', '\x00\xff', ''],
        ['SCARD', 'w'],
        ['SISMEMBER', 'w', ''],
        ['SADD', 's'],
        ['SREM', 's'],
        ['SISMEMBER', 's'],
        ['SMISMEMBER', 's'],
        ['SET', 'str', 'v'],
        ['SADD', 'str', 'a'],
        ['SREM', 'str', 'a'],
        ['SCARD', 'str'],
        ['SISMEMBER', 'str', 'a'],
        ['SMISMEMBER', 'str', 'a'],
        ['SMEMBERS', 'str'],
        ['SPOP', 'str'],
        ['SPOP', 'str', '1'],
        ['SRANDMEMBER', 'str'],
        ['SRANDMEMBER', 'str', '1'],
        ['SMOVE', 'str', 'w', 'a'],
        ['SMOVE', 'w', 'str', 'a'],
        ['SINTER', 'w', 'str'],
        ['SUNION', 'w', 'str'],
        ['SDIFF', 'w', 'str'],
        ['SINTERCARD', '1', 'str'],
        ['SSCAN', 'str', '0'],
      );
      await sameMembers('SMEMBERS', 'w');
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('encodings: intset up to 512 integers, hashtable for a non-integer or past the limit, for good; set-max-intset-entries', async () => {
    await p.same('SADD', 'i', ...ints(512));
    await same(
      ['OBJECT', 'ENCODING', 'i'],
      ['SADD', 'i', '512'],
      ['OBJECT', 'ENCODING', 'i'],
      ['SREM', 'i', '0', '1', '2'],
      ['OBJECT', 'ENCODING', 'i'],
      ['SADD', 'a', '1', '2'],
      ['SADD', 'a', 'x'],
      ['SREM', 'a', 'x'],
      ['OBJECT', 'ENCODING', 'a'],
      ['SADD', 'b', 'x'],
      ['OBJECT', 'ENCODING', 'b'],
      ['SADD', 'c', '007', '+1', ' 1', '1.0', '-0'],
      ['OBJECT', 'ENCODING', 'c'],
      ['SADD', 'd', '-9223372036854775808', '9223372036854775807'],
      ['OBJECT', 'ENCODING', 'd'],
      ['SADD', 'e', '9223372036854775808'],
      ['OBJECT', 'ENCODING', 'e'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '2'],
      ['SADD', 'f', '1', '2'],
      ['OBJECT', 'ENCODING', 'f'],
      ['SADD', 'f', '3'],
      ['OBJECT', 'ENCODING', 'f'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
    );
  });

  it('SPOP and SRANDMEMBER: errors, RESP2 and RESP3 shapes, whole sets in intset order', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['SPOP', 'nokey'],
        ['SPOP', 'nokey', '2'],
        ['SPOP', 'nokey', '0'],
        ['SPOP', 'nokey', '-1'],
        ['SPOP', 'nokey', 'x'],
        ['SRANDMEMBER', 'nokey'],
        ['SRANDMEMBER', 'nokey', '3'],
        ['SRANDMEMBER', 'nokey', '-3'],
        ['SRANDMEMBER', 'nokey', 'x'],
        ['SADD', 's', '3', '1', '2'],
        ['SPOP', 's', '0'],
        ['SPOP', 's', '-1'],
        ['SPOP', 's', 'x'],
        ['SPOP', 's', '1', '2'],
        ['SPOP', 's', '1.5'],
        ['SRANDMEMBER', 's', '0'],
        ['SRANDMEMBER', 's', '3'],
        ['SRANDMEMBER', 's', '10'],
        ['SRANDMEMBER', 's', '9223372036854775807'],
        ['SRANDMEMBER', 's', '-9223372036854775808'],
        ['SRANDMEMBER', 's', 'x'],
        ['SRANDMEMBER', 's', '1', '2'],
        ['SCARD', 's'],
        ['SPOP', 's', '3'],
        ['EXISTS', 's'],
        ['SADD', 't', '3', 'x', '1', '2'],
        ['SREM', 't', 'x'],
        ['OBJECT', 'ENCODING', 't'],
        ['SPOP', 't', '9223372036854775807'],
        ['EXISTS', 't'],
      );
      await p.same('SADD', 'r', ...words(20));
      for (const argv of [['SRANDMEMBER', 'r', '5'], ['SRANDMEMBER', 'r', '-25'], ['SRANDMEMBER', 'r', '15']]) {
        const { ours, ref } = await p.both(...argv);
        expect(ours.raw[0]).toBe(ref.raw[0]);
        const picked = ours.value as string[];
        expect(picked.length).toBe((ref.value as string[]).length);
        for (const m of picked) expect(m).toMatch(/^m\d+$/);
        if (!argv[2].startsWith('-')) expect(new Set(picked).size).toBe(picked.length);
      }
      const [ours, ref] = await Promise.all([p.ours.call('SPOP', 'r', '4'), p.ref.call('SPOP', 'r', '4')]);
      expect(ours.raw[0]).toBe(ref.raw[0]);
      expect(new Set(sortedMembers(ours.value)).size).toBe(4);
      await p.same('SCARD', 'r');
      // The rest, whatever each server kept: a set reply of all 16, and the key gone.
      const rest = await p.both('SPOP', 'r', '16');
      expect(rest.ours.raw[0]).toBe(rest.ref.raw[0]);
      expect(sortedMembers(rest.ours.value)).toHaveLength(16);
      await p.same('EXISTS', 'r');
      const single = await p.ours.call('SRANDMEMBER', 's2');
      expect(single.value).toBe(null);
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('SMOVE: between sets, to a new key, same key, missing member, emptying the source', async () => {
    await same(
      ['SADD', 'a', '1', '2', 'x'],
      ['SADD', 'b', '3'],
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'new', '2'],
      ['OBJECT', 'ENCODING', 'new'],
      ['SMOVE', 'a', 'a', 'x'],
      ['SMOVE', 'a', 'a', 'nope'],
      ['SMOVE', 'nokey', 'a', 'x'],
      ['SADD', 'b', 'x'],
      ['SMOVE', 'a', 'b', 'x'],
      ['EXISTS', 'a'],
      ['SMEMBERS', 'new'],
      ['SET', 'str', 'v'],
      ['SMOVE', 'b', 'str', '3'],
      ['SMOVE', 'str', 'b', '3'],
      ['SMOVE', 'nokey', 'str', '3'],
      ['SCARD', 'b'],
    );
    await sameMembers('SMEMBERS', 'b');
  });

  it('SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD with LIMIT: intset results byte for byte', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['SADD', 'a', '1', '2', '3', '4', '5'],
        ['SADD', 'b', '4', '5', '6'],
        ['SADD', 'c', '5', '4', '9'],
        ['SADD', 'w', 'x', 'y', '4'],
        ['SINTER', 'a', 'b', 'c'],
        ['SINTER', 'a'],
        ['SINTER', 'a', 'nokey'],
        ['SINTER', 'nokey', 'a'],
        ['SINTER', 'a', 'w'],
        ['SUNION', 'a', 'b', 'c'],
        ['SUNION', 'nokey'],
        ['SUNION', 'nokey', 'a'],
        ['SDIFF', 'a', 'b', 'c'],
        ['SDIFF', 'a', 'nokey'],
        ['SDIFF', 'nokey', 'a'],
        ['SDIFF', 'a', 'a'],
        ['SDIFF', 'b', 'a', 'w'],
        ['SINTERSTORE', 'd', 'a', 'b'],
        ['SMEMBERS', 'd'],
        ['OBJECT', 'ENCODING', 'd'],
        ['SINTERSTORE', 'd', 'a', 'nokey'],
        ['EXISTS', 'd'],
        ['SINTERSTORE', 'd', 'a', 'nokey'],
        ['SUNIONSTORE', 'u', 'a', 'b', 'nokey'],
        ['SMEMBERS', 'u'],
        ['SUNIONSTORE', 'u', 'nokey'],
        ['EXISTS', 'u'],
        ['SDIFFSTORE', 'e', 'a', 'b'],
        ['SMEMBERS', 'e'],
        ['SDIFFSTORE', 'e', 'a', 'a'],
        ['EXISTS', 'e'],
        ['SET', 'str', 'v'],
        ['EXPIRE', 'a', '100'],
        ['SUNIONSTORE', 'str', 'a', 'b'],
        ['TYPE', 'str'],
        ['SINTERSTORE', 'a', 'a', 'c'],
        ['TTL', 'a'],
        ['SINTER', 'a', 'str'],
        ['SINTER', 'nokey', 'str'],
        ['SUNION', 'a', 'str'],
        ['SDIFF', 'nokey', 'str'],
        ['SINTERSTORE', 'x', 'str'],
        ['SINTERCARD', '3', 'a', 'b', 'c'],
        ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
        ['SINTERCARD', '2', 'a', 'b', 'limit', '0'],
        ['SINTERCARD', '1', 'nokey'],
        ['SINTERCARD', '1', 'str'],
        ['SINTERCARD', '0', 'a'],
        ['SINTERCARD', '-1', 'a'],
        ['SINTERCARD', 'x', 'a'],
        ['SINTERCARD', '3', 'a', 'b'],
        ['SINTERCARD', '1', 'a', 'LIMIT'],
        ['SINTERCARD', '1', 'a', 'LIMIT', '-1'],
        ['SINTERCARD', '1', 'a', 'LIMIT', 'x'],
        ['SINTERCARD', '1', 'a', 'FOO', '1'],
        ['SINTERCARD', '1', 'a', 'b'],
        ['SINTER'],
        ['SINTERSTORE', 'd'],
      );
      await sameMembers('SUNION', 'a', 'w');
      await sameMembers('SINTER', 'w', 'b');
      await sameMembers('SDIFF', 'w', 'b');
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('SSCAN: an intset whole in one call, MATCH, errors; a hashtable set scanned to the end', async () => {
    await same(
      ['SADD', 's', '10', '2', '13', '1'],
      ['SSCAN', 's', '0'],
      ['SSCAN', 's', '0', 'MATCH', '1*'],
      ['SSCAN', 's', '0', 'COUNT', '1'],
      ['SSCAN', 's', 'x'],
      ['SSCAN', 's', '0', 'COUNT', '0'],
      ['SSCAN', 's', '0', 'TYPE', 'set'],
      ['SSCAN', 'nokey', '0'],
    );
    await p.same('SADD', 'big', ...words(1000));
    for (const client of [p.ours, p.ref]) {
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const reply = (await client.call('SSCAN', 'big', cursor, 'COUNT', '30', 'MATCH', 'm2*')).value as [string, string[]];
        cursor = reply[0];
        for (const m of reply[1]) seen.add(m);
      } while (cursor !== '0');
      expect(seen.size).toBe(111);
    }
  });

  it('TYPE, COPY, RENAME, MOVE, DEBUG DIGEST; DUMP and RESTORE both ways', async () => {
    await p.same('SADD', 'big', ...words(700));
    await p.same('SADD', 'wide', '1', '70000', '-5000000000');
    await same(
      ['SADD', 's', '1', '2', '3'],
      ['SADD', 'h', 'a', 'b'],
      ['TYPE', 's'],
      ['COPY', 's', 's2'],
      ['SADD', 's2', '4'],
      ['SMEMBERS', 's'],
      ['SMEMBERS', 's2'],
      ['COPY', 'big', 'big2'],
      ['SREM', 'big2', 'm1'],
      ['SCARD', 'big'],
      ['RENAME', 's2', 's3'],
      ['MOVE', 's3', '1'],
      ['SELECT', '1'],
      ['SMEMBERS', 's3'],
      ['SELECT', '0'],
      ['DUMP', 's'],
      ['DUMP', 'wide'],
      ['DEBUG', 'DIGEST-VALUE', 'big'],
      ['DEBUG', 'DIGEST-VALUE', 'h'],
      ['DEBUG', 'DIGEST'],
    );
    for (const key of ['s', 'h', 'big', 'wide']) {
      const [ours, ref] = await Promise.all([p.ours.call('DUMP', key), p.ref.call('DUMP', key)]);
      expect((await p.ref.call('RESTORE', `${key}-ours`, '0', ours.value as string)).value).toEqual({ simple: 'OK' });
      expect((await p.ours.call('RESTORE', `${key}-ours`, '0', ref.value as string)).value).toEqual({ simple: 'OK' });
      await same(['DEBUG', 'DIGEST-VALUE', `${key}-ours`], ['OBJECT', 'ENCODING', `${key}-ours`]);
    }
    await p.same('DEBUG', 'DIGEST');
  });
});

describe.skipIf(!hasRedisServer())('WATCH, SCAN TYPE and DEBUG RELOAD with hashes and sets', () => {
  const servers = suiteServers({ ours: DEBUG, ref: DEBUG });

  it('a change by another client fails the EXEC; a command that changed nothing does not', async () => {
    const [p, other] = [await servers.pair(), await servers.pair()];
    await p.same('FLUSHALL');
    await p.same('HSET', 'h', 'a', '1');
    await p.same('SADD', 's', '1', '2');
    const changes = [
      ['HSET', 'h', 'a', '2'],
      ['HINCRBY', 'h', 'n', '1'],
      ['HDEL', 'h', 'n'],
      ['SADD', 's', '3'],
      ['SREM', 's', '3'],
      ['SMOVE', 's', 't', '1'],
      ['SINTERSTORE', 'h', 's', 's'],
    ];
    const noChanges = [['HDEL', 'h', 'nope'], ['SREM', 's', 'nope'], ['SADD', 's', '2'], ['HSETNX', 'h', 'a', 'x'], ['SMOVE', 's', 'u', 'nope']];
    for (const [argv, expectChange] of [...changes.map((c) => [c, true] as const), ...noChanges.map((c) => [c, false] as const)]) {
      const key = argv[0] === 'SINTERSTORE' || argv[0].startsWith('H') ? 'h' : 's';
      await p.same('WATCH', key);
      await other.same(...argv);
      await p.same('MULTI');
      await p.same('PING');
      const exec = await p.same('EXEC');
      expect(exec.value === null, JSON.stringify(argv)).toBe(expectChange);
    }
  });

  it('SCAN TYPE finds them; DEBUG RELOAD keeps contents and encodings', async () => {
    const p = await servers.pair();
    await p.same('FLUSHALL');
    await p.same('HSET', 'hs', 'a', '1');
    await p.same('HSET', 'hb', 'f', 'x'.repeat(80));
    await p.same('SADD', 'si', '1', '2');
    await p.same('SADD', 'sw', 'w');
    await p.same('SET', 'str', 'v');
    for (const type of ['hash', 'set']) {
      const { ours, ref } = await p.both('SCAN', '0', 'TYPE', type, 'COUNT', '100');
      expect(((ours.value as Decoded[])[1] as string[]).sort()).toEqual(((ref.value as Decoded[])[1] as string[]).sort());
    }
    const digest = await p.same('DEBUG', 'DIGEST');
    await p.same('DEBUG', 'RELOAD');
    expect((await p.same('DEBUG', 'DIGEST')).raw).toEqual(digest.raw);
    for (const key of ['hs', 'hb', 'si', 'sw']) await p.same('OBJECT', 'ENCODING', key);
  });
});

describe.skipIf(!hasRedisServer())('set effects replayed on redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG });

  it('SPOP goes out as SREM per member or as DEL; the rest as they are; the replay gives the same dataset', async () => {
    const { units } = recordEffects(servers.ours.broker.engine);
    // SPOP picks at random: the two servers diverge, so the workload runs on ours alone.
    const workload = [
      ['SADD', 's', ...ints(30)],
      ['SPOP', 's'],
      ['SPOP', 's', '5'],
      ['SPOP', 's', '0'],
      ['SADD', 'w', ...words(10)],
      ['SPOP', 'w', '20'],
      ['SADD', 'a', '1', '2', '3'],
      ['SADD', 'b', '3', '4'],
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'b', '1'],
      ['SINTERSTORE', 'i', 'a', 'b'],
      ['SUNIONSTORE', 'u', 'a', 'b', 's'],
      ['SDIFFSTORE', 'd', 's', 'a'],
      ['SDIFFSTORE', 'd', 'nokey', 'a'],
      ['SREM', 'b', '4', 'nope'],
      ['SELECT', '3'],
      ['SADD', 'other', 'x'],
      ['SPOP', 'other'],
      ['SELECT', '0'],
    ];
    for (const argv of workload) await p.ours.call(...argv);
    const effects = units.flat();
    const texts = effects.map((e) => e.argv.join(' '));
    expect(effects.map((e) => e.argv[0])).not.toContain('SPOP');
    expect(texts).toContain('DEL w');
    expect(effects.filter((e) => e.argv[0] === 'SREM' && e.argv[1] === 's')).toHaveLength(6);
    // The five members of one SPOP go out together, in one unit (MULTI/EXEC in the AOF).
    expect(units.some((u) => u.length === 5 && u.every((e) => e.argv[0] === 'SREM'))).toBe(true);
    expect(effects.filter((e) => e.argv[0] === 'SMOVE')).toHaveLength(1);
    const ours = (await p.ours.call('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units)).toBe(ours);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
