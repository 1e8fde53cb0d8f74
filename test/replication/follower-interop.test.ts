/**
 * The follower side against a real redis-server 7.0 leader, each a separate process on
 * loopback: the broker sends redis-server's handshake byte for byte, follows under a
 * mixed write load and converges to the leader's DEBUG DIGEST and `XINFO STREAM ...
 * FULL` (beside a redis-server replica of the same leader), continues partially after
 * its link is killed on either side, wakes its own blocked readers with replicated
 * writes, refuses writes (-READONLY), answers reads of keys past their time as
 * redis-server's replicas do, -MASTERDOWN when told not to serve stale data, and
 * leads once told REPLICAOF NO ONE. This is also the live migration from Redis.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskRadixTreeNodes } from '../harness/diff.js';
import { RawClient } from '../harness/raw.js';
import { BROKER_BIN, freePort, hasRedisServer, NO_REDIS, spawnBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { converged, info, infoField, linkUp, mixedLoad } from './topology.js';
import { until } from '../harness/wait.js';
import { testResources } from '../harness/resources.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, loads, connect } = testResources();

/**
 * A redis-server leader that streams its payload at once, with a backlog that holds
 * several seconds of the mixed load (over 1 MB a second): a link dropped on a loaded
 * machine continues partially rather than outliving the default 1 MB.
 */
