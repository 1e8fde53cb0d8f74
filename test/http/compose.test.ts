/**
 * The compose files (README, "Docker"): dashboards/compose.yml (a broker, Prometheus,
 * Grafana) and compose.yaml, which extends it with two followers, pass `docker compose
 * config` (or Debian's docker-compose where the compose plugin is missing: `.ci/run`
 * installs it), and refuse to start without BROKER_PASSWORD. Running the stack needs
 * the Prometheus and Grafana images, which cannot be pulled here.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/prometheus.js';
import { componentPresent } from '../harness/servers.js';

/** `docker compose` (the plugin), else `docker-compose`, else null. */
function composeCommand(): string[] | null {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    if (spawnSync(command[0], [...command.slice(1), 'version'], { stdio: 'ignore' }).status === 0) return command;
  }
  return null;
}

const NO_COMPOSE = 'neither `docker compose` nor docker-compose is installed (apt-get install docker-compose): compose files not validated';
const compose = composeCommand();
const present = componentPresent(compose !== null, NO_COMPOSE);

function config(file: string, env: Record<string, string>, ...args: string[]) {
  const [command, ...prefix] = compose!;
  const { BROKER_PASSWORD: _, ...inherited } = process.env;
  return spawnSync(command, [...prefix, '-f', path.join(ROOT, file), 'config', ...args], { env: { ...inherited, ...env }, encoding: 'utf8' });
}

describe.skipIf(!present)(present ? 'compose files' : `compose files: ${NO_COMPOSE}`, () => {
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

  it('refuse to start without a password', () => {
    for (const file of ['dashboards/compose.yml', 'compose.yaml']) {
      const run = config(file, {});
      expect(run.status, file).not.toBe(0);
      expect(run.stderr, file).toContain('set BROKER_PASSWORD');
    }
  });
});
