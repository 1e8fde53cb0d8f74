/**
 * Stream nodes that keep their RDB bytes (StreamNode.rdbEncoded: given by the idle
 * encoder, or by a load, which leaves nodes undecoded) against redis-server: copies
 * (COPY, DUMP and RESTORE) are independent of their source, and no change (XDEL inside
 * a full node, exact XTRIM, XTRIM ~, XSETID, XADD, consumer group commands, RENAME,
 * MOVE) lets a save write stale entries. Both servers run the same commands, are
 * reloaded (DEBUG RELOAD) and compared; the broker's SAVE file is then loaded by
 * redis-server and compared again.
 */
import { describe, expect, it } from 'vitest';
import { diffSuite, showXinfo } from '../harness/diff.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, startRedis } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { until } from '../harness/wait.js';
import type { Stream } from '../../engine/types/stream.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const KEYS = ['s', 'c', 'r'];

describe.skipIf(!hasRedisServer())('stream nodes with kept bytes vs redis-server', () => {
  const dir = tempDir('kept-bytes-');
  const { servers, p } = diffSuite({ ours: [...DEBUG, '--hz', '100', '--dir', dir], ref: DEBUG, flushEach: true });

  const stream = (key: string, db = 0): Stream => servers.ours.broker.engine.dbs[db].peek(key)!.value as Stream;
  /** How many nodes of the broker's `key` keep bytes. */
  const keptNodes = (key: string, db = 0): number => stream(key, db).view().nodes.filter((node) => node.rdbEncoded !== null).length;
  const idle = (): Promise<void> => until('the idle encoder is done', () => servers.ours.broker.engine.sealedNodes.pending === 0);

  /** Every stream read both servers must agree on. */
  async function sameStreams(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await p.same('XRANGE', key, '-', '+');
      await p.same('XREVRANGE', key, '+', '-', 'COUNT', '7');
      const { ours, ref } = await p.both('XINFO', 'STREAM', key);
      expect(showXinfo(ours.raw), `XINFO STREAM ${key}`).toBe(showXinfo(ref.raw));
    }
  }

  /** A key's DUMP on each server RESTOREd on that same server under `to`. */
  async function dumpRestore(from: string, to: string): Promise<void> {
    for (const c of [p.ours, p.ref]) {
      const payload = (await c.call('DUMP', from)).raw;
      // The bulk's bytes: after `$<len>\r\n`, before the final CRLF.
      const bytes = payload.subarray(payload.indexOf('\r\n') + 2, payload.length - 2);
      expect((await c.call('RESTORE', to, '0', bytes)).raw.toString()).toBe('+OK\r\n');
    }
  }

  it('copies keep bytes of their own and changes drop them, through reloads and into redis-server', async () => {
    await p.sameRaw(Buffer.concat(Array.from({ length: 450 }, (_, i) => encodeCommand(['XADD', 's', `${i + 1}-1`, 'field', `value-${i + 1}`]))), 450);
    await idle();
    expect(keptNodes('s')).toBe(4);
    await p.same('COPY', 's', 'c');
    await dumpRestore('s', 'r');
    // A copy has the source's bytes, each its own.
    expect(keptNodes('c')).toBe(4);
    expect(keptNodes('r')).toBe(4);

    await p.same('DEBUG', 'RELOAD');
    await p.same('COPY', 's', 'c2');
    // Undecoded copies of undecoded nodes, the same bytes.
    expect(keptNodes('c2')).toBe(4);
    for (const argv of [
      ['XDEL', 's', '150-1'],
      ['XADD', 's', '1000-1', 'field', 'late'],
      ['XSETID', 's', '2000-0'],
      ['XTRIM', 's', 'MINID', '~', '120'],
      ['XDEL', 'c', '50-1', '51-1'],
      ['XTRIM', 'c', 'MAXLEN', '400'],
      ['XADD', 'c', '1001-1', 'other', 'fields', 'than', 'master'],
      ['XDEL', 'r', '350-1'],
      ['XGROUP', 'CREATE', 'r', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '150', 'STREAMS', 'r', '>'],
      ['XACK', 'r', 'g', '10-1', '120-1'],
      ['XAUTOCLAIM', 'r', 'g', 'b', '0', '0', 'COUNT', '5', 'JUSTID'],
      ['XDEL', 'c2', '250-1'],
      ['RENAME', 'c2', 'c3'],
      ['MOVE', 'c3', '1'],
    ]) {
      await p.same(...argv);
    }
    await sameStreams(KEYS);
    await idle();
    await p.same('DEBUG', 'RELOAD');
    await sameStreams(KEYS);
    await p.same('SELECT', '1');
    await sameStreams(['c3']);
    await p.same('SELECT', '0');

    // The broker's file, nodes with kept bytes and all, loads in redis-server with the same entries.
    await idle();
    expect(keptNodes('c3', 1)).toBeGreaterThan(0);
    expect((await p.ours.call('SAVE')).raw.toString()).toBe('+OK\r\n');
    const loaded = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    const c = await RawClient.connect(loaded.port);
    try {
      for (const [db, keys] of [['0', KEYS], ['1', ['c3']]] as const) {
        await c.call('SELECT', db);
        await p.ours.call('SELECT', db);
        for (const key of keys) expect((await c.call('XRANGE', key, '-', '+')).raw.equals((await p.ours.call('XRANGE', key, '-', '+')).raw), key).toBe(true);
      }
      await p.ours.call('SELECT', '0');
    } finally {
      c.close();
      await loaded.stop();
    }
  });
});
