/**
 * RDB files both ways, judged by redis-server 7.0 and its tools: seeded random command
 * sequences (strings, lists, streams with groups, pending entries, deleted entries,
 * trims, expiries) run on the broker and on redis-server; each one's dump.rdb, loaded
 * by the other, gives the same DEBUG DIGEST, XINFO STREAM FULL and encodings as the
 * first server's own reload of the dataset, and redis-check-rdb accepts every file the
 * broker writes. Values whose encoding a load changes (shrunk hashes, sets and sorted
 * sets) load the same way in both.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { testResources } from '../harness/resources.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { fillMixedDataset, maskSeenTime, streamState } from './dataset.js';
import { randomCommands, runLoose } from './rdb-workload.js';

const DEBUG = ['--enable-debug-command', 'yes'];
/** Small nodes, so streams span many listpacks and lists many quicklist nodes. */
const SMALL_NODES = ['--stream-node-max-entries', '7'];
const STREAM_KEYS = ['stream:0', 'stream:1', 'stream:2', 'stream:3', 's:plain', 's:groups', 's:deleted', 's:empty'];
/** Hashes and sets, whose encodings (listpack or hashtable, intset or hashtable) must survive too. */
const COLLECTION_KEYS = [0, 1, 2, 3].flatMap((i) => [`hash:${i}`, `set:${i}`]).concat(['hash:small', 'hash:long', 'hash:big', 'set:ints', 'set:words', 'set:big']);

const { servers, clients } = testResources();

