/**
 * The two ways of a full resync, each separate processes on loopback. Leader side: with
 * `repl-diskless-sync no` the snapshot goes through a temp file in `dir`, sent as
 * `$<length>` (to a broker and to a real redis-server follower), removed once sent, and
 * followers arriving while the file is written share it (one snapshot, the joiner given
 * the stream since its instant). Follower side: payloads of several windows in both
 * forms (`$EOF:` from a diskless broker, `$<length>` from a broker or a redis-server
 * syncing through a file) are written to the temp file as they arrive and loaded from
 * it; the follower converges and leaves no temp file behind.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { converged, infoField, linkUp, mixedLoad, runLoops } from './topology.js';
import { until } from '../harness/wait.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, clients, loads } = testResources();
async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/** A broker working in a directory of its own (to look for temp files in). */
async function broker(extra: string[] = []) {
  const dir = tempDir('sync-paths-');
  const server = await spawnBroker([...DEBUG, '--dir', dir, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '16mb', ...extra]);
  servers.push(server);
  return { server, dir, c: await connect(server.port) };
}


/** Incompressible values: a payload of about `mb` megabytes, several of the loader's 1 MB windows. */
async function fill(c: RawClient, mb: number): Promise<void> {
  const n = mb * 10;
  for (let i = 0; i < n; i++) c.write(encodeCommand(['SET', `big:${i}`, randomBytes(100_000)]));
  await c.readMany(n);
  await c.call('XGROUP', 'CREATE', 'orders', 'workers', '$', 'MKSTREAM');
  for (let i = 0; i < 100; i++) c.write(encodeCommand(['XADD', 'orders', '*', 'n', String(i)]));
  await c.readMany(100);
  await c.call('XREADGROUP', 'GROUP', 'workers', 'alice', 'COUNT', '10', 'STREAMS', 'orders', '>');
}

const text = (raw: Buffer): string => raw.toString('latin1');

/** Files a sync leaves in `dir` while it runs (a follower's temp-*.rdb, a leader's temp-sync-*.rdb). */
function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith('temp-'));
}

describe('full resyncs through a file and from a file', () => {
  it('a broker loads payloads of several windows in both forms, from a diskless leader and from one syncing through a file', async () => {
    const leader = await broker();
    await fill(leader.c, 5);
    const streamed = await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]);
    await linkUp(streamed.c, 60_000);
    await converged(leader.c, streamed.c, 60_000);
    expect(streamed.server.output()).toContain('MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk');

    expect(text((await leader.c.call('CONFIG', 'SET', 'repl-diskless-sync', 'no')).raw)).toBe('+OK\r\n');
    const counted = await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]);
    await linkUp(counted.c, 60_000);
    await converged(leader.c, counted.c, 60_000);
    const size = /MASTER <-> REPLICA sync: receiving (\d+) bytes from master to disk/.exec(counted.server.output());
    expect(Number(size?.[1])).toBeGreaterThan(5_000_000);
    expect(leader.server.output()).toContain('Starting BGSAVE for SYNC with target: disk');
    // The stream flows at once after a payload sent from a file (no first ACK awaited).
    await leader.c.call('SET', 'after', 'sync');
    await converged(leader.c, counted.c);
    // Nothing left behind on either side.
    await until('the sync file is removed', async () => tempFiles(leader.dir).length === 0);
    expect(tempFiles(streamed.dir)).toEqual([]);
    expect(tempFiles(counted.dir)).toEqual([]);
    expect(await infoField(leader.c, 'stats', 'sync_full')).toBe('2');
  });

  it('followers arriving while the sync file is written share it, the stream since its instant included', async () => {
    // 25 ms a key: about five seconds to write the file, time for a second follower to arrive.
    const leader = await broker(['--repl-diskless-sync', 'no', '--rdb-key-save-delay', '25000']);
    for (let i = 0; i < 200; i++) leader.c.write(encodeCommand(['RPUSH', `list:${i}`, String(i)]));
    await leader.c.readMany(200);
    const writer = await connect(leader.server.port);
    let n = 0;
    const stop = runLoops([
      async () => {
        await writer.call('XADD', 'events', '*', 'n', String(++n));
        await writer.call('INCR', 'counter');
      },
    ]);
    loads.push(stop);
    const first = await broker();
    const second = await broker();
    await first.c.call('REPLICAOF', '127.0.0.1', String(leader.server.port));
    await until('the sync file is being written', async () => leader.server.output().includes('Starting BGSAVE for SYNC with target: disk'));
    // Writes made after the snapshot's instant, before the second follower asks.
    const before = Number((await writer.call('GET', 'counter')).value);
    await until('writes went on', async () => Number((await writer.call('GET', 'counter')).value) > before + 10);
    await second.c.call('REPLICAOF', '127.0.0.1', String(leader.server.port));
    await linkUp(first.c, 60_000);
    await linkUp(second.c, 60_000);
    await stop();
    await converged(leader.c, first.c, 60_000);
    await converged(leader.c, second.c, 60_000);
    const output = leader.server.output();
    expect(output).toContain('Waiting for end of BGSAVE for SYNC');
    expect(output.match(/Starting BGSAVE for SYNC/g)?.length).toBe(1);
    expect(await infoField(leader.c, 'stats', 'sync_full')).toBe('2');
    await until('the sync file is removed', async () => tempFiles(leader.dir).length === 0);
  });
});

describe.skipIf(!hasRedisServer())('full resyncs through a file, with redis-server', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it('a redis-server follower of a broker syncing through a file converges under the mixed load', async () => {
    const leader = await broker(['--repl-diskless-sync', 'no']);
    await fill(leader.c, 2);
    const stop = await mixedLoad(await Promise.all(Array.from({ length: 5 }, () => connect(leader.server.port))));
    loads.push(stop);
    const redis = await startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(leader.server.port)]);
    servers.push(redis);
    const rc = await connect(redis.port);
    await linkUp(rc, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    await stop();
    await converged(leader.c, rc, 60_000);
    expect(leader.server.output()).toContain('Starting BGSAVE for SYNC with target: disk');
    await until('redis-server logged the transfer', async () => /MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/.test(redis.output()));
    // A dropped link continues from the backlog, as after a diskless sync.
    expect((await leader.c.call('CLIENT', 'KILL', 'TYPE', 'replica')).value).toBe(1);
    await until('the follower resynced partially', async () => (await infoField(leader.c, 'stats', 'sync_partial_ok')) === '1');
    await leader.c.call('SET', 'after', 'kill');
    await converged(leader.c, rc);
  });

  it('a broker loads a redis-server payload of several windows sent as $<length>', async () => {
    const redis = await startRedis([...DEBUG, '--repl-diskless-sync', 'no', '--rdbcompression', 'no']);
    servers.push(redis);
    const admin = await connect(redis.port);
    await fill(admin, 4);
    const ours = await broker(['--replicaof', `127.0.0.1 ${redis.port}`]);
    await linkUp(ours.c, 60_000);
    await converged(admin, ours.c, 60_000);
    const size = /MASTER <-> REPLICA sync: receiving (\d+) bytes from master to disk/.exec(ours.server.output());
    expect(Number(size?.[1])).toBeGreaterThan(4_000_000);
    expect(tempFiles(ours.dir)).toEqual([]);
  });
});
