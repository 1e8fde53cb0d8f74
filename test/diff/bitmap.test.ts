/**
 * The bitmap commands against redis-server, byte for byte: SETBIT, GETBIT, BITCOUNT,
 * BITPOS (grids of ranges over values with every kind of edge byte, BYTE and BIT
 * units), BITOP, BITFIELD and BITFIELD_RO (every width at the edges of its range, each
 * overflow mode, `#` offsets), their errors and limits, the encoding of the strings
 * they make, and their effects (only real changes propagate) replayed on a fresh
 * redis-server.
 */
import { describe, expect, it } from 'vitest';
import { effectsOfEachTest, replayedDigest } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];

/** Values whose bytes have every kind of edge: all set, all clear, mixed, empty, a number. */
const VALUES = ['', '\xff', '\x00', '\xff\xf0\x00', '\x00\x00\xff', '\x00\x0f\xff\xff', 'foobar', '\xff\xff\xff\xff\xff', '12345'];
const INDEXES = ['0', '1', '2', '-1', '-2', '-3', '5', '9', '15', '17', '-9', '-17', '100', '-100'];

describe.skipIf(!hasRedisServer())('bitmap commands vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });
  const units = effectsOfEachTest(servers);

  async function same(...commands: string[][]): Promise<void> {
    await p.samePipeline(commands);
  }

  it('SETBIT and GETBIT: growth with zeros, the old bit, offsets, values, errors, types', async () => {
    await same(
      ['SETBIT', 'b', '7', '1'],
      ['SETBIT', 'b', '7', '1'],
      ['SETBIT', 'b', '7', '0'],
      ['SETBIT', 'b', '100', '1'],
      ['GET', 'b'],
      ['STRLEN', 'b'],
      ['OBJECT', 'ENCODING', 'b'],
      ['GETBIT', 'b', '100'],
      ['GETBIT', 'b', '101'],
      ['GETBIT', 'b', '100000'],
      ['GETBIT', 'nokey', '5'],
      ['SET', 's', 'foo'],
      ['OBJECT', 'ENCODING', 's'],
      ['GETBIT', 's', '1'],
      ['GETBIT', 's', '2'],
      ['SETBIT', 's', '0', '1'],
      ['GET', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['SET', 'n', '123'],
      ['OBJECT', 'ENCODING', 'n'],
      ['GETBIT', 'n', '2'],
      ['SETBIT', 'n', '23', '0'],
      ['GET', 'n'],
      ['OBJECT', 'ENCODING', 'n'],
      ['INCR', 'n'],
      ['SETBIT', 'n', '6', '1'],
      ['INCRBYFLOAT', 'n', '1.5'],
      ['APPEND', 'b', 'xyz'],
      ['GET', 'b'],
      ['SETRANGE', 'b', '1', 'AB'],
      ['GETRANGE', 'b', '0', '3'],
      ['SET', 'e', 'v', 'EX', '100'],
      ['SETBIT', 'e', '0', '1'],
      ['TTL', 'e'],
      ['SETBIT', 'b', '-1', '1'],
      ['SETBIT', 'b', 'x', '1'],
      ['SETBIT', 'b', '1.5', '1'],
      ['SETBIT', 'b', '4294967296', '1'],
      ['SETBIT', 'b', '9223372036854775807', '1'],
      ['SETBIT', 'b', '1', '2'],
      ['SETBIT', 'b', '1', '-1'],
      ['SETBIT', 'b', '1', 'x'],
      ['SETBIT', 'b', '#1', '1'],
      ['GETBIT', 'b', '-1'],
      ['GETBIT', 'b', '4294967296'],
      ['RPUSH', 'l', 'a'],
      ['SETBIT', 'l', '0', '1'],
      ['GETBIT', 'l', '0'],
      ['SETBIT', 'l', 'x', '1'],
      ['SETBIT'],
      ['GETBIT', 'b'],
    );
  });

  it('offsets up to proto-max-bulk-len', async () => {
    await same(
      ['CONFIG', 'SET', 'proto-max-bulk-len', '1mb'],
      ['SETBIT', 'big', '8388608', '1'],
      ['SETBIT', 'big', '8388607', '1'],
      ['STRLEN', 'big'],
      ['GETBIT', 'big', '8388608'],
      ['BITFIELD', 'big', 'SET', 'u8', '8388600', '255'],
      ['BITFIELD', 'big', 'SET', 'u8', '8388601', '255'],
      ['BITFIELD', 'big', 'GET', 'u8', '#1048575', 'GET', 'u8', '#1048576'],
      ['BITCOUNT', 'big'],
      ['BITCOUNT', 'big', '-1', '-1'],
      ['BITPOS', 'big', '1'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '512mb'],
    );
  });

  it('BITCOUNT: whole values and every range in BYTE and BIT units, with the 7.0 argument quirks', async () => {
    const commands: string[][] = [];
    VALUES.forEach((v, i) => commands.push(['SET', `v${i}`, v]));
    VALUES.forEach((_, i) => {
      commands.push(['BITCOUNT', `v${i}`]);
      for (const a of INDEXES) {
        for (const b of INDEXES) {
          commands.push(['BITCOUNT', `v${i}`, a, b]);
          commands.push(['BITCOUNT', `v${i}`, a, b, i % 2 ? 'BIT' : 'bit']);
          if (i === 3) commands.push(['BITCOUNT', `v${i}`, a, b, 'BYTE']);
        }
      }
    });
    await same(...commands);
    await same(
      ['BITCOUNT', 'v3', '0', '9223372036854775807'],
      ['BITCOUNT', 'v3', '-9223372036854775808', '-1'],
      ['BITCOUNT', 'v3', '-9223372036854775807', '-9223372036854775808'],
      ['BITCOUNT', 'v3', '-1', '-5', 'BAD'],
      ['BITCOUNT', 'v3', '0', '1', 'BAD'],
      ['BITCOUNT', 'v3', '0'],
      ['BITCOUNT', 'v3', '0', '1', 'BIT', 'x'],
      ['BITCOUNT', 'v3', 'x', '1'],
      ['BITCOUNT', 'v3', '0', '9223372036854775808'],
      ['BITCOUNT', 'nokey'],
      ['BITCOUNT', 'nokey', 'x', 'y'],
      ['BITCOUNT', 'nokey', '0'],
      ['SET', 'big', 'x'.repeat(5000)],
      ['SETRANGE', 'big', '1000', '\xff\x01\x80'],
      ['BITCOUNT', 'big'],
      ['BITCOUNT', 'big', '3', '-3'],
      ['BITCOUNT', 'big', '8001', '8030', 'BIT'],
      ['RPUSH', 'l', 'a'],
      ['BITCOUNT', 'l'],
      ['BITCOUNT', 'l', 'x'],
    );
  });

  it('BITCOUNT over long values, as strings and as bytes changed by SETBIT: all set, random, ranges at every alignment', async () => {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const randomBytes = (length: number): string => Array.from({ length }, () => String.fromCharCode(random())).join('');
    // Lengths around 8-byte words, and past the 64 KB chunks the count works in.
    const values = ['\xff'.repeat(28), '\xff'.repeat(32), '\xff'.repeat(200), '\xff'.repeat(257), randomBytes(301), '\xff'.repeat(65537), randomBytes(70003)];
    const commands: string[][] = [];
    values.forEach((v, i) => {
      commands.push(['SET', `s${i}`, v], ['SET', `b${i}`, v], ['SETBIT', `b${i}`, '0', v.charCodeAt(0) >> 7 ? '1' : '0']);
      for (const key of [`s${i}`, `b${i}`]) {
        commands.push(['BITCOUNT', key]);
        for (let start = 0; start < 9; start++) {
          for (const end of ['-1', '-2', '-3', '-4', '-5', '-30', '65535', '65536', String(start + 29)]) {
            commands.push(['BITCOUNT', key, String(start), end], ['BITCOUNT', key, String(start * 7 + 3), end, 'BIT']);
          }
        }
      }
      commands.push(['OBJECT', 'ENCODING', `b${i}`]);
    });
    await same(...commands);
  });

  it('BITPOS: set and clear bits over every range, with and without an end, BYTE and BIT units', async () => {
    const commands: string[][] = [];
    VALUES.forEach((v, i) => commands.push(['SET', `v${i}`, v]));
    VALUES.forEach((_, i) => {
      for (const bit of ['0', '1']) {
        commands.push(['BITPOS', `v${i}`, bit]);
        for (const a of INDEXES) {
          commands.push(['BITPOS', `v${i}`, bit, a]);
          for (const b of INDEXES) {
            commands.push(['BITPOS', `v${i}`, bit, a, b]);
            commands.push(['BITPOS', `v${i}`, bit, a, b, 'BIT']);
            if (i === 3) commands.push(['BITPOS', `v${i}`, bit, a, b, 'byte']);
          }
        }
      }
    });
    await same(...commands);
    await same(
      ['BITPOS', 'nokey', '0'],
      ['BITPOS', 'nokey', '1'],
      ['BITPOS', 'nokey', '1', 'x', 'y', 'z'],
      ['BITPOS', 'v3', '2'],
      ['BITPOS', 'v3', 'x'],
      ['BITPOS', 'v3', '-1'],
      ['BITPOS', 'v3', '1', 'x', '2', 'FOO'],
      ['BITPOS', 'v3', '1', '0', 'x', 'FOO'],
      ['BITPOS', 'v3', '1', '0', 'x', 'BIT'],
      ['BITPOS', 'v3', '1', '0', '1', 'BIT', 'x'],
      ['BITPOS', 'v3', '0', '9223372036854775807', '-9223372036854775808', 'BIT'],
      ['RPUSH', 'l', 'a'],
      ['BITPOS', 'l', '1'],
      ['SET', 'big', '\x00'.repeat(3000)],
      ['SETBIT', 'big', '20000', '1'],
      ['BITPOS', 'big', '1'],
      ['BITPOS', 'big', '1', '2', '-1'],
      ['BITPOS', 'big', '1', '19999', '20001', 'BIT'],
      ['BITPOS', 'big', '0', '2500'],
    );
  });

  it('BITOP: AND, OR, XOR, NOT over mixed lengths and missing keys; the destination replaced or deleted', async () => {
    const commands: string[][] = [['SET', 'a', 'foobar'], ['SET', 'b', 'abc'], ['SET', 'c', '\xff\x00'], ['SET', 'e', '']];
    for (const op of ['AND', 'OR', 'XOR', 'and', 'Or']) {
      for (const sources of [['a'], ['a', 'b'], ['b', 'a', 'c'], ['a', 'nokey'], ['nokey', 'c'], ['e', 'a'], ['nokey'], ['e']]) {
        commands.push(['BITOP', op, 'dest', ...sources], ['GET', 'dest'], ['OBJECT', 'ENCODING', 'dest']);
      }
    }
    commands.push(
      ['BITOP', 'NOT', 'dest', 'a'],
      ['GET', 'dest'],
      ['BITOP', 'not', 'dest', 'nokey'],
      ['EXISTS', 'dest'],
      ['BITOP', 'NOT', 'dest', 'a', 'b'],
      ['BITOP', 'NAND', 'dest', 'a'],
      ['BITOP', 'AND', 'dest'],
      ['SET', 'dest', 'x', 'EX', '100'],
      ['BITOP', 'OR', 'dest', 'a'],
      ['TTL', 'dest'],
      ['RPUSH', 'l', 'x'],
      ['BITOP', 'OR', 'l', 'a'],
      ['TYPE', 'l'],
      ['BITOP', 'OR', 'dest', 'a', 'l'],
      ['BITOP', 'OR', 'a', 'a', 'b'],
      ['GET', 'a'],
      ['SET', 'n', '42'],
      ['BITOP', 'XOR', 'dest', 'n', 'b'],
      ['GET', 'dest'],
    );
    await same(...commands);
  });

  it('BITFIELD: every width at its limits, SET, INCRBY, GET, the three overflow modes, # offsets', async () => {
    const commands: string[][] = [];
    for (const sign of ['i', 'u']) {
      for (const bits of [1, 2, 3, 7, 8, 9, 15, 16, 31, 32, 33, 52, 53, 63, 64]) {
        if (sign === 'u' && bits === 64) continue;
        const type = `${sign}${bits}`;
        const max = sign === 'i' ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
        const min = sign === 'i' ? -(2n ** BigInt(bits - 1)) : 0n;
        const values = [0n, 1n, -1n, max, max + 1n, min, min - 1n, 9223372036854775807n, -9223372036854775808n].map(String);
        for (const overflow of ['WRAP', 'SAT', 'FAIL']) {
          const key = `${type}:${overflow}`;
          for (const v of values) {
            commands.push(['BITFIELD', key, 'OVERFLOW', overflow, 'SET', type, '3', v, 'GET', type, '3']);
            for (const by of ['1', '-1', String(max), String(min), '9223372036854775807', '-9223372036854775808']) {
              commands.push(['BITFIELD', key, 'OVERFLOW', overflow, 'INCRBY', type, '3', by]);
            }
          }
          commands.push(['GET', key]);
        }
      }
    }
    await same(...commands);
    await same(
      ['BITFIELD', 'f', 'SET', 'u8', '#2', '200', 'GET', 'u8', '16', 'GET', 'i8', '#2', 'INCRBY', 'u4', '#5', '3'],
      ['GET', 'f'],
      ['BITFIELD', 'f', 'GET', 'u8', '#0', 'GET', 'i64', '#0', 'GET', 'u63', '1'],
      ['BITFIELD', 'f'],
      ['BITFIELD', 'f', 'OVERFLOW', 'SAT'],
      ['BITFIELD', 'f', 'set', 'i16', '0', '-2', 'incrby', 'i16', '0', '1', 'overflow', 'fail', 'incrby', 'i16', '0', '40000', 'get', 'u16', '0'],
      ['BITFIELD', 'nokey', 'GET', 'u8', '0', 'GET', 'i64', '100'],
      ['EXISTS', 'nokey'],
      ['BITFIELD', 'new', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '10', '5'],
      ['GET', 'new'],
      ['SET', 's', 'foobar'],
      ['BITFIELD', 's', 'GET', 'i8', '#1', 'SET', 'u8', '#1', '65', 'GET', 'u8', '100'],
      ['GET', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['SET', 'n', '7'],
      ['BITFIELD', 'n', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 's', 'GET', 'u8', '0', 'GET', 'i4', '#3'],
      ['BITFIELD_RO', 'nokey', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 's', 'GET', 'u8', '0', 'SET', 'u8', '0', '1'],
      ['BITFIELD_RO', 's', 'INCRBY', 'u8', 'x', '1'],
      ['BITFIELD_RO', 's'],
    );
  });

  it('BITFIELD errors: syntax, types, offsets, values, overflow names, wrong type', async () => {
    await same(
      ['BITFIELD', 'f', 'GET', 'u8'],
      ['BITFIELD', 'f', 'SET', 'u8', '0'],
      ['BITFIELD', 'f', 'FOO', 'u8', '0'],
      ['BITFIELD', 'f', 'OVERFLOW'],
      ['BITFIELD', 'f', 'OVERFLOW', 'BAD', 'GET', 'u8', '0'],
      ['BITFIELD', 'f', 'GET', 'u64', '0'],
      ['BITFIELD', 'f', 'GET', 'i65', '0'],
      ['BITFIELD', 'f', 'GET', 'i0', '0'],
      ['BITFIELD', 'f', 'GET', 'I8', '0'],
      ['BITFIELD', 'f', 'GET', 'x8', '0'],
      ['BITFIELD', 'f', 'GET', 'u', '0'],
      ['BITFIELD', 'f', 'GET', 'u-1', '0'],
      ['BITFIELD', 'f', 'GET', 'u8', '-1'],
      ['BITFIELD', 'f', 'GET', 'u8', '#-1'],
      ['BITFIELD', 'f', 'GET', 'u8', '#'],
      ['BITFIELD', 'f', 'GET', 'u8', '##1'],
      ['BITFIELD', 'f', 'GET', 'u8', '4294967296'],
      ['BITFIELD', 'f', 'GET', 'u8', '#536870912'],
      ['BITFIELD', 'f', 'GET', 'i8', '#9223372036854775807'],
      ['BITFIELD', 'f', 'GET', 'i64', '#1152921504606846976'],
      ['BITFIELD', 'f', 'SET', 'u8', '0', 'x'],
      ['BITFIELD', 'f', 'INCRBY', 'u8', '0', '9223372036854775808'],
      ['BITFIELD', 'f', 'SET', 'u8', '0', '1', 'GET', 'u8'],
      ['EXISTS', 'f'],
      ['RPUSH', 'l', 'a'],
      ['BITFIELD', 'l', 'GET', 'u8', '0'],
      ['BITFIELD', 'l', 'SET', 'u8', '0', '1'],
      ['BITFIELD', 'l', 'GET', 'x', '0'],
      ['BITFIELD_RO', 'l', 'GET', 'u8', '0'],
      ['BITFIELD'],
    );
  });

  it('RESP3: a FAIL is a null', async () => {
    await p.inResp3(() => same(['BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'SET', 'u2', '0', '9', 'GET', 'u2', '0'], ['BITCOUNT', 'f']));
  });

  it('propagates only real changes; the effects rebuild the dataset on redis-server', async () => {
    await same(
      ['SETBIT', 'b', '3', '0'],
      ['SETBIT', 'b', '3', '0'],
      ['SETBIT', 'b', '3', '1'],
      ['SETBIT', 'b', '40', '0'],
      ['BITFIELD', 'b', 'GET', 'u8', '0'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '16'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '15'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '17', 'SET', 'u8', '0', '17'],
      ['BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '300'],
      ['BITFIELD', 'b', 'INCRBY', 'u8', '0', '0'],
      ['SET', 'a', 'abc'],
      ['BITOP', 'XOR', 'x', 'a', 'b'],
      ['BITOP', 'AND', 'y', 'nokey'],
      ['SET', 'y', 'v'],
      ['BITOP', 'AND', 'y', 'nokey'],
      ['BITFIELD', 'c', 'INCRBY', 'i5', '#3', '7'],
      ['INFO', 'keyspace'],
    );
    const effects = units.flat().map((e) => e.argv.join(' '));
    expect(effects).toEqual([
      'SETBIT b 3 0',
      'SETBIT b 3 1',
      'SETBIT b 40 0',
      'BITFIELD b SET u8 0 15',
      'BITFIELD b SET u8 0 17 SET u8 0 17',
      'SET a abc',
      'BITOP XOR x a b',
      'SET y v',
      'BITOP AND y nokey',
      'BITFIELD c INCRBY i5 #3 7',
    ]);
    const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units)).toBe(ours);
  });

  it('DUMP and RESTORE of bitmaps both ways, DEBUG DIGEST-VALUE, COPY, DEBUG RELOAD', async () => {
    await same(['SETBIT', 'b', '9', '1'], ['SETBIT', 'd', '0', '0'], ['BITFIELD', 'n', 'SET', 'u8', '0', '49', 'SET', 'u8', '8', '50']);
    for (const key of ['b', 'd', 'n']) {
      const dumped = await p.same('DUMP', key);
      const payload = dumped.value as string;
      await same(['RESTORE', `${key}2`, '0', payload], ['GET', `${key}2`], ['DEBUG', 'DIGEST-VALUE', key, `${key}2`]);
    }
    await same(['COPY', 'b', 'b3'], ['SETBIT', 'b3', '0', '1'], ['GET', 'b'], ['GET', 'b3'], ['OBJECT', 'ENCODING', 'b3']);
    // Through a snapshot and back: the same bytes, and the encodings a loaded string gets.
    await same(['DEBUG', 'RELOAD'], ['GET', 'b'], ['GET', 'n'], ['OBJECT', 'ENCODING', 'b'], ['OBJECT', 'ENCODING', 'n'], ['SETBIT', 'n', '0', '0'], ['OBJECT', 'ENCODING', 'n']);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
