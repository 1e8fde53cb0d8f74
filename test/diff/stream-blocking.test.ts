/**
 * XREAD BLOCK and XREADGROUP BLOCK against redis-server 7.0: each scenario runs on
 * both servers with the same clients (one connection per role on each), and every
 * reply a blocked client gets is compared byte for byte (clock fields within a
 * tolerance). Who wakes whom, in what order, with what: BLOCK 0, `$` resolved at
 * block time, readers of one group served in turn, writes that do not wake
 * (XSETID, XGROUP SETID), a stream deleted, replaced or flushed and a group
 * destroyed while readers wait, MULTI, CLIENT UNBLOCK, timeouts, RESP3, and 200
 * readers on 20 streams. Never asserts timing: a test waits until the servers
 * report the clients blocked, then writes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS, startBroker } from '../harness/servers.js';
import { show, startDiffServers, suiteServers } from '../harness/diff.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { expectSameTimed } from './stream-group-harness.js';

const DEBUG = ['--enable-debug-command', 'yes'];

/** One client role: a connection to each server. */
class Duo {
  constructor(
    readonly ours: RawClient,
    readonly ref: RawClient,
  ) {}

  /** Sends a command to both without waiting for the reply (it may block). */
  send(...argv: string[]): void {
    const bytes = encodeCommand(argv);
    this.ours.write(bytes);
    this.ref.write(bytes);
  }

  /** The next reply on both, compared. */
  async reply(what: string): Promise<Buffer> {
    const [o, r] = await Promise.all([this.ours.read(), this.ref.read()]);
    expectSameTimed(o.raw, r.raw, what);
    return o.raw;
  }

  async call(...argv: string[]): Promise<Buffer> {
    this.send(...argv);
    return this.reply(`reply to ${JSON.stringify(argv)}`);
  }

  close(): void {
    this.ours.close();
    this.ref.close();
  }
}

