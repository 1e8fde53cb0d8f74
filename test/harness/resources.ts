/**
 * What a test starts for itself (servers, clients, loads), released after it whether
 * it passed or not: for the files whose tests each need fresh servers, where a describe
 * block's shared ones (suite.ts) would carry one test's state into the next.
 */
import { afterEach } from 'vitest';
import { RawClient } from './raw.js';
import type { RunningServer } from './servers.js';

/** The servers, clients and loads of one test file's tests. */
export interface TestResources {
  readonly servers: RunningServer[];
  readonly clients: RawClient[];
  /** Loads to stop before the servers go, whether the test passed or not. */
  readonly loads: (() => Promise<void>)[];
  /** `count` connections to `port`, closed after the test. */
  connect(port: number, count?: number): Promise<RawClient[]>;
}

/**
 * What the calling test file's tests start, released after each test (an afterEach it
 * registers): loads stopped first, then clients closed, then servers stopped, newest first.
 */
export function testResources(): TestResources {
  const servers: RunningServer[] = [];
  const clients: RawClient[] = [];
  const loads: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of loads.splice(0)) await stop().catch(() => undefined);
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0).reverse()) await s.stop();
  });
  return {
    servers,
    clients,
    loads,
    async connect(port, count = 1) {
      const made = await Promise.all(Array.from({ length: count }, () => RawClient.connect(port)));
      clients.push(...made);
      return made;
    },
  };
}
