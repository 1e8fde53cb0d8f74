/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS over many key-spec shapes (ranges with steps and
 * limits, keywords searched forwards and backwards, key counts, unknown and
 * incomplete specs, argument-dependent flags) against redis-server. Commands this
 * broker does not implement yet get a placeholder handler in this test's broker, so
 * the key-spec interpreter is exercised whatever the command families do.
 */
import { beforeAll, describe, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const PLACEHOLDERS = [
  'mset', 'msetnx', 'del', 'exists', 'touch', 'watch', 'rename', 'lmove', 'smove', 'blpop', 'brpoplpush',
  'eval', 'evalsha', 'eval_ro', 'fcall', 'zunionstore', 'zinterstore', 'zunion', 'zdiff', 'zdiffstore',
  'sort', 'sort_ro', 'migrate', 'xread', 'xreadgroup', 'lmpop', 'blmpop', 'zmpop', 'bzmpop', 'sintercard',
  'georadius', 'georadiusbymember', 'bitfield', 'bitfield_ro', 'bitop', 'pfmerge', 'sunionstore', 'getex',
  'memory|usage', 'xgroup|create', 'object|encoding', 'xinfo|stream', 'publish', 'spublish', 'ssubscribe',
];

const LINES: string[][] = [
  ['mset', 'a', '1', 'b', '2'],
  ['mset', 'a', '1', 'b'],
  ['msetnx', 'a', '1'],
  ['del', 'a', 'b', 'c'],
  ['exists', 'a'],
  ['touch', 'a', 'b'],
  ['watch', 'a', 'b'],
  ['rename', 'a', 'b'],
  ['lmove', 'a', 'b', 'left', 'right'],
  ['smove', 'a', 'b', 'm'],
  ['blpop', 'a', 'b', '0'],
  ['brpoplpush', 'a', 'b', '0'],
  ['eval', 's', '2', 'a', 'b', 'c'],
  ['eval', 's', '0'],
  ['eval', 's', '5', 'a'],
  ['eval', 's', '-1', 'a'],
  ['eval', 's', 'x', 'a'],
  ['evalsha', 's', '1', 'a'],
  ['eval_ro', 's', '1', 'a'],
  ['fcall', 'f', '2', 'a', 'b'],
  ['zunionstore', 'd', '2', 'a', 'b', 'weights', '1', '2'],
  ['zunionstore', 'd', '5', 'a', 'b'],
  ['zunionstore', 'd', '0', 'a'],
  ['zinterstore', 'd', '1', 'a'],
  ['zunion', '2', 'a', 'b'],
  ['zdiff', '3', 'a', 'b'],
  ['zdiffstore', 'd', '1', 'a'],
  ['sort', 'k'],
  ['sort', 'k', 'store', 'd'],
  ['sort', 'k', 'by', 'store', 'get', 'store', 'store', 'x', 'store', 'y'],
  ['sort', 'k', 'limit', '0', 'store', 'store', 'z'],
  ['sort', 'k', 'STORE'],
  ['sort_ro', 'k', 'by', 'x'],
  ['migrate', 'h', '1', 'k', '0', '5'],
  ['migrate', 'h', '1', '', '0', '5', 'keys', 'a', 'b'],
  ['migrate', 'h', '1', 'k', '0', '5', 'keys', 'a', 'b'],
  ['migrate', 'h', '1', '', '0', '5', 'copy', 'auth', 'keys', 'keys', 'a'],
  ['migrate', 'h', '1', '', '0', '5', 'auth2', 'u', 'p', 'keys', 'a'],
  ['xread', 'streams', 'a', 'b', '0', '0'],
  ['xread', 'count', '2', 'streams', 'a', 'b', '0', '0'],
  ['xread', 'count', '2', 'streams', 'a', 'b', '0'],
  ['xread', 'count', '2', 'block', '0'],
  ['xreadgroup', 'group', 'g', 'c', 'streams', 'a', '>'],
  ['lmpop', '2', 'a', 'b', 'left'],
  ['lmpop', '3', 'a', 'b', 'left'],
  ['blmpop', '0', '1', 'a', 'left'],
  ['zmpop', '1', 'a', 'min'],
  ['bzmpop', '0', '2', 'a', 'b', 'max'],
  ['sintercard', '2', 'a', 'b'],
  ['georadius', 'k', '1', '2', '3', 'km'],
  ['georadius', 'k', '1', '2', '3', 'km', 'store', 'd'],
  ['georadius', 'k', '1', '2', '3', 'km', 'storedist', 'd', 'store', 'e'],
  ['georadiusbymember', 'k', 'm', '3', 'km', 'store', 'd'],
  ['bitfield', 'k', 'get', 'u8', '0'],
  ['bitfield', 'k', 'get', 'u8', '0', 'set', 'u8', '0', '1'],
  ['bitfield', 'k', 'overflow', 'wrap', 'get', 'u8', '0'],
  ['bitfield', 'k', 'incrby', 'u8', '0'],
  ['bitfield_ro', 'k', 'get', 'u8', '0'],
  ['bitop', 'and', 'd', 'a', 'b'],
  ['pfmerge', 'd', 'a', 'b'],
  ['sunionstore', 'd', 'a'],
  ['getex', 'k', 'persist'],
  ['memory', 'usage', 'k'],
  ['memory', 'usage', 'k', 'samples', '5'],
  ['xgroup', 'create', 's', 'g', '$'],
  ['object', 'encoding', 'k'],
  ['xinfo', 'stream', 's', 'full'],
  ['publish', 'ch', 'msg'],
  ['spublish', 'ch', 'msg'],
  ['ssubscribe', 'a', 'b'],
  ['set', 'k', 'v', 'get'],
  ['set', 'k', 'v', 'nx', 'GET'],
  ['set', 'k', 'v', 'ex', '10'],
];

describe.skipIf(!hasRedisServer())('COMMAND GETKEYS over key specs vs redis-server', () => {
  const { servers, p } = diffSuite();
  beforeAll(() => {
    const commands = servers.ours.broker.commands;
    const missing = PLACEHOLDERS.filter((name) => {
      const [base, sub] = name.split('|');
      const cmd = commands.get(base);
      return cmd === undefined || (sub !== undefined && cmd.subcommands?.get(sub)?.handler == null) || (sub === undefined && cmd.handler === null);
    });
    commands.register(missing.map((name) => ({ name, handler: () => undefined })));
  });

  it('finds the same keys and flags', async () => {
    for (const line of LINES) {
      await p.same('COMMAND', 'GETKEYS', ...line);
      await p.same('COMMAND', 'GETKEYSANDFLAGS', ...line);
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