describe.skipIf(!hasRedisServer())('blocking stream reads vs redis-server', () => {
  const servers = suiteServers({ ours: DEBUG, ref: DEBUG });
  let admin: Duo;
  const open: Duo[] = [];

  async function duo(): Promise<Duo> {
    const d = new Duo(await RawClient.connect(servers.ours.port), await RawClient.connect(servers.ref.port));
    open.push(d);
    return d;
  }

  /** Waits until both servers have exactly `n` blocked clients. */
  async function blocked(n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const counts = await Promise.all(
        [admin.ours, admin.ref].map(async (c) => Number(/blocked_clients:(\d+)/.exec(String((await c.call('INFO', 'clients')).value))![1])),
      );
      if (counts[0] === n && counts[1] === n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`servers never reached ${n} blocked clients`);
  }

  beforeAll(async () => {
    admin = await duo();
  });
  afterAll(() => {
    for (const d of open) d.close();
  });
  beforeEach(async () => {
    await admin.call('FLUSHALL');
  });

  it('XREAD BLOCK: `$` at block time, woken by XADD, COUNT, several keys, BLOCK 0', async () => {
    const [a, b] = [await duo(), await duo()];
    await admin.call('XADD', 's', '1-1', 'f', 'v');
    a.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', 't', '$', '$');
    await blocked(1);
    await admin.call('XADD', 's', '2-1', 'f', 'w');
    await a.reply('XREAD woken by XADD to s');
    // An explicit ID past the end; then two entries arrive in one transaction.
    a.send('XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '5-0');
    b.send('XREAD', 'BLOCK', '0', 'STREAMS', 'nokey', 's', '$', '6-0');
    await blocked(2);
    await admin.call('XADD', 's', '6-1', 'a', '1');
    await a.reply('XREAD COUNT 1 woken');
    await b.reply('XREAD on two keys, the second one ready');
    // RESP3: a map of one stream.
    // HELLO's reply holds the connection ID, which differs.
    await Promise.all([a.ours.call('HELLO', '3'), a.ref.call('HELLO', '3')]);
    a.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await blocked(1);
    await admin.call('XADD', 's', '8-1', 'c', '3');
    await a.reply('XREAD in RESP3');
  });

  it('writes that do not wake a reader: XSETID, XDEL, XTRIM, XGROUP SETID', async () => {
    const [a, g] = [await duo(), await duo()];
    await admin.call('XADD', 's', '1-1', 'f', 'v');
    await admin.call('XGROUP', 'CREATE', 's', 'grp', '$');
    a.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    g.send('XREADGROUP', 'GROUP', 'grp', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(2);
    await admin.call('XSETID', 's', '5-0');
    await admin.call('XDEL', 's', '1-1');
    await admin.call('XGROUP', 'SETID', 's', 'grp', '0');
    await admin.call('XTRIM', 's', 'MAXLEN', '0');
    await admin.call('XGROUP', 'CREATECONSUMER', 's', 'grp', 'other');
    await blocked(2);
    await admin.call('XADD', 's', '6-1', 'f', 'w');
    await a.reply('XREAD after XSETID then XADD');
    await g.reply('XREADGROUP after XGROUP SETID then XADD');
  });

  it('XREADGROUP BLOCK: readers of a group served in turn, NOACK, consumers created on delivery', async () => {
    const readers = [await duo(), await duo(), await duo()];
    await admin.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    readers[0].send('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(1);
    readers[1].send('XREADGROUP', 'GROUP', 'g', 'bob', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(2);
    readers[2].send('XREADGROUP', 'GROUP', 'g', 'carol', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(3);
    // Nobody is a consumer yet: consumers are created when served.
    await admin.call('XINFO', 'CONSUMERS', 's', 'g');
    await admin.call('XADD', 's', '1-1', 'n', '1');
    await readers[0].reply('alice takes the entry');
    // bob and carol still wait: the group has read everything.
    await blocked(2);
    await admin.call('XADD', 's', '2-1', 'n', '2');
    await readers[1].reply('bob takes the next one, without acknowledging');
    await blocked(1);
    await admin.call('XADD', 's', '3-1', 'n', '3');
    await readers[2].reply('carol takes the next one');
    await admin.call('XINFO', 'STREAM', 's', 'FULL');
    await admin.call('XPENDING', 's', 'g', '-', '+', '10');
  });

  it('stream deleted, replaced, flushed or swapped away, and group destroyed, while readers wait', async () => {
    const [g, x] = [await duo(), await duo()];
    const setup = async (): Promise<void> => {
      await admin.call('DEL', 's');
      await admin.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      g.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await blocked(1);
    };
    // DEL: the group reader fails; a plain reader keeps waiting.
    await setup();
    x.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await blocked(2);
    await admin.call('DEL', 's');
    await g.reply('XREADGROUP after DEL');
    await blocked(1);
    await admin.call('XADD', 's', '1-1', 'f', 'v');
    await x.reply('XREAD after DEL then XADD');
    // SET over the stream.
    await setup();
    await admin.call('SET', 's', 'x');
    await g.reply('XREADGROUP after SET');
    // XGROUP DESTROY.
    await setup();
    await admin.call('XGROUP', 'DESTROY', 's', 'g');
    await g.reply('XREADGROUP after XGROUP DESTROY');
    // FLUSHDB.
    await setup();
    await admin.call('FLUSHDB');
    await g.reply('XREADGROUP after FLUSHDB');
    // SWAPDB with a db where the key does not exist.
    await setup();
    await admin.call('SWAPDB', '0', '9');
    await g.reply('XREADGROUP after SWAPDB');
    await admin.call('FLUSHALL');
    // RENAME onto the key: a stream with the group and data serves the reader.
    await setup();
    await admin.call('XADD', 'src', '1-1', 'f', 'v');
    await admin.call('XGROUP', 'CREATE', 'src', 'g', '0');
    await admin.call('RENAME', 'src', 's');
    await g.reply('XREADGROUP after RENAME of a stream with the group');
    // RENAME of a stream without the group.
    await setup();
    await admin.call('XADD', 'src', '1-1', 'f', 'v');
    await admin.call('RENAME', 'src', 's');
    await g.reply('XREADGROUP after RENAME of a stream without the group');
  });

  it('a group reader on a stream that ran dry, and pipelined commands after a blocked read', async () => {
    const [g, h] = [await duo(), await duo()];
    await admin.call('XADD', 's', '1-1', 'f', 'v');
    await admin.call('XGROUP', 'CREATE', 's', 'g', '0');
    await g.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    await admin.call('XDEL', 's', '1-1');
    // The group read everything: both wait, even though the stream once had entries.
    g.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
    const pipelined = Buffer.concat([encodeCommand(['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']), encodeCommand(['PING']), encodeCommand(['XLEN', 's'])]);
    h.ours.write(pipelined);
    h.ref.write(pipelined);
    await blocked(2);
    await admin.call('XADD', 's', '2-1', 'f', 'w');
    await g.reply('XREADGROUP on a stream that ran dry');
    await h.reply('blocked XREAD');
    await h.reply('PING after the blocked XREAD');
    await h.reply('XLEN after it');
  });

  it('inside MULTI/EXEC: reads do not block, and readers see the transaction as one write', async () => {
    const [a, g] = [await duo(), await duo()];
    await admin.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    await a.call('MULTI');
    await a.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await a.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
    await a.call('EXEC');
    // Several entries in one transaction: COUNT applies, the next reader gets the rest.
    a.send('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(1);
    g.send('XREADGROUP', 'GROUP', 'g', 'bob', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(2);
    await admin.call('MULTI');
    for (let i = 1; i <= 3; i++) await admin.call('XADD', 's', `${i}-1`, 'n', String(i));
    await admin.call('EXEC');
    await a.reply('alice takes two entries');
    await g.reply('bob takes the rest');
    // An entry added and deleted in one transaction: redis-server still serves the
    // reader, with no entries.
    a.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await blocked(1);
    await admin.call('MULTI');
    await admin.call('XADD', 's', '7-1', 'f', 'x');
    await admin.call('XDEL', 's', '7-1');
    await admin.call('EXEC');
    await a.reply('XREAD served after XADD + XDEL in MULTI');
    // The stream replaced in a transaction: the group is gone.
    g.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
    await blocked(1);
    await admin.call('MULTI');
    await admin.call('DEL', 's');
    await admin.call('XADD', 's', '1-1', 'f', 'v');
    await admin.call('EXEC');
    await g.reply('XREADGROUP after DEL + XADD in MULTI');
  });

  it('timeouts, CLIENT UNBLOCK and invalid timeouts', async () => {
    const [a, b] = [await duo(), await duo()];
    await admin.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    await a.call('XREAD', 'BLOCK', '20', 'STREAMS', 's', '$');
    await a.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '20', 'STREAMS', 's', '>');
    await admin.call('XINFO', 'CONSUMERS', 's', 'g');
    await a.call('XREAD', 'BLOCK', '-1', 'STREAMS', 's', '$');
    await a.call('XREAD', 'BLOCK', 'x', 'STREAMS', 's', '$');
    await a.call('XREAD', 'BLOCK', '1.5', 'STREAMS', 's', '$');
    // CLIENT UNBLOCK: client IDs differ between the servers, so ask each its own.
    const ids = await Promise.all([b.ours.call('CLIENT', 'ID'), b.ref.call('CLIENT', 'ID')]);
    for (const mode of [[], ['TIMEOUT'], ['ERROR']]) {
      b.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await blocked(1);
      const [o, r] = await Promise.all([
        admin.ours.call('CLIENT', 'UNBLOCK', String(ids[0].value), ...mode),
        admin.ref.call('CLIENT', 'UNBLOCK', String(ids[1].value), ...mode),
      ]);
      expect(show(o.raw)).toBe(show(r.raw));
      await b.reply(`XREADGROUP after CLIENT UNBLOCK ${mode.join(' ')}`);
    }
    await admin.call('CLIENT', 'UNBLOCK', '999999');
  });

  it('200 readers on 20 streams, groups and plain readers, all woken in arrival order', async () => {
    const STREAMS = 20;
    const PER_STREAM = 10;
    const readers: Duo[] = [];
    for (let k = 0; k < STREAMS; k++) await admin.call('XGROUP', 'CREATE', `s${k}`, 'g', '$', 'MKSTREAM');
    for (let i = 0; i < STREAMS * PER_STREAM; i++) {
      const d = await duo();
      const k = i % STREAMS;
      // Every fifth reader reads without a group and sees every new entry.
      if (i % 5 === 4) d.send('XREAD', 'BLOCK', '0', 'STREAMS', `s${k}`, '$');
      else d.send('XREADGROUP', 'GROUP', 'g', `c${i}`, 'COUNT', '1', 'BLOCK', '0', 'STREAMS', `s${k}`, '>');
      readers.push(d);
      // Arrival order is what is being tested: one reader blocked at a time.
      await blocked(i + 1);
    }
    // One entry per XADD: each wakes the plain readers and the first group reader.
    const adds: string[][] = [];
    for (let n = 0; n < PER_STREAM; n++) for (let k = 0; k < STREAMS; k++) adds.push(['XADD', `s${k}`, `${n + 1}-1`, 'n', `${k}.${n}`]);
    const bytes = Buffer.concat(adds.map((argv) => encodeCommand(argv)));
    admin.ours.write(bytes);
    admin.ref.write(bytes);
    for (let i = 0; i < adds.length; i++) await admin.reply(`reply to ${JSON.stringify(adds[i])}`);
    for (let i = 0; i < readers.length; i++) await readers[i].reply(`reader ${i}`);
    await blocked(0);
    for (let k = 0; k < STREAMS; k++) await admin.call('XPENDING', `s${k}`, 'g', '-', '+', '20');
  });
});

/**
 * Entries delivered to blocked group readers propagate as redis-server's claims:
 * replaying our effects on redis-server and on a fresh broker rebuilds the same
 * groups, pending entries and delivery times.
 */
describe.skipIf(!hasRedisServer())('blocked XREADGROUP effects replay', () => {
  it('replays to the same XINFO STREAM FULL and DEBUG DIGEST', async () => {
    const servers = await startDiffServers(DEBUG, DEBUG);
    const effects: TextEffect[] = [];
    servers.ours.broker.engine.onEffects((unit) => effects.push(...effectsAsText(unit)));
    const [w, r1, r2] = [await RawClient.connect(servers.ours.port), await RawClient.connect(servers.ours.port), await RawClient.connect(servers.ours.port)];
    try {
      await w.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      r1.write(encodeCommand(['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's', '>']));
      r2.write(encodeCommand(['XREADGROUP', 'GROUP', 'g', 'c2', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>']));
      while (servers.ours.broker.engine.blocking.size < 2) await new Promise((r) => setTimeout(r, 5));
      for (let i = 1; i <= 5; i++) await w.call('XADD', 's', `${i}-1`, 'f', String(i));
      await r1.read();
      await r2.read();
      const full = (await w.call('XINFO', 'STREAM', 's', 'FULL')).raw;
      const digest = (await w.call('DEBUG', 'DIGEST')).raw;
      const fresh = await startBroker(DEBUG);
      for (const port of [servers.ref.port, fresh.port]) {
        const replica = await RawClient.connect(port);
        for (const e of effects) await replica.call(...e.argv);
        expectSameTimed((await replica.call('XINFO', 'STREAM', 's', 'FULL')).raw, full, 'XINFO STREAM FULL after replay');
        expect(show((await replica.call('DEBUG', 'DIGEST')).raw)).toBe(show(digest));
        replica.close();
      }
      await fresh.stop();
    } finally {
      for (const c of [w, r1, r2]) c.close();
      await servers.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
