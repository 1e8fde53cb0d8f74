/**
 * Servers for tests: our broker in-process or as a child process, and a reference
 * redis-server, each on a free loopback port, stopped by the test that started it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Broker } from '../../broker/server.js';
import { HttpServer } from '../../broker/http/server.js';
import { attachReplication } from '../../broker/replication/replication.js';
import { tempDir } from './temp.js';
import { RawClient } from './raw.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The project root, whether this file runs from test/harness or compiled from dist/test/harness. */
const ROOT = path.basename(path.resolve(HERE, '../..')) === 'dist' ? path.resolve(HERE, '../../..') : path.resolve(HERE, '../..');
/** The built entry point (`npm test` builds first). */
export const BROKER_BIN = path.join(ROOT, 'dist/broker/main.js');

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

export interface InProcessBroker extends RunningServer {
  broker: Broker;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The directory a server started here works in unless a test passes `--dir`: a temp
 * directory of its own, removed when the test file is done (temp.ts), so that nothing a
 * server saves (SHUTDOWN SAVE, an AOF a test turns on) lands in the repository, and the
 * broker and the reference never read each other's dump.rdb.
 */
function scratchDir(): string {
  return tempDir('broker-test-');
}

/**
 * Our broker's defaults for tests: the scratch dir, no AOF (this broker's default
 * is `appendonly yes`) nor snapshots (the AOF off, `save` would take redis-server's
 * default), and no HTTP listener (its default port is one for all). They come first, so a test's own `--dir` or `--appendonly`
 * wins (a later flag overrides an earlier one).
 */
function brokerArgs(args: readonly string[]): string[] {
  return ['--dir', scratchDir(), '--appendonly', 'no', '--save', '', '--http-port', '0', ...args];
}

/** Our broker in this process, on a free port, logging nothing. */
export async function startBroker(args: readonly string[] = []): Promise<InProcessBroker> {
  const broker = new Broker({ args: ['--port', '0', '--bind', '127.0.0.1', ...brokerArgs(args)], log: pino({ level: 'silent' }) });
  attachReplication(broker);
  await broker.start();
  return { broker, port: broker.port, stop: () => broker.stop() };
}

/**
 * Our broker in this process with its HTTP server (broker/http/) on a free port, as
 * main.ts builds them. `port` is read once the broker is loaded (with `loaded: false`,
 * from `broker.port` once `started` resolves).
 */
export async function startBrokerWithHttp(
  args: readonly string[] = [],
  { loaded = true, setup }: { loaded?: boolean; setup?: (http: HttpServer, broker: Broker) => void } = {},
): Promise<InProcessBroker & { http: HttpServer; httpPort: number; started: Promise<void> }> {
  let http: HttpServer | null = null;
  const broker = new Broker({
    args: ['--port', '0', '--bind', '127.0.0.1', ...brokerArgs(['--http-port', String(await freePort()), ...args])],
    log: pino({ level: 'silent' }),
    respPortHttp: (head) => http!.inject(head),
  });
  const server = (http = new HttpServer(broker));
  attachReplication(broker);
  // What main.ts adds to the HTTP server besides (the WebSocket gateway), before it listens.
  setup?.(server, broker);
  await server.listen();
  // With `loaded: false`, returns while the dataset loads (the HTTP server answers meanwhile).
  const started = broker.start();
  if (loaded) await started;
  const stop = async (): Promise<void> => {
    await server.close();
    await started.catch(() => undefined);
    await broker.stop();
  };
  return { broker, http: server, port: broker.port, httpPort: server.port, stop, started };
}

/**
 * Our broker as a child process (`node dist/broker/main.js`); `output` is what it printed
 * so far. Returns once its dataset is loaded, or with `loaded: false` as soon as it
 * accepts connections (it answers -LOADING while it loads). `openFiles` runs it under
 * that `ulimit -n` (soft and hard); `port` restarts a broker where one was.
 */
export async function spawnBroker(
  args: readonly string[] = [],
  { loaded = true, openFiles, port: where }: { loaded?: boolean; openFiles?: number; port?: number } = {},
): Promise<RunningServer & { child: ChildProcess; output(): string }> {
  const port = where ?? (await freePort());
  const argv = [BROKER_BIN, '--port', String(port), '--bind', '127.0.0.1', ...brokerArgs(args)];
  const child =
    openFiles === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -n ${openFiles} && exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = await waitForPort(port, child);
  if (loaded) await untilLoaded(port, child);
  return { port, child, output, stop: () => stopChild(child) };
}

/** In CI (CI=true) a suite whose component is missing fails: a skip there is a silent green. */
export const IN_CI = process.env.CI === 'true';

/**
 * Whether a component a suite needs (redis-server, redis-cli, a tmpfs mount) is
 * present. Outside CI the suite skips with `message` when it is not; in CI this
 * throws, which fails the test file that asked.
 */
export function componentPresent(present: boolean, message: string): boolean {
  if (!present && IN_CI) throw new Error(`${message}; CI=true, where a missing component fails its suite instead of skipping it`);
  return present;
}

/** The version of redis-server whose replies the broker matches (the reference). */
const REFERENCE_VERSION = /^Redis server v=7\.0\.\d+ /;

let redisVersion: string | null | undefined;

/**
 * Whether a redis-server binary is installed; suites skip with NO_REDIS when not
 * (fail in CI). One of another version than 7.0.x is an error everywhere: its
 * replies are not the ones the broker matches, and the comparisons would mislead.
 */
export function hasRedisServer(): boolean {
  if (redisVersion === undefined) {
    const run = spawnSync('redis-server', ['--version'], { encoding: 'latin1' });
    redisVersion = run.status === 0 ? run.stdout.trim() : null;
  }
  if (redisVersion !== null && !REFERENCE_VERSION.test(redisVersion)) {
    throw new Error(`the reference must be redis-server 7.0.x, and the one on the PATH says: ${redisVersion}`);
  }
  return componentPresent(redisVersion !== null, NO_REDIS);
}

export const NO_REDIS = 'redis-server is not installed (apt-get install redis-server): reference comparison skipped';

/** A reference redis-server on a free port, without persistence. */
export async function startRedis(args: readonly string[] = []): Promise<RunningServer & { child: ChildProcess; output(): string }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', scratchDir(), '--save', '', '--appendonly', 'no', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = await waitForPort(port, child);
  return { port, child, output, stop: () => stopChild(child) };
}

/** Waits until the server accepts connections; returns a getter of everything it printed. */
async function waitForPort(port: number, child: ChildProcess): Promise<() => string> {
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return () => output;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on port ${port} did not start: ${output}`);
}

/**
 * Until PING is answered with something else than -LOADING (NOAUTH, with a password,
 * says nothing of the load: a server with one is taken as loaded).
 */
async function untilLoaded(port: number, child: ChildProcess): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (let i = 0; i < 3000; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} while loading`);
      if (!(await c.call('PING')).raw.toString('latin1').startsWith('-LOADING')) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    c.close();
  }
  throw new Error(`server on port ${port} did not finish loading`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
