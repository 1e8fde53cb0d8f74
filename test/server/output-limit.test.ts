/**
 * client-output-buffer-limit: a subscriber that stops reading is disconnected (hard
 * limit at once, soft limit once exceeded long enough) while the others keep getting
 * every message, and the broker's memory stays bounded while a publisher floods it.
 * The normal class's limit disconnects a client whose reply is too big, as redis-server.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplyFramer } from '../../protocol/decoder.js';
import { connectedSocket, encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { until } from '../harness/wait.js';

const servers: RunningServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A subscriber that reads and checks every message or pmessage: payloads must arrive as `0, 1, 2...`. */
class CountingSubscriber {
  received = 0;
  /** Messages that did not carry the next sequence number (lost, repeated or reordered). */
  outOfOrder = 0;
  closed = false;
  private readonly framer = new ReplyFramer();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const { value } of this.framer.push(chunk)) {
        const frame = value as string[];
        if (frame[0] !== 'message' && frame[0] !== 'pmessage') continue;
        const payload = frame[frame.length - 1];
        const seq = Number(payload.slice(0, payload.indexOf(':')));
        if (seq !== this.received) this.outOfOrder++;
        this.received++;
      }
    });
    socket.on('close', () => (this.closed = true));
  }

  /** Subscribes to `channel`, or to a pattern with `PSUBSCRIBE`. */
  static async subscribe(port: number, channel: string, how = 'SUBSCRIBE'): Promise<CountingSubscriber> {
    const socket = await connect(port);
    const sub = new CountingSubscriber(socket);
    await command(socket, [how, channel]);
    return sub;
  }
}

async function connect(port: number): Promise<net.Socket> {
  const socket = await connectedSocket(port);
  sockets.push(socket);
  socket.on('error', () => undefined);
  return socket;
}

/** Sends a command and waits for the bytes of its (first) reply, without consuming later input. */
async function command(socket: net.Socket, argv: string[]): Promise<void> {
  const confirmed = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(encodeCommand(argv));
  await confirmed;
}

/** A subscriber that reads its confirmations, then nothing: its socket is paused for good. */
async function stalledSubscriber(port: number, channel: string, pattern?: string): Promise<net.Socket> {
  const socket = await connect(port);
  await command(socket, ['SUBSCRIBE', channel]);
  if (pattern !== undefined) await command(socket, ['PSUBSCRIBE', pattern]);
  socket.pause();
  return socket;
}

