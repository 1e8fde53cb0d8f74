/**
 * Brokers that stop under a mixed write load, each a separate process on loopback: a
 * leader with `appendfsync always` killed with SIGKILL and restarted from its AOF on
 * the same port while its two followers wait (nothing it acknowledged is lost, the
 * followers resync and converge: a full resync, as the restarted leader takes a new
 * replication id, as redis-server 7.0 does after loading its AOF), and a follower frozen with SIGSTOP past
 * `repl-timeout` (the leader drops it; resumed, it resyncs and converges).
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { spawnBroker } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { converged, infoField, linkUp, mixedLoad, runLoops } from './topology.js';
import { until } from '../harness/wait.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, loads, connect } = testResources();

async function broker(extra: string[], port?: number) {
  const server = await spawnBroker([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb', ...extra], { port });
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c };
}

const linkStatus = (c: RawClient): Promise<string | undefined> => infoField(c, 'replication', 'master_link_status');


describe('brokers stopping under load', () => {
  it('the leader killed and restarted from its AOF while its followers wait: nothing acknowledged is lost, they resync and converge', async () => {
    const leaderArgs = ['--dir', tempDir('leader-restart-'), '--appendonly', 'yes', '--appendfsync', 'always'];
    const leader = await broker(leaderArgs);
    const followers = [await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]), await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`])];
    for (const f of followers) await linkUp(f.c);
    const stopMixed = await mixedLoad(await connect(leader.server.port, 5));
    loads.push(stopMixed);
    // The last value an INCR was acknowledged with: the restarted leader must have it.
    const [counting] = await connect(leader.server.port);
    let acknowledged = 0;
    const stopCounting = runLoops([async () => void (acknowledged = Number((await counting.call('INCR', 'acknowledged')).value))]);
    loads.push(stopCounting);
    await until('writes were acknowledged', async () => acknowledged >= 200);
    leader.server.child.kill('SIGKILL');
    await new Promise((r) => leader.server.child.once('exit', r));
    for (const f of followers) await until('the follower saw its leader go', async () => (await linkStatus(f.c)) === 'down');
    const restarted = await broker(leaderArgs, leader.server.port);
    expect(Number((await restarted.c.call('GET', 'acknowledged')).value)).toBeGreaterThanOrEqual(acknowledged);
    await restarted.c.call('SET', 'after', 'restart');
    for (const f of followers) {
      await linkUp(f.c);
      await converged(restarted.c, f.c);
    }
    expect((await followers[0].c.call('GET', 'after')).value).toBe('restart');
  });

  it('a follower frozen past repl-timeout is dropped by its leader; resumed, it resyncs and converges', async () => {
    const leader = await broker(['--repl-timeout', '2']);
    const follower = await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]);
    await linkUp(follower.c);
    const stop = await mixedLoad(await connect(leader.server.port, 5));
    loads.push(stop);
    await until('the load reached the follower', async () => Number(await infoField(follower.c, 'replication', 'slave_repl_offset')) > 10_000);
    follower.server.child.kill('SIGSTOP');
    try {
      await until('the leader dropped its silent follower', async () => (await infoField(leader.c, 'replication', 'connected_slaves')) === '0');
    } finally {
      follower.server.child.kill('SIGCONT');
    }
    await until('the follower is back', async () => (await infoField(leader.c, 'replication', 'connected_slaves')) === '1');
    await linkUp(follower.c);
    await stop();
    await converged(leader.c, follower.c);
    expect(leader.server.output()).toMatch(/Disconnecting timedout replica|timeout/i);
  });
});
