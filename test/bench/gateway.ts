/**
 * Benchmark of the WebSocket gateway against a RESP worker, on the same broker in the
 * same run: how fast the gateway delivers a consumer group's entries to WebSocket
 * consumers (clients/gateway-client.ts, acking each message), beside ioredis
 * workers doing the same work (`XREADGROUP ... COUNT 100 BLOCK`, then XACK of the batch
 * sent with the next read), for 1 and 50 consumers. The target: the gateway delivers
 * at least 0.8x of the RESP workers' rate.
 *
 * Two measurements per case, each the median of ROUNDS rounds, the kind that goes
 * first alternating from round to round (the machine's load drifts):
 * - throughput: MESSAGES entries added as fast as a pipelining producer can, the
 *   rate is entries delivered per second from the first XADD to the last delivery;
 *   with it the broker's CPU time (from /proc) per entry added, delivered and acked,
 *   which the other work on a shared machine disturbs less than the rate;
 * - latency: entries added one at a time at a steady pace, each carrying its send
 *   time; the latency is the time from the XADD being sent to the delivery in the
 *   consumer (p50, p99).
 *
 *   npm run build && node dist/test/bench/gateway.js [--quick]
 *
 * run.ts runs it after its table (`npm run bench`, or `-- --only gateway`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { BROKER_BIN, freePort } from '../harness/servers.js';
import { cpuSeconds, startProcess } from './tools.js';
import { connect, type GatewayClient } from '../../clients/gateway-client.js';

const MESSAGES = 100_000;
const PACED_MESSAGES = 2_000;
/** Pause between two paced XADDs. */
const PACE_MS = 1;
const ROUNDS = 3;

type Kind = 'websocket' | 'resp';

interface Consumers {
  /** Resolves when `n` messages were delivered in all; records each one's latency. */
  until(n: number): Promise<void>;
  latencies: number[];
  delivered: number;
  stop(): Promise<void>;
}

async function startBroker(): Promise<{ port: number; httpPort: number; pid: number; stop(): Promise<void> }> {
  const httpPort = await freePort();
  const args = (port: string): string[] => [BROKER_BIN, '--port', port, '--http-port', String(httpPort), '--bind', '127.0.0.1', '--appendonly', 'no', '--save', '', '--loglevel', 'warning'];
  const server = await startProcess(process.execPath, args);
  return { port: server.port, httpPort, pid: server.pid, stop: server.stop };
}

function sendTime(fields: string[] | Record<string, string>): number {
  const t = Array.isArray(fields) ? fields[fields.indexOf('t') + 1] : fields.t;
  return Number(t);
}

