/**
 * Large replies for the benchmark (run.ts): GET of a 1 MB and of a 100 MB value, and
 * XRANGE of a whole 1,000,000-entry stream, run with redis-benchmark like the other
 * rows (requests per second). Few clients for the largest ones: 50 clients each
 * waiting for 100 MB would measure the machine's memory, not the servers.
 */
import { encodeCommand, RawClient } from '../harness/raw.js';
import type { BenchWorkload } from './stream-workloads.js';

type RedisBenchmark = (name: string, spec: string[], pipeline: number, requests: number, clients?: number) => BenchWorkload;

const HUGE_STREAM_ENTRIES = 1_000_000;

export function largeWorkloads(redisBenchmark: RedisBenchmark): BenchWorkload[] {
  const get1mb = redisBenchmark('get_1mb', ['GET', 'bench:1mb'], 1, 5_000);
  const get100mb = redisBenchmark('get_100mb', ['GET', 'bench:100mb'], 1, 40, 2);
  const xrangeHuge = redisBenchmark('xrange_huge', ['XRANGE', 'bench:huge', '-', '+'], 1, 20, 4);
  return [
    { ...get1mb, run: async (port, scale) => (await setValue(port, 'bench:1mb', 1 << 20), get1mb.run(port, scale)) },
    { ...get100mb, run: async (port, scale) => (await setValue(port, 'bench:100mb', 100 << 20), get100mb.run(port, scale)) },
    { ...xrangeHuge, run: async (port, scale) => (await fillHugeStream(port, 'bench:huge'), xrangeHuge.run(port, scale)) },
  ];
}

async function setValue(port: number, key: string, size: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    await client.call('SET', key, Buffer.alloc(size, 'x'));
  } finally {
    client.close();
  }
}

/** Makes `key` a stream of HUGE_STREAM_ENTRIES small entries, unless it already is one. */
async function fillHugeStream(port: number, key: string): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    if ((await client.call('XLEN', key)).value === HUGE_STREAM_ENTRIES) return;
    await client.call('DEL', key);
    const batch = 10_000;
    const add = encodeCommand(['XADD', key, '*', 'field', 'value']);
    const write = Buffer.concat(Array.from({ length: batch }, () => add));
    for (let sent = 0; sent < HUGE_STREAM_ENTRIES; sent += batch) {
      client.write(write);
      for (let i = 0; i < batch; i++) await client.read();
    }
  } finally {
    client.close();
  }
}
