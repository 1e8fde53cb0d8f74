/**
 * Benchmark: what the metrics cost the commands (issue 14's target: under 3% at
 * `-P 16`). Three brokers side by side with the same flags: one with its HTTP server,
 * scraped every second (a tighter interval than the 15 s of
 * dashboards/prometheus/prometheus.yml) while 1,000 streams with 3 consumer groups
 * each give every scrape work, and two without it (`--http-port 0`: no /metrics), the
 * second a control: off against off shows how far two identical brokers differ on
 * this machine, the noise any on/off figure must be read against. The same
 * redis-benchmark runs go to all three, in an order rotating run by run, ROUNDS
 * times; each figure is the median. The command path bumps the same counters either
 * way (README, "Cost"): the difference is the HTTP server and the scrapes, whose share
 * shrinks with a longer interval. Ratios per workload: throughput, and the broker's
 * CPU time per request (from /proc), which a machine busy with other work disturbs
 * less. Each scrape's own CPU time is measured apart (SCRAPES scrapes of the idle
 * broker, after the first few: the first makes every series' bytes, once), so the
 * cost at any interval follows: scrape time / interval.
 *
 * Workloads: SET, XADD to a stream with a consumer group, and XREADGROUP of one
 * entry at a time from a stream filled beforehand (each delivery feeds the
 * delivery-latency histogram), each at -P 16 with 50 clients.
 *
 *   npm run build && node dist/test/bench/metrics-cost.js [--quick]
 *
 * run.ts runs it after its table (`npm run bench`, or `-- --only metrics_cost`).
 */
import { fileURLToPath } from 'node:url';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { BROKER_BIN, freePort } from '../harness/servers.js';
import { benchmarkRun, cpuSeconds, startProcess, type Server } from './tools.js';

const ROUNDS = 3;
const CLIENTS = 50;
const PIPELINE = 16;
const REQUESTS = 500_000;
const STREAMS = 1_000;
const SCRAPE_EVERY_MS = 1_000;
/** Scrapes of the idle broker whose CPU time is measured. */
const SCRAPES = 40;

interface Case {
  name: string;
  /** Work done before each run, not measured (the entries XREADGROUP delivers). */
  prepare?(port: number, requests: number): Promise<void>;
  spec: string[];
}

const CASES: Case[] = [
  { name: 'SET', spec: ['-t', 'set'] },
  { name: 'XADD', spec: ['XADD', 'bench:metrics', '*', 'field', 'value'] },
  {
    name: 'XREADGROUP',
    prepare: (port, requests) => benchmarkRun(port, CLIENTS, requests, PIPELINE, ['XADD', 'bench:deliver', '*', 'field', 'value']).then(() => undefined),
    spec: ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'bench:deliver', '>'],
  },
];

/** 1,000 streams with 3 groups each, some entries pending: the metrics report every one. */
async function populate(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  const commands: Buffer[] = [encodeCommand(['XGROUP', 'CREATE', 'bench:metrics', 'g', '$', 'MKSTREAM']), encodeCommand(['XGROUP', 'CREATE', 'bench:deliver', 'g', '$', 'MKSTREAM'])];
  for (let s = 0; s < STREAMS; s++) {
    const key = `stream:${s}`;
    for (let e = 0; e < 10; e++) commands.push(encodeCommand(['XADD', key, '*', 'n', String(e)]));
    for (let g = 0; g < 3; g++) {
      commands.push(encodeCommand(['XGROUP', 'CREATE', key, `group-${g}`, '0']));
      commands.push(encodeCommand(['XREADGROUP', 'GROUP', `group-${g}`, 'consumer', 'COUNT', '2', 'STREAMS', key, '>']));
    }
  }
  await c.send(Buffer.concat(commands));
  await c.readMany(commands.length);
  c.close();
}

