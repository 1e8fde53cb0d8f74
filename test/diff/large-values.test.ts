/**
 * Values above the broker's threshold for keeping them as bytes (1 MiB: LargeString)
 * against redis-server, at a few MB so that replies can be compared byte for byte:
 * every command that takes or reads a string value, transactions that change one
 * several times (their effects must carry each step's bytes), and a reload from the
 * AOF. test/server/large-values.test.ts covers the real 512 MB sizes.
 */
import { describe, it } from 'vitest';
import { DiffPair, diffSuite } from '../harness/diff.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';

/** Distinct bytes of every value, a little over 1 MiB and more. */
function value(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + seed * 13 + (i >> 10)) & 0xff;
  return b;
}

const A = value(1024 * 1024 + 1, 1);
const B = value(2 * 1024 * 1024 + 3, 2);
const C = value(3 * 1024 * 1024, 3);

async function all(p: DiffPair, commands: (string | Buffer)[][]): Promise<void> {
  for (const argv of commands) await p.same(...argv);
}

describe.skipIf(!hasRedisServer())('long values (kept as bytes) vs redis-server', () => {
  const { p } = diffSuite({ ours: ['--enable-debug-command', 'yes', '--appendonly', 'yes'], ref: ['--enable-debug-command', 'yes'] });

  it('SET and its variants, GET, GETSET, GETDEL, GETEX, MSET, MSETNX, COPY', async () => {
    await all(p, [
      ['SET', 'a', A],
      ['GET', 'a'],
      ['TYPE', 'a'],
      ['OBJECT', 'ENCODING', 'a'],
      ['SET', 'a', B, 'GET'],
      ['SET', 'a', C, 'XX', 'PX', '100000', 'GET'],
      ['SET', 'b', A, 'NX'],
      ['SETNX', 'b', B],
      ['SETNX', 'c', B],
      ['SETEX', 'd', '100', C],
      ['PSETEX', 'e', '100000', A],
      ['GETSET', 'c', A],
      ['GETEX', 'c', 'PERSIST'],
      ['GETEX', 'd', 'EX', '50'],
      ['TTL', 'd'],
      ['MSET', 'm1', A, 'm2', 'small', 'm3', C],
      ['MGET', 'm1', 'm2', 'm3', 'nothing'],
      ['MSETNX', 'm4', B, 'm1', A],
      ['MSETNX', 'm4', B, 'm5', C],
      ['COPY', 'm5', 'm6'],
      ['GET', 'm6'],
      ['GETDEL', 'm5'],
      ['EXISTS', 'm5'],
      ['STRLEN', 'm4'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('APPEND and SETRANGE grow values across the threshold and in place, GETRANGE reads them', async () => {
    await all(p, [
      ['SET', 'g', 'small'],
      ['APPEND', 'g', A],
      ['APPEND', 'g', 'tail'],
      ['APPEND', 'g', B],
      ['STRLEN', 'g'],
      ['GETRANGE', 'g', '1048570', '1048590'],
      ['GETRANGE', 'g', '-5', '-1'],
      ['GETRANGE', 'g', '0', '-1'],
      ['SETRANGE', 'g', '10', 'patch'],
      ['SETRANGE', 'g', '4000000', 'beyond'],
      ['STRLEN', 'g'],
      ['GETRANGE', 'g', '3145000', '3145800'],
      ['SETRANGE', 'h', '1048577', 'x'],
      ['SETRANGE', 'h', '0', C],
      ['GET', 'h'],
      ['SETRANGE', 'i', '3', A],
      ['GET', 'i'],
      ['APPEND', 'j', B],
      ['OBJECT', 'ENCODING', 'j'],
      ['INCR', 'j'],
      ['INCRBYFLOAT', 'j', '1'],
      ['LCS', 'j', 'missing'],
      ['LCS', 'j', 'missing', 'IDX'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('a transaction that sets a long value then changes it keeps each step in its effects (the AOF replays them)', async () => {
    await all(p, [
      ['MULTI'],
      ['SET', 't', A],
      ['APPEND', 't', 'x'],
      ['SETRANGE', 't', '0', 'head'],
      ['SET', 'u', B],
      ['SETRANGE', 'u', '5', 'in place'],
      ['GET', 't'],
      ['EXEC'],
      ['GET', 'u'],
      ['DEBUG', 'DIGEST'],
    ]);
    // Replayed from our AOF, the dataset must be what redis-server holds.
    await p.ours.call('DEBUG', 'LOADAOF');
    await p.same('DEBUG', 'DIGEST');
  });

  it('long arguments of commands that take no value are strings, as before', async () => {
    await all(p, [
      ['RPUSH', 'list', A, 'x', B],
      ['LRANGE', 'list', '0', '-1'],
      ['LPOS', 'list', B],
      ['EXISTS', A],
      ['SET', A, 'key longer than a MiB'],
      ['GET', A],
      ['ECHO', C],
      ['DEBUG', 'DIGEST'],
    ]);
  });
});
if (!hasRedisServer()) console.warn(NO_REDIS);
