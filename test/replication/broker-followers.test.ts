/**
 * Brokers following brokers, each a separate process on loopback: two followers of one
 * leader converge under the mixed load to its DEBUG DIGEST and `XINFO STREAM ... FULL`
 * (entries-read, lag, PEL with delivery counts: a broker leader sends them); a chained
 * follower (a follower of a follower) gets the same stream at the same offsets; a
 * follower promoted with REPLICAOF NO ONE is followed by its former sibling with a
 * partial resync (PSYNC2).
 */
import { describe, expect, it } from 'vitest';
import { maskRadixTreeNodes } from '../harness/diff.js';
import { RawClient } from '../harness/raw.js';
import { spawnBroker } from '../harness/servers.js';
import { converged, info, infoField, linkUp, mixedLoad } from './topology.js';
import { until } from '../harness/wait.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, loads, connect } = testResources();

/** A broker whose backlog holds several seconds of the mixed load (see follower-interop.test.ts). */
async function broker(extra: string[] = []) {
  const server = await spawnBroker([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb', ...extra]);
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c };
}

async function followerOf(port: number, extra: string[] = []) {
  return broker(['--replicaof', `127.0.0.1 ${port}`, ...extra]);
}


const text = (raw: Buffer): string => raw.toString('latin1');

/**
 * XINFO STREAM FULL with radix-tree-nodes masked (redis-server's estimate), and
 * consumers' seen-time: a follower's consumer was last seen when the claim reached it,
 * by its own clock, as on redis-server's replicas. entries-read, lag and the PELs with
 * their delivery times and counts are compared as they are.
 */
async function xinfoFull(c: RawClient, key: string): Promise<string> {
  return maskRadixTreeNodes(text((await c.call('XINFO', 'STREAM', key, 'FULL')).raw)).replace(/(seen-time\r\n:)\d+/g, '$1?');
}

async function sameStreams(leader: RawClient, follower: RawClient): Promise<void> {
  for (const s of ['orders', 'events']) expect(await xinfoFull(follower, s)).toBe(await xinfoFull(leader, s));
}

describe('brokers following a broker', () => {
  it('two followers and a chained one converge under the mixed load, streams and groups included', async () => {
    const { server, c: admin } = await broker();
    const stop = await mixedLoad(await connect(server.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 300));
    const a = await followerOf(server.port);
    const b = await followerOf(server.port);
    const chained = await followerOf(a.server.port);
    await linkUp(a.c);
    await linkUp(b.c);
    await linkUp(chained.c);
    await new Promise((r) => setTimeout(r, 1000));
    // One link dropped under load: it continues from the backlog.
    expect((await b.c.call('CLIENT', 'KILL', 'TYPE', 'master')).value).toBe(1);
    await until('b resynced partially', async () => Number(await infoField(admin, 'stats', 'sync_partial_ok')) >= 1);
    await new Promise((r) => setTimeout(r, 500));
    await stop();
    for (const f of [a, b]) {
      await converged(admin, f.c);
      await sameStreams(admin, f.c);
    }
    // The chained follower: the same offsets as its leader's leader.
    await converged(admin, chained.c);
    await sameStreams(admin, chained.c);
    expect(await infoField(chained.c, 'replication', 'master_replid')).toBe(await infoField(admin, 'replication', 'master_replid'));
    expect(await infoField(a.c, 'replication', 'connected_slaves')).toBe('1');
    // Replication traffic is counted apart from clients' traffic, as redis-server counts it.
    const replBytes = async (c: RawClient, way: 'input' | 'output'): Promise<number> => Number(await infoField(c, 'stats', `total_net_repl_${way}_bytes`));
    expect(await replBytes(admin, 'output')).toBeGreaterThan(0);
    expect(await replBytes(admin, 'input')).toBe(0);
    expect(await replBytes(a.c, 'input')).toBeGreaterThan(0);
    expect(await replBytes(a.c, 'output')).toBeGreaterThan(0);
  });

  it('a follower promoted with REPLICAOF NO ONE is followed by its sibling with a partial resync', async () => {
    const { server, c: admin } = await broker();
    const a = await followerOf(server.port);
    const b = await followerOf(server.port);
    await linkUp(a.c);
    await linkUp(b.c);
    const stop = await mixedLoad(await connect(server.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 500));
    await stop();
    // Writes (and expiry, whose DELs would reach one sibling and not the other) held while the leader changes.
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await converged(admin, a.c);
    await converged(admin, b.c);
    const oldId = await infoField(admin, 'replication', 'master_replid');
    expect(text((await a.c.call('REPLICAOF', 'NO', 'ONE')).raw)).toBe('+OK\r\n');
    const promoted = await info(a.c, 'replication');
    expect(promoted.get('role')).toBe('master');
    expect(promoted.get('master_replid2')).toBe(oldId);
    expect(text((await b.c.call('REPLICAOF', '127.0.0.1', String(a.server.port))).raw)).toBe('+OK\r\n');
    await linkUp(b.c);
    expect(await infoField(a.c, 'stats', 'sync_partial_ok')).toBe('1');
    expect(await infoField(a.c, 'stats', 'sync_full')).toBe('0');
    // The new leader's writes reach the sibling.
    await a.c.call('XADD', 'orders', '*', 'after', 'promotion');
    await converged(a.c, b.c);
    await sameStreams(a.c, b.c);
  });
});
