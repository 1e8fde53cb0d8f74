/**
 * Group commit under `appendfsync always`: no reply that shows data leaves before the
 * effects of every command before it are synced (a write's own reply, the reply of a
 * client its write woke, a read of another client); replies that show no data (INFO)
 * do not wait; many clients' writes are released by one fsync; a client that pipelines
 * writes without pause gets replies as fsyncs complete. Under everysec replies never
 * wait, and an fsync still running two seconds later counts in aof_delayed_fsync.
 * Completions are held with the test hook DEBUG AOF-FSYNC-HOLD.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { startBroker, type InProcessBroker } from '../harness/servers.js';
import { infoField, sleep, tempDir, untilTaken, watch } from './proc.js';

describe('group commit', () => {
  let server: InProcessBroker | null = null;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
    server = null;
  });

  async function connect(): Promise<RawClient> {
    const c = await RawClient.connect(server!.port);
    clients.push(c);
    return c;
  }

  it('appendfsync always: replies to writes wait for their fsync, one fsync releases them all', async () => {
    server = await startBroker(['--dir', tempDir('group-commit'), '--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes']);
    const admin = await connect();
    const reader = await connect();
    const blocked = await connect();
    const monitor = await connect();
    const writers = await Promise.all(Array.from({ length: 20 }, () => connect()));
    await reader.call('SET', 'unrelated', 'x');
    expect((await monitor.call('MONITOR')).raw.toString()).toBe('+OK\r\n');
    blocked.write('*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$6\r\nstream\r\n$1\r\n$\r\n');
    expect((await monitor.read()).raw.toString()).toMatch(/"XREAD" "BLOCK"/);
    expect((await admin.call('DEBUG', 'AOF-FSYNC-HOLD', '1')).raw.toString()).toBe('+OK\r\n');
    const replies = writers.map((c, i) => {
      c.write(`*3\r\n$3\r\nSET\r\n$2\r\nk${i % 10}\r\n$1\r\n${i % 10}\r\n*2\r\n$3\r\nGET\r\n$9\r\nunrelated\r\n`);
      return c.readMany(2);
    });
    const woke = admin.call('XADD', 'stream', '1-1', 'f', 'v');
    const arrived: boolean[] = [];
    replies.forEach((p, i) => void p.then(() => (arrived[i] = true)));
    const blockedReply = blocked.read(20_000);
    let blockedArrived = false;
    void blockedReply.then(() => (blockedArrived = true));
    // Replies that show no data go out: the broker can be looked at while the disk hangs.
    const release = await connect();
    // Once every write ran (and the XREAD they woke), a reply not held would be here.
    await untilTaken(release, { set: 21, get: 20, xadd: 1, xread: 1 });
    // Nobody who wrote (or was woken by a write) has a reply, nor a reader: the data it
    // reads may be what the pending fsync covers, as in redis-server.
    expect(arrived.filter(Boolean)).toEqual([]);
    expect(blockedArrived).toBe(false);
    const read = reader.call('GET', 'unrelated');
    const readWatch = watch(read);
    const monitored = monitor.read(20_000);
    const monitoredWatch = watch(monitored);
    await untilTaken(release, { get: 21 });
    const info = (await release.call('INFO', 'persistence')).value as string;
    expect(infoField(info, 'aof_pending_bio_fsync')).toBe('1');
    expect(readWatch.arrived).toBe(false);
    expect(monitoredWatch.arrived).toBe(false);
    expect((await release.call('DEBUG', 'AOF-FSYNC-HOLD', '0')).raw.toString()).toBe('+OK\r\n');
    for (const r of await Promise.all(replies)) expect(r.map((x) => x.raw.toString())).toEqual(['+OK\r\n', '$1\r\nx\r\n']);
    expect((await woke).value).toBe('1-1');
    expect(((await blockedReply).value as unknown[])[0]).toEqual(['stream', [['1-1', ['f', 'v']]]]);
    expect((await read).value).toBe('x');
    // MONITOR shows the writes too: its lines came after the same fsync.
    expect((await monitored).raw.toString()).toMatch(/"SET" "k\d"/);
  });

  it('appendfsync always: a client that pipelines writes without pause gets its replies fsync by fsync', async () => {
    server = await startBroker(['--dir', tempDir('pipelined'), '--appendonly', 'yes', '--appendfsync', 'always']);
    const c = await connect();
    const batch = Buffer.from('*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$1\r\nx\r\n'.repeat(100));
    const first = c.read(60_000);
    const firstWatch = watch(first);
    // Keeps writing until a reply comes back (a broker that held every reply until the
    // input paused would let this run to the limit).
    let sent = 0;
    while (!firstWatch.arrived && sent < 2_000_000) {
      await c.send(batch);
      sent += 100;
    }
    expect(firstWatch.arrived).toBe(true);
    expect((await first).value).toBe(1);
    expect(sent).toBeLessThan(2_000_000);
  });

  it('appendfsync everysec: replies do not wait; an fsync running for 2 s counts a delayed fsync', async () => {
    server = await startBroker(['--dir', tempDir('everysec'), '--appendonly', 'yes', '--appendfsync', 'everysec', '--enable-debug-command', 'yes']);
    const c = await connect();
    await c.call('DEBUG', 'AOF-FSYNC-HOLD', '1');
    await c.call('SET', 'a', '1');
    // The once-a-second fsync starts and stays pending; writes go on meanwhile.
    let info = '';
    for (let i = 0; i < 50; i++) {
      expect((await c.call('INCR', 'n')).raw[0]).toBe(0x3a);
      await sleep(100);
      info = (await c.call('INFO', 'persistence')).value as string;
      if (infoField(info, 'aof_delayed_fsync') !== '0') break;
    }
    expect(Number(infoField(info, 'aof_delayed_fsync'))).toBeGreaterThanOrEqual(1);
    expect(infoField(info, 'aof_pending_bio_fsync')).toBe('1');
    await c.call('DEBUG', 'AOF-FSYNC-HOLD', '0');
  });
});
