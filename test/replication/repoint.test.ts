/**
 * `REPLICAOF host port` on a broker that has followers of its own (a chain A <- B <- C,
 * B re-pointed), each a separate process on loopback. As redis-server 7.0's
 * replicationSetMaster, B keeps C attached: when B's new leader continues the same
 * history (a sibling of B, same id), C never loses its link and gets the new leader's
 * stream at the same offsets; when the id changes (`+CONTINUE <newid>` from a promoted
 * sibling), C is dropped and continues partially under the new id (PSYNC2); when B must
 * resync fully, C is dropped once B loads, and resyncs fully from B. The same with
 * redis-server as A, B's new leader and C around a broker B.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { converged, info, infoField, linkUp, mixedLoad } from './topology.js';
import { until } from '../harness/wait.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, loads, connect } = testResources();

interface Node {
  server: RunningServer;
  c: RawClient;
  port: number;
}

async function broker(extra: string[] = []): Promise<Node> {
  const server = await spawnBroker([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb', ...extra]);
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c, port: server.port };
}

async function followerOf(leader: Node): Promise<Node> {
  const node = await broker(['--replicaof', `127.0.0.1 ${leader.port}`]);
  await linkUp(node.c);
  return node;
}


const text = (raw: Buffer): string => raw.toString('latin1');

/** The ids of the follower connections attached to `node` (CLIENT LIST TYPE replica). */
async function followerIds(node: Node): Promise<string[]> {
  return [...text((await node.c.call('CLIENT', 'LIST', 'TYPE', 'replica')).raw).matchAll(/id=(\d+)/g)].map((m) => m[1]);
}

async function syncStats(node: Node): Promise<[string?, string?, string?]> {
  const stats = await info(node.c, 'stats');
  return [stats.get('sync_full'), stats.get('sync_partial_ok'), stats.get('sync_partial_err')];
}

/**
 * A chain A <- B <- C and B's sibling D, all converged after some mixed load, A's writes
 * then paused, A's stream left on db 1 (`dbOne`, a client of A on db 1, wrote last).
 */
async function chain(): Promise<{ a: Node; b: Node; c: Node; d: Node; dbOne: RawClient }> {
  const a = await broker();
  const stop = await mixedLoad(await connect(a.port, 5));
  loads.push(stop);
  const d = await followerOf(a);
  const b = await followerOf(a);
  const c = await followerOf(b);
  await new Promise((r) => setTimeout(r, 500));
  await stop();
  // The load's keys of a few milliseconds gone (their DELs are on db 0), before the last write.
  await until('the short-lived keys expired', async () => (await a.c.call('KEYS', 'short:*')).raw.toString('latin1') === '*0\r\n');
  const [dbOne] = await connect(a.port);
  await dbOne.call('SELECT', '1');
  await dbOne.call('SET', 'db1:last', 'before');
  // Writes (and expiry) held: the siblings stand at the same offset.
  await a.c.call('CLIENT', 'PAUSE', '60000', 'WRITE');
  for (const f of [d, b, c]) await converged(a.c, f.c);
  return { a, b, c, d, dbOne };
}

