/**
 * Server administration commands against redis-server, where replies are
 * deterministic: CONFIG GET/SET (values, errors, atomicity), COMMAND INFO/DOCS/
 * GETKEYS/LIST, SLOWLOG and LATENCY with nothing recorded, TIME's shape, SHUTDOWN's
 * argument errors, INFO of an unknown section, MONITOR's +OK.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';
import type { Decoded } from '../../protocol/decoder.js';

/** Parameters whose values agree between our broker and a redis-server started by the harness (each has its own `dir`). */
const SAME_VALUE_PARAMS = [
  'maxclients', 'timeout', 'tcp-keepalive', 'tcp-backlog', 'databases', 'hz', 'loglevel', 'bind',
  'logfile', 'pidfile', 'daemonize', 'protected-mode', 'requirepass', 'masterauth', 'masteruser',
  'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold', 'latency-tracking',
  'latency-tracking-info-percentiles', 'proto-max-bulk-len', 'client-query-buffer-limit',
  'client-output-buffer-limit', 'save', 'appendonly', 'appendfsync', 'appendfilename', 'appenddirname',
  'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'stream-node-max-bytes', 'stream-node-max-entries',
  'busy-reply-threshold', 'lua-time-limit', 'notify-keyspace-events', 'hash-max-listpack-entries',
  'hash-max-ziplist-entries', 'hash-max-listpack-value', 'hash-max-ziplist-value', 'list-max-listpack-size',
  'list-max-ziplist-size', 'list-compress-depth', 'set-max-intset-entries', 'zset-max-listpack-entries',
  'zset-max-ziplist-entries', 'zset-max-listpack-value', 'zset-max-ziplist-value', 'replica-read-only',
  'slave-read-only', 'repl-backlog-size', 'enable-protected-configs', 'enable-debug-command',
];

/** A CONFIG GET reply as a sorted list of pairs: redis-server's order is its hash table's. */
function pairs(v: Decoded): string[] {
  const flat = v as string[];
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out.sort();
}

