/**
 * Clients that do not read their replies, flood before AUTH, or open more connections
 * than the process has file descriptors for: each of them used to kill the broker
 * (issue 11, problems 3 to 5). The broker runs as a child process here, so that dying
 * shows as an exit instead of taking the test runner with it.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectedSocket, encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis, type RunningServer } from '../harness/servers.js';

const servers: RunningServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A connection that writes `bytes` and never reads; resolves `closed` once the server drops it. */
async function floodUnread(port: number, bytes: Buffer): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = await connectedSocket(port);
  sockets.push(socket);
  socket.on('error', () => undefined);
  socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  return { socket, closed };
}

/** `field:value` from an INFO reply. */
function infoField(info: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info);
  if (m === null) throw new Error(`no ${field} in INFO`);
  return m[1];
}

async function info(c: RawClient, section: string): Promise<string> {
  return (await c.call('INFO', section)).raw.toString('latin1');
}

/** Resolves true if the connection closes within `ms` (a liveness bound, not a timing check). */
function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

describe('unauthenticated clients (CVE-2025-21605)', () => {
  /** 480 unread -NOAUTH replies (16320 bytes) are kept; 500 (17000) get the client disconnected. */
  async function unauthenticatedCutOff(port: number): Promise<{ kept: boolean; cut: boolean }> {
    const keptClient = await RawClient.connect(port);
    keptClient.write('PING\r\n'.repeat(480));
    let kept = true;
    for (let i = 0; i < 480; i++) {
      const reply = await keptClient.read().catch(() => null);
      if (reply === null || reply.raw.toString() !== '-NOAUTH Authentication required.\r\n') kept = false;
      if (reply === null) break;
    }
    keptClient.close();
    const flood = await floodUnread(port, Buffer.from('PING\r\n'.repeat(500)));
    const cut = await closesWithin(flood.closed, 5000);
    return { kept, cut };
  }

  it('are disconnected past 16 KB of unread output, as redis-server', async () => {
    const broker = await spawnBroker(['--requirepass', 'pw']);
    servers.push(broker);
    expect(await unauthenticatedCutOff(broker.port)).toEqual({ kept: true, cut: true });
  });

  it.skipIf(!hasRedisServer())('redis-server draws the same line', async () => {
    const redis = await startRedis(['--requirepass', 'pw']);
    servers.push(redis);
    expect(await unauthenticatedCutOff(redis.port)).toEqual({ kept: true, cut: true });
  });
  if (!hasRedisServer()) it.skip(NO_REDIS, () => undefined);

  it('problem 4: ten connections each sending PING x 5,000,000 unread do not grow the broker', async () => {
    const broker = await spawnBroker(['--requirepass', 'pw']);
    servers.push(broker);
    const flood = Buffer.from('PING\r\n'.repeat(5_000_000));
    const floods = await Promise.all(Array.from({ length: 10 }, () => floodUnread(broker.port, flood)));
    for (const f of floods) expect(await closesWithin(f.closed, 20_000)).toBe(true);
    expect(broker.child.exitCode).toBeNull();
    const admin = await RawClient.connect(broker.port);
    expect((await admin.call('AUTH', 'pw')).raw.toString()).toBe('+OK\r\n');
    expect((await admin.call('PING')).raw.toString()).toBe('+PONG\r\n');
    // Under 200 MB where each flood used to add ~457 MB.
    expect(Number(infoField(await info(admin, 'memory'), 'used_memory_rss'))).toBeLessThan(200 * 1024 * 1024);
    admin.close();
  }, 60_000);
});