async function redisLeader() {
  const server = await startRedis([...DEBUG, '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '64mb']);
  servers.push(server);
  const [admin] = await connect(server.port);
  return { server, admin };
}

/** The broker following `port` from start-up (`--replicaof "host port"`, one argument as a flag allows). */
async function brokerFollower(port: number, extra: string[] = []) {
  const server = await spawnBroker([...DEBUG, '--replicaof', `127.0.0.1 ${port}`, ...extra]);
  servers.push(server);
  const [c] = await connect(server.port);
  return { server, c };
}


const text = (raw: Buffer): string => raw.toString('latin1');

/**
 * XINFO STREAM FULL as compared between two followers of a redis-server 7.0: masked are
 * radix-tree-nodes (redis-server's internals), consumers' seen-time (each follower's
 * clock) and a group's entries-read and lag, which a 7.0 leader does not send after
 * XREADGROUP (only after NOACK reads): on every follower of it, redis-server's own
 * included, they stay as of the full resync (a broker leader sends them, see
 * broker-followers.test.ts).
 */
async function xinfoFull(c: RawClient, key: string): Promise<string> {
  const raw = text((await c.call('XINFO', 'STREAM', key, 'FULL')).raw);
  const groups = raw.indexOf('$6\r\ngroups\r\n');
  const masked = raw.slice(0, groups) + raw.slice(groups).replace(/(entries-read\r\n)(:\d+|\$-1)(\r\n\$3\r\nlag\r\n)(:\d+|\$-1)/g, '$1?$3?');
  return maskRadixTreeNodes(masked).replace(/(seen-time\r\n:)\d+/g, '$1?');
}

/**
 * What a server sends to a fake leader that answers the handshake, up to and with
 * its PSYNC; the listening port, which differs by server, is replaced by `<port>`.
 */
async function captureHandshake(start: (leaderPort: number) => Promise<RunningServer>): Promise<string> {
  let received = '';
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const fake = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      const before = received.split(/\*\d+\r\n/).length;
      received += chunk.toString('latin1');
      const commands = received.split(/\*\d+\r\n/).slice(before);
      for (const command of commands) {
        if (command.includes('PING')) socket.write('+PONG\r\n');
        else if (command.includes('PSYNC')) done();
        else socket.write('+OK\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const server = await start((fake.address() as net.AddressInfo).port);
  try {
    await finished;
  } finally {
    await server.stop();
    fake.close();
  }
  return received.replace(`$${String(portOf(received)).length}\r\n${portOf(received)}\r\n`, '<port>');
}

function portOf(handshake: string): number {
  return Number(/listening-port\r\n\$\d+\r\n(\d+)\r\n/.exec(handshake)![1]);
}

describe.skipIf(!hasRedisServer())('the broker following a redis-server', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it("sends redis-server's handshake, byte for byte", async () => {
    const auth = ['--masterauth', 'secret', '--masteruser', 'bob'];
    const theirs = await captureHandshake((port) => startRedis(['--replicaof', '127.0.0.1', String(port), ...auth]));
    const ours = await captureHandshake((port) => spawnBroker(['--replicaof', `127.0.0.1 ${port}`, ...auth]));
    expect(ours).toBe(theirs);
    expect(ours).toContain('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
  });

  it('converges to the leader under a mixed load, beside a redis-server replica, and continues partially after its link is killed', async () => {
    const { server, admin } = await redisLeader();
    await admin.call('SET', 'before', 'sync');
    const stop = await mixedLoad(await connect(server.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 300));
    const { c, server: ours } = await brokerFollower(server.port);
    const reference = await startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(server.port)]);
    servers.push(reference);
    const [ref] = await connect(reference.port);
    // A subscriber on the follower gets the leader's messages: PUBLISH is replicated.
    const [subscriber] = await connect(ours.port);
    await subscriber.call('SUBSCRIBE', 'news');
    await linkUp(c);
    await linkUp(ref);
    await until('a message published on the leader reaches the follower', async () => subscriber.leftover().replies.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    // The link dropped on our side, then on the leader's: both times the stream continues.
    const partialBefore = Number(await infoField(admin, 'stats', 'sync_partial_ok'));
    expect((await c.call('CLIENT', 'KILL', 'TYPE', 'master')).value).toBe(1);
    await until('the follower resynced partially', async () => Number(await infoField(admin, 'stats', 'sync_partial_ok')) === partialBefore + 1);
    await linkUp(c);
    await new Promise((r) => setTimeout(r, 300));
    expect((await admin.call('CLIENT', 'KILL', 'TYPE', 'replica')).value).toBe(2);
    await until('both followers resynced partially', async () => Number(await infoField(admin, 'stats', 'sync_partial_ok')) >= partialBefore + 3);
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await converged(admin, c);
    await converged(admin, ref);
    expect(await infoField(admin, 'stats', 'sync_full')).toBe('2');
    for (const s of ['orders', 'events']) {
      const leaderView = await xinfoFull(admin, s);
      expect(await xinfoFull(c, s)).toBe(await xinfoFull(ref, s));
      expect(leaderView).toContain('entries-read');
      expect((await c.call('XPENDING', s, 'workers')).raw).toEqual((await admin.call('XPENDING', s, 'workers')).raw);
    }
    expect((await c.call('GET', 'before')).value).toBe('sync');
    const replication = await info(c, 'replication');
    expect(replication.get('role')).toBe('slave');
    expect(replication.get('master_port')).toBe(String(server.port));
    expect(replication.get('slave_repl_offset')).toBe(await infoField(admin, 'replication', 'master_repl_offset'));
    const role = (await c.call('ROLE')).value as unknown[];
    expect(role.slice(0, 4)).toEqual(['slave', '127.0.0.1', server.port, 'connected']);
  });

  it('wakes its blocked readers with replicated writes, refuses writes, and leads after REPLICAOF NO ONE', async () => {
    const { server, admin } = await redisLeader();
    const { c, server: ours } = await brokerFollower(server.port);
    await linkUp(c);
    const [reader, popper] = await connect(ours.port, 2);
    reader.write('*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n');
    // BLPOP is a write: on a read-only follower it is refused; a writable one blocks.
    expect(text((await popper.call('BLPOP', 'l', '0')).raw)).toBe("-READONLY You can't write against a read only replica.\r\n");
    await c.call('CONFIG', 'SET', 'replica-read-only', 'no');
    popper.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n');
    await until('both clients block', async () => (await infoField(c, 'clients', 'blocked_clients')) === '2');
    await admin.call('XADD', 's', '5-1', 'f', 'v');
    await admin.call('RPUSH', 'l', 'x');
    expect(text((await reader.read()).raw)).toContain('5-1');
    expect((await popper.read()).value).toEqual(['l', 'x']);
    await c.call('CONFIG', 'SET', 'replica-read-only', 'yes');
    expect(text((await c.call('SET', 'k', 'v')).raw)).toBe("-READONLY You can't write against a read only replica.\r\n");
    // The follower's BLPOP took the element locally (a writable follower diverges, as redis-server's does).
    await until('the follower processed the stream', async () => (await infoField(c, 'replication', 'slave_repl_offset')) === (await infoField(admin, 'replication', 'master_repl_offset')));
    expect(text((await c.call('REPLICAOF', 'NO', 'ONE')).raw)).toBe('+OK\r\n');
    expect(((await c.call('ROLE')).value as unknown[])[0]).toBe('master');
    expect(text((await c.call('SET', 'k', 'v')).raw)).toBe('+OK\r\n');
    expect((await c.call('XLEN', 's')).value).toBe(1);
    expect(await infoField(c, 'replication', 'master_replid2')).toBe(await infoField(admin, 'replication', 'master_replid'));
  });

  it('migrates live from redis-server: the broker follows, is promoted, and redis-server follows it with a partial resync', async () => {
    const { server, admin } = await redisLeader();
    const { c, server: ours } = await brokerFollower(server.port);
    await linkUp(c);
    const stop = await mixedLoad(await connect(server.port, 5));
    loads.push(stop);
    await new Promise((r) => setTimeout(r, 500));
    // The switch: writes paused on redis-server (its expiry too), the broker has everything, it leads, redis-server follows it.
    await stop();
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await converged(admin, c);
    expect(text((await c.call('REPLICAOF', 'NO', 'ONE')).raw)).toBe('+OK\r\n');
    expect(text((await admin.call('REPLICAOF', '127.0.0.1', String(ours.port))).raw)).toBe('+OK\r\n');
    await until('redis-server follows the broker', async () => (await infoField(admin, 'replication', 'master_link_status')) === 'up');
    await admin.call('CLIENT', 'UNPAUSE');
    const stats = await info(c, 'stats');
    expect([stats.get('sync_partial_ok'), stats.get('sync_full')]).toEqual(['1', '0']);
    await c.call('XADD', 'orders', '*', 'after', 'migration');
    await converged(c, admin);
  });

  it('replaces its dataset with the payload a slice at a time, answering -LOADING meanwhile', async () => {
    const { server, admin } = await redisLeader();
    await admin.call('DEBUG', 'POPULATE', '20000');
    // 200 µs per key loaded: the load lasts long enough to be seen.
    const ours = await spawnBroker([...DEBUG, '--key-load-delay', '200']);
    servers.push(ours);
    const [c, blocked] = await connect(ours.port, 2);
    await c.call('SET', 'old', 'data');
    // A client blocked while this broker led is told and let go, as by redis-server.
    blocked.write('*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n');
    await until('the reader blocks', async () => (await infoField(c, 'clients', 'blocked_clients')) === '1');
    expect(text((await c.call('REPLICAOF', '127.0.0.1', String(server.port))).raw)).toBe('+OK\r\n');
    expect(text((await blocked.read()).raw)).toBe('-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n');
    await blocked.waitClosed();
    await until('the load is under way', async () => text((await c.call('GET', 'old')).raw) === '-LOADING Redis is loading the dataset in memory\r\n');
    const during = await info(c, 'replication');
    expect([during.get('master_sync_in_progress'), during.get('master_link_status')]).toEqual(['1', 'down']);
    expect((await infoField(c, 'persistence', 'loading'))).toBe('1');
    await linkUp(c);
    expect((await c.call('GET', 'old')).value).toBe(null);
    expect((await c.call('DBSIZE')).value).toBe(20000);
    await converged(admin, c);
  });

  it('takes the $<length> payload of a leader that syncs through a file, and drops a silent leader after repl-timeout', async () => {
    const leader = await startRedis([...DEBUG, '--repl-diskless-sync', 'no', '--repl-backlog-size', '16mb']);
    servers.push(leader);
    const [admin] = await connect(leader.port);
    await admin.call('DEBUG', 'POPULATE', '2000');
    await admin.call('XADD', 's', '*', 'f', 'v');
    const { c, server: ours } = await brokerFollower(leader.port, ['--repl-timeout', '2']);
    await linkUp(c);
    await converged(admin, c);
    expect(ours.output()).toMatch(/MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/);
    // The leader frozen past repl-timeout: the follower gives up on the link, then continues once it answers again.
    const partialBefore = Number(await infoField(admin, 'stats', 'sync_partial_ok'));
    leader.child.kill('SIGSTOP');
    try {
      await until('the follower dropped the silent link', async () => (await infoField(c, 'replication', 'master_link_status')) === 'down');
    } finally {
      leader.child.kill('SIGCONT');
    }
    await linkUp(c);
    expect(Number(await infoField(admin, 'stats', 'sync_partial_ok'))).toBe(partialBefore + 1);
    expect(ours.output()).toContain('MASTER timeout: no data nor PING received...');
    await admin.call('SET', 'after', 'freeze');
    await converged(admin, c);
  });

  it('reads keys past their time as nil without deleting them, until the leader deletes them', async () => {
    const { server, admin } = await redisLeader();
    const { c, server: ours } = await brokerFollower(server.port);
    await linkUp(c);
    await admin.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await admin.call('SET', 'gone', 'v', 'PX', '50');
    await converged(admin, c);
    await new Promise((r) => setTimeout(r, 100));
    expect((await c.call('GET', 'gone')).value).toBe(null);
    expect((await c.call('EXISTS', 'gone')).value).toBe(0);
    expect((await c.call('DBSIZE')).value).toBe(1);
    // The leader's own access expires it: its DEL removes it here.
    await admin.call('GET', 'gone');
    await until('the DEL arrived', async () => (await c.call('DBSIZE')).value === 0);
    // A command of the stream this broker cannot apply (a type it does not have yet) is
    // logged loudly, and the stream goes on. Which one: the first this broker lacks.
    const missing = await firstUnknownCommand(c, [['PFADD', 'hll', 'a'], ['SETBIT', 'bits', '7', '1'], ['GEOADD', 'geo', '1', '1', 'a']]);
    if (missing === undefined) return;
    await admin.call(...missing);
    await admin.call('SET', 'after', 'unknown');
    await until('the stream went on', async () => (await c.call('GET', 'after')).value === 'unknown');
    await until('the error was logged', async () =>
      ours.output().includes(`== CRITICAL == This replica is sending an error to its master: 'ERR unknown command '${missing[0]}'`),
    );
  });

  it('follows a leader with a password from `replicaof` in a config file, and shows the fields of a redis-server replica', async () => {
    const leader = await startRedis([...DEBUG, '--repl-diskless-sync-delay', '0', '--requirepass', 'secret']);
    servers.push(leader);
    const [admin] = await connect(leader.port);
    await admin.call('AUTH', 'secret');
    await admin.call('SET', 'k', 'v');
    const dir = tempDir('follower-conf-');
    const port = await freePort();
    const conf = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'appendonly no', 'http-port 0', 'enable-debug-command yes'];
    fs.writeFileSync(path.join(dir, 'broker.conf'), [...conf, `replicaof 127.0.0.1 ${leader.port}`, 'masterauth secret', ''].join('\n'));
    const child = spawn(process.execPath, [BROKER_BIN, path.join(dir, 'broker.conf')], { stdio: 'ignore' });
    servers.push({ port, stop: async () => void child.kill('SIGKILL') });
    const ours = { port };
    await until('the broker listens', async () => RawClient.connect(port).then((x) => (x.close(), true), () => false));
    const reference = await startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(leader.port), '--masterauth', 'secret']);
    servers.push(reference);
    const [c] = await connect(ours.port);
    const [ref] = await connect(reference.port);
    await linkUp(c);
    await linkUp(ref);
    await converged(admin, c);
    expect((await c.call('GET', 'k')).value).toBe('v');
    // The same INFO replication fields, in the same order, as a redis-server replica of the same leader.
    const names = async (x: RawClient): Promise<string[]> => [...(await info(x, 'replication')).keys()];
    expect(await names(c)).toEqual(await names(ref));
    expect(((await c.call('ROLE')).value as unknown[]).slice(0, 4)).toEqual(((await ref.call('ROLE')).value as unknown[]).slice(0, 4));
  });

  it('answers -MASTERDOWN while the link is down under replica-serve-stale-data no, and repeats REPLICAOF as redis-server', async () => {
    const port = await freePort();
    const { c } = await brokerFollower(port, ['--replica-serve-stale-data', 'no']);
    expect(text((await c.call('GET', 'k')).raw)).toBe("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
    expect(text((await c.call('INFO', 'replication')).raw)).toContain('master_link_status:down');
    const role = (await c.call('ROLE')).value as unknown[];
    expect([role[0], role[2], role[4]]).toEqual(['slave', port, -1]);
    expect(text((await c.call('REPLICAOF', '127.0.0.1', String(port))).raw)).toBe('+OK Already connected to specified master\r\n');
    expect(text((await c.call('REPLICAOF', '127.0.0.1', '70000')).raw)).toBe('-ERR Invalid master port\r\n');
    expect((await c.call('CONFIG', 'GET', 'replicaof')).value).toEqual(['replicaof', `127.0.0.1 ${port}`]);
    expect(text((await c.call('REPLICAOF', 'NO', 'ONE')).raw)).toBe('+OK\r\n');
    expect(text((await c.call('GET', 'k')).raw)).toBe('$-1\r\n');
    expect((await c.call('CONFIG', 'GET', 'replicaof')).value).toEqual(['replicaof', '']);
  });

  it('refuses PSYNC while its own link is down with -NOMASTERLINK, as redis-server (a chained follower retries)', async () => {
    const port = await freePort();
    const { c } = await brokerFollower(port);
    const ref = await startRedis(['--replicaof', '127.0.0.1', String(port)]);
    servers.push(ref);
    const [r] = await connect(ref.port);
    const expected = "-NOMASTERLINK Can't SYNC while not connected with my master\r\n";
    expect(text((await r.call('PSYNC', '?', '-1')).raw)).toBe(expected);
    expect(text((await c.call('PSYNC', '?', '-1')).raw)).toBe(expected);
    expect(text((await c.call('PING')).raw)).toBe('+PONG\r\n');
  });
});

/** The first of `commands` this broker does not know (COMMAND INFO answers nil for it). */
async function firstUnknownCommand(c: RawClient, commands: string[][]): Promise<string[] | undefined> {
  for (const argv of commands) {
    const info = (await c.call('COMMAND', 'INFO', argv[0])).raw.toString('latin1');
    if (info === '*1\r\n*-1\r\n') return argv;
  }
  return undefined;
}
