/**
 * Random sequences of consumer group commands (fast-check, seeded), run pipelined
 * on our broker and on redis-server with every reply compared (clock fields within
 * a tolerance). IDs come from a small range so that adds, deletes, trims, reads,
 * claims and acknowledgements collide; time-based options use values whose outcome
 * does not depend on when a command runs (min idle 0 or an hour, TIME in the past).
 *
 * Then the effects: the same sequences on our broker with its effects recorded,
 * replayed on a fresh broker and on a fresh redis-server, must rebuild every stream
 * with the same entries, groups, consumers and pending entries (XINFO STREAM FULL,
 * consumers' seen times aside) and the same DEBUG DIGEST.
 */
import fc from 'fast-check';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type InProcessBroker, type RunningServer } from '../harness/servers.js';
import { diffSuite, show } from '../harness/diff.js';
import { expectSameTimed } from './stream-group-harness.js';

const DEBUG = ['--enable-debug-command', 'yes'];
/** Key arguments carry this mark; each run replaces it with a fresh prefix. */
const KEY = '\u0001';
const KEYS = ['a', 'b'];
const key = fc.constantFrom(...KEYS).map((k) => KEY + k);
const group = fc.constantFrom('g1', 'g2');
const consumer = fc.constantFrom('c1', 'c2', 'c3');
const ms = fc.integer({ min: 0, max: 30 });
const id = fc.oneof(
  fc.tuple(ms, fc.integer({ min: 0, max: 2 })).map(([m, s]) => `${m}-${s}`),
  ms.map(String),
  fc.constantFrom('0', '0-0', 'x'),
);
const groupStart = fc.oneof(id, fc.constant('$'));
const count = fc.integer({ min: -1, max: 6 }).map(String);
const minIdle = fc.constantFrom('0', '3600000', '-5');
const ids = fc.array(id, { minLength: 1, maxLength: 4 });

const claimOption = fc.oneof(
  fc.constantFrom(['FORCE'], ['JUSTID'], ['RETRYCOUNT', '3'], ['RETRYCOUNT', '0'], ['TIME', '1000'], ['TIME', '0'], ['IDLE', '0'], ['IDLE', '5000']),
  id.map((i) => ['LASTID', i]),
);

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(key, ms).map(([k, m]) => ['XADD', k, `${m}-*`, 'f', `v${m}`]) },
  { weight: 4, arbitrary: fc.tuple(key, ids).map(([k, i]) => ['XDEL', k, ...i]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.integer({ min: 2, max: 8 })).map(([k, n]) => ['XTRIM', k, 'MAXLEN', String(n)]) },
  { weight: 1, arbitrary: fc.tuple(key, id).map(([k, i]) => ['XTRIM', k, 'MINID', i]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(key, id, fc.constantFrom([], ['ENTRIESADDED', '40'], ['MAXDELETEDID', '20-0']))
      .map(([k, i, o]) => ['XSETID', k, i, ...o]),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(key, group, groupStart, fc.constantFrom([], ['MKSTREAM'], ['ENTRIESREAD', '2'], ['MKSTREAM', 'ENTRIESREAD', '-1']))
      .map(([k, g, i, o]) => ['XGROUP', 'CREATE', k, g, i, ...o]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(key, group, groupStart, fc.constantFrom([], ['ENTRIESREAD', '1'])).map(([k, g, i, o]) => ['XGROUP', 'SETID', k, g, i, ...o]),
  },
  { weight: 1, arbitrary: fc.tuple(key, group).map(([k, g]) => ['XGROUP', 'DESTROY', k, g]) },
  { weight: 2, arbitrary: fc.tuple(key, group, consumer).map(([k, g, c]) => ['XGROUP', 'CREATECONSUMER', k, g, c]) },
  { weight: 2, arbitrary: fc.tuple(key, group, consumer).map(([k, g, c]) => ['XGROUP', 'DELCONSUMER', k, g, c]) },
  {
    weight: 16,
    arbitrary: fc
      .tuple(group, consumer, fc.constantFrom([], ['COUNT', '1'], ['COUNT', '2']), fc.constantFrom([], ['NOACK']), key, fc.oneof(fc.constant('>'), fc.constant('>'), id))
      .map(([g, c, n, noack, k, i]) => ['XREADGROUP', 'GROUP', g, c, ...n, ...noack, 'STREAMS', k, i]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(group, consumer).map(([g, c]) => ['XREADGROUP', 'GROUP', g, c, 'COUNT', '3', 'STREAMS', `${KEY}a`, `${KEY}b`, '>', '>']),
  },
  { weight: 8, arbitrary: fc.tuple(key, group, ids).map(([k, g, i]) => ['XACK', k, g, ...i]) },
  { weight: 2, arbitrary: fc.tuple(key, group).map(([k, g]) => ['XPENDING', k, g]) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(key, group, fc.constantFrom([], ['IDLE', '0'], ['IDLE', '3600000']), count, fc.constantFrom([], ['c1'], ['c2']))
      .map(([k, g, idle, n, c]) => ['XPENDING', k, g, ...idle, '-', '+', n, ...c]),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(key, group, consumer, minIdle, ids, fc.array(claimOption, { maxLength: 3 }))
      .map(([k, g, c, m, i, o]) => ['XCLAIM', k, g, c, m, ...i, ...o.flat()]),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(key, group, consumer, minIdle, fc.oneof(id, fc.constant('-')), fc.constantFrom([], ['COUNT', '1'], ['COUNT', '3']), fc.constantFrom([], ['JUSTID']))
      .map(([k, g, c, m, s, n, j]) => ['XAUTOCLAIM', k, g, c, m, s, ...n, ...j]),
  },
  { weight: 2, arbitrary: key.map((k) => ['XINFO', 'GROUPS', k]) },
  { weight: 2, arbitrary: fc.tuple(key, group).map(([k, g]) => ['XINFO', 'CONSUMERS', k, g]) },
  { weight: 4, arbitrary: fc.tuple(key, fc.constantFrom([], ['COUNT', '2'])).map(([k, n]) => ['XINFO', 'STREAM', k, 'FULL', ...n]) },
  { weight: 2, arbitrary: key.map((k) => ['XINFO', 'STREAM', k]) },
  { weight: 1, arbitrary: fc.tuple(key, key).map(([a, b]) => ['COPY', a, b]) },
  { weight: 1, arbitrary: fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]) },
  { weight: 1, arbitrary: key.map((k) => ['DEL', k]) },
);

