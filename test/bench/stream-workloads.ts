/**
 * Stream workloads for the benchmark (run.ts): XADD with and without `MAXLEN ~`,
 * XRANGE of 100 entries (redis-benchmark), and an end-to-end consumer group
 * pipeline measured in messages per second.
 *
 * The pipeline: PRODUCERS connections XADD messages (a window of PRODUCER_WINDOW
 * in flight each) while a group of CONSUMERS connections, started at the same
 * moment, each loop on `XREADGROUP GROUP g c<i> COUNT 100 BLOCK 1000 STREAMS key >`
 * and acknowledge what they got with one XACK sent together with their next read,
 * as a worker does. The figure is messages acknowledged per second, from the start
 * until the last acknowledgement; the latency is each message's age (now minus the
 * millisecond part of its ID) when its consumer received it, median. The run checks
 * that every message was delivered once and that nothing is left pending.
 */
import { encodeCommand, RawClient } from '../harness/raw.js';
import type { Decoded } from '../../protocol/decoder.js';

/** run.ts's Measurement and Workload, structurally. */
export interface BenchMeasurement {
  test: string;
  rps: number;
  p50ms: number;
}

export interface BenchWorkload {
  name: string;
  pipeline: number;
  run(port: number, scale: number): Promise<BenchMeasurement[]>;
}

type RedisBenchmark = (name: string, spec: string[], pipeline: number, requests: number) => BenchWorkload;

const PRODUCERS = 4;
/** XADDs in flight per producer, topped up half a window at a time (one write each). */
const PRODUCER_WINDOW = 32;
const CONSUMERS = 4;
const READ_COUNT = 100;

/**
 * The stream workloads; `redisBenchmark` and `requests` (per pipeline depth) are
 * run.ts's, so they count like every other redis-benchmark workload.
 */
export function streamWorkloads(redisBenchmark: RedisBenchmark, requests: { 1: number; 16: number }): BenchWorkload[] {
  // Half the requests (about 2 s a run), as LRANGE_100. At a tenth (0.4 s) a major
  // collection of what the workloads before it left (76-140 ms with a heap of 60-85 MB
  // after the large ones) could fall in a run and take a fifth to a third of its rate: in
  // the full sequence the row once read 0.53 of redis-server, 0.93-1.00 in partial runs.
  // Rerun in that order, the row decoded no node and the idle encoder had nothing left;
  // its slow round was the one a major collection fell in (43 against 33-36 us a request).
  const xrange = redisBenchmark('xrange_100', ['XRANGE', 'bench:xrange', '-', '+', 'COUNT', '100'], 1, requests[1] / 2);
  return [
    ...([1, 16] as const).flatMap((pipeline) => [
      redisBenchmark('xadd', ['XADD', 'bench:xadd', '*', 'field', 'value'], pipeline, requests[pipeline]),
      redisBenchmark('xadd_maxlen', ['XADD', 'bench:xadd:capped', 'MAXLEN', '~', '10000', '*', 'field', 'value'], pipeline, requests[pipeline]),
    ]),
    { ...xrange, run: async (port, scale) => (await fillStream(port, 'bench:xrange', 1000), xrange.run(port, scale)) },
    {
      name: 'xgroup_pipeline',
      pipeline: 1,
      run: async (port, scale) => [await groupPipeline(port, Math.max(10_000, Math.round(400_000 * scale)))],
    },
  ];
}

/** Makes `key` a stream of exactly `entries` small entries. */
async function fillStream(port: number, key: string, entries: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    await client.call('DEL', key);
    const add = encodeCommand(['XADD', key, '*', 'field', 'value']);
    client.write(Buffer.concat(Array.from({ length: entries }, () => add)));
    for (let i = 0; i < entries; i++) await client.read();
  } finally {
    client.close();
  }
}