/** GET /metrics every SCRAPE_EVERY_MS until stopped; fails the run if a scrape does. */
function scrapeEverySecond(httpPort: number): () => Promise<number> {
  let scrapes = 0;
  let failure: Error | null = null;
  const timer = setInterval(() => {
    fetch(`http://127.0.0.1:${httpPort}/metrics`)
      .then(async (res) => {
        if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
        await res.arrayBuffer();
        scrapes++;
      })
      .catch((err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))));
  }, SCRAPE_EVERY_MS);
  return async () => {
    clearInterval(timer);
    if (failure !== null) throw failure;
    return scrapes;
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startBroker(httpPort: number): Promise<Server> {
  const server = await startProcess(process.execPath, (port) => [
    BROKER_BIN,
    ...['--port', port, '--bind', '127.0.0.1', '--http-port', String(httpPort), '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
  ]);
  await populate(server.port);
  return server;
}

/** Scrapes before those measured: the first makes every series' bytes, the next few let the JIT settle. */
const WARM_UP = 5;

/**
 * CPU time of a scrape of the idle broker (ms): the first one (which makes every
 * series' labels and line starts, once), and the mean of SCRAPES after WARM_UP, the
 * cost of each scrape from then on.
 */
async function scrapeCpuMs(server: Server, httpPort: number): Promise<{ first: number; steady: number }> {
  const scrapeOnce = async (): Promise<number> => {
    const before = cpuSeconds(server.pid);
    await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).arrayBuffer();
    return (cpuSeconds(server.pid) - before) * 1000;
  };
  const first = await scrapeOnce();
  for (let i = 1; i < WARM_UP; i++) await scrapeOnce();
  let total = 0;
  // /proc counts in 10 ms ticks: the mean of many is the figure, not one of them.
  for (let i = 0; i < SCRAPES; i++) total += await scrapeOnce();
  return { first, steady: total / SCRAPES };
}

type Role = 'on' | 'off' | 'control';

/** The report's lines: per workload, throughput and CPU per request with metrics on and off (and off again), and their ratios. */
export async function metricsCostReport(scale: number): Promise<string[]> {
  const requests = Math.max(10_000, Math.round(REQUESTS * scale));
  const httpPort = await freePort();
  const servers: [Role, Server][] = [
    ['off', await startBroker(0)],
    ['on', await startBroker(httpPort)],
    ['control', await startBroker(0)],
  ];
  const on = servers[1][1];
  const scrape = await scrapeCpuMs(on, httpPort);
  const stopScraping = scrapeEverySecond(httpPort);
  const figures = new Map<string, { rps: number[]; cpuUs: number[] }>();
  let scrapes = 0;
  try {
    let runs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const first = runs++ % servers.length;
        for (const [role, server] of [...servers.slice(first), ...servers.slice(0, first)]) {
          await c.prepare?.(server.port, requests);
          const cpuBefore = cpuSeconds(server.pid);
          const [m] = await benchmarkRun(server.port, CLIENTS, requests, PIPELINE, c.spec);
          const cpuUs = ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / requests;
          const key = `${c.name} ${role}`;
          const f = figures.get(key) ?? { rps: [], cpuUs: [] };
          f.rps.push(m.rps);
          f.cpuUs.push(cpuUs);
          figures.set(key, f);
        }
      }
    }
  } finally {
    scrapes = await stopScraping().finally(() => Promise.all(servers.map(([, s]) => s.stop())));
  }
  const lines = [
    `\nMetrics cost (-P ${PIPELINE}, ${CLIENTS} clients; ${STREAMS} streams x 3 groups; /metrics scraped every ${SCRAPE_EVERY_MS / 1000} s, ${scrapes} scrapes):`,
    `  one scrape: ${scrape.steady.toFixed(1)} ms of the broker's CPU (mean of ${SCRAPES} after ${WARM_UP}, idle broker; the first: ${scrape.first.toFixed(0)} ms): ` +
      `${((scrape.steady / SCRAPE_EVERY_MS) * 100).toFixed(1)}% of a core at 1 s, ${((scrape.steady / 15_000) * 100).toFixed(2)}% at 15 s`,
    '  workload    rps on/off (control off/off)   CPU µs/request on, off, control   CPU on/off (control off/off)',
  ];
  for (const c of CASES) {
    const f = (role: Role) => figures.get(`${c.name} ${role}`)!;
    const rps = (role: Role) => median(f(role).rps);
    const cpu = (role: Role) => median(f(role).cpuUs);
    lines.push(
      `  ${c.name.padEnd(11)} ${(rps('on') / rps('off')).toFixed(3)} (${(rps('control') / rps('off')).toFixed(3)})` +
        `               ${cpu('on').toFixed(2)}, ${cpu('off').toFixed(2)}, ${cpu('control').toFixed(2)}` +
        `                ${(cpu('on') / cpu('off')).toFixed(3)} (${(cpu('control') / cpu('off')).toFixed(3)})`,
    );
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scale = process.argv.includes('--quick') ? 0.1 : 1;
  for (const line of await metricsCostReport(scale)) process.stdout.write(`${line}\n`);
}