async function connect(server: RunningServer): Promise<RawClient> {
  servers.push(server);
  const c = await RawClient.connect(server.port);
  clients.push(c);
  for (let i = 0; i < 500; i++) {
    if (!(await c.call('PING')).raw.toString('latin1').startsWith('-LOADING')) return c;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('server still loading');
}

/** DEBUG DIGEST, per-db sizes, every stream's XINFO and every collection's encoding: what must survive a file. */
async function dataset(c: RawClient): Promise<unknown> {
  const streams: Record<string, unknown> = {};
  for (const key of STREAM_KEYS) {
    if ((await c.call('TYPE', key)).raw.toString() === '+stream\r\n') streams[key] = await streamState(c, key);
  }
  const encodings: Record<string, unknown> = {};
  for (const key of COLLECTION_KEYS) encodings[key] = (await c.call('OBJECT', 'ENCODING', key)).value;
  const sizes: unknown[] = [];
  for (const db of ['0', '3']) {
    await c.call('SELECT', db);
    sizes.push((await c.call('DBSIZE')).value);
  }
  await c.call('SELECT', '0');
  const digest = (await c.call('DEBUG', 'DIGEST')).value;
  // Not an empty dataset: a file that failed to load would compare equal to another.
  expect(digest).not.toBe('0'.repeat(40));
  expect(Object.keys(streams).length).toBeGreaterThan(2);
  return { digest, sizes, streams, encodings };
}

/**
 * The server that ran the commands saves and loads its dataset again (DEBUG RELOAD), so
 * it is compared with the other in the state a load gives: loading converts values
 * whose encoding the size rules no longer call for (a hash once over
 * hash-max-listpack-entries and trimmed since, a sorted set with a -0 score) back to
 * the small encodings, as redis-server does with its own file.
 */
async function reloaded(c: RawClient): Promise<void> {
  expect((await c.call('DEBUG', 'RELOAD')).raw.toString()).toBe('+OK\r\n');
}

function checkRdb(file: string): string {
  const res = spawnSync('redis-check-rdb', [file], { encoding: 'latin1' });
  expect(res.stdout + res.stderr, file).toContain('RDB looks OK!');
  expect(res.status).toBe(0);
  return res.stdout;
}

describe.skipIf(!hasRedisServer())('RDB files against redis-server', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  for (const seed of [1, 2, 3, 5, 8]) {
    it(`the broker's dump.rdb loads in redis-server with the same data (seed ${seed})`, async () => {
      const dir = tempDir('rdb-ours-');
      const ours = await connect(await startBroker(['--dir', dir, ...DEBUG, ...SMALL_NODES]));
      if (seed === 1) await fillMixedDataset(ours);
      await runLoose(ours, randomCommands(seed, 3000));
      expect((await ours.call('SAVE')).raw.toString()).toBe('+OK\r\n');
      const file = path.join(dir, 'dump.rdb');
      checkRdb(file);
      const ref = await connect(await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb', ...DEBUG]));
      await reloaded(ours);
      expect(await dataset(ref)).toEqual(await dataset(ours));
    });

    it(`redis-server's dump.rdb loads in the broker with the same data (seed ${seed})`, async () => {
      const dir = tempDir('rdb-ref-');
      const ref = await connect(await startRedis(['--dir', dir, ...DEBUG, ...SMALL_NODES]));
      if (seed === 1) await fillMixedDataset(ref);
      await runLoose(ref, randomCommands(seed, 3000));
      expect((await ref.call('SAVE')).raw.toString()).toBe('+OK\r\n');
      expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
      const ours = await connect(await startBroker(['--dir', dir, ...DEBUG]));
      await reloaded(ref);
      expect(await dataset(ours)).toEqual(await dataset(ref));
    });
  }
});

describe.skipIf(!hasRedisServer())('encodings a load gives', () => {
  /** Values that are hashtables (skiplists) only because of their past: a load makes them small again. */
  const SHRUNK = [
    ['HSET', 'hash:trimmed', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, String(i)]).flat()],
    ['HDEL', 'hash:trimmed', ...Array.from({ length: 597 }, (_, i) => `f${i}`)],
    ['HSET', 'hash:once-long', 'f', 'x'.repeat(100)],
    ['HSET', 'hash:once-long', 'f', 'short'],
    ['SADD', 'set:trimmed', ...Array.from({ length: 600 }, (_, i) => String(i))],
    ['SREM', 'set:trimmed', ...Array.from({ length: 590 }, (_, i) => String(i))],
    ['SADD', 'set:once-word', '1', 'word'],
    ['SREM', 'set:once-word', 'word'],
    ['ZADD', 'zset:trimmed', ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat(), '-0', 'negzero'],
    ['ZREMRANGEBYRANK', 'zset:trimmed', '0', '195'],
  ];
  const KEYS = ['hash:trimmed', 'hash:once-long', 'set:trimmed', 'set:once-word', 'zset:trimmed'];

  async function encodings(c: RawClient): Promise<unknown> {
    const out: Record<string, unknown> = {};
    for (const key of KEYS) out[key] = (await c.call('OBJECT', 'ENCODING', key)).value;
    return { out, digest: (await c.call('DEBUG', 'DIGEST')).value };
  }

  it("a shrunk hash, set or sorted set loads in the small encoding in both servers, each from the other's file", async () => {
    const dirOurs = tempDir('rdb-enc-ours-');
    const dirRef = tempDir('rdb-enc-ref-');
    const ours = await connect(await startBroker(['--dir', dirOurs, ...DEBUG]));
    const ref = await connect(await startRedis(['--dir', dirRef, ...DEBUG]));
    for (const argv of SHRUNK) expect((await ours.call(...argv)).raw).toEqual((await ref.call(...argv)).raw);
    expect(await encodings(ours)).toEqual(await encodings(ref));
    expect((await ours.call('OBJECT', 'ENCODING', 'hash:trimmed')).value).toBe('hashtable');
    await ours.call('SAVE');
    await ref.call('SAVE');
    const refLoadsOurs = await connect(await startRedis(['--dir', dirOurs, ...DEBUG]));
    const oursLoadsRef = await connect(await startBroker(['--dir', dirRef, ...DEBUG]));
    const loaded = await encodings(refLoadsOurs);
    expect(await encodings(oursLoadsRef)).toEqual(loaded);
    expect((loaded as { out: Record<string, unknown> }).out).toEqual({
      'hash:trimmed': 'listpack',
      'hash:once-long': 'listpack',
      'set:trimmed': 'intset',
      'set:once-word': 'intset',
      'zset:trimmed': 'listpack',
    });
  });
});