describe('maxmemory-clients', () => {
  it('problem 3: 200,000 pipelined XRANGE never read: the client is evicted, the broker serves the others', async () => {
    const bound = 64 * 1024 * 1024;
    const broker = await spawnBroker(['--maxmemory-clients', String(bound)]);
    servers.push(broker);
    const admin = await RawClient.connect(broker.port);
    const adds: Buffer[] = [];
    for (let i = 0; i < 100; i++) adds.push(encodeCommand(['XADD', 's2m', '*', 'field', `value-${i}`]));
    admin.write(Buffer.concat(adds));
    for (let i = 0; i < 100; i++) await admin.read();
    const flood = await floodUnread(broker.port, Buffer.from('XRANGE s2m - + COUNT 100\r\n'.repeat(200_000)));
    // Meanwhile another client is answered, and the clients' memory stays within the bound
    // (give or take one command's reply).
    let maxClients = 0;
    while (!(await closesWithin(flood.closed, 50))) {
      const ping = await admin.call('PING');
      expect(ping.raw.toString()).toBe('+PONG\r\n');
      maxClients = Math.max(maxClients, Number(infoField(await info(admin, 'memory'), 'mem_clients_normal')));
    }
    expect(maxClients).toBeLessThan(bound + 1024 * 1024);
    expect(infoField(await info(admin, 'stats'), 'evicted_clients')).toBe('1');
    // The log is written asynchronously (pino): poll for the line.
    await expect.poll(() => broker.output()).toContain('Evicting client: id=');
    expect((await admin.call('PING')).raw.toString()).toBe('+PONG\r\n');
    admin.close();
  }, 60_000);

  it('CLIENT NO-EVICT exempts a client; percent values of maxmemory; redis-server errors', async () => {
    const broker = await spawnBroker([]);
    servers.push(broker);
    const c = await RawClient.connect(broker.port);
    const set = async (v: string): Promise<string> => (await c.call('CONFIG', 'SET', 'maxmemory-clients', v)).raw.toString();
    expect(await set('101%')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100\r\n",
    );
    expect(await set('abc')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value\r\n",
    );
    expect(await set('10%')).toBe('+OK\r\n');
    expect((await c.call('CONFIG', 'GET', 'maxmemory-clients')).value).toEqual(['maxmemory-clients', '10%']);
    // 128 KB at least, as redis-server: the big client goes, the exempt one stays.
    expect(await set('1')).toBe('+OK\r\n');
    expect((await c.call('CLIENT', 'NO-EVICT', 'on')).raw.toString()).toBe('+OK\r\n');
    await c.call('SET', 'big', 'x'.repeat(100_000));
    const flood = await floodUnread(broker.port, Buffer.from('GET big\r\n'.repeat(200)));
    expect(await closesWithin(flood.closed, 10_000)).toBe(true);
    expect((await c.call('PING')).raw.toString()).toBe('+PONG\r\n');
    c.close();
  }, 30_000);
});

