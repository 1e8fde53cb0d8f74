/**
 * Random sequences (fast-check, seeded) of MULTI, EXEC, DISCARD, WATCH and UNWATCH
 * mixed with string, list and keyspace commands, sent by two clients in turn to our
 * broker and to redis-server, every raw reply compared. The second client writes the
 * keys the first one watches (and the other way round), in both dbs, so EXEC meets
 * every kind of invalidation; queue-time errors, misuse (nested MULTI, WATCH inside
 * MULTI, EXEC without MULTI) and blocking commands (which answer at once inside EXEC)
 * are included. No key gets a TTL short enough to expire during a run, so every
 * reply is deterministic. Each run ends with DEBUG DIGEST; finally, everything our
 * broker propagated, replayed with multi-effect units wrapped in MULTI/EXEC on a
 * fresh redis-server and a fresh broker, must rebuild the same dataset.
 */
import fc from 'fast-check';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis } from '../harness/servers.js';
import { diffSuite, show, type DiffPair } from '../harness/diff.js';

const key = fc.constantFrom('a', 'b', 'l');
const value = fc.constantFrom('1', 'x', '');
const db = fc.constantFrom('0', '1');

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<string[]>(['MULTI']) },
  { weight: 5, arbitrary: fc.constant<string[]>(['EXEC']) },
  { weight: 1, arbitrary: fc.constant<string[]>(['DISCARD']) },
  { weight: 4, arbitrary: fc.array(key, { minLength: 1, maxLength: 2 }).map((ks) => ['WATCH', ...ks]) },
  { weight: 1, arbitrary: fc.constant<string[]>(['UNWATCH']) },
  { weight: 4, arbitrary: fc.tuple(key, value).map(([k, v]) => ['SET', k, v]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('GET', 'INCR', 'DEL', 'EXISTS', 'TYPE', 'PERSIST', 'LLEN', 'RPOP'), key).map((argv) => [...argv]) },
  fc.tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(key, fc.constantFrom('100', '0', '-1')).map(([k, t]) => ['EXPIRE', k, t]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  fc.tuple(key, db).map(([k, d]) => ['MOVE', k, d]),
  { weight: 2, arbitrary: db.map((d) => ['SELECT', d]) },
  fc.constantFrom<string[]>(['SWAPDB', '0', '1'], ['SWAPDB', '1', '1'], ['FLUSHDB']),
  { weight: 3, arbitrary: fc.tuple(key, value).map(([k, v]) => ['LPUSH', k, v]) },
  fc.tuple(key).map(([k]) => ['LRANGE', k, '0', '-1']),
  fc.tuple(key, value).map(([k, v]) => ['LREM', k, '0', v]),
  fc.tuple(key, key).map(([a, b]) => ['LMOVE', a, b, 'LEFT', 'RIGHT']),
  // Outside MULTI, an empty list makes it wait 1 ms on both servers (nothing else runs meanwhile).
  fc.tuple(key).map(([k]) => ['BLPOP', k, '0.001']),
  fc.constantFrom<string[]>(['NOSUCH'], ['GET'], ['MULTI', 'x'], ['EXEC', 'x'], ['WATCH'], ['DISCARD', 'x']),
);

type Step = [client: number, argv: string[]];
const client = fc.constantFrom(0, 1);

/**
 * Steps: single commands of either client, or a whole transaction of one client
 * (MULTI, a few commands, EXEC or rarely DISCARD), so that complete transactions
 * are frequent and single steps still interleave with them.
 */
const steps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(client, command).map((s): Step[] => [s]) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(client, fc.array(command, { minLength: 1, maxLength: 5 }), fc.constantFrom('EXEC', 'EXEC', 'EXEC', 'DISCARD'))
          .map(([c, body, end]): Step[] => [[c, ['MULTI']], ...body.map((argv): Step => [c, argv]), [c, [end]]]),
      },
    ),
    { minLength: 10, maxLength: 30 },
  )
  .map((chunks) => chunks.flat());

describe.skipIf(!hasRedisServer())('random transactions vs redis-server', () => {
  const debug = ['--enable-debug-command', 'yes'];
  // A high hz keeps redis-server's 1 ms blocking timeouts short.
  const { servers, p } = diffSuite({ ours: debug, ref: [...debug, '--hz', '500'] });
  let clients: DiffPair[];
  const units: TextEffect[][] = [];
  beforeAll(async () => {
    servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
    clients = [p, await servers.pair()];
  });

  async function compare(sequence: Step[], resp3: boolean): Promise<void> {
    // RESET: out of MULTI, nothing watched, db 0, RESP2.
    for (const p of clients) await p.same('RESET');
    await clients[0].same('FLUSHALL');
    if (resp3) await clients[0].both('HELLO', '3');
    for (const [i, argv] of sequence) await clients[i].same(...argv);
    await clients[0].same('DEBUG', 'DIGEST');
  }

  it('gives byte-identical replies to 200 random two-client sequences (RESP2 and RESP3)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.boolean(), (sequence, resp3) => compare(sequence, resp3)),
      { numRuns: 200, seed: 0x7a5c },
    );
  });

  it('propagates effects that, replayed with MULTI/EXEC around each unit, rebuild the same dataset', async () => {
    expect(units.filter((u) => u.length > 1).length).toBeGreaterThan(100);
    const ours = (await clients[0].same('DEBUG', 'DIGEST')).raw.toString();
    const debug = ['--enable-debug-command', 'yes'];
    for (const fresh of await Promise.all([startRedis(debug), startBroker(debug)])) {
      const replay = await RawClient.connect(fresh.port);
      try {
        let selected = 0;
        for (const unit of units) {
          const wrap = unit.length > 1;
          if (wrap) await replay.call('MULTI');
          for (const e of unit) {
            if (e.db !== selected) await replay.call('SELECT', String((selected = e.db)));
            const reply = show((await replay.call(...e.argv)).raw);
            expect(reply.startsWith('"-'), `effect ${JSON.stringify(e.argv)}: ${reply}`).toBe(false);
          }
          if (wrap) {
            const reply = show((await replay.call('EXEC')).raw);
            expect(reply, `unit ${JSON.stringify(unit)}`).not.toMatch(/\\r\\n-/);
          }
        }
        expect((await replay.call('DEBUG', 'DIGEST')).raw.toString()).toBe(ours);
      } finally {
        replay.close();
        await fresh.stop();
      }
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
