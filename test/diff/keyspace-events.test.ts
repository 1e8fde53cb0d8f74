/**
 * Keyspace notifications against redis-server, byte for byte: the same commands run
 * on both servers while a PSUBSCRIBE `__key*@*__:*` client on each collects what is
 * published; the messages are compared in order, family by family, under several
 * `notify-keyspace-events` settings, in RESP2 and RESP3, and for expiry (lazy and
 * active). After each command the writer publishes on a sync channel the listener
 * also subscribes to, so "every event of this command" is read without any timing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker } from '../harness/servers.js';
import { diffSuite, show, type DiffServers } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const SYNC = 'keyspace-events-sync';
const PATTERN = '__key*@*__:*';

/** The command sequences of each family, run by several tests. */
const SEQUENCES: Record<'strings' | 'generic' | 'lists' | 'streams' | 'hashes' | 'sets' | 'misses', string[][]> = {
  strings: [
    ['SET', 's', 'v'],
    ['SET', 's', 'w', 'EX', '100'],
    ['SET', 's', 'w', 'PX', '100000', 'GET'],
    ['SET', 's', 'x', 'KEEPTTL'],
    ['SET', 's', 'y', 'NX'],
    ['SET', 'nx', 'y', 'NX'],
    ['SET', 'none', 'y', 'XX'],
    ['SET', 's', 'z', 'EXAT', '1'],
    ['GET', 's'],
    ['SETNX', 'a', '1'],
    ['SETNX', 'a', '2'],
    ['SETEX', 'b', '100', 'v'],
    ['PSETEX', 'c', '100000', 'v'],
    ['GETSET', 'a', '5'],
    ['GETSET', 'new', '5'],
    ['MSET', 'm1', '1', 'm2', '2', 'a', '3'],
    ['MSETNX', 'm3', '1', 'm4', '2'],
    ['MSETNX', 'm3', '1', 'm5', '2'],
    ['INCR', 'i'],
    ['INCRBY', 'i', '10'],
    ['DECR', 'i'],
    ['DECRBY', 'i', '3'],
    ['INCR', 'm1'],
    ['INCRBYFLOAT', 'f', '1.5'],
    ['INCRBYFLOAT', 'f', '1.5'],
    ['INCR', 'f'],
    ['APPEND', 'ap', 'x'],
    ['APPEND', 'ap', 'y'],
    ['SETRANGE', 'sr', '3', 'abc'],
    ['SETRANGE', 'sr', '0', ''],
    ['SETRANGE', 'nokey', '0', ''],
    ['SETRANGE', 'sr', '1', 'Z'],
    ['GETDEL', 'sr'],
    ['GETDEL', 'sr'],
    ['GETEX', 'ap', 'EX', '100'],
    ['GETEX', 'ap', 'PERSIST'],
    ['GETEX', 'ap', 'PERSIST'],
    ['GETEX', 'ap'],
    ['GETEX', 'ap', 'PXAT', '1'],
    ['GETEX', 'nokey', 'EX', '1'],
  ],
  hashes: [
    ['HSET', 'h', 'a', '1', 'b', '2'],
    ['HSET', 'h', 'a', '1'],
    ['HMSET', 'h', 'c', '3'],
    ['HSETNX', 'h', 'a', 'x'],
    ['HSETNX', 'h', 'd', '4'],
    ['HINCRBY', 'h', 'a', '5'],
    ['HINCRBY', 'h', 'b', 'x'],
    ['HINCRBYFLOAT', 'h', 'f', '1.5'],
    ['HINCRBYFLOAT', 'h', 'x', 'abc'],
    ['HDEL', 'h', 'a', 'nope'],
    ['HDEL', 'h', 'nope'],
    ['HGET', 'h', 'b'],
    ['HGETALL', 'h'],
    ['HRANDFIELD', 'h', '10'],
    ['HDEL', 'h', 'b', 'c', 'd', 'f'],
    ['HINCRBY', 'n', 'a', '1'],
    ['HSET', 'e', 'f', 'v'],
    ['EXPIRE', 'e', '100'],
    ['COPY', 'e', 'e2'],
    ['RENAME', 'e2', 'e3'],
    ['DEL', 'e3'],
  ],
  sets: [
    ['SADD', 's', '1', '2', '3'],
    ['SADD', 's', '1'],
    ['SREM', 's', '1', 'nope'],
    ['SREM', 's', 'nope'],
    ['SADD', 't', '3', '4'],
    ['SMOVE', 's', 't', '2'],
    ['SMOVE', 's', 't', '9'],
    ['SMOVE', 't', 't', '3'],
    ['SMOVE', 's', 'u', '3'],
    ['SADD', 'one', 'x'],
    ['SPOP', 'one'],
    ['SADD', 'two', '1', '2'],
    ['SPOP', 'two', '0'],
    ['SPOP', 'two', '5'],
    ['SPOP', 'nokey', '5'],
    ['SADD', 'a', '1', '2', '3'],
    ['SADD', 'b', '2', '3', '4'],
    ['SINTERSTORE', 'i', 'a', 'b'],
    ['SINTERSTORE', 'i', 'a', 'b'],
    ['SUNIONSTORE', 'un', 'a', 'b'],
    ['SDIFFSTORE', 'd', 'a', 'b'],
    ['SDIFFSTORE', 'd', 'a', 'a'],
    ['SINTERSTORE', 'i', 'a', 'nokey'],
    ['SINTERSTORE', 'i', 'a', 'nokey'],
    ['SUNIONSTORE', 'un', 'nokey'],
    ['SINTER', 'a', 'b'],
    ['SMEMBERS', 'nokey'],
    ['SISMEMBER', 'nokey', 'a'],
    ['SRANDMEMBER', 'a', '10'],
  ],
  generic: [
    ['MSET', 'a', '1', 'b', '2', 'c', '3'],
    ['DEL', 'a', 'nokey', 'b'],
    ['UNLINK', 'c', 'nokey'],
    ['SET', 'k', 'v'],
    ['EXPIRE', 'k', '100'],
    ['PEXPIRE', 'k', '200000', 'GT'],
    ['PEXPIRE', 'k', '1000', 'GT'],
    ['EXPIRE', 'k', '100', 'NX'],
    ['EXPIREAT', 'k', '99999999999'],
    ['PEXPIREAT', 'k', '99999999999000'],
    ['EXPIRE', 'nokey', '100'],
    ['PERSIST', 'k'],
    ['PERSIST', 'k'],
    ['EXPIRE', 'k', '-1'],
    ['SET', 'k', 'v'],
    ['PEXPIREAT', 'k', '1'],
    ['SET', 'r', 'v', 'EX', '100'],
    ['SET', 'r2', 'x'],
    ['RENAME', 'r', 'r2'],
    ['RENAME', 'r2', 'r2'],
    ['RENAME', 'r2', 'r3'],
    ['RENAMENX', 'r3', 'r4'],
    ['SET', 'r5', 'x'],
    ['RENAMENX', 'r4', 'r5'],
    ['MOVE', 'r4', '1'],
    ['MOVE', 'r5', '1'],
    ['SET', 'r5', 'y'],
    ['MOVE', 'r5', '1'],
    ['COPY', 'r5', 'cp'],
    ['COPY', 'r5', 'cp'],
    ['COPY', 'r5', 'cp', 'REPLACE'],
    ['COPY', 'r5', 'cp', 'DB', '2'],
    ['SELECT', '1'],
    ['DEL', 'r4'],
    ['SELECT', '0'],
    ['SWAPDB', '0', '1'],
    ['FLUSHDB'],
    ['SET', 'x', 'y'],
    ['FLUSHALL'],
  ],
  lists: [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'a'],
    ['LPUSH', 'l', 'z'],
    ['LPUSHX', 'l', 'y'],
    ['RPUSHX', 'nol', 'y'],
    ['LINSERT', 'l', 'BEFORE', 'c', 'x'],
    ['LINSERT', 'l', 'AFTER', 'nopivot', 'x'],
    ['LSET', 'l', '0', 'Y'],
    ['LREM', 'l', '0', 'a'],
    ['LREM', 'l', '0', 'nothing'],
    ['LTRIM', 'l', '0', '-1'],
    ['LTRIM', 'l', '1', '-2'],
    ['LPOP', 'l'],
    ['RPOP', 'l', '2'],
    ['LPOP', 'l', '0'],
    ['RPUSH', 'src', '1', '2', '3'],
    ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
    ['RPOPLPUSH', 'src', 'dst'],
    ['LMOVE', 'src', 'src', 'LEFT', 'LEFT'],
    ['LMOVE', 'src', 'dst', 'RIGHT', 'LEFT'],
    ['LMOVE', 'src', 'dst', 'RIGHT', 'LEFT'],
    ['LMPOP', '2', 'nol', 'dst', 'RIGHT', 'COUNT', '2'],
    ['BLPOP', 'dst', '0'],
    ['BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '10'],
    ['RPUSH', 't', 'a'],
    ['LTRIM', 't', '1', '0'],
    ['RPUSH', 't', 'a', 'a'],
    ['LREM', 't', '0', 'a'],
    ['RPUSH', 'one', 'x'],
    ['BRPOPLPUSH', 'one', 'one', '0'],
    ['BLMOVE', 'one', 'other', 'LEFT', 'LEFT', '0'],
  ],
  streams: [
    ['XADD', 's', '1-1', 'f', 'v'],
    ['XADD', 's', '2-1', 'f', 'v'],
    ['XADD', 's', '3-1', 'f', 'v'],
    ['XADD', 's', 'MAXLEN', '2', '4-1', 'f', 'v'],
    ['XADD', 's', 'MAXLEN', '5', '5-1', 'f', 'v'],
    ['XADD', 'nos', 'NOMKSTREAM', '*', 'f', 'v'],
    ['XADD', 's', '1-0', 'f', 'v'],
    ['XTRIM', 's', 'MAXLEN', '2'],
    ['XTRIM', 's', 'MAXLEN', '2'],
    ['XDEL', 's', '4-1', '9-9'],
    ['XDEL', 's', '9-9'],
    ['XSETID', 's', '10-0'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XGROUP', 'CREATE', 'mk', 'g', '$', 'MKSTREAM'],
    ['XGROUP', 'SETID', 's', 'g', '0'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '1', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c3', 'NOACK', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c4', 'STREAMS', 's', '0'],
    ['XACK', 's', 'g', '5-1'],
    ['XCLAIM', 's', 'g', 'c5', '0', '5-1', '4-1'],
    ['XCLAIM', 's', 'g', 'c6', '0', '5-1'],
    ['XAUTOCLAIM', 's', 'g', 'c7', '0', '0'],
    ['XAUTOCLAIM', 's', 'g', 'c8', '0', '0', 'JUSTID'],
    ['XGROUP', 'DELCONSUMER', 's', 'g', 'c2'],
    ['XGROUP', 'DELCONSUMER', 's', 'g', 'nobody'],
    ['XGROUP', 'DESTROY', 's', 'g'],
    ['XGROUP', 'DESTROY', 's', 'g'],
    ['DEL', 's'],
  ],
  misses: [
    ['GET', 'nokey'],
    ['MGET', 'a', 'b'],
    ['SET', 'a', '1'],
    ['MGET', 'a', 'b'],
    ['EXISTS', 'a', 'x'],
    ['TYPE', 'x'],
    ['TTL', 'x'],
    ['PTTL', 'x'],
    ['STRLEN', 'x'],
    ['GETRANGE', 'x', '0', '1'],
    ['OBJECT', 'ENCODING', 'x'],
    ['OBJECT', 'IDLETIME', 'x'],
    ['TOUCH', 'x', 'a'],
    ['GETEX', 'x'],
    ['GETDEL', 'x'],
    ['GETSET', 'x', '1'],
    ['INCR', 'y'],
    ['APPEND', 'z', 'v'],
    ['LRANGE', 'l', '0', '-1'],
    ['LLEN', 'l'],
    ['LINDEX', 'l', '0'],
    ['LPOS', 'l', 'a'],
    ['LPOP', 'l'],
    ['RPUSHX', 'l', 'a'],
    ['LMOVE', 'l', 'm', 'LEFT', 'LEFT'],
    ['LMPOP', '1', 'l', 'LEFT'],
    ['XLEN', 's'],
    ['XRANGE', 's', '-', '+'],
    ['XREAD', 'STREAMS', 's', '0'],
    ['XINFO', 'STREAM', 's'],
    ['XPENDING', 's', 'g'],
    ['XADD', 's', 'NOMKSTREAM', '*', 'f', 'v'],
    ['XTRIM', 's', 'MAXLEN', '0'],
    ['XDEL', 's', '1-1'],
    ['COPY', 'x', 'y'],
    ['RENAME', 'x', 'y'],
    ['MOVE', 'x', '1'],
    ['DEL', 'x'],
    ['EXPIRE', 'x', '10'],
    ['PERSIST', 'x'],
    ['LCS', 'x', 'a'],
    ['DEL', 'a', 'y', 'z'],
  ],
};

/** One listener per server, subscribed to every keyspace channel and to SYNC. */
class Listeners {
  private constructor(
    readonly ours: RawClient,
    readonly ref: RawClient,
  ) {}

  /** Listeners of PATTERN, or of the given `channels` (SUBSCRIBE) when there are some. */
  static async open(servers: DiffServers, resp3 = false, channels: string[] = []): Promise<Listeners> {
    const l = new Listeners(await RawClient.connect(servers.ours.port), await RawClient.connect(servers.ref.port));
    for (const c of [l.ours, l.ref]) {
      if (resp3) await c.call('HELLO', '3');
      if (channels.length === 0) await c.call('PSUBSCRIBE', PATTERN);
      else for (const channel of channels) await c.call('SUBSCRIBE', channel);
      await c.call('SUBSCRIBE', SYNC);
    }
    return l;
  }

  /** Every message up to the next SYNC message, as raw frames, on one side. */
  static async drain(c: RawClient): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const r = await c.read();
      const text = r.raw.toString('latin1');
      if (text.includes(SYNC)) return out;
      out.push(show(r.raw));
    }
  }

  close(): void {
    this.ours.close();
    this.ref.close();
  }
}

