/**
 * The leader side against real redis-server 7.0 followers (`--replicaof` the broker),
 * each a separate process on loopback: they converge to the broker's DEBUG DIGEST under
 * a mixed write load, continue partially after CLIENT KILL TYPE replica, share one
 * snapshot when they attach together, are counted by WAIT and min-replicas-to-write,
 * and one that stops reading is dropped at its output limit and resyncs.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { testResources } from '../harness/resources.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { converged, info, infoField, linkUp, mixedLoad, runLoops, StreamReader } from './topology.js';
import { until } from '../harness/wait.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, connect } = testResources();

/** The broker as a leader process; `delay` is repl-diskless-sync-delay. */
async function leader(extra: string[] = [], delay = 0) {
  const server = await spawnBroker([...DEBUG, '--repl-diskless-sync-delay', String(delay), ...extra]);
  servers.push(server);
  const [admin] = await connect(server.port);
  return { server, admin };
}

/** A redis-server following the broker on `port`. */
async function follower(port: number, extra: string[] = []) {
  const server = await startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(port), ...extra]);
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c };
}


describe.skipIf(!hasRedisServer())('redis-server following the broker', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it('converges to the same DEBUG DIGEST under a mixed load, full sync taken mid-load', async () => {
    const { server, admin } = await leader();
    const stop = await mixedLoad(await connect(server.port, 5));
    await new Promise((r) => setTimeout(r, 300));
    const { c } = await follower(server.port);
    await linkUp(c);
    await new Promise((r) => setTimeout(r, 1000));
    await stop();
    await converged(admin, c);
    expect((await c.call('XLEN', 'orders')).value as number).toBeGreaterThan(0);
    expect((await c.call('GET', 'counter')).value).toBe((await admin.call('GET', 'counter')).value);
    expect(Number((await c.call('XPENDING', 'orders', 'workers')).value![0 as never])).toBeGreaterThan(0);
    // The groups as the leader has them: delivery state travels with the stream.
    for (const s of ['orders', 'events']) {
      expect((await c.call('XINFO', 'GROUPS', s)).raw.toString('latin1')).toBe((await admin.call('XINFO', 'GROUPS', s)).raw.toString('latin1'));
      expect((await c.call('XPENDING', s, 'workers')).raw).toEqual((await admin.call('XPENDING', s, 'workers')).raw);
    }
    expect(await infoField(admin, 'stats', 'sync_full')).toBe('1');
    const role = (await admin.call('ROLE')).value as unknown[];
    expect(role[0]).toBe('master');
    expect((role[2] as unknown[]).length).toBe(1);
  });

  it('converges when the snapshot spans many slices while the load goes on (the stream held meanwhile)', async () => {
    const { server, admin } = await leader();
    const [loader] = await connect(server.port);
    for (let batch = 0; batch < 40; batch++) {
      const lines: Buffer[] = [];
      for (let i = 0; i < 1000; i++) {
        const n = batch * 1000 + i;
        lines.push(encodeCommand(['XADD', 'big', '*', 'n', String(n), 'payload', 'p'.repeat(40)]));
        lines.push(encodeCommand(i % 2 === 0 ? ['RPUSH', 'biglist', String(n)] : ['SET', `k:${n}`, String(n)]));
      }
      loader.write(Buffer.concat(lines));
      await loader.readMany(2000);
    }
    const stop = await mixedLoad(await connect(server.port, 5));
    // Writes into what the snapshot is walking: its keys changed before they are saved.
    const touching = runLoops([
      async () => {
        await loader.call('XADD', 'big', 'MAXLEN', '~', '38000', '*', 'n', 'late');
        await loader.call('LPOP', 'biglist');
        await loader.call('INCR', `k:${1 + 2 * Math.floor(Math.random() * 20_000)}`);
      },
    ]);
    const { c } = await follower(server.port);
    await linkUp(c);
    await new Promise((r) => setTimeout(r, 300));
    await touching();
    await stop();
    await converged(admin, c, 60_000);
    expect((await c.call('XLEN', 'big')).value).toBe((await admin.call('XLEN', 'big')).value);
  });

  it('a follower asking while a BGSAVE runs waits for it, then gets +FULLRESYNC before any of the stream', async () => {
    const { server, admin } = await leader();
    for (let batch = 0; batch < 40; batch++) {
      admin.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeCommand(['XADD', 'big', '*', 'n', String(batch * 1000 + i)]))));
      await admin.readMany(1000);
    }
    const stop = await mixedLoad(await connect(server.port, 5));
    const [raw] = await connect(server.port);
    await raw.call('REPLCONF', 'capa', 'eof');
    expect((await admin.call('BGSAVE')).raw.toString()).toBe('+Background saving started\r\n');
    const reader = await StreamReader.start(raw);
    await until('the stream began', async () => reader.offset >= 0);
    await stop();
    expect(reader.firstLine).toMatch(/^\+FULLRESYNC [0-9a-f]{40} \d+$/);
    await until('the stream reached the leader offset', async () => String(reader.offset + reader.processed) === (await infoField(admin, 'replication', 'master_repl_offset')));
  });

  it('continues partially after CLIENT KILL TYPE replica under load', async () => {
    const { server, admin } = await leader();
    const { c } = await follower(server.port);
    await linkUp(c);
    const stop = await mixedLoad(await connect(server.port, 5));
    await new Promise((r) => setTimeout(r, 300));
    expect((await admin.call('CLIENT', 'KILL', 'TYPE', 'replica')).value).toBe(1);
    await until('the follower resynced partially', async () => (await infoField(admin, 'stats', 'sync_partial_ok')) === '1');
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await converged(admin, c);
    await until('the partial resync is logged', async () => /Partial resynchronization request from 127\.0\.0\.1:\d+ accepted/.test(server.output()));
    const stats = await info(admin, 'stats');
    expect(stats.get('sync_full')).toBe('1');
    expect(stats.get('sync_partial_err')).toBe('0');
  });

  it('two followers attaching together share one snapshot; WAIT counts them', async () => {
    const { server, admin } = await leader([], 2);
    const [writer] = await connect(server.port);
    for (let i = 0; i < 200; i++) writer.write(`*3\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$${String(i).length}\r\n${i}\r\n`);
    await writer.readMany(200);
    const a = await follower(server.port);
    const b = await follower(server.port);
    await linkUp(a.c);
    await linkUp(b.c);
    // The log reaches the output after the links are up, on a loaded machine well after.
    await until('the snapshot is logged', async () => server.output().includes('Starting BGSAVE for SYNC'));
    expect(server.output().match(/Starting BGSAVE for SYNC/g)?.length).toBe(1);
    await writer.call('SET', 'k', 'v');
    expect((await writer.call('WAIT', '2', '0')).value).toBe(2);
    // A client that wrote nothing waits for nothing.
    expect((await admin.call('WAIT', '5', '1')).value).toBe(2);
    // More than there are: the timeout answers with how many acknowledged.
    expect((await writer.call('WAIT', '3', '200')).value).toBe(2);
    await converged(admin, a.c);
    await converged(admin, b.c);
    expect(await infoField(admin, 'replication', 'connected_slaves')).toBe('2');
  });

  it('min-replicas-to-write refuses writes without enough good followers, then recovers', async () => {
    const { server, admin } = await leader();
    await admin.call('CONFIG', 'SET', 'min-replicas-to-write', '1');
    expect((await admin.call('SET', 'k', 'v')).raw.toString()).toBe('-NOREPLICAS Not enough good replicas to write.\r\n');
    const f = await follower(server.port);
    await linkUp(f.c);
    await until('writes are accepted', async () => (await admin.call('SET', 'k', 'v')).raw.toString() === '+OK\r\n');
    expect(await infoField(admin, 'replication', 'min_slaves_good_slaves')).toBe('1');
    await f.server.stop();
    await until('writes are refused again', async () => (await admin.call('SET', 'k', 'v')).raw.toString().startsWith('-NOREPLICAS'));
  });

  it('SHUTDOWN waits for a lagging follower to have every write', async () => {
    const { server, admin } = await leader();
    const f = await follower(server.port);
    await linkUp(f.c);
    f.server.child?.kill('SIGSTOP');
    try {
      await admin.call('SET', 'last', 'write');
      admin.write('SHUTDOWN\r\n');
      await until('the leader waits', async () => server.output().includes('Waiting for replicas before shutting down.'));
    } finally {
      f.server.child?.kill('SIGCONT');
    }
    await until('the leader exited', async () => server.child.exitCode !== null);
    expect(server.output()).toContain('1 of 1 replicas are in sync when shutting down.');
    expect((await f.c.call('GET', 'last')).value).toBe('write');
  });

  it('SIGTERM closes new connections at once, waits for the lagging follower, and exits 0', async () => {
    const { server, admin } = await leader();
    const f = await follower(server.port);
    await linkUp(f.c);
    f.server.child?.kill('SIGSTOP');
    try {
      await admin.call('SET', 'last', 'write');
      server.child.kill('SIGTERM');
      await until('the leader waits', async () => server.output().includes('Waiting for replicas before shutting down.'));
      const late = await RawClient.connect(server.port);
      late.write('PING\r\n');
      await late.waitClosed();
      expect(late.leftover().replies).toEqual([]);
      // The clients connected are still served meanwhile (writes are held).
      expect((await admin.call('GET', 'last')).value).toBe('write');
    } finally {
      f.server.child?.kill('SIGCONT');
    }
    await until('the leader exited', async () => server.child.exitCode !== null);
    expect(server.child.exitCode).toBe(0);
    expect(server.output()).toContain('1 of 1 replicas are in sync when shutting down.');
    expect((await f.c.call('GET', 'last')).value).toBe('write');
  });

  it('SHUTDOWN ABORT ends the wait for a lagging follower: the SHUTDOWN fails and writes go on, as on redis-server', async () => {
    /** The replies of the waiting SHUTDOWN, of SHUTDOWN ABORT, of a write after it, and of a second ABORT. */
    const abortedShutdown = async (leading: RunningServer): Promise<string[]> => {
      const f = await follower(leading.port);
      await linkUp(f.c);
      const [shutdown, other] = await connect(leading.port, 2);
      f.server.child?.kill('SIGSTOP');
      try {
        await other.call('SET', 'last', 'write');
        const failed = shutdown.call('SHUTDOWN');
        // SHUTDOWN ran (and so waits): CLIENT LIST shows it as its client's last command.
        await until('the leader waits', async () => (await other.call('CLIENT', 'LIST')).raw.toString('latin1').includes('cmd=shutdown'));
        const aborted = await other.call('SHUTDOWN', 'ABORT');
        const replies = [(await failed).raw, aborted.raw, (await other.call('SET', 'after', 'abort')).raw, (await other.call('SHUTDOWN', 'ABORT')).raw];
        return replies.map((raw) => raw.toString('latin1'));
      } finally {
        f.server.child?.kill('SIGCONT');
      }
    };
    const ours = await leader();
    const ref = await startRedis(DEBUG);
    servers.push(ref);
    expect(await abortedShutdown(ours.server)).toEqual(await abortedShutdown(ref));
    expect(ours.server.output()).toContain('Shutdown manually aborted.');
    // A shutdown a signal started is cancelled the same way, and the process goes on.
    const f = await follower(ours.server.port);
    await linkUp(f.c);
    f.server.child?.kill('SIGSTOP');
    try {
      await ours.admin.call('SET', 'before', 'signal');
      ours.server.child.kill('SIGTERM');
      await until('the leader waits', async () => ours.server.output().split('Waiting for replicas before shutting down.').length === 3);
      expect((await ours.admin.call('SHUTDOWN', 'ABORT')).raw.toString('latin1')).toBe('+OK\r\n');
    } finally {
      f.server.child?.kill('SIGCONT');
    }
    expect((await ours.admin.call('SET', 'after', 'signal')).raw.toString('latin1')).toBe('+OK\r\n');
    expect(ours.server.child.exitCode).toBe(null);
  });

  it('a follower that stops reading its payload is dropped after repl-timeout, and the next one syncs', async () => {
    const { server, admin } = await leader(['--repl-timeout', '1']);
    // Incompressible values: the payload must outgrow what the sockets buffer.
    for (let i = 0; i < 300; i++) admin.write(encodeCommand(['SET', `big:${i}`, randomBytes(100_000)]));
    await admin.readMany(300);
    const [stuck] = await connect(server.port);
    await stuck.call('REPLCONF', 'capa', 'eof');
    stuck.write('PSYNC ? -1\r\n');
    stuck.socket.pause();
    await until('the stuck follower was dropped', async () => server.output().includes('Disconnecting timedout replica (full sync)'));
    const { c } = await follower(server.port);
    await converged(admin, c);
  });

  it('a follower over its output limit is dropped, and resyncs', async () => {
    const { server, admin } = await leader(['--client-output-buffer-limit', 'replica 1mb 0 0', '--repl-backlog-size', '1mb']);
    const f = await follower(server.port);
    await linkUp(f.c);
    f.server.child?.kill('SIGSTOP');
    try {
      const [writer] = await connect(server.port);
      const value = 'v'.repeat(10_000);
      await until(
        'the follower was dropped',
        async () => {
          for (let i = 0; i < 100; i++) writer.write(`*3\r\n$3\r\nSET\r\n$${String(i).length}\r\n${i}\r\n$${value.length}\r\n${value}\r\n`);
          await writer.readMany(100);
          return (await infoField(admin, 'replication', 'connected_slaves')) === '0';
        },
        60_000,
      );
      expect((await admin.call('CLIENT', 'LIST', 'TYPE', 'replica')).value).toBe('');
      // The log is written asynchronously: the line may follow the fact.
      await until('the drop is logged', async () => server.output().includes('scheduled to be closed ASAP for overcoming of output buffer limits'));
    } finally {
      f.server.child?.kill('SIGCONT');
    }
    await until('the follower came back', async () => (await infoField(admin, 'replication', 'connected_slaves')) === '1');
    await converged(admin, f.c, 60_000);
  });
});
