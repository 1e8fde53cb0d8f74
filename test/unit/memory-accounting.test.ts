/**
 * The memory accounting's running totals (engine/memory.ts) against a recount: after
 * random sequences of writes of every type through the command table, each db's
 * `usedBytes` equals the sum of its keys measured afresh, and each value's payload
 * counter equals its elements' bytes counted one by one, through saves and reloads. A write path that forgot to
 * note its key, or a type that forgot to count an element, fails here.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import { entryBytes } from '../../engine/memory.js';
import { List } from '../../engine/types/list.js';
import { Hash } from '../../engine/types/hash.js';
import { SetValue } from '../../engine/types/set.js';
import { ZSet } from '../../engine/types/zset.js';
import { Stream } from '../../engine/types/stream.js';
import type { Value } from '../../engine/keyspace.js';
import { loadSnapshot, snapshotBytes, SnapshotWriter } from '../../engine/persist/snapshot.js';
import { prng } from '../harness/prng.js';

/** Payload bytes counted element by element, for the types that keep a running count. */
function recount(v: Value): number | null {
  if (v instanceof List) return [...v.values()].reduce((n, s) => n + s.length, 0);
  if (v instanceof Hash) {
    let n = 0;
    v.forEach((f, value) => (n += f.length + value.length));
    return n;
  }
  if (v instanceof SetValue) return v.memberList().reduce((n, s) => n + s.length, 0);
  if (v instanceof ZSet) {
    let n = 0;
    v.walk(0, false, (member) => ((n += member.length), true));
    return n;
  }
  if (v instanceof Stream) {
    // A copy's nodes, each decoded (a load leaves them undecoded) and measured afresh, with the RDB encodings they keep (StreamNode.rdbEncoded, shared with the copy).
    return v.clone().view().nodes.reduce((n, node) => (node.idAt(0), n + node.payloadBytes), 0);
  }
  return null;
}

function payload(v: Value): number | null {
  if (v instanceof SetValue) return v.table.payloadBytes;
  if (v instanceof List || v instanceof Hash || v instanceof ZSet || v instanceof Stream) return v.payloadBytes;
  return null;
}

