/**
 * The leader side's replies on a broker without followers, against redis-server's:
 * WAIT (its errors, its answer without followers, inside MULTI), ROLE, and the field
 * names of INFO replication.
 */
import { describe, expect, it } from 'vitest';
import { startDiffServers } from '../harness/diff.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';

describe.skipIf(!hasRedisServer())('replication replies vs redis-server', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it('WAIT, ROLE and INFO replication without followers', async () => {
    const diff = await startDiffServers();
    const p = await diff.pair();
    try {
      await p.samePipeline([
        ['WAIT', '0', '0'],
        ['WAIT', '1', '10'],
        ['WAIT', 'x', '0'],
        ['WAIT', '1', 'x'],
        ['WAIT', '1', '-1'],
        ['WAIT', '1', '1.5'],
        ['WAIT', '-1', '0'],
        ['WAIT', '1'],
        ['SET', 'k', 'v'],
        ['WAIT', '0', '1'],
        ['MULTI'],
        ['WAIT', '5', '0'],
        ['EXEC'],
        ['ROLE'],
        ['ROLE', 'extra'],
      ]);
      const names = async (port: 'ours' | 'ref'): Promise<string[]> => {
        const c = port === 'ours' ? p.ours : p.ref;
        const text = (await c.call('INFO', 'replication')).raw.toString('latin1');
        return text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':')));
      };
      expect(await names('ours')).toEqual(await names('ref'));
    } finally {
      p.close();
      await diff.stop();
    }
  });
});
