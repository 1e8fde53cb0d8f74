/**
 * The servers and clients a describe block (or a file, at its top level) shares: each
 * function registers the vitest hooks that start what it names before the block's tests
 * and stop it after, and returns at once an object for the block's body to close over,
 * whose members answer from the first hook on (diff.ts's `suiteServers` does the same
 * for a broker and a redis-server side by side). A test that needs a server of its own
 * starts it itself (servers.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import { RawClient } from './raw.js';
import { startBroker, startRedis, type InProcessBroker, type RunningServer } from './servers.js';

export interface SuiteServerOptions {
  /** The starting hook's timeout in ms, where vitest's hookTimeout is not enough. */
  timeout?: number;
}

/**
 * Registers the hooks that start a server and stop it; returns a getter of the running
 * server, for a suite helper that wraps it in an object of its own (gateway/harness.ts).
 */
export function suiteRunning<S extends RunningServer>(what: string, start: () => Promise<S>, { timeout }: SuiteServerOptions): () => S {
  let started: S | undefined;
  beforeAll(async () => {
    started = await start();
  }, timeout);
  afterAll(() => started?.stop());
  return () => {
    if (started === undefined) throw new Error(`${what} used before its beforeAll started it`);
    return started;
  };
}

/** The server `start` makes (a client suite's target, say) for the block's tests. */
export function suiteServer(start: () => Promise<RunningServer>, options: SuiteServerOptions = {}): RunningServer {
  const running = suiteRunning('suite server', start, options);
  return {
    get port() {
      return running().port;
    },
    stop: () => running().stop(),
  };
}

/** Our broker in-process (`startBroker(args)`) for the block's tests. */
export function suiteBroker(args: readonly string[] = [], options: SuiteServerOptions = {}): InProcessBroker {
  const running = suiteRunning('suite broker', () => startBroker(args), options);
  return {
    get broker() {
      return running().broker;
    },
    get port() {
      return running().port;
    },
    stop: () => running().stop(),
  };
}

/** A reference redis-server (`startRedis(args)`) for the block's tests. */
export function suiteRedis(args: readonly string[] = [], options: SuiteServerOptions = {}): RunningServer {
  return suiteServer(() => startRedis(args), options);
}

/**
 * A client of `server` (a suite server's object, made before this), connected before
 * the block's tests and closed after them, before the server stops.
 */
export function suiteClient(server: Pick<RunningServer, 'port'>): RawClient {
  const client = RawClient.unopened();
  beforeAll(() => client.open(server.port));
  afterAll(() => client.close());
  return client;
}
