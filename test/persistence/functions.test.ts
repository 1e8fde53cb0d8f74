/**
 * Function libraries and script effects in files and replication streams, judged by
 * redis-server 7.0: the broker's dump.rdb (FUNCTION2 records) loads in redis-server and
 * redis-server's in the broker; the AOF replays FUNCTION LOAD and a script's effects,
 * before and after a rewrite; a broker following redis-server gets the libraries in
 * the full resync and later FUNCTION LOADs from the stream, and redis-server following
 * the broker applies what scripts did.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortedFunctionList } from '../harness/function-list.js';
import { RawClient } from '../harness/raw.js';
import { testResources } from '../harness/resources.js';
import { hasRedisServer, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { until } from '../harness/wait.js';

const LIB = `#!lua name=counters
redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}`;
const LIB2 = `#!lua name=more
redis.register_function('hello', function() return 'hello' end)`;

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

const text = (c: RawClient, ...argv: string[]): Promise<string> => c.call(...argv).then((r) => r.raw.toString('latin1'));

/** Loads the libraries and runs scripts that write. */
async function fill(c: RawClient): Promise<void> {
  expect(await text(c, 'FUNCTION', 'LOAD', LIB)).toBe('$8\r\ncounters\r\n');
  expect(await text(c, 'FCALL', 'bump', '1', 'n', '5')).toBe(':5\r\n');
  expect(await text(c, 'EVAL', "redis.call('SET', 's', 'v'); redis.call('RPUSH', 'l', 'a', 'b'); return 1", '0')).toBe(':1\r\n');
}

/** What must be the same on both sides: the libraries with their code, the data, and the functions running. */
async function state(c: RawClient): Promise<unknown> {
  return {
    list: sortedFunctionList((await c.call('FUNCTION', 'LIST', 'WITHCODE')).value),
    peek: await text(c, 'FCALL_RO', 'peek', '1', 'n'),
    data: [await text(c, 'GET', 's'), await text(c, 'LRANGE', 'l', '0', '-1')],
  };
}

describe.skipIf(!hasRedisServer())('function libraries and script effects in files and streams', () => {
  it("the broker's dump.rdb holds the libraries: redis-check-rdb accepts it, redis-server loads it", async () => {
    const dir = tempDir('fn-rdb-ours-');
    const ours = await connect(await startBroker(['--dir', dir]));
    await fill(ours);
    expect(await text(ours, 'SAVE')).toBe('+OK\r\n');
    const check = spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'latin1' });
    expect(check.stdout + check.stderr).toContain('RDB looks OK!');
    const ref = await connect(await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']));
    expect(await state(ref)).toEqual(await state(ours));
  });

  it("redis-server's dump.rdb with libraries loads in the broker", async () => {
    const dir = tempDir('fn-rdb-ref-');
    const ref = await connect(await startRedis(['--dir', dir]));
    await fill(ref);
    await text(ref, 'FUNCTION', 'LOAD', LIB2);
    expect(await text(ref, 'SAVE')).toBe('+OK\r\n');
    const ours = await connect(await startBroker(['--dir', dir]));
    expect(await state(ours)).toEqual(await state(ref));
    expect(await text(ours, 'FCALL', 'hello', '0')).toBe('$5\r\nhello\r\n');
  });

  it('the AOF replays FUNCTION LOAD and script effects, before and after a rewrite', async () => {
    const dir = tempDir('fn-aof-');
    const args = ['--dir', dir, '--appendonly', 'yes'];
    const first = await connect(await startBroker(args));
    await fill(first);
    const before = await state(first);
    await servers.pop()!.stop();
    const second = await connect(await startBroker(args));
    expect(await state(second)).toEqual(before);
    expect(await text(second, 'BGREWRITEAOF')).toContain('rewriting started');
    await until('the rewrite is done', async () => (await text(second, 'INFO', 'persistence')).includes('aof_rewrite_in_progress:0'));
    await text(second, 'FUNCTION', 'LOAD', LIB2);
    const after = await state(second);
    await servers.pop()!.stop();
    const third = await connect(await startBroker(args));
    expect(await state(third)).toEqual(after);
    expect(await text(third, 'FCALL', 'hello', '0')).toBe('$5\r\nhello\r\n');
    // redis-server replays the same directory.
    await servers.pop()!.stop();
    const ref = await connect(await startRedis(args));
    expect(await state(ref)).toEqual(after);
  });

  it('a broker following redis-server gets the libraries in the full resync, then FUNCTION LOAD from the stream', async () => {
    const leaderServer = await startRedis();
    const leader = await connect(leaderServer);
    await fill(leader);
    const follower = await connect(await startBroker(['--replicaof', `127.0.0.1 ${leaderServer.port}`]));
    await until('the follower has the libraries', async () => (await text(follower, 'FCALL_RO', 'peek', '1', 'n')) === '$1\r\n5\r\n');
    await text(leader, 'FUNCTION', 'LOAD', LIB2);
    await text(leader, 'FCALL', 'bump', '1', 'n', '2');
    await until('the stream reached the follower', async () => (await text(follower, 'GET', 'n')) === '$1\r\n7\r\n');
    expect(await text(follower, 'FCALL_RO', 'peek', '1', 'n')).toBe('$1\r\n7\r\n');
    expect(sortedFunctionList((await follower.call('FUNCTION', 'LIST')).value)).toEqual(sortedFunctionList((await leader.call('FUNCTION', 'LIST')).value));
  });

  it("redis-server following the broker applies the scripts' effects and the libraries", async () => {
    const leaderServer = await startBroker();
    const leader = await connect(leaderServer);
    await fill(leader);
    const follower = await connect(await startRedis(['--replicaof', '127.0.0.1', String(leaderServer.port)]));
    await until('the follower synced', async () => (await text(follower, 'GET', 's')) === '$1\r\nv\r\n');
    await text(leader, 'EVAL', "redis.call('INCR', 'n'); redis.call('RPUSH', 'l', 'c'); return 1", '0');
    await until('the effects reached the follower', async () => (await text(follower, 'GET', 'n')) === '$1\r\n6\r\n');
    expect(await state(follower)).toEqual(await state(leader));
  });
});