describe.skipIf(!hasRedisServer())('keyspace notifications vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG });
  let l: Listeners;
  /** Every listener pair the events are compared on (a test may add one). */
  let listeners: Listeners[] = [];

  beforeAll(async () => {
    l = await Listeners.open(servers);
    listeners = [l];
  });
  afterAll(() => {
    l?.close();
  });
  beforeEach(async () => {
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', '');
    await p.same('FLUSHALL');
    await p.same('SELECT', '0');
    // No expiry behind the tests' back (a key set with a past time); the expiry test turns it on.
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
  });

  /**
   * Runs each command on both servers (replies compared), then compares the events it
   * published on each side; returns how many there were.
   */
  async function events(...commands: string[][]): Promise<number> {
    let total = 0;
    for (const argv of commands) {
      await p.same(...argv);
      total += await sameEvents(`events of ${JSON.stringify(argv)}`);
    }
    return total;
  }

  /** Publishes the sync message on both sides and compares what each listener got before it. */
  async function sameEvents(what: string): Promise<number> {
    await p.both('PUBLISH', SYNC, 'x');
    let total = 0;
    for (const pair of listeners) {
      const [ours, ref] = await Promise.all([Listeners.drain(pair.ours), Listeners.drain(pair.ref)]);
      expect(ours, what).toEqual(ref);
      total += ref.length;
    }
    return total;
  }

  it('strings: SET and its options, counters, ranges, GETDEL, GETEX, GETSET, MSET', async () => {
    const n = await events(...SEQUENCES.strings);
    expect(n).toBeGreaterThan(20);
  });

  it('generic: DEL, UNLINK, EXPIRE family, PERSIST, RENAME, MOVE, COPY, SWAPDB, FLUSHDB, FLUSHALL', async () => {
    const n = await events(...SEQUENCES.generic);
    expect(n).toBeGreaterThan(20);
  });

  it('lists: pushes, pops, LINSERT, LSET, LREM, LTRIM, moves, LMPOP, and del of an emptied list', async () => {
    const n = await events(...SEQUENCES.lists);
    expect(n).toBeGreaterThan(30);
  });

  it('hashes: HSET family, counters, HDEL and del of an emptied hash, generic commands on a hash', async () => {
    const n = await events(...SEQUENCES.hashes);
    expect(n).toBeGreaterThan(20);
  });

  it('sets: SADD, SREM, SMOVE, SPOP (del of the emptied set), the STORE forms and their del', async () => {
    const n = await events(...SEQUENCES.sets);
    expect(n).toBeGreaterThan(30);
  });

  it('bitmaps and HyperLogLogs: setbit, set, del, pfadd only when something changed', async () => {
    const n = await events(
      ['SETBIT', 'b', '3', '1'],
      ['SETBIT', 'b', '3', '1'],
      ['SETBIT', 'b', '30', '0'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '1', 'GET', 'u8', '0'],
      ['BITFIELD', 'b', 'GET', 'u8', '0'],
      ['BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'],
      ['BITOP', 'OR', 'd', 'b', 'nokey'],
      ['BITOP', 'AND', 'd', 'nokey'],
      ['BITOP', 'AND', 'd', 'nokey'],
      ['PFADD', 'h', 'a', 'b'],
      ['PFADD', 'h', 'a'],
      ['PFADD', 'h2'],
      ['PFCOUNT', 'h'],
      ['PFMERGE', 'h3', 'h', 'h2'],
      ['PFDEBUG', 'TODENSE', 'h'],
    );
    expect(n).toBeGreaterThan(10);
  });

  it('lists: clients served after blocking (BLPOP, BLMPOP, BLMOVE, BRPOPLPUSH)', async () => {
    const waiters = await Promise.all([RawClient.connect(servers.ours.port), RawClient.connect(servers.ref.port)]);
    try {
      for (const argv of [
        ['BLPOP', 'q', '0'],
        ['BLMPOP', '0', '1', 'q', 'RIGHT', 'COUNT', '3'],
        ['BLMOVE', 'q', 'q2', 'LEFT', 'RIGHT', '0'],
        ['BRPOPLPUSH', 'q', 'q', '0'],
      ]) {
        for (const w of waiters) w.write(encodeCommand(argv));
        await untilBlocked(1);
        await events(['RPUSH', 'q', 'a', 'b']);
        const [o, r] = await Promise.all(waiters.map((w) => w.read()));
        expect(show(o.raw)).toBe(show(r.raw));
        await events(['DEL', 'q', 'q2']);
      }
    } finally {
      for (const w of waiters) w.close();
    }
  });

  it('streams: readers served after blocking (XREAD, XREADGROUP creating its consumer, a deleted stream)', async () => {
    await events(['XGROUP', 'CREATE', 'bs', 'g', '$', 'MKSTREAM']);
    const waiters = await Promise.all([RawClient.connect(servers.ours.port), RawClient.connect(servers.ref.port)]);
    let id = 1;
    try {
      for (const argv of [
        ['XREAD', 'BLOCK', '0', 'STREAMS', 'bs', '$'],
        ['XREADGROUP', 'GROUP', 'g', 'newbie', 'BLOCK', '0', 'STREAMS', 'bs', '>'],
        ['XREADGROUP', 'GROUP', 'g', 'other', 'NOACK', 'BLOCK', '0', 'STREAMS', 'bs', '>'],
      ]) {
        // Nothing new for the group: the read blocks.
        await events(['XGROUP', 'SETID', 'bs', 'g', '$']);
        for (const w of waiters) w.write(encodeCommand(argv));
        await untilBlocked(1);
        await sameEvents(`events of blocking ${JSON.stringify(argv)}`);
        await events(['XADD', 'bs', `${id}-1`, 'f', 'v']);
        await Promise.all(waiters.map((w) => w.read()));
        id++;
      }
      await events(['XGROUP', 'SETID', 'bs', 'g', '$']);
      for (const w of waiters) w.write(encodeCommand(['XREADGROUP', 'GROUP', 'g', 'third', 'BLOCK', '0', 'STREAMS', 'bs', '>']));
      await untilBlocked(1);
      await events(['DEL', 'bs']);
      const [o, r] = await Promise.all(waiters.map((w) => w.read()));
      expect(show(o.raw)).toBe(show(r.raw));
    } finally {
      for (const w of waiters) w.close();
    }
  });

  /** Waits (deterministically: until the servers say so) for `n` blocked clients on each side. */
  async function untilBlocked(n: number): Promise<void> {
    for (const c of [p.ours, p.ref]) {
      for (;;) {
        const info = String((await c.call('INFO', 'clients')).value);
        if (info.includes(`blocked_clients:${n}\r\n`)) break;
      }
    }
  }

  it('streams: XADD (and its trimming), XTRIM, XDEL, XSETID, XGROUP, consumers created by reads and claims', async () => {
    const n = await events(...SEQUENCES.streams);
    expect(n).toBeGreaterThan(20);
  });

  it('new-key events (n) come before the event of the command that created the key', async () => {
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn');
    const n = await events(
      ['SET', 'a', '1'],
      ['SET', 'a', '2'],
      ['INCR', 'i'],
      ['APPEND', 'ap', 'x'],
      ['SETRANGE', 'sr', '2', 'x'],
      ['MSET', 'a', '1', 'b', '2'],
      ['RENAME', 'b', 'c'],
      ['COPY', 'c', 'd'],
      ['MOVE', 'd', '3'],
      ['RPUSH', 'l', 'a'],
      ['LPUSH', 'l', 'b'],
      ['XADD', 's', '1-1', 'f', 'v'],
      ['XGROUP', 'CREATE', 's2', 'g', '$', 'MKSTREAM'],
    );
    expect(n).toBeGreaterThan(10);
  });

  /** A mixed sequence touching every family, for the flag-filtering cases. */
  const MIXED: string[][] = [
    ['SET', 'a', '1'],
    ['INCR', 'a'],
    ['EXPIRE', 'a', '100'],
    ['RPUSH', 'l', 'x', 'y'],
    ['LPOP', 'l', '2'],
    ['XADD', 's', '1-1', 'f', 'v'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['RENAME', 'a', 'b'],
    ['DEL', 'b', 's'],
  ];

  for (const flags of ['Kl', 'Ex', 'g$', 'Kn', 'E$', 'KEt', 'Kg', 'En', 'KE', 'A', 'Kx', 'KA$l', 'AKn']) {
    it(`flag filtering: notify-keyspace-events ${flags}`, async () => {
      await p.same('CONFIG', 'SET', 'notify-keyspace-events', flags);
      await p.same('CONFIG', 'GET', 'notify-keyspace-events');
      await events(...MIXED);
      // Whatever the flags, an expiry is seen by the x class alone.
      await events(['SET', 'e', 'v', 'PX', '1']);
      await untilGone('e');
      await sameEvents('events of a lazy expiry');
    });
  }

  it('key-miss events (m): reads of missing keys, not writes, not OBJECT', async () => {
    for (const flags of ['KEm', 'Em', 'Km', 'KEA']) {
      await p.same('CONFIG', 'SET', 'notify-keyspace-events', flags);
      await p.same('CONFIG', 'GET', 'notify-keyspace-events');
      const n = await events(...SEQUENCES.misses);
      expect(n).toBeGreaterThan(flags === 'KEm' ? 40 : 15);
    }
  });

  it('DEBUG RELOAD loads keys without new-key events', async () => {
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn');
    await events(['SET', 'a', '1'], ['RPUSH', 'l', 'x'], ['XADD', 's', '1-1', 'f', 'v']);
    await p.same('DEBUG', 'RELOAD');
    await p.same('DBSIZE');
    expect(await sameEvents('events of DEBUG RELOAD')).toBe(0);
  });

  /** Reads `key` on each side until it has expired (which a read does lazily). */
  async function untilGone(key: string): Promise<void> {
    for (const c of [p.ours, p.ref]) while ((await c.call('EXISTS', key)).value !== 0);
  }

  it('expired events: lazy expiry by a read and by a write (then new, set), active expiry', async () => {
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn');
    // 100 ms, not 1: redis-server reads its clock twice in PEXPIRE, and on a loaded machine
    // 1 ms can pass in between, so it deletes the key at once (del) instead of setting it.
    await events(['SET', 'k', 'v', 'PX', '100'], ['SET', 'w', 'v', 'PX', '100'], ['RPUSH', 'l', 'a'], ['PEXPIRE', 'l', '100']);
    await untilGone('k');
    expect(await sameEvents('events of a lazy expiry by a read')).toBe(2);
    for (const c of [p.ours, p.ref]) while ((await c.call('PTTL', 'l')).value !== -2);
    await sameEvents('events of a lazy expiry by PTTL');
    // The write expires `w` first (lookupKeyWrite), then creates it again.
    await events(['SET', 'w', 'again']);
    await p.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    // Active expiry: nothing reads the key, the cycle deletes it; wait for the message itself.
    await events(['SET', 'gone', 'v', 'PX', '1']);
    const [ours, ref] = await Promise.all([l.ours.read(), l.ref.read()]);
    expect(show(ours.raw)).toBe(show(ref.raw));
    const [ours2, ref2] = await Promise.all([l.ours.read(), l.ref.read()]);
    expect(show(ours2.raw)).toBe(show(ref2.raw));
    expect(ours2.raw.toString('latin1')).toContain('__keyevent@0__:expired');
    expect(await sameEvents('nothing after the active expiry')).toBe(0);
  });

  it('RESP3 listeners get the same events as pushes, SUBSCRIBE (not only PSUBSCRIBE) listeners too', async () => {
    const resp3 = await Listeners.open(servers, true);
    const plain = await Listeners.open(servers, false, ['__keyspace@0__:k', '__keyevent@0__:del', '__keyevent@1__:set']);
    listeners = [l, resp3, plain];
    try {
      await events(
        ['SET', 'k', 'v'],
        ['RPUSH', 'k2', 'a'],
        ['DEL', 'k', 'k2'],
        ['SELECT', '1'],
        ['SET', 'k', 'v'],
        ['SELECT', '0'],
        ['SET', 'bin\x00\xff', 'v'],
      );
    } finally {
      listeners = [l];
      resp3.close();
      plain.close();
    }
  });

  it('a RESP3 client subscribed to its own events gets them in order with its replies, every family, in MULTI', async () => {
    const self = await servers.pair();
    await self.both('HELLO', '3');
    await self.same('PSUBSCRIBE', PATTERN);
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEAnm');
    /** Runs the commands on both, then PING: every frame before the PONG (events and replies) compared in order. */
    const sameFrames = async (...argvs: string[][]): Promise<void> => {
      const bytes = Buffer.concat([...argvs.map((argv) => encodeCommand(argv)), encodeCommand(['PING'])]);
      self.ours.write(bytes);
      self.ref.write(bytes);
      const [ours, ref] = await Promise.all([self.ours, self.ref].map(async (c) => {
        const frames: string[] = [];
        for (;;) {
          const raw = (await c.read()).raw;
          if (raw.toString('latin1') === '+PONG\r\n') return frames;
          frames.push(show(raw));
        }
      }));
      expect(ours, `frames of ${JSON.stringify(argvs)}`).toEqual(ref);
    };
    const transaction = [['MULTI'], ['SET', 'k', 'w'], ['RPUSH', 'l', 'b', 'c'], ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'], ['INCR', 'nokey'], ['EXEC']];
    for (const argv of [...SEQUENCES.strings, ...SEQUENCES.lists, ...SEQUENCES.streams, ...SEQUENCES.misses, ...SEQUENCES.generic]) {
      await sameFrames(argv);
    }
    // PING is queued too: the transaction is sent whole.
    await sameFrames(...transaction);
    await self.same('PUNSUBSCRIBE');
    await sameEvents('events seen by the other listener');
  });

  it('random string, list and stream command sequences (fast-check, seeded)', async () => {
    await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn');
    const key = fc.constantFrom('k1', 'k2', 'k3');
    const value = fc.constantFrom('1', '2', 'a', '', '10.5');
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(fc.constantFrom('SET', 'GETSET', 'APPEND', 'SETNX', 'INCRBYFLOAT'), key, value),
      fc.tuple(fc.constantFrom('INCR', 'DECR', 'GETDEL', 'DEL', 'PERSIST', 'LPOP', 'RPOP'), key),
      fc.tuple(fc.constantFrom('EXPIRE', 'SETRANGE'), key, fc.constantFrom('0', '5', '-1', '1000')),
      fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, value, value),
      fc.tuple(fc.constantFrom('LMOVE'), key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')),
      fc.tuple(fc.constantFrom('LTRIM'), key, fc.constantFrom('0', '1', '-1'), fc.constantFrom('0', '-1', '-2')),
      fc.tuple(fc.constantFrom('LREM'), key, fc.constantFrom('0', '1', '-1'), value),
      fc.tuple(fc.constantFrom('RENAME', 'COPY'), key, key),
      fc.tuple(fc.constantFrom('SET'), key, value, fc.constantFrom('EX', 'KEEPTTL', 'GET', 'XX')).map((t) =>
        t[3] === 'EX' ? [...t, '100'] : t,
      ),
      // Streams with explicit IDs only, so both servers store the same entries.
      fc.tuple(fc.constant('XADD'), key, fc.integer({ min: 1, max: 9 }).map((n) => `${n}-1`), fc.constant('f'), value),
      fc.tuple(fc.constant('XADD'), key, fc.constantFrom('MAXLEN', 'NOMKSTREAM'), fc.constantFrom('1', '2')).map(
        ([cmd, k, opt, n]) => (opt === 'MAXLEN' ? [cmd, k, opt, n, `1${n}-${n}`, 'f', 'v'] : [cmd, k, opt, `2${n}-1`, 'f', 'v']),
      ),
      fc.tuple(fc.constantFrom('XTRIM'), key, fc.constant('MAXLEN'), fc.constantFrom('0', '1', '3')),
      fc.tuple(fc.constantFrom('XDEL'), key, fc.constantFrom('1-1', '2-1', '11-1')),
      fc.tuple(fc.constant('XGROUP'), fc.constant('CREATE'), key, fc.constantFrom('g', 'h'), fc.constantFrom('0', '$'), fc.constant('MKSTREAM')),
      fc.tuple(fc.constant('XGROUP'), fc.constantFrom('CREATECONSUMER', 'DELCONSUMER'), key, fc.constantFrom('g', 'h'), fc.constantFrom('c1', 'c2')),
      fc.tuple(fc.constant('XGROUP'), fc.constant('DESTROY'), key, fc.constantFrom('g', 'h')),
      fc.tuple(fc.constantFrom('c1', 'c2'), key).map(([consumer, k]) => ['XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', '1', 'STREAMS', k, '>']),
      fc.tuple(fc.constantFrom('c1', 'c3'), key).map(([consumer, k]) => ['XAUTOCLAIM', k, 'g', consumer, '0', '0', 'JUSTID']),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 20 }), async (commands) => {
        await p.same('FLUSHALL');
        await events(...commands);
      }),
      { seed: 20260521, numRuns: 60 },
    );
  });
});


describe('keyspace notifications configured at start-up', () => {
  it('--notify-keyspace-events takes effect from the start, CONFIG SET "" turns it off', async () => {
    const broker = await startBroker(['--notify-keyspace-events', 'Kg$']);
    const [listener, writer] = await Promise.all([RawClient.connect(broker.port), RawClient.connect(broker.port)]);
    try {
      await listener.call('PSUBSCRIBE', '__key*__:*');
      await listener.call('SUBSCRIBE', SYNC);
      await writer.call('SET', 'k', 'v');
      await writer.call('RPUSH', 'l', 'a');
      await writer.call('PUBLISH', SYNC, 'x');
      expect((await Listeners.drain(listener)).map((m) => JSON.parse(m) as string)).toEqual([
        '*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n',
      ]);
      await writer.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      await writer.call('SET', 'k', 'w');
      await writer.call('PUBLISH', SYNC, 'x');
      expect(await Listeners.drain(listener)).toEqual([]);
    } finally {
      listener.close();
      writer.close();
      await broker.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
