/**
 * Worker scenarios with real clients, ioredis and node-redis, unchanged: a producer
 * adds messages while a consumer group of 4 workers processes them with
 * XREADGROUP COUNT 100 BLOCK and XACK. One worker is killed mid-batch (it has read
 * a batch and dies before acknowledging it); its pending messages are then
 * recovered with XAUTOCLAIM by a survivor. Every message must be acknowledged
 * exactly once and XPENDING must end empty. With NOACK the group keeps no pending
 * entries: every message is delivered exactly once (the killed worker's batch
 * included, and lost with it), and there is nothing to recover.
 *
 * 100,000 messages against the broker; fewer against redis-server, which is there
 * to check the scenario itself.
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

const KEY = 'jobs';
const GROUP = 'workers';
const WORKERS = 4;
const BATCH = 100;
const ADD_BATCH = 1000;
/** The worker that dies, and after how many batches. */
const VICTIM = 0;
const VICTIM_BATCHES = 3;

/** What a scenario needs from a client library. */
interface WorkerClient {
  /** XADD KEY * n <i> for i in [from, from + count), pipelined. */
  add(from: number, count: number): Promise<void>;
  /** XREADGROUP GROUP GROUP name COUNT BATCH BLOCK ms [NOACK] STREAMS KEY >: the IDs read. */
  read(name: string, blockMs: number, noack: boolean): Promise<string[]>;
  ack(ids: string[]): Promise<number>;
  /** XAUTOCLAIM KEY GROUP name 0 start COUNT BATCH: next cursor, claimed IDs, deleted IDs. */
  autoclaim(name: string, start: string): Promise<[string, string[], string[]]>;
  /** XPENDING KEY GROUP: the count and each consumer's count. */
  pending(): Promise<{ count: number; consumers: Record<string, number> }>;
  command(argv: string[]): Promise<unknown>;
  /** Drops the connection at once, as a crashed process does. */
  kill(): void;
  close(): Promise<void>;
}

async function ioredisClient(port: number): Promise<WorkerClient> {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  type Entries = [string, string[]][];
  return {
    async add(from, count) {
      const p = redis.pipeline();
      for (let i = from; i < from + count; i++) p.xadd(KEY, '*', 'n', String(i));
      for (const [err] of (await p.exec())!) if (err) throw err;
    },
    async read(name, blockMs, noack) {
      const args: (string | number)[] = ['GROUP', GROUP, name, 'COUNT', BATCH, 'BLOCK', blockMs, ...(noack ? ['NOACK'] : []), 'STREAMS', KEY, '>'];
      const xreadgroup = redis.xreadgroup.bind(redis) as unknown as (...a: (string | number)[]) => Promise<[string, Entries][] | null>;
      const reply = await xreadgroup(...args);
      return reply === null ? [] : reply[0][1].map(([id]) => id);
    },
    ack: (ids) => redis.xack(KEY, GROUP, ...ids),
    async autoclaim(name, start) {
      const [cursor, entries, deleted] = (await redis.xautoclaim(KEY, GROUP, name, 0, start, 'COUNT', BATCH)) as [string, Entries, string[]];
      return [cursor, entries.map(([id]) => id), deleted];
    },
    async pending() {
      const [count, , , owners] = (await redis.xpending(KEY, GROUP)) as [number, string, string, [string, string][] | null];
      return { count, consumers: Object.fromEntries((owners ?? []).map(([c, n]) => [c, Number(n)])) };
    },
    command: ([name, ...args]) => redis.call(name, ...args),
    kill: () => redis.disconnect(),
    close: async () => void (await redis.quit()),
  };
}

async function nodeRedisClient(port: number): Promise<WorkerClient> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  return {
    async add(from, count) {
      // node-redis pipelines the commands issued in one tick.
      await Promise.all(Array.from({ length: count }, (_, i) => client.xAdd(KEY, '*', { n: String(from + i) })));
    },
    async read(name, blockMs, noack) {
      const reply = (await client.xReadGroup(GROUP, name, { key: KEY, id: '>' }, { COUNT: BATCH, BLOCK: blockMs, NOACK: noack })) as
        | { name: string; messages: { id: string }[] }[]
        | null;
      return reply === null ? [] : reply[0].messages.map((m) => m.id);
    },
    ack: (ids) => client.xAck(KEY, GROUP, ids),
    async autoclaim(name, start) {
      const r = await client.xAutoClaim(KEY, GROUP, name, 0, start, { COUNT: BATCH });
      return [r.nextId, r.messages.map((m) => m!.id), r.deletedMessages];
    },
    async pending() {
      const r = await client.xPending(KEY, GROUP);
      return { count: r.pending, consumers: Object.fromEntries((r.consumers ?? []).map((c) => [c.name, Number(c.deliveriesCounter)])) };
    },
    command: (argv) => client.sendCommand(argv),
    kill: () => client.destroy(),
    close: async () => void client.destroy(),
  };
}

