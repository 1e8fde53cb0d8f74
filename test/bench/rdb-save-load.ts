#!/usr/bin/env node
/**
 * Benchmark: SAVE time, file size and start-up load time of an RDB file, in
 * redis-server and in this broker, in the same run, for two datasets:
 *   - a 1,000,000-entry stream (`XADD s * field value-<i>`) with a consumer group
 *     holding 100,000 pending entries (XREADGROUP COUNT 1000, 100 times);
 *   - 1,000,000 string keys (`SET key:<i> value:<i>`).
 * SAVE is timed from the client (the command's round trip) and by the CPU time the
 * server used for it (/proc, Linux), then a second SAVE of the same data by its CPU time
 * (the broker's stream nodes keep what the first encoded); the load is timed by the figure
 * each server logs ("DB loaded from disk: N seconds") and by the CPU time the start that
 * loads used beyond what a start without data used.
 *
 *   npm run build && node dist/test/bench/rdb-save-load.js [scale]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { BROKER_BIN, freePort } from '../harness/servers.js';
import { cpuSeconds } from './tools.js';

const SCALE = Number(process.argv[2] ?? 1);
const N = Math.round(1_000_000 * SCALE);
const PENDING = Math.round(100_000 * SCALE);
const BATCH = 5_000;
const LOADED = /DB loaded from disk: ([\d.]+) seconds/;

interface Server {
  port: number;
  child: ChildProcess;
  output(): string;
}

async function start(kind: 'redis-server' | 'broker', dir: string): Promise<Server> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--dbfilename', 'dump.rdb'];
  const child = kind === 'redis-server' ? spawn('redis-server', args) : spawn(process.execPath, [BROKER_BIN, ...args]);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  for (;;) {
    try {
      const c = await RawClient.connect(port);
      while ((await c.call('PING')).raw.toString() !== '+PONG\r\n') await new Promise((r) => setTimeout(r, 5));
      c.close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { port, child, output: () => out };
}

async function stop(s: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGKILL');
  });
}

async function pipeline(c: RawClient, make: (i: number) => string[], count: number): Promise<void> {
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    c.write(Buffer.concat(Array.from({ length: n }, (_, k) => encodeCommand(make(i + k)))));
    await c.readMany(n);
  }
}

type Fill = (c: RawClient) => Promise<void>;

/** SAVE's reply, waited for longer than a command's: on a loaded machine a SAVE's fsync alone can take seconds. */
async function saveReply(c: RawClient): Promise<string> {
  c.write(encodeCommand(['SAVE']));
  return (await c.read(120_000)).raw.toString();
}

const datasets: [string, Fill][] = [
  [
    `${N.toLocaleString('en-US')}-entry stream, ${PENDING.toLocaleString('en-US')} pending`,
    async (c) => {
      await pipeline(c, (i) => ['XADD', 's', '*', 'field', `value-${i}`], N);
      await c.call('XGROUP', 'CREATE', 's', 'g', '0');
      // In reads of 1,000: one reply of 100,000 entries is slow to frame for the test client.
      await pipeline(c, () => ['XREADGROUP', 'GROUP', 'g', 'consumer', 'COUNT', '1000', 'STREAMS', 's', '>'], PENDING / 1000);
    },
  ],
  [`${N.toLocaleString('en-US')} string keys`, (c) => pipeline(c, (i) => ['SET', `key:${i}`, `value:${i}`], N)],
];

async function measure(kind: 'redis-server' | 'broker', fill: Fill): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rdb-'));
  try {
    let s = await start(kind, dir);
    // What a start costs without data: taken from the start that loads, to leave the load.
    const startCpu = cpuSeconds(s.child.pid!);
    const c = await RawClient.connect(s.port);
    await fill(c);
    const cpuBefore = cpuSeconds(s.child.pid!);
    const t = performance.now();
    const reply = await saveReply(c);
    const save = (performance.now() - t) / 1000;
    const saveCpu = cpuSeconds(s.child.pid!) - cpuBefore;
    if (reply !== '+OK\r\n') throw new Error(`SAVE: ${reply}`);
    // Again, unchanged: the broker's stream nodes keep what the first SAVE encoded.
    const againBefore = cpuSeconds(s.child.pid!);
    await saveReply(c);
    const againCpu = cpuSeconds(s.child.pid!) - againBefore;
    c.close();
    const size = fs.statSync(path.join(dir, 'dump.rdb')).size;
    await stop(s);
    s = await start(kind, dir);
    for (let i = 0; i < 500 && !LOADED.test(s.output()); i++) await new Promise((r) => setTimeout(r, 10));
    const load = LOADED.exec(s.output())?.[1] ?? '?';
    const loadCpu = cpuSeconds(s.child.pid!) - startCpu;
    await stop(s);
    return [kind, `${save.toFixed(3)} s`, `${saveCpu.toFixed(2)} s`, `${againCpu.toFixed(2)} s`, `${load} s`, `${loadCpu.toFixed(2)} s`, `${(size / 1e6).toFixed(1)} MB`];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const lines: string[] = [];
  for (const [name, fill] of datasets) {
    const rows = [await measure('redis-server', fill), await measure('broker', fill)];
    const header = ['server', 'SAVE', 'SAVE (CPU)', 'again (CPU)', 'load', 'load (CPU)', 'file'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((x, i) => x.padEnd(widths[i])).join('  ');
    lines.push('', `RDB, ${name}:`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
    process.stdout.write(lines.slice(-5).join('\n') + '\n');
  }
}

await main();
