/**
 * Differential: the same random command sequence (strings, lists, streams with
 * consumer groups, MULTI/EXEC, several dbs, SWAPDB, FLUSHDB) goes to our broker with
 * the AOF on and to a reference redis-server. Then, with DEBUG DIGEST and, since the
 * digest ignores consumer groups, XINFO STREAM FULL, GROUPS and CONSUMERS of every
 * stream (pending entries, delivery counts and times, consumers, last-delivered IDs):
 * - our broker restarted from its AOF equals redis-server;
 * - our incremental file, sent as it is to a fresh redis-server and to a fresh
 *   broker without AOF, rebuilds the same dataset there (the AOF is valid input for
 *   redis-server too);
 * - with a rewrite in the middle of the sequence, the restart still equals it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type InProcessBroker, type RunningServer } from '../harness/servers.js';
import { prng } from '../harness/prng.js';
import { digest, sleep, tempDir } from './proc.js';
import { allStreams, fillMixedDataset, maskSeenTime, streamState, STREAMS } from './dataset.js';

const KEYS = ['a', 'b', 'c', 'l1', 'l2', 's1', 's2', '\x00bin'];

function generator(seed: number): () => string[][] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  let nextId = 1;
  const one = (): string[] => {
    const k = pick(KEYS);
    const k2 = pick(KEYS);
    switch (int(36)) {
      case 0: return ['SET', k, `v${int(100)}`];
      case 1: return ['INCRBY', k, String(int(50) - 25)];
      case 2: return ['APPEND', k, 'xy'];
      case 3: return ['DEL', k];
      case 4: return ['EXPIRE', k, String(100_000 + int(1000))];
      case 5: return ['RPUSH', k, `e${int(20)}`, `e${int(20)}`];
      case 6: return ['LPUSH', k, `e${int(20)}`];
      case 7: return [pick(['LPOP', 'RPOP']), k];
      case 8: return ['LMOVE', k, k2, pick(['LEFT', 'RIGHT']), pick(['LEFT', 'RIGHT'])];
      case 9: return ['LREM', k, String(int(3) - 1), `e${int(20)}`];
      case 10: return ['LTRIM', k, String(int(3)), String(-1 - int(3))];
      case 11:
      case 12: return ['XADD', k, `${nextId++}-${int(3)}`, 'f', `v${int(10)}`, ...(int(4) === 0 ? ['g', 'h'] : [])];
      case 13: return ['XADD', k, 'MAXLEN', '~', String(int(30)), `${nextId++}-0`, 'f', 'v'];
      case 14: return ['XDEL', k, `${int(nextId)}-${int(3)}`];
      case 15: return ['XTRIM', k, 'MAXLEN', String(int(20))];
      case 16: return ['XGROUP', 'CREATE', k, pick(['g1', 'g2']), pick(['0', '$']), ...(int(3) === 0 ? ['MKSTREAM'] : [])];
      case 17:
      case 18: return ['XREADGROUP', 'GROUP', pick(['g1', 'g2']), pick(['c1', 'c2', 'c3']), 'COUNT', String(1 + int(3)), 'STREAMS', k, pick(['>', '0'])];
      case 19: return ['XACK', k, pick(['g1', 'g2']), `${int(nextId)}-${int(3)}`];
      case 20: return ['XCLAIM', k, pick(['g1', 'g2']), pick(['c1', 'c2']), '0', `${int(nextId)}-${int(3)}`];
      case 21: return ['XAUTOCLAIM', k, pick(['g1', 'g2']), pick(['c1', 'c3']), '0', '0-0', 'COUNT', '2'];
      case 22: return ['XGROUP', 'DELCONSUMER', k, 'g1', pick(['c1', 'c2'])];
      case 23: return ['XSETID', k, `${nextId + 5}-0`];
      case 24: return ['SELECT', pick(['0', '1', '2'])];
      case 25: return int(8) === 0 ? ['SWAPDB', pick(['0', '1']), pick(['1', '2'])] : ['COPY', k, k2];
      case 26: return int(15) === 0 ? ['FLUSHDB'] : ['RENAME', k, k2];
      case 27: return ['SETEX', k, '100000', 'temp'];
      case 28: return ['PERSIST', k];
      case 29: return ['HSET', k, `f${int(5)}`, `v${int(10)}`, ...(int(20) === 0 ? [`long${int(3)}`, 'x'.repeat(70)] : [])];
      case 30: return ['HDEL', k, `f${int(5)}`];
      case 31: return [pick(['HINCRBY', 'HINCRBYFLOAT']), k, `n${int(2)}`, pick(['1', '-3', '2.5'])];
      case 32: return ['SADD', k, String(int(10)), ...(int(3) === 0 ? [`m${int(5)}`] : [])];
      case 33: return ['SREM', k, String(int(10)), `m${int(5)}`];
      case 34: return int(2) === 0 ? ['SMOVE', k, k2, String(int(10))] : [pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), k, k2, pick(KEYS)];
      default: return ['GET', k];
    }
  };
  return () => {
    if (int(8) !== 0) return [one()];
    // A transaction of a few commands (some may fail inside: EXEC runs the rest).
    return [['MULTI'], ...Array.from({ length: 2 + int(4) }, one), ['EXEC']];
  };
}

/**
 * Consumer groups only, on two streams whose IDs XACK, XCLAIM and XDEL do hit: the
 * mixed sequences above end with few pending entries, and a broker that lost XACK,
 * XCLAIM or XAUTOCLAIM from its AOF shows only in the pending entries that remain.
 */