describe('REPLICAOF on a broker with followers', () => {
  it('keeps its followers when the new leader continues the same history: they get its stream at the same offsets', async () => {
    const { a, b, c, d, dbOne } = await chain();
    const attached = await followerIds(b);
    expect(attached).toHaveLength(1);
    expect(await syncStats(b)).toEqual(['1', '0', '0']);
    expect(text((await b.c.call('REPLICAOF', '127.0.0.1', String(d.port))).raw)).toBe('+OK\r\n');
    await linkUp(b.c);
    expect(await syncStats(d)).toEqual(['0', '1', '0']);
    // C never lost its link to B.
    expect(await followerIds(b)).toEqual(attached);
    expect(await syncStats(b)).toEqual(['1', '0', '0']);
    // A's writes reach C through D and B, at A's offsets and under A's id.
    await a.c.call('CLIENT', 'UNPAUSE');
    // Still on db 1, so A sends no SELECT: B goes on in the db its stream was on.
    await dbOne.call('SET', 'db1:after', 'repoint');
    for (const f of [d, b, c]) await converged(a.c, f.c);
    const stop = await mixedLoad(await connect(a.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 500));
    await stop();
    for (const f of [d, b, c]) await converged(a.c, f.c);
    expect(await infoField(c.c, 'replication', 'master_replid')).toBe(await infoField(a.c, 'replication', 'master_replid'));
    expect(await followerIds(b)).toEqual(attached);
    expect(await infoField(a.c, 'replication', 'connected_slaves')).toBe('1');
    expect(await infoField(d.c, 'replication', 'connected_slaves')).toBe('1');
  });

  it('drops its followers when the history changes id, and they continue partially under the new one', async () => {
    const { a, b, c, d } = await chain();
    const oldId = await infoField(a.c, 'replication', 'master_replid');
    expect(text((await d.c.call('REPLICAOF', 'NO', 'ONE')).raw)).toBe('+OK\r\n');
    const newId = await infoField(d.c, 'replication', 'master_replid');
    expect(newId).not.toBe(oldId);
    const attached = await followerIds(b);
    expect(text((await b.c.call('REPLICAOF', '127.0.0.1', String(d.port))).raw)).toBe('+OK\r\n');
    await linkUp(b.c);
    expect(await syncStats(d)).toEqual(['0', '1', '0']);
    // B took the new id, keeping the old one as replid2: C came back and continued from B's backlog.
    await until('C is back on B', async () => (await followerIds(b)).length === 1 && (await followerIds(b))[0] !== attached[0]);
    await linkUp(c.c);
    expect(await syncStats(b)).toEqual(['1', '1', '0']);
    const bInfo = await info(b.c, 'replication');
    expect([bInfo.get('master_replid'), bInfo.get('master_replid2')]).toEqual([newId, oldId]);
    await d.c.call('XADD', 'orders', '*', 'after', 'repoint');
    await converged(d.c, c.c);
    expect(await infoField(c.c, 'replication', 'master_replid')).toBe(newId);
  });

  it('drops its followers once it loads a full resync, and they resync fully from it', async () => {
    const { b, c } = await chain();
    const other = await broker();
    await other.c.call('SET', 'elsewhere', 'yes');
    expect(text((await b.c.call('REPLICAOF', '127.0.0.1', String(other.port))).raw)).toBe('+OK\r\n');
    await linkUp(b.c);
    await until('C resynced from B', async () => (await syncStats(b))[0] === '2');
    await linkUp(c.c);
    await converged(other.c, c.c);
    expect((await c.c.call('GET', 'elsewhere')).value).toBe('yes');
  });
});

describe('a follower of a follower', () => {
  it('starts in the db its leader\'s stream is on when it resyncs fully from a follower (RDB repl-stream-db)', async () => {
    const a = await broker();
    const b = await followerOf(a);
    const [dbOne] = await connect(a.port);
    await dbOne.call('SELECT', '1');
    await dbOne.call('SET', 'db1:first', 'x');
    await converged(a.c, b.c);
    // C's full resync comes from B, whose stream is on db 1 at that offset.
    const c = await followerOf(b);
    await dbOne.call('SET', 'db1:after', 'chained sync');
    for (const f of [b, c]) await converged(a.c, f.c);
    await c.c.call('SELECT', '1');
    expect((await c.c.call('GET', 'db1:after')).value).toBe('chained sync');
  });
});

describe.skipIf(!hasRedisServer())('REPLICAOF on a broker with followers, among redis-servers', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  async function redis(extra: string[] = []): Promise<Node> {
    const server = await startRedis([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb', ...extra]);
    servers.push(server);
    const [c] = await connect(server.port);
    return { server, c, port: server.port };
  }

  it('a broker between redis-servers keeps its redis-server follower on the same history', async () => {
    const a = await redis();
    const stop = await mixedLoad(await connect(a.port, 5));
    loads.push(stop);
    const d = await redis(['--replicaof', '127.0.0.1', String(a.port)]);
    const b = await followerOf(a);
    const c = await redis(['--replicaof', '127.0.0.1', String(b.port)]);
    await linkUp(d.c);
    await linkUp(c.c);
    await new Promise((r) => setTimeout(r, 500));
    await stop();
    await until('the short-lived keys expired', async () => text((await a.c.call('KEYS', 'short:*')).raw) === '*0\r\n');
    const [dbOne] = await connect(a.port);
    await dbOne.call('SELECT', '1');
    await dbOne.call('SET', 'db1:last', 'before');
    await a.c.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    for (const f of [d, b, c]) await converged(a.c, f.c);
    const attached = await followerIds(b);
    expect(text((await b.c.call('REPLICAOF', '127.0.0.1', String(d.port))).raw)).toBe('+OK\r\n');
    await linkUp(b.c);
    expect(await infoField(d.c, 'stats', 'sync_partial_ok')).toBe('1');
    expect(await followerIds(b)).toEqual(attached);
    await a.c.call('CLIENT', 'UNPAUSE');
    await dbOne.call('SET', 'db1:after', 'repoint');
    await a.c.call('XADD', 'orders', '*', 'after', 'repoint');
    for (const f of [d, b, c]) await converged(a.c, f.c);
    expect(await followerIds(b)).toEqual(attached);
    expect(await infoField(c.c, 'replication', 'master_replid')).toBe(await infoField(a.c, 'replication', 'master_replid'));
  });
});
