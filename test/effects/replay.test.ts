/**
 * Effects replay (ARCHITECTURE.md, "Effects"): whatever broker A propagates, replayed
 * in order into an empty broker B, must rebuild A's dataset exactly. Datasets are
 * compared with DEBUG DIGEST, which is checked against redis-server's as well.
 *
 * The workload mixes string and keyspace commands (RESTORE included) over a socket,
 * across dbs, with relative expiries (propagated as absolute times), and keys with short TTLs that
 * expire lazily and actively while the workload runs.
 *
 * Replay happens after the fact, so every short expiry time is already past when B
 * sees it. A replica avoids trouble by never expiring keys itself; B is a plain
 * broker, so the short-TTL keys ("t:*") are only ever written with a TTL and moved
 * among themselves, which keeps the final dataset independent of when B drops them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { Flag } from '../../engine/command.js';
import { dumpPayload } from '../../engine/persist/dump.js';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, type InProcessBroker, type RunningServer } from '../harness/servers.js';
import { suiteRedis } from '../harness/suite.js';
import { prng } from '../harness/prng.js';

const P = ['p:a', 'p:b', 'p:c', 'p:n', 'p:\x00\xff'];
const T = ['t:a', 't:b', 't:c'];
const DBS = ['0', '1', '2'];
const VALUES = ['v', '10', '-7', '3.5', '1e3', 'hello world', '', '9223372036854775807'];
/** DUMP payloads of a string and of an int-encoded string (RESTORE, with a relative TTL going out as ABSTTL). */
const PAYLOADS = [dumpPayload('restored value').latin1Slice(), dumpPayload('42').latin1Slice()];
/** Far enough that nothing expires during a test, exact enough to replay identically. */
const FAR_S = '5000000000';

type Pick = <X>(xs: readonly X[]) => X;

/** One command on the persistent keys: none of them expires during the test. */
function persistentCommand(pick: Pick, int: (n: number) => number): string[] {
  const k = pick(P);
  const k2 = pick(P);
  const v = pick(VALUES);
  switch (int(31)) {
    case 0: return ['SET', k, v];
    case 1: return ['SET', k, v, pick([['EX', '1000'], ['PX', '900000'], ['KEEPTTL'], ['NX'], ['XX'], ['GET'], ['EXAT', FAR_S]])].flat();
    case 2: return ['SETEX', k, '1000', v];
    case 3: return ['PSETEX', k, '1000000', v];
    case 4: return ['GETEX', k, ...pick([['EX', '1000'], ['PERSIST'], ['PXAT', '5000000000000'], []])];
    case 5: return ['GETDEL', k];
    case 6: return ['GETSET', k, v];
    case 7: return ['MSET', k, v, k2, pick(VALUES)];
    case 8: return ['MSETNX', k, v, k2, v];
    case 9: return [pick(['INCR', 'DECR']), k];
    case 10: return ['INCRBY', k, String(int(200) - 100)];
    case 11: return ['INCRBYFLOAT', k, pick(['0.1', '-2.5', '1e2', '3'])];
    case 12: return ['APPEND', k, pick(['x', '12', ''])];
    case 13: return ['SETRANGE', k, String(int(8)), pick(['ab', 'Z'])];
    case 14: return [pick(['DEL', 'UNLINK']), k, k2];
    case 15: return ['EXPIRE', k, '1000', ...pick([[], ['NX'], ['XX'], ['GT'], ['LT']])];
    case 16: return ['PEXPIRE', k, '2000000'];
    case 17: return ['EXPIREAT', k, FAR_S, ...pick([[], ['GT'], ['LT']])];
    case 18: return ['PEXPIREAT', k, '6000000000000'];
    case 19: return ['PERSIST', k];
    case 20: return ['EXPIRE', k, pick(['-1', '0'])];
    case 21: return ['RENAME', k, k2];
    case 22: return ['RENAMENX', k, k2];
    case 23: return ['COPY', k, k2, ...pick([[], ['REPLACE'], ['DB', pick(DBS)], ['DB', pick(DBS), 'REPLACE']])];
    case 24: return ['MOVE', k, pick(DBS)];
    case 25: return ['SELECT', pick(DBS)];
    case 26: return ['GET', k];
    case 27: return ['SETNX', k, v];
    case 28: return int(10) === 0 ? ['FLUSHDB'] : int(4) === 0 ? ['SWAPDB', pick(DBS), pick(DBS)] : ['DECRBY', k, '3'];
    case 29: return ['RESTORE', k, pick(['0', '1000000']), pick(PAYLOADS), ...pick([[], ['REPLACE'], ['REPLACE', 'IDLETIME', '5']])];
    default: return ['EXISTS', k, k2];
  }
}