describe('client-query-buffer-limit', () => {
  /** A 2 MB bulk against a 1 MB limit: the client is closed before its command runs. */
  async function queryBufferCutOff(port: number): Promise<boolean> {
    const c = await RawClient.connect(port);
    await c.call('CONFIG', 'SET', 'client-query-buffer-limit', '1mb');
    c.close();
    const flood = await floodUnread(port, Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n'), Buffer.alloc(1_500_000, 97)]));
    return closesWithin(flood.closed, 10_000);
  }

  it('closes a client whose pending input passes it, as redis-server', async () => {
    const broker = await spawnBroker([]);
    servers.push(broker);
    expect(await queryBufferCutOff(broker.port)).toBe(true);
    await expect.poll(() => broker.output()).toContain('Closing client that reached max query buffer length');
  });

  it.skipIf(!hasRedisServer())('redis-server closes it too', async () => {
    const redis = await startRedis([]);
    servers.push(redis);
    expect(await queryBufferCutOff(redis.port)).toBe(true);
  });
});

describe('CLIENT LIST memory fields', () => {
  it('shows queued MULTI commands (multi-mem), pending input (qbuf) and the total (tot-mem)', async () => {
    const broker = await spawnBroker([]);
    servers.push(broker);
    const c = await RawClient.connect(broker.port);
    const admin = await RawClient.connect(broker.port);
    const multiId = (await c.call('CLIENT', 'ID')).value as number;
    await c.call('MULTI');
    await c.call('SET', 'k', 'v'.repeat(1000));
    const partial = await RawClient.connect(broker.port);
    const partialId = (await partial.call('CLIENT', 'ID')).value as number;
    partial.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n' + 'x'.repeat(50_000));
    let list = '';
    for (let i = 0; i < 100 && !/qbuf=[1-9]\d{4}/.test(list); i++) {
      list = (await admin.call('CLIENT', 'LIST')).raw.toString('latin1');
    }
    const line = (id: number): Record<string, string> =>
      Object.fromEntries(list.split('\n').find((l) => l.includes(`id=${id} `))!.split(' ').map((kv) => kv.split('=', 2) as [string, string]));
    // SET, k and the 1000-byte value, and a pointer per argument (redis-server's argv_len_sums).
    expect(Number(line(multiId)['multi-mem'])).toBe(1004 + 3 * 8);
    const other = line(partialId);
    expect(Number(other.qbuf)).toBeGreaterThanOrEqual(50_000);
    expect(Number(other['tot-mem'])).toBeGreaterThan(Number(other.qbuf));
    admin.close();
    c.close();
    partial.close();
  });
});

describe('file descriptors (problem 5)', () => {
  it('lowers maxclients to the open-files limit with redis-server log lines, and survives more connections', async () => {
    const broker = await spawnBroker([], { openFiles: 256 });
    servers.push(broker);
    const log = broker.output();
    expect(log).toContain('You requested maxclients of 10000 requiring at least 10032 max file descriptors.');
    expect(log).toContain("Server can't set maximum open files to 10032 because of OS error: Operation not permitted.");
    expect(log).toContain(
      "Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
    );
    const admin = await RawClient.connect(broker.port);
    expect((await admin.call('CONFIG', 'GET', 'maxclients')).value).toEqual(['maxclients', '224']);
    expect((await admin.call('CONFIG', 'SET', 'maxclients', '225')).raw.toString()).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 224\r\n",
    );
    // 300 idle connections more than the limit holds, all at once: the first ones are
    // served, the others refused, none of it fatal.
    const replies = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const c = await RawClient.connect(broker.port).catch(() => null);
        if (c === null) return 'refused';
        const reply = await c.call('PING').then((r) => r.raw.toString(), () => 'closed');
        sockets.push(c.socket);
        return reply;
      }),
    );
    expect(replies.filter((r) => r === '+PONG\r\n').length).toBeGreaterThan(150);
    expect(replies.filter((r) => r === '-ERR max number of clients reached\r\n').length).toBeGreaterThan(0);
    // The cron and INFO keep running with every descriptor in use.
    expect(infoField(await info(admin, 'memory'), 'used_memory')).toMatch(/^\d+$/);
    for (const s of sockets.splice(0)) s.destroy();
    expect(broker.child.exitCode).toBeNull();
    // The broker notices the hang-ups as they arrive: a fresh client gets in once it has.
    let reply = '';
    for (let i = 0; i < 100 && reply !== '+PONG\r\n'; i++) {
      const fresh = await RawClient.connect(broker.port);
      reply = await fresh.call('PING').then((r) => r.raw.toString(), () => 'closed');
      fresh.close();
      if (reply !== '+PONG\r\n') await new Promise((r) => setTimeout(r, 50));
    }
    expect(reply).toBe('+PONG\r\n');
    admin.close();
  }, 60_000);

  it.skipIf(!hasRedisServer())('redis-server refuses CONFIG SET maxclients beyond the limit with the same text', async () => {
    // startRedis has no ulimit option: the limit here is the test runner's, whatever it is.
    const redis = await startRedis([]);
    servers.push(redis);
    const c = await RawClient.connect(redis.port);
    const reply = (await c.call('CONFIG', 'SET', 'maxclients', '1000000')).raw.toString();
    expect(reply).toMatch(
      /^-ERR CONFIG SET failed \(possibly related to argument 'maxclients'\) - The operating system is not able to handle the specified number of clients, try with \d+\r\n$/,
    );
    c.close();
  });
});
