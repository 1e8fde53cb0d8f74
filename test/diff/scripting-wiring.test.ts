/**
 * Scripting wired with the features around it, against redis-server, byte for byte:
 * - maxmemory: a script whose shebang lets it write is refused before it runs when
 *   memory is over the limit (unless `allow-oom`), `no-writes` scripts and reads run,
 *   and a script without a shebang fails at its first write that may grow memory;
 * - CLIENT PAUSE WRITE: which scripts and functions wait (those that may write, by
 *   their flags) and which run;
 * - CLIENT TRACKING: the keys a script's commands read are remembered for its caller;
 * - SORT and SORT_RO inside scripts (a set sorted with a constant BY is sorted anyway).
 * Whether a command waited is seen without timing: another client's read shows the
 * write has not happened, then CLIENT UNPAUSE lets its reply come.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite, show, type DiffPair } from '../harness/diff.js';
import { type RawClient } from '../harness/raw.js';

const LIB = `#!lua name=wiring
redis.register_function('fwrite', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='fread', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
redis.register_function{function_name='foom', callback=function(keys, args) return redis.call('SET', keys[1], args[1]) end, flags={'allow-oom'}}`;

/** Everything `c` received before the reply to a PING sent now (invalidation pushes). */
async function received(c: RawClient): Promise<string[]> {
  c.write('*1\r\n$4\r\nPING\r\n');
  const out: string[] = [];
  for (;;) {
    const r = await c.read();
    if (r.raw.toString('latin1') === '+PONG\r\n') return out;
    out.push(show(r.raw));
  }
}