/** Every sequence starts with both streams holding entries and groups, so that most commands find them. */
const PRELUDE: string[][] = [
  ...[3, 5, 8, 13, 21].map((m) => ['XADD', `${KEY}a`, `${m}-*`, 'f', `v${m}`]),
  ...[2, 9].map((m) => ['XADD', `${KEY}b`, `${m}-*`, 'f', `v${m}`]),
  ['XGROUP', 'CREATE', `${KEY}a`, 'g1', '0'],
  ['XGROUP', 'CREATE', `${KEY}a`, 'g2', '5'],
  ['XGROUP', 'CREATE', `${KEY}b`, 'g1', '0'],
  ['XGROUP', 'CREATE', `${KEY}b`, 'g2', '$'],
];
const sequence = fc.array(command, { minLength: 20, maxLength: 70 }).map((commands) => [...PRELUDE, ...commands]);

/** Replaces the key mark with a per-run prefix. */
function withPrefix(commands: string[][], prefix: string): string[][] {
  return commands.map((argv) => argv.map((a) => (a.startsWith(KEY) ? prefix + a.slice(1) : a)));
}

for (const [entries, seed] of [
  [3, 0x6a01],
  [100, 0x6a02],
] as const) {
  describe.skipIf(!hasRedisServer())(`random consumer group sequences vs redis-server (node ${entries} entries)`, () => {
    const args = ['--stream-node-max-entries', String(entries), ...DEBUG];
    const { p } = diffSuite({ ours: args, ref: args });
    let run = 0;

    it('gives the same replies to 120 random sequences', async () => {
      await fc.assert(
        fc.asyncProperty(sequence, async (commands) => {
          const argvs = withPrefix(commands, `rnd${run++}:`);
          const [ours, ref] = await Promise.all([p.ours.pipeline(argvs), p.ref.pipeline(argvs)]);
          argvs.forEach((argv, i) => expectSameTimed(ours[i].raw, ref[i].raw, `reply to ${JSON.stringify(argv)}`));
        }),
        { numRuns: 120, seed },
      );
    });
  });
}

describe.skipIf(!hasRedisServer())('random consumer group sequences: effects replay', () => {
  let source: InProcessBroker;
  let replica: InProcessBroker;
  let ref: RunningServer;
  let clients: RawClient[];
  const effects: TextEffect[] = [];
  beforeAll(async () => {
    [source, replica, ref] = await Promise.all([startBroker(DEBUG), startBroker(DEBUG), startRedis(DEBUG)]);
    source.broker.engine.onEffects((unit) => effects.push(...effectsAsText(unit)));
    clients = await Promise.all([source, replica, ref].map((s) => RawClient.connect(s.port)));
  });
  afterAll(async () => {
    for (const c of clients ?? []) c.close();
    await Promise.all([source, replica, ref].map((s) => s?.stop()));
  });

  it('rebuilds the same streams and groups on a fresh broker and on redis-server', async () => {
    const [src, ours, theirs] = clients;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(sequence, async (commands) => {
        const prefix = `rep${run++}:`;
        effects.length = 0;
        await src.pipeline(withPrefix(commands, prefix));
        const replay = effects.map((e) => e.argv);
        expect(effects.every((e) => e.db === 0)).toBe(true);
        await Promise.all([ours.pipeline(replay), theirs.pipeline(replay)]);
        const checks = KEYS.flatMap((k) => [['XINFO', 'STREAM', prefix + k, 'FULL', 'COUNT', '0'], ['DEBUG', 'DIGEST-VALUE', prefix + k]]);
        const [want, got, gotRef] = await Promise.all(clients.map((c) => c.pipeline(checks)));
        checks.forEach((argv, i) => {
          expectSameTimed(got[i].raw, want[i].raw, `broker replay: ${argv.join(' ')}`, true);
          expectSameTimed(gotRef[i].raw, want[i].raw, `redis-server replay: ${argv.join(' ')}`, true);
        });
      }),
      { numRuns: 60, seed: 0x6a03 },
    );
    const digests = await Promise.all(clients.map((c) => c.call('DEBUG', 'DIGEST')));
    expect(show(digests[1].raw)).toBe(show(digests[0].raw));
    expect(show(digests[2].raw)).toBe(show(digests[0].raw));
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
