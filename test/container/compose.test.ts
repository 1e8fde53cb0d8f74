/**
 * The replicated stack of compose.yaml run whole, as a user brings it up (`docker
 * compose up`): the leader, its two followers and Prometheus with the shipped scrape
 * config and alert rules, on the compose network, with the project's image and a
 * Prometheus image built from this machine's prometheus (docker-env.sh `prometheus`:
 * prom/prometheus cannot be pulled here). Under a load on the leader, Prometheus
 * scrapes all three, the followers' links are up, and every panel of every dashboard
 * and every alert expression returns data through that Prometheus. Grafana is the one
 * service not started: its image cannot be pulled nor Grafana installed here, so the
 * dashboards are proven by their queries (test/http/dashboards.test.ts checks the JSON).
 * The published ports are moved to free ones (BROKER_PORT...), and everything the
 * project makes carries the suites' label, so `docker-env.sh clean` finds it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCommand, NO_COMPOSE } from '../harness/compose.js';
import { prometheusAt, queryUntil, ROOT, startLoad, untilPrometheusReady } from '../harness/prometheus.js';
import { RawClient } from '../harness/raw.js';
import { componentPresent, freePort } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { queriesWithoutData } from '../http/dashboard-files.js';
import { brokerImage, linkUp, PASSWORD, suiteLabels } from './cluster.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'docker-env.sh');
const SERVICES = ['leader', 'follower-1', 'follower-2', 'prometheus'];
const VOLUMES = ['leader-data', 'follower-1-data', 'follower-2-data'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the brokers' clients live in it). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The Prometheus image docker-env.sh builds, or null with the reason reported (a failure in CI). */
async function prometheusImage(): Promise<string | null> {
  const built = await run(SCRIPT, ['prometheus']);
  const last = built.stdout.trim().split('\n').pop() ?? '';
  if (built.status === 0 && last.startsWith('image=')) return last.slice('image='.length);
  if (built.status !== 3) throw new Error(`docker-env.sh prometheus failed (exit ${built.status}): ${built.stderr}`);
  componentPresent(false, last.slice('missing='.length));
  return null;
}

const image = brokerImage();
const compose = image === null ? null : composeCommand();
const composePresent = image === null || componentPresent(compose !== null, `${NO_COMPOSE}: the compose stack is not run`);

describe.skipIf(image === null || !composePresent)('the compose stack (compose.yaml)', { timeout: 300_000 }, () => {
  const project = `sb-test-compose-${process.pid}`;
  const ports: Record<string, number> = {};
  let promImage: string | null = null;
  let up: Run | null = null;
  let stopLoad: (() => Promise<void>) | null = null;
  let dir: string;

  /** compose with the stack's files, this project and its environment. */
  function composeRun(...args: string[]): Promise<Run> {
    const [command, ...prefix] = compose!;
    const override = path.join(dir, 'labels.yml');
    const env = {
      ...process.env,
      BROKER_PASSWORD: PASSWORD,
      BROKER_IMAGE: image!,
      PROMETHEUS_IMAGE: promImage!,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    };
    return run(command, [...prefix, '-p', project, '-f', path.join(ROOT, 'compose.yaml'), '-f', override, ...args], env);
  }

  beforeAll(async () => {
    promImage = await prometheusImage();
    if (promImage === null) return;
    dir = tempDir('compose-');
    // The suites' label on what the project makes (compose files merge these in).
    const labels = JSON.stringify(suiteLabels());
    writeFileSync(
      path.join(dir, 'labels.yml'),
      [
        'services:',
        ...SERVICES.map((s) => `  ${s}: { labels: ${labels} }`),
        'networks:',
        `  default: { labels: ${labels} }`,
        'volumes:',
        ...VOLUMES.map((v) => `  ${v}: { labels: ${labels} }`),
        '',
      ].join('\n'),
    );
    for (const name of ['BROKER_PORT', 'BROKER_HTTP_PORT', 'FOLLOWER_1_PORT', 'FOLLOWER_2_PORT', 'PROMETHEUS_PORT']) ports[name] = await freePort();
    up = await composeRun('up', '-d', '--no-build', ...SERVICES);
  });

  afterAll(async () => {
    await stopLoad?.();
    if (promImage === null) return;
    const down = await composeRun('down', '-v', '--remove-orphans', '--timeout', '15');
    expect(down.status, down.stderr).toBe(0);
  });

  it('starts the leader, the followers and Prometheus; the followers follow', async (context) => {
    if (promImage === null) return context.skip();
    expect(up!.status, up!.stderr).toBe(0);
    (await connect(ports.BROKER_PORT)).close();
    for (const port of [ports.FOLLOWER_1_PORT, ports.FOLLOWER_2_PORT]) {
      const follower = await connect(port);
      await linkUp(follower);
      follower.close();
    }
  });

  it('Prometheus scrapes the three brokers, and every dashboard panel and alert returns data', async (context) => {
    if (promImage === null) return context.skip();
    stopLoad = await startLoad(ports.BROKER_PORT, { password: PASSWORD });
    const prom = prometheusAt(`http://127.0.0.1:${ports.PROMETHEUS_PORT}`);
    await untilPrometheusReady(prom.url);
    const up = await queryUntil(prom, 'up{job="broker"} == 1', (r) => r.length === 3, 60_000);
    expect(up.map((s) => s.metric.instance).sort()).toEqual(['follower-1:9121', 'follower-2:9121', 'leader:9121']);
    const linked = await queryUntil(prom, 'broker_replication_link_up == 1', (r) => r.length === 2, 60_000);
    expect(linked.map((s) => s.metric.instance).sort()).toEqual(['follower-1:9121', 'follower-2:9121']);
    expect(await queriesWithoutData(prom, 'leader:9121')).toEqual([]);
  });
});

/**
 * An authenticated connection to a published port, once the broker behind it serves
 * (until then Docker's proxy accepts and closes at once).
 */
async function connect(port: number): Promise<RawClient> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let c: RawClient | null = null;
    try {
      c = await RawClient.connect(port);
      const auth = await c.call('AUTH', PASSWORD);
      if (auth.raw.toString('latin1') === '+OK\r\n') return c;
      throw new Error(`AUTH on :${port}: ${auth.raw.toString('latin1')}`);
    } catch (error) {
      c?.close();
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
