/**
 * The skeleton of the random differential suites (test/diff/*-random.test.ts): seeded
 * fast-check sequences of one family's commands, sent pipelined to our broker and to
 * redis-server and compared reply by reply, each sequence on keys of its own (or after
 * a FLUSHALL) and ending with DEBUG DIGEST; then everything our broker propagated
 * meanwhile, replayed on a fresh redis-server (and a fresh broker), must rebuild the
 * same dataset. A suite file gives its command generator and what differs.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { effectsAsText, replayedDigest, type TextEffect } from './effects.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis } from './servers.js';
import { diffSuite } from './diff.js';

/** Key arguments start with this mark; each sequence replaces it with a prefix of its own. */
export const KEY = '\u0001';

export interface RandomDiffSuite {
  /** What the sequences are made of, for the describe title ("sorted set commands"). */
  family: string;
  command: fc.Arbitrary<string[]>;
  seed: number;
  runs?: number;
  minLength?: number;
  maxLength?: number;
  /** Server arguments beyond --enable-debug-command (both get those when `digest`). */
  oursArgs?: readonly string[];
  refArgs?: readonly string[];
  /** Commands run once on both after connecting (CONFIG SET ...). */
  setup?: readonly (readonly string[])[];
  /** Renders a raw reply for comparison (`show`: byte for byte). */
  view?: (raw: Buffer) => string;
  /** Each sequence starts with FLUSHALL (so a failing digest shrinks to its own sequence). */
  flush?: boolean;
  /** Each sequence ends with DEBUG DIGEST, and the effects are replayed (default true). */
  digest?: boolean;
  /** Where the effects are replayed: a fresh redis-server, and a fresh broker too. */
  replayOnBroker?: boolean;
  /** Each sequence runs in RESP2 or RESP3, at random (default true). */
  resp3?: boolean;
  /** An error a replayed effect may answer: a command propagated though it failed midway (its changes kept). */
  replayError?: string;
}

/** Declares the suite (a describe block, skipped without redis-server). */
export function randomDiffSuite(suite: RandomDiffSuite): void {
  const digest = suite.digest ?? true;
  const debug = digest ? ['--enable-debug-command', 'yes'] : [];
  describe.skipIf(!hasRedisServer())(`random ${suite.family} sequences vs redis-server`, () => {
    const { servers, p } = diffSuite({ ours: [...debug, ...(suite.oursArgs ?? [])], ref: [...debug, ...(suite.refArgs ?? [])] });
    let run = 0;
    const units: TextEffect[][] = [];
    beforeAll(async () => {
      servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
      for (const argv of suite.setup ?? []) await p.same(...argv);
    });

    /** Sends the whole sequence pipelined to both servers and compares reply by reply. */
    async function compare(commands: string[][], resp3: boolean): Promise<void> {
      const prefix = `rnd${run++}:`;
      const argvs = commands.map((argv) => argv.map((a) => (a.startsWith(KEY) ? prefix + a.slice(1) : a)));
      if (suite.flush === true) argvs.unshift(['FLUSHALL']);
      if (digest) argvs.push(['DEBUG', 'DIGEST']);
      if (resp3) await p.both('HELLO', '3');
      try {
        await p.samePipeline(argvs, suite.view);
      } finally {
        if (resp3) await p.both('HELLO', '2');
      }
    }

    const runs = suite.runs ?? 200;
    const sequences = fc.array(suite.command, { minLength: suite.minLength ?? 20, maxLength: suite.maxLength ?? 60 });
    const protocols = suite.resp3 === false ? fc.constant(false) : fc.boolean();
    it(`gives the same replies to ${runs} random sequences${suite.resp3 === false ? '' : ' (RESP2 and RESP3)'}`, async () => {
      await fc.assert(
        fc.asyncProperty(sequences, protocols, (commands, resp3) => compare(commands, resp3)),
        { numRuns: runs, seed: suite.seed },
      );
    });

    if (!digest) return;
    it(`propagates effects that rebuild the same dataset on a fresh redis-server${suite.replayOnBroker === true ? ' and a fresh broker' : ''}`, async () => {
      expect(units.length).toBeGreaterThan(runs);
      const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
      for (const start of [startRedis, ...(suite.replayOnBroker === true ? [startBroker] : [])]) {
        // The same settings, so the replayed commands build values the same way.
        const options = { args: debug, start, setup: suite.setup, tolerated: suite.replayError };
        expect(await replayedDigest(units, options)).toBe(ours);
      }
    });
  });
  if (!hasRedisServer()) console.warn(NO_REDIS);
}