/** One command on the short-lived keys: written only with a TTL, moved only among themselves. */
function shortCommand(pick: Pick, int: (n: number) => number): string[] {
  const k = pick(T);
  const ms = String(1 + int(40));
  switch (int(9)) {
    case 0: return ['SET', k, pick(VALUES), 'PX', ms];
    case 1: return ['PSETEX', k, ms, pick(VALUES)];
    case 2: return ['SET', k, pick(VALUES), 'PX', ms, 'GET'];
    case 3: return ['PEXPIRE', k, ms];
    case 4: return ['GET', k];
    case 5: return ['EXISTS', k];
    case 6: return ['RENAME', k, pick(T)];
    case 7: return ['COPY', k, pick(T), ...pick([[], ['REPLACE'], ['DB', pick(DBS)]])];
    default: return ['MOVE', k, pick(DBS)];
  }
}

function workload(seed: number, length: number, withShortTtls: boolean): string[][] {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick: Pick = (xs) => xs[int(xs.length)];
  const out: string[][] = [];
  for (let i = 0; i < length; i++) {
    out.push(withShortTtls && int(3) === 0 ? shortCommand(pick, int) : persistentCommand(pick, int));
  }
  return out;
}

/** Sends every effect, in order, selecting each effect's db first. */
async function replay(units: readonly TextEffect[][], into: RawClient): Promise<void> {
  let db = -1;
  for (const unit of units) {
    for (const effect of unit) {
      if (effect.db !== db) {
        await into.call('SELECT', String(effect.db));
        db = effect.db;
      }
      await into.call(...effect.argv);
    }
  }
}

async function digest(c: RawClient): Promise<string> {
  const r = (await c.call('DEBUG', 'DIGEST')).value as { simple: string };
  return r.simple;
}

/**
 * Every key of every db with its type, exact expiry time and value digest: finer
 * than DEBUG DIGEST, which only records whether a key has an expiry.
 */
async function dump(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of DBS) {
    await c.call('SELECT', db);
    const keys = ((await c.call('KEYS', '*')).value as string[]).sort();
    for (const k of keys) {
      const type = ((await c.call('TYPE', k)).value as { simple: string }).simple;
      const expire = (await c.call('PEXPIRETIME', k)).value;
      const [value] = (await c.call('DEBUG', 'DIGEST-VALUE', k)).value as { simple: string }[];
      out.push(`${db} ${JSON.stringify(k)} ${type} ${expire} ${value.simple}`);
    }
  }
  return out;
}

interface Recorded {
  server: InProcessBroker;
  units: TextEffect[][];
  /** DEL effects emitted by the active expire cycle (outside any command). */
  activeDeletes: number;
}

/** Starts broker A with an effect recorder that also notes which effects the cron emitted. */
async function recordedBroker(args: string[] = []): Promise<Recorded> {
  const server = await startBroker(args);
  const engine = server.broker.engine;
  const recorded: Recorded = { server, units: [], activeDeletes: 0 };
  let inCycle = false;
  const cycle = engine.activeExpireCycle.bind(engine);
  engine.activeExpireCycle = (budgetMs: number): void => {
    inCycle = true;
    try {
      cycle(budgetMs);
    } finally {
      inCycle = false;
    }
  };
  engine.onEffects((unit) => {
    if (inCycle) recorded.activeDeletes += unit.length;
    recorded.units.push(effectsAsText(unit));
  });
  return recorded;
}

/** Effects must be writes only: a read that merely expired a key propagates just the DEL. */
function expectOnlyWrites(r: Recorded): void {
  for (const unit of r.units) {
    for (const { argv } of unit) {
      const command = r.server.broker.commands.get(argv[0]);
      expect(command?.has(Flag.Write), `effect ${argv.join(' ')}`).toBe(true);
    }
  }
}

