/**
 * The compose files (README, "Docker"): dashboards/compose.yml (a broker, Prometheus,
 * Grafana) and compose.yaml, which extends it with two followers, pass `docker compose
 * config` (or Debian's docker-compose where the compose plugin is missing: `.ci/run`
 * installs it), and refuse to start without BROKER_PASSWORD. The stack running is
 * test/container/compose.test.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/prometheus.js';
import { composeCommand, NO_COMPOSE } from '../harness/compose.js';
import { componentPresent } from '../harness/servers.js';

const NO_COMPOSE_FILES = `${NO_COMPOSE}: compose files not validated`;
const compose = composeCommand();
const present = componentPresent(compose !== null, NO_COMPOSE_FILES);

function config(file: string, env: Record<string, string>, ...args: string[]) {
  const [command, ...prefix] = compose!;
  const { BROKER_PASSWORD: _, ...inherited } = process.env;
  return spawnSync(command, [...prefix, '-f', path.join(ROOT, file), 'config', ...args], { env: { ...inherited, ...env }, encoding: 'utf8' });
}

describe.skipIf(!present)(present ? 'compose files' : `compose files: ${NO_COMPOSE_FILES}`, () => {
  it('the observability stack: a broker, Prometheus and Grafana', () => {
    const run = config('dashboards/compose.yml', { BROKER_PASSWORD: 'test' }, '--services');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual(['broker', 'grafana', 'prometheus']);
  });

  it('the replicated stack extends it: a leader, two followers of it, Prometheus scraping all three, Grafana', () => {
    const run = config('compose.yaml', { BROKER_PASSWORD: 'test' });
    expect(run.status, run.stderr).toBe(0);
    expect(config('compose.yaml', { BROKER_PASSWORD: 'test' }, '--services').stdout.trim().split('\n').sort()).toEqual([
      'follower-1',
      'follower-2',
      'grafana',
      'leader',
      'prometheus',
    ]);
    expect(run.stdout.match(/BROKER_REPLICAOF: leader 6379/g)).toHaveLength(2);
    expect(run.stdout).toContain('prometheus-replication.yml:/etc/prometheus/prometheus.yml:ro');
    expect(run.stdout).toContain('dashboards/grafana/provisioning:/etc/grafana/provisioning:ro');
  });

  it('publish on the ports and run the images the variables name', () => {
    const env = { BROKER_PASSWORD: 'test', BROKER_PORT: '7001', FOLLOWER_2_PORT: '7003', PROMETHEUS_PORT: '7005', BROKER_IMAGE: 'mine:1', PROMETHEUS_IMAGE: 'mirror/prometheus:2' };
    const run = config('compose.yaml', env);
    expect(run.status, run.stderr).toBe(0);
    for (const text of ['127.0.0.1:7001:6379', '127.0.0.1:6380:6379', '127.0.0.1:7003:6379', '127.0.0.1:7005:9090', 'image: mine:1', 'image: mirror/prometheus:2']) {
      expect(run.stdout, text).toContain(text);
    }
  });

  it('refuse to start without a password', () => {
    for (const file of ['dashboards/compose.yml', 'compose.yaml']) {
      const run = config(file, {});
      expect(run.status, file).not.toBe(0);
      expect(run.stderr, file).toContain('set BROKER_PASSWORD');
    }
  });
});