describe.skipIf(!hasRedisServer())('scripting with maxmemory, CLIENT PAUSE, tracking and SORT vs redis-server', () => {
  const { servers, p } = diffSuite({ flushEach: true });
  let other: DiffPair;
  beforeAll(async () => {
    other = await servers.pair();
  });
  afterAll(async () => {
    await p.both('CONFIG', 'SET', 'maxmemory', '0');
    await p.both('CLIENT', 'UNPAUSE');
  });
  beforeEach(async () => {
    await p.same('SCRIPT', 'FLUSH');
    await p.same('FUNCTION', 'FLUSH');
    await p.same('FUNCTION', 'LOAD', LIB);
  });

  it('maxmemory: shebang scripts that may write are refused upfront, allow-oom and no-writes run, a plain script fails at its first write', async () => {
    await p.same('SET', 'k', 'v');
    await p.same('SET', 'd', 'v');
    const shebang = await p.same('SCRIPT', 'LOAD', "#!lua\nreturn redis.call('GET', 'k')");
    const readOnly = await p.same('SCRIPT', 'LOAD', "#!lua flags=no-writes\nreturn redis.call('GET', 'k')");
    await p.same('CONFIG', 'SET', 'maxmemory', '1');
    try {
      for (const argv of [
        ['EVAL', "return redis.call('GET', 'k')", '0'],
        ['EVAL', "return redis.call('SET', 'k', 'x')", '0'],
        ['EVAL', "return redis.pcall('SET', 'k', 'x')", '0'],
        ['EVAL', "local ok = redis.pcall('APPEND', 'k', 'x') return {ok['err'], redis.call('GET', 'k')}", '0'],
        // DEL may not grow memory: it runs, and once a script wrote it must go on.
        ['EVAL', "redis.call('DEL', 'd') return redis.call('SET', 'k', 'x')", '0'],
        ['EVAL', "#!lua\nreturn redis.call('GET', 'k')", '0'],
        ['EVAL', "#!lua flags=no-writes\nreturn redis.call('GET', 'k')", '0'],
        ['EVAL', "#!lua flags=allow-oom\nreturn redis.call('SET', 'k', 'y')", '0'],
        ['EVAL', "#!lua flags=allow-oom,no-writes\nreturn redis.call('GET', 'k')", '0'],
        ['EVAL_RO', "return redis.call('GET', 'k')", '0'],
        ['EVAL_RO', "#!lua\nreturn redis.call('GET', 'k')", '0'],
        ['EVALSHA', String(shebang.value), '0'],
        ['EVALSHA', String(readOnly.value), '0'],
        ['FCALL', 'fwrite', '1', 'k', 'z'],
        ['FCALL', 'fread', '1', 'k'],
        ['FCALL_RO', 'fread', '1', 'k'],
        ['FCALL', 'foom', '1', 'k', 'w'],
        ['GET', 'k'],
      ]) {
        await p.same(...argv);
      }
      await p.same('MULTI');
      await p.same('EVAL', "#!lua\nreturn redis.call('GET', 'k')", '0');
      await p.same('EXEC');
    } finally {
      await p.same('CONFIG', 'SET', 'maxmemory', '0');
    }
  });

  it('CLIENT PAUSE WRITE: scripts and functions that may write wait, no-writes ones and *_RO run', async () => {
    await p.same('SET', 'k', 'old');
    const runs: string[][] = [
      ['EVAL_RO', "return redis.call('GET', 'k')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('GET', 'k')", '0'],
      ['FCALL', 'fread', '1', 'k'],
      ['FCALL_RO', 'fread', '1', 'k'],
    ];
    const waits: string[][] = [
      ['EVAL', "return redis.call('SET', 'k', 'plain')", '0'],
      ['EVAL', "return redis.call('GET', 'k')", '0'],
      ['EVAL', "#!lua\nreturn redis.call('SET', 'k', 'shebang')", '0'],
      ['FCALL', 'fwrite', '1', 'k', 'function'],
      ['EVAL_RO', "#!lua\nreturn redis.call('GET', 'k')", '0'],
    ];
    await p.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    try {
      for (const argv of runs) await other.same(...argv);
      for (const argv of waits) {
        other.send(...argv);
        await p.same('GET', 'k');
        await p.same('CLIENT', 'PAUSE', '100000', 'WRITE');
        await p.same('CLIENT', 'UNPAUSE');
        await other.sameNext(`${argv.join(' ')} after the pause`);
        await p.same('CLIENT', 'PAUSE', '100000', 'WRITE');
      }
    } finally {
      await p.same('CLIENT', 'UNPAUSE');
    }
  });

  it('CLIENT TRACKING remembers the keys a script read for its caller', async () => {
    const tracker = await servers.pair();
    await tracker.both('HELLO', '3');
    await tracker.same('CLIENT', 'TRACKING', 'ON');
    await p.same('MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    await tracker.same('EVAL', "return redis.call('GET', KEYS[1])", '1', 'a');
    await tracker.same('EVAL', "return redis.call('GET', 'b')", '0');
    await tracker.same('EVAL_RO', 'return 1', '1', 'c');
    await tracker.same('FCALL_RO', 'fread', '1', 'd');
    for (const key of ['a', 'b', 'c', 'd']) {
      await p.same('SET', key, 'changed');
      const [ours, ref] = await Promise.all([received(tracker.ours), received(tracker.ref)]);
      expect(ours, `invalidations after SET ${key}`).toEqual(ref);
    }
    tracker.close();
  });

  it('SORT and SORT_RO inside scripts: a set by a constant BY is sorted, read-only scripts refuse SORT', async () => {
    await p.same('SADD', 's', 'c', 'a', 'b', '10', '2');
    await p.same('RPUSH', 'l', '3', '1', '2');
    for (const argv of [
      ['EVAL', "return redis.call('SORT', 's', 'BY', 'nosort')", '0'],
      ['EVAL', "return redis.call('SORT_RO', 's', 'BY', 'nosort')", '0'],
      ['EVAL', "return redis.call('SORT', 's', 'BY', 'nosort', 'DESC')", '0'],
      ['EVAL', "return redis.call('SORT', 's', 'BY', 'nosort', 'LIMIT', '1', '2')", '0'],
      ['EVAL', "return redis.call('SORT', 'l', 'BY', 'nosort')", '0'],
      ['EVAL', "return redis.call('SORT', 'l')", '0'],
      ['EVAL', "return redis.call('SORT', 's', 'ALPHA', 'STORE', 'dst')", '0'],
      ['LRANGE', 'dst', '0', '-1'],
      ['EVAL_RO', "return redis.call('SORT', 'l')", '0'],
      ['EVAL_RO', "return redis.call('SORT_RO', 'l')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('SORT', 'l')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('SORT_RO', 's', 'ALPHA')", '0'],
      ['EVAL', "return redis.pcall('SORT', 'l', 'BY', 'w_*', 'GET', '#')", '0'],
    ]) {
      await p.same(...argv);
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
