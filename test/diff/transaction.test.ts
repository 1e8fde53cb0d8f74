/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH against redis-server 7.0, replies compared
 * byte for byte: queueing and its errors (EXECABORT), runtime errors inside EXEC,
 * EXEC rejected itself, every kind of WATCH invalidation (writes by anyone, other
 * dbs, FLUSHDB/FLUSHALL, SWAPDB, RENAME/MOVE/COPY, expiry before and after WATCH),
 * RESP3, what runs inside EXEC (blocking commands, MONITOR, SUBSCRIBE, SELECT,
 * CLIENT INFO), CLIENT LIST, MONITOR, SLOWLOG, command statistics and CLIENT PAUSE.
 * Then, on our broker alone, the effects of an EXEC form one unit whose replay
 * (wrapped in MULTI/EXEC) rebuilds the dataset.
 *
 * Keys that must expire are given a short TTL before the step, then the test waits
 * for them to expire (watching KEYS or DBSIZE, which do not delete them) for as long
 * as it takes: no step depends on how fast anything runs.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { effectsAsText, replayedDigest, type TextEffect } from '../harness/effects.js';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker } from '../harness/servers.js';
import { suiteBroker } from '../harness/suite.js';
import { DiffPair, diffSuite } from '../harness/diff.js';

const DEBUG = ['--enable-debug-command', 'yes'];

