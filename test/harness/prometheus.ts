/**
 * A real Prometheus (Debian's `prometheus` package) for the metrics tests: started on
 * a free loopback port with its configuration and storage in a temp directory,
 * scraping the given targets every second; and `promtool` to lint an exposition.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentPresent, freePort } from './servers.js';
import { RawClient } from './raw.js';
import { tempDir } from './temp.js';

/** The project root, whether this file runs from test/harness or compiled from dist/test/harness. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.basename(path.resolve(HERE, '../..')) === 'dist' ? path.resolve(HERE, '../../..') : path.resolve(HERE, '../..');

export const NO_PROMETHEUS = 'prometheus/promtool is not installed (apt-get install prometheus): Prometheus checks skipped';

let present: boolean | undefined;

/** Whether prometheus and promtool are installed; suites skip with NO_PROMETHEUS when not (fail in CI). */
export function hasPrometheus(): boolean {
  present ??= ['prometheus', 'promtool'].every((bin) => spawnSync(bin, ['--version']).status === 0);
  return componentPresent(present, NO_PROMETHEUS);
}

/** `promtool check metrics` on an exposition: its exit status and what it printed. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface RunningPrometheus {
  url: string;
  /** Runs an instant query; the result vector (or matrix) as Prometheus's API returns it. */
  query(expr: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

/** Instant queries against the Prometheus at `url` (one the test did not start: a container). */
export function prometheusAt(url: string): Pick<RunningPrometheus, 'url' | 'query'> {
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? response.status}`);
      return body.data.result;
    },
  };
}

/** Polls `expr` until `accept` holds for its result; the last result otherwise, after `timeoutMs`. */
export async function queryUntil(
  prom: Pick<RunningPrometheus, 'query'>,
  expr: string,
  accept: (r: PromSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs;
  let result = await prom.query(expr);
  while (!accept(result) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    result = await prom.query(expr);
  }
  return result;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * Starts Prometheus scraping `targets` (host:port) every second, as job `broker`, with
 * `ruleFiles` (paths from the repository root) loaded; returns once it answers.
 */
export async function startPrometheus(targets: readonly string[], ruleFiles: readonly string[] = []): Promise<RunningPrometheus> {
  const dir = tempDir('prometheus-');
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(ruleFiles.length > 0 ? ['rule_files:', ...ruleFiles.map((f) => `  - '${path.resolve(ROOT, f)}'`)] : []),
    'scrape_configs:',
    '  - job_name: broker',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilPrometheusReady(url, () => (child.exitCode === null ? null : `prometheus exited (${child.exitCode}): ${output}`));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { ...prometheusAt(url), stop: () => stop(child) };
}

/**
 * Waits until the Prometheus at `url` answers ready; `failed` says why it never will
 * (its process exited), or null while it may.
 */
export async function untilPrometheusReady(url: string, failed: () => string | null = () => null): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const failure = failed();
    if (failure !== null) throw new Error(failure);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Prometheus at ${url} did not become ready`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Clients producing to and consuming from a stream, a list queue and a channel, and one
 * blocked in BLPOP, until the returned function stops them.
 */
export async function startLoad(port: number, { host = '127.0.0.1', password }: { host?: string; password?: string } = {}): Promise<() => Promise<void>> {
  const connect = async (): Promise<RawClient> => {
    const client = await RawClient.connect(port, host);
    if (password !== undefined) await client.call('AUTH', password);
    return client;
  };
  const c = await connect();
  const subscriber = await connect();
  await subscriber.call('SUBSCRIBE', 'events');
  const blocked = await connect();
  blocked.write('*3\r\n$5\r\nBLPOP\r\n$7\r\nwaiting\r\n$1\r\n0\r\n');
  await c.call('XGROUP', 'CREATE', 'orders', 'billing', '$', 'MKSTREAM');
  let running = true;
  const loop = (async () => {
    let n = 0;
    while (running) {
      await c.call('XADD', 'orders', '*', 'n', String(n));
      await c.call('RPUSH', 'jobs', String(n));
      await c.call('PUBLISH', 'events', String(n));
      // Every other round consumes: a backlog and pending entries stay.
      if (n % 2 === 0) {
        const read = (await c.call('XREADGROUP', 'GROUP', 'billing', 'worker', 'COUNT', '1', 'STREAMS', 'orders', '>')).value as [string, [string, string[]][]][] | null;
        const id = read?.[0]?.[1]?.[0]?.[0];
        if (id !== undefined && n % 4 === 0) await c.call('XACK', 'orders', 'billing', id);
        await c.call('LPOP', 'jobs');
      }
      n++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  let stopped: Promise<void> | null = null;
  return () => {
    stopped ??= (async () => {
      running = false;
      await loop;
      c.close();
      subscriber.close();
      blocked.close();
    })();
    return stopped;
  };
}
