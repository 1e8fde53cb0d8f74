/**
 * The snapshot format (engine/persist): a dataset of every type written and read back
 * gives the same DEBUG DIGEST and the same XINFO STREAM FULL; a snapshot taken while
 * clients keep writing (copy-on-write, time-sliced) holds the dataset of its start,
 * long streams, lists, hashes and sets (written over several slices, their parts
 * shared) included,
 * and the live values keep every change; damaged bytes are reported with their offset.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { loadSnapshot, snapshotBytes, SnapshotWriter } from '../../engine/persist/snapshot.js';
import { FormatError } from '../../engine/persist/bytes.js';
import { RawClient } from '../harness/raw.js';
import { startBroker, type InProcessBroker } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { fillMixedDataset, run, streamState } from './dataset.js';

describe('snapshot format', () => {
  const server = suiteBroker(['--enable-debug-command', 'yes']);
  const c = suiteClient(server);

  /** A second broker loaded from `bytes`, for comparison over a socket. */
  async function loaded(bytes: Buffer): Promise<{ server: InProcessBroker; c: RawClient }> {
    const other = await startBroker(['--enable-debug-command', 'yes']);
    loadSnapshot(other.broker.engine.dbs, bytes, { now: Date.now() });
    return { server: other, c: await RawClient.connect(other.port) };
  }

  it('round-trips strings, lists and streams with groups exactly', async () => {
    await fillMixedDataset(c);
    const bytes = snapshotBytes(server.broker.engine.dbs, Date.now());
    const other = await loaded(bytes);
    try {
      expect((await other.c.call('DEBUG', 'DIGEST')).value).toEqual((await c.call('DEBUG', 'DIGEST')).value);
      for (const key of ['s:plain', 's:groups', 's:deleted', 's:empty']) {
        expect(await streamState(other.c, key), key).toEqual(await streamState(c, key));
      }
      for (const db of ['0', '3']) {
        await c.call('SELECT', db);
        await other.c.call('SELECT', db);
        expect((await other.c.call('DBSIZE')).value).toBe((await c.call('DBSIZE')).value);
      }
      await c.call('SELECT', '0');
      await other.c.call('SELECT', '0');
      expect((await other.c.call('PTTL', 'str:ttl')).value).toBeGreaterThan(100_000);
      expect((await other.c.call('OBJECT', 'ENCODING', 'str:int')).value).toBe('int');
    } finally {
      other.c.close();
      await other.server.stop();
    }
  });

  it("a stream's nodes kept encoded by one save or load are encoded again once changed", async () => {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'stream-node-max-entries', '10');
    try {
      await run(c, Array.from({ length: 100 }, (_, i) => ['XADD', 'st', `${i + 1}-1`, 'f', `v${i}`]));
      await run(c, [['XGROUP', 'CREATE', 'st', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '20', 'STREAMS', 'st', '>']]);
      // The first save keeps each full node's listpack (StreamNode.rdbEncoded).
      snapshotBytes(server.broker.engine.dbs, Date.now());
      await run(c, [['XDEL', 'st', '5-1', '57-1'], ['XTRIM', 'st', 'MINID', '23-1'], ['XADD', 'st', '101-1', 'f', 'new'], ['XACK', 'st', 'g', '3-1']]);
      const saved = await loaded(snapshotBytes(server.broker.engine.dbs, Date.now()));
      try {
        expect(await streamState(saved.c, 'st')).toEqual(await streamState(c, 'st'));
        // Loaded nodes keep their listpacks too: change one on the loaded side and save again.
        await saved.c.call('XDEL', 'st', '88-1');
        const again = await loaded(snapshotBytes(saved.server.broker.engine.dbs, Date.now()));
        try {
          expect(await streamState(again.c, 'st')).toEqual(await streamState(saved.c, 'st'));
          expect((await again.c.call('XLEN', 'st')).value).toBe(77);
        } finally {
          again.c.close();
          await again.server.stop();
        }
      } finally {
        saved.c.close();
        await saved.server.stop();
      }
    } finally {
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
    }
  });

  it('a snapshot taken while clients write holds the dataset of its start', async () => {
    await c.call('FLUSHALL');
    await run(c, Array.from({ length: 3000 }, (_, i) => ['RPUSH', `l:${i % 300}`, String(i)]));
    await c.call('XADD', 'st', '1-1', 'f', 'v');
    await c.call('XGROUP', 'CREATE', 'st', 'g', '0');
    await c.call('SET', 'gone-later', 'x');
    await c.call('SELECT', '1');
    await c.call('SET', 'in-db1', 'y');
    await c.call('SELECT', '0');
    const before = (await c.call('DEBUG', 'DIGEST')).value;
    const engine = server.broker.engine;
    const writer = new SnapshotWriter(engine.dbs, Date.now());
    const parts: Buffer[] = [];
    let done = false;
    // Interleave slices of the snapshot with writes of every kind.
    for (let round = 0; !done; round++) {
      done = writer.step(0);
      parts.push(writer.drain());
      await c.call('RPUSH', `l:${round % 300}`, 'after');
      await c.call('DEL', `l:${(round * 7) % 300}`);
      if (round === 2) {
        await c.call('XADD', 'st', '2-1', 'f', 'v2');
        await c.call('XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 'st', '>');
        await c.call('DEL', 'gone-later');
        await c.call('SWAPDB', '0', '1');
        await c.call('SET', 'new-key', 'z');
        await c.call('FLUSHDB');
        await c.call('SWAPDB', '0', '1');
      }
    }
    parts.push(writer.finish());
    expect(engine.dbs[0].guard).toBe(null);
    const other = await loaded(Buffer.concat(parts));
    try {
      expect((await other.c.call('DEBUG', 'DIGEST')).value).toEqual(before);
      expect((await other.c.call('XPENDING', 'st', 'g')).value).toEqual([0, null, null, null]);
      await other.c.call('SELECT', '1');
      expect((await other.c.call('GET', 'in-db1')).value).toBe('y');
    } finally {
      other.c.close();
      await other.server.stop();
    }
  });

  it('long streams saved while clients change them hold their start; the live streams keep every change', async () => {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'stream-node-max-entries', '10');
    const fill = (key: string): string[][] =>
      Array.from({ length: 2000 }, (_, i) => ['XADD', key, `${i + 1}-1`, 'f', `v${i}`, ...(i % 3 === 0 ? ['g', 'x'] : [])]);
    try {
      // Two streams of 200 nodes: one frozen by its first write (copy-on-write), one by the walk.
      for (const key of ['by-write', 'by-walk']) {
        await run(c, fill(key));
        await run(c, [['XGROUP', 'CREATE', key, 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '50', 'STREAMS', key, '>']]);
      }
      const before = { digest: (await c.call('DEBUG', 'DIGEST')).value, a: await streamState(c, 'by-write'), b: await streamState(c, 'by-walk') };
      // The same changes on a broker without a snapshot running: what the live streams must become.
      const reference = await loaded(snapshotBytes(server.broker.engine.dbs, Date.now()));
      await reference.c.call('CONFIG', 'SET', 'stream-node-max-entries', '10');
      const changes = (round: number): string[][] => {
        const key = round % 2 === 0 ? 'by-write' : 'by-walk';
        return [
          ['XADD', key, `${5000 + round}-1`, 'f', 'after'],
          ['XDEL', key, `${(round * 37) % 2000 + 1}-1`],
          ['XTRIM', key, 'MAXLEN', String(1990 - round * 3)],
          ['XTRIM', key, 'MAXLEN', '~', String(1900 - round * 20)],
          ['XREADGROUP', 'GROUP', 'g', `c${round % 3}`, 'COUNT', '5', 'STREAMS', key, '>'],
          ['XACK', key, 'g', `${(round * 11) % 2000 + 1}-1`],
        ];
      };
      const { bytes, rounds } = await snapshotWhileChanging(changes, reference.c);
      // Enough rounds that the changes met the streams while they were being written.
      expect(rounds).toBeGreaterThan(10);
      const other = await loaded(bytes);
      try {
        expect((await other.c.call('DEBUG', 'DIGEST')).value).toEqual(before.digest);
        expect(await streamState(other.c, 'by-write')).toEqual(before.a);
        expect(await streamState(other.c, 'by-walk')).toEqual(before.b);
        for (const key of ['by-write', 'by-walk']) {
          expect(await contents(c, key), key).toEqual(await contents(reference.c, key));
        }
      } finally {
        other.c.close();
        await other.server.stop();
        reference.c.close();
        await reference.server.stop();
      }
    } finally {
      await c.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
    }
  });

  it('long lists saved while clients change them hold their start; the live lists keep every change', async () => {
    await c.call('FLUSHALL');
    // Two lists of 80 chunks (128 elements each): one frozen by its first write, one by the walk.
    for (const key of ['q-write', 'q-walk']) {
      for (let i = 0; i < 10_240; i += 1024) {
        await run(c, [['RPUSH', key, ...Array.from({ length: 1024 }, (_, j) => `e${(i + j) % 97}`)]]);
      }
      // Chunk 39 left with 118 elements, and most of chunk 40 made of 'zz': removing those
      // from the tail side leaves chunk 40 small enough to merge into chunk 39, which that
      // LREM did not touch.
      await run(c, [...Array.from({ length: 10 }, (_, j) => ['LSET', key, String(128 * 39 + j), 'yy']), ['LREM', key, '0', 'yy']]);
      await run(c, Array.from({ length: 126 }, (_, j) => ['LSET', key, String(128 * 40 - 10 + j), 'zz']));
    }
    const before = (await c.call('DEBUG', 'DIGEST')).value;
    const reference = await loaded(snapshotBytes(server.broker.engine.dbs, Date.now()));
    const changes = (round: number): string[][] => {
      const key = round % 2 === 0 ? 'q-write' : 'q-walk';
      return [
        ['LPUSH', key, `head${round}`],
        ['RPUSH', key, `tail${round}`],
        ['LPOP', key],
        ['RPOP', key, '2'],
        ['LSET', key, String(2000 + round * 301), `set${round}`],
        ['LINSERT', key, 'BEFORE', `e${round % 97}`, `ins${round}`],
        ['LREM', key, '3', `e${(round * 5) % 97}`],
        ['LTRIM', key, '1', '-2'],
        ...(round === 2 || round === 3 ? [['LREM', key, '-126', 'zz']] : []),
      ];
    };
    const { bytes, rounds } = await snapshotWhileChanging(changes, reference.c);
    expect(rounds).toBeGreaterThan(5);
    await expectStartHeld(bytes, before, reference);
  });

  it('long hashes and sets saved while clients change them hold their start; the live values keep every change', async () => {
    await c.call('FLUSHALL');
    // Past 64 parts of 128 members: frozen, one of each by its first write, one by the walk.
    const n = 10_000;
    for (const key of ['h-write', 'h-walk', 's-write', 's-walk']) {
      for (let i = 0; i < n; i += 1000) {
        const members = Array.from({ length: 1000 }, (_, j) => `m${i + j}`);
        await run(c, [key.startsWith('h') ? ['HSET', key, ...members.flatMap((m) => [m, String(i)])] : ['SADD', key, ...members]]);
      }
    }
    const before = (await c.call('DEBUG', 'DIGEST')).value;
    const reference = await loaded(snapshotBytes(server.broker.engine.dbs, Date.now()));
    const changes = (round: number): string[][] => {
      const which = round % 2 === 0 ? 'write' : 'walk';
      return [
        ['HSET', `h-${which}`, `m${round * 7}`, 'changed', `new${round}`, 'v'],
        ['HDEL', `h-${which}`, `m${round * 11 + 1}`, `m${n - 1 - round}`],
        ['HINCRBY', `h-${which}`, `m${round * 13 + 2}`, '5'],
        ['SADD', `s-${which}`, `new${round}`],
        ['SREM', `s-${which}`, `m${round * 11 + 1}`, `m${n - 1 - round}`],
        ['SMOVE', `s-${which}`, 'moved', `m${round * 17 + 3}`],
      ];
    };
    const { bytes, rounds } = await snapshotWhileChanging(changes, reference.c);
    expect(rounds).toBeGreaterThan(2);
    await expectStartHeld(bytes, before, reference);
  });

  it('long string values (bytes) saved while clients change them in place hold their start', async () => {
    await c.call('FLUSHALL');
    // Two long values saved by the walk's first slice, two by their first change (copy on write).
    const long = (i: number): string => String.fromCharCode(97 + i).repeat(1024 * 1024 + 100 * i);
    await run(c, [['SET', 'L0', long(0)], ['SET', 'L1', long(1)]]);
    await run(c, Array.from({ length: 100 }, (_, i) => ['SET', `small${i}`, String(i)]));
    await run(c, [['SET', 'L2', long(2)], ['APPEND', 'L3', long(3)], ['APPEND', 'L3', 'grown in place']]);
    const before = (await c.call('DEBUG', 'DIGEST')).value;
    const reference = await loaded(snapshotBytes(server.broker.engine.dbs, Date.now()));
    const changes = (round: number): string[][] => [
      ['APPEND', `L${round % 4}`, `+${round}`],
      ['SETRANGE', `L${(round + 1) % 4}`, String(100 + round), 'patched'],
      ['SETRANGE', `L${(round + 2) % 4}`, String(1024 * 1024 + 1000), 'past the end'],
      ['SET', `small${round}`, 'changed'],
    ];
    const { bytes, rounds } = await snapshotWhileChanging(changes, reference.c);
    expect(rounds).toBeGreaterThan(2);
    await expectStartHeld(bytes, before, reference);
  });

  /**
   * The snapshot `bytes` loads as the dataset was when it began (`before`, a digest), and
   * the live dataset equals `reference`, which ran the same changes without a snapshot.
   * Stops `reference` and the broker it loads into.
   */
  async function expectStartHeld(bytes: Buffer, before: unknown, reference: { server: InProcessBroker; c: RawClient }): Promise<void> {
    const other = await loaded(bytes);
    try {
      expect((await other.c.call('DEBUG', 'DIGEST')).value).toEqual(before);
      expect((await c.call('DEBUG', 'DIGEST')).value).toEqual((await reference.c.call('DEBUG', 'DIGEST')).value);
    } finally {
      other.c.close();
      await other.server.stop();
      reference.c.close();
      await reference.server.stop();
    }
  }

  /**
   * Writes a live snapshot one slice at a time, running `changes(round)` before each
   * slice here and on `reference`; returns the snapshot and the number of rounds.
   */
  async function snapshotWhileChanging(changes: (round: number) => string[][], reference: RawClient): Promise<{ bytes: Buffer; rounds: number }> {
    const writer = new SnapshotWriter(server.broker.engine.dbs, Date.now());
    const parts: Buffer[] = [];
    let rounds = 0;
    for (let done = false; !done; rounds++) {
      const commands = changes(rounds);
      await run(c, commands);
      await run(reference, commands);
      done = writer.step(0);
      parts.push(writer.drain());
    }
    parts.push(writer.finish());
    return { bytes: Buffer.concat(parts), rounds };
  }

  /** A stream's entries, node layout and pending entries, without the times that differ between two brokers. */
  async function contents(client: RawClient, key: string): Promise<unknown> {
    const [entries, info, pending] = await run(client, [
      ['XRANGE', key, '-', '+'],
      ['XINFO', 'STREAM', key],
      ['XPENDING', key, 'g', '-', '+', '100000'],
    ]);
    return { entries, info, pending: (pending as unknown[][]).map(([id, consumer, , count]) => [id, consumer, count]) };
  }

  it('reports damaged bytes with their offset', () => {
    const engine = new Engine({ databases: 16 });
    engine.dbs[0].set('k', 'v');
    const bytes = snapshotBytes(engine.dbs, Date.now());
    const fresh = () => new Engine({ databases: 16 }).dbs;
    expect(() => loadSnapshot(fresh(), bytes.subarray(0, bytes.length - 6), { now: 0 })).toThrow(FormatError);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 12] ^= 0x40;
    try {
      loadSnapshot(fresh(), flipped, { now: 0 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).offset).toBeGreaterThan(0);
    }
    const dbs = fresh();
    expect(loadSnapshot(dbs, bytes, { now: 0 })).toMatchObject({ keys: 1, expired: 0, end: bytes.length });
    expect(dbs[0].peek('k')?.value).toBe('v');
  });
});