function counter(): Pick<Consumers, 'until' | 'latencies' | 'delivered'> & { add(latency: number): void } {
  const waiters: { n: number; resolve: () => void }[] = [];
  const c = {
    latencies: [] as number[],
    delivered: 0,
    add(latency: number): void {
      c.delivered++;
      c.latencies.push(latency);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (c.delivered >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
      }
    },
    until(n: number): Promise<void> {
      if (c.delivered >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
  return c;
}

async function websocketConsumers(url: string, stream: string, n: number): Promise<Consumers> {
  const count = counter();
  const clients: GatewayClient[] = [];
  const loops: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const client = await connect({ url, encoding: 'protobuf' });
    clients.push(client);
    const sub = client.consume({ stream, group: 'g', consumer: `ws${i}`, prefetch: 1000, batch: 100 });
    loops.push(
      (async () => {
        for await (const m of sub) {
          count.add(performance.timeOrigin + performance.now() - sendTime(m.fields));
          m.ack();
        }
      })().catch(() => undefined),
    );
  }
  return {
    ...count,
    get delivered() {
      return count.delivered;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(loops);
    },
  };
}

async function respConsumers(port: number, stream: string, n: number): Promise<Consumers> {
  const count = counter();
  const connections: Redis[] = [];
  let stopping = false;
  const loops: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const redis = new Redis({ port, host: '127.0.0.1' });
    connections.push(redis);
    loops.push(
      (async () => {
        while (!stopping) {
          const reply = (await redis.xreadgroup('GROUP', 'g', `resp${i}`, 'COUNT', 100, 'BLOCK', 100, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null;
          if (reply === null) continue;
          const now = performance.timeOrigin + performance.now();
          const entries = reply[0][1];
          for (const [, fields] of entries) count.add(now - sendTime(fields));
          // Sent ahead of the next read on the same connection, as a worker pipelines it.
          void redis.xack(stream, 'g', ...entries.map(([id]) => id));
        }
      })().catch(() => undefined),
    );
  }
  return {
    ...count,
    get delivered() {
      return count.delivered;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      for (const r of connections) r.disconnect();
    },
  };
}

/** Adds `n` entries as fast as a pipelining producer can (windows of 500). */
async function flood(producer: Redis, stream: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const pipeline = producer.pipeline();
    const t = String(performance.timeOrigin + performance.now());
    for (let j = i; j < Math.min(n, i + 500); j++) pipeline.xadd(stream, '*', 't', t, 'payload', 'x'.repeat(100));
    await pipeline.exec();
  }
}

/** Adds `n` entries one at a time, PACE_MS apart, each stamped as it is sent. */
async function paced(producer: Redis, stream: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await producer.xadd(stream, '*', 't', String(performance.timeOrigin + performance.now()), 'payload', 'x'.repeat(100));
    await new Promise((r) => setTimeout(r, PACE_MS));
  }
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

interface Row {
  kind: Kind;
  consumers: number;
  rate: number;
  /** The broker's CPU time per entry (µs), added, delivered and acked. */
  cpuUs: number;
  p50: number;
  p99: number;
}

async function measure(broker: { port: number; httpPort: number; pid: number }, kind: Kind, consumers: number, messages: number, paceMessages: number, run: number): Promise<Row> {
  const producer = new Redis({ port: broker.port, host: '127.0.0.1' });
  const stream = `bench-${kind}-${consumers}-${run}`;
  await producer.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
  const url = `ws://127.0.0.1:${broker.httpPort}/ws`;
  const start = async (): Promise<Consumers> => (kind === 'websocket' ? websocketConsumers(url, stream, consumers) : respConsumers(broker.port, stream, consumers));
  // Throughput.
  let group = await start();
  const began = performance.now();
  const cpuBefore = cpuSeconds(broker.pid);
  await flood(producer, stream, messages);
  await group.until(messages);
  const rate = messages / ((performance.now() - began) / 1000);
  // The last acks: XPENDING answers after them (each consumer's connection is its own, so wait for none pending).
  while (((await producer.xpending(stream, 'g')) as [number])[0] > 0) await new Promise((r) => setTimeout(r, 5));
  const cpuUs = ((cpuSeconds(broker.pid) - cpuBefore) * 1e6) / messages;
  await group.stop();
  // Latency, on a stream of its own.
  const pacedStream = `${stream}-paced`;
  await producer.xgroup('CREATE', pacedStream, 'g', '$', 'MKSTREAM');
  group = kind === 'websocket' ? await websocketConsumers(url, pacedStream, consumers) : await respConsumers(broker.port, pacedStream, consumers);
  await paced(producer, pacedStream, paceMessages);
  await group.until(paceMessages);
  await group.stop();
  producer.disconnect();
  return { kind, consumers, rate, cpuUs, p50: percentile(group.latencies, 50), p99: percentile(group.latencies, 99) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The report's lines: each figure the median of ROUNDS runs, the kind that goes first alternating. */
export async function gatewayReport(scale: number, log: (line: string) => void = () => undefined): Promise<string[]> {
  const broker = await startBroker();
  const runs: Row[] = [];
  try {
    let run = 0;
    for (const consumers of [1, 50]) {
      for (let round = 1; round <= ROUNDS; round++) {
        const kinds: Kind[] = run % 2 === 0 ? ['resp', 'websocket'] : ['websocket', 'resp'];
        for (const kind of kinds) {
          log(`gateway benchmark: ${kind}, ${consumers} consumer(s), round ${round}`);
          runs.push(await measure(broker, kind, consumers, Math.round(MESSAGES * scale), Math.round(PACED_MESSAGES * scale), run++));
        }
      }
    }
  } finally {
    await broker.stop();
  }
  const rows: Row[] = [];
  for (const consumers of [1, 50]) {
    for (const kind of ['resp', 'websocket'] as const) {
      const mine = runs.filter((r) => r.kind === kind && r.consumers === consumers);
      rows.push({
        kind,
        consumers,
        rate: median(mine.map((r) => r.rate)),
        cpuUs: median(mine.map((r) => r.cpuUs)),
        p50: median(mine.map((r) => r.p50)),
        p99: median(mine.map((r) => r.p99)),
      });
    }
  }
  const lines = ['', `WebSocket gateway vs RESP XREADGROUP workers (same broker, same run; medians of ${ROUNDS} rounds):`];
  lines.push('  consumers  kind        delivered/s   p50 ms   p99 ms   broker CPU µs/entry   gateway/RESP: rate, CPU');
  for (const r of rows) {
    const resp = rows.find((x) => x.kind === 'resp' && x.consumers === r.consumers)!;
    const ratio = r.kind === 'websocket' ? `${(r.rate / resp.rate).toFixed(2)}, ${(r.cpuUs / resp.cpuUs).toFixed(2)}` : '';
    lines.push(
      `  ${String(r.consumers).padStart(9)}  ${r.kind.padEnd(10)} ${Math.round(r.rate).toString().padStart(12)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.cpuUs.toFixed(2).padStart(21)}   ${ratio}`,
    );
  }
  return lines;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const scale = process.argv.includes('--quick') ? 0.1 : 1;
  gatewayReport(scale, (line) => process.stderr.write(`${line}\n`)).then(
    (lines) => {
      for (const line of lines) process.stdout.write(`${line}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`gateway benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