function groupGenerator(seed: number): () => string[][] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  let nextId = 1;
  const id = (): string => `${1 + int(nextId)}-0`;
  const one = (): string[] => {
    const k = pick(['s1', 's2']);
    const g = pick(['g1', 'g2']);
    const c = pick(['c1', 'c2', 'c3']);
    switch (int(16)) {
      case 0:
      case 1:
      case 2: return ['XADD', k, `${nextId++}-0`, 'f', `v${int(10)}`];
      case 3: return ['XGROUP', 'CREATE', k, g, pick(['0', '$']), 'MKSTREAM'];
      case 4:
      case 5:
      case 6: return ['XREADGROUP', 'GROUP', g, c, 'COUNT', String(1 + int(4)), 'STREAMS', k, '>'];
      case 7:
      case 8: return ['XACK', k, g, id(), id()];
      case 9: return ['XCLAIM', k, g, c, '0', id(), id(), ...pick([[], ['RETRYCOUNT', '5'], ['JUSTID'], ['FORCE']])];
      case 10: return ['XAUTOCLAIM', k, g, c, '0', '0-0', 'COUNT', String(1 + int(3)), ...(int(3) === 0 ? ['JUSTID'] : [])];
      case 11: return ['XDEL', k, id()];
      case 12: return int(4) === 0 ? ['XGROUP', 'DELCONSUMER', k, g, c] : ['XGROUP', 'CREATECONSUMER', k, g, c];
      case 13: return ['XGROUP', 'SETID', k, g, id(), ...(int(2) === 0 ? ['ENTRIESREAD', String(int(nextId))] : [])];
      case 14: return int(4) === 0 ? ['XTRIM', k, 'MAXLEN', String(20 + int(20))] : ['XREADGROUP', 'GROUP', g, c, 'STREAMS', k, '0'];
      default: return ['SELECT', pick(['0', '1'])];
    }
  };
  return () => (int(8) !== 0 ? [one()] : [['MULTI'], ...Array.from({ length: 2 + int(3) }, one), ['EXEC']]);
}

/** How many entries are pending in all the groups of `streams` (allStreams' shape). */
function pendingEntries(streams: Record<string, unknown>): number {
  let n = 0;
  for (const s of Object.values(streams)) {
    for (const g of (s as { groups: unknown[][] }).groups) n += g[g.indexOf('pending') + 1] as number;
  }
  return n;
}

