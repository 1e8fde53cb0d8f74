/**
 * The list family against redis-server, reply for reply, byte for byte: every
 * command, option and error, RESP2 and RESP3 shapes, the generic commands on lists
 * (TYPE, OBJECT ENCODING, COPY, DEBUG DIGEST), the blocking commands where they do
 * not block (data present, argument errors, inside MULTI), and the effects: what our
 * broker propagates, replayed on a fresh redis-server, rebuilds the same dataset.
 * Blocking proper is in list-blocking.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { recordEffects, replayedDigest } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];

describe.skipIf(!hasRedisServer())('list commands vs redis-server', () => {
  const { p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });

  /** Runs each command on both servers and compares the replies. */
  async function same(...commands: string[][]): Promise<void> {
    for (const argv of commands) await p.same(...argv);
  }

  it('LPUSH, RPUSH, LPUSHX, RPUSHX: order, lengths, wrong type, arity', async () => {
    await same(
      ['LPUSH', 'l', 'a', 'b', 'c'],
      ['RPUSH', 'l', 'd', 'e'],
      ['LRANGE', 'l', '0', '-1'],
      ['LPUSHX', 'l', 'x', 'y'],
      ['RPUSHX', 'l', 'z'],
      ['LPUSHX', 'nokey', 'a'],
      ['RPUSHX', 'nokey', 'a', 'b'],
      ['EXISTS', 'nokey'],
      ['LRANGE', 'l', '0', '-1'],
      ['SET', 's', 'v'],
      ['LPUSH', 's', 'a'],
      ['RPUSH', 's', 'a'],
      ['LPUSHX', 's', 'a'],
      ['RPUSHX', 's', 'a'],
      ['LPUSH', 'l'],
      ['RPUSHX', 'l'],
      ['RPUSH', 'bin', '\x00\xff', '', '0', '-1', '01', '9223372036854775808', 'x'.repeat(100)],
      ['LRANGE', 'bin', '0', '-1'],
    );
  });

  it('LLEN, LINDEX, LRANGE: indexes from both ends, out of range, bad numbers', async () => {
    await p.same('RPUSH', 'l', ...Array.from({ length: 300 }, (_, i) => `e${i}`));
    const indexes = ['0', '1', '127', '128', '129', '150', '298', '299', '300', '-1', '-2', '-128', '-129', '-300', '-301',
      '9223372036854775807', '-9223372036854775808', '9223372036854775808', 'x', '1.5', ' 1', '+1', '01', ''];
    await same(['LLEN', 'l'], ['LLEN', 'nokey']);
    for (const i of indexes) await same(['LINDEX', 'l', i], ['LINDEX', 'nokey', i]);
    const bounds = ['0', '-1', '5', '-5', '128', '-300', '-301', '299', '300', '9223372036854775807', '-9223372036854775808', 'x'];
    for (const a of bounds) for (const b of bounds) await same(['LRANGE', 'l', a, b]);
    await same(
      ['LRANGE', 'nokey', '0', '-1'],
      ['LRANGE', 'nokey', 'x', '1'],
      ['SET', 's', 'v'],
      ['LLEN', 's'],
      ['LINDEX', 's', '0'],
      ['LINDEX', 's', 'x'],
      ['LRANGE', 's', '0', '1'],
      ['LRANGE', 's', 'x', '1'],
    );
  });

  it('LPOP and RPOP with and without COUNT, RESP2 and RESP3 nulls', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f'],
        ['LPOP', 'l'],
        ['RPOP', 'l'],
        ['LPOP', 'l', '2'],
        ['RPOP', 'l', '1'],
        ['LPOP', 'l', '0'],
        ['RPOP', 'l', '10'],
        ['EXISTS', 'l'],
        ['LPOP', 'l'],
        ['RPOP', 'l', '0'],
        ['LPOP', 'l', '3'],
        ['LPOP', 'l', '-1'],
        ['LPOP', 'l', 'x'],
        ['RPOP', 'nokey', '-1'],
        ['LPOP', 'l', '1', '2'],
        ['RPOP', 'l', '9223372036854775807'],
        ['RPOP', 'l', '9223372036854775808'],
        ['SET', 's', 'v'],
        ['LPOP', 's'],
        ['RPOP', 's', '0'],
        ['LPOP', 's', 'x'],
        ['RPUSH', 'm', 'a', 'b', 'c'],
        ['RPOP', 'm', '0'],
        ['RPOP', 'm', '5'],
      );
    };
    await run();
    await p.inResp3(async () => {
      await p.same('DEL', 'l', 's', 'm');
      await run();
    });
  });

  it('LINSERT: before and after, missing pivot, options as strcasecmp sees them', async () => {
    await same(
      ['RPUSH', 'l', 'a', 'b', 'c', 'b'],
      ['LINSERT', 'l', 'BEFORE', 'b', 'x'],
      ['LINSERT', 'l', 'after', 'b', 'y'],
      ['LINSERT', 'l', 'After', 'c', 'z'],
      ['LINSERT', 'l', 'before', 'a', 'first'],
      ['LINSERT', 'l', 'after', 'b', 'last'],
      ['LINSERT', 'l', 'before', 'nope', 'x'],
      ['LINSERT', 'l', 'middle', 'a', 'x'],
      ['LINSERT', 'l', 'before\x00junk', 'a', 'nul'],
      ['LINSERT', 'l', 'befor', 'a', 'x'],
      ['LRANGE', 'l', '0', '-1'],
      ['LINSERT', 'nokey', 'before', 'a', 'x'],
      ['LINSERT', 'nokey', 'middle', 'a', 'x'],
      ['EXISTS', 'nokey'],
      ['SET', 's', 'v'],
      ['LINSERT', 's', 'before', 'a', 'x'],
      ['LINSERT', 's', 'middle', 'a', 'x'],
    );
    // Inserting into full chunks in the middle of a long list.
    await p.same('RPUSH', 'long', ...Array.from({ length: 1000 }, (_, i) => String(i % 10)));
    for (const pivot of ['0', '5', '9']) {
      for (let i = 0; i < 40; i++) await p.same('LINSERT', 'long', i % 2 ? 'before' : 'after', pivot, `i${i}`);
    }
    await same(['LRANGE', 'long', '0', '-1'], ['DEBUG', 'DIGEST-VALUE', 'long']);
  });

  it('LSET: indexes from both ends, no such key, out of range', async () => {
    await same(
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LSET', 'l', '0', 'A'],
      ['LSET', 'l', '-1', 'C'],
      ['LSET', 'l', '1', ''],
      ['LSET', 'l', '3', 'x'],
      ['LSET', 'l', '-4', 'x'],
      ['LSET', 'l', '9223372036854775807', 'x'],
      ['LSET', 'l', '-9223372036854775808', 'x'],
      ['LSET', 'l', 'x', 'x'],
      ['LRANGE', 'l', '0', '-1'],
      ['LSET', 'nokey', '0', 'x'],
      ['LSET', 'nokey', 'x', 'x'],
      ['SET', 's', 'v'],
      ['LSET', 's', '0', 'x'],
      ['LSET', 's', 'x', 'x'],
    );
  });

  it('LREM: from the head, from the tail, all; deletes the emptied list', async () => {
    const fill = ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a'];
    await same(fill, ['LREM', 'l', '2', 'a'], ['LRANGE', 'l', '0', '-1']);
    await same(['DEL', 'l'], fill, ['LREM', 'l', '-2', 'a'], ['LRANGE', 'l', '0', '-1']);
    await same(['DEL', 'l'], fill, ['LREM', 'l', '0', 'a'], ['LRANGE', 'l', '0', '-1']);
    await same(['LREM', 'l', '0', 'b'], ['LREM', 'l', '1', 'c'], ['EXISTS', 'l'], ['LREM', 'l', '1', 'c']);
    await same(['DEL', 'l'], fill, ['LREM', 'l', '-9223372036854775808', 'a'], ['LREM', 'l', '9223372036854775807', 'b']);
    await same(['LREM', 'l', 'x', 'a'], ['LREM', 'nokey', 'x', 'a'], ['LREM', 'nokey', '1', 'a'], ['SET', 's', 'v'], ['LREM', 's', '1', 'a'], ['LREM', 's', 'x', 'a']);
    // Across many chunks: every third element, then a few from each end.
    await p.same('RPUSH', 'long', ...Array.from({ length: 2000 }, (_, i) => String(i % 3)));
    await same(['LREM', 'long', '0', '1'], ['LREM', 'long', '300', '0'], ['LREM', 'long', '-300', '2'], ['LLEN', 'long']);
    await same(['LRANGE', 'long', '0', '-1'], ['DEBUG', 'DIGEST-VALUE', 'long']);
  });

  it('LTRIM: ranges from both ends, emptying ranges delete the key', async () => {
    const ranges = [['1', '-2'], ['0', '-1'], ['5', '2'], ['-100', '100'], ['2', '2'], ['100', '200'], ['-1', '-1'], ['0', '0'], ['-3', '-5']];
    for (const [a, b] of ranges) {
      await same(['DEL', 'l'], ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f'], ['LTRIM', 'l', a, b], ['LRANGE', 'l', '0', '-1'], ['EXISTS', 'l']);
    }
    await same(['LTRIM', 'nokey', '0', '1'], ['LTRIM', 'nokey', 'x', '1'], ['LTRIM', 'l', '0', 'x'], ['SET', 's', 'v'], ['LTRIM', 's', '0', '1'], ['LTRIM', 's', 'x', '1']);
    await p.same('RPUSH', 'long', ...Array.from({ length: 1000 }, (_, i) => `v${i}`));
    await same(['LTRIM', 'long', '130', '-260'], ['LLEN', 'long'], ['LINDEX', 'long', '0'], ['LINDEX', 'long', '-1'], ['LRANGE', 'long', '250', '270']);
  });

  it('LPOS: RANK, COUNT, MAXLEN, their errors and the RANK overflow', async () => {
    await p.same('RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a', 'a');
    const options = [
      [], ['RANK', '1'], ['RANK', '2'], ['RANK', '-1'], ['RANK', '-3'], ['RANK', '10'], ['RANK', '-10'],
      ['COUNT', '0'], ['COUNT', '1'], ['COUNT', '2'], ['COUNT', '9'], ['MAXLEN', '0'], ['MAXLEN', '1'], ['MAXLEN', '4'],
      ['RANK', '2', 'COUNT', '2'], ['RANK', '-2', 'COUNT', '0'], ['RANK', '2', 'COUNT', '0', 'MAXLEN', '6'], ['RANK', '-1', 'MAXLEN', '2'],
      ['rank', '1', 'rank', '3'], ['count', '1', 'COUNT', '0'],
      ['RANK', '-9223372036854775808'], ['RANK', '-9223372036854775808', 'COUNT', '1'], ['RANK', '-9223372036854775808', 'COUNT', '2', 'MAXLEN', '5'],
      ['RANK', '-9223372036854775807', 'COUNT', '1'], ['RANK', '9223372036854775807'],
      ['RANK', '0'], ['RANK', 'x'], ['RANK'], ['COUNT', '-1'], ['COUNT', 'x'], ['MAXLEN', '-1'], ['MAXLEN', 'x'], ['foo'], ['COUNT', '-1', 'RANK', '0'],
      ['RANK', '0', 'COUNT', '-1'], ['RANK\x00x', '2'],
    ];
    for (const element of ['a', 'b', 'c', 'z']) for (const o of options) await p.same('LPOS', 'l', element, ...o);
    await same(['LPOS', 'nokey', 'a'], ['LPOS', 'nokey', 'a', 'COUNT', '0'], ['LPOS', 'nokey', 'a', 'RANK', '0'], ['SET', 's', 'v'], ['LPOS', 's', 'a'], ['LPOS', 's', 'a', 'RANK', '0']);
    await p.inResp3(() =>
      same(['LPOS', 'l', 'z'], ['LPOS', 'l', 'a'], ['LPOS', 'nokey', 'a'], ['LPOS', 'nokey', 'a', 'COUNT', '1'], ['LPOS', 'l', 'z', 'COUNT', '1']),
    );
  });

  it('LMOVE and RPOPLPUSH: every direction pair, same key, wrong types', async () => {
    for (const from of ['LEFT', 'right']) {
      for (const to of ['left', 'RIGHT']) {
        await same(['DEL', 'a', 'b'], ['RPUSH', 'a', '1', '2', '3'], ['RPUSH', 'b', 'x'], ['LMOVE', 'a', 'b', from, to], ['LMOVE', 'a', 'new', from, to]);
        await same(['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1'], ['LRANGE', 'new', '0', '-1'], ['DEL', 'new']);
        await same(['LMOVE', 'a', 'a', from, to], ['LRANGE', 'a', '0', '-1']);
      }
    }
    await same(
      ['DEL', 'a', 'b'],
      ['RPUSH', 'a', 'only'],
      ['LMOVE', 'a', 'a', 'left', 'right'],
      ['LRANGE', 'a', '0', '-1'],
      ['RPOPLPUSH', 'a', 'a'],
      ['RPOPLPUSH', 'a', 'b'],
      ['EXISTS', 'a'],
      ['RPOPLPUSH', 'a', 'b'],
      ['LMOVE', 'nokey', 'b', 'left', 'left'],
      ['LMOVE', 'b', 'c', 'up', 'left'],
      ['LMOVE', 'b', 'c', 'left', 'down'],
      ['LMOVE', 'b', 'c', 'left\x00', 'right'],
      ['SET', 's', 'v'],
      ['LMOVE', 'b', 's', 'left', 'left'],
      ['RPOPLPUSH', 'b', 's'],
      ['LMOVE', 's', 'b', 'left', 'left'],
      ['RPOPLPUSH', 's', 'nokey'],
      ['LMOVE', 'nokey', 's', 'left', 'left'],
      ['LRANGE', 'b', '0', '-1'],
    );
  });

  it('LMPOP: numkeys, COUNT, directions, first non-empty key, errors, RESP3', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['RPUSH', 'b', '1', '2', '3', '4'],
        ['RPUSH', 'c', 'x'],
        ['LMPOP', '3', 'a', 'b', 'c', 'LEFT'],
        ['LMPOP', '3', 'a', 'b', 'c', 'right', 'COUNT', '2'],
        ['LMPOP', '2', 'b', 'c', 'left', 'count', '10'],
        ['LMPOP', '2', 'b', 'c', 'left'],
        ['LMPOP', '2', 'b', 'c', 'left'],
        ['LMPOP', '1', 'nokey', 'left'],
        ['LMPOP', '0', 'a', 'left'],
        ['LMPOP', '-1', 'a', 'left'],
        ['LMPOP', 'x', 'a', 'left'],
        ['LMPOP', '2', 'a', 'left'],
        ['LMPOP', '9223372036854775807', 'a', 'left'],
        ['LMPOP', '1', 'a', 'middle'],
        ['LMPOP', '1', 'a', 'left', 'count'],
        ['LMPOP', '1', 'a', 'left', 'count', '0'],
        ['LMPOP', '1', 'a', 'left', 'count', '-1'],
        ['LMPOP', '1', 'a', 'left', 'count', 'x'],
        ['LMPOP', '1', 'a', 'left', 'count', '1', 'count', '1'],
        ['LMPOP', '1', 'a', 'left', 'foo'],
        ['SET', 's', 'v'],
        ['LMPOP', '2', 'nokey', 's', 'left'],
        ['RPUSH', 'l', 'a'],
        ['LMPOP', '2', 'l', 's', 'left'],
        ['LMPOP', '2', 's', 'l', 'left'],
      );
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('blocking commands that find data, get bad arguments, or run inside MULTI', async () => {
    const run = async (): Promise<void> => {
      await same(
        ['RPUSH', 'a', '1', '2', '3'],
        ['RPUSH', 'b', 'x', 'y'],
        ['BLPOP', 'nokey', 'a', '0'],
        ['BRPOP', 'nokey', 'b', 'a', '1.5'],
        ['BRPOPLPUSH', 'a', 'c', '0'],
        ['BLMOVE', 'b', 'c', 'left', 'RIGHT', '0'],
        ['BLMPOP', '0', '2', 'nokey', 'c', 'right', 'COUNT', '5'],
        ['BLMPOP', '0.01', '2', 'nokey', 'a', 'left'],
        ['EXISTS', 'a', 'c'],
        ['SET', 's', 'v'],
        ['RPUSH', 'b', 'z1', 'z2', 'z3'],
        ['BLPOP', 'nokey', 's', 'b', '0'],
        ['BLPOP', 'b', 's', '0'],
        ['BRPOPLPUSH', 's', 'c', '0'],
        ['BRPOPLPUSH', 'b', 's', '0'],
        ['BLMOVE', 'b', 's', 'left', 'left', '0'],
        ['BLMOVE', 's', 'b', 'left', 'left', '0'],
        ['BLMPOP', '0', '2', 'nokey', 's', 'left'],
      );
      // Argument errors, checked before any key is looked at, in redis-server's order.
      for (const t of ['x', '-1', '-0.002', 'inf', '-inf', 'nan', '1e30', '9300000000000000', ' 1', '1 ', '', '9223372036854775.808']) {
        await same(['BLPOP', 's', t], ['BRPOP', 'nokey', t], ['BRPOPLPUSH', 's', 'x', t], ['BLMOVE', 's', 'x', 'left', 'left', t], ['BLMPOP', t, '1', 's', 'left']);
      }
      await same(
        ['BLMOVE', 's', 'x', 'up', 'left', 'x'],
        ['BLMOVE', 's', 'x', 'left', 'up', 'x'],
        ['BLMPOP', 'x', '0', 's', 'left'],
        ['BLMPOP', 'x', '1', 's', 'up'],
        ['BLMPOP', 'x', '1', 's', 'left', 'COUNT', '0'],
        ['BLMPOP', '0', '1', 's', 'left', 'COUNT', '0'],
        ['BLMPOP', '0', '2', 's', 'left'],
        ['BLMPOP', '-1', '1', 's', 'left'],
      );
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('blocking commands inside MULTI answer at once, as after a timeout', async () => {
    const run = async (): Promise<void> => {
      await same(['SET', 's', 'v'], ['MULTI'], ['BLPOP', 'nokey', '0'], ['BRPOP', 'nokey', 'other', '1'], ['BRPOPLPUSH', 'nokey', 'd', '0']);
      await same(['BLMOVE', 'nokey', 'd', 'left', 'left', '0'], ['BLMPOP', '0', '1', 'nokey', 'left'], ['RPUSH', 'q', 'v'], ['BLPOP', 'q', '0']);
      await same(['BLPOP', 's', '0'], ['BLMOVE', 'q', 'd', 'left', 'left', '0'], ['EXEC'], ['EXISTS', 'd', 'q']);
    };
    await run();
    await p.inResp3(async () => {
      await p.same('FLUSHALL');
      await run();
    });
  });

  it('lists in the generic commands: TYPE, OBJECT ENCODING, COPY, RENAME, DEBUG DIGEST', async () => {
    await same(
      ['RPUSH', 'l', 'a', '1', '\x00', '-5', 'xyz'],
      ['TYPE', 'l'],
      ['OBJECT', 'ENCODING', 'l'],
      ['DEBUG', 'DIGEST-VALUE', 'l'],
      ['COPY', 'l', 'k'],
      ['RPUSH', 'k', 'more'],
      ['LRANGE', 'l', '0', '-1'],
      ['LRANGE', 'k', '0', '-1'],
      ['DEBUG', 'DIGEST'],
      ['RENAME', 'k', 'k2'],
      ['LLEN', 'k2'],
      ['DEBUG', 'DIGEST'],
      ['EXPIRE', 'l', '1000'],
      ['DEBUG', 'DIGEST'],
    );
    // SCAN's order follows each server's hash table: compare the keys it finds, sorted.
    await p.same('SET', 'str', 'v');
    const { ours, ref } = await p.both('SCAN', '0', 'TYPE', 'list', 'COUNT', '100');
    const found = (r: typeof ours): unknown => [(r.value as [string, string[]])[0], [...(r.value as [string, string[]])[1]].sort()];
    expect(found(ours)).toEqual(found(ref));
    expect(found(ours)).toEqual(['0', ['k2', 'l']]);
    await p.same('RPUSH', 'big', ...Array.from({ length: 5000 }, (_, i) => 'x'.repeat(i % 50)));
    await same(['OBJECT', 'ENCODING', 'big'], ['DEBUG', 'DIGEST-VALUE', 'big'], ['DEBUG', 'DIGEST']);
  });
});

/**
 * Effects: the commands above run on our broker with a recorder; replaying what it
 * propagated on a fresh redis-server must give the same DEBUG DIGEST as our dataset.
 */
describe.skipIf(!hasRedisServer())('list effects replayed on redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG });

  it('rebuild the dataset: LMPOP as [LR]POP n, blocking forms as their plain ones, no-ops not sent', async () => {
    const { units } = recordEffects(servers.ours.broker.engine);
    const workload = [
      ['RPUSH', 'a', '1', '2', '3', '4', '5', '6'],
      ['LPUSH', 'b', 'x', 'y'],
      ['LPUSHX', 'nokey', 'x'],
      ['LINSERT', 'a', 'before', '3', 'ins'],
      ['LINSERT', 'a', 'before', 'missing', 'ins'],
      ['LSET', 'a', '-1', 'last'],
      ['LREM', 'a', '1', 'ins'],
      ['LREM', 'a', '1', 'missing'],
      ['LTRIM', 'a', '0', '-1'],
      ['LTRIM', 'b', '0', '0'],
      ['LPOP', 'a'],
      ['RPOP', 'a', '2'],
      ['LPOP', 'a', '0'],
      ['LMOVE', 'a', 'c', 'LEFT', 'right'],
      ['RPOPLPUSH', 'c', 'b'],
      ['LMPOP', '2', 'nokey', 'a', 'right', 'COUNT', '9'],
      ['RPUSH', 'd', 'p', 'q', 'r'],
      ['BLPOP', 'nokey', 'd', '0'],
      ['BRPOPLPUSH', 'd', 'e', '0'],
      ['BLMOVE', 'd', 'e', 'left', 'Left', '0'],
      ['RPUSH', 'f', '1', '2', '3'],
      ['BLMPOP', '0', '1', 'f', 'left', 'COUNT', '2'],
      ['BRPOP', 'f', '0'],
      ['SELECT', '3'],
      ['RPUSH', 'g', 'in', 'db3'],
      ['RPOP', 'g'],
    ];
    for (const argv of workload) await p.same(...argv);
    await p.same('SELECT', '0');
    const effects = units.flat();
    const ops = effects.map((e) => e.argv[0].toUpperCase());
    expect(ops).not.toContain('LMPOP');
    expect(ops).not.toContain('BLPOP');
    expect(ops).not.toContain('BRPOPLPUSH');
    expect(ops).not.toContain('BLMOVE');
    expect(ops).not.toContain('BLMPOP');
    expect(effects.map((e) => e.argv.join(' '))).toEqual(expect.arrayContaining(['LPOP d', 'RPOPLPUSH d e', 'LMOVE d e left Left', 'LPOP f 2', 'RPOP a 2']));
    // Our dataset equals the reference's (same), and the replayed one equals both.
    const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units)).toBe(ours);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