describe('files of earlier broker versions', () => {
  it('a BRKSNAP snapshot still loads, and is saved again as RDB that redis-server loads', async () => {
    const dir = tempDir('rdb-brksnap-');
    fs.copyFileSync(path.join(import.meta.dirname, 'fixtures', 'brksnap-v1.rdb'), path.join(dir, 'dump.rdb'));
    const ours = await connect(await startBroker(['--dir', dir, ...DEBUG]));
    // The digest the broker that wrote the fixture reported for it.
    const digest = '699a55994339e8cb467a7d07d3b1e7c3ddef9bd8';
    expect((await ours.call('DEBUG', 'DIGEST')).value).toEqual({ simple: digest });
    expect((await ours.call('XPENDING', 's', 'g')).value).toEqual([4, '1-1', '6-1', [['alice', '3'], ['bob', '1']]]);
    await ours.call('SAVE');
    expect(fs.readFileSync(path.join(dir, 'dump.rdb')).latin1Slice(0, 9)).toBe('REDIS0010');
    if (!hasRedisServer()) return;
    checkRdb(path.join(dir, 'dump.rdb'));
    const ref = await connect(await startRedis(['--dir', dir, ...DEBUG]));
    expect((await ref.call('DEBUG', 'DIGEST')).value).toEqual({ simple: digest });
    expect(await streamState(ref, 's')).toEqual(await streamState(ours, 's'));
  });
});

/** Until no rewrite or background save runs. */
async function rewritten(c: RawClient): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const info = (await c.call('INFO', 'persistence')).raw.toString('latin1');
    if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the rewrite did not finish');
}

/** A dataset in an AOF directory: commands, a rewrite (an RDB base), more commands (the incremental file). */
async function fillAof(c: RawClient, seed: number): Promise<void> {
  const commands = randomCommands(seed, 4000);
  await runLoose(c, commands.slice(0, 2500));
  await c.call('BGREWRITEAOF');
  await rewritten(c);
  await runLoose(c, commands.slice(2500));
  // Both servers write the AOF each turn: a read after the writes sees them on disk.
  await c.call('PING');
}

/**
 * The same AOF directory loaded by both servers gives the same data. Compared with each
 * other rather than with the server that wrote it: replaying an incremental file sets
 * consumers' seen times to the time of the replay, and redis-server's own effects of
 * consumer-group reads do not carry everything back (engine/commands/stream-group.ts).
 */
async function bothLoad(dir: string): Promise<void> {
  const copy = tempDir('aof-copy-');
  fs.cpSync(dir, copy, { recursive: true });
  const ref = await connect(await startRedis(['--dir', dir, ...AOF, ...DEBUG]));
  const ours = await connect(await startBroker(['--dir', copy, ...AOF, ...DEBUG]));
  expect(maskSeenTime(await dataset(ours))).toEqual(maskSeenTime(await dataset(ref)));
}

const AOF = ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes', '--appendfsync', 'always'];

describe.skipIf(!hasRedisServer())('the whole AOF directory (RDB base and incremental files)', () => {
  it("the broker's appendonlydir loads in redis-server", async () => {
    const dir = tempDir('aof-ours-');
    const ours = await connect(await startBroker(['--dir', dir, ...AOF, ...DEBUG, ...SMALL_NODES]));
    await fillAof(ours, 21);
    const base = fs.readdirSync(path.join(dir, 'appendonlydir')).find((f) => f.endsWith('.base.rdb'));
    expect(base).toBeDefined();
    checkRdb(path.join(dir, 'appendonlydir', base!));
    await bothLoad(dir);
  });

  it("redis-server's appendonlydir loads in the broker", async () => {
    const dir = tempDir('aof-ref-');
    const ref = await connect(await startRedis(['--dir', dir, ...AOF, ...DEBUG, ...SMALL_NODES]));
    await fillAof(ref, 22);
    await bothLoad(dir);
  });
});