/** Sends an AOF's bytes to a server as one client would, and waits until all of it has run. */
async function replay(port: number, bytes: Buffer): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    c.write(Buffer.concat([bytes, encodeCommand(['PING'])]));
    while ((await c.read(30_000)).raw.toString() !== '+PONG\r\n');
  } finally {
    c.close();
  }
}

/** Dbs the random sequences use (SELECT 0 to 2). */
const DBS = 3;

async function streamsOf(port: number, clock: 'relative' | 'all'): Promise<Record<string, unknown>> {
  const c = await RawClient.connect(port);
  try {
    return await allStreams(c, DBS, clock);
  } finally {
    c.close();
  }
}

/**
 * Expects our live broker's streams, consumer groups included, to equal the
 * reference's (delivery times aside: each server read its own clock); returns ours
 * with delivery times, which a restart or a replay of the AOF must keep exactly.
 */
async function expectSameStreams(refPort: number, oursPort: number): Promise<Record<string, unknown>> {
  const expected = await streamsOf(refPort, 'all');
  expect(await streamsOf(oursPort, 'all'), 'live streams').toEqual(expected);
  return streamsOf(oursPort, 'relative');
}

async function rewriteDone(c: RawClient): Promise<void> {
  for (let i = 0; i < 500 && !((await c.call('INFO', 'persistence')).value as string).includes('aof_rewrite_in_progress:0'); i++) await sleep(10);
}

describe.skipIf(!hasRedisServer())('the AOF against redis-server', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  async function redis(): Promise<RunningServer> {
    const r = await startRedis(['--enable-debug-command', 'yes']);
    stops.push(() => r.stop());
    return r;
  }

  async function broker(args: readonly string[]): Promise<InProcessBroker> {
    const b = await startBroker(['--enable-debug-command', 'yes', ...args]);
    stops.push(() => b.stop());
    return b;
  }

  const sequences = [
    ...[1, 2, 3].map((seed) => ({ name: `random sequence ${seed}`, next: generator(seed), groups: false })),
    ...[4, 5].map((seed) => ({ name: `random consumer-group sequence ${seed}`, next: groupGenerator(seed), groups: true })),
  ];
  for (const { name, next, groups: ofGroups } of sequences) {
    it(`${name}: restart from the AOF and replays of it equal redis-server`, async () => {
      const dir = tempDir('differential');
      const batches = Array.from({ length: 600 }, next);
      const ref = await redis();
      const ours = await broker(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always']);
      const [cr, co] = [await RawClient.connect(ref.port), await RawClient.connect(ours.port)];
      for (const batch of batches) {
        await cr.pipeline(batch);
        await co.pipeline(batch);
      }
      cr.close();
      co.close();
      const expected = await digest(ref.port);
      expect(expected, 'an empty dataset proves nothing').not.toBe('0'.repeat(40));
      expect(await digest(ours.port), 'live').toBe(expected);
      const groups = await expectSameStreams(ref.port, ours.port);
      if (ofGroups) expect(pendingEntries(groups), 'a sequence of consumer groups that leaves nothing pending proves little').toBeGreaterThan(20);
      await ours.stop();
      const restarted = await broker(['--dir', dir, '--appendonly', 'yes']);
      expect(await digest(restarted.port), 'restarted from the AOF').toBe(expected);
      expect(await streamsOf(restarted.port, 'relative'), 'streams restarted from the AOF').toEqual(groups);
      await restarted.stop();

      // The incremental file as input: the base of a fresh start holds no keys.
      const incr = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'));
      for (const fresh of [await redis(), await broker([])]) {
        await replay(fresh.port, incr);
        expect(await digest(fresh.port), 'incr file replayed').toBe(expected);
        expect(await streamsOf(fresh.port, 'relative'), 'streams of the incr file replayed').toEqual(groups);
      }
    });
  }

  it('a transaction across databases replays into the right ones', async () => {
    const dir = tempDir('multi-db');
    const ref = await redis();
    const ours = await broker(['--dir', dir, '--appendonly', 'yes']);
    const batch = [['MULTI'], ['SELECT', '1'], ['SET', 'a', '1'], ['SELECT', '2'], ['SET', 'b', '2'], ['RPUSH', 'l', 'x'], ['SELECT', '0'], ['SET', 'c', '3'], ['EXEC']];
    for (const port of [ref.port, ours.port]) {
      const c = await RawClient.connect(port);
      await c.pipeline(batch);
      c.close();
    }
    const expected = await digest(ref.port);
    expect(await digest(ours.port)).toBe(expected);
    await ours.stop();
    const restarted = await broker(['--dir', dir, '--appendonly', 'yes']);
    expect(await digest(restarted.port)).toBe(expected);
  });

  it('with rewrites in the middle of the sequence, the restart equals redis-server', async () => {
    const dir = tempDir('differential-rewrite');
    const next = generator(7);
    const ref = await redis();
    const ours = await broker(['--dir', dir, '--appendonly', 'yes']);
    const [cr, co] = [await RawClient.connect(ref.port), await RawClient.connect(ours.port)];
    for (let i = 0; i < 900; i++) {
      const batch = next();
      await cr.pipeline(batch);
      await co.pipeline(batch);
      if (i % 300 === 150) {
        expect((await co.call('BGREWRITEAOF')).raw.toString()).toBe('+Background append only file rewriting started\r\n');
        await rewriteDone(co);
      }
    }
    cr.close();
    co.close();
    const expected = await digest(ref.port);
    expect(await digest(ours.port)).toBe(expected);
    const groups = await expectSameStreams(ref.port, ours.port);
    await ours.stop();
    const restarted = await broker(['--dir', dir, '--appendonly', 'yes']);
    expect(await digest(restarted.port)).toBe(expected);
    expect(await streamsOf(restarted.port, 'relative'), 'streams restarted from the AOF').toEqual(groups);
  });
});

