/**
 * A leader and two followers as containers with volumes, under a write load of a
 * stream with a consumer group, through what Docker does to containers: SIGKILL of
 * the leader (appendfsync always), a follower frozen past repl-timeout, SIGTERM of the
 * leader (appendfsync everysec), and FAILOVER to a follower while a client writes.
 * Nothing here waits for a time: every wait polls a condition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RawClient } from '../harness/raw.js';
import { converged, info, infoField } from '../replication/topology.js';
import { until } from '../harness/wait.js';
import { brokerImage, Cluster, linkUp, type Broker } from './cluster.js';
import { expectAcknowledgedWrites, StreamLoad, STREAM } from './load.js';

const image = brokerImage();
const DEBUG = ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0'];

interface Trio {
  leader: Broker;
  followers: Broker[];
  volumes: string[];
}

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.destroy();
  cluster = null;
});

/** A leader (`leader` on the network) and followers f1, f2, each with a volume, links up. */
async function trio(leaderArgs: string[] = [], followerArgs: string[] = []): Promise<Trio> {
  cluster = await Cluster.create(image!);
  const volumes = [await cluster.volume(), await cluster.volume(), await cluster.volume()];
  const leader = await cluster.start('leader', { volume: volumes[0], args: [...DEBUG, ...leaderArgs] });
  const followers = await Promise.all(
    ['f1', 'f2'].map((name, i) =>
      cluster!.start(name, { volume: volumes[i + 1], args: [...DEBUG, ...followerArgs], env: { BROKER_REPLICAOF: 'leader 6379' } }),
    ),
  );
  for (const f of followers) await linkUp(await cluster.connect(f));
  return { leader, followers, volumes };
}

/** A load on the leader, going until it has `entries` added and half as many acked. */
async function loadUntil(leader: Broker, entries: number, maxlen?: number): Promise<StreamLoad> {
  const c = await cluster!.connect(leader);
  await StreamLoad.prepare(c);
  const load = new StreamLoad(await cluster!.connect(leader), await cluster!.connect(leader), maxlen);
  await until(`${entries} entries are added`, async () => load.added.length >= entries && load.acked.length >= entries / 2, 60_000);
  return load;
}

/** Starts the leader again, in a new container on its volume, under the same name. */
async function restartLeader(trio: Trio, args: string[]): Promise<Broker> {
  await cluster!.remove(trio.leader);
  return cluster!.start('leader', { volume: trio.volumes[0], args: [...DEBUG, ...args] });
}

/** The followers follow `leader` again and have its dataset. */
async function followersConverge(leader: RawClient, followers: Broker[]): Promise<void> {
  for (const f of followers) {
    const c = await cluster!.connect(f);
    await linkUp(c);
    await converged(leader, c, 60_000);
  }
}

const stat = async (c: RawClient, name: string): Promise<number> => Number(await infoField(c, 'stats', name));

