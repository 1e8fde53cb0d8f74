/**
 * A follower with the AOF on records its position in the leader's stream with its AOF
 * (`#REPL <replid> <offset> <db>` annotations after the effects they cover): killed with
 * SIGKILL under load and restarted from its AOF, it continues with a partial resync
 * where redis-server 7.0 needs a full one, and converges.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { converged, infoField, linkUp, mixedLoad } from './topology.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, loads, connect } = testResources();


describe.skipIf(!hasRedisServer())('a follower restarted from its AOF', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it('continues partially after SIGKILL under load', async () => {
    const leader = await startRedis([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb']);
    servers.push(leader);
    const [admin] = await connect(leader.port);
    const dir = tempDir('follower-aof-');
    const args = [...DEBUG, '--dir', dir, '--appendonly', 'yes', '--replicaof', `127.0.0.1 ${leader.port}`];
    const first = await spawnBroker(args);
    servers.push(first);
    const [c1] = await connect(first.port);
    await linkUp(c1);
    const stop = await mixedLoad(await connect(leader.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 800));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const incr = fs.readdirSync(path.join(dir, 'appendonlydir')).filter((f) => f.endsWith('.incr.aof'));
    expect(fs.readFileSync(path.join(dir, 'appendonlydir', incr.at(-1)!), 'latin1')).toMatch(/\n#REPL [0-9a-f]{40} \d+ \d+\r\n/);
    await new Promise((r) => setTimeout(r, 300));
    const fullBefore = await infoField(admin, 'stats', 'sync_full');
    const partialBefore = Number(await infoField(admin, 'stats', 'sync_partial_ok'));
    const second = await spawnBroker(args);
    servers.push(second);
    const [c2] = await connect(second.port);
    await linkUp(c2);
    expect(Number(await infoField(admin, 'stats', 'sync_partial_ok'))).toBe(partialBefore + 1);
    expect(await infoField(admin, 'stats', 'sync_full')).toBe(fullBefore);
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await converged(admin, c2);
  });

  it('continues in the db the stream was on when it was killed (the leader sends no SELECT where nothing changed)', async () => {
    const leader = await startRedis([...DEBUG, '--repl-diskless-sync-delay', '0']);
    servers.push(leader);
    const [admin, dbOne] = await connect(leader.port, 2);
    const dir = tempDir('follower-aof-db-');
    const args = [...DEBUG, '--dir', dir, '--appendonly', 'yes', '--replicaof', `127.0.0.1 ${leader.port}`];
    const first = await spawnBroker(args);
    servers.push(first);
    const [c1] = await connect(first.port);
    await linkUp(c1);
    await dbOne.call('SELECT', '1');
    await dbOne.call('SET', 'before', 'kill');
    await converged(admin, c1);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const second = await spawnBroker(args);
    servers.push(second);
    const [c2] = await connect(second.port);
    await linkUp(c2);
    await dbOne.call('SET', 'after', 'restart');
    await converged(admin, c2);
    await c2.call('SELECT', '1');
    expect((await c2.call('GET', 'after')).value).toBe('restart');
  });
});
