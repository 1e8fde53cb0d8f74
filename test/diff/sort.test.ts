/**
 * SORT and SORT_RO against redis-server, reply for reply, byte for byte, in RESP2 and
 * RESP3: lists, sets (intsets, and hashtable sets whose order is compared only where
 * Redis sorts them), sorted sets; numeric and ALPHA orders, BY patterns (constant,
 * string keys, hash fields, missing keys), GET patterns, LIMIT edge cases, STORE (and
 * its deletion of an empty result), conversion errors, the sorted set's conversion to
 * a skiplist, keyspace events; then random sequences (fast-check) and the effects of
 * SORT ... STORE replayed on a fresh redis-server.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';
import { recordEffects, replayedDigest } from '../harness/effects.js';
import { RawClient } from '../harness/raw.js';

const DEBUG = ['--enable-debug-command', 'yes'];

const SEED = [
  ['RPUSH', 'l', '3', '1', '2', '10', '-1.5', '1e2', '0x10', ' 7'],
  ['RPUSH', 'words', 'pear', 'apple', 'fig', 'Apple', '', 'b\x00z', 'b\x00a', 'ba'],
  ['SADD', 'ints', '5', '3', '9', '-2', '0'],
  ['ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '2', 'bb', '0', '10'],
  ['MSET', 'w_3', '30', 'w_1', '10', 'w_2', '20', 'w_10', '5', 'w_a', '2', 'w_b', '1', 'w_c', '3', 'w_pear', 'x', 'w_fig', '1'],
  ['MSET', 'name_1', 'one', 'name_2', 'two', 'name_3', 'three', 'name_a', 'A', 'name_c', 'C'],
  ['HSET', 'h_1', 'f', '3', 'g', 'gee1'],
  ['HSET', 'h_2', 'f', '1', 'g', 'gee2'],
  ['HSET', 'h_3', 'f', '2'],
  ['HSET', 'h_a', 'f', 'b'],
  ['HSET', 'h_b', 'f', 'a'],
  ['SET', 'str', 'x'],
  ['HSET', 'hash', 'a', '1'],
];

describe.skipIf(!hasRedisServer())('SORT vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });

  it('orders, ALPHA, LIMIT and errors on lists, sets and sorted sets', async () => {
    const commands: string[][] = [...SEED];
    for (const key of ['l', 'words', 'ints', 'z', 'missing']) {
      for (const opts of [[], ['DESC'], ['ALPHA'], ['ALPHA', 'DESC'], ['ASC', 'ALPHA', 'ASC']]) {
        commands.push(['SORT', key, ...opts], ['SORT_RO', key, ...opts]);
        for (const [a, b] of [['0', '2'], ['1', '-1'], ['-5', '3'], ['2', '0'], ['100', '1'], ['3', '100'], ['0', '-2']]) {
          commands.push(['SORT', key, ...opts, 'LIMIT', a, b]);
        }
      }
    }
    commands.push(
      ['SORT', 'l', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'LIMIT', '1', 'x'],
      ['SORT', 'l', 'LIMIT', '1'],
      ['SORT', 'l', 'BY'],
      ['SORT', 'l', 'GET'],
      ['SORT', 'l', 'STORE'],
      ['SORT', 'l', 'BOGUS'],
      ['SORT_RO', 'l', 'STORE', 'dst'],
      ['SORT', 'str'],
      ['SORT', 'hash'],
      ['SORT', 'str', 'BOGUS'],
      ['RPUSH', 'ok', 'inf', '-inf', '', '0', '-0', '1\x00junk', '\t3'],
      ['SORT', 'ok'],
      ['SORT', 'ok', 'DESC'],
      ['RPUSH', 'bad', '1', 'nan'],
      ['SORT', 'bad'],
      ['SORT', 'bad', 'ALPHA'],
      ['RPUSH', 'bad2', '1', '1e400', '  ', '1x'],
      ['SORT', 'bad2'],
    );
    await p.sameInBothProtocols(commands);
    // Alone: redis-server's strtod leaves ERANGE in errno for the rest of the batch.
    await p.same('RPUSH', 'bad3', '1e-400');
    await p.same('SORT', 'bad3');
  });

  it('BY and GET patterns: constant BY, string keys, hash fields, missing keys, #', async () => {
    const commands: string[][] = [...SEED];
    for (const key of ['l', 'ints', 'z', 'words']) {
      for (const by of [['BY', 'nosort'], ['BY', 'w_*'], ['BY', 'h_*->f'], ['BY', 'missing_*'], ['BY', 'h_*->'], ['BY', 'h_*->nofield'], ['BY', 'str*'], ['BY', 'nosort', 'BY', 'w_*']]) {
        for (const opts of [[], ['DESC'], ['ALPHA'], ['LIMIT', '1', '2'], ['DESC', 'LIMIT', '0', '1'], ['ALPHA', 'DESC', 'LIMIT', '1', '10']]) {
          const cmd = ['SORT', key, ...by, ...opts];
          // A sorted set is read in dict order: ties under BY ... ALPHA would show it.
          if (key !== 'z' || !opts.includes('ALPHA') || by[1] === 'nosort') commands.push(cmd);
        }
      }
      commands.push(
        ['SORT', key, 'BY', 'w_*', 'GET', '#', 'GET', 'name_*', 'GET', 'h_*->g', 'GET', 'nostar', 'GET', 'h_*->f'],
        ['SORT', key, 'BY', 'nosort', 'GET', 'name_*', 'LIMIT', '0', '2'],
        ['SORT', key, 'ALPHA', 'GET', '#', 'GET', '#'],
        ['SORT', key, 'ALPHA', 'GET', 'w_*', 'GET', 'hash->a'],
        ['SORT_RO', key, 'BY', 'h_*->f', 'GET', 'h_*->g'],
      );
    }
    // Sorting the same list by a key that names its element (BY *) and GET *.
    commands.push(['RPUSH', 'keys', 'w_1', 'w_2', 'name_1', 'h_1'], ['SORT', 'keys', 'BY', '*', 'ALPHA', 'GET', '*'], ['SORT', 'keys', 'BY', '*', 'GET', '*']);
    await p.sameInBothProtocols(commands);
  });

  it('STORE: the list stored, an empty result deletes, sets with a constant BY sorted, events', async () => {
    const [oursSub, refSub] = await Promise.all([RawClient.connect(servers.ours.port), RawClient.connect(servers.ref.port)]);
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    try {
      for (const sub of [oursSub, refSub]) await sub.call('PSUBSCRIBE', '__keyevent@0__:*');
      await p.samePipeline([
        ...SEED,
        ['SADD', 'words', 'pear', 'apple', 'fig', 'Apple', 'kiwi'],
        ['SORT', 'l', 'STORE', 'dst'],
        ['LRANGE', 'dst', '0', '-1'],
        ['OBJECT', 'ENCODING', 'dst'],
        ['SORT', 'words', 'BY', 'nosort', 'STORE', 'dst2'],
        ['LRANGE', 'dst2', '0', '-1'],
        ['SORT', 'words', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2', 'STORE', 'dst2'],
        ['LRANGE', 'dst2', '0', '-1'],
        ['SORT', 'ints', 'BY', 'w_*', 'GET', '#', 'GET', 'name_*', 'STORE', 'dst3'],
        ['LRANGE', 'dst3', '0', '-1'],
        ['SORT', 'z', 'ALPHA', 'GET', 'h_*->g', 'STORE', 'dst3'],
        ['LRANGE', 'dst3', '0', '-1'],
        ['SORT', 'missing', 'STORE', 'dst3'],
        ['EXISTS', 'dst3'],
        ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'dst'],
        ['EXISTS', 'dst'],
        ['SORT', 'l', 'STORE', 'str'],
        ['TYPE', 'str'],
        ['SORT', 'bad', 'STORE', 'dst'],
        ['SORT', 'l', 'STORE', 'l'],
        ['LRANGE', 'l', '0', '-1'],
        ['SET', 'last', '1'],
      ]);
      const events = async (sub: RawClient): Promise<string[]> => {
        const out: string[] = [];
        for (;;) {
          const text = (await sub.read()).raw.toString('latin1');
          if (text.includes('last')) return out;
          out.push(text);
        }
      };
      const [ours, ref] = await Promise.all([events(oursSub), events(refSub)]);
      expect(ours).toEqual(ref);
    } finally {
      oursSub.close();
      refSub.close();
      await p.same('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('a listpack sorted set becomes a skiplist when sorted', async () => {
    await p.samePipeline([
      ['ZADD', 'z', '1', 'a', '2', 'b'],
      ['OBJECT', 'ENCODING', 'z'],
      ['SORT', 'z', 'BY', 'nosort'],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'z2', '1', 'a'],
      ['SORT_RO', 'z2', 'LIMIT', '5', '1'],
      ['OBJECT', 'ENCODING', 'z2'],
      ['DEBUG', 'DIGEST-VALUE', 'z', 'z2'],
    ]);
  });

  it('random sequences match (fast-check)', async () => {
    const KEY = '\u0001';
    const key = fc.constantFrom('l', 's', 'z', 'x').map((k) => KEY + k);
    const element = fc.constantFrom('1', '2', '3', '10', '-1', '1.5', 'a', 'b', 'B', '', ' 4', 'nan', 'inf', '07');
    const pattern = fc.constantFrom('nosort', 'w_*', 'h_*->f', 'missing_*', '#', 'w_*->f', '*');
    const options = fc.record({
      by: fc.option(pattern, { nil: undefined }),
      gets: fc.array(pattern, { maxLength: 2 }),
      desc: fc.boolean(),
      alpha: fc.boolean(),
      limit: fc.option(fc.tuple(fc.constantFrom('0', '1', '-1', '3'), fc.constantFrom('0', '1', '2', '-1', '10')), { nil: undefined }),
      store: fc.boolean(),
    });
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(key, fc.array(element, { minLength: 1, maxLength: 5 })).map(([k, es]) => ['RPUSH', k.slice(0, -1) + 'l', ...es]),
      fc.tuple(key, fc.array(fc.constantFrom('1', '2', '3', '10', '-1', '42'), { minLength: 1, maxLength: 4 })).map(([k, es]) => ['SADD', k.slice(0, -1) + 's', ...es]),
      fc.tuple(key, fc.array(fc.tuple(fc.constantFrom('1', '2', '0', '-1'), element), { minLength: 1, maxLength: 4 })).map(([k, ps]) => ['ZADD', k.slice(0, -1) + 'z', ...ps.flat()]),
      fc.tuple(element, element).map(([e, v]) => ['SET', 'w_' + e, v]),
      fc.tuple(element, element).map(([e, v]) => ['HSET', 'h_' + e, 'f', v]),
      {
        weight: 4,
        arbitrary: fc.tuple(key, options).map(([k, o]) => {
          // A set's order shows only when Redis sorts it (not with a constant BY, unless STORE),
          // and a hashtable's or sorted set's read order in ties under BY ... ALPHA.
          const by = o.by === 'nosort' && k.endsWith('s') && !o.store ? 'w_*' : o.by;
          const alpha = o.alpha && (k.endsWith('l') || by === undefined || by === 'nosort');
          return [
            o.store ? 'SORT' : 'SORT_RO',
            k,
            ...(by === undefined ? [] : ['BY', by]),
            ...o.gets.flatMap((g) => ['GET', g]),
            ...(o.desc ? ['DESC'] : []),
            ...(alpha ? ['ALPHA'] : []),
            ...(o.limit === undefined ? [] : ['LIMIT', ...o.limit]),
            ...(o.store ? ['STORE', KEY + 'dst'] : []),
          ];
        }),
      },
      fc.constant<string[]>(['LRANGE', KEY + 'dst', '0', '-1']),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        const prefix = `r${run++}:`;
        await p.samePipeline([['FLUSHALL'], ...commands.map((c) => c.map((a) => a.split(KEY).join(prefix))), ['DEBUG', 'DIGEST']]);
      }),
      { numRuns: 150, seed: 1616 },
    );
  });

  it('SORT ... STORE effects replayed on a fresh redis-server rebuild the dataset', async () => {
    const recorded = recordEffects(servers.ours.broker.engine);
    try {
      await p.samePipeline([
        ...SEED,
        ['SADD', 'words', 'pear', 'apple', 'fig'],
        ['SORT', 'l', 'STORE', 'd1'],
        ['SORT', 'words', 'BY', 'nosort', 'STORE', 'd2'],
        ['SORT', 'ints', 'BY', 'w_*', 'GET', 'name_*', 'STORE', 'd3'],
        ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'd1'],
        ['SORT', 'l'],
      ]);
      const expected = (await p.ref.call('DEBUG', 'DIGEST')).raw.toString();
      expect(await replayedDigest(recorded.units)).toBe(expected);
    } finally {
      recorded.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