const LIBRARIES: { name: string; connect: (port: number) => Promise<WorkerClient> }[] = [
  { name: 'ioredis', connect: ioredisClient },
  { name: 'node-redis', connect: nodeRedisClient },
];

interface Outcome {
  /** Deliveries per message index, by the workers' reads and the recovery's claims. */
  deliveries: Map<string, number>;
  acked: Set<string>;
  victimPending: number;
  recovered: number;
  finalPending: number;
}

/** The whole scenario on one server with one client library. */
async function runScenario(connect: () => Promise<WorkerClient>, total: number, noack: boolean): Promise<Outcome> {
  const admin = await connect();
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => connect()));
  const deliveries = new Map<string, number>();
  const acked = new Set<string>();
  const deliver = (ids: string[]): void => {
    for (const id of ids) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
  };
  const ack = async (client: WorkerClient, ids: string[]): Promise<void> => {
    for (const id of ids) {
      if (acked.has(id)) throw new Error(`${id} acknowledged twice`);
      acked.add(id);
    }
    expect(await client.ack(ids)).toBe(ids.length);
  };
  try {
    await admin.command(['DEL', KEY]);
    await admin.command(['XGROUP', 'CREATE', KEY, GROUP, '$', 'MKSTREAM']);
    let produced = false;
    const producer = (async () => {
      for (let from = 0; from < total; from += ADD_BATCH) await admin.add(from, Math.min(ADD_BATCH, total - from));
      produced = true;
    })();
    const work = workers.map(async (worker, w) => {
      let batches = 0;
      for (;;) {
        // A read that times out once everything was added means the group has read it all.
        const done = produced;
        const ids = await worker.read(`worker-${w}`, 20, noack);
        if (ids.length === 0) {
          if (done) return;
          continue;
        }
        deliver(ids);
        if (w === VICTIM && ++batches === VICTIM_BATCHES) {
          // Killed between reading a batch and acknowledging it.
          worker.kill();
          return;
        }
        if (!noack) await ack(worker, ids);
      }
    });
    await Promise.all([producer, ...work]);

    const before = await admin.pending();
    const victimPending = before.consumers[`worker-${VICTIM}`] ?? 0;
    expect(before.count).toBe(victimPending);
    // A survivor recovers what the dead worker had not acknowledged.
    const rescuer = workers[VICTIM + 1];
    let recovered = 0;
    let cursor = '0-0';
    do {
      const [next, ids, deleted] = await rescuer.autoclaim('rescuer', cursor);
      expect(deleted).toEqual([]);
      deliver(ids);
      if (ids.length > 0) await ack(rescuer, ids);
      recovered += ids.length;
      cursor = next;
    } while (cursor !== '0-0');
    const finalPending = (await admin.pending()).count;
    return { deliveries, acked, victimPending, recovered, finalPending };
  } finally {
    await Promise.all([admin, ...workers].map((c) => c.close().catch(() => undefined)));
  }
}

describe.each(TARGETS)('stream workers against $name', ({ name, start }) => {
  const server = suiteServer(() => start());
  const total = name === 'broker' ? 100_000 : 20_000;

  describe.each(LIBRARIES)('$name', ({ connect }) => {
    it(`4 workers process ${total} messages; a killed worker's batch is recovered with XAUTOCLAIM; each acknowledged once`, async () => {
      const o = await runScenario(() => connect(server.port), total, false);
      expect(o.victimPending).toBe(BATCH);
      expect(o.recovered).toBe(BATCH);
      expect(o.acked.size).toBe(total);
      expect(o.deliveries.size).toBe(total);
      // Delivered once each, but the dead worker's batch twice (to it, then to the rescuer).
      const twice = [...o.deliveries.values()].filter((n) => n === 2).length;
      expect(twice).toBe(BATCH);
      expect([...o.deliveries.values()].every((n) => n === 1 || n === 2)).toBe(true);
      expect(o.finalPending).toBe(0);
    });

    it(`with NOACK: ${total} messages delivered exactly once, nothing pending, nothing to recover`, async () => {
      const o = await runScenario(() => connect(server.port), total, true);
      expect(o.victimPending).toBe(0);
      expect(o.recovered).toBe(0);
      expect(o.deliveries.size).toBe(total);
      expect([...o.deliveries.values()].every((n) => n === 1)).toBe(true);
      expect(o.acked.size).toBe(0);
      expect(o.finalPending).toBe(0);
    });
  });
});
