/**
 * `broker check-rdb` and bad RDB files: the broker's files and redis-server's pass it
 * (and redis-check-rdb / redis-check-aof pass the broker's); a truncated file, a wrong
 * checksum, an unknown type and an absurd length are reported with their offset, and
 * start-up stops naming the file and offset without touching it. `broker check-aof`
 * accepts an AOF directory whose base is redis-server's RDB.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { snapshotBytes } from '../../engine/persist/snapshot.js';
import { Crc64 } from '../../engine/persist/rdb/crc64.js';
import { List } from '../../engine/types/list.js';
import { Stream } from '../../engine/types/stream.js';
import { StreamId } from '../../engine/types/stream-id.js';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis } from '../harness/servers.js';
import { runBroker, tempDir } from './proc.js';

/** A small dataset of every type, as an RDB file's bytes. */
function sampleRdb(): Buffer {
  const engine = new Engine({ databases: 16 });
  const db = engine.dbs[0];
  db.set('string', 'hello');
  const list = new List();
  for (const e of ['a', 'b', '1']) list.push(e, false);
  db.set('list', list);
  const stream = new Stream();
  stream.append(new StreamId(1, 1), ['f', 'v'], 0, { streamNodeMaxEntries: 100, streamNodeMaxBytes: 4096 });
  db.set('stream', stream);
  return snapshotBytes(engine.dbs, Date.now());
}

function withCrc(body: Buffer): Buffer {
  return Buffer.concat([body, new Crc64().update(body).bytes()]);
}

describe('broker check-rdb and damaged RDB files', () => {
  it('accepts a file the broker wrote; reports damage with its offset', () => {
    const dir = tempDir('check-rdb');
    const good = sampleRdb();
    const file = path.join(dir, 'dump.rdb');
    fs.writeFileSync(file, good);
    const ok = runBroker(['check-rdb', file]);
    expect(ok.output).toContain('RDB looks OK!');
    expect(ok.output).toContain("AUX FIELD redis-ver = '7.0.15'");
    expect(ok.status).toBe(0);

    const body = good.subarray(0, good.length - 8);
    const eof = body.length - 1;
    // The string key's record: its type byte, right after RESIZEDB.
    const record = body.indexOf(Buffer.from('\x06string', 'latin1')) - 1;
    const cases: [string, Buffer, string][] = [
      ['truncated', good.subarray(0, good.length - 12), 'unexpected end of file'],
      ['bad checksum', Buffer.concat([body, Buffer.alloc(8, 1)]), 'Wrong RDB checksum'],
      ['unknown type', withCrc(Buffer.concat([body.subarray(0, record), Buffer.from([30]), body.subarray(record + 1)])), 'unknown RDB type 30'],
      ['zset', withCrc(Buffer.concat([body.subarray(0, record), Buffer.from([5]), body.subarray(record + 1)])), 'zset'],
      ['absurd length', withCrc(Buffer.concat([body.subarray(0, eof), Buffer.from([0, 0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0]), body.subarray(eof)])), 'length'],
    ];
    for (const [what, bytes, reason] of cases) {
      fs.writeFileSync(file, bytes);
      const r = runBroker(['check-rdb', file]);
      expect(r.status, what).toBe(1);
      expect(r.output, what).toMatch(/--- RDB ERROR DETECTED ---\n\[offset \d+\] /);
      expect(r.output, what).toContain(reason);
      // Start-up stops on it, naming the file and the offset, and leaves it as it was.
      const start = runBroker(['--port', '0', '--dir', dir, '--appendonly', 'no', '--save', '']);
      expect(start.status, what).not.toBe(0);
      expect(start.output, what).toMatch(/Error reading the snapshot file .*dump\.rdb at offset \d+/);
      expect(fs.readFileSync(file).equals(bytes), what).toBe(true);
    }
  });

  it.skipIf(!hasRedisServer())("accepts redis-server's files; redis-check-aof accepts the broker's AOF directory", async () => {
    if (!hasRedisServer()) console.warn(NO_REDIS);
    const dir = tempDir('check-ref');
    const ref = await startRedis(['--dir', dir, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes']);
    const c = await RawClient.connect(ref.port);
    try {
      await c.call('RPUSH', 'l', 'a', 'b');
      await c.call('XADD', 's', '1-1', 'f', 'v');
      await c.call('SAVE');
      await c.call('BGREWRITEAOF');
      for (let i = 0; i < 200 && !(await c.call('INFO', 'persistence')).raw.toString().includes('aof_rewrite_in_progress:0'); i++) await new Promise((r) => setTimeout(r, 20));
      await c.call('SET', 'after', 'rewrite');
    } finally {
      c.close();
      await ref.stop();
    }
    const rdb = runBroker(['check-rdb', path.join(dir, 'dump.rdb')]);
    expect(rdb.output).toContain('RDB looks OK!');
    const aof = runBroker(['check-aof', path.join(dir, 'appendonlydir')]);
    expect(aof.status, aof.output).toBe(0);

    // The other way: redis-check-aof on a directory the broker wrote (its base is RDB).
    const ours = tempDir('check-ours');
    const broker = await startBroker(['--dir', ours, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes']);
    const b = await RawClient.connect(broker.port);
    try {
      await b.call('RPUSH', 'l', 'a', 'b');
      await b.call('XADD', 's', '1-1', 'f', 'v');
      await b.call('BGREWRITEAOF');
      for (let i = 0; i < 200 && !(await b.call('INFO', 'persistence')).raw.toString().includes('aof_rewrite_in_progress:0'); i++) await new Promise((r) => setTimeout(r, 20));
      await b.call('SET', 'after', 'rewrite');
    } finally {
      b.close();
      await broker.stop();
    }
    const check = spawnSync('redis-check-aof', [path.join(ours, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'latin1' });
    expect(check.stdout, check.stdout).toContain('is valid');
    expect(check.stdout).not.toContain('not valid');
    expect(check.status).toBe(0);
  });
});
