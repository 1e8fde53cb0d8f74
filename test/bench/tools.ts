/**
 * What the benchmark scripts share: a server process started on a free port (and
 * killed with this process), redis-benchmark runs read from its CSV, and a process's
 * CPU time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { freePort } from '../harness/servers.js';

export interface Server {
  port: number;
  /** The process ID, for its CPU time. */
  pid: number;
  stop(): Promise<void>;
  /** What the process printed (its log) so far. */
  output(): string;
}

/** One redis-benchmark figure. */
export interface Measurement {
  /** The test name as redis-benchmark reports it (PING_INLINE, SET, MSET (10 keys)...). */
  test: string;
  rps: number;
  p50ms: number;
}

/** Starts `command` with `args(port)` on a free port; returns once the port accepts connections. */
export async function startProcess(command: string, args: (port: string) => string[]): Promise<Server> {
  const port = await freePort();
  const child = spawn(command, args(String(port)), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const stop = () => stopProcess(child);
  // If this process exits first, the server goes with it.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  for (let i = 0; i < 2400; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output}`);
    if (await canConnect(port)) return { port, pid: child.pid!, stop, output: () => output };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`${command} did not listen on port ${port}: ${output}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** redis-benchmark against `port`; `spec` is `-t <tests>` or a custom command line. */
export async function benchmarkRun(port: number, clients: number, requests: number, pipeline: number, spec: readonly string[]): Promise<Measurement[]> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '--csv', '-c', String(clients), '-n', String(requests), '-P', String(pipeline), ...spec];
  const { stdout, stderr, code } = await run('redis-benchmark', args);
  if (code !== 0) throw new Error(`redis-benchmark ${args.join(' ')} exited with ${code}: ${stderr}`);
  return parseCsv(stdout);
}

/** redis-benchmark --csv: a header line, then `"TEST","rps","avg","min","p50",...` per test. */
function parseCsv(csv: string): Measurement[] {
  const rows = csv
    .split('\n')
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split('","').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows.shift() ?? [];
  const rps = header.indexOf('rps');
  const p50 = header.indexOf('p50_latency_ms');
  if (rps < 0 || p50 < 0) throw new Error(`unexpected redis-benchmark output:\n${csv}`);
  return rows.map((cells) => ({ test: cells[0], rps: Number(cells[rps]), p50ms: Number(cells[p50]) }));
}

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/**
 * CPU seconds (user and system) a process has used, from /proc (Linux): on a machine
 * shared with other work, a server's CPU time says more about its own cost than the
 * wall time, which says more about its neighbours.
 */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
