/**
 * The persistence commands and settings against redis-server: replies of SAVE,
 * BGSAVE, LASTSAVE, BGREWRITEAOF (errors, scheduling inside MULTI), CONFIG GET/SET of
 * the persistence parameters, INFO persistence's fields with the AOF off and on; and
 * our own behaviour where redis-server has no equivalent run here: turning the AOF on
 * and off at run time, the manifest's exact text, automatic rewrites on growth. And the
 * AOF replay applying APPEND and SETRANGE past a `proto-max-bulk-len` lowered since, as
 * redis-server does (its AOF client must be obeyed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { diffSuite, startDiffServers } from '../harness/diff.js';
import { tempDir } from './proc.js';
import { until } from '../harness/wait.js';

/** INFO persistence's field names. */
function fieldNames(info: string): string[] {
  return info
    .split('\r\n')
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(0, l.indexOf(':')));
}

describe.skipIf(!hasRedisServer())('persistence commands vs redis-server', () => {
  // Each in its own dir: both would write a dump.rdb.
  const { p } = diffSuite({ ours: ['--dir', tempDir('cmd-ours')], ref: ['--dir', tempDir('cmd-ref')] });

  it('argument errors and plain replies', async () => {
    await p.same('SAVE');
    await p.same('SAVE', 'x');
    await p.same('BGSAVE', 'foo');
    await p.same('BGSAVE', 'SCHEDULE', 'x');
    await p.same('LASTSAVE', 'x');
    await p.same('BGREWRITEAOF', 'x');
    const { ours, ref } = await p.both('LASTSAVE');
    expect(ours.raw[0]).toBe(ref.raw[0]);
  });

  it('BGREWRITEAOF and BGSAVE inside MULTI are scheduled', async () => {
    await p.same('MULTI');
    await p.same('BGREWRITEAOF');
    await p.same('BGSAVE');
    await p.same('EXEC');
    for (const c of [p.ours, p.ref]) {
      await until('the scheduled work', async () => {
        const info = (await c.call('INFO', 'persistence')).value as string;
        return info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0') && info.includes('rdb_bgsave_in_progress:0');
      });
    }
  });

  it('CONFIG GET and SET of the persistence parameters', async () => {
    for (const name of ['dbfilename', 'stop-writes-on-bgsave-error', 'auto-aof-rewrite-percentage', 'auto-aof-rewrite-min-size', 'aof-load-truncated', 'aof-use-rdb-preamble', 'appendfilename', 'appenddirname', 'appendfsync']) {
      await p.same('CONFIG', 'GET', name);
    }
    await p.same('CONFIG', 'SET', 'dbfilename', 'x.rdb');
    await p.same('CONFIG', 'SET', 'appenddirname', 'x');
    await p.same('CONFIG', 'SET', 'auto-aof-rewrite-percentage', '-1');
    await p.same('CONFIG', 'SET', 'auto-aof-rewrite-min-size', '1kb');
    await p.same('CONFIG', 'GET', 'auto-aof-rewrite-min-size');
    await p.same('CONFIG', 'SET', 'aof-load-truncated', 'maybe');
    await p.same('CONFIG', 'SET', 'appendfsync', 'sometimes');
  });

  it('INFO persistence has redis-server\'s fields, with the AOF off and on', async () => {
    const off = await p.both('INFO', 'persistence');
    expect(fieldNames(off.ours.value as string)).toEqual(fieldNames(off.ref.value as string));
    const both = await startDiffServers(
      ['--dir', tempDir('info-ours'), '--appendonly', 'yes'],
      ['--dir', tempDir('info-ref'), '--appendonly', 'yes'],
    );
    try {
      const q = await both.pair();
      const on = await q.both('INFO', 'persistence');
      expect(fieldNames(on.ours.value as string)).toEqual(fieldNames(on.ref.value as string));
      expect(on.ours.value).toContain('\r\naof_enabled:1\r\n');
    } finally {
      await both.stop();
    }
  });

  it('DEBUG RELOAD reloads the saved dataset; emptying and loading are not changes', async () => {
    const debug = ['--enable-debug-command', 'yes', '--save', ''];
    const both = await startDiffServers(['--dir', tempDir('reload-ours'), ...debug], ['--dir', tempDir('reload-ref'), ...debug]);
    const changes = (info: string): string | undefined => /rdb_changes_since_last_save:(\d+)/.exec(info)?.[1];
    try {
      const q = await both.pair();
      await q.same('RPUSH', 'l', 'a', 'b');
      await q.same('SET', 's', 'v');
      await q.same('DEBUG', 'RELOAD');
      await q.same('LRANGE', 'l', '0', '-1');
      await q.same('DBSIZE');
      let info = await q.both('INFO', 'persistence');
      expect(changes(info.ours.value as string)).toBe(changes(info.ref.value as string));
      expect(changes(info.ours.value as string)).toBe('0');
      // NOSAVE loads the file as it is: the SET after the save is gone, and still counted.
      await q.same('SET', 'after', '1');
      await q.same('DEBUG', 'RELOAD', 'NOSAVE');
      await q.same('GET', 'after');
      info = await q.both('INFO', 'persistence');
      expect(changes(info.ours.value as string)).toBe(changes(info.ref.value as string));
      await q.same('DEBUG', 'RELOAD', 'BOGUS');
    } finally {
      await both.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);

describe('the AOF at run time', () => {
  const dir = tempDir('runtime');
  const server = suiteBroker(['--dir', dir]);
  const c = suiteClient(server);

  const info = async (): Promise<string> => (await c.call('INFO', 'persistence')).value as string;

  it('CONFIG SET appendonly yes writes a base first, then records writes; no stops it', async () => {
    const aofDir = path.join(dir, 'appendonlydir');
    await c.call('SET', 'before', '1');
    expect((await c.call('CONFIG', 'SET', 'appendonly', 'yes')).raw.toString()).toBe('+OK\r\n');
    await c.call('SET', 'during', '2');
    await until('the first rewrite', async () => (await info()).includes('aof_rewrite_in_progress:0'));
    expect(fs.readFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'latin1')).toBe(
      'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    );
    expect(await info()).toContain('\r\naof_enabled:1\r\n');
    await c.call('SET', 'after', '3');
    await until('the write in the incr file', async () => fs.readFileSync(path.join(aofDir, 'appendonly.aof.1.incr.aof'), 'latin1').includes('after'));
    expect((await c.call('CONFIG', 'SET', 'appendonly', 'no')).raw.toString()).toBe('+OK\r\n');
    expect(await info()).toContain('\r\naof_enabled:0\r\n');
    expect(await info()).not.toContain('aof_current_size');
    // A fresh broker on the same files has all three keys.
    const other = await startBroker(['--dir', dir, '--appendonly', 'yes']);
    const o = await RawClient.connect(other.port);
    expect((await o.call('MGET', 'before', 'during', 'after')).value).toEqual(['1', '2', '3']);
    o.close();
    await other.stop();
  });

  it('rewrites by itself when the AOF has grown past auto-aof-rewrite-percentage', async () => {
    const auto = await startBroker(['--dir', tempDir('auto'), '--appendonly', 'yes', '--auto-aof-rewrite-percentage', '50', '--auto-aof-rewrite-min-size', '1kb']);
    const a = await RawClient.connect(auto.port);
    try {
      for (let i = 0; i < 50; i++) await a.call('SET', `k${i}`, 'x'.repeat(100));
      await until('an automatic rewrite', async () => ((await a.call('INFO', 'persistence')).value as string).includes('\r\naof_rewrites:1\r\n'));
      const text = (await a.call('INFO', 'persistence')).value as string;
      const size = Number(/aof_current_size:(\d+)/.exec(text)![1]);
      expect(Number(/aof_base_size:(\d+)/.exec(text)![1])).toBeLessThanOrEqual(size);
    } finally {
      a.close();
      await auto.stop();
    }
  });
});

describe.skipIf(!hasRedisServer())('AOF replay past a lowered proto-max-bulk-len, vs redis-server', () => {
  it('loads strings APPEND and SETRANGE built longer than the limit now set, and refuses a live APPEND past it', async () => {
    const dirs = [tempDir('bulk-ours'), tempDir('bulk-ref')];
    const start = (i: number, args: string[]): Promise<RunningServer> =>
      i === 0 ? startBroker(['--dir', dirs[0], '--appendonly', 'yes', ...args]) : startRedis(['--dir', dirs[1], '--appendonly', 'yes', ...args]);
    const piece = 'p'.repeat(600_000);
    for (const i of [0, 1]) {
      const server = await start(i, []);
      const c = await RawClient.connect(server.port);
      for (let k = 0; k < 3; k++) await c.call('APPEND', 'big', piece);
      expect((await c.call('SETRANGE', 'big', '2000000', 'end')).value).toBe(2_000_003);
      c.close();
      await server.stop();
    }
    const replies: string[][] = [];
    for (const i of [0, 1]) {
      const server = await start(i, ['--proto-max-bulk-len', '1mb']);
      const c = await RawClient.connect(server.port);
      const got: string[] = [];
      for (const argv of [['STRLEN', 'big'], ['GETRANGE', 'big', '1799998', '1800002'], ['GETRANGE', 'big', '-3', '-1'], ['APPEND', 'big', 'x'], ['SETRANGE', 'small', '1048576', 'x']]) {
        got.push((await c.call(...argv)).raw.toString('latin1'));
      }
      replies.push(got);
      c.close();
      await server.stop();
    }
    expect(replies[0]).toEqual(replies[1]);
    expect(replies[0][0]).toBe(':2000003\r\n');
    expect(replies[0][3]).toMatch(/^-ERR string exceeds maximum allowed size/);
  }, 60_000);
});
