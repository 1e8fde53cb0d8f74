/**
 * The reliable-queue pattern with a real client (ioredis), on our broker and on
 * redis-server: producers LPUSH jobs; 8 workers BLMOVE each job from the queue into
 * their own processing list, work on it, and LREM it from there to acknowledge. One
 * worker dies holding a job (its connection is destroyed before it acknowledges); a
 * reaper moves what its processing list holds back to the queue. Another dies while
 * blocked on the empty queue, before any job exists: it must not swallow one. In the
 * end every job was acknowledged exactly once, and every list is empty.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

const JOBS = 1500;
const PRODUCERS = 3;
const WORKERS = 8;
/** Dies right after taking its 5th job, before acknowledging it. */
const DIES_MID_JOB = 3;
/** Dies while blocked on the empty queue, before producers start. */
const DIES_BLOCKED = 7;

const QUEUE = 'rq:jobs';
const processing = (w: number): string => `rq:processing:${w}`;

async function blockedClients(admin: Redis): Promise<number> {
  const info = await admin.info('clients');
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 5));
}

describe.each(TARGETS)('reliable queue with ioredis against $name', ({ start }) => {
  const server = suiteServer(() => start());
  const connections: Redis[] = [];
  const connect = async (): Promise<Redis> => {
    const r = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    r.on('error', () => undefined);
    await r.connect();
    connections.push(r);
    return r;
  };
  afterAll(() => {
    for (const r of connections) r.disconnect();
  });

  it('processes every job exactly once, recovering the job of a worker that died', async () => {
    const admin = await connect();
    await admin.flushall();
    const acked = new Map<string, number>();
    const ackedBy = new Map<string, number>();
    let heldByDead: string | null = null;
    let done = false;
    let reap: () => void = () => undefined;
    const deadWorker = new Promise<void>((resolve) => (reap = resolve));

    const worker = async (w: number, conn: Redis): Promise<void> => {
      let taken = 0;
      while (!done) {
        let job: string | null;
        try {
          job = await conn.blmove(QUEUE, processing(w), 'RIGHT', 'LEFT', 0);
        } catch {
          return; // connection closed: killed, or the test is over
        }
        if (job === null) continue;
        taken++;
        if (w === DIES_MID_JOB && taken === 5) {
          heldByDead = job;
          conn.disconnect();
          reap();
          return;
        }
        // "Work": yield so that workers interleave.
        await new Promise((r) => setImmediate(r));
        expect(await conn.lrem(processing(w), 1, job)).toBe(1);
        acked.set(job, (acked.get(job) ?? 0) + 1);
        ackedBy.set(job, w);
        if (acked.size === JOBS) done = true;
      }
    };

    const workerConns: Redis[] = [];
    for (let w = 0; w < WORKERS; w++) workerConns.push(await connect());
    const running = workerConns.map((conn, w) => worker(w, conn));
    await until(async () => (await blockedClients(admin)) === WORKERS);
    // This one dies blocked: the server must forget its wait, not hand it a job.
    workerConns[DIES_BLOCKED].disconnect();
    await until(async () => (await blockedClients(admin)) === WORKERS - 1);

    const reaper = (async () => {
      await deadWorker;
      const conn = await connect();
      let moved = 0;
      while ((await conn.lmove(processing(DIES_MID_JOB), QUEUE, 'RIGHT', 'RIGHT')) !== null) moved++;
      return moved;
    })();

    const producer = async (p: number): Promise<void> => {
      const conn = await connect();
      const mine = Array.from({ length: JOBS / PRODUCERS }, (_, i) => `job:${p}:${i}`);
      for (let i = 0; i < mine.length; ) {
        const batch = mine.slice(i, i + 1 + ((i * 7 + p) % 10));
        await conn.lpush(QUEUE, ...batch);
        i += batch.length;
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
    expect(await reaper).toBe(1);
    await until(async () => acked.size === JOBS);
    done = true;
    for (const conn of workerConns) conn.disconnect();
    await Promise.all(running);

    expect(heldByDead).not.toBeNull();
    expect([...acked.values()].every((n) => n === 1)).toBe(true);
    expect(acked.size).toBe(JOBS);
    for (let p = 0; p < PRODUCERS; p++) for (let i = 0; i < JOBS / PRODUCERS; i++) expect(acked.has(`job:${p}:${i}`)).toBe(true);
    expect(ackedBy.get(heldByDead!)).not.toBe(DIES_MID_JOB);
    expect([...ackedBy.values()].includes(DIES_BLOCKED)).toBe(false);
    expect(await admin.exists(QUEUE, ...Array.from({ length: WORKERS }, (_, w) => processing(w)))).toBe(0);
  });
});
