/**
 * Benchmark: how long each server takes to load a 1,000,000-entry stream from its own
 * AOF, first as written (incremental file of XADDs: a replay), then after a rewrite
 * (redis-server: an RDB base; this broker: its snapshot base). The figure is the one
 * each server logs ("DB loaded from append only file: N seconds"), plus the wall time
 * from spawning the process until it accepts connections.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { RawClient } from '../harness/raw.js';

interface LoadServer {
  port: number;
  stop(): Promise<void>;
  output(): string;
}

/** run.ts's targets and progress line, structurally. */
interface LoadTarget {
  name: string;
  start(args: readonly string[]): Promise<LoadServer>;
}

interface ProgressLine {
  start(label: string): void;
  end(summary: string): void;
}

/** Progress steps per target: the load of the file as written, and after a rewrite. */
export const LOAD_STEPS = 2;

const ENTRIES = 1_000_000;
const LOADED = /DB loaded from append only file: ([\d.]+) seconds/;

export async function aofLoadTimes(targets: readonly LoadTarget[], scale: number, progress: ProgressLine): Promise<string[]> {
  const entries = Math.round(ENTRIES * scale);
  const rows: string[][] = [];
  for (const target of targets) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    // No automatic rewrite: the first figure must be a replay of the file as written.
    const args = ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--auto-aof-rewrite-percentage', '0', '--loglevel', 'notice'];
    let server = await target.start(args);
    await fill(server.port, entries);
    const times: string[] = [];
    for (const [step, rewrite] of [['as written', false], ['after a rewrite', true]] as const) {
      progress.start(`aof load of a ${entries}-entry stream (${step}) on ${target.name}`);
      if (rewrite) await rewriteAndWait(server.port);
      await shutdown(server.port);
      await server.stop();
      const spawned = Date.now();
      server = await target.start(args);
      await untilLoaded(server);
      const wall = (Date.now() - spawned) / 1000;
      const logged = LOADED.exec(server.output())?.[1] ?? '?';
      times.push(`${logged} s (${wall.toFixed(2)} s to ready)`);
      progress.end(`${logged} s`);
    }
    await server.stop();
    rows.push([target.name, ...times]);
  }
  const header = ['server', 'as written (replay)', 'after a rewrite (base)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return ['', `AOF load time, ${entries.toLocaleString('en-US')}-entry stream (each server's own AOF):`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Until PING answers PONG (not -LOADING) and the load time is in the log. */
async function untilLoaded(server: LoadServer): Promise<void> {
  const c = await RawClient.connect(server.port);
  try {
    while ((await c.call('PING')).raw.toString() !== '+PONG\r\n') await new Promise((r) => setTimeout(r, 10));
  } finally {
    c.close();
  }
  for (let i = 0; i < 500 && !LOADED.test(server.output()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** XADDs `entries` small entries with redis-benchmark, pipelined. */
async function fill(port: number, entries: number): Promise<void> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '-c', '10', '-P', '100', '-n', String(entries), 'XADD', 'bench:load', '*', 'field', 'value'];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark exited with ${code}`))));
  });
  const c = await RawClient.connect(port);
  const len = (await c.call('XLEN', 'bench:load')).value;
  c.close();
  if (len !== entries) throw new Error(`the stream has ${String(len)} entries, expected ${entries}`);
}

async function rewriteAndWait(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.call('BGREWRITEAOF');
    for (;;) {
      const info = (await c.call('INFO', 'persistence')).value as string;
      if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.close();
  }
}

/** SHUTDOWN NOSAVE: the AOF is flushed and synced, the process exits. */
async function shutdown(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  await c.waitClosed();
}
