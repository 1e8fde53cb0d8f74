/**
 * Differential: the same random command sequence (strings, lists, streams with
 * consumer groups, MULTI/EXEC, several dbs, SWAPDB, FLUSHDB) goes to our broker with
 * the AOF on and to a reference redis-server. Then, with DEBUG DIGEST:
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
import { digest, prng, sleep, tempDir } from './proc.js';
import { fillMixedDataset, maskSeenTime, streamState, STREAMS } from './dataset.js';

const KEYS = ['a', 'b', 'c', 'l1', 'l2', 's1', 's2', '\x00bin'];

function generator(seed: number): () => string[][] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  let nextId = 1;
  const one = (): string[] => {
    const k = pick(KEYS);
    const k2 = pick(KEYS);
    switch (int(30)) {
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
      default: return ['GET', k];
    }
  };
  return () => {
    if (int(8) !== 0) return [one()];
    // A transaction of a few commands (some may fail inside: EXEC runs the rest).
    return [['MULTI'], ...Array.from({ length: 2 + int(4) }, one), ['EXEC']];
  };
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

async function rewriteDone(c: RawClient): Promise<void> {
  for (let i = 0; i < 500 && !((await c.call('INFO', 'persistence')).value as string).includes('aof_rewrite_in_progress:0'); i++) await sleep(10);
}

async function play(c: RawClient, commands: readonly string[][]): Promise<void> {
  c.write(Buffer.concat(commands.map((argv) => encodeCommand(argv))));
  await c.readMany(commands.length);
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

  for (const seed of [1, 2, 3]) {
    it(`random sequence ${seed}: restart from the AOF and replays of it equal redis-server`, async () => {
      const dir = tempDir('differential');
      const next = generator(seed);
      const batches = Array.from({ length: 600 }, next);
      const ref = await redis();
      const ours = await broker(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always']);
      const [cr, co] = [await RawClient.connect(ref.port), await RawClient.connect(ours.port)];
      for (const batch of batches) {
        await play(cr, batch);
        await play(co, batch);
      }
      cr.close();
      co.close();
      const expected = await digest(ref.port);
      expect(expected, 'an empty dataset proves nothing').not.toBe('0'.repeat(40));
      expect(await digest(ours.port), 'live').toBe(expected);
      await ours.stop();
      const restarted = await broker(['--dir', dir, '--appendonly', 'yes']);
      expect(await digest(restarted.port), 'restarted from the AOF').toBe(expected);
      await restarted.stop();

      // The incremental file as input: the base of a fresh start holds no keys.
      const incr = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'));
      for (const fresh of [await redis(), await broker([])]) {
        await replay(fresh.port, incr);
        expect(await digest(fresh.port), 'incr file replayed').toBe(expected);
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
      await play(c, batch);
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
      await play(cr, batch);
      await play(co, batch);
      if (i % 300 === 150) {
        expect((await co.call('BGREWRITEAOF')).raw.toString()).toBe('+Background append only file rewriting started\r\n');
        await rewriteDone(co);
      }
    }
    cr.close();
    co.close();
    const expected = await digest(ref.port);
    expect(await digest(ours.port)).toBe(expected);
    await ours.stop();
    const restarted = await broker(['--dir', dir, '--appendonly', 'yes']);
    expect(await digest(restarted.port)).toBe(expected);
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
