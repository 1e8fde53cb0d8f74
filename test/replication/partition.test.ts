/**
 * Network partitions (netns.ts): a leader and its followers each in a network namespace
 * of their own, the replication link between two of them a veth pair the test cuts
 * (`ip link set down`) under a write load for longer than `repl-timeout`, then heals.
 * Both sides notice (the leader drops the silent follower, the follower its silent
 * leader and its connection attempts time out); once healed, the follower continues with
 * a partial resync when the backlog still covers what it missed and with a full one when
 * not, and converges (DEBUG DIGEST) either way; `min-replicas-to-write` refuses writes
 * while the partition lasts and takes them again after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { converged, infoField, linkUp, mixedLoad, runLoops } from './topology.js';
import { until } from '../harness/wait.js';
import { hasNetns, Netns, NO_NETNS, type Link } from './netns.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const PORT = 6379;
let netns: Netns | null = null;
const clients: RawClient[] = [];
const loads: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of loads.splice(0)) await stop().catch(() => undefined);
  for (const c of clients.splice(0)) c.close();
  await netns?.destroy();
  netns = null;
});

async function connect(host: string, count = 1): Promise<RawClient[]> {
  const made = await Promise.all(Array.from({ length: count }, () => RawClient.connect(PORT, host)));
  clients.push(...made);
  return made;
}

/**
 * A leader in one namespace and `followers` followers each in another, the test
 * reaching each through a link of its own, each follower linked to the leader by one
 * more (the one a test cuts).
 */
async function partitionable(followers: number, leaderArgs: string[], followerArgs: string[] = []) {
  const space = (netns = new Netns());
  const leaderNs = space.namespace('l');
  const leaderAccess = space.link(Netns.HOST, leaderNs);
  const links = Array.from({ length: followers }, (_, i) => ({ ns: space.namespace(`f${i}`) })).map(({ ns }) => ({
    ns,
    access: space.link(Netns.HOST, ns),
    replication: space.link(leaderNs, ns),
  }));
  const leaderAddrs = [leaderAccess.b.addr, ...links.map((l) => l.replication.a.addr)];
  // repl-timeout 2 s: a PING each second keeps quiet links alive (as redis-server, the period must be below the timeout).
  const leaderServer = await space.broker(leaderNs, leaderAddrs, PORT, [
    ...DEBUG,
    '--repl-diskless-sync-delay', '0',
    '--repl-timeout', '2',
    '--repl-ping-replica-period', '1',
    ...leaderArgs,
  ]);
  const [leader] = await connect(leaderAccess.b.addr);
  const nodes = [];
  for (const l of links) {
    await space.broker(l.ns, [l.access.b.addr, l.replication.b.addr], PORT, [
      ...DEBUG,
      '--repl-timeout', '2',
      '--replicaof', `${l.replication.a.addr} ${PORT}`,
      ...followerArgs,
    ]);
    const [c] = await connect(l.access.b.addr);
    await linkUp(c, 60_000);
    nodes.push({ c, link: l.replication });
  }
  return { space, leader, leaderHost: leaderAccess.b.addr, leaderOutput: leaderServer.output, followers: nodes };
}


/** Cuts `link` until both ends noticed (the leader dropped the follower, the follower its link), the load going on. */
async function partition(space: Netns, link: Link, leader: RawClient, follower: RawClient, connected: number): Promise<void> {
  space.cut(link);
  await until('the leader dropped the follower', async () => (await infoField(leader, 'replication', 'connected_slaves')) === String(connected), 60_000);
  await until('the follower lost its link', async () => (await infoField(follower, 'replication', 'master_link_status')) === 'down', 60_000);
}

describe.skipIf(!hasNetns())('replication across a network partition', () => {
  if (!hasNetns()) console.warn(NO_NETNS);

  it('a follower cut off past repl-timeout under load continues partially once healed, as its sibling goes on', async () => {
    const { space, leader, leaderHost, leaderOutput, followers } = await partitionable(2, ['--repl-backlog-size', '64mb']);
    const [cut, sibling] = followers;
    const stop = await mixedLoad(await connect(leaderHost, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 300));
    await partition(space, cut.link, leader, cut.c, 1);
    const offsetAtCut = Number(await infoField(cut.c, 'replication', 'slave_repl_offset'));
    await until('the leader wrote on', async () => Number(await infoField(leader, 'replication', 'master_repl_offset')) > offsetAtCut + 10_000);
    space.heal(cut.link);
    await linkUp(cut.c, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await converged(leader, cut.c, 60_000);
    await converged(leader, sibling.c, 60_000);
    // No full resync after the two first ones; the cut follower continued from the backlog.
    expect(await infoField(leader, 'stats', 'sync_full')).toBe('2');
    const cutAddress = cut.link.b.addr.replaceAll('.', '\\.');
    await until('the partial resync is logged', async () => new RegExp(`Partial resynchronization request from ${cutAddress}:\\d+ accepted`).test(leaderOutput()));
  });

  it('a follower cut off for longer than the backlog covers resyncs fully once healed, and converges', async () => {
    const { space, leader, leaderHost, leaderOutput, followers } = await partitionable(1, ['--repl-backlog-size', '16kb']);
    const [cut] = followers;
    const stop = await mixedLoad(await connect(leaderHost, 5));
    loads.push(stop);
    await partition(space, cut.link, leader, cut.c, 0);
    const offsetAtCut = Number(await infoField(cut.c, 'replication', 'slave_repl_offset'));
    // More written than the backlog holds.
    await until('the backlog moved past the follower', async () => Number(await infoField(leader, 'replication', 'repl_backlog_first_byte_offset')) > offsetAtCut + 1);
    space.heal(cut.link);
    await until('the follower resynced fully', async () => (await infoField(leader, 'stats', 'sync_full')) === '2', 60_000);
    await linkUp(cut.c, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await converged(leader, cut.c, 60_000);
    expect(leaderOutput()).toMatch(/Unable to partial resync with replica [\d.]+:\d+ for lack of backlog/);
  });

  it('min-replicas-to-write refuses writes while the partition lasts, and takes them again once healed', async () => {
    const { space, leader, leaderHost, followers } = await partitionable(1, ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '2']);
    const [cut] = followers;
    const [writer] = await connect(leaderHost);
    const replies: string[] = [];
    let n = 0;
    const stop = runLoops([
      async () => {
        replies.push((await writer.call('XADD', 'events', '*', 'n', String(++n))).raw.toString('latin1'));
        await new Promise((r) => setTimeout(r, 5));
      },
    ]);
    loads.push(stop);
    await until('writes are accepted', async () => replies.some((r) => !r.startsWith('-')));
    await partition(space, cut.link, leader, cut.c, 0);
    await until('writes are refused', async () => (await leader.call('SET', 'k', 'v')).raw.toString('latin1') === '-NOREPLICAS Not enough good replicas to write.\r\n');
    expect(await infoField(leader, 'replication', 'min_slaves_good_slaves')).toBe('0');
    const refusedAt = replies.length;
    space.heal(cut.link);
    await linkUp(cut.c, 60_000);
    await until('writes are accepted again', async () => replies.slice(refusedAt).some((r) => r.startsWith('$')));
    await stop();
    await converged(leader, cut.c, 60_000);
    expect(replies.filter((r) => r.startsWith('-')).every((r) => r === '-NOREPLICAS Not enough good replicas to write.\r\n')).toBe(true);
    expect((await leader.call('XLEN', 'events')).value).toBe(replies.filter((r) => r.startsWith('$')).length);
  });
});