async function infoField(c: RawClient, section: string, name: string): Promise<number> {
  const text = String((await c.call('INFO', section)).value);
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} in INFO ${section}`);
  return Number(m[1]);
}

/**
 * Publishes `batches` batches of `perBatch` pipelined messages of `size` bytes, each
 * payload starting with its sequence number; after each batch waits until every
 * reader has it all (so only a stalled subscriber falls behind), then calls
 * `afterBatch`, which may end the flood early by returning true. Returns the
 * receivers count of each PUBLISH.
 */
async function flood(
  publisher: RawClient,
  channel: string,
  readers: CountingSubscriber[],
  opts: { batches: number; perBatch: number; size: number; afterBatch?: (batch: number, receivers: number[]) => Promise<boolean | void> },
): Promise<number[]> {
  const filler = 'x'.repeat(opts.size);
  const receivers: number[] = [];
  let seq = 0;
  for (let b = 0; b < opts.batches; b++) {
    const parts: Buffer[] = [];
    for (let i = 0; i < opts.perBatch; i++) {
      const prefix = `${seq++}:`;
      parts.push(encodeCommand(['PUBLISH', channel, prefix + filler.slice(prefix.length)]));
    }
    publisher.write(Buffer.concat(parts));
    for (let i = 0; i < opts.perBatch; i++) receivers.push(Number((await publisher.read()).value));
    await until(`readers got message ${seq - 1}`, () => readers.every((r) => r.received === seq), 30_000, 10);
    if ((await opts.afterBatch?.(b, receivers)) === true) break;
  }
  return receivers;
}

describe('client-output-buffer-limit for pub/sub clients', () => {
  it('disconnects a subscriber that stops reading at the hard limit; memory stays bounded; others get every message', async () => {
    const server = await spawnBroker();
    servers.push(server);
    let log = '';
    server.child.stdout!.on('data', (d) => (log += d));
    const admin = await RawClient.connect(server.port);
    expect((await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 8mb 0 0')).value).toEqual({ simple: 'OK' });
    // Subscribed first (to the channel and a pattern): it is dropped in the middle of a delivery loop.
    const stalled = await stalledSubscriber(server.port, 'flood', 'flo*');
    const readers = [await CountingSubscriber.subscribe(server.port, 'flood'), await CountingSubscriber.subscribe(server.port, 'f*', 'PSUBSCRIBE')];
    const publisher = await RawClient.connect(server.port);
    const before = await infoField(admin, 'memory', 'used_memory');
    let peak = before;
    // 256 MB for the stalled subscriber alone: far beyond the bound asserted below.
    const batches = 256;
    const receivers = await flood(publisher, 'flood', readers, {
      batches,
      perBatch: 16,
      size: 64 * 1024,
      afterBatch: async (b) => {
        if (b % 8 === 0) peak = Math.max(peak, await infoField(admin, 'memory', 'used_memory'));
      },
    });
    // A generous bound: the flood was 256 MB, the limit 8 MB.
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
    // Everyone got the first message (the stalled one twice); the stalled one was dropped along the way.
    expect(receivers[0]).toBe(4);
    expect(receivers.at(-1)).toBe(2);
    expect(receivers.every((n, i) => i === 0 || n <= receivers[i - 1])).toBe(true);
    for (const r of readers) {
      expect(r.received).toBe(batches * 16);
      expect(r.outOfOrder).toBe(0);
    }
    expect((await admin.call('PUBSUB', 'NUMSUB', 'flood')).value).toEqual(['flood', 1]);
    expect((await admin.call('PUBSUB', 'NUMPAT')).value).toBe(1);
    expect(log).toMatch(/Client id=\d+ addr=\S+ .*flags=P db=0 sub=1 psub=1 ssub=0 .* scheduled to be closed ASAP for overcoming of output buffer limits\./);
    expect(log).toContain('"level":"warning"');
    // Once it reads again it finds the connection closed.
    stalled.resume();
    await until('the stalled subscriber sees the close', () => stalled.destroyed || stalled.readableEnded, 30_000, 10);
    admin.close();
    publisher.close();
  });

  it('disconnects a subscriber over the soft limit for longer than its seconds', async () => {
    const server = await startBroker();
    servers.push(server);
    const admin = await RawClient.connect(server.port);
    await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 256kb 1');
    const reader = await CountingSubscriber.subscribe(server.port, 'soft');
    await stalledSubscriber(server.port, 'soft');
    const publisher = await RawClient.connect(server.port);
    // Publish slowly until the stalled subscriber is gone (no deadline asserted: only that it happens).
    const receivers = await flood(publisher, 'soft', [reader], {
      batches: Infinity,
      perBatch: 4,
      size: 16 * 1024,
      afterBatch: async (_, r) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return r.at(-1) === 1;
      },
    });
    expect(receivers[0]).toBe(2);
    expect((await admin.call('PUBSUB', 'NUMSUB', 'soft')).value).toEqual(['soft', 1]);
    expect(reader.outOfOrder).toBe(0);
    admin.close();
    publisher.close();
  });

  it('applies CONFIG SET to connected subscribers at once', async () => {
    const server = await startBroker();
    servers.push(server);
    const admin = await RawClient.connect(server.port);
    await stalledSubscriber(server.port, 'later');
    const publisher = await RawClient.connect(server.port);
    // Default limits (32mb hard, 8mb for 60 s): 16 MB of unread output is fine for now.
    await flood(publisher, 'later', [], { batches: 16, perBatch: 16, size: 64 * 1024 });
    expect((await admin.call('PUBSUB', 'NUMSUB', 'later')).value).toEqual(['later', 1]);
    await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0');
    // Still counted as a receiver of the message that put it over, as redis-server does.
    expect((await publisher.call('PUBLISH', 'later', 'one more')).value).toBe(1);
    expect((await admin.call('PUBSUB', 'NUMSUB', 'later')).value).toEqual(['later', 0]);
    admin.close();
    publisher.close();
  });
});

describe.skipIf(!hasRedisServer())('client-output-buffer-limit for normal clients, vs redis-server', () => {
  it('closes a client whose reply exceeds the normal hard limit, without any of it', async () => {
    for (const server of [await startBroker(), await startRedis()]) {
      servers.push(server);
      const admin = await RawClient.connect(server.port);
      await admin.call('SET', 'big', 'v'.repeat(2 * 1024 * 1024));
      expect((await admin.call('GET', 'big')).raw.length).toBeGreaterThan(2 * 1024 * 1024); // no limit by default
      await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0');
      const victim = await RawClient.connect(server.port);
      await expect(victim.call('GET', 'big')).rejects.toThrow('connection closed');
      expect((await admin.call('STRLEN', 'big')).value).toBe(2 * 1024 * 1024);
      admin.close();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
