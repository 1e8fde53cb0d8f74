/**
 * Durability under SIGKILL (real processes): 20 clients each loop on one unit of
 * work, a MULTI/EXEC adding to a counter, a list and a stream, then a consumer-group
 * read of the new entry and (but for every fourth entry, left pending on purpose)
 * its XACK; the broker is killed at a random moment and restarted on the same
 * files, twice.
 *
 * - appendfsync always: every write a client got a reply for is there after the
 *   restart, nothing that was never sent is, each MULTI block is all or nothing,
 *   an entry delivered and not acknowledged is still pending, one acknowledged is not.
 * - appendfsync everysec: the same, except that writes acknowledged in the last two
 *   seconds before the kill may be missing (the bound is generous on purpose: with
 *   SIGKILL only bytes not yet handed to write(2) can be lost).
 *
 * What a SIGKILL proves: the process dies, the kernel's page cache does not, so
 * what was handed to write(2) survives whether or not it was fsynced. This file
 * proves that replies leave only after their effects were written to the AOF (in
 * order, whole transactions), and that the files a kill leaves load. It cannot
 * prove that replies wait for the fsync: group-commit.test.ts does, by holding
 * fsync completions (DEBUG AOF-FSYNC-HOLD) and checking that no reply showing the
 * data leaves meanwhile; fsync-recovery.test.ts proves what a failed fsync does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand } from '../harness/raw.js';
import type { Decoded } from '../../protocol/decoder.js';
import { prng } from '../harness/prng.js';
import { kill9, runBroker, sleep, startAof, tempDir, type Spawned } from './proc.js';

const CLIENTS = 20;
/** What everysec may lose, measured back from the kill. */
const EVERYSEC_WINDOW_MS = 2000;
/** Every this many entries one is read and never acknowledged: it must stay pending. */
const LEFT_PENDING_EVERY = 4;

interface ClientLog {
  /** Units sent (their MULTI block written), and when each one's EXEC reply came. */
  sent: number;
  ackedAt: number[];
  /** XREADGROUP deliveries and XACKs: entry sequence -> reply time. */
  delivered: Map<number, number>;
  readsSent: number;
  ackSent: Set<number>;
  ackedAcks: Map<number, number>;
}

const key = (i: number, what: string): string => `c${i}:${what}`;

/** One client's loop until its connection dies. */
async function worker(port: number, i: number, log: ClientLog): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (;;) {
      const n = log.sent + 1;
      c.write(
        Buffer.concat([
          encodeCommand(['MULTI']),
          encodeCommand(['INCR', key(i, 'n')]),
          encodeCommand(['RPUSH', key(i, 'list'), `v${n}`]),
          encodeCommand(['XADD', key(i, 's'), `${n}-1`, 'f', `v${n}`]),
          encodeCommand(['EXEC']),
        ]),
      );
      log.sent = n;
      const replies = await c.readMany(5);
      const exec = replies[4];
      if (!Array.isArray(exec.value)) throw new Error(`EXEC replied ${exec.raw.toString('latin1')}`);
      log.ackedAt[n] = Date.now();
      log.readsSent++;
      const read = (await c.call('XREADGROUP', 'GROUP', 'g', `w${i}`, 'COUNT', '1', 'STREAMS', key(i, 's'), '>')).value;
      const seq = deliveredSeq(read);
      log.delivered.set(seq, Date.now());
      if (seq % LEFT_PENDING_EVERY === 0) continue;
      log.ackSent.add(seq);
      const acked = (await c.call('XACK', key(i, 's'), 'g', `${seq}-1`)).value;
      if (acked !== 1) throw new Error(`XACK replied ${String(acked)}`);
      log.ackedAcks.set(seq, Date.now());
    }
  } catch (err) {
    // The kill ends every loop with a closed connection; anything else is a failure.
    if (!(err instanceof Error) || !/connection closed|ECONNRESET/.test(err.message)) throw err;
  } finally {
    c.close();
  }
}

/** The entry's sequence number from an XREADGROUP reply of one entry `<n>-1`. */
function deliveredSeq(reply: Decoded): number {
  const entries = ((reply as Decoded[])[0] as Decoded[])[1] as Decoded[][];
  return Number(String(entries[0][0]).split('-')[0]);
}

/** Runs the workload for `ms`, then kills the broker; returns the kill time. */
async function loadAndKill(server: Spawned, logs: ClientLog[], ms: number): Promise<number> {
  const loops = logs.map((log, i) => worker(server.port, i, log));
  await sleep(ms);
  const killedAt = Date.now();
  await kill9(server);
  await Promise.all(loops);
  return killedAt;
}

