#!/usr/bin/env node
/**
 * Scrape cost: the time to render /metrics and the memory allocated per scrape, for
 * 10,000 streams with 3 consumer groups each (2 consumers each, 10 entries per
 * stream, some pending), with every key kept (`metrics-max-keys` above the count) and
 * with the key limit at its default (1000). In-process, through `Metrics.render`
 * (what GET /metrics runs), median of the rounds.
 *
 *   npm run build && node --expose-gc --max-semi-space-size=1024 dist/test/bench/metrics-scrape.js [streams] [rounds]
 *
 * A semi-space that large keeps young-generation GCs out of a scrape, so the growth of
 * the heap across one is what it allocated.
 */
import { startBroker } from '../harness/servers.js';
import { RawClient, encodeCommand } from '../harness/raw.js';
import { Metrics } from '../../broker/http/registry.js';

const STREAMS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const gc = (globalThis as { gc?: () => void }).gc;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function populate(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  const commands: Buffer[] = [];
  for (let s = 0; s < STREAMS; s++) {
    const key = `stream:${s}`;
    for (let e = 0; e < 10; e++) commands.push(encodeCommand(['XADD', key, '*', 'n', String(e)]));
    for (let g = 0; g < 3; g++) {
      commands.push(encodeCommand(['XGROUP', 'CREATE', key, `group-${g}`, '0']));
      for (const consumer of ['a', 'b']) {
        commands.push(encodeCommand(['XREADGROUP', 'GROUP', `group-${g}`, consumer, 'COUNT', '2', 'STREAMS', key, '>']));
      }
    }
  }
  for (let i = 0; i < commands.length; i += 10_000) {
    const batch = commands.slice(i, i + 10_000);
    await c.send(Buffer.concat(batch));
    await c.readMany(batch.length);
  }
  c.close();
}

async function measure(metrics: Metrics): Promise<{ ms: number; allocated: number; bytes: number }> {
  const times: number[] = [];
  const allocations: number[] = [];
  let bytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const body = await metrics.render('prometheus');
    times.push(performance.now() - start);
    allocations.push(process.memoryUsage().heapUsed - heapBefore);
    bytes = Buffer.byteLength(body);
  }
  return { ms: median(times), allocated: median(allocations), bytes };
}

async function main(): Promise<void> {
  const server = await startBroker(['--metrics-max-keys', String(STREAMS * 2)]);
  await populate(server.port);
  const metrics = new Metrics(server.broker);
  const all = await measure(metrics);
  server.broker.config.set('metrics-max-keys', '1000');
  const limited = await measure(metrics);
  await server.stop();
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  console.log(`${STREAMS} streams x 3 groups x 2 consumers, median of ${ROUNDS} scrapes${gc === undefined ? ' (no --expose-gc: allocation figures unreliable)' : ''}`);
  console.log(`every key:          ${all.ms.toFixed(1)} ms, ${mb(all.allocated)} MB allocated, ${mb(all.bytes)} MB of text`);
  console.log(`metrics-max-keys 1000: ${limited.ms.toFixed(1)} ms, ${mb(limited.allocated)} MB allocated, ${mb(limited.bytes)} MB of text`);
}

void main();
