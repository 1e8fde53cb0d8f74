/**
 * Every configuration parameter against redis-server 7.0: CONFIG GET * lists the same
 * names (plus the broker's own, listed here), and CONFIG SET of each with valid and
 * invalid values of every type answers byte for byte as redis-server does, the value
 * CONFIG GET shows afterwards included. `port` and `bind` rebind the listeners: their
 * own tests are in test/server/rebind.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite, show } from '../harness/diff.js';

/** This broker's own parameters (README, "Configuration"): HTTP, metrics, the gateway, the log format. */
const BROKER_OWN = [
  'gateway-heartbeat-interval',
  'gateway-max-frame-bytes',
  'gateway-max-sessions',
  'gateway-session-buffer-limit',
  'http-metrics-auth',
  'http-port',
  'log-format',
  'metrics-exclude-keys',
  'metrics-include-keys',
  'metrics-max-keys',
];

/** Values every parameter is tried with: each type's valid and invalid forms, and the edges of its ranges. */
const VALUES = [
  'yes', 'no', 'YES', 'maybe', '0', '1', '-1', '100', '+5', '05', '1.5', '', 'x', '64mb', '1kb', '1K', '3G', '1b', '1tb',
  '2147483647', '2147483648', '-2147483649', '4294967295', '4294967296', '9223372036854775807', '9223372036854775808',
  '-9223372036854775808', '18446744073709551615', '10%', '101%', 'local', 'default', 'now force', 'save nosave',
];

/** Values a parameter is tried with besides VALUES (and the valid ones its enum error lists). */
const EXTRA: Record<string, string[]> = {
  save: ['900 1 300 10', '0 1', '1 2 3', '10 -1', '3600 1  300 10'],
  'client-output-buffer-limit': ['pubsub 32mb 8mb 60', 'replica 256mb 64mb 60', 'slave 1gb 1gb 0', 'master 1 1 1', 'normal 1x 0 0', 'pubsub 1 1 -1', 'pubsub 1 1'],
  'latency-tracking-info-percentiles': ['50 99.9', '101', '1e1 2', '0.5 .5 5.', '-0.1', 'abc 1'],
  'notify-keyspace-events': ['KEA', 'Kz$', 'AKEn', 'Em', 'q'],
  'oom-score-adj-values': ['0 200 800', '100 50 10', '-2000 0 2000', '1 2', '1 2 x', '2001 0 0'],
  'proc-title-template': ['{title}', '{title} {port} {config-file}', '{foo}', '{title', '{{x}}', '{}'],
  'cluster-announce-hostname': ['a-b.c9', 'a_b'],
  'shutdown-on-sigint': ['nosave now', 'default now', 'force save', 'now  force'],
  'shutdown-on-sigterm': ['SAVE', 'now,save'],
  'replica-announce-ip': ['10.0.0.1'],
  dbfilename: ['a/b'],
  requirepass: ['pw'],
  maxmemory: ['1gb'],
};

/**
 * Values left out: those that would cut the test's own connection off (a 1-byte memory
 * limit for every client), and maxclients in the billions, for which redis-server spends
 * minutes lowering its open-files request 16 at a time.
 */
const SKIPPED: Record<string, Set<string>> = {
  'maxmemory-clients': new Set(['1', '100', '+5', '05', '1kb', '1K', '1b', '3G']),
  maxclients: new Set(['2147483647', '2147483648', '4294967295']),
};

/** The valid values an enum's error lists ("argument(s) must be one of the following: a, b, c"). */
function enumValues(reply: Buffer): string[] {
  const m = /must be one of the following: ([^\r]*)\r\n/.exec(reply.toString('latin1'));
  return m === null ? [] : m[1].split(', ').flatMap((v) => [v, v.toUpperCase()]);
}

/** A CONFIG GET reply's values by name (redis-server's order is its hash table's). */
function byName(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
  return map;
}

describe.skipIf(!hasRedisServer())('every configuration parameter vs redis-server', () => {
  // The broker's own defaults that differ from redis-server's are aligned here (README, "Configuration").
  const { p } = diffSuite({ ours: ['--maxmemory-clients', '0'] });

  it('CONFIG GET * lists the same parameters, plus the broker\'s own', async () => {
    const { ours, ref } = await p.both('CONFIG', 'GET', '*');
    const ourNames = [...byName(ours.value as string[]).keys()].sort();
    const refNames = [...byName(ref.value as string[]).keys()].sort();
    expect(refNames.length).toBe(192);
    expect(ourNames).toEqual([...refNames, ...BROKER_OWN].sort());
  });

  it('CONFIG SET answers as redis-server for every parameter and value', async () => {
    const mismatches: string[] = [];
    const names = [...byName((await p.ref.call('CONFIG', 'GET', '*')).value as string[]).keys()].sort();
    for (const name of names.filter((n) => n !== 'port' && n !== 'bind')) {
      const original = {
        ours: ((await p.ours.call('CONFIG', 'GET', name)).value as string[])[1],
        ref: ((await p.ref.call('CONFIG', 'GET', name)).value as string[])[1],
      };
      const probe = await p.both('CONFIG', 'SET', name, 'x-invalid');
      const values = [...VALUES, ...(EXTRA[name] ?? []), ...enumValues(probe.ref.raw)].filter((v) => !SKIPPED[name]?.has(v));
      // `dir` is each server's own scratch directory: only the replies to SET are compared.
      const commands = values.flatMap((v) => [['CONFIG', 'SET', name, v], ...(name === 'dir' ? [] : [['CONFIG', 'GET', name]])]);
      mismatches.push(...(await p.differences(commands)));
      await p.ours.call('CONFIG', 'SET', name, original.ours);
      await p.ref.call('CONFIG', 'SET', name, original.ref);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('sets several parameters at once, aliases included, as redis-server', async () => {
    await p.samePipeline([
      ['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes', 'slave-lazy-flush', 'yes', 'replica-lazy-flush', 'no'],
      ['CONFIG', 'GET', '*lazy*'],
      ['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no', 'activerehashing', 'maybe'],
      ['CONFIG', 'GET', 'lazyfree-lazy-user-del'],
      ['CONFIG', 'SET', 'tls-port', '0', 'tls-port', '0'],
      ['CONFIG', 'SET', 'io-threads', '2'],
    ], (raw) => show(sortedPairs(raw)));
  });
});

/** A flat RESP2 array of name/value pairs with its pairs sorted, so hash-table order does not matter. */
function sortedPairs(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  if (!text.startsWith('*')) return raw;
  const items = text.split('\r\n').slice(1, -1);
  const pairs: string[] = [];
  for (let i = 0; i + 3 < items.length; i += 4) pairs.push(items.slice(i, i + 4).join('\r\n'));
  return Buffer.from(`${text.split('\r\n')[0]}\r\n${pairs.sort().join('\r\n')}\r\n`, 'latin1');
}

if (!hasRedisServer()) it.skip(NO_REDIS, () => undefined);