/** Polls `probe` on both servers until `done` holds for both (generously: 10 s). */
async function waitBoth(p: DiffPair, probe: string[], done: (reply: string) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const client of [p.ours, p.ref]) {
    while (!done((await client.call(...probe)).raw.toString('latin1'))) {
      if (Date.now() > deadline) throw new Error(`still waiting for ${probe.join(' ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Waits until `key` of the pair's current db has expired, without deleting it. */
function waitExpired(p: DiffPair, key: string): Promise<void> {
  return waitBoth(p, ['KEYS', key], (reply) => reply === '*0\r\n');
}

/** Fields of a CLIENT LIST line that do not depend on memory or time. */
function clientFields(line: string): string {
  return ['flags', 'db', 'multi', 'cmd'].map((f) => new RegExp(`\\b${f}=\\S*`).exec(line)![0]).join(' ');
}

/** A MONITOR line without its time and client port. */
function monitorLine(raw: Buffer): string {
  return raw.toString('latin1').replace(/^\+\d+\.\d+ \[(\d+) [^\]]*\]/, '+T [$1 C]');
}

describe.skipIf(!hasRedisServer())('transactions vs redis-server', () => {
  /** Two clients: `a` runs the transactions, `b` writes behind its back. */
  const { servers, p: a } = diffSuite({ ours: DEBUG, ref: DEBUG });
  let b: DiffPair;
  beforeAll(async () => {
    b = await servers.pair();
  });
  beforeEach(async () => {
    await a.same('RESET');
    await b.same('RESET');
    await a.same('FLUSHALL');
    await a.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  });

  /** A transaction on `a`: MULTI, the commands (each QUEUED or an error), EXEC. */
  async function transaction(...commands: string[][]): Promise<void> {
    await a.same('MULTI');
    for (const argv of commands) await a.same(...argv);
    await a.same('EXEC');
  }

  /** `a` watches `key`, `b` runs `touch`, then `a`'s EXEC runs or fails. */
  async function watchThen(key: string, ...touch: string[][]): Promise<void> {
    await a.same('WATCH', key);
    for (const argv of touch) await b.same(...argv);
    await transaction(['PING']);
  }

  it('queues commands and answers MULTI, EXEC, DISCARD and WATCH misuse as redis-server', async () => {
    await a.same('EXEC');
    await a.same('DISCARD');
    await a.same('MULTI');
    await a.same('MULTI');
    await a.same('SET', 'k', 'v');
    await a.same('WATCH', 'k');
    await a.same('UNWATCH');
    await a.same('GET', 'k');
    await a.same('EXEC');
    await a.same('EXEC');
    await a.same('MULTI');
    await a.same('SET', 'k', 'other');
    await a.same('DISCARD');
    await a.same('GET', 'k');
    await transaction();
    await a.same('multi');
    await a.same('set', 'k', 'lower');
    await a.same('exec');
  });

  it('a command rejected while queueing makes EXEC fail with EXECABORT', async () => {
    const rejected = [
      ['NOSUCH', 'x'],
      ['GET'],
      ['GET', 'a', 'b'],
      ['CLIENT', 'NOSUCH'],
      ['MULTI', 'x'],
      ['DISCARD', 'x'],
      ['WATCH'],
      ['SHUTDOWN'],
    ];
    for (const error of rejected) {
      await transaction(['SET', 'k', 'v'], error, ['SET', 'k2', 'v']);
      await a.same('EXISTS', 'k', 'k2');
    }
    // Runtime errors are no queueing errors: the rest runs.
    await transaction(['SET', 's', 'x'], ['INCR', 's'], ['LPUSH', 's', 'y'], ['APPEND', 's', 'y'], ['GET', 's'], ['SELECT', '99']);
    await transaction(['WATCH', 'k']);
  });

  it('EXEC rejected itself discards the transaction and says why', async () => {
    await a.same('EXEC', 'x');
    await a.same('MULTI');
    await a.same('SET', 'k', 'v');
    await a.same('EXEC', 'x');
    await a.same('EXEC');
    await a.same('EXISTS', 'k');

    const c = await servers.pair();
    try {
      await a.same('CONFIG', 'SET', 'requirepass', 'secret');
      await c.same('EXEC');
      await c.same('MULTI');
      await c.same('AUTH', 'secret');
      await c.same('MULTI');
      await c.same('AUTH', 'secret');
      await c.same('PING');
      await c.same('EXEC');
    } finally {
      await a.same('CONFIG', 'SET', 'requirepass', '');
      c.close();
    }

    // Subscribed in RESP2 (by a transaction): EXEC is refused as EXECABORT, MULTI as itself.
    await transaction(['SUBSCRIBE', 'ch']);
    await a.same('EXEC');
    await a.same('MULTI');
    await a.same('PING');
  });

  it('RESP3: a failed EXEC is the null, replies inside EXEC are RESP3', async () => {
    await a.both('HELLO', '3');
    await a.same('RPUSH', 'l', 'a', 'b', 'c');
    await watchThen('l', ['LPOP', 'l']);
    await transaction(['LPOP', 'l', '5'], ['LPOP', 'l', '5'], ['GET', 'l'], ['NOSUCH']);
    await transaction(['LPOP', 'l', '5'], ['GET', 'l'], ['SUBSCRIBE', 'ch'], ['PING']);
    await a.same('MULTI');
    await a.same('GET', 'k');
    await a.same('EXEC');
    await a.both('HELLO', '2');
  });

  it('QUIT and RESET inside MULTI', async () => {
    await a.same('WATCH', 'k');
    await a.same('MULTI');
    await a.same('SET', 'k', '1');
    await a.same('RESET');
    await a.same('EXEC');
    await b.same('SET', 'k', '2');
    // RESET forgot the watched key too.
    await transaction(['GET', 'k']);

    const c = await servers.pair();
    await c.same('MULTI');
    await c.same('SET', 'k', '3');
    await c.same('QUIT');
    await Promise.all([c.ours.waitClosed(), c.ref.waitClosed()]);
    await a.same('GET', 'k');
  });

  it('WATCH: a change to the key by anyone fails EXEC; reads and no-op writes do not', async () => {
    const setup = async (): Promise<void> => {
      await b.same('FLUSHALL');
      await b.same('SET', 's', '10');
      await b.same('RPUSH', 'l', 'a', 'b');
    };
    const cases: [string, string[]][] = [
      ['s', ['SET', 's', '10']],
      ['s', ['INCR', 's']],
      ['s', ['APPEND', 's', 'x']],
      ['s', ['DEL', 's']],
      ['s', ['EXPIRE', 's', '100']],
      ['s', ['PEXPIRE', 's', '0']],
      ['s', ['RENAME', 's', 'r']],
      ['r', ['RENAME', 's', 'r']],
      ['s', ['MOVE', 's', '1']],
      ['l', ['COPY', 's', 'l', 'REPLACE']],
      ['l', ['LPOP', 'l']],
      ['l', ['RPUSH', 'l', 'c']],
      ['l', ['LMOVE', 's2', 'l', 'LEFT', 'LEFT']],
      ['l', ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT']],
      ['n', ['SET', 'n', '1']],
      // Nothing changes: EXEC runs.
      ['s', ['GET', 's']],
      ['s', ['EXISTS', 's']],
      ['s', ['PERSIST', 's']],
      ['s', ['RENAME', 's', 's']],
      ['n', ['DEL', 'n']],
      ['n', ['EXPIRE', 'n', '100']],
      ['n', ['LPOP', 'n']],
      ['l', ['LREM', 'l', '0', 'zz']],
      ['s', ['SET', 's', '1', 'NX']],
      ['s', ['COPY', 'l', 's']],
    ];
    for (const [key, touch] of cases) {
      await setup();
      await watchThen(key, touch);
    }
    // The watcher's own writes count; so do writes of several watched keys.
    await setup();
    await a.same('WATCH', 's', 'l', 's');
    await a.same('INCR', 's');
    await transaction(['GET', 's']);
    await a.same('WATCH', 's', 'l');
    await b.same('LPOP', 'l');
    await b.same('INCR', 's');
    await transaction(['GET', 's']);
  });

  it('WATCH: keys belong to the db they were watched in', async () => {
    await a.same('WATCH', 'k');
    await b.same('SELECT', '1');
    await b.same('SET', 'k', 'db1');
    await transaction(['GET', 'k']);
    // Watched in db 0, then the watcher moves to db 1: a write in db 0 still counts.
    await a.same('WATCH', 'k');
    await a.same('SELECT', '1');
    await b.same('SELECT', '0');
    await b.same('SET', 'k', 'db0');
    await transaction(['GET', 'k']);
    await a.same('WATCH', 'k');
    await b.same('MOVE', 'k', '1');
    await transaction(['GET', 'k']);
  });

  it('UNWATCH, DISCARD and EXEC forget the watched keys', async () => {
    await a.same('WATCH', 'k');
    await b.same('SET', 'k', '1');
    await a.same('UNWATCH');
    await transaction(['GET', 'k']);
    await a.same('WATCH', 'k');
    await a.same('MULTI');
    await a.same('DISCARD');
    await b.same('SET', 'k', '2');
    await transaction(['GET', 'k']);
    await a.same('WATCH', 'k');
    await transaction(['GET', 'k']);
    await b.same('SET', 'k', '3');
    await transaction(['GET', 'k']);
    // UNWATCH queued inside MULTI runs in EXEC, after the check.
    await a.same('WATCH', 'k');
    await b.same('SET', 'k', '4');
    await transaction(['UNWATCH']);
    // A failed EXEC forgets them as well.
    await a.same('WATCH', 'k');
    await b.same('SET', 'k', '5');
    await transaction(['GET', 'k']);
    await b.same('SET', 'k', '6');
    await transaction(['GET', 'k']);
  });

  it('FLUSHDB and FLUSHALL fail EXEC only for watched keys that existed', async () => {
    await watchThen('k', ['FLUSHDB']);
    await watchThen('k', ['FLUSHALL']);
    await b.same('SET', 'k', '1');
    await watchThen('k', ['FLUSHDB']);
    await b.same('SET', 'k', '1');
    await watchThen('k', ['FLUSHALL']);
    await b.same('SET', 'k', '1');
    await watchThen('k', ['SELECT', '1'], ['FLUSHDB'], ['SELECT', '0']);
    await b.same('SELECT', '1');
    await b.same('SET', 'k', '1');
    await watchThen('k', ['FLUSHALL'], ['SELECT', '0']);
  });

  it('SWAPDB fails EXEC when the watched key exists in either db', async () => {
    await watchThen('k', ['SWAPDB', '0', '1']);
    await b.same('SET', 'k', '0');
    await watchThen('k', ['SWAPDB', '0', '1']);
    await watchThen('k', ['SWAPDB', '0', '1']);
    await watchThen('k', ['SWAPDB', '1', '0']);
    await watchThen('k', ['SWAPDB', '0', '0']);
    await watchThen('k', ['SWAPDB', '2', '3']);
    await b.same('SET', 'k', '0');
    await watchThen('k', ['SWAPDB', '0', '1']);
    await watchThen('k', ['SWAPDB', '0', '9']);
    await watchThen('k', ['SWAPDB', '0', 'x']);
  });

  it('a watched key that expires fails EXEC, deleted yet or not', async () => {
    // Not yet deleted: EXEC checks the watched keys' expiry itself.
    await a.same('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await a.same('SET', 'k', 'v', 'PX', '30');
    await a.same('WATCH', 'k');
    await waitExpired(a, 'k');
    await transaction(['GET', 'k']);
    // Deleted lazily by a read of another client.
    await a.same('SET', 'k', 'v', 'PX', '30');
    await a.same('WATCH', 'k');
    await waitExpired(a, 'k');
    await b.same('GET', 'k');
    await transaction(['GET', 'k']);
    // Deleted by the active expire cycle.
    await a.same('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await a.same('SET', 'k', 'v', 'PX', '30');
    await a.same('WATCH', 'k');
    await waitBoth(a, ['DBSIZE'], (reply) => reply === ':0\r\n');
    await transaction(['GET', 'k']);
    // A TTL set after WATCH is a change by itself.
    await a.same('SET', 'k', 'v');
    await watchThen('k', ['PEXPIRE', 'k', '100000']);
  });

  it('a key already expired when watched is watched as absent', async () => {
    await a.same('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    /** Sets `key` in `db`, live or already expired. */
    const put = async (key: string, state: 'live' | 'expired', db = '0'): Promise<void> => {
      await b.same('SELECT', db);
      await b.same('SET', key, state, 'PX', state === 'live' ? '1000000' : '20');
      if (state === 'expired') await waitExpired(b, key);
      await b.same('SELECT', '0');
    };
    const expired = (key: string, db = '0'): Promise<void> => put(key, 'expired', db);
    // Its deletion by expiry is no change.
    await expired('k');
    await watchThen('k', ['GET', 'k']);
    await expired('k');
    await watchThen('k', ['FLUSHDB']);
    await expired('k');
    await watchThen('k', ['FLUSHALL']);
    // Being written is.
    await expired('k');
    await watchThen('k', ['SET', 'k', 'new']);
    await b.same('FLUSHALL');
    await expired('k');
    await watchThen('k', ['RPUSH', 'k', 'x']);
    // SWAPDB: expired on one side, absent, live or expired on the other.
    const swaps: ['live' | 'expired' | null, 'live' | 'expired' | null][] = [
      ['expired', null],
      ['expired', 'live'],
      ['expired', 'expired'],
      [null, 'expired'],
      ['live', 'expired'],
    ];
    for (const [mine, other] of swaps) {
      await b.same('FLUSHALL');
      if (mine !== null) await put('k', mine, '0');
      if (other !== null) await put('k', other, '1');
      await watchThen('k', ['SWAPDB', '0', '1']);
      // And back, still watched as the previous EXEC left things.
      await a.same('WATCH', 'k');
      await b.same('SWAPDB', '0', '1');
      await b.same('SWAPDB', '1', '0');
      await transaction(['PING']);
    }
  });

  it('inside EXEC, blocking commands answer at once and MONITOR/SSUBSCRIBE are refused', async () => {
    await transaction(
      ['BLPOP', 'none', '0'],
      ['BRPOP', 'none', 'none2', '0'],
      ['BRPOPLPUSH', 'none', 'd', '0'],
      ['BLMOVE', 'none', 'd', 'LEFT', 'LEFT', '0'],
      ['BLMPOP', '0', '1', 'none', 'LEFT'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', 'none', '$'],
      ['RPUSH', 'l', 'x'],
      ['BLPOP', 'l', '0'],
      ['MONITOR'],
      ['SSUBSCRIBE', 'sch'],
      ['PING'],
    );
    await a.same('PING');
  });

  it('SELECT inside EXEC sticks, and CLIENT INFO inside EXEC shows the transaction', async () => {
    await transaction(['SET', 'k', '0'], ['SELECT', '1'], ['SET', 'k', '1']);
    await a.same('GET', 'k');
    await a.same('SELECT', '0');
    await a.same('GET', 'k');
    await a.same('MULTI');
    await a.same('GET', 'k');
    await a.same('CLIENT', 'INFO');
    const [ours, ref] = [await a.ours.call('EXEC'), await a.ref.call('EXEC')];
    const info = (r: typeof ours): string => clientFields(String((r.value as unknown[])[1]));
    expect(info(ours)).toBe(info(ref));
    expect(info(ours)).toBe('flags=x db=0 multi=2 cmd=exec');
  });

  it('CLIENT LIST shows multi=<queued> and flag x', async () => {
    const ids = [await a.ours.call('CLIENT', 'ID'), await a.ref.call('CLIENT', 'ID')].map((r) => String(r.value));
    const fields = async (): Promise<string> => {
      const ours = clientFields(String((await b.ours.call('CLIENT', 'LIST', 'ID', ids[0])).value));
      const ref = clientFields(String((await b.ref.call('CLIENT', 'LIST', 'ID', ids[1])).value));
      expect(ours).toBe(ref);
      return ours;
    };
    expect(await fields()).toBe('flags=N db=0 multi=-1 cmd=client|id');
    await a.same('MULTI');
    expect(await fields()).toBe('flags=x db=0 multi=0 cmd=multi');
    await a.same('SET', 'k', 'v');
    await a.same('GET', 'k');
    expect(await fields()).toBe('flags=x db=0 multi=2 cmd=get');
    // Once doomed, nothing more is kept.
    await a.same('NOSUCH');
    await a.same('SET', 'k', 'v');
    expect(await fields()).toBe('flags=x db=0 multi=2 cmd=set');
    await a.same('EXEC');
    expect(await fields()).toBe('flags=N db=0 multi=-1 cmd=exec');
  });

  it('MONITOR shows MULTI, each queued command as EXEC runs it, then EXEC', async () => {
    const m = await servers.pair();
    try {
      await m.same('MONITOR');
      await transaction(['SET', 'k', 'v'], ['SELECT', '2'], ['GET', 'k'], ['CONFIG', 'GET', 'databases']);
      await transaction(['SET', 'k', 'v'], ['NOSUCH']);
      await a.same('MULTI');
      await a.same('SET', 'k', 'v');
      await a.same('MULTI');
      await a.same('WATCH', 'k');
      await a.same('DISCARD');
      await a.same('EXEC', 'x');
      await a.same('SELECT', '0');
      await a.same('WATCH', 'k');
      await b.same('SET', 'k', 'v');
      await transaction(['GET', 'k']);
      await a.same('ECHO', 'end');
      const seen = async (monitor: RawClient): Promise<string[]> => {
        const lines: string[] = [];
        while (!lines.at(-1)?.includes('"end"')) lines.push(monitorLine((await monitor.read()).raw));
        return lines;
      };
      expect(await seen(m.ours)).toEqual(await seen(m.ref));
    } finally {
      m.close();
    }
  });

  it('SLOWLOG logs each queued command, not EXEC', async () => {
    await a.same('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    try {
      await a.same('SLOWLOG', 'RESET');
      await transaction(['SET', 'k', 'v'], ['GET', 'k'], ['NOSUCH']);
      await transaction(['SET', 'k', 'v'], ['GET', 'k']);
      const argvs = async (client: RawClient): Promise<unknown[]> =>
        ((await client.call('SLOWLOG', 'GET', '100')).value as unknown[][]).map((entry) => entry[3]);
      expect(await argvs(a.ours)).toEqual(await argvs(a.ref));
    } finally {
      await a.same('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
  });

  it('counts queued commands when EXEC runs them, EXEC itself, and rejections', async () => {
    await a.same('CONFIG', 'RESETSTAT');
    await transaction(['SET', 'k', 'v'], ['INCR', 'k'], ['GET', 'k']);
    await transaction(['SET', 'k', 'v'], ['GET']);
    await transaction(['SHUTDOWN']);
    await a.same('EXEC', 'x');
    await a.same('MULTI');
    await a.same('MULTI');
    await a.same('EXEC');
    await a.same('WATCH', 'k');
    await b.same('SET', 'k', '1');
    await transaction(['GET', 'k']);
    await transaction(['BLPOP', 'none', '0']);
    const stats = async (client: RawClient, section: string): Promise<string[]> => {
      const text = String((await client.call('INFO', section)).value);
      return text
        .split('\r\n')
        .filter((line) => line.includes(':') && !line.startsWith('cmdstat_info'))
        .map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+,/, ''))
        .sort();
    };
    for (const section of ['commandstats', 'errorstats']) expect(await stats(a.ours, section)).toEqual(await stats(a.ref, section));
    const processed = async (client: RawClient): Promise<string> => /total_commands_processed:\d+/.exec(String((await client.call('INFO', 'stats')).value))![0];
    expect(await processed(a.ours)).toBe(await processed(a.ref));
  });

  it('CLIENT PAUSE WRITE holds queued writes and an EXEC that writes, not one that only reads', async () => {
    const ids = [await a.ours.call('CLIENT', 'ID'), await a.ref.call('CLIENT', 'ID')].map((r) => String(r.value));
    /** Waits until `a` is held on both servers (flag b), and compares what CLIENT LIST says of it. */
    const held = async (): Promise<void> => {
      const seen: string[] = [];
      for (const [i, client] of [b.ours, b.ref].entries()) {
        let line = '';
        while (!/flags=\S*b/.test(line)) {
          line = String((await client.call('CLIENT', 'LIST', 'ID', ids[i])).value);
          await new Promise((r) => setTimeout(r, 2));
        }
        seen.push(clientFields(line));
      }
      expect(seen[0]).toBe(seen[1]);
    };
    await a.same('MULTI');
    await a.same('GET', 'k');
    await b.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    await a.same('GET', 'k');
    a.ours.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
    a.ref.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
    await held();
    await b.same('CLIENT', 'UNPAUSE');
    await a.sameRaw('', 1);
    await b.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    a.ours.write('*1\r\n$4\r\nEXEC\r\n');
    a.ref.write('*1\r\n$4\r\nEXEC\r\n');
    await held();
    await b.same('CLIENT', 'UNPAUSE');
    await a.sameRaw('', 1);
    await b.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    try {
      await transaction(['GET', 'k'], ['EXISTS', 'k']);
    } finally {
      await b.same('CLIENT', 'UNPAUSE');
    }
  });
});

describe('the effects of EXEC', () => {
  const ours = suiteBroker(DEBUG);
  const units: TextEffect[][] = [];
  beforeAll(() => {
    ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
  });

  it('form one unit, which replayed in MULTI/EXEC rebuilds the dataset', async () => {
    const c = await RawClient.connect(ours.port);
    const waiter = await RawClient.connect(ours.port);
    try {
      const run = async (...argv: string[]): Promise<string> => (await c.call(...argv)).raw.toString('latin1');
      const exec = async (...commands: string[][]): Promise<string> => {
        await run('MULTI');
        for (const argv of commands) expect(await run(...argv)).toBe('+QUEUED\r\n');
        return run('EXEC');
      };
      const before = units.length;
      await exec(['SET', 'a', '1'], ['LPUSH', 'l', 'x', 'y'], ['INCR', 'n'], ['EXPIRE', 'a', '1000'], ['SELECT', '1'], ['SET', 'b', '2'], ['SELECT', '0']);
      expect(units.length).toBe(before + 1);
      expect(units[before].map((e) => [e.db, e.argv[0].toUpperCase()])).toEqual([
        [0, 'SET'],
        [0, 'LPUSH'],
        [0, 'INCR'],
        [0, 'PEXPIREAT'],
        [1, 'SET'],
      ]);
      // Nothing written, nothing propagated: not even EXEC.
      await exec(['GET', 'a'], ['LRANGE', 'l', '0', '-1']);
      await exec();
      await run('WATCH', 'a');
      await run('SET', 'a', '2');
      await exec(['SET', 'a', '3']);
      expect(units.length).toBe(before + 2);
      // One write: a unit of one.
      await exec(['SET', 'c', '3'], ['GET', 'c']);
      expect(units.at(-1)!.map((e) => e.argv)).toEqual([['SET', 'c', '3']]);
      // A client woken by the transaction is served after it.
      waiter.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nw\r\n$1\r\n0\r\n');
      while (ours.broker.engine.blocking.size === 0) await new Promise((r) => setTimeout(r, 2));
      await exec(['RPUSH', 'w', 'first', 'second'], ['LPOP', 'w'], ['RPUSH', 'w', 'third']);
      expect((await waiter.read()).raw.toString()).toBe('*2\r\n$1\r\nw\r\n$6\r\nsecond\r\n');
      await exec(['DEL', 'n'], ['RPOPLPUSH', 'l', 'l2'], ['SET', 'n', '9', 'EX', '1000'], ['SWAPDB', '0', '2']);
      await exec(['SET', 'x', 'y'], ['INCR', 'x'], ['APPEND', 'x', 'z']);
    } finally {
      c.close();
      waiter.close();
    }

    const check = await RawClient.connect(ours.port);
    try {
      const digest = (await check.call('DEBUG', 'DIGEST')).raw.toString();
      expect(await replayedDigest(units, { args: DEBUG, start: startBroker, multi: true })).toBe(digest);
    } finally {
      check.close();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
