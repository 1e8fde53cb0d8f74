/**
 * HyperLogLog against redis-server, byte for byte: after the same PFADDs the keys hold
 * the same bytes (GET), through the sparse encoding, its promotion to dense at
 * hll-sparse-max-bytes and the dense one; PFCOUNT gives the same estimates, one key (the
 * cache in the header) or many (the union); PFMERGE, PFDEBUG, PFSELFTEST; values moved
 * between the servers; corrupt and foreign strings refused with redis-server's errors;
 * PFCOUNT's cache write seen by WATCH and propagated; the effects replayed on a fresh
 * redis-server.
 */
import { describe, expect, it } from 'vitest';
import { effectsOfEachTest, replayedDigest } from '../harness/effects.js';
import { encodeCommand } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const elements = (n: number, prefix: string, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

describe.skipIf(!hasRedisServer())('HyperLogLog commands vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });
  const units = effectsOfEachTest(servers);

  async function same(...commands: string[][]): Promise<void> {
    await p.samePipeline(commands);
  }

  it('PFADD: the same bytes after every batch, sparse then dense, and the same estimates', async () => {
    const commands: string[][] = [['PFADD', 'h'], ['GET', 'h'], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h']];
    let added = 0;
    for (const batch of [1, 1, 2, 5, 10, 30, 100, 300, 600, 1000, 3000, 10000]) {
      commands.push(['PFADD', 'h', ...elements(batch, 'e', added)], ['GET', 'h'], ['PFCOUNT', 'h'], ['PFCOUNT', 'h'], ['PFDEBUG', 'ENCODING', 'h'], ['STRLEN', 'h']);
      commands.push(['PFADD', 'h', ...elements(batch, 'e', added)]);
      added += batch;
    }
    commands.push(['OBJECT', 'ENCODING', 'h'], ['PFADD', 'h', '', '\x00', '\xff'.repeat(100), 'x'.repeat(5000)], ['GET', 'h'], ['PFCOUNT', 'h']);
    await same(...commands);
  });

  it('hashes every length of element as redis-server does (MurmurHash64A tails)', async () => {
    const commands: string[][] = [];
    for (let len = 0; len <= 40; len++) {
      const bytes = Array.from({ length: len }, (_, i) => String.fromCharCode((i * 37 + len * 11 + 200) & 0xff)).join('');
      commands.push(['PFADD', `h${len}`, bytes], ['GET', `h${len}`]);
    }
    await same(...commands);
  });

  it('hll-sparse-max-bytes decides the promotion; PFDEBUG GETREG, DECODE, ENCODING, TODENSE', async () => {
    await same(
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '60'],
      ['PFADD', 'h', ...elements(20, 'a')],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['GET', 'h'],
      ['PFADD', 'h', ...elements(20, 'b')],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['GET', 'h'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'],
      ['PFADD', 'z', 'a'],
      ['PFDEBUG', 'ENCODING', 'z'],
      ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'],
      ['PFADD', 's', ...elements(50, 'c')],
      ['PFDEBUG', 'GETREG', 's'],
      ['PFDEBUG', 'ENCODING', 's'],
      ['PFADD', 's2', ...elements(5, 'c')],
      ['PFDEBUG', 'TODENSE', 's2'],
      ['PFDEBUG', 'TODENSE', 's2'],
      ['PFDEBUG', 'DECODE', 's2'],
      ['GET', 's2'],
      ['PFDEBUG', 'ENCODING', 'nokey'],
      ['PFDEBUG', 'BOGUS', 'nokey'],
      ['PFDEBUG', 'BOGUS', 's2'],
      ['PFDEBUG', 'getreg', 's2', 'x'],
      ['SET', 'str', 'x'],
      ['PFDEBUG', 'ENCODING', 'str'],
      ['PFADD', 'e'],
      ['PFDEBUG', 'DECODE', 'e'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '-1'],
    );
  });

  it('PFCOUNT of several keys, PFMERGE of sparse and dense values into new and existing keys', async () => {
    await same(
      ['PFADD', 'a', ...elements(100, 'x')],
      ['PFADD', 'b', ...elements(100, 'x', 50)],
      ['PFADD', 'd', ...elements(5000, 'y')],
      ['PFCOUNT', 'a', 'b'],
      ['PFCOUNT', 'a', 'b', 'nokey'],
      ['PFCOUNT', 'nokey', 'nokey2'],
      ['PFCOUNT', 'a', 'd'],
      ['PFMERGE', 'ab', 'a', 'b'],
      ['GET', 'ab'],
      ['PFCOUNT', 'ab'],
      ['PFDEBUG', 'ENCODING', 'ab'],
      ['PFMERGE', 'ad', 'a', 'd'],
      ['GET', 'ad'],
      ['PFDEBUG', 'ENCODING', 'ad'],
      ['PFMERGE', 'a', 'b'],
      ['GET', 'a'],
      ['PFMERGE', 'b', 'd'],
      ['GET', 'b'],
      ['PFMERGE', 'only'],
      ['GET', 'only'],
      ['PFMERGE', 'only2', 'nokey'],
      ['GET', 'only2'],
      ['SET', 'x', 'v', 'EX', '100'],
      ['PFMERGE', 'ab', 'x'],
      ['SET', 'e', 'v', 'EX', '100'],
      ['DEL', 'e'],
      ['PFADD', 'e', 'q'],
      ['EXPIRE', 'e', '100'],
      ['PFMERGE', 'e', 'a'],
      ['TTL', 'e'],
      ['PFADD', 'e', 'new'],
      ['TTL', 'e'],
      ['PFCOUNT'],
      ['PFMERGE'],
      ['PFADD'],
    );
  });

  it('PFCOUNT of several keys whose first value is dense: alone among missing keys, with others, before corrupt or foreign values', async () => {
    await same(['PFADD', 'd', ...elements(5000, 'y')], ['PFADD', 'd2', ...elements(3000, 'z')], ['PFDEBUG', 'TODENSE', 'd2'], ['PFADD', 's', 'a', 'b', 'c']);
    const sparse = (await p.same('GET', 's')).value as string;
    const dense = (await p.same('GET', 'd')).value as string;
    await same(
      ['SET', 'corrupt', sparse.slice(0, 16) + '\x7f' + sparse.slice(17)],
      ['SET', 'dstr', dense],
      ['RPUSH', 'l', 'a'],
      ['PFCOUNT', 'd', 'nokey'],
      ['PFCOUNT', 'nokey', 'd', 'nokey2'],
      ['PFCOUNT', 'd', 'd'],
      ['PFCOUNT', 'd', 'd2'],
      ['PFCOUNT', 'd2', 'd', 'nokey'],
      ['PFCOUNT', 'd', 's'],
      ['PFCOUNT', 's', 'd'],
      ['PFCOUNT', 'd', 's', 'd2'],
      ['PFCOUNT', 'nokey', 'nokey2'],
      ['PFCOUNT', 'dstr', 'nokey'],
      ['OBJECT', 'ENCODING', 'dstr'],
      ['PFCOUNT', 'd', 'corrupt', 'l'],
      ['PFCOUNT', 'd', 'l', 'corrupt'],
      ['PFCOUNT', 'd', 'nokey', 'corrupt'],
      ['PFCOUNT', 'corrupt', 'd'],
      ['PFCOUNT', 'd'],
      ['PFADD', 'd', 'more', 'and', 'more'],
      ['PFCOUNT', 'd', 'nokey'],
      ['PFCOUNT', 'd'],
      ['GET', 'd'],
    );
  });

  it('foreign and corrupt strings: WRONGTYPE, INVALIDOBJ, what redis-server accepts', async () => {
    await same(['PFADD', 'h', 'a', 'b', 'c'], ['PFADD', 'd', ...elements(3000, 'z')], ['PFDEBUG', 'TODENSE', 'd']);
    const sparse = (await p.same('GET', 'h')).value as string;
    const dense = (await p.same('GET', 'd')).value as string;
    const corrupt = (at: number, byte: string, from = sparse): string => from.slice(0, at) + byte + from.slice(at + 1);
    const values: Record<string, string> = {
      short: 'HYLL',
      magic: 'HYLX' + sparse.slice(4),
      encoding: corrupt(4, '\x02'),
      denseShort: dense.slice(0, -1),
      denseLong: dense + 'x',
      denseFromSparse: corrupt(4, '\x00'),
      sparseAsDense: corrupt(4, '\x01', dense),
      overflowing: corrupt(16, '\x7f'),
      truncated: sparse.slice(0, -1),
      extra: sparse + '\x80',
      valRun: sparse.slice(0, 16) + '\xff'.repeat(5000),
      halfXzero: sparse.slice(0, 16) + '\x40',
      cached: corrupt(15, '\x00'),
      int: '12345',
    };
    for (const [name, value] of Object.entries(values)) {
      await same(
        ['SET', name, value],
        ['PFCOUNT', name],
        ['PFCOUNT', name],
        ['PFCOUNT', name, 'h'],
        ['PFADD', name, 'new1', 'new2'],
        ['GET', name],
        ['PFMERGE', 'm', name],
        ['PFMERGE', name, 'h'],
        ['GET', name],
        ['PFDEBUG', 'ENCODING', name],
        ['PFDEBUG', 'DECODE', name],
        ['PFDEBUG', 'TODENSE', name],
        ['PFDEBUG', 'GETREG', name],
        ['OBJECT', 'ENCODING', name],
      );
    }
    await same(['RPUSH', 'l', 'a'], ['PFADD', 'l', 'a'], ['PFCOUNT', 'l'], ['PFCOUNT', 'h', 'l'], ['PFMERGE', 'h', 'l'], ['PFMERGE', 'l', 'h'], ['PFDEBUG', 'ENCODING', 'l']);
  });

  it('values move between the servers: redis-server counts ours, we count its (GET, SET, DUMP, RESTORE, DEBUG RELOAD)', async () => {
    await same(['PFADD', 's', ...elements(200, 'm')], ['PFADD', 'd', ...elements(20000, 'm')]);
    for (const key of ['s', 'd']) {
      const bytes = (await p.ours.call('GET', key)).value as string;
      const payload = (await p.same('DUMP', key)).value as string;
      await same(['SET', `${key}2`, bytes], ['PFCOUNT', `${key}2`], ['PFADD', `${key}2`, 'more'], ['GET', `${key}2`], ['RESTORE', `${key}3`, '0', payload], ['PFCOUNT', `${key}3`, key]);
    }
    await same(['DEBUG', 'RELOAD'], ['GET', 's'], ['GET', 'd'], ['PFADD', 's', 'after'], ['GET', 's'], ['OBJECT', 'ENCODING', 's']);
  });

  it('PFCOUNT writes its cache: WATCH sees it, a cached count does not; effects replay on redis-server', async () => {
    const watcher = await servers.pair();
    try {
      await same(['PFADD', 'h', 'a', 'b']);
      await watcher.same('WATCH', 'h');
      await same(['PFCOUNT', 'h']);
      await watcher.same('MULTI');
      await watcher.same('PING');
      await watcher.same('EXEC');
      await watcher.same('WATCH', 'h');
      await same(['PFCOUNT', 'h'], ['PFADD', 'h', 'a'], ['PFCOUNT', 'h', 'nokey']);
      await watcher.same('MULTI');
      await watcher.same('PING');
      await watcher.same('EXEC');
    } finally {
      watcher.close();
    }
    await same(
      ['PFADD', 'h', 'c'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'GETREG', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFADD', 'g'],
      ['PFADD', 'g'],
      ['PFMERGE', 'm', 'g', 'h'],
      ['PFCOUNT', 'm'],
      ['PFCOUNT', 'm'],
    );
    const effects = units.flat().map((e) => e.argv.join(' '));
    expect(effects).toEqual(['PFADD h a b', 'PFCOUNT h', 'PFADD h c', 'PFDEBUG GETREG h', 'PFADD g', 'PFMERGE m g h', 'PFCOUNT m']);
    const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units)).toBe(ours);
  });

  it('PFSELFTEST passes (ours only: 10,000,000 additions take redis-server minutes on a loaded machine)', async () => {
    await p.same('PFSELFTEST', 'x');
    p.ours.write(encodeCommand(['PFSELFTEST']));
    expect((await p.ours.read(280_000)).raw.toString()).toBe('+OK\r\n');
  }, 300_000);
});

if (!hasRedisServer()) console.warn(NO_REDIS);
