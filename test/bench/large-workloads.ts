/**
 * Large replies for the benchmark (run.ts): GET of a 1 MB and of a 100 MB value, and
 * XRANGE of a whole 1,000,000-entry stream, run with redis-benchmark like the other
 * rows (requests per second). Few clients for the largest ones: 50 clients each
 * waiting for 100 MB would measure the machine's memory, not the servers.
 *
 * And issue 11's case, `xrange_2m_20c`: 20 clients at once each read XRANGE of a whole
 * 2,000,000-entry stream (~110 MB of reply each) while one more client sends PING after
 * PING. Read with raw sockets that only look for the end of the reply: redis-benchmark's
 * parsing of 2 GB of replies is slower than either server and would measure itself.
 */
import net from 'node:net';
import { encodeCommand, RawClient } from '../harness/raw.js';
import type { BenchMeasurement, BenchWorkload } from './stream-workloads.js';

type RedisBenchmark = (name: string, spec: string[], pipeline: number, requests: number, clients?: number) => BenchWorkload;

const HUGE_STREAM_ENTRIES = 1_000_000;
const CONCURRENT_STREAM_ENTRIES = 2_000_000;
const CONCURRENT_READERS = 20;

export function largeWorkloads(redisBenchmark: RedisBenchmark): BenchWorkload[] {
  const get1mb = redisBenchmark('get_1mb', ['GET', 'bench:1mb'], 1, 5_000);
  const get100mb = redisBenchmark('get_100mb', ['GET', 'bench:100mb'], 1, 40, 2);
  const xrangeHuge = redisBenchmark('xrange_huge', ['XRANGE', 'bench:huge', '-', '+'], 1, 20, 4);
  return [
    { ...get1mb, run: async (port, scale) => (await setValue(port, 'bench:1mb', 1 << 20), get1mb.run(port, scale)) },
    { ...get100mb, run: async (port, scale) => (await setValue(port, 'bench:100mb', 100 << 20), get100mb.run(port, scale)) },
    { ...xrangeHuge, run: async (port, scale) => (await fillStream(port, 'bench:huge', HUGE_STREAM_ENTRIES), xrangeHuge.run(port, scale)) },
    { name: 'xrange_2m_20c', pipeline: 1, run: concurrentHugeRanges },
  ];
}

/**
 * CONCURRENT_READERS clients each read XRANGE of the whole stream (2,000,000 entries, a
 * tenth with --quick), at once. Rows: the entries read per second over the run and the
 * median time a reader waited for its whole reply; the PINGs per second another client got
 * answered meanwhile, one at a time, and their median wait.
 */
async function concurrentHugeRanges(port: number, scale: number): Promise<BenchMeasurement[]> {
  const key = 'bench:2m';
  const entries = Math.round(CONCURRENT_STREAM_ENTRIES * Math.min(1, scale));
  await fillStream(port, key, entries);
  const pinger = await RawClient.connect(port);
  let reading = true;
  const pingWaits: number[] = [];
  const pinging = (async () => {
    while (reading) {
      const sent = performance.now();
      // redis-server answers once it has built every reply queued before it: that can take long.
      pinger.write(encodeCommand(['PING']));
      await pinger.read(600_000);
      pingWaits.push(performance.now() - sent);
    }
  })();
  const started = performance.now();
  const readers = Array.from({ length: CONCURRENT_READERS }, () => readWholeReply(port, ['XRANGE', key, '-', '+']));
  const waits = await Promise.all(readers);
  const elapsed = performance.now() - started;
  reading = false;
  await pinging;
  pinger.close();
  return [
    // Entries read per second: a few replies a minute would print as 0 requests per second.
    { test: `XRANGE of ${entries} entries, ${CONCURRENT_READERS} clients at once (entries/s)`, rps: (entries * CONCURRENT_READERS * 1000) / elapsed, p50ms: median(waits) },
    { test: `PING meanwhile (one at a time)`, rps: (pingWaits.length * 1000) / elapsed, p50ms: median(pingWaits) },
  ];
}

/** Sends `argv` then PING on a fresh connection and resolves, with the time taken, once PING's reply ends the bytes. */
function readWholeReply(port: number, argv: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([encodeCommand(argv), encodeCommand(['PING'])])));
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 7))).slice(-7);
      if (tail !== '+PONG\r\n') return;
      socket.destroy();
      resolve(performance.now() - started);
    });
    socket.on('error', reject);
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function setValue(port: number, key: string, size: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    await client.call('SET', key, Buffer.alloc(size, 'x'));
  } finally {
    client.close();
  }
}

/** Makes `key` a stream of `entries` small entries, unless it already is one. */
async function fillStream(port: number, key: string, entries: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    if ((await client.call('XLEN', key)).value === entries) return;
    await client.call('DEL', key);
    const batch = 10_000;
    const add = encodeCommand(['XADD', key, '*', 'field', 'value']);
    const write = Buffer.concat(Array.from({ length: batch }, () => add));
    for (let sent = 0; sent < entries; sent += batch) {
      client.write(write);
      for (let i = 0; i < batch; i++) await client.read();
    }
  } finally {
    client.close();
  }
}