describe('memory accounting', () => {
  it('keeps running totals equal to a recount through random writes of every type', () => {
    const table = new CommandTable<Client>();
    table.register(engineCommands);
    const engine = new Engine({ databases: 4 });
    // Streams of several nodes, whose encodings a save keeps and a change drops.
    engine.settings.streamNodeMaxEntries = 3;
    const c = new Client(engine, 1);
    const rand = prng(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    // Keys per type (s:, l:, h:, t:, z:, x:) so that most writes find a value of their type; key() is any of them.
    const k = (type: string): string => `${type}:${pick(['a', 'b', 'c'])}`;
    const types = ['s', 'l', 'h', 't', 'z', 'x'];
    const key = (): string => k(pick(types));
    /** Two keys of one type (RENAME, COPY keep the types apart). */
    const pair = (): [string, string] => {
      const t = pick(types);
      return [k(t), k(t)];
    };
    // Few distinct words, so removals by value (LREM, HDEL, ZREM) find what they look for.
    const word = (): string => 'w'.repeat(5 * Math.floor(rand() * 6)) + String(Math.floor(rand() * 4));
    const num = (): string => String(Math.floor(rand() * 20));
    let id = 0;
    const commands: (() => string[])[] = [
      () => ['SET', k('s'), word()],
      () => ['APPEND', k('s'), word()],
      () => ['SETRANGE', k('s'), num(), word()],
      () => ['INCRBY', k('s'), num()],
      () => ['GETDEL', k('s')],
      () => ['SET', k('s'), word(), 'EX', '1000'],
      () => ['PERSIST', key()],
      () => ['EXPIRE', key(), '500'],
      () => ['RPUSH', k('l'), word(), word(), word()],
      () => ['LPUSH', k('l'), word()],
      () => ['LPOP', k('l'), num()],
      () => ['LSET', k('l'), '0', word()],
      () => ['LINSERT', k('l'), 'BEFORE', word(), word()],
      () => ['LREM', k('l'), '0', word()],
      () => ['LTRIM', k('l'), '1', '-2'],
      () => ['LMOVE', k('l'), k('l'), 'LEFT', 'RIGHT'],
      () => ['HSET', k('h'), word(), word(), word(), word()],
      () => ['HDEL', k('h'), word()],
      () => ['HINCRBY', k('h'), word(), num()],
      () => ['SADD', k('t'), word(), num(), num()],
      () => ['SREM', k('t'), num()],
      () => ['SPOP', k('t')],
      () => ['SMOVE', k('t'), k('t'), num()],
      () => ['SINTERSTORE', k('t'), k('t'), k('t')],
      () => ['ZADD', k('z'), num(), word(), num(), word()],
      () => ['ZINCRBY', k('z'), num(), word()],
      () => ['ZREM', k('z'), word()],
      () => ['ZPOPMIN', k('z')],
      () => ['ZUNIONSTORE', k('z'), '2', k('z'), k('z')],
      () => ['ZRANGESTORE', k('z'), k('z'), '0', '2'],
      () => ['XADD', k('x'), `${++id}-1`, word(), word()],
      () => ['XADD', k('x'), 'MAXLEN', num(), `${++id}-2`, 'f', word()],
      () => ['XDEL', k('x'), `${Math.max(id - 3, 1)}-1`],
      () => ['XTRIM', k('x'), 'MAXLEN', num()],
      () => ['XGROUP', 'CREATE', k('x'), pick(['g1', 'g2']), '0', 'MKSTREAM'],
      () => ['XREADGROUP', 'GROUP', pick(['g1', 'g2']), pick(['alice', 'bob']), 'COUNT', '3', 'STREAMS', k('x'), '>'],
      () => ['XACK', k('x'), pick(['g1', 'g2']), `${Math.max(id - 5, 1)}-1`],
      () => ['XAUTOCLAIM', k('x'), pick(['g1', 'g2']), 'carol', '0', '0'],
      () => ['XGROUP', 'DELCONSUMER', k('x'), pick(['g1', 'g2']), pick(['alice', 'bob'])],
      () => ['DEL', key()],
      () => ['RENAME', ...pair()],
      () => ['COPY', ...pair(), 'REPLACE'],
      () => ['MOVE', key(), pick(['1', '2'])],
      () => ['SELECT', pick(['0', '0', '1', '2'])],
      () => ['SWAPDB', '0', pick(['1', '2'])],
      () => (rand() < 0.1 ? ['FLUSHDB'] : ['PING']),
    ];
    /** A live snapshot in progress (as BGSAVE), stepped between commands. */
    let live: SnapshotWriter | null = null;
    for (let step = 0; step < 20_000; step++) {
      if (step % 300 === 0) snapshotBytes(engine.dbs, 0);
      // Reloaded: the streams' nodes undecoded until a command reads or changes them.
      if (step % 1000 === 800 && live === null) {
        const bytes = snapshotBytes(engine.dbs, 0);
        for (const db of engine.dbs) db.clear();
        loadSnapshot(engine.dbs, bytes, { now: 0 });
      }
      if (step % 300 === 150) live = new SnapshotWriter(engine.dbs, 0);
      if (live !== null && live.step(0)) {
        live.finish();
        live = null;
      }
      const argv = pick(commands)();
      const found = table.lookup(argv);
      if (found.error !== undefined) continue;
      engine.call(c, found.command, argv);
      c.reply.take();
      if (step % 500 !== 499) continue;
      engine.settleMemory();
      for (const db of engine.dbs) {
        let sum = 0;
        for (const e of db.entries()) {
          sum += entryBytes(e);
          expect(payload(e.value), `${e.key} after ${argv.join(' ')}`).toBe(recount(e.value));
        }
        expect(db.usedBytes, `db ${db.id} at step ${step}`).toBe(sum);
      }
    }
    expect(engine.datasetBytes()).toBe(engine.dbs.reduce((n, db) => n + [...db.entries()].reduce((m, e) => m + entryBytes(e), 0), 0));
  });
});
