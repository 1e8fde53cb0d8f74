/**
 * CONFIG SET port and bind move the listeners at run time as redis-server's
 * changeListener does: new ones first, the old ones closed, open connections kept; a
 * port or address that cannot be had leaves everything as it was, with redis-server's error.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite, show } from '../harness/diff.js';
import { RawClient } from '../harness/raw.js';

async function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe.skipIf(!hasRedisServer())('CONFIG SET port and bind vs redis-server', () => {
  const { servers, p } = diffSuite();
  let occupied: net.Server;
  let occupiedPort: number;
  beforeAll(async () => {
    occupied = net.createServer();
    occupiedPort = await freePort();
    await new Promise<void>((resolve) => occupied.listen(occupiedPort, '127.0.0.1', resolve));
  });
  afterAll(() => {
    occupied?.close();
  });

  it('moves to a new port: new clients there, the old port closed, open connections kept', async () => {
    const oldPort = servers.ours.broker.port;
    const [ours, ref] = [await freePort(), await freePort()];
    const replies = await Promise.all([p.ours.call('CONFIG', 'SET', 'port', String(ours)), p.ref.call('CONFIG', 'SET', 'port', String(ref))]);
    expect(show(replies[0].raw)).toBe(show(replies[1].raw));
    expect(show((await p.ours.call('PING')).raw)).toBe(show(Buffer.from('+PONG\r\n')));
    const fresh = await RawClient.connect(ours);
    expect((await fresh.call('CONFIG', 'GET', 'port')).value).toEqual(['port', String(ours)]);
    fresh.close();
    expect(await refused(oldPort)).toBe(true);
  });

  it('refuses a port in use with redis-server\'s error, and stays where it was', async () => {
    const before = servers.ours.broker.port;
    await p.same('CONFIG', 'SET', 'port', String(occupiedPort));
    expect((await p.ours.call('CONFIG', 'GET', 'port')).value).toEqual(['port', String(before)]);
    expect(await refused(before)).toBe(false);
  });

  it('rebinds to other addresses, refuses one it cannot have, and takes several at once', async () => {
    await p.same('CONFIG', 'SET', 'bind', '127.0.0.1 -::1');
    await p.same('CONFIG', 'GET', 'bind');
    await p.same('CONFIG', 'SET', 'bind', '192.0.2.1');
    await p.same('CONFIG', 'GET', 'bind');
    await p.same('CONFIG', 'SET', 'bind', '127.0.0.1  -::1');
    await p.same('CONFIG', 'SET', 'bind', '127.0.0.1', 'port', String(occupiedPort), 'timeout', '7');
    await p.same('CONFIG', 'GET', 'timeout');
    await p.same('CONFIG', 'SET', 'bind', '127.0.0.1');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
