/**
 * A real Prometheus (Debian's `prometheus` package) for the metrics tests: started on
 * a free loopback port with its configuration and storage in a temp directory,
 * scraping the given targets every second; and `promtool` to lint an exposition.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { componentPresent, freePort } from './servers.js';
import { tempDir } from './temp.js';

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

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Starts Prometheus scraping `targets` (host:port) every second; returns once it answers. */
export async function startPrometheus(targets: readonly string[]): Promise<RunningPrometheus> {
  const dir = tempDir('prometheus-');
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
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
  await untilReady(url, child, () => output);
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? response.status}`);
      return body.data.result;
    },
    stop: () => stop(child),
  };
}

async function untilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${output()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`prometheus did not become ready: ${output()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
