#!/usr/bin/env node
/**
 * Benchmark: the server CPU time of one EVALSHA, the broker against redis-server in the
 * same run (script-workloads.ts's cases: the BullMQ-sized add-job script and a
 * one-command script). Each server runs the same redis-benchmark load (50 clients,
 * without pipelining and at -P 16), the two alternating ROUNDS times; the figure is the
 * median of the server process's user+system CPU time (/proc) per call, which the
 * neighbours' load on a shared machine disturbs far less than throughput. The ratio is
 * redis-server's CPU time over the broker's: 0.5 means the broker spends twice as much.
 *
 *   npm run build && node dist/test/bench/script-cpu.js [requests] [--only evalsha_bullmq] [--pipelines 16] [--prof DIR]
 *
 * With --prof the broker runs under `node --cpu-prof` and writes its profile into DIR
 * when the runs end (summarise it with any .cpuprofile reader).
 */
import { RawClient } from '../harness/raw.js';
import { BROKER_BIN } from '../harness/servers.js';
import { loadScriptCase, SCRIPT_CASES } from './script-workloads.js';
import { benchmarkRun, cpuSeconds, startProcess, type Server } from './tools.js';

const CLIENTS = 50;
const ROUNDS = 3;
const COMMON_ARGS = ['--bind', '127.0.0.1', '--loglevel', 'warning', '--save', '', '--appendonly', 'no'];

function argAfter(flag: string): string | null {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? (process.argv[at + 1] ?? null) : null;
}

/** The server's CPU microseconds per call over `requests` EVALSHA calls of `sha`. */
async function cpuPerCall(server: Server, sha: string, args: string[], requests: number, pipeline: number): Promise<number> {
  const before = cpuSeconds(server.pid);
  await benchmarkRun(server.port, CLIENTS, requests, pipeline, ['-r', '1000000', 'EVALSHA', sha, ...args]);
  return ((cpuSeconds(server.pid) - before) * 1e6) / requests;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2]?.startsWith('--') === false ? process.argv[2] : 20_000);
  const only = argAfter('--only')?.split(',') ?? null;
  const pipelines = argAfter('--pipelines')?.split(',').map(Number) ?? [1, 16];
  const profDir = argAfter('--prof');
  const profArgs = profDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir];
  const servers = {
    redis: await startProcess('redis-server', (port) => ['--port', port, ...COMMON_ARGS]),
    broker: await startProcess(process.execPath, (port) => [...profArgs, BROKER_BIN, '--port', port, ...COMMON_ARGS]),
  };
  try {
    for (const scriptCase of SCRIPT_CASES.filter((c) => only === null || only.includes(c.name))) {
      for (const pipeline of pipelines) {
        const figures = { redis: [] as number[], broker: [] as number[] };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? (['redis', 'broker'] as const) : (['broker', 'redis'] as const);
          for (const name of order) {
            const c = await RawClient.connect(servers[name].port);
            const sha = await loadScriptCase(c, scriptCase);
            figures[name].push(await cpuPerCall(servers[name], sha, scriptCase.args, requests, pipeline));
            await c.call('FLUSHALL');
            c.close();
          }
        }
        const [redis, broker] = [median(figures.redis), median(figures.broker)];
        process.stdout.write(
          `${scriptCase.test} -P ${pipeline}: redis-server ${redis.toFixed(1)} µs, broker ${broker.toFixed(1)} µs CPU a call: ratio ${(redis / broker).toFixed(2)}\n`,
        );
      }
    }
  } finally {
    if (profDir !== null) {
      // SHUTDOWN lets the broker exit on its own, which writes the profile.
      const c = await RawClient.connect(servers.broker.port);
      c.call('SHUTDOWN', 'NOSAVE').catch(() => {});
      await new Promise((r) => setTimeout(r, 2000));
      c.close();
    }
    await Promise.all([servers.redis.stop(), servers.broker.stop()]);
  }
}

await main();