describe('effects replay rebuilds the dataset', () => {
  const started: RunningServer[] = [];
  const clients: RawClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(started.map((s) => s.stop()));
  });

  async function connect(port: number): Promise<RawClient> {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  }

  for (const seed of [1, 2, 3]) {
    it(`with short TTLs expiring lazily and actively (seed ${seed})`, async () => {
      const recorded = await recordedBroker(['--hz', '100', '--enable-debug-command', 'yes']);
      const a = recorded.server;
      started.push(a);
      const ca = await connect(a.port);
      let i = 0;
      for (const argv of workload(seed, 600, true)) {
        await ca.call(...argv);
        // Pause now and then so the cron's active expiry gets its turn mid-workload.
        if (++i % 100 === 0) await new Promise((r) => setTimeout(r, 30));
      }
      // Lazy expiry, for certain: with the cycle off, reads find expired keys and delete them.
      await ca.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      for (const k of T) await ca.call('SET', k, 'lazy', 'PX', '1');
      await new Promise((r) => setTimeout(r, 10));
      const expiredBefore = a.broker.engine.stats.expiredKeys;
      await ca.call('GET', T[0]);
      await ca.call('EXISTS', T[1]);
      let cursor = '0';
      do cursor = ((await ca.call('SCAN', cursor, 'MATCH', T[2])).value as [string, string[]])[0];
      while (cursor !== '0');
      expect(a.broker.engine.stats.expiredKeys - expiredBefore).toBe(3);
      await ca.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
      // Nothing reads the short-lived keys any more: the active expire cycle alone
      // must reclaim them. Only DBSIZE and KEYS are used, and neither deletes a key.
      const storedShort = a.broker.engine.dbs.reduce((n, db) => n + [...db.keys()].filter((k) => k.startsWith('t:')).length, 0);
      const deadline = Date.now() + 20_000;
      for (;;) {
        let pending = 0;
        for (const db of DBS) {
          await ca.call('SELECT', db);
          const stored = (await ca.call('DBSIZE')).value as number;
          const persistent = ((await ca.call('KEYS', 'p:*')).value as string[]).length;
          pending += stored - persistent;
        }
        if (pending === 0 || Date.now() > deadline) {
          expect(pending, 'short-lived keys left after 20 s').toBe(0);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      if (storedShort > 0) expect(recorded.activeDeletes).toBeGreaterThan(0);
      expect(a.broker.engine.stats.expiredKeys).toBeGreaterThan(0);
      expectOnlyWrites(recorded);

      const b = await startBroker(['--enable-debug-command', 'yes']);
      started.push(b);
      const cb = await connect(b.port);
      await replay(recorded.units, cb);
      expect(await digest(cb)).toBe(await digest(ca));
      expect(await dump(cb)).toEqual(await dump(ca));
    });
  }
});

describe.skipIf(!hasRedisServer())('DEBUG DIGEST and replay vs redis-server', () => {
  const ref = suiteRedis(['--enable-debug-command', 'yes']);

  for (const seed of [11, 12]) {
    it(`the same workload gives redis-server's digest, directly and replayed (seed ${seed})`, async () => {
      const recorded = await recordedBroker(['--enable-debug-command', 'yes']);
      const a = recorded.server;
      const b = await startBroker(['--enable-debug-command', 'yes']);
      const [ca, cb, cr] = await Promise.all([RawClient.connect(a.port), RawClient.connect(b.port), RawClient.connect(ref.port)]);
      try {
        await cr.call('FLUSHALL');
        await cr.call('SELECT', '0');
        for (const argv of workload(seed, 800, false)) await Promise.all([ca.call(...argv), cr.call(...argv)]);
        const expected = await digest(cr);
        expect(expected).not.toBe('0'.repeat(40));
        expect(await digest(ca)).toBe(expected);
        expectOnlyWrites(recorded);
        await replay(recorded.units, cb);
        expect(await digest(cb)).toBe(expected);
        expect(await dump(cb)).toEqual(await dump(ca));
      } finally {
        for (const c of [ca, cb, cr]) c.close();
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  }
});

if (!hasRedisServer()) console.warn(NO_REDIS);
