/**
 * Stream commands (no consumer groups) against redis-server, byte for byte: every
 * option and error of XADD, XTRIM, XRANGE/XREVRANGE, XDEL, XSETID, XREAD and XINFO
 * STREAM, ID edge values up to 2^64-1, and node boundaries: XLEN after `MAXLEN ~`
 * must match for several stream-node-max-entries/-bytes settings.
 *
 * XINFO STREAM's radix-tree-nodes is redis-server's internal rax node count, which
 * we estimate (engine/types/stream.ts): it is masked out of the comparisons.
 * IDs generated from the clock (`*`) differ between the servers, so tests use
 * explicit and `<ms>-*` IDs unless they only look at the shape of a reply.
 */
import { describe, expect, it } from 'vitest';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS, startBroker } from '../harness/servers.js';
import { diffSuite, show, showXinfo, startDiffServers, type DiffPair } from '../harness/diff.js';
import { encodeCommand, RawClient } from '../harness/raw.js';

const MAX = '18446744073709551615';
/** DEBUG DIGEST(-VALUE) compares datasets; both servers refuse DEBUG by default. */
const DEBUG = ['--enable-debug-command', 'yes'];

/** Everything both servers must agree on, for a stream test: a pair plus helpers. */
class StreamDiff {
  constructor(readonly p: DiffPair) {}

  same(...argv: string[]): ReturnType<DiffPair['same']> {
    return this.p.same(...argv);
  }

  /** XINFO STREAM (optionally FULL...) on both, equal except radix-tree-nodes. */
  async sameInfo(key: string, ...options: string[]): Promise<void> {
    const { ours, ref } = await this.p.both('XINFO', 'STREAM', key, ...options);
    expect(showXinfo(ours.raw), `XINFO STREAM ${key} ${options.join(' ')}`).toBe(showXinfo(ref.raw));
  }

  /** Sends many commands in one pipeline to each server; every reply must match. */
  async pipeline(commands: string[][]): Promise<void> {
    await this.p.sameRaw(Buffer.concat(commands.map((argv) => encodeCommand(argv))), commands.length);
  }

  /** XADD key <ms>-<seq> entries with explicit IDs ms = from.., values from `value(i)`. */
  async fill(key: string, count: number, from: number, value: (i: number) => string[]): Promise<void> {
    const commands: string[][] = [];
    for (let i = 0; i < count; i++) commands.push(['XADD', key, `${from + i}-1`, ...value(i)]);
    await this.pipeline(commands);
  }
}

