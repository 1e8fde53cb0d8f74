/**
 * Brokers as containers of the project's image (built by docker-env.sh), for the
 * container suites: each Cluster has a Docker network of its own, on which its brokers
 * find each other by name (`leader`, `f1`...), and named volumes for their /data. The
 * tests reach the brokers at their addresses on that network (the host routes to it),
 * so no port is published. Everything made carries SUITE_LABEL and is removed by
 * `destroy` (testcontainers' reaper is off: its image cannot be pulled here), or by
 * `docker-env.sh clean` after a crash.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { GenericContainer, getContainerRuntimeClient, Wait, type ImagePullPolicy, type StartedTestContainer } from 'testcontainers';
import { RawClient } from '../harness/raw.js';
import { componentPresent } from '../harness/servers.js';
import { until } from '../harness/wait.js';

/** docker-env.sh's label, valued with the run's owner PID: what a dead run left behind is found by it. */
const SUITE_LABEL = 'streams-broker.test';

/** The label for what this run creates. */
export function suiteLabels(): Record<string, string> {
  const setup = inject('docker');
  return { [SUITE_LABEL]: 'owner' in setup ? setup.owner : 'unknown' };
}
/** Every broker of the suites has it (protected mode: the tests are not on the container's loopback). */
export const PASSWORD = 'container-suite';
const READY = /Ready to accept connections/;

/** The image to test, or null (with the reason printed) when Docker cannot run here; in CI that fails the file. */
export function brokerImage(): string | null {
  const setup = inject('docker');
  if ('image' in setup) return setup.image;
  const message = `Docker cannot run here: ${setup.missing}; container suite skipped`;
  componentPresent(false, message);
  console.warn(message);
  return null;
}

/** A pull policy that never pulls: the images are local or the test fails. */
const NEVER_PULL: ImagePullPolicy = { shouldPull: () => false };

export interface BrokerOptions {
  /** A named volume for /data (Cluster.volume()); none: the container's anonymous one. */
  volume?: string;
  /** Flags after the image's configuration (they win over it). */
  args?: string[];
  env?: Record<string, string>;
  /** Wait for the image's own HEALTHCHECK to say healthy (slower: its first run is after 10 s). */
  waitHealthy?: boolean;
}

export class Broker {
  constructor(
    readonly name: string,
    readonly container: StartedTestContainer,
    readonly ip: string,
  ) {}

  /** A connection from the test, authenticated. */
  async connect(): Promise<RawClient> {
    const c = await RawClient.connect(6379, this.ip);
    const auth = await c.call('AUTH', PASSWORD);
    if (auth.raw.toString('latin1') !== '+OK\r\n') throw new Error(`AUTH on ${this.name}: ${auth.raw.toString('latin1')}`);
    return c;
  }

  /** The dockerode handle, for what testcontainers does not do (kill, pause). */
  async docker() {
    const client = await getContainerRuntimeClient();
    return client.container.getById(this.container.getId());
  }

  async logs(): Promise<string> {
    const stream = await this.container.logs();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.destroy();
    return Buffer.concat(chunks).toString('utf8');
  }
}

export class Cluster {
  private readonly brokers = new Set<Broker>();
  private readonly volumes: string[] = [];
  private readonly clients: RawClient[] = [];

  private constructor(
    private readonly image: string,
    readonly network: string,
  ) {}

  static async create(image: string): Promise<Cluster> {
    const client = await getContainerRuntimeClient();
    const network = `sb-test-${randomUUID().slice(0, 8)}`;
    await client.container.dockerode.createNetwork({ Name: network, Labels: suiteLabels(), CheckDuplicate: true });
    return new Cluster(image, network);
  }

  /** A named volume, removed with the cluster. */
  async volume(): Promise<string> {
    const client = await getContainerRuntimeClient();
    const name = `sb-test-${randomUUID().slice(0, 8)}`;
    await client.container.dockerode.createVolume({ Name: name, Labels: suiteLabels() });
    this.volumes.push(name);
    return name;
  }

  /** Starts a broker reachable as `name` on the cluster's network; waits until it serves. */
  async start(name: string, options: BrokerOptions = {}): Promise<Broker> {
    let container = new GenericContainer(this.image)
      .withPullPolicy(NEVER_PULL)
      .withLabels(suiteLabels())
      .withNetworkMode(this.network)
      .withNetworkAliases(name)
      .withEnvironment({ BROKER_PASSWORD: PASSWORD, ...options.env })
      .withCommand(options.args ?? [])
      .withStartupTimeout(60_000)
      .withWaitStrategy(options.waitHealthy ? Wait.forHealthCheck() : Wait.forLogMessage(READY));
    if (options.volume !== undefined) container = container.withBindMounts([{ source: options.volume, target: '/data' }]);
    const started = await container.start();
    const broker = new Broker(name, started, started.getIpAddress(this.network));
    this.brokers.add(broker);
    return broker;
  }

  /** An authenticated connection to `broker`, closed with the cluster. */
  async connect(broker: Broker): Promise<RawClient> {
    const c = await broker.connect();
    this.clients.push(c);
    return c;
  }

  /** Removes a container (stopped or not) and its anonymous volumes; its named volume stays. */
  async remove(broker: Broker): Promise<void> {
    this.brokers.delete(broker);
    await (await broker.docker()).remove({ force: true, v: true });
  }

  async destroy(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    for (const broker of [...this.brokers]) await this.remove(broker).catch(() => undefined);
    const client = await getContainerRuntimeClient();
    await client.network
      .getById(this.network)
      .remove()
      .catch(() => undefined);
    for (const volume of this.volumes.splice(0)) await client.container.dockerode.getVolume(volume).remove({ force: true });
  }
}

/** Waits until `follower` reports its link to the leader up. */
export async function linkUp(follower: RawClient, timeoutMs = 60_000): Promise<void> {
  await until(
    'the follower link is up',
    async () => (await follower.call('INFO', 'replication')).raw.toString('latin1').includes('master_link_status:up'),
    timeoutMs,
  );
}
