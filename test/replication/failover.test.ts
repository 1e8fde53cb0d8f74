/**
 * FAILOVER between brokers (separate processes on loopback): under a write load where
 * each write is confirmed with WAIT, the leader hands over to the follower named by TO;
 * every confirmed write is on the new leader, the old leader follows it, the other
 * follower converges, and FAILOVER's refusals are redis-server's.
 */
import { describe, expect, it } from 'vitest';
import { testResources } from '../harness/resources.js';
import { spawnBroker } from '../harness/servers.js';
import { converged, infoField, linkUp } from './topology.js';
import { until } from '../harness/wait.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, connect } = testResources();

async function broker(extra: string[] = []) {
  const server = await spawnBroker([...DEBUG, '--repl-diskless-sync-delay', '0', ...extra]);
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c };
}


const text = (raw: Buffer): string => raw.toString('latin1');

describe('FAILOVER', () => {
  it('hands over to the named follower under load: no write confirmed by WAIT is lost', async () => {
    const leader = await broker();
    const a = await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]);
    const b = await broker(['--replicaof', `127.0.0.1 ${leader.server.port}`]);
    await linkUp(a.c);
    await linkUp(b.c);
    expect(text((await leader.c.call('FAILOVER', 'TO', '10.0.0.9', '1')).raw)).toBe('-ERR FAILOVER target HOST and PORT is not a replica.\r\n');
    expect(text((await leader.c.call('FAILOVER', 'TO', '127.0.0.1', String(a.server.port), 'FORCE')).raw)).toBe(
      '-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n',
    );
    const [writer] = await connect(leader.server.port);
    const confirmed: number[] = [];
    let writing = true;
    const load = (async () => {
      for (let n = 1; writing; n++) {
        const pushed = await writer.call('RPUSH', 'confirmed', String(n));
        // Refused once the old leader follows: the load is over.
        if (text(pushed.raw).startsWith('-')) return;
        if ((await writer.call('WAIT', '2', '1000')).value === 2) confirmed.push(n);
      }
    })().catch(() => {
      // A WAIT still blocked when the leader turns follower is let go and disconnected (-UNBLOCKED), as by redis-server.
    });
    await until('some writes are confirmed', async () => confirmed.length >= 20);
    expect(text((await leader.c.call('FAILOVER', 'TO', '127.0.0.1', String(a.server.port), 'TIMEOUT', '10000')).raw)).toBe('+OK\r\n');
    expect(text((await leader.c.call('FAILOVER')).raw)).toMatch(/^-ERR FAILOVER already in progress\.\r\n$|^-ERR FAILOVER is not valid when server is a replica\.\r\n$/);
    await until('the handover is done', async () => (await infoField(leader.c, 'replication', 'master_failover_state')) === 'no-failover');
    writing = false;
    await load;
    expect(await infoField(leader.c, 'replication', 'role')).toBe('slave');
    expect(await infoField(leader.c, 'replication', 'master_port')).toBe(String(a.server.port));
    expect(await infoField(a.c, 'replication', 'role')).toBe('master');
    const onNewLeader = new Set(((await a.c.call('LRANGE', 'confirmed', '0', '-1')).value as string[]).map(Number));
    expect(confirmed.filter((n) => !onNewLeader.has(n))).toEqual([]);
    // The old leader continued from the new one without a full resync, and writes go to the new leader now.
    expect(await infoField(a.c, 'stats', 'sync_full')).toBe('0');
    expect(text((await leader.c.call('SET', 'k', 'v')).raw)).toBe("-READONLY You can't write against a read only replica.\r\n");
    expect(text((await leader.c.call('FAILOVER')).raw)).toBe('-ERR FAILOVER is not valid when server is a replica.\r\n');
    await a.c.call('SET', 'after', 'failover');
    await linkUp(leader.c);
    await converged(a.c, leader.c);
    await until('the other follower has the new writes', async () => (await b.c.call('GET', 'after')).value === 'failover');
  });
});
