/**
 * The image as a user runs it: healthy by its own HEALTHCHECK, served to redis-cli and
 * Prometheus over the container's network, as a non-root user, protected mode as
 * documented, data kept in the /data volume across `docker rm` and a new container,
 * and `docker stop` ending with exit code 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { componentPresent } from '../harness/servers.js';
import { brokerImage, Cluster, PASSWORD } from './cluster.js';

const image = brokerImage();
const NO_CLI = 'redis-cli is not installed (apt-get install redis-tools): the redis-cli check is skipped';
const HAS_CLI = image !== null && componentPresent(spawnSync('redis-cli', ['--version']).status === 0, NO_CLI);

/** redis-cli against a container (never spawnSync: the event loop must keep running). */
function redisCli(host: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', host, '-p', '6379', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

/** A RESP PING sent from inside the container (its loopback), with the image's own node. */
const PING_FROM_INSIDE = `const s = require('net').connect(6379, '127.0.0.1', () => s.write('PING\\r\\n'));
s.on('data', (d) => { process.stdout.write(d); s.end(); });`;

describe.skipIf(image === null)('the image', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create(image!);
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('becomes healthy, runs as a non-root user and answers redis-cli and /metrics', async () => {
    const broker = await cluster.start('solo', { waitHealthy: true });
    const inspect = await (await broker.docker()).inspect();
    expect(inspect.State.Health?.Status).toBe('healthy');
    expect(inspect.Config.User).toBe('node');
    // The broker itself (PID 1), not only the image's default user.
    expect((await broker.container.exec(['id', '-u'])).output.trim()).toBe('1000');
    const status = (await broker.container.exec(['cat', '/proc/1/status'])).output;
    expect(status).toMatch(/^Uid:\s+1000\s/m);
    if (HAS_CLI) {
      expect(await redisCli(broker.ip, '--no-auth-warning', '-a', PASSWORD, 'SET', 'greeting', 'hello')).toBe('OK\n');
      expect(await redisCli(broker.ip, '--no-auth-warning', '-a', PASSWORD, 'GET', 'greeting')).toBe('hello\n');
      expect(await redisCli(broker.ip, 'GET', 'greeting')).toMatch(/NOAUTH/);
    }
    const metrics = await fetch(`http://${broker.ip}:9121/metrics`, { headers: { authorization: `Bearer ${PASSWORD}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^broker_keys\{db="0"\} 1$/m);
    expect((await fetch(`http://${broker.ip}:9121/metrics`)).status).toBe(401);
    expect(await (await fetch(`http://${broker.ip}:9121/readyz`, { headers: { authorization: `Bearer ${PASSWORD}` } })).text()).toBe('ready\n');
  });

  it('without a password serves only the container itself (protected mode)', async () => {
    const broker = await cluster.start('open', { env: { BROKER_PASSWORD: '' } });
    const c = await RawClient.connect(6379, broker.ip);
    const reply = await c.call('PING');
    expect(reply.raw.toString('latin1')).toMatch(/^-DENIED Redis is running in protected mode/);
    c.close();
    expect((await broker.container.exec(['node', '-e', PING_FROM_INSIDE])).output).toBe('+PONG\r\n');
  });

  it('keeps its data in the volume across docker stop, docker rm and a new container', async () => {
    const volume = await cluster.volume();
    const first = await cluster.start('keeper', { volume });
    const c = await cluster.connect(first);
    await c.call('XADD', 'events', '1-1', 'kind', 'created');
    await c.call('XGROUP', 'CREATE', 'events', 'audit', '0');
    await c.call('XREADGROUP', 'GROUP', 'audit', 'a1', 'STREAMS', 'events', '>');
    await c.call('SET', 'counter', '41');
    await c.call('INCR', 'counter');
    const container = await first.docker();
    await container.stop({ t: 30 });
    expect((await container.inspect()).State.ExitCode).toBe(0);
    expect(await first.logs()).toMatch(/Received SIGTERM scheduling shutdown/);
    await cluster.remove(first);

    const second = await cluster.start('keeper', { volume });
    const d = await cluster.connect(second);
    expect((await d.call('GET', 'counter')).value).toBe('42');
    expect((await d.call('XPENDING', 'events', 'audit')).raw.toString('latin1')).toBe(
      '*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$2\r\na1\r\n$1\r\n1\r\n',
    );
  });
});

if (image === null) it.skip('container suite (Docker missing)', () => undefined);