describe.skipIf(image === null)('a leader and two followers in containers', () => {
  it('docker kill of the leader (appendfsync always): every acknowledged write survives, the followers resync', async () => {
    const t = await trio(['--appendfsync', 'always']);
    const load = await loadUntil(t.leader, 300);
    await (await t.leader.docker()).kill({ signal: 'SIGKILL' });
    await load.stop();
    const leader = await restartLeader(t, ['--appendfsync', 'always']);
    const c = await cluster!.connect(leader);
    await expectAcknowledgedWrites(c, load);
    await followersConverge(c, t.followers);
    // A leader restarted from its AOF starts a new history: the followers resync in full
    // (redis-server's replication id is not in its AOF either).
    expect((await stat(c, 'sync_full')) + (await stat(c, 'sync_partial_ok'))).toBeGreaterThanOrEqual(2);
    await expectAcknowledgedWrites(await cluster!.connect(t.followers[0]), load);
  });

  it('docker pause of a follower past repl-timeout: the leader drops it with bounded memory, it resyncs partially', async () => {
    const limitMb = 16;
    const t = await trio(['--repl-timeout', '3', '--repl-backlog-size', '64mb', '--client-output-buffer-limit', `replica ${limitMb}mb ${limitMb / 2}mb 5`]);
    const c = await cluster!.connect(t.leader);
    // A load that does not grow the dataset: whatever grows now is replication's.
    const load = await loadUntil(t.leader, 500, 1000);
    await converged(c, await cluster!.connect(t.followers[0]), 60_000);
    const baseline = Number(await infoField(c, 'memory', 'used_memory'));
    const partialBefore = await stat(c, 'sync_partial_ok');
    const frozen = await t.followers[0].docker();
    await frozen.pause();
    let peak = baseline;
    let peakReplicaBuffers = 0;
    await until(
      'the leader drops the frozen follower',
      async () => {
        const fields = await info(c, 'everything');
        peak = Math.max(peak, Number(fields.get('used_memory')));
        peakReplicaBuffers = Math.max(peakReplicaBuffers, Number(fields.get('mem_clients_slaves')));
        return fields.get('connected_slaves') === '1';
      },
      60_000,
    );
    const addedWhileFrozen = load.added.length;
    await until('writes go on without the frozen follower', async () => load.added.length >= addedWhileFrozen + 200, 60_000);
    await frozen.unpause();
    await until('the follower is back', async () => (await infoField(c, 'replication', 'connected_slaves')) === '2', 60_000);
    await load.stop();
    await followersConverge(c, t.followers);
    expect(await stat(c, 'sync_partial_ok')).toBe(partialBefore + 1);
    // What a frozen follower can cost the leader: its output buffer up to the hard limit,
    // and the backlog (64 MB, allocated as it fills): never the whole stream it missed.
    expect(peakReplicaBuffers).toBeLessThanOrEqual((limitMb + 1) * 1024 * 1024);
    expect(peak - baseline).toBeLessThan((limitMb + 64 + 32) * 1024 * 1024);
  });

  it('docker stop of the leader (appendfsync everysec): exit 0, nothing acknowledged lost, the followers had it all', async () => {
    const t = await trio(['--appendfsync', 'everysec']);
    const load = await loadUntil(t.leader, 300);
    const container = await t.leader.docker();
    await container.stop({ t: 30 });
    await load.stop();
    expect((await container.inspect()).State.ExitCode).toBe(0);
    const logs = await t.leader.logs();
    expect(logs).toMatch(/Received SIGTERM scheduling shutdown/);
    // The followers caught up before the leader went: what it acknowledged, they have.
    for (const f of t.followers) await expectAcknowledgedWrites(await cluster!.connect(f), load);
    const leader = await restartLeader(t, ['--appendfsync', 'everysec']);
    const c = await cluster!.connect(leader);
    await expectAcknowledgedWrites(c, load);
    await followersConverge(c, t.followers);
  });

  it('FAILOVER to a follower while a client writes: it finds the new leader and no WAIT-confirmed write is lost', async () => {
    const t = await trio();
    const nodes = [t.leader, ...t.followers];
    const writer = new FailoverClient(nodes);
    const writing = writer.run();
    await until('writes are confirmed', async () => writer.confirmed.length >= 50, 60_000);
    const target = t.followers[0];
    const admin = await cluster!.connect(t.leader);
    expect((await admin.call('FAILOVER', 'TO', target.ip, '6379', 'TIMEOUT', '10000')).raw.toString('latin1')).toBe('+OK\r\n');
    await until('the client writes to the new leader', async () => writer.leader === target && writer.confirmedOnNewLeader >= 50, 60_000);
    await writer.stop();
    await writing;
    const c = await cluster!.connect(target);
    expect(await infoField(c, 'replication', 'role')).toBe('master');
    const present = new Set(((await c.call('XRANGE', STREAM, '-', '+')).value as string[][]).map((entry) => entry[0]));
    expect(writer.confirmed.filter((id) => !present.has(id))).toEqual([]);
    // The old leader follows the new one; the other follower still follows the old
    // leader (chained, as with redis-server): all end with the new leader's dataset.
    const old = await cluster!.connect(t.leader);
    await linkUp(old);
    await converged(c, old, 60_000);
    await converged(old, await cluster!.connect(t.followers[1]), 60_000);
  });
});

/**
 * A writer that knows the brokers' addresses, as a client configured with a list of
 * nodes: it adds an entry and confirms it with WAIT 1; when the leader stops taking
 * writes (-READONLY, a dropped connection, -UNBLOCKED WAIT) it asks each node its ROLE
 * and goes on with the one that leads.
 */
class FailoverClient {
  readonly confirmed: string[] = [];
  confirmedOnNewLeader = 0;
  leader: Broker;
  private running = true;
  private client: RawClient | null = null;

  constructor(private readonly nodes: Broker[]) {
    this.leader = nodes[0];
  }

  async run(): Promise<void> {
    const first = this.leader;
    while (this.running) {
      try {
        this.client ??= await this.leader.connect();
        const added = await this.client.call('XADD', STREAM, '*', 'by', 'writer');
        if (typeof added.value !== 'string') throw new Error(added.raw.toString('latin1'));
        const wait = await this.client.call('WAIT', '1', '5000');
        if (wait.value === 1) {
          this.confirmed.push(added.value);
          if (this.leader !== first) this.confirmedOnNewLeader++;
        } else if (typeof wait.value !== 'number') throw new Error(wait.raw.toString('latin1'));
      } catch {
        this.client?.close();
        this.client = null;
        await this.findLeader();
      }
    }
    this.client?.close();
  }

  private async findLeader(): Promise<void> {
    await until(
      'a node leads',
      async () => {
        for (const node of this.nodes) {
          const c = await node.connect().catch(() => null);
          if (c === null) continue;
          const role = (await c.call('ROLE').catch(() => null))?.value;
          c.close();
          if (Array.isArray(role) && role[0] === 'master') {
            this.leader = node;
            return true;
          }
        }
        return false;
      },
      60_000,
    );
  }

  async stop(): Promise<void> {
    this.running = false;
  }
}

if (image === null) it.skip('container suite (Docker missing)', () => undefined);
