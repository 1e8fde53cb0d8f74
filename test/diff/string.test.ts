/**
 * The string family against a real redis-server, reply bytes compared: every
 * command and option, every error, int64 and long double edge cases, binary and
 * empty values, RESP3 shapes. Then the effects our engine propagates for each
 * rewritten command (checked against redis-server's AOF by hand: see string.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { diffSuite, type DiffPair } from '../harness/diff.js';

type Argv = (string | Buffer)[];

const I64_MAX = '9223372036854775807';
const I64_MIN = '-9223372036854775808';

/** Runs each command on both servers, expecting identical replies. */
async function all(p: DiffPair, commands: Argv[]): Promise<void> {
  for (const argv of commands) await p.same(...argv);
}

describe.skipIf(!hasRedisServer())('string commands vs redis-server', () => {
  const { servers, p } = diffSuite();

  it('GET and SET: plain, binary, empty, overwrite, missing', async () => {
    await all(p, [
      ['GET', 'g:missing'],
      ['SET', 'g:k', 'v'],
      ['GET', 'g:k'],
      ['SET', 'g:k', ''],
      ['GET', 'g:k'],
      ['SET', 'g:bin', '\x00\xff\r\n\x7f'],
      ['GET', 'g:bin'],
      ['SET', '\x00key\xff', 'x'],
      ['GET', '\x00key\xff'],
      ['SET', 'g:big', 'x'.repeat(100_000)],
      ['GET', 'g:big'],
      ['STRLEN', 'g:big'],
      ['set', 'g:k', 'lower'],
      ['get', 'g:k'],
    ]);
  });

  it('SET NX, XX, GET and KEEPTTL combinations', async () => {
    await all(p, [
      ['SET', 's:a', '1', 'NX'],
      ['SET', 's:a', '2', 'NX'],
      ['GET', 's:a'],
      ['SET', 's:a', '3', 'XX'],
      ['SET', 's:none', '3', 'XX'],
      ['EXISTS', 's:none'],
      ['SET', 's:a', '4', 'GET'],
      ['SET', 's:new', '4', 'GET'],
      ['GET', 's:new'],
      ['SET', 's:a', '5', 'NX', 'GET'],
      ['GET', 's:a'],
      ['SET', 's:b', '5', 'NX', 'GET'],
      ['GET', 's:b'],
      ['SET', 's:c', '5', 'XX', 'GET'],
      ['EXISTS', 's:c'],
      ['SET', 's:a', '6', 'XX', 'GET'],
      ['SET', 's:a', '7', 'nx', 'nx'],
      ['SET', 's:a', '8', 'xx', 'xx', 'get', 'GeT'],
      ['SET', 's:a', '9', 'KEEPTTL'],
      ['SET', 's:a', '10', 'keepttl', 'KEEPTTL', 'GET'],
      ['GET', 's:a'],
    ]);
  });

  it('SET expiry options, their conflicts and every invalid time', async () => {
    await all(p, [
      ['SET', 'e:a', 'v', 'EX', '100'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'PX', '100000'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'EXAT', '4000000000'],
      ['EXPIRETIME', 'e:a'],
      ['SET', 'e:a', 'v', 'PXAT', '4000000000123'],
      ['PEXPIRETIME', 'e:a'],
      ['SET', 'e:a', 'w', 'KEEPTTL'],
      ['PEXPIRETIME', 'e:a'],
      ['SET', 'e:a', 'x'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'EX', '1', 'EX', '200'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'ex', '300', 'NX'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'Px', '400000', 'XX', 'GET'],
      ['TTL', 'e:a'],
      ['SET', 'e:a', 'v', 'pxat', '9223372036854775807'],
      ['SET', 'e:a', 'v', 'EXAT', '9223372036854775'],
      ['SET', 'e:a', 'v', 'EXAT', '9223372036854776'],
      ['SET', 'e:a', 'v', 'EX', '9223372036854774'],
      ['SET', 'e:a', 'v', 'EX', '9223372036'],
      ['SET', 'e:a', 'v', 'PX', '9223372036854775807'],
      ['SET', 'e:a', 'v', 'PX', '9223370000000000000'],
      ['SET', 'e:a', 'v', 'EX', '0'],
      ['SET', 'e:a', 'v', 'PX', '0'],
      ['SET', 'e:a', 'v', 'EXAT', '0'],
      ['SET', 'e:a', 'v', 'PXAT', '0'],
      ['SET', 'e:a', 'v', 'EX', '-1'],
      ['SET', 'e:a', 'v', 'EX', I64_MIN],
      ['SET', 'e:a', 'v', 'EX', '9223372036854775808'],
      ['SET', 'e:a', 'v', 'EX', '1.5'],
      ['SET', 'e:a', 'v', 'EX', ' 1'],
      ['SET', 'e:a', 'v', 'EX', 'abc'],
      ['SET', 'e:a', 'v', 'EX', ''],
      ['SET', 'e:a', 'v', 'EX'],
      ['SET', 'e:a', 'v', 'EX', '1', 'PX', '1'],
      ['SET', 'e:a', 'v', 'PX', '1', 'EXAT', '1'],
      ['SET', 'e:a', 'v', 'EXAT', '1', 'PXAT', '1'],
      ['SET', 'e:a', 'v', 'PXAT', '1', 'EX', '1'],
      ['SET', 'e:a', 'v', 'EX', '1', 'KEEPTTL'],
      ['SET', 'e:a', 'v', 'KEEPTTL', 'PX', '1'],
      ['SET', 'e:a', 'v', 'NX', 'XX'],
      ['SET', 'e:a', 'v', 'XX', 'NX'],
      ['SET', 'e:a', 'v', 'PERSIST'],
      ['SET', 'e:a', 'v', 'FOO'],
      ['SET', 'e:a', 'v', 'EX', '10', 'FOO'],
      ['SET', 'e:a', 'v', 'EXX', '10'],
      ['SET', 'e:a', 'v', 'NX\x00junk'],
      ['SET', 'e:a', 'v', 'EX', 'abc', 'PX'],
      ['GET', 'e:a'],
    ]);
  });

  it('SET with an absolute time already past stores a key that reads as missing', async () => {
    await all(p, [
      ['SET', 'past:a', 'v', 'PXAT', '1'],
      ['GET', 'past:a'],
      ['EXISTS', 'past:a'],
      ['SET', 'past:b', 'v', 'EXAT', '1', 'GET'],
      ['SET', 'past:b', 'w', 'NX', 'GET'],
      ['GET', 'past:b'],
      ['SET', 'past:c', 'v', 'PXAT', '1'],
      ['SET', 'past:c', 'w', 'XX'],
      ['GET', 'past:c'],
      ['INCR', 'past:c'],
      ['SET', 'past:d', '5', 'PXAT', '1'],
      ['INCR', 'past:d'],
      ['SET', 'past:e', 'abc', 'PXAT', '1'],
      ['APPEND', 'past:e', 'x'],
      ['GET', 'past:e'],
    ]);
  });

  it('SET GET, GETSET, GETDEL and the other SETs on a wrong type', async () => {
    await p.same('RPUSH', 'wt:list', 'x');
    await all(p, [
      ['GET', 'wt:list'],
      ['SET', 'wt:list', 'v', 'GET'],
      ['SET', 'wt:list', 'v', 'EX', '0', 'GET'],
      ['SET', 'wt:list', 'v', 'NX', 'GET'],
      ['GETSET', 'wt:list', 'v'],
      ['GETDEL', 'wt:list'],
      ['GETEX', 'wt:list'],
      ['GETEX', 'wt:list', 'EX', '0'],
      ['GETEX', 'wt:list', 'BAD'],
      ['MGET', 'wt:list', 'wt:missing'],
      ['INCR', 'wt:list'],
      ['DECR', 'wt:list'],
      ['INCRBY', 'wt:list', '1'],
      ['INCRBY', 'wt:list', 'x'],
      ['DECRBY', 'wt:list', '1'],
      ['INCRBYFLOAT', 'wt:list', '1'],
      ['INCRBYFLOAT', 'wt:list', 'x'],
      ['APPEND', 'wt:list', 'x'],
      ['STRLEN', 'wt:list'],
      ['GETRANGE', 'wt:list', '0', '1'],
      ['GETRANGE', 'wt:list', 'a', '1'],
      ['SUBSTR', 'wt:list', '0', '1'],
      ['SETRANGE', 'wt:list', '0', 'x'],
      ['SETRANGE', 'wt:list', '0', ''],
      ['SETRANGE', 'wt:list', '-1', 'x'],
      ['SETNX', 'wt:list', 'v'],
      ['MSETNX', 'wt:list', 'v', 'wt:other', 'v'],
      ['EXISTS', 'wt:other'],
      ['LCS', 'wt:list', 'wt:missing'],
      ['LCS', 'wt:missing', 'wt:list', 'BAD'],
      ['TYPE', 'wt:list'],
      ['SET', 'wt:list', 'now-a-string'],
      ['GET', 'wt:list'],
    ]);
  });

  it('SETNX, SETEX, PSETEX', async () => {
    await all(p, [
      ['SETNX', 'nx:a', '1'],
      ['SETNX', 'nx:a', '2'],
      ['GET', 'nx:a'],
      ['SETEX', 'nx:b', '100', 'v'],
      ['TTL', 'nx:b'],
      ['GET', 'nx:b'],
      ['PSETEX', 'nx:c', '100000', 'v'],
      ['TTL', 'nx:c'],
      ['SETEX', 'nx:b', '0', 'v'],
      ['SETEX', 'nx:b', '-5', 'v'],
      ['SETEX', 'nx:b', 'abc', 'v'],
      ['SETEX', 'nx:b', '9223372036854775', 'v'],
      ['SETEX', 'nx:b', '9223372036854774', 'v'],
      ['PSETEX', 'nx:b', '0', 'v'],
      ['PSETEX', 'nx:b', I64_MAX, 'v'],
      ['PSETEX', 'nx:b', '1.0', 'v'],
      ['setex', 'nx:b', '0', 'v'],
      ['SETEX', 'nx:b', '10'],
      ['SETNX', 'nx:b'],
    ]);
  });

  it('GETEX with every option and error', async () => {
    await all(p, [
      ['SET', 'gx:a', 'v'],
      ['GETEX', 'gx:a'],
      ['TTL', 'gx:a'],
      ['GETEX', 'gx:a', 'EX', '100'],
      ['TTL', 'gx:a'],
      ['GETEX', 'gx:a', 'PX', '200000'],
      ['TTL', 'gx:a'],
      ['GETEX', 'gx:a', 'EXAT', '4000000000'],
      ['EXPIRETIME', 'gx:a'],
      ['GETEX', 'gx:a', 'PXAT', '4000000000555'],
      ['PEXPIRETIME', 'gx:a'],
      ['GETEX', 'gx:a', 'PERSIST'],
      ['TTL', 'gx:a'],
      ['GETEX', 'gx:a', 'persist', 'PERSIST'],
      ['GETEX', 'gx:a', 'EX', '10', 'EX', '300'],
      ['TTL', 'gx:a'],
      ['GETEX', 'gx:a', 'EX', '0'],
      ['GETEX', 'gx:a', 'PX', '-1'],
      ['GETEX', 'gx:a', 'EXAT', 'abc'],
      ['GETEX', 'gx:a', 'EX', '9223372036854775'],
      ['GETEX', 'gx:a', 'PX', I64_MAX],
      ['GETEX', 'gx:a', 'EX'],
      ['GETEX', 'gx:a', 'EX', '1', 'PX', '1'],
      ['GETEX', 'gx:a', 'PERSIST', 'EX', '1'],
      ['GETEX', 'gx:a', 'EX', '1', 'PERSIST'],
      ['GETEX', 'gx:a', 'NX'],
      ['GETEX', 'gx:a', 'XX'],
      ['GETEX', 'gx:a', 'GET'],
      ['GETEX', 'gx:a', 'KEEPTTL'],
      ['GETEX', 'gx:missing', 'EX', '0'],
      ['GETEX', 'gx:missing', 'EX', 'abc'],
      ['GETEX', 'gx:missing', 'BAD'],
      ['GETEX', 'gx:missing', 'PERSIST'],
      ['GETEX', 'gx:a', 'PXAT', '1'],
      ['EXISTS', 'gx:a'],
      ['SET', 'gx:b', 'v'],
      ['GETEX', 'gx:b', 'EXAT', '1'],
      ['GET', 'gx:b'],
    ]);
  });

  it('GETDEL and GETSET', async () => {
    await all(p, [
      ['SET', 'gd:a', 'v', 'EX', '100'],
      ['GETDEL', 'gd:a'],
      ['GETDEL', 'gd:a'],
      ['EXISTS', 'gd:a'],
      ['GETSET', 'gd:b', '1'],
      ['GETSET', 'gd:b', '2'],
      ['GET', 'gd:b'],
      ['SET', 'gd:c', 'v', 'EX', '100'],
      ['GETSET', 'gd:c', 'w'],
      ['TTL', 'gd:c'],
      ['GETSET', 'gd:c', '\x00\xff'],
      ['GETDEL', 'gd:c'],
    ]);
  });

  it('MGET, MSET, MSETNX', async () => {
    await all(p, [
      ['MSET', 'm:a', '1', 'm:b', '2', 'm:c', '\x00'],
      ['MGET', 'm:a', 'm:b', 'm:c', 'm:missing', 'm:a'],
      ['MSET', 'm:a', '1', 'm:a', '2'],
      ['GET', 'm:a'],
      ['MSET', 'm:a'],
      ['MSET', 'm:a', '1', 'm:b'],
      ['MSETNX', 'm:a', '1', 'm:b'],
      ['MSETNX', 'm:x', '1', 'm:a', '2'],
      ['EXISTS', 'm:x'],
      ['MSETNX', 'm:x', '1', 'm:y', '2'],
      ['MSETNX', 'm:z', '1', 'm:z', '2'],
      ['MGET', 'm:x', 'm:y', 'm:z'],
      ['SET', 'm:t', 'v', 'EX', '100'],
      ['MSET', 'm:t', 'w'],
      ['TTL', 'm:t'],
      ['MGET', 'm:missing'],
      ['MGET'],
      ['MSET'],
    ]);
  });

  it('INCR, DECR, INCRBY, DECRBY at the int64 boundaries', async () => {
    await all(p, [
      ['INCR', 'n:a'],
      ['INCR', 'n:a'],
      ['DECR', 'n:a'],
      ['DECR', 'n:b'],
      ['INCRBY', 'n:c', '5'],
      ['INCRBY', 'n:c', '-10'],
      ['DECRBY', 'n:c', '-10'],
      ['DECRBY', 'n:c', '0'],
      ['SET', 'n:max', I64_MAX],
      ['INCR', 'n:max'],
      ['INCRBY', 'n:max', '1'],
      ['INCRBY', 'n:max', '0'],
      ['DECR', 'n:max'],
      ['INCRBY', 'n:max', I64_MIN],
      ['SET', 'n:min', I64_MIN],
      ['DECR', 'n:min'],
      ['DECRBY', 'n:min', '1'],
      ['INCRBY', 'n:min', '-1'],
      ['INCR', 'n:min'],
      ['INCRBY', 'n:min', I64_MAX],
      ['SET', 'n:d', '5'],
      ['DECRBY', 'n:d', I64_MIN],
      ['DECRBY', 'n:d', I64_MAX],
      ['DECRBY', 'n:d', I64_MAX],
      ['INCRBY', 'n:d', '9223372036854775808'],
      ['INCRBY', 'n:d', '-9223372036854775809'],
      ['INCRBY', 'n:d', '18446744073709551616'],
      ['INCRBY', 'n:d', '99999999999999999999'],
      ['INCRBY', 'n:d', '000000000000000000001'],
      ['SET', 'n:e', '9007199254740992'],
      ['INCR', 'n:e'],
      ['INCR', 'n:e'],
      ['INCRBY', 'n:e', '9007199254740993'],
      ['DECRBY', 'n:e', '18014398509481986'],
      ['SET', 'n:f', '-9007199254740991'],
      ['DECR', 'n:f'],
      ['DECR', 'n:f'],
      ['GET', 'n:f'],
      ['SET', 'n:g', '999999999999999'],
      ['INCR', 'n:g'],
      ['SET', 'n:g', '9999999999999999'],
      ['INCR', 'n:g'],
      ['SET', 'n:t', '1', 'EX', '100'],
      ['INCR', 'n:t'],
      ['TTL', 'n:t'],
    ]);
  });

  it('rejects every non-canonical integer as redis-server does', async () => {
    const bad = [' 1', '1 ', '+1', '01', '-0', '0x10', '1.5', '1e3', '', '-', '--1', '1-', '\x001', '1\x00', 'abc', '\xd9'];
    const edge = ['0', '-1', '-9223372036854775809', '9223372036854775808', '18446744073709551615', '12345678901234567890'];
    for (const [i, v] of [...bad, ...edge].entries()) {
      await all(p, [
        ['SET', `ci:${i}`, v],
        ['INCR', `ci:${i}`],
        ['DECR', `ci:${i}`],
        ['INCRBY', `ci:${i}`, '1'],
        ['INCRBY', 'ci:x', v],
        ['DECRBY', 'ci:x', v],
        ['GETRANGE', `ci:${i}`, v, '-1'],
        ['SETRANGE', 'ci:y', v, 'z'],
        ['GET', `ci:${i}`],
      ]);
    }
  });

  it('INCRBYFLOAT with long double precision, formats and errors', async () => {
    const incrs = [
      '1', '-1', '0.1', '0.2', '1.5e2', '+1.5e2', '-0', '+0', '1e308', '1e308', '-1e308', '1.7976931348623157e308',
      '0x10', '0X1P-3', '0x.8', '0x1.8p1', 'inf', '-inf', 'Infinity', 'nan', 'NaN', '1e5000', '1e-5000', '1e-4940',
      '2e-4951', '1e-4952', ' 1', '1 ', '1e', '.', '.5', '5.', '1e+2', '1E-2', '', '-', 'abc', '1\x00', '\x00',
      '3.0000000000000000001', '0.1234567890123456789', '1.00000000000000000001', '-5', '1e20', '1e-20', '123456789012345678901234567890',
    ];
    for (const inc of incrs) await p.same('INCRBYFLOAT', 'f:acc', inc);
    await all(p, [
      ['GET', 'f:acc'],
      ['SET', 'f:a', '10.50'],
      ['INCRBYFLOAT', 'f:a', '0.1'],
      ['INCRBYFLOAT', 'f:a', '-5.0e3'],
      ['SET', 'f:b', '5.0e3'],
      ['INCRBYFLOAT', 'f:b', '2.0e2'],
      ['SET', 'f:c', 'inf'],
      ['INCRBYFLOAT', 'f:c', '1'],
      ['INCRBYFLOAT', 'f:c', '-inf'],
      ['SET', 'f:d', ' 1'],
      ['INCRBYFLOAT', 'f:d', '1'],
      ['SET', 'f:e', I64_MAX],
      ['INCRBYFLOAT', 'f:e', '1'],
      ['INCRBYFLOAT', 'f:e', '-1'],
      ['SET', 'f:f', '9007199254740993'],
      ['INCRBYFLOAT', 'f:f', '1'],
      ['INCRBYFLOAT', 'f:g', '0.1'],
      ['INCRBYFLOAT', 'f:g', '0.2'],
      ['INCRBYFLOAT', 'f:g', '-0.3'],
      ['INCRBYFLOAT', 'f:h', '3.814697265625e-06'],
      ['INCRBYFLOAT', 'f:i', '0.000000000000000005'],
      ['INCRBYFLOAT', 'f:j', '0.000000000000000015'],
      ['INCRBYFLOAT', 'f:k', '-0.000000000000000001'],
      ['SET', 'f:t', '1', 'EX', '100'],
      ['INCRBYFLOAT', 'f:t', '1.5'],
      ['TTL', 'f:t'],
      ['INCR', 'f:t'],
      ['INCRBYFLOAT', 'f:l', 'x'.repeat(5200)],
      ['INCRBYFLOAT', 'f:l', '1' + '0'.repeat(5119)],
      ['INCRBYFLOAT', 'f:l', '0.' + '0'.repeat(5000) + '1'],
      ['INCRBYFLOAT', 'f:l', '1' + '0'.repeat(4000)],
      ['INCRBYFLOAT', 'f:l', '-1' + '0'.repeat(4000)],
      ['GET', 'f:l'],
    ]);
  });

  it('APPEND and STRLEN', async () => {
    await all(p, [
      ['APPEND', 'ap:a', 'hello'],
      ['APPEND', 'ap:a', ' world'],
      ['APPEND', 'ap:a', ''],
      ['GET', 'ap:a'],
      ['STRLEN', 'ap:a'],
      ['APPEND', 'ap:b', ''],
      ['EXISTS', 'ap:b'],
      ['STRLEN', 'ap:b'],
      ['STRLEN', 'ap:missing'],
      ['SET', 'ap:n', '12'],
      ['APPEND', 'ap:n', '34'],
      ['INCR', 'ap:n'],
      ['APPEND', 'ap:bin', '\x00\xff'],
      ['APPEND', 'ap:bin', '\x00'],
      ['GET', 'ap:bin'],
      ['STRLEN', 'ap:bin'],
      ['SET', 'ap:t', 'v', 'EX', '100'],
      ['APPEND', 'ap:t', 'w'],
      ['TTL', 'ap:t'],
    ]);
  });

  it('GETRANGE and SUBSTR with negative, clamped and empty ranges', async () => {
    await p.same('SET', 'gr:s', 'Hello, world');
    await p.same('SET', 'gr:n', '1234');
    await p.same('SET', 'gr:e', '');
    const idx = ['0', '1', '3', '5', '11', '12', '100', '-1', '-3', '-5', '-12', '-13', '-100', I64_MAX, I64_MIN];
    for (const key of ['gr:s', 'gr:n', 'gr:e', 'gr:missing']) {
      for (const start of idx) {
        for (const end of idx) await p.same('GETRANGE', key, start, end);
      }
    }
    await all(p, [
      ['SUBSTR', 'gr:s', '0', '4'],
      ['SUBSTR', 'gr:s', '-5', '-1'],
      ['GETRANGE', 'gr:s', '0'],
      ['GETRANGE', 'gr:s', 'x', '1'],
      ['GETRANGE', 'gr:s', '1', 'x'],
      ['GETRANGE', 'gr:missing', 'x', '1'],
      ['GETRANGE', 'gr:s', '9223372036854775808', '1'],
    ]);
  });

  it('SETRANGE: padding, overwrites, limits and errors', async () => {
    await all(p, [
      ['SETRANGE', 'sr:a', '0', 'hello'],
      ['SETRANGE', 'sr:a', '6', 'world'],
      ['GET', 'sr:a'],
      ['SETRANGE', 'sr:a', '1', 'EL'],
      ['GET', 'sr:a'],
      ['SETRANGE', 'sr:a', '9', 'LONGER TAIL'],
      ['GET', 'sr:a'],
      ['SETRANGE', 'sr:a', '0', ''],
      ['SETRANGE', 'sr:a', '100', ''],
      ['STRLEN', 'sr:a'],
      ['SETRANGE', 'sr:b', '5', ''],
      ['EXISTS', 'sr:b'],
      ['SETRANGE', 'sr:b', '3', '\x00\xff'],
      ['GET', 'sr:b'],
      ['SET', 'sr:n', '1234'],
      ['SETRANGE', 'sr:n', '1', '9'],
      ['INCR', 'sr:n'],
      ['SETRANGE', 'sr:a', '-1', 'x'],
      ['SETRANGE', 'sr:a', I64_MIN, 'x'],
      ['SETRANGE', 'sr:a', 'x', 'x'],
      ['SETRANGE', 'sr:a', '9223372036854775808', 'x'],
      ['SETRANGE', 'sr:a', '536870911', 'xx'],
      ['SETRANGE', 'sr:a', '536870912', 'x'],
      ['SETRANGE', 'sr:c', '536870912', 'x'],
      ['SETRANGE', 'sr:c', '536870912', ''],
      ['SETRANGE', 'sr:a', I64_MAX, 'x'],
      ['SETRANGE', 'sr:a', '9223372036854775806', 'xx'],
      ['EXISTS', 'sr:c'],
      ['SET', 'sr:t', 'v', 'EX', '100'],
      ['SETRANGE', 'sr:t', '2', 'w'],
      ['TTL', 'sr:t'],
      ['GET', 'sr:t'],
    ]);
  });

  it('LCS: the documented examples and every option', async () => {
    await all(p, [
      ['MSET', 'lcs:1', 'ohmytext', 'lcs:2', 'mynewtext'],
      ['LCS', 'lcs:1', 'lcs:2'],
      ['LCS', 'lcs:1', 'lcs:2', 'LEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'MINMATCHLEN', '4'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'idx', 'minmatchlen', '-5', 'withmatchlen'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'MINMATCHLEN', '1', 'MINMATCHLEN', '3'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'MINMATCHLEN', '100'],
      ['LCS', 'lcs:1', 'lcs:2', 'LEN', 'LEN', 'WITHMATCHLEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'LEN', 'IDX'],
      ['LCS', 'lcs:1', 'lcs:2', 'IDX', 'LEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'MINMATCHLEN'],
      ['LCS', 'lcs:1', 'lcs:2', 'MINMATCHLEN', 'x'],
      ['LCS', 'lcs:1', 'lcs:2', 'MINMATCHLEN', '99999999999999999999'],
      ['LCS', 'lcs:1', 'lcs:2', 'FOO'],
      ['LCS', 'lcs:1', 'lcs:missing'],
      ['LCS', 'lcs:missing', 'lcs:1', 'IDX'],
      ['LCS', 'lcs:missing', 'lcs:other', 'LEN'],
      ['LCS', 'lcs:1', 'lcs:1', 'IDX', 'WITHMATCHLEN'],
      ['MSET', 'lcs:3', 'ABCBDAB', 'lcs:4', 'BDCABA'],
      ['LCS', 'lcs:3', 'lcs:4'],
      ['LCS', 'lcs:3', 'lcs:4', 'IDX', 'WITHMATCHLEN'],
      ['MSET', 'lcs:5', '\x00\xffab\x00', 'lcs:6', 'b\x00\x00\xff'],
      ['LCS', 'lcs:5', 'lcs:6'],
      ['LCS', 'lcs:5', 'lcs:6', 'IDX'],
      ['LCS', 'lcs:2', 'lcs:1', 'IDX', 'WITHMATCHLEN'],
    ]);
  });

  it('LCS on longer strings and the table size limit', async () => {
    let a = '';
    let b = '';
    for (let i = 0; i < 1500; i++) {
      a += 'acgt'[(i * 7 + (i >> 3)) % 4];
      b += 'acgt'[(i * 5 + (i >> 2)) % 4];
    }
    await p.same('MSET', 'lcsl:a', a, 'lcsl:b', b);
    await p.same('LCS', 'lcsl:a', 'lcsl:b');
    await p.same('LCS', 'lcsl:a', 'lcsl:b', 'IDX', 'MINMATCHLEN', '3', 'WITHMATCHLEN');
    const long = 'x'.repeat(12000);
    await p.same('MSET', 'lcsl:c', long, 'lcsl:d', long);
    await p.same('LCS', 'lcsl:c', 'lcsl:d', 'LEN');
  });

  it('RESP3: nil replies and the LCS IDX map', async () => {
    const q = await servers.pair();
    await q.inResp3(() => all(q, [
      ['GET', 'r3:missing'],
      ['SET', 'r3:a', 'v', 'XX'],
      ['SET', 'r3:a', 'v', 'GET'],
      ['GETDEL', 'r3:missing'],
      ['GETEX', 'r3:missing'],
      ['GETSET', 'r3:b', 'v'],
      ['MGET', 'r3:a', 'r3:missing'],
      ['SETNX', 'r3:a', 'w'],
      ['GETRANGE', 'r3:missing', '0', '-1'],
      ['INCRBYFLOAT', 'r3:f', '1.5'],
      ['MSET', 'r3:1', 'ohmytext', 'r3:2', 'mynewtext'],
      ['LCS', 'r3:1', 'r3:2', 'IDX'],
      ['LCS', 'r3:1', 'r3:2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
      ['LCS', 'r3:1', 'r3:missing', 'IDX'],
      ['LCS', 'r3:1', 'r3:2', 'LEN'],
    ]));
  });

  it('OBJECT ENCODING of values built by APPEND, SETRANGE and INCRBYFLOAT', async () => {
    await all(p, [
      ['SET', 'enc:a', '12'],
      ['OBJECT', 'ENCODING', 'enc:a'],
      ['APPEND', 'enc:a', '3'],
      ['OBJECT', 'ENCODING', 'enc:a'],
      ['APPEND', 'enc:new', '42'],
      ['OBJECT', 'ENCODING', 'enc:new'],
      ['SETRANGE', 'enc:r', '0', '7'],
      ['OBJECT', 'ENCODING', 'enc:r'],
      ['SET', 'enc:s', 'hello'],
      ['SETRANGE', 'enc:s', '1', 'a'],
      ['OBJECT', 'ENCODING', 'enc:s'],
      ['INCRBYFLOAT', 'enc:f', '5'],
      ['OBJECT', 'ENCODING', 'enc:f'],
      ['INCRBYFLOAT', 'enc:f', '1.5'],
      ['OBJECT', 'ENCODING', 'enc:f'],
      ['INCR', 'enc:f2'],
      ['OBJECT', 'ENCODING', 'enc:f2'],
    ]);
  });

  it('pipelined commands answer in order', async () => {
    await p.sameRaw('SET pl:a 1\r\nINCR pl:a\r\nGET pl:a\r\nAPPEND pl:a x\r\nINCR pl:a\r\nMGET pl:a pl:b\r\n', 6);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);

describe('string command effects', () => {
  const server = suiteBroker();
  let effects: TextEffect[];
  beforeAll(() => {
    server.broker.engine.onEffects((unit) => effects.push(...effectsAsText(unit)));
  });
  const client = suiteClient(server);

  /** Runs one command and returns the effects it propagated, as argv arrays. */
  async function effectsOf(...argv: string[]): Promise<string[][]> {
    effects = [];
    await client.call(...argv);
    return effects.map((e) => e.argv);
  }

  /** Runs a command whose effect carries an absolute time `delta` ms from now. */
  /** Commands' clock is within 1 ms of Date.now() either way (broker/dispatch/wall-clock.ts). */
  const COMMAND_CLOCK_SLACK_MS = 1;

  async function timedEffect(delta: number, ...argv: string[]): Promise<{ argv: string[]; at: number; lo: number; hi: number }> {
    const lo = Date.now() + delta - COMMAND_CLOCK_SLACK_MS;
    const [effect] = await effectsOf(...argv);
    const hi = Date.now() + delta + COMMAND_CLOCK_SLACK_MS;
    return { argv: effect, at: Number(effect[effect.length - 1]), lo, hi };
  }

  it('SET with a relative expiry becomes SET PXAT with the absolute time', async () => {
    for (const [opt, value, ms] of [
      ['EX', '100', 100_000],
      ['px', '5000', 5000],
    ] as const) {
      const e = await timedEffect(ms, 'SET', 'fx:a', 'v', opt, value, 'NX', 'GET');
      expect(e.argv.slice(0, 4)).toEqual(['SET', 'fx:a', 'v', 'PXAT']);
      expect(e.at).toBeGreaterThanOrEqual(e.lo);
      expect(e.at).toBeLessThanOrEqual(e.hi);
      await effectsOf('DEL', 'fx:a');
    }
    expect(await effectsOf('SET', 'fx:a', 'v', 'EXAT', '4000000000', 'XX')).toEqual([]);
    expect(await effectsOf('SET', 'fx:a', 'v', 'exat', '4000000000')).toEqual([['SET', 'fx:a', 'v', 'PXAT', '4000000000000']]);
    expect(await effectsOf('SET', 'fx:a', 'v', 'PXAT', '4000000000001', 'XX')).toEqual([['SET', 'fx:a', 'v', 'PXAT', '4000000000001']]);
    expect(await effectsOf('SET', 'fx:a', 'w', 'PXAT', I64_MAX)).toEqual([['SET', 'fx:a', 'w', 'PXAT', I64_MAX]]);
  });

  it('SET without expiry keeps its own form, minus GET', async () => {
    expect(await effectsOf('SET', 'fx:b', 'v')).toEqual([['SET', 'fx:b', 'v']]);
    expect(await effectsOf('set', 'fx:b', 'v', 'KEEPTTL', 'get', 'XX', 'GET')).toEqual([['set', 'fx:b', 'v', 'KEEPTTL', 'XX']]);
    expect(await effectsOf('SET', 'fx:b', 'v', 'NX')).toEqual([]);
    expect(await effectsOf('SET', 'fx:b', 'v', 'NX', 'GET')).toEqual([]);
    expect(await effectsOf('SET', 'fx:b', 'v', 'EX', '0')).toEqual([]);
  });

  it('SETEX and PSETEX become SET PXAT', async () => {
    let e = await timedEffect(100_000, 'SETEX', 'fx:c', '100', 'v');
    expect(e.argv.slice(0, 4)).toEqual(['SET', 'fx:c', 'v', 'PXAT']);
    expect(e.at).toBeGreaterThanOrEqual(e.lo);
    expect(e.at).toBeLessThanOrEqual(e.hi);
    e = await timedEffect(2500, 'PSETEX', 'fx:c', '2500', 'w');
    expect(e.argv.slice(0, 4)).toEqual(['SET', 'fx:c', 'w', 'PXAT']);
    expect(e.at).toBeGreaterThanOrEqual(e.lo);
    expect(e.at).toBeLessThanOrEqual(e.hi);
    expect(await effectsOf('SETNX', 'fx:c', 'x')).toEqual([]);
    expect(await effectsOf('SETNX', 'fx:c2', 'x')).toEqual([['SETNX', 'fx:c2', 'x']]);
  });

  it('an absolute expiry in the past is stored, then deleted by the next access', async () => {
    expect(await effectsOf('SET', 'fx:d', 'v', 'PXAT', '1')).toEqual([['SET', 'fx:d', 'v', 'PXAT', '1']]);
    expect(await effectsOf('GET', 'fx:d')).toEqual([['DEL', 'fx:d']]);
    await effectsOf('SET', 'fx:d', 'v', 'EXAT', '1');
    expect(await effectsOf('SET', 'fx:d', 'w', 'NX', 'EXAT', '2')).toEqual([
      ['DEL', 'fx:d'],
      ['SET', 'fx:d', 'w', 'PXAT', '2000'],
    ]);
  });

  it('GETEX becomes PEXPIREAT, PERSIST or DEL; nothing when it changes nothing', async () => {
    await effectsOf('SET', 'fx:e', 'v');
    expect(await effectsOf('GETEX', 'fx:e')).toEqual([]);
    expect(await effectsOf('GETEX', 'fx:e', 'PERSIST')).toEqual([]);
    const e = await timedEffect(100_000, 'GETEX', 'fx:e', 'EX', '100');
    expect(e.argv.slice(0, 2)).toEqual(['PEXPIREAT', 'fx:e']);
    expect(e.at).toBeGreaterThanOrEqual(e.lo);
    expect(e.at).toBeLessThanOrEqual(e.hi);
    expect(await effectsOf('GETEX', 'fx:e', 'EXAT', '4000000000')).toEqual([['PEXPIREAT', 'fx:e', '4000000000000']]);
    expect(await effectsOf('GETEX', 'fx:e', 'PXAT', '4000000000002')).toEqual([['PEXPIREAT', 'fx:e', '4000000000002']]);
    expect(await effectsOf('GETEX', 'fx:e', 'PERSIST')).toEqual([['PERSIST', 'fx:e']]);
    expect(await effectsOf('GETEX', 'fx:e', 'PERSIST')).toEqual([]);
    expect(await effectsOf('GETEX', 'fx:e', 'EX', '0')).toEqual([]);
    expect(await effectsOf('GETEX', 'fx:e', 'PXAT', '1')).toEqual([['DEL', 'fx:e']]);
    expect(await effectsOf('GETEX', 'fx:e', 'PXAT', '1')).toEqual([]);
  });

  it('GETDEL becomes DEL, GETSET becomes SET, INCRBYFLOAT becomes SET KEEPTTL', async () => {
    await effectsOf('SET', 'fx:f', '1.5');
    expect(await effectsOf('GETDEL', 'fx:f')).toEqual([['DEL', 'fx:f']]);
    expect(await effectsOf('GETDEL', 'fx:f')).toEqual([]);
    expect(await effectsOf('getset', 'fx:f', '2')).toEqual([['SET', 'fx:f', '2']]);
    expect(await effectsOf('INCRBYFLOAT', 'fx:f', '0.25')).toEqual([['SET', 'fx:f', '2.25', 'KEEPTTL']]);
    expect(await effectsOf('INCRBYFLOAT', 'fx:g', '1e1')).toEqual([['SET', 'fx:g', '10', 'KEEPTTL']]);
    expect(await effectsOf('INCRBYFLOAT', 'fx:g', 'inf')).toEqual([]);
  });

  it('the other writes propagate as they are, and only when they change something', async () => {
    expect(await effectsOf('INCR', 'fx:h')).toEqual([['INCR', 'fx:h']]);
    expect(await effectsOf('INCRBY', 'fx:h', I64_MAX)).toEqual([]);
    expect(await effectsOf('DECRBY', 'fx:h', '2')).toEqual([['DECRBY', 'fx:h', '2']]);
    expect(await effectsOf('APPEND', 'fx:h', 'x')).toEqual([['APPEND', 'fx:h', 'x']]);
    expect(await effectsOf('SETRANGE', 'fx:h', '0', '')).toEqual([]);
    expect(await effectsOf('SETRANGE', 'fx:h', '1', 'y')).toEqual([['SETRANGE', 'fx:h', '1', 'y']]);
    expect(await effectsOf('MSET', 'fx:i', '1', 'fx:j', '2')).toEqual([['MSET', 'fx:i', '1', 'fx:j', '2']]);
    expect(await effectsOf('MSETNX', 'fx:i', '1', 'fx:k', '2')).toEqual([]);
    expect(await effectsOf('MSETNX', 'fx:k', '1', 'fx:l', '2')).toEqual([['MSETNX', 'fx:k', '1', 'fx:l', '2']]);
    expect(await effectsOf('GET', 'fx:i')).toEqual([]);
    expect(await effectsOf('LCS', 'fx:i', 'fx:j')).toEqual([]);
  });
});
