/**
 * The keyspace and expiry machinery: slots and SCAN under churn, lazy expiry,
 * exact huge expiry times, the active expire cycle (in the engine and through a
 * running broker) and the effects expiry emits.
 */
import { describe, expect, it } from 'vitest';
import { Engine, type Effect } from '../../engine/engine.js';
import type { Db } from '../../engine/keyspace.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';

function newEngine(): Engine {
  return new Engine({ databases: 16 });
}

/** Every key a full SCAN of `db` returns, taking `count` per call and running `between` after each. */
function fullScan(db: Db, count: number, between: () => void = () => undefined): Set<string> {
  const seen = new Set<string>();
  let cursor = 0;
  do {
    cursor = db.scan(cursor, count, (e) => seen.add(e.key));
    between();
  } while (cursor !== 0);
  return seen;
}

describe('Db', () => {
  it('scans every key present for the whole scan, whatever the churn', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    for (let i = 0; i < 1000; i++) db.set(`k${i}`, 'v');
    // Half the keys are deleted and others created while the scan runs.
    const stable = new Set<string>();
    for (let i = 0; i < 1000; i += 2) stable.add(`k${i}`);
    let n = 0;
    const seen = fullScan(db, 7, () => {
      for (let j = 0; j < 5; j++, n++) {
        if (n < 500) db.delete(`k${2 * n + 1}`);
        db.set(`new${n}`, 'v');
      }
    });
    for (const k of stable) expect(seen.has(k), k).toBe(true);
  });

  it('reuses freed slots and shrinks, so a scan of a small db stays short', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    for (let i = 0; i < 10000; i++) db.set(`k${i}`, 'v');
    for (let i = 0; i < 10000; i++) db.delete(`k${i}`);
    db.set('only', 'v');
    let calls = 0;
    const seen = fullScan(db, 10, () => calls++);
    expect([...seen]).toEqual(['only']);
    expect(calls).toBe(1);
  });

  it('expires lazily on access, strictly after the expiry time', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    const e = db.set('k', 'v');
    db.setExpire(e, Date.now() + 60_000);
    expect(db.has('k')).toBe(true);
    db.setExpire(e, Date.now() - 1);
    expect(db.size).toBe(1); // still stored until something looks
    expect(db.lookupRead('k')).toBeUndefined();
    expect(db.size).toBe(0);
    expect(engine.stats.expiredKeys).toBe(1);
  });

  it('keeps huge expiry times exactly', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    const e = db.set('k', 'v');
    db.setExpire(e, 9223372036854775807n);
    expect(db.expireTime(e)).toBe(9223372036854775807n);
    expect(db.has('k')).toBe(true);
    db.setExpire(e, 1234 + Date.now() + 60_000);
    expect(typeof db.expireTime(e)).toBe('number');
    db.setExpire(e, 9007199254740993n);
    db.clearExpire(e);
    expect(e.expireAt).toBe(0);
    db.setExpire(e, 5_000_000_000_000);
    expect(db.expireTime(e)).toBe(5_000_000_000_000);
  });

  it('walks volatile keys round-robin, visiting a replacement after a removal', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    for (let i = 0; i < 10; i++) db.setExpire(db.set(`k${i}`, 'v'), Date.now() + 60_000);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const e = db.nextVolatile()!;
      seen.add(e.key);
      // Removing what was just visited must not make the walk skip the entry moved into its place.
      if (i % 3 === 0) db.remove(e);
    }
    expect(seen.size).toBe(10);
  });
});

describe('expiry and effects', () => {
  it('propagates DEL for a lazily expired key, and never the read that expired it', () => {
    const engine = newEngine();
    const units: Effect[][] = [];
    engine.onEffects((u) => units.push(u));
    const db = engine.dbs[3];
    db.setExpire(db.set('k', 'v'), Date.now() - 10);
    const dirty = engine.dirty;
    expect(db.lookupRead('k')).toBeUndefined();
    expect(units).toEqual([[{ db: 3, argv: ['DEL', 'k'] }]]);
    expect(engine.dirty).toBe(dirty);
  });

  it('the active expire cycle removes expired keys nobody reads, and only those', () => {
    const engine = newEngine();
    const deleted: string[] = [];
    engine.onEffects((u) => {
      for (const e of u) deleted.push(`${e.db}:${e.argv[1]}`);
    });
    const past = Date.now() - 1000;
    for (let d = 0; d < 16; d += 5) {
      const db = engine.dbs[d];
      for (let i = 0; i < 1000; i++) db.setExpire(db.set(`dead${i}`, 'v'), past);
      for (let i = 0; i < 50; i++) db.setExpire(db.set(`live${i}`, 'v'), Date.now() + 60_000);
      for (let i = 0; i < 50; i++) db.set(`plain${i}`, 'v');
    }
    // Each call is time-bounded; a generous number of calls must get everything.
    for (let i = 0; i < 1000 && engine.dbs.some((db) => db.size > 100); i++) engine.activeExpireCycle(25);
    for (let d = 0; d < 16; d++) expect(engine.dbs[d].size).toBe(d % 5 === 0 ? 100 : 0);
    expect(deleted.length).toBe(4000);
    expect(deleted.every((k) => k.includes(':dead'))).toBe(true);
    expect(engine.stats.expiredKeys).toBe(4000);
  });

  it('does nothing while active expiry is disabled', () => {
    const engine = newEngine();
    const db = engine.dbs[0];
    for (let i = 0; i < 100; i++) db.setExpire(db.set(`k${i}`, 'v'), Date.now() - 1000);
    engine.activeExpireEnabled = false;
    engine.activeExpireCycle(25);
    expect(db.size).toBe(100);
    engine.activeExpireEnabled = true;
    engine.activeExpireCycle(25);
    expect(db.size).toBeLessThan(100);
  });
});

describe('active expiry in a running broker', () => {
  const server = suiteBroker(['--hz', '100', '--enable-debug-command', 'yes']);
  const client = suiteClient(server);

  async function dbsize(): Promise<number> {
    return (await client.call('DBSIZE')).value as number;
  }

  /** Polls DBSIZE until it equals `want` or a generous deadline passes. */
  async function waitForDbsize(want: number): Promise<number> {
    const deadline = Date.now() + 20_000;
    let n = await dbsize();
    while (n !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      n = await dbsize();
    }
    return n;
  }

  it('removes keys with short TTLs without anyone reading them', async () => {
    for (let i = 0; i < 500; i++) {
      await client.call('SET', `short:${i}`, 'v');
      await client.call('PEXPIRE', `short:${i}`, String(1 + (i % 50)));
    }
    for (let i = 0; i < 20; i++) await client.call('SET', `keep:${i}`, 'v');
    expect(await waitForDbsize(20)).toBe(20);
    expect(((await client.call('KEYS', 'short:*')).value as string[]).length).toBe(0);
  });

  it('keeps expired keys stored while DEBUG SET-ACTIVE-EXPIRE is 0, until they are read', async () => {
    await client.call('FLUSHALL');
    await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    try {
      for (let i = 0; i < 50; i++) {
        await client.call('SET', `k${i}`, 'v');
        await client.call('PEXPIRE', `k${i}`, '1');
      }
      // Many cron ticks at hz 100; nothing may reclaim the keys.
      await new Promise((r) => setTimeout(r, 300));
      expect(await dbsize()).toBe(50);
      expect((await client.call('GET', 'k0')).value).toBe(null);
      expect(await dbsize()).toBe(49);
    } finally {
      await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    }
    expect(await waitForDbsize(0)).toBe(0);
  });
});
