/**
 * BullMQ, unchanged, against the broker and redis-server: its own Queue and Worker
 * run their Lua scripts (EVALSHA of scripts of several hundred lines, cmsgpack,
 * cjson, streams for events) over a real socket. Jobs are added and processed, a
 * delayed job waits then runs, a job retried after failures completes, a job that
 * keeps failing ends failed, and the counts agree.
 */
import { describe, expect, it } from 'vitest';
import { Queue, Worker, QueueEvents, type Job } from 'bullmq';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

/** Resolves once `count` jobs reached `event` on the worker (or rejects after `ms`). */
function waitFor(worker: Worker, event: 'completed' | 'failed', count: number, ms = 20_000): Promise<Job[]> {
  return new Promise((resolve, reject) => {
    const seen: Job[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} jobs ${event}`)), ms);
    worker.on(event, (job: Job | undefined) => {
      if (job === undefined) return;
      seen.push(job);
      if (seen.length === count) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

describe.each(TARGETS)('BullMQ against $name', ({ start }) => {
  const server = suiteServer(() => start());

  const connection = (): { host: string; port: number; maxRetriesPerRequest: null } => ({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null });

  it('adds jobs, a worker processes them, and the counts agree', async () => {
    const queue = new Queue('plain', { connection: connection() });
    const worker = new Worker('plain', async (job: Job) => ({ doubled: (job.data as { n: number }).n * 2 }), { connection: connection(), concurrency: 3 });
    try {
      const done = waitFor(worker, 'completed', 10);
      const added = await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'double', data: { n: i } })));
      expect(added).toHaveLength(10);
      const completed = await done;
      const results = completed.map((j) => (j.returnvalue as { doubled: number }).doubled).sort((a, b) => a - b);
      expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
      const counts = await queue.getJobCounts('completed', 'waiting', 'active', 'failed', 'delayed');
      expect(counts).toEqual({ completed: 10, waiting: 0, active: 0, failed: 0, delayed: 0 });
      const job = await queue.getJob(added[3].id!);
      expect(job?.returnvalue).toEqual({ doubled: 6 });
      expect(await job?.getState()).toBe('completed');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('a delayed job waits in the delayed set, then runs', async () => {
    const queue = new Queue('later', { connection: connection() });
    const events = new QueueEvents('later', { connection: connection() });
    await events.waitUntilReady();
    const worker = new Worker('later', async (job: Job) => `ran ${job.name}`, { connection: connection() });
    try {
      const done = waitFor(worker, 'completed', 1);
      const job = await queue.add('reminder', { to: 'x' }, { delay: 400 });
      expect(await job.getState()).toBe('delayed');
      expect(await queue.getDelayedCount()).toBe(1);
      const [completed] = await done;
      expect(completed.id).toBe(job.id);
      expect(completed.returnvalue).toBe('ran reminder');
      expect(await queue.getDelayedCount()).toBe(0);
      expect(await queue.getCompletedCount()).toBe(1);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('retries a failing job until it succeeds, and fails one that never does', async () => {
    const queue = new Queue('flaky', { connection: connection() });
    const tries = new Map<string, number>();
    const worker = new Worker(
      'flaky',
      async (job: Job) => {
        const n = (tries.get(job.id!) ?? 0) + 1;
        tries.set(job.id!, n);
        if (job.name === 'hopeless' || n < 3) throw new Error(`attempt ${n} failed`);
        return n;
      },
      { connection: connection() },
    );
    try {
      const completed = waitFor(worker, 'completed', 1);
      const failures: string[] = [];
      const finallyFailed = new Promise<Job>((resolve) => {
        worker.on('failed', (job) => {
          if (job === undefined) return;
          failures.push(`${job.name}:${job.attemptsMade}`);
          if (job.name === 'hopeless' && job.attemptsMade === 2) resolve(job);
        });
      });
      await queue.add('eventually', {}, { attempts: 3 });
      await queue.add('hopeless', {}, { attempts: 2 });
      const [ok] = await completed;
      expect(ok.returnvalue).toBe(3);
      expect(ok.attemptsMade).toBe(3);
      const failed = await finallyFailed;
      expect(failed.failedReason).toBe('attempt 2 failed');
      expect(await failed.getState()).toBe('failed');
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed')).toEqual({ completed: 1, failed: 1, waiting: 0, delayed: 0 });
      expect(failures).toContain('eventually:2');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