describe.skipIf(!hasRedisServer())('server administration vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: ['--enable-debug-command', 'no'] });

  it('CONFIG GET gives the same values for the parameters both have', async () => {
    for (const name of SAME_VALUE_PARAMS) await p.same('CONFIG', 'GET', name);
    await p.same('CONFIG', 'GET', 'MAXCLIENTS');
    await p.same('CONFIG', 'GET', 'nosuch');
    await p.same('CONFIG', 'GET', 'maxclients', 'MAXCLIENTS', 'maxcl*');
    await p.same('CONFIG', 'GET', 'MAXCLIENTS', 'maxcl*');
    await p.same('CONFIG', 'GET', '[');
    await p.same('CONFIG', 'GET', '');
    await p.same('CONFIG', 'GET');
  });

  it('CONFIG GET patterns match the same names, aliases included', async () => {
    for (const pattern of ['slowlog*', 'maxmemory-p*', '*max-*-entries', '*max-*-value', 'list-max*', 'stream-node-max-*', 'latency-tracking*', 'LUA-*']) {
      const { ours, ref } = await p.both('CONFIG', 'GET', pattern);
      expect(pairs(ours.value), pattern).toEqual(pairs(ref.value));
    }
    const { ours, ref } = await p.both('CONFIG', 'GET', 'timeout', 'lua-time-limit', 'busy*', 'hz');
    expect(pairs(ours.value)).toEqual(pairs(ref.value));
  });

  it('CONFIG SET rejects bad input with the same errors, changing nothing', async () => {
    for (const argv of [
      ['CONFIG', 'SET'],
      ['CONFIG', 'SET', 'maxclients'],
      ['CONFIG', 'SET', 'foo', 'bar'],
      ['CONFIG', 'SET', 'Foo', 'bar'],
      ['CONFIG', 'SET', 'maxclients', 'x'],
      ['CONFIG', 'SET', 'MAXCLIENTS', 'x'],
      ['CONFIG', 'SET', 'maxclients', '0'],
      ['CONFIG', 'SET', 'maxclients', '010'],
      ['CONFIG', 'SET', 'maxclients', '+5'],
      ['CONFIG', 'SET', 'maxclients', '10 '],
      ['CONFIG', 'SET', 'maxclients', '10', 'maxclients', '20'],
      ['CONFIG', 'SET', 'MaxClients', '10', 'maxclients', '20'],
      ['CONFIG', 'SET', 'hz', '10', 'HZ', '10'],
      ['CONFIG', 'SET', 'maxclients', '10', 'foo'],
      ['CONFIG', 'SET', 'maxclients', '10', 'hz', '5', 'foo', 'bar'],
      ['CONFIG', 'SET', 'hz', 'x', 'maxclients', 'y'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'maxclients', 'abc'],
      ['CONFIG', 'SET', 'databases', '3'],
      ['CONFIG', 'SET', 'daemonize', 'yes'],
      ['CONFIG', 'SET', 'logfile', 'x'],
      ['CONFIG', 'SET', 'tcp-backlog', '3'],
      ['CONFIG', 'SET', 'dir', '.'],
      ['CONFIG', 'SET', 'appendonly', 'maybe'],
      ['CONFIG', 'SET', 'appendfsync', 'foo'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'foo'],
      ['CONFIG', 'SET', 'loglevel', 'foo'],
      ['CONFIG', 'SET', 'maxmemory', 'abc'],
      ['CONFIG', 'SET', 'maxmemory', '-1'],
      ['CONFIG', 'SET', 'timeout', '-1'],
      ['CONFIG', 'SET', 'timeout', '2147483648'],
      ['CONFIG', 'SET', 'timeout', '0x10'],
      ['CONFIG', 'SET', 'tcp-keepalive', '1.5'],
      ['CONFIG', 'SET', 'hz', '-1'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '-2'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '10'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', 'x'],
      ['CONFIG', 'SET', 'save', 'a b'],
      ['CONFIG', 'SET', 'save', '1 2 3'],
      ['CONFIG', 'SET', 'save', '0 0'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'Q'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1 2'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'foo 1 2 3'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'master 1 2 3'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1x 2 3'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1 2 -3'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 101'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', 'x'],
    ]) {
      await p.same(...argv);
    }
    for (const name of ['maxclients', 'hz', 'maxmemory-policy', 'save', 'client-output-buffer-limit']) {
      await p.same('CONFIG', 'GET', name);
    }
  });

  it('CONFIG SET sets several parameters at once, aliases and special syntaxes', async () => {
    const steps: string[][] = [
      ['CONFIG', 'SET', 'maxclients', '5000', 'hz', '1'],
      ['CONFIG', 'GET', 'maxclients'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '600'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'maxclients', '10000', 'hz', '10'],
      ['CONFIG', 'SET', 'lua-time-limit', '10', 'busy-reply-threshold', '20'],
      ['CONFIG', 'GET', 'lua-time-limit'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', '5', 'hash-max-listpack-entries', '6'],
      ['CONFIG', 'GET', 'hash-max-ziplist-entries'],
      ['CONFIG', 'SET', 'busy-reply-threshold', '5000', 'hash-max-listpack-entries', '512'],
      ['CONFIG', 'SET', 'maxmemory', '1kb'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '1mb'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['CONFIG', 'SET', 'appendfsync', 'ALWAYS', 'loglevel', 'WARNING'],
      ['CONFIG', 'GET', 'appendfsync'],
      ['CONFIG', 'GET', 'loglevel'],
      ['CONFIG', 'SET', 'appendfsync', 'everysec', 'loglevel', 'notice'],
      ['CONFIG', 'SET', 'save', '100 10'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'save', '+5 1 200 0'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'save', '5 1  200 0'],
      ['CONFIG', 'SET', 'save', '100 '],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50  99'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 '],
      ['CONFIG', 'SET', 'save', ''],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEAmn'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'Ex'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', '$lshzxeKEtmdn'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', ''],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 2mb 30 normal 0 0 0'],
      ['CONFIG', 'GET', 'client-output-buffer-limit'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'replica 1 2 3'],
      ['CONFIG', 'GET', 'client-output-buffer-limit'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', ''],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9 100 0.5'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', ''],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'],
      ['CONFIG', 'SET', 'requirepass', ''],
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'RESETSTAT', 'x'],
      ['CONFIG', 'REWRITE'],
      ['CONFIG', 'HELP'],
      ['CONFIG', 'NOSUCH'],
    ];
    for (const argv of steps) await p.same(...argv);
  });

  it('COMMAND INFO and DOCS describe commands as redis-server does', async () => {
    await p.same('COMMAND', 'INFO', 'get', 'set', 'nosuch');
    await p.same('COMMAND', 'INFO', 'GET', 'ping', 'echo', 'select', 'auth', 'hello', 'time', 'info', 'monitor');
    await p.same('COMMAND', 'INFO', 'config|get', 'client|list', 'CLIENT|KILL', 'config|nosuch', 'get|x');
    await p.same('COMMAND', 'DOCS', 'get');
    await p.same('COMMAND', 'DOCS', 'echo', 'nosuch', 'set', 'config|set');
    await p.same('COMMAND', 'DOCS', 'nosuch');
    await p.same('COMMAND', 'HELP');
    await p.same('COMMAND', 'NOSUCH');
    await p.same('COMMAND', 'COUNT', 'x');
  });

  it('COMMAND lists the implemented commands with the same entries as COMMAND INFO and redis-server', async () => {
    const all = (await p.ours.call('COMMAND')).value as unknown[][];
    expect(all.length).toBe((await p.ours.call('COMMAND', 'COUNT')).value);
    const names = all.map((entry) => entry[0] as string);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      const info = await p.ours.call('COMMAND', 'INFO', name);
      expect((info.value as unknown[])[0]).toEqual(all[names.indexOf(name)]);
      const subcommands = all[names.indexOf(name)][9] as unknown[];
      // Containers list only the subcommands implemented here; the others match redis-server exactly.
      if (subcommands.length === 0) await p.same('COMMAND', 'INFO', name);
    }
    const docs = (await p.ours.call('COMMAND', 'DOCS')).value as unknown[];
    expect(docs.filter((_, i) => i % 2 === 0).sort()).toEqual([...names].sort());
  });

  it('COMMAND GETKEYS and GETKEYSANDFLAGS find the same keys', async () => {
    for (const argv of [
      ['get', 'a'],
      ['GET', 'a'],
      ['set', 'a', 'b'],
      ['set', 'a', 'b', 'GET'],
      ['get', 'a', 'b'],
      ['nosuch', 'a'],
      ['ping', 'x'],
      ['config', 'get', 'x'],
      ['config', 'nosuch', 'x'],
      ['client', 'kill', 'x'],
    ]) {
      await p.same('COMMAND', 'GETKEYS', ...argv);
      await p.same('COMMAND', 'GETKEYSANDFLAGS', ...argv);
    }
    await p.same('COMMAND', 'GETKEYS');
    await p.same('COMMAND', 'GETKEYS', 'get');
  });

  it('COMMAND LIST filters by pattern, ACL category and module', async () => {
    const sorted = (v: Decoded): string[] => (v as string[]).slice().sort();
    const ours = await p.ours.call('COMMAND', 'LIST');
    const implemented = new Set(ours.value as string[]);
    for (const filter of [['PATTERN', 'conf*'], ['PATTERN', 'CLIENT|*'], ['ACLCAT', 'connection'], ['aclcat', 'ADMIN']]) {
      const { ours: o, ref: r } = await p.both('COMMAND', 'LIST', 'FILTERBY', ...filter);
      // redis-server lists all its commands; ours are the implemented subset of them.
      expect(sorted(o.value), filter.join(' ')).toEqual(sorted(r.value).filter((n) => implemented.has(n)));
    }
    for (const argv of [
      ['FILTERBY', 'MODULE', 'foo'],
      ['FILTERBY', 'ACLCAT', 'nosuch'],
      ['FILTERBY', 'foo', 'x'],
      ['foo'],
      ['FILTERBY', 'PATTERN'],
      ['FILTERBY', 'PATTERN', 'x', 'y'],
    ]) {
      await p.same('COMMAND', 'LIST', ...argv);
    }
  });

  it('SLOWLOG and LATENCY with nothing recorded', async () => {
    for (const argv of [
      ['SLOWLOG', 'RESET'],
      ['SLOWLOG', 'GET', 'x'],
      ['SLOWLOG', 'GET', '-2'],
      ['SLOWLOG', 'GET', '99999999999999999999'],
      ['SLOWLOG', 'LEN', 'x'],
      ['SLOWLOG', 'HELP'],
      ['SLOWLOG', 'NOSUCH'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'HISTORY'],
      ['LATENCY', 'RESET'],
      ['LATENCY', 'RESET', 'foo', 'bar'],
      ['LATENCY', 'DOCTOR'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '100'],
      ['LATENCY', 'DOCTOR'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
      ['LATENCY', 'HISTOGRAM', 'nosuch'],
      ['LATENCY', 'NOSUCH'],
    ]) {
      await p.same(...argv);
    }
  });

  it('TIME, SHUTDOWN errors, INFO of unknown sections, MONITOR', async () => {
    const { ours, ref } = await p.both('TIME');
    const [sec, usec] = ours.value as string[];
    expect(Math.abs(Number(sec) - Number((ref.value as string[])[0]))).toBeLessThan(5);
    expect(Number(usec)).toBeGreaterThanOrEqual(0);
    expect(Number(usec)).toBeLessThan(1e6);
    for (const argv of [
      ['TIME', 'x'],
      ['SHUTDOWN', 'foo'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'NOSAVE', 'SAVE'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
      ['SHUTDOWN', 'abort', 'force'],
      ['INFO', 'foo'],
      ['INFO', 'nosuch', 'other'],
    ]) {
      await p.same(...argv);
    }
    const q = await servers.pair();
    await q.same('MONITOR');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
