/**
 * Rewrites under load, killed at random moments (real processes): 20 rounds of
 * writers plus a client asking for BGREWRITEAOF over and over, SIGKILL, restart on
 * the same files. After every restart the dataset must be exactly the one the
 * surviving units describe (DEBUG DIGEST against a reference broker that applied the
 * same units), every acknowledged unit must have survived (appendfsync always), and
 * the AOF directory must check as valid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { startBroker, type InProcessBroker } from '../harness/servers.js';
import { checkAof } from '../../broker/persistence/aof/check.js';
import { prng } from '../harness/prng.js';
import { digest, kill9, sleep, startAof, tempDir, type Spawned } from './proc.js';

const ROUNDS = 20;
const WRITERS = 8;
/**
 * Keys loaded first, with large values: a rewrite then lasts long enough for kills to
 * land inside one, while DEBUG DIGEST (per-key cost) stays quick.
 */
const PRELOAD_KEYS = 5000;
const PRELOAD_VALUE = 'x'.repeat(2000);

/** Unit n of writer i: the same commands against the broker and the reference. */
function unit(i: number, n: number): string[][] {
  return [
    ['MULTI'],
    ['INCR', `w${i}:n`],
    ['RPUSH', `w${i}:list`, `v${n}`],
    ['XADD', `w${i}:s`, `${n}-1`, 'f', `v${n}`, 'g', 'x'.repeat(n % 40)],
    ['SET', `w${i}:last`, `v${n}`, 'PXAT', String(4_000_000_000_000 + n)],
    ['EXEC'],
  ];
}

function preload(): string[][] {
  const commands: string[][] = [];
  for (let k = 0; k < PRELOAD_KEYS; k += 100) {
    commands.push(['MSET', ...Array.from({ length: 100 }, (_, j) => [`pre:${k + j}`, `${k + j}:${PRELOAD_VALUE}`]).flat()]);
  }
  for (let e = 1; e <= 1000; e++) commands.push(['XADD', 'pre:stream', `${e}-0`, 'field', `entry-${e}`]);
  for (let l = 0; l < 20; l++) commands.push(['RPUSH', `pre:list:${l}`, ...Array.from({ length: 100 }, (_, j) => `e${j}`)]);
  return commands;
}

describe('rewrite under load with kills at random moments', () => {
  let reference: InProcessBroker;
  const running: Spawned[] = [];
  afterAll(async () => {
    for (const s of running) await kill9(s);
    await reference?.stop();
  });

  // Twenty kill-restart rounds of real processes: on a machine busy with other work this
  // outlasts the suite's 60 s default, so the test has a budget of its own.
  it(`${ROUNDS} rounds: each restart holds exactly the surviving units`, async () => {
    const dir = tempDir('rewrite');
    const aofDir = path.join(dir, 'appendonlydir');
    const random = prng(42);
    const args = ['--appendfsync', 'always'];
    reference = await startBroker(['--enable-debug-command', 'yes']);
    const ref = await RawClient.connect(reference.port);
    let server = await startAof(dir, args);
    running.push(server);
    {
      const c = await RawClient.connect(server.port);
      await c.pipeline(preload(), 1000);
      c.close();
      await ref.pipeline(preload(), 1000);
    }
    /** Units each writer has in the reference. */
    const applied = new Array<number>(WRITERS).fill(0);
    let killedMidRewrite = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const sent = new Array<number>(WRITERS).fill(0);
      const acked = new Array<number>(WRITERS).fill(0);
      let stop = false;
      const writers = Array.from({ length: WRITERS }, async (_, i) => {
        const c = await RawClient.connect(server.port);
        try {
          for (let n = applied[i] + 1; !stop; n++) {
            c.write(Buffer.concat(unit(i, n).map((argv) => encodeCommand(argv))));
            sent[i] = n;
            const replies = await c.readMany(6);
            if (!Array.isArray(replies[5].value)) throw new Error(`EXEC: ${replies[5].raw.toString()}`);
            acked[i] = n;
          }
        } catch (err) {
          if (!(err instanceof Error) || !/connection closed/.test(err.message)) throw err;
        } finally {
          c.close();
        }
      });
      const rewriter = (async () => {
        const c = await RawClient.connect(server.port);
        try {
          while (!stop) {
            await c.call('BGREWRITEAOF');
            await sleep(5 + random() * 30);
          }
        } catch {
          // The kill.
        } finally {
          c.close();
        }
      })();
      await sleep(150 + random() * 500);
      stop = true;
      await kill9(server);
      await Promise.all([...writers, rewriter]);
      if (fs.readdirSync(aofDir).some((n) => n.startsWith('temp-rewriteaof'))) killedMidRewrite++;

      server = await startAof(dir, args);
      running.push(server);
      const c = await RawClient.connect(server.port);
      for (let i = 0; i < WRITERS; i++) {
        const k = Number((await c.call('GET', `w${i}:n`)).value ?? 0);
        expect(k, `round ${round} writer ${i}: acknowledged units`).toBeGreaterThanOrEqual(acked[i]);
        expect(k, `round ${round} writer ${i}: sent units`).toBeLessThanOrEqual(Math.max(sent[i], applied[i]));
        const units: string[][] = [];
        for (let n = applied[i] + 1; n <= k; n++) units.push(...unit(i, n));
        await ref.pipeline(units, 1000);
        applied[i] = k;
      }
      c.close();
      expect(await digest(server.port), `round ${round}: dataset`).toBe(await digest(reference.port));
      expect(checkAof(aofDir, false, () => undefined), `round ${round}: check-aof`).toBe(0);
    }
    ref.close();
    // The kills must have hit rewrites in progress, or this test proves little.
    console.log(`rewrite test: ${killedMidRewrite} of ${ROUNDS} kills landed during a rewrite`);
    expect(killedMidRewrite).toBeGreaterThan(0);
  }, 240_000);
});