/** The IDs in an XREADGROUP reply (RESP2: [[key, [[id, fields], ...]]]), or [] for a timeout. */
function deliveredIds(reply: Decoded): string[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new Error(`unexpected XREADGROUP reply ${JSON.stringify(reply)}`);
  const entries = (reply[0] as Decoded[])[1] as Decoded[][];
  return entries.map((e) => e[0] as string);
}

/** Milliseconds since the message was added, from its ID (`<ms>-<seq>`). */
function age(id: string, now: number): number {
  return now - Number(id.slice(0, id.indexOf('-')));
}

async function groupPipeline(port: number, messages: number): Promise<BenchMeasurement> {
  const key = 'bench:pipeline';
  const admin = await RawClient.connect(port);
  await admin.call('DEL', key);
  await admin.call('XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM');
  const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => RawClient.connect(port)));
  const consumers = await Promise.all(Array.from({ length: CONSUMERS }, () => RawClient.connect(port)));
  const ages: number[] = [];
  const seen = new Set<string>();
  let acked = 0;
  let finished = 0;

  const produce = async (client: RawClient, count: number): Promise<void> => {
    const add = encodeCommand(['XADD', key, '*', 'field', 'value']);
    let sent = 0;
    let received = 0;
    while (received < count) {
      const room = PRODUCER_WINDOW - (sent - received);
      const batch = room >= PRODUCER_WINDOW / 2 ? Math.min(room, count - sent) : 0;
      if (batch > 0) {
        client.write(batch === 1 ? add : Buffer.concat(Array.from({ length: batch }, () => add)));
        sent += batch;
      }
      const reply = await client.read(60_000);
      if (reply.raw[0] === 45) throw new Error(`XADD failed: ${reply.raw.toString()}`);
      received++;
    }
  };

  const consume = async (client: RawClient, name: string): Promise<void> => {
    const read = encodeCommand(['XREADGROUP', 'GROUP', 'g', name, 'COUNT', String(READ_COUNT), 'BLOCK', '1000', 'STREAMS', key, '>']);
    client.write(read);
    while (acked < messages) {
      const ids = deliveredIds((await client.read(60_000)).value);
      if (ids.length === 0) {
        client.write(read);
        continue;
      }
      const now = Date.now();
      for (const id of ids) {
        if (seen.has(id)) throw new Error(`message ${id} delivered twice`);
        seen.add(id);
        ages.push(age(id, now));
      }
      // Acknowledge and ask for more in one write, as a worker loop does.
      client.write(Buffer.concat([encodeCommand(['XACK', key, 'g', ...ids]), read]));
      const ack = (await client.read(60_000)).value;
      if (ack !== ids.length) throw new Error(`XACK acknowledged ${String(ack)} of ${ids.length}`);
      acked += ids.length;
      if (acked >= messages && finished === 0) finished = performance.now();
    }
  };

  const start = performance.now();
  try {
    const perProducer = Math.ceil(messages / PRODUCERS);
    await Promise.all([
      ...producers.map((p, i) => produce(p, Math.min(perProducer, messages - i * perProducer))),
      ...consumers.map((c, i) => consume(c, `c${i}`)),
    ]);
    const pending = (await admin.call('XPENDING', key, 'g')).value as Decoded[];
    const length = (await admin.call('XLEN', key)).value;
    if (pending[0] !== 0 || length !== messages || seen.size !== messages) {
      throw new Error(`pipeline ended with ${String(pending[0])} pending, ${String(length)} in the stream, ${seen.size} delivered of ${messages}`);
    }
  } finally {
    for (const c of [...producers, ...consumers]) c.close();
  }
  // Once the consumers are gone: deleting the stream would fail their blocked reads.
  await new Promise((r) => setTimeout(r, 50));
  await admin.call('DEL', key);
  admin.close();
  ages.sort((a, b) => a - b);
  return {
    test: `XADD -> XREADGROUP COUNT ${READ_COUNT} + XACK, ${PRODUCERS} producers, ${CONSUMERS} consumers (msgs)`,
    rps: (messages / (finished - start)) * 1000,
    p50ms: ages[Math.floor(ages.length / 2)],
  };
}
