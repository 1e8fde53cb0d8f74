/**
 * Network namespaces for partition tests (iproute2, as root): brokers each in a
 * namespace of their own, reached by the test through a veth pair from the test's
 * namespace, and linked to each other by veth pairs of their own, which a test cuts
 * (`ip link set down`) and heals. Everything is created by the test and removed after
 * it; the addresses are private (10.x), on links that lead nowhere else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { componentPresent, BROKER_BIN } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { RawClient } from '../harness/raw.js';

export const NO_NETNS = 'network namespaces are not available (they need iproute2, `ip netns`, and root with CAP_NET_ADMIN): partition tests skipped';

/** `ip` run in namespace `ns` (Netns.HOST: the test's). */
function ipIn(ns: string, args: readonly string[]): void {
  ip(ns === Netns.HOST ? args : ['-n', ns, ...args]);
}

function ip(args: readonly string[]): void {
  const run = spawnSync('ip', args, { encoding: 'latin1' });
  if (run.status !== 0) throw new Error(`ip ${args.join(' ')}: ${run.error?.message ?? run.stderr.trim()}`);
}

let available: boolean | undefined;

/** Whether namespaces and veth pairs can be made here (tried once); skips (fails in CI) when not. */
export function hasNetns(): boolean {
  if (available === undefined) {
    const probe = `brkprobe${process.pid}`;
    available = spawnSync('ip', ['netns', 'add', probe]).status === 0;
    if (available) {
      const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      available = veth.status === 0;
      spawnSync('ip', ['netns', 'del', probe]);
    }
  }
  return componentPresent(available, NO_NETNS);
}

/** A veth pair between two namespaces; `a` and `b` are the addresses on each side. */
export interface Link {
  readonly a: { ns: string; dev: string; addr: string };
  readonly b: { ns: string; dev: string; addr: string };
}

/** The namespaces and links of one test; `destroy` removes them (and the processes started in them). */
export class Netns {
  private readonly id = randomBytes(3).toString('hex');
  /** 10.<net>.<n>.0/30 for link n. */
  private readonly net = 100 + Math.floor(Math.random() * 150);
  private links = 0;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  /** The test's own namespace (the one this process runs in), as `link` names it. */
  static readonly HOST = '';

  /** A new namespace, its loopback up. */
  namespace(name: string): string {
    const ns = `brk${this.id}${name}`;
    ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between `nsA` and `nsB` (Netns.HOST: the test's), up, with an address on each side. */
  link(nsA: string, nsB: string): Link {
    const n = ++this.links;
    const devA = `bk${this.id}${n}a`;
    const devB = `bk${this.id}${n}b`;
    const prefix = `10.${this.net}.${n}`;
    ip(['link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    const side = (ns: string, dev: string, host: number) => {
      if (ns !== Netns.HOST) ip(['link', 'set', dev, 'netns', ns]);
      ipIn(ns, ['addr', 'add', `${prefix}.${host}/30`, 'dev', dev]);
      ipIn(ns, ['link', 'set', dev, 'up']);
      return { ns, dev, addr: `${prefix}.${host}` };
    };
    return { a: side(nsA, devA, 1), b: side(nsB, devB, 2) };
  }

  /** The link cut: its `a` side down (the other loses its carrier); nothing crosses it either way. */
  cut(link: Link): void {
    ipIn(link.a.ns, ['link', 'set', link.a.dev, 'down']);
  }

  /** The link back up (the addresses and their routes come back with it). */
  heal(link: Link): void {
    ipIn(link.a.ns, ['link', 'set', link.a.dev, 'up']);
  }

  /**
   * A broker in `ns` on `port`, listening on `addrs` (the first is the one the test
   * reaches from its namespace); returns once it answers PING with anything but -LOADING.
   */
  async broker(ns: string, addrs: string[], port: number, args: readonly string[]): Promise<{ child: ChildProcess; output(): string; port: number; host: string }> {
    const argv = [
      'netns', 'exec', ns, process.execPath, BROKER_BIN,
      '--port', String(port), '--bind', ...addrs,
      '--dir', tempDir('netns-'), '--appendonly', 'no', '--save', '', '--http-port', '0',
      // Reached from other namespaces, on links that lead nowhere else.
      '--protected-mode', 'no',
      ...args,
    ];
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const host = addrs[0];
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`broker in ${ns} exited with ${child.exitCode}: ${output}`);
      if (i > 600) throw new Error(`broker in ${ns} did not start: ${output}`);
      if (await answers(host, port)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { child, output: () => output, port, host };
  }

  /** Stops the brokers, then removes the namespaces (their veth ends, and so every pair, go with them). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
    // A pair with both ends in the test's namespace would stay: none is made, but be sure.
    for (let n = 1; n <= this.links; n++) spawnSync('ip', ['link', 'del', `bk${this.id}${n}a`], { stdio: 'ignore' });
  }
}

/** True once `host:port` answers PING with something else than -LOADING. */
async function answers(host: string, port: number): Promise<boolean> {
  const reachable = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!reachable) return false;
  const c = await RawClient.connect(port, host);
  try {
    return !(await c.call('PING')).raw.toString('latin1').startsWith('-LOADING');
  } finally {
    c.close();
  }
}
