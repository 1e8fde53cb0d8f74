/**
 * The servers a real-client suite runs against: our broker always, and a real
 * redis-server when installed, so every expectation is checked against the reference
 * too (a test that fails on redis-server is a wrong test, not a broker bug).
 */
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type RunningServer } from '../harness/servers.js';

export interface Target {
  name: string;
  start(args?: string[]): Promise<RunningServer>;
}

export const TARGETS: Target[] = [
  { name: 'broker', start: (args) => startBroker(args) },
  ...(hasRedisServer() ? [{ name: 'redis-server', start: (args?: string[]) => startRedis(args) }] : []),
];

if (!hasRedisServer()) console.warn(NO_REDIS);
