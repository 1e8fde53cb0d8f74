import { describe, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

describe.skipIf(!hasRedisServer())('dispatch basics vs redis-server', () => {
  const { p } = diffSuite();

  it('answers PING and ECHO as redis-server', async () => {
    await p.same('PING');
    await p.same('PING', 'hello');
    await p.same('PING', 'a', 'b');
    await p.same('ECHO', 'bytes \x00\xff');
  });

  it('rejects unknown commands, subcommands and bad arity with the same text', async () => {
    await p.same('NOSUCH', 'a', 'b');
    await p.same('nosuch');
    await p.same('NOSUCH', 'x'.repeat(300), 'y');
    await p.same('GET');
    await p.same('GET', 'a', 'b');
    await p.same('SELECT', 'x');
    await p.same('SELECT', '99');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