describe.skipIf(!hasRedisServer())('a RESP base (aof-use-rdb-preamble no)', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('is loaded by redis-server too: same DEBUG DIGEST and XINFO STREAM FULL', async () => {
    const dir = tempDir('resp-base');
    const ours = await startBroker(['--dir', dir, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', '--enable-debug-command', 'yes']);
    stops.push(() => ours.stop());
    const c = await RawClient.connect(ours.port);
    await fillMixedDataset(c);
    expect((await c.call('BGREWRITEAOF')).raw.toString()).toBe('+Background append only file rewriting started\r\n');
    await rewriteDone(c);
    await c.call('SET', 'after-the-rewrite', 'x');
    const expected = await digest(ours.port);
    const streams: unknown[] = [];
    for (const k of STREAMS) streams.push(await streamState(c, k));
    c.close();
    await ours.stop();
    const aofDir = path.join(dir, 'appendonlydir');
    expect(fs.readFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'latin1')).toBe(
      'file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    );
    const restarted = await startBroker(['--dir', dir, '--appendonly', 'yes', '--enable-debug-command', 'yes']);
    stops.push(() => restarted.stop());
    const ref = await startRedis(['--enable-debug-command', 'yes']);
    stops.push(() => ref.stop());
    await replay(ref.port, Buffer.concat(['appendonly.aof.2.base.aof', 'appendonly.aof.2.incr.aof'].map((f) => fs.readFileSync(path.join(aofDir, f)))));
    const r = await RawClient.connect(ref.port);
    const o = await RawClient.connect(restarted.port);
    expect(await digest(restarted.port)).toBe(expected);
    expect(await digest(ref.port)).toBe(expected);
    for (let i = 0; i < STREAMS.length; i++) {
      const mine = maskSeenTime(await streamState(o, STREAMS[i]));
      expect(mine, STREAMS[i]).toEqual(maskSeenTime(await streamState(r, STREAMS[i])));
      // What a RESP base cannot carry: consumers' seen times; the rest is as before.
      expect(mine, STREAMS[i]).toEqual(maskSeenTime(streams[i]));
    }
    o.close();
    r.close();
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