/**
 * Checks every client's keys against what it sent and what it was told; returns how
 * many entries were checked to be still pending (delivered, never acknowledged).
 */
async function verify(port: number, logs: ClientLog[], durableBefore: number): Promise<number> {
  const c = await RawClient.connect(port);
  let stillPending = 0;
  try {
    for (let i = 0; i < logs.length; i++) {
      const log = logs[i];
      const k = Number((await c.call('GET', key(i, 'n'))).value ?? 0);
      let mustHave = 0;
      log.ackedAt.forEach((t, n) => {
        if (t < durableBefore) mustHave = Math.max(mustHave, n);
      });
      expect(k, `client ${i}: units present vs acknowledged`).toBeGreaterThanOrEqual(mustHave);
      expect(k, `client ${i}: units present vs sent`).toBeLessThanOrEqual(log.sent);
      const expected = Array.from({ length: k }, (_, j) => `v${j + 1}`);
      expect((await c.call('LRANGE', key(i, 'list'), '0', '-1')).value, `client ${i} list`).toEqual(expected);
      const entries = (await c.call('XRANGE', key(i, 's'), '-', '+')).value as Decoded[][];
      expect(entries.map((e) => [e[0], e[1]]), `client ${i} stream`).toEqual(expected.map((v, j) => [`${j + 1}-1`, ['f', v]]));
      const pending = new Set(
        ((await c.call('XPENDING', key(i, 's'), 'g', '-', '+', '100000')).value as Decoded[][]).map((p) => Number(String(p[0]).split('-')[0])),
      );
      for (const [seq, t] of log.ackedAcks) if (t < durableBefore) expect(pending.has(seq), `client ${i}: acked ${seq} still pending`).toBe(false);
      for (const [seq, t] of log.delivered) {
        if (t >= durableBefore || log.ackSent.has(seq)) continue;
        expect(pending.has(seq), `client ${i}: delivered ${seq} not pending`).toBe(true);
        stillPending++;
      }
      for (const seq of pending) expect(seq <= log.readsSent && seq <= k, `client ${i}: ${seq} pending but never read`).toBe(true);
    }
    return stillPending;
  } finally {
    c.close();
  }
}

function newLogs(): ClientLog[] {
  return Array.from({ length: CLIENTS }, () => ({ sent: 0, ackedAt: [], delivered: new Map(), readsSent: 0, ackSent: new Set(), ackedAcks: new Map() }));
}

async function createGroups(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  for (let i = 0; i < CLIENTS; i++) await c.call('XGROUP', 'CREATE', key(i, 's'), 'g', '$', 'MKSTREAM');
  c.close();
}

describe('durability under SIGKILL', () => {
  const servers: Spawned[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s);
  });

  for (const [policy, seed, killAfter] of [
    ['always', 1, [400, 1200]],
    ['everysec', 2, [2500, 3500]],
  ] as const) {
    it(`appendfsync ${policy}: acknowledged writes survive${policy === 'everysec' ? ' (but the last ~2 s)' : ''}, nothing unsent appears`, async () => {
      const dir = tempDir(`durability-${policy}`);
      const random = prng(seed);
      const args = ['--appendfsync', policy];
      let server = await startAof(dir, args);
      servers.push(server);
      await createGroups(server.port);
      // Two rounds: the second reopens the files the first kill left.
      for (let round = 0; round < 2; round++) {
        const logs = newLogs();
        if (round > 0) {
          // Start again from the surviving state: clients continue after their last unit.
          const c = await RawClient.connect(server.port);
          for (let i = 0; i < CLIENTS; i++) {
            await c.call('DEL', key(i, 'n'), key(i, 'list'), key(i, 's'));
            await c.call('XGROUP', 'CREATE', key(i, 's'), 'g', '$', 'MKSTREAM');
          }
          c.close();
        }
        const ms = killAfter[0] + random() * (killAfter[1] - killAfter[0]);
        const killedAt = await loadAndKill(server, logs, ms);
        expect(logs.reduce((n, l) => n + l.ackedAt.length, 0)).toBeGreaterThan(CLIENTS);
        server = await startAof(dir, args);
        servers.push(server);
        const stillPending = await verify(server.port, logs, policy === 'always' ? killedAt : killedAt - EVERYSEC_WINDOW_MS);
        expect(stillPending, 'entries checked to be still pending after the restart').toBeGreaterThanOrEqual(CLIENTS);
        expect(runBroker(['check-aof', `${dir}/appendonlydir`]).status).toBe(0);
      }
    });
  }
});