describe.skipIf(!hasRedisServer())('stream commands vs redis-server', () => {
  const { p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });
  const d = new StreamDiff(p);

  it('XADD with explicit, incomplete and <ms>-* IDs', async () => {
    await d.same('XADD', 's', '1-1', 'f', 'v');
    await d.same('XADD', 's', '1-1', 'f', 'v');
    await d.same('XADD', 's', '1-0', 'f', 'v');
    await d.same('XADD', 's', '0-5', 'f', 'v');
    await d.same('XADD', 's', '1-*', 'f', 'v');
    await d.same('XADD', 's', '1-*', 'f', 'v');
    await d.same('XADD', 's', '1', 'f', 'v');
    await d.same('XADD', 's', '2', 'f', 'v');
    await d.same('XADD', 's', '5-*', 'a', '1', 'b', '2');
    await d.same('XADD', 's', '3-*', 'f', 'v');
    await d.same('XADD', 's', '0-0', 'f', 'v');
    await d.same('XADD', 'new', '0-0', 'f', 'v');
    await d.same('EXISTS', 'new');
    await d.same('XADD', 'new', '0-*', 'f', 'v');
    await d.same('XADD', 'new', '0-*', 'f', 'v');
    await d.same('XRANGE', 's', '-', '+');
    await d.same('XRANGE', 'new', '-', '+');
    await d.sameInfo('s');
  });

  it('XADD at the uint64 limits', async () => {
    await d.same('XADD', 'a', `${MAX}-${BigInt(MAX) - 1n}`, 'f', 'v');
    await d.same('XADD', 'a', `${MAX}-*`, 'f', 'v');
    await d.same('XADD', 'a', '*', 'f', 'v');
    await d.same('XADD', 'a', '1-1', 'f', 'v');
    await d.same('XADD', 'a', `${MAX}-*`, 'f', 'v');
    await d.sameInfo('a');
    await d.same('XADD', 'b', `${MAX}-*`, 'f', 'v');
    // The clock is behind the last ID: `*` increments the sequence.
    await d.same('XADD', 'b', '*', 'f', 'v');
    await d.same('XADD', 'c', `5-${MAX}`, 'f', 'v');
    await d.same('XADD', 'c', '5-*', 'f', 'v');
    await d.same('XADD', 'c', '6-*', 'f', 'v');
    await d.same('XADD', 'e', `${MAX}-${MAX}`, 'f', 'v');
    await d.same('XADD', 'e', `${MAX}-${MAX}`, 'f', 'v');
    // Around 2^53, where a double would lose the last digit.
    for (const ms of ['9007199254740991', '9007199254740992', '9007199254740993', '9223372036854775807', '9223372036854775808']) {
      await d.same('XADD', 'big', `${ms}-*`, 'f', ms);
      await d.same('XADD', 'big', `${ms}-9007199254740993`, 'f', ms);
    }
    await d.same('XRANGE', 'big', '-', '+');
    await d.same('XREVRANGE', 'big', '+', '-', 'COUNT', '3');
    await d.same('XRANGE', 'big', '9007199254740992', '9007199254740993-0');
    await d.same('XRANGE', 'big', '(9007199254740992-0', '(9223372036854775808');
    await d.same('XDEL', 'big', '9007199254740993-9007199254740993');
    await d.sameInfo('big');
    await d.same('XRANGE', 'a', '-', '+');
    await d.same('XRANGE', 'a', `(${MAX}-${MAX}`, '+');
    await d.same('XRANGE', 'a', '-', '(0-0');
  });

  it('XADD rejects invalid IDs as redis-server does', async () => {
    await d.same('XADD', 's', '10-10', 'f', 'v');
    const ids = [
      'abc', '1-abc', '-', '+', '1-', '-1', '1--1', '1--01', ' 11', '+11', '11 ', '011', '11-010', '-0',
      '18446744073709551616', `${MAX}-18446744073709551616`, '(11', '11-12-13', '11.5', '0x11', '*-1', '11-**', '',
      '11\x00junk', '11-\x00', '1'.repeat(127), '1'.repeat(128), `${'0'.repeat(100)}12-1`, '12-\t5', '12- 5',
      `12--${MAX}`, '12--18446744073709551616',
    ];
    for (const id of ids) await d.same('XADD', 's', id, 'f', 'v');
    await d.same('XRANGE', 's', '-', '+');
  });

  it('XADD arguments: arity, NOMKSTREAM, options and their errors', async () => {
    await d.same('XADD', 's', '1-1', 'f');
    await d.same('XADD', 's', '1-1', 'f', 'v', 'g');
    await d.same('XADD', 's', '1-1');
    await d.same('XADD', 's', 'NOMKSTREAM');
    await d.same('XADD', 's', 'MAXLEN', '5', 'LIMIT', '10');
    await d.same('XADD', 's', 'NOMKSTREAM', '1-1', 'f', 'v');
    await d.same('EXISTS', 's');
    await d.same('XADD', 's', '1-1', 'f', 'v');
    await d.same('XADD', 's', 'nomkstream', '2-1', 'f', 'v');
    await d.same('XADD', 's', 'maxlen');
    await d.same('XADD', 's', 'MAXLEN', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '~', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '-1', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', 'abc', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '1', 'MINID', '1', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MINID', '1', 'MAXLEN', '1', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '1', 'MAXLEN', '1', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MINID', 'x', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MINID', '-', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'MINID', '+', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'LIMIT', '5', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'LIMIT', '0', '3-1', 'f', 'v');
    await d.same('XADD', 's', 'LIMIT', '-1', '4-1', 'f', 'v');
    await d.same('XADD', 's', 'LIMIT', 'x', '4-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '5', 'LIMIT', '5', '4-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '=', '5', 'LIMIT', '5', '4-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '~', '5', 'LIMIT', '5', '4-1', 'f', 'v');
    await d.same('XADD', 's', 'MaXlEn', '=', '100', 'nOmKsTrEaM', '5-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '9223372036854775807', '6-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '9223372036854775808', '6-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN\x00x', '1', '6-1', 'f', 'v');
    await d.p.both('XADD', 's', '*\x00x', 'f', 'v');
    await d.same('XLEN', 's');
    await d.same('XRANGE', 's', '-', '(6');
    await d.same('SET', 'str', 'x');
    await d.same('XADD', 'str', '1-1', 'f', 'v');
    await d.same('XADD', 'str', 'NOMKSTREAM', '1-1', 'f', 'v');
    await d.same('XADD', 'str', '0-0', 'f', 'v');
    await d.same('XADD', 'str', '1-1', 'f');
  });

  it('XADD keeps field and value bytes, with fields shared or not', async () => {
    await d.same('XADD', 's', '1-1', 'a', '1', 'b', '2');
    await d.same('XADD', 's', '2-1', 'a', '3', 'b', '4');
    await d.same('XADD', 's', '3-1', 'b', '5', 'a', '6');
    await d.same('XADD', 's', '4-1', 'a', '7');
    await d.same('XADD', 's', '5-1', '', '', 'x'.repeat(300), 'y'.repeat(70000));
    await d.same('XADD', 's', '6-1', 'bin\x00\xff\r\n', '\x00\x01\x02\x80\xfe');
    await d.same('XADD', 's', '7-1', 'a', '1', 'a', '1');
    await d.same('XRANGE', 's', '-', '+');
    await d.same('XREVRANGE', 's', '+', '-');
    await d.same('XRANGE', 's', '2', '6', 'COUNT', '2');
  });

  it('XRANGE and XREVRANGE bounds, exclusive ranges and COUNT', async () => {
    await d.fill('s', 10, 1, (i) => ['f', String(i)]);
    await d.same('XADD', 's', '5-5', 'f', 'x');
    await d.same('XADD', 's', '20-0', 'f', 'x');
    await d.same('XADD', 's', `20-${MAX}`, 'f', 'x');
    await d.same('XADD', 's', '21-0', 'f', 'x');
    const bounds: [string, string][] = [
      ['-', '+'], ['5', '5'], ['5-1', '5-5'], ['(5-1', '+'], ['-', '(5-5'], ['(5', '(7'], ['(5-1', '(5-5'],
      ['5-2', '5-4'], ['9', '3'], ['20', '20'], ['(20', '+'], ['(20-0', '(21'], ['0', '0'], ['-', '-'], ['+', '+'],
      ['(0-0', '2'], [`(${MAX}-${MAX}`, '+'], ['-', '(0-0'], ['(-', '+'], ['-', '(+'], ['(', '+'], ['((5', '+'],
      ['abc', '+'], ['-', 'abc'], ['abc', 'def'], ['(abc', '+'], [`(${MAX}`, '+'], ['-', '(0'], ['(5-1', '(5-2'],
    ];
    for (const [a, b] of bounds) {
      await d.same('XRANGE', 's', a, b);
      await d.same('XREVRANGE', 's', b, a);
    }
    for (const count of ['0', '1', '3', '-1', '100', '9223372036854775807', 'abc', '1.5']) {
      await d.same('XRANGE', 's', '-', '+', 'COUNT', count);
      await d.same('XREVRANGE', 's', '+', '-', 'COUNT', count);
    }
    await d.same('XRANGE', 's', '-', '+', 'COUNT');
    await d.same('XRANGE', 's', '-', '+', 'COUNT', '2', 'COUNT', '4');
    await d.same('XRANGE', 's', '-', '+', 'count', '2', 'junk');
    await d.same('XRANGE', 's', '-', '+', 'LIMIT', '2');
    await d.same('XRANGE', 'missing', '-', '+');
    await d.same('XRANGE', 'missing', '-', '+', 'COUNT', '0');
    await d.same('XRANGE', 'missing', 'abc', '+');
    await d.same('SET', 'str', 'x');
    await d.same('XRANGE', 'str', '-', '+');
    await d.same('XRANGE', 'str', '-', '+', 'COUNT', '0');
    await d.same('XREVRANGE', 'str', 'abc', '-');
    await d.same('XRANGE', 's', '-');
  });

  it('XDEL, with the metadata Redis 7.0 keeps', async () => {
    await d.fill('s', 5, 1, (i) => ['f', String(i)]);
    await d.same('XDEL', 's', '3-1');
    await d.sameInfo('s');
    await d.same('XDEL', 's', '3-1', '4-1', '4-1', '99-1');
    await d.same('XDEL', 's', '1-1');
    await d.sameInfo('s');
    await d.same('XDEL', 's', 'abc');
    await d.same('XDEL', 's', '2-1', 'abc');
    await d.same('XDEL', 's', '-');
    await d.same('XDEL', 's', '2');
    await d.same('XRANGE', 's', '-', '+');
    await d.same('XDEL', 's', '2-1', '5-1');
    await d.sameInfo('s');
    await d.same('XLEN', 's');
    await d.same('XADD', 's', '5-1', 'f', 'v');
    await d.same('XADD', 's', '6-1', 'f', 'v');
    await d.sameInfo('s');
    await d.same('XDEL', 'missing', 'abc');
    await d.same('XDEL', 'missing', '1-1');
    await d.same('SET', 'str', 'x');
    await d.same('XDEL', 'str', '1-1');
    await d.same('XDEL', 'str', 'abc');
  });

  it('XTRIM by MAXLEN and MINID, exact and approximate, with LIMIT', async () => {
    await d.fill('s', 350, 1, (i) => ['f', String(i)]);
    await d.same('XTRIM', 's', 'MAXLEN', '300');
    await d.sameInfo('s');
    await d.same('XTRIM', 's', 'MAXLEN', '~', '250');
    await d.sameInfo('s');
    await d.same('XTRIM', 's', 'MAXLEN', '~', '150', 'LIMIT', '10');
    await d.same('XTRIM', 's', 'MAXLEN', '~', '150', 'LIMIT', '100');
    await d.sameInfo('s');
    await d.same('XTRIM', 's', 'MINID', '~', '270');
    await d.same('XTRIM', 's', 'MINID', '=', '275');
    await d.sameInfo('s');
    await d.same('XTRIM', 's', 'MINID', '275-2');
    await d.same('XTRIM', 's', 'MAXLEN', '=', '0');
    await d.sameInfo('s');
    await d.fill('t', 30, 1, (i) => ['f', String(i)]);
    await d.same('XDEL', 't', '30-1', '29-1');
    await d.same('XTRIM', 't', 'MINID', '29');
    await d.sameInfo('t');
    await d.same('XTRIM', 't', 'LIMIT', '5');
    await d.same('XTRIM', 't');
    await d.same('XTRIM', 't', 'MAXLEN');
    await d.same('XTRIM', 't', 'MAXLEN', '~');
    await d.same('XTRIM', 't', 'MAXLEN', '-5');
    await d.same('XTRIM', 't', 'MAXLEN', '5', 'junk');
    await d.same('XTRIM', 't', 'MAXLEN', '5', 'LIMIT', '2');
    await d.same('XTRIM', 't', 'MAXLEN', '5', 'MINID', '2');
    await d.same('XTRIM', 't', 'MINID', '-');
    await d.same('XTRIM', 't', 'LIMIT', '0', 'MAXLEN', '28');
    await d.same('XTRIM', 't', 'NOMKSTREAM', 'MAXLEN', '2');
    await d.same('XTRIM', 't', '*', 'MAXLEN', '2');
    await d.same('XTRIM', 'missing', 'MAXLEN', '2');
    await d.same('XTRIM', 'missing', 'MAXLEN', 'x');
    await d.same('SET', 'str', 'x');
    await d.same('XTRIM', 'str', 'MAXLEN', '2');
  });

  it('XADD with MAXLEN and MINID trimming', async () => {
    for (let i = 1; i <= 320; i++) await d.same('XADD', 's', 'MAXLEN', '~', '200', `${i}-1`, 'f', String(i));
    await d.sameInfo('s');
    for (let i = 321; i <= 340; i++) await d.same('XADD', 's', 'MAXLEN', '150', `${i}-1`, 'f', String(i));
    await d.sameInfo('s');
    for (let i = 341; i <= 600; i++) await d.same('XADD', 's', 'MINID', '~', String(i - 200), `${i}-1`, 'f', String(i));
    await d.sameInfo('s');
    await d.same('XADD', 's', 'MINID', '550', '601-1', 'f', 'v');
    await d.same('XADD', 's', 'MAXLEN', '~', '0', 'LIMIT', '100', '602-1', 'f', 'v');
    await d.sameInfo('s');
    await d.same('XADD', 's', 'MAXLEN', '0', '603-1', 'f', 'v');
    await d.sameInfo('s');
  });

  it('XSETID with ENTRIESADDED and MAXDELETEDID', async () => {
    await d.same('XSETID', 'missing', '1-1');
    await d.same('XSETID', 'missing', 'abc');
    await d.fill('s', 3, 1, (i) => ['f', String(i)]);
    await d.same('XSETID', 's', '2-1');
    await d.same('XSETID', 's', '3-1');
    await d.same('XSETID', 's', '3');
    await d.same('XSETID', 's', '5-0');
    await d.sameInfo('s');
    await d.same('XADD', 's', '5-0', 'f', 'v');
    await d.same('XADD', 's', '5-*', 'f', 'v');
    await d.same('XSETID', 's', '-');
    await d.same('XSETID', 's', '+');
    await d.same('XSETID', 's', '9-9', 'ENTRIESADDED');
    await d.same('XSETID', 's', '9-9', 'ENTRIESADDED', 'x');
    await d.same('XSETID', 's', '9-9', 'ENTRIESADDED', '-1');
    await d.same('XSETID', 's', '9-9', 'ENTRIESADDED', '1');
    await d.same('XSETID', 's', '9-9', 'ENTRIESADDED', '9223372036854775807');
    await d.sameInfo('s');
    await d.same('XADD', 's', '10-0', 'f', 'v');
    await d.sameInfo('s');
    await d.same('XSETID', 's', '10-0', 'MAXDELETEDID', '10-1');
    await d.same('XSETID', 's', '10-0', 'MAXDELETEDID', 'x');
    await d.same('XSETID', 's', '10-0', 'MAXDELETEDID', '+');
    await d.same('XSETID', 's', '10-5', 'MAXDELETEDID', '10-3', 'ENTRIESADDED', '100');
    await d.sameInfo('s');
    await d.same('XSETID', 's', '11-0', 'maxdeletedid', '0-0');
    await d.same('XSETID', 's', '11-0', 'junk', '1');
    await d.same('XSETID', 's', '11-0', 'ENTRIESADDED', '5', 'MAXDELETEDID');
    await d.same('XDEL', 's', '10-0');
    await d.same('XSETID', 's', '5-1');
    await d.sameInfo('s');
    await d.same('XDEL', 's', '1-1', '2-1', '3-1', '5-0', '5-1');
    await d.same('XSETID', 's', '0-1');
    await d.same('XSETID', 's', '0-0', 'ENTRIESADDED', '0');
    await d.sameInfo('s');
    await d.same('SET', 'str', 'x');
    await d.same('XSETID', 'str', '1-1');
  });

  it('XREAD without BLOCK: COUNT, $, several streams and errors', async () => {
    await d.fill('a', 5, 1, (i) => ['f', String(i)]);
    await d.fill('b', 3, 3, (i) => ['g', String(i)]);
    await d.same('XREAD', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '2', '0-0');
    await d.same('XREAD', 'COUNT', '0', 'STREAMS', 'a', 'b', 'missing', '4', '4-1', '0');
    await d.same('XREAD', 'count', '-5', 'streams', 'a', '1');
    await d.same('XREAD', 'STREAMS', 'a', 'b', '$', '$');
    await d.same('XREAD', 'STREAMS', 'missing', '$');
    await d.same('XREAD', 'STREAMS', 'a', '5-1');
    await d.same('XREAD', 'STREAMS', 'a', `${MAX}-${MAX}`);
    await d.same('XREAD', 'STREAMS', 'a', '5');
    await d.same('XREAD', 'STREAMS', 'a', '4');
    await d.same('XREAD', 'STREAMS', 'a', '$\x00x');
    await d.same('XREAD', 'STREAMS', 'a', '-');
    await d.same('XREAD', 'STREAMS', 'a', '+');
    await d.same('XREAD', 'STREAMS', 'a', 'abc');
    await d.same('XREAD', 'STREAMS', 'a', '>');
    await d.same('XREAD', 'STREAMS', 'a', 'b', '0');
    await d.same('XREAD', 'STREAMS', 'a', 'b', 'c');
    await d.same('XREAD', 'COUNT', 'x', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'COUNT', '1', 'a', '0');
    await d.same('XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'NOACK', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'BLOCK', 'x', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'BLOCK', '0', 'STREAMS', 'a', '0');
    await d.same('XREAD', 'BLOCK', '100', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0');
    await d.same('XREAD', 'STREAMS', 'a', 'junk', 'STREAMS');
    await d.same('XDEL', 'a', '5-1');
    await d.same('XREAD', 'STREAMS', 'a', '4-1');
    await d.same('XREAD', 'STREAMS', 'a', '$');
    await d.same('SET', 'str', 'x');
    await d.same('XREAD', 'STREAMS', 'a', 'str', '0', '0');
    await d.same('XREAD', 'STREAMS', 'str', 'a', 'abc', 'abc');
  });

  it('XINFO STREAM (and FULL without groups) and XINFO HELP', async () => {
    await d.same('XINFO', 'HELP');
    await d.same('xinfo', 'help');
    await d.same('XINFO', 'HELP', 'x');
    await d.same('XINFO', 'STREAM', 'missing');
    await d.same('XINFO', 'STREAM');
    await d.same('XINFO', 'NOPE', 's');
    await d.same('XADD', 's', '1-1', 'f', 'v');
    await d.sameInfo('s');
    await d.same('XDEL', 's', '1-1');
    await d.sameInfo('s');
    await d.sameInfo('s', 'FULL');
    await d.fill('s', 30, 2, (i) => ['f', String(i), 'g', 'x'.repeat(i)]);
    await d.sameInfo('s');
    await d.sameInfo('s', 'FULL');
    await d.sameInfo('s', 'full', 'count', '3');
    await d.sameInfo('s', 'FULL', 'COUNT', '0');
    await d.sameInfo('s', 'FULL', 'COUNT', '-1');
    await d.same('XINFO', 'STREAM', 's', 'FULL', 'COUNT', 'x');
    await d.same('XINFO', 'STREAM', 's', 'FULL', 'COUNT');
    await d.same('XINFO', 'STREAM', 's', 'FULL', 'LIMIT', '3');
    await d.same('XINFO', 'STREAM', 's', 'PARTIAL');
    await d.same('XINFO', 'STREAM', 's', 'FULL', 'COUNT', '1', 'x');
    await d.same('XINFO', 'STREAM', 'missing', 'junk');
    await d.same('SET', 'str', 'x');
    await d.same('XINFO', 'STREAM', 'str');
  });

  it('RESP3 replies: maps, nulls and null arrays', async () => {
    // HELLO's reply holds the client id, which differs: only the protocol switch matters.
    await d.p.both('HELLO', '3');
    try {
      await d.fill('a', 3, 1, (i) => ['f', String(i)]);
      await d.same('XADD', 'b', '5-1', 'g', 'h');
      await d.same('XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0');
      await d.same('XREAD', 'STREAMS', 'a', '$');
      await d.same('XRANGE', 'a', '-', '+', 'COUNT', '0');
      await d.same('XREVRANGE', 'a', '+', '-', 'COUNT', '2');
      await d.same('XADD', 'none', 'NOMKSTREAM', '*', 'f', 'v');
      await d.sameInfo('a');
      await d.sameInfo('a', 'FULL');
      await d.same('XDEL', 'b', '5-1');
      await d.sameInfo('b');
      await d.same('XINFO', 'HELP');
    } finally {
      await d.p.both('HELLO', '2');
    }
  });

  it('CONFIG SET stream-node-max-entries and -bytes apply to later appends', async () => {
    await d.same('CONFIG', 'SET', 'stream-node-max-entries', '2');
    await d.fill('s', 5, 1, (i) => ['f', String(i)]);
    await d.sameInfo('s');
    await d.same('CONFIG', 'SET', 'stream-node-max-entries', '100', 'stream-node-max-bytes', '60');
    await d.fill('s', 5, 10, (i) => ['f', String(i)]);
    await d.sameInfo('s');
    await d.same('XTRIM', 's', 'MAXLEN', '~', '3');
    await d.sameInfo('s');
    await d.same('CONFIG', 'SET', 'stream-node-max-bytes', '4096');
  });

  it('streams in the generic commands: TYPE, OBJECT ENCODING, COPY, RENAME, DEL, SCAN TYPE, DEBUG DIGEST', async () => {
    await d.fill('s', 20, 1, (i) => ['f', String(i), 'n', 'v'.repeat(i)]);
    await d.same('XDEL', 's', '3-1', '7-1');
    await d.same('TYPE', 's');
    await d.same('OBJECT', 'ENCODING', 's');
    await d.same('DEBUG', 'DIGEST-VALUE', 's');
    await d.same('COPY', 's', 'c');
    await d.same('XADD', 'c', '30-1', 'f', 'v');
    await d.same('XLEN', 's');
    await d.same('XRANGE', 'c', '-', '+');
    await d.sameInfo('c');
    await d.same('RENAME', 'c', 'r');
    await d.sameInfo('r');
    await d.same('DEBUG', 'DIGEST');
    await d.same('SET', 'str', 'x');
    const scan = async (client: RawClient): Promise<string[]> => {
      const [cursor, keys] = (await client.call('SCAN', '0', 'TYPE', 'stream', 'COUNT', '100')).value as [string, string[]];
      expect(cursor).toBe('0');
      return keys.slice().sort();
    };
    expect(await scan(d.p.ours)).toEqual(await scan(d.p.ref));
    await d.same('DEL', 's', 'r');
    await d.same('DEBUG', 'DIGEST');
  });
});

/** Node boundaries: approximate trimming must remove exactly the nodes redis-server removes. */
describe.skipIf(!hasRedisServer())('stream node sizes vs redis-server', () => {
  const configs: [entries: number, bytes: number][] = [
    [100, 4096],
    [10, 4096],
    [3, 0],
    [0, 300],
    [7, 150],
    [1, 4096],
  ];
  for (const [entries, bytes] of configs) {
    it(`stream-node-max-entries ${entries}, stream-node-max-bytes ${bytes}`, async () => {
      const args = ['--stream-node-max-entries', String(entries), '--stream-node-max-bytes', String(bytes)];
      const servers = await startDiffServers(args, args);
      try {
        const d = new StreamDiff(await servers.pair());
        // Values of varied sizes (and some integers, which a listpack stores compactly).
        const value = (i: number): string[] =>
          i % 7 === 0 ? ['f', String(i * 1000)] : i % 5 === 0 ? ['other', 'y'.repeat(i % 90), 'f', 'z'] : ['f', 'x'.repeat(i % 40)];
        await d.fill('s', 400, 1, value);
        await d.sameInfo('s');
        for (const [op, n] of [['MAXLEN', '350'], ['MAXLEN', '333'], ['MINID', '120'], ['MAXLEN', '200'], ['MINID', '250-2']]) {
          await d.same('XTRIM', 's', op, '~', n);
          await d.sameInfo('s');
        }
        await d.same('XDEL', 's', '390-1', '391-1', '392-1', '393-1', '399-1', '400-1');
        await d.same('XADD', 's', '500-1', 'f', 'v');
        await d.sameInfo('s');
        for (let i = 501; i < 700; i++) await d.same('XADD', 's', 'MAXLEN', '~', '120', `${i}-1`, ...value(i));
        await d.sameInfo('s');
        await d.same('XTRIM', 's', 'MAXLEN', '~', '10', 'LIMIT', '30');
        await d.same('XTRIM', 's', 'MINID', '~', '690', 'LIMIT', '0');
        await d.sameInfo('s');
        await d.same('XRANGE', 's', '-', '+');
      } finally {
        await servers.stop();
      }
    });
  }
});

/**
 * Node splits by bytes: our simulated listpack size must equal redis-server's to the
 * byte, across every element encoding (integers of each width, strings around the
 * 63/64, 4095/4096 and back-length 127/16383 boundaries, deltas of big IDs).
 */
describe.skipIf(!hasRedisServer())('stream node byte limits vs redis-server', () => {
  for (const bytes of [600, 5000, 20000]) {
    it(`stream-node-max-bytes ${bytes}`, async () => {
      const args = ['--stream-node-max-entries', '0', '--stream-node-max-bytes', String(bytes)];
      const servers = await startDiffServers(args, args);
      try {
        const d = new StreamDiff(await servers.pair());
        const integers = ['0', '127', '128', '-1', '4095', '4096', '-4096', '-4097', '32767', '32768', '-32769', '8388607',
          '8388608', '-8388609', '2147483647', '2147483648', '-2147483649', '9223372036854775807', '-9223372036854775808',
          '9223372036854775808', '007', '-0', '+1', ' 1', '1 '];
        const lengths = [0, 1, 62, 63, 64, 65, 125, 126, 127, 128, 4093, 4094, 4095, 4096, 4097, 16380, 16383, 16384];
        const values: string[] = [...integers, ...lengths.map((n) => 'v'.repeat(n))];
        let ms = 1;
        for (const v of values) {
          for (const fields of [['f', v], ['f', v, 'g', 'h'], [v, 'x']]) {
            // IDs with big jumps exercise the wider delta encodings too.
            ms += ms % 3 === 0 ? 70000 : ms % 3 === 1 ? 300 : 1;
            await d.same('XADD', 's', `${ms}-${ms % 5 === 0 ? '4294967296' : '*'}`, ...fields);
            const { ours, ref } = await d.p.both('XINFO', 'STREAM', 's');
            expect(showXinfo(ours.raw), `after XADD ${ms} ${JSON.stringify(fields).slice(0, 60)}`).toBe(showXinfo(ref.raw));
          }
        }
        for (let i = 0; i < 50; i++) {
          await d.same('XDEL', 's', `${1 + i * 7}-0`);
          await d.same('XADD', 's', `${ms + i + 1}-*`, 'f', String(i * 9999));
        }
        await d.sameInfo('s');
        await d.same('XTRIM', 's', 'MAXLEN', '~', '20');
        await d.sameInfo('s');
      } finally {
        await servers.stop();
      }
    });
  }

  it('splits at the same byte: the smallest value that starts a new node is the same', async () => {
    const maxBytes = 40000;
    const args = ['--stream-node-max-entries', '0', '--stream-node-max-bytes', String(maxBytes)];
    const servers = await startDiffServers(args, args);
    try {
      const p = await servers.pair();
      const w = (n: number): string => 'w'.repeat(n);
      const prefixes: string[][][] = [
        // Back-length sizes: encodings of 127/128 and 16383/16384 bytes.
        [['f', w(125)], ['f', w(126)], ['f', w(4093)], ['f', w(4094)]],
        [['f', w(16378)], ['f', w(16379)]],
        [['f', w(4095)], ['f', w(4096)], ['g', w(4097)]],
        [['f', 'v']],
        [['f', '1'], ['f', '-4097'], ['f', '9223372036854775807']],
        [['a', 'x'.repeat(63)], ['a', 'x'.repeat(64)], ['b', 'c', 'd', 'e']],
        [['field', 'y'.repeat(130)], ['field', 'z'.repeat(2000)], ['other', '12', 'field', '']],
        [['f', '0'], ['f', '127'], ['f', '128'], ['f', '32768'], ['f', '8388608'], ['f', '2147483648'], ['f', '-1']],
        [['f', '-4096'], ['f', '4095'], ['f', '4096'], ['f', '-32768'], ['f', '-32769'], ['f', '32767']],
        [['f', '8388607'], ['f', '-8388608'], ['f', '-8388609'], ['f', '2147483647'], ['f', '-2147483648'], ['f', '-2147483649']],
        [['-9223372036854775808', '9223372036854775808'], ['007', '-0'], ['1'.repeat(20), '1'.repeat(21)]],
      ];
      const idsFor = [
        (i: number) => `${i + 1}-1`,
        (i: number) => `${1 + i * 127}-${i * 4095}`,
        (i: number) => `${1 + i * 100000}-${i * 70000}`,
        (i: number) => `${i + 1}-${4294967296 * i}`,
        // Deltas computed exactly with bigints: -2^31 (int32) and -2^32 (int64).
        (i: number) => `${i + 1}-${9007199254740993n - 2147483648n * BigInt(i)}`,
      ];
      for (const prefix of prefixes) {
        for (const idOf of idsFor) {
          /** The smallest probe value length whose XADD starts a second node. */
          const splitAt = async (client: RawClient): Promise<number> => {
            let lo = 0;
            let hi = maxBytes;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              await client.call('DEL', 'p');
              for (let i = 0; i < prefix.length; i++) await client.call('XADD', 'p', idOf(i), ...prefix[i]);
              await client.call('XADD', 'p', idOf(prefix.length), 'f', 'q'.repeat(mid));
              const info = (await client.call('XINFO', 'STREAM', 'p')).value as (string | number)[];
              if (info[info.indexOf('radix-tree-keys') + 1] === 2) hi = mid;
              else lo = mid + 1;
            }
            return lo;
          };
          expect(await splitAt(p.ours), JSON.stringify(prefix)).toBe(await splitAt(p.ref));
        }
      }
    } finally {
      await servers.stop();
    }
  });
});

/**
 * XSETID may set the last ID below deleted entries: later entries are then stored
 * after bigger (deleted) IDs, and new nodes get keys that sort before older nodes.
 * redis-server's replies in that state follow from how it walks its nodes.
 */
describe.skipIf(!hasRedisServer())('out-of-order IDs after XSETID vs redis-server', () => {
  it('ranges, deletes, trims and appends over nodes and entries out of order', async () => {
    const args = ['--stream-node-max-entries', '3', ...DEBUG];
    const servers = await startDiffServers(args, args);
    try {
      const d = new StreamDiff(await servers.pair());
      const look = async (): Promise<void> => {
        await d.same('XRANGE', 's', '-', '+');
        await d.same('XREVRANGE', 's', '+', '-');
        await d.same('XRANGE', 's', '2', '50');
        await d.same('XREVRANGE', 's', '50', '2');
        await d.same('XRANGE', 's', '(1-1', '+', 'COUNT', '2');
        await d.same('XREVRANGE', 's', '1', '-');
        await d.same('XREAD', 'STREAMS', 's', '0');
        await d.same('XREAD', 'STREAMS', 's', '3-0');
        await d.sameInfo('s');
        await d.same('DEBUG', 'DIGEST-VALUE', 's');
      };
      await d.fill('s', 4, 1, (i) => ['f', String(i)]);
      await d.same('XADD', 's', '100-1', 'f', 'big');
      await d.same('XADD', 's', '200-1', 'f', 'bigger');
      await d.same('XDEL', 's', '100-1', '200-1');
      await d.same('XSETID', 's', '4-5');
      for (let i = 5; i <= 12; i++) await d.same('XADD', 's', `${i}-*`, 'f', String(i));
      await look();
      await d.same('XDEL', 's', '6-0', '9-0', '12-0');
      await look();
      await d.same('XSETID', 's', '12-0');
      await d.same('XADD', 's', '13-*', 'f', 'x');
      await d.same('XTRIM', 's', 'MINID', '7');
      await look();
      await d.same('XTRIM', 's', 'MAXLEN', '~', '3');
      await look();
      await d.same('XTRIM', 's', 'MAXLEN', '2');
      await look();
      await d.same('XADD', 's', 'MINID', '~', '13', '14-*', 'f', 'y');
      await look();

      // A node left with deleted entries only (MINID trims inside it), then IDs below
      // them: with room in it they follow its bigger IDs, when it is full each one
      // starts a node that sorts before it.
      for (const key of ['t', 'u']) {
        // 't' ends with a full node (3 entries), 'u' with room for one more.
        await d.fill(key, key === 't' ? 2 : 1, 10, (i) => ['f', String(i)]);
        await d.same('XADD', key, '30-1', 'f', 'third', 'g', 'x');
        await d.same('XDEL', key, '30-1');
        await d.same('XTRIM', key, 'MINID', '25');
        await d.sameInfo(key);
        await d.same('XSETID', key, '5-0');
        for (let i = 6; i <= 9; i++) await d.same('XADD', key, `${i}-*`, 'f', String(i));
        await d.sameInfo(key);
        for (const [a, b] of [['-', '+'], ['7', '8'], ['(6-0', '+'], ['11', '+'], ['-', '6']]) {
          await d.same('XRANGE', key, a, b);
          await d.same('XREVRANGE', key, b, a);
        }
        await d.same('XDEL', key, '7-0', '30-1');
        await d.same('XRANGE', key, '-', '+');
        await d.same('XTRIM', key, 'MAXLEN', '~', '1');
        await d.same('XTRIM', key, 'MINID', '9');
        await d.sameInfo(key);
        await d.same('DEBUG', 'DIGEST-VALUE', key);
      }
    } finally {
      await servers.stop();
    }
  });
});

/**
 * Effects: XADD * goes out with its ID and `~` trims as exact ones. Replaying our
 * effects on a real redis-server must rebuild our dataset: the same DEBUG DIGEST.
 */
describe.skipIf(!hasRedisServer())('stream effects replay to the same dataset', () => {
  it('XADD *, <ms>-*, MAXLEN ~ / MINID ~ with LIMIT, XTRIM ~, XDEL, XSETID', async () => {
    const args = ['--stream-node-max-entries', '5'];
    const servers = await startDiffServers([...args, ...DEBUG], [...args, ...DEBUG]);
    const effects: TextEffect[] = [];
    servers.ours.broker.engine.onEffects((unit) => effects.push(...effectsAsText(unit)));
    const ours = await RawClient.connect(servers.ours.port);
    try {
      const run = async (...argv: string[]): Promise<void> => void (await ours.call(...argv));
      for (let i = 0; i < 60; i++) await run('XADD', 's', 'MAXLEN', '~', '20', 'LIMIT', '10', '*', 'f', String(i));
      for (let i = 0; i < 30; i++) await run('XADD', 't', 'MINID', '~', `${i * 10}`, `${i * 10 + 5}-*`, 'f', String(i));
      await run('XADD', 't', `${400}-*`, 'a', 'b');
      await run('XTRIM', 's', 'MAXLEN', '~', '8');
      await run('XTRIM', 't', 'MINID', '~', '350', 'LIMIT', '5');
      await run('XTRIM', 't', 'MAXLEN', '~', '1000');
      await run('XDEL', 't', '295-0', '999-0');
      await run('XSETID', 't', '500-0', 'ENTRIESADDED', '1000', 'MAXDELETEDID', '450-0');
      await run('XADD', 'u', 'NOMKSTREAM', '*', 'f', 'v');

      const idEffect = effects.find((e) => e.argv[0] === 'XADD' && e.argv[1] === 's')!;
      expect(idEffect.argv.slice(2, 4)).toEqual(['MAXLEN', '=']);
      expect(idEffect.argv).not.toContain('*');
      expect(idEffect.argv).not.toContain('LIMIT');
      expect(effects.some((e) => e.argv[1] === 'u')).toBe(false);

      const ref = await RawClient.connect(servers.ref.port);
      for (const e of effects) await ref.call(...e.argv);
      const [a, b] = [await ours.call('DEBUG', 'DIGEST'), await ref.call('DEBUG', 'DIGEST')];
      expect(show(a.raw)).toBe(show(b.raw));
      for (const key of ['s', 't']) {
        const [x, y] = [await ours.call('XINFO', 'STREAM', key), await ref.call('XINFO', 'STREAM', key)];
        expect(showXinfo(x.raw)).toBe(showXinfo(y.raw));
      }
      ref.close();

      // And replayed on a fresh broker of ours.
      const replica = await startBroker([...args, ...DEBUG]);
      const r = await RawClient.connect(replica.port);
      for (const e of effects) await r.call(...e.argv);
      expect(show((await r.call('DEBUG', 'DIGEST')).raw)).toBe(show(a.raw));
      r.close();
      await replica.stop();
    } finally {
      ours.close();
      await servers.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
