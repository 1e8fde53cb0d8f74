/**
 * CLIENT PAUSE against redis-server: under WRITE, which commands wait (writes,
 * commands that may replicate such as PUBLISH and PFCOUNT, a MULTI's queued writes and an EXEC
 * holding some) and which run (reads, PING, admin commands); under ALL, everything
 * waits (CLIENT UNPAUSE too: the pause ends with its time); meanwhile keys do not expire (an expired key reads as absent and stays
 * counted until the pause ends), and a blocked client still times out. Whether a
 * command waited is seen without timing: another client's read shows the write has
 * not happened, then CLIENT UNPAUSE lets its reply come.
 *
 * Not compared: RANDOMKEY while every key is expired under a pause, which loops
 * forever in redis-server 7.0.15 (its expireIfNeeded never deletes then); this broker
 * answers a nil.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { show, startDiffServers, type DiffPair, type DiffServers } from '../harness/diff.js';
import { encodeCommand } from '../harness/raw.js';

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends a command to both sides without reading its reply (it may wait). */
function send(p: DiffPair, ...argv: string[]): void {
  const bytes = encodeCommand(argv);
  p.ours.write(bytes);
  p.ref.write(bytes);
}

/** Reads the next reply on both sides and expects the same bytes. */
async function sameNext(p: DiffPair, what: string): Promise<void> {
  const [o, r] = await Promise.all([p.ours.read(), p.ref.read()]);
  expect(show(o.raw), what).toBe(show(r.raw));
}

describe.skipIf(!hasRedisServer())('CLIENT PAUSE vs redis-server', () => {
  let servers: DiffServers;
  let admin: DiffPair;
  let other: DiffPair;
  beforeAll(async () => {
    servers = await startDiffServers();
    admin = await servers.pair();
    other = await servers.pair();
  });
  afterAll(async () => {
    await admin?.both('CLIENT', 'UNPAUSE');
    await servers?.stop();
  });

  it('WRITE holds writes, PUBLISH and transactions that write; reads run meanwhile', async () => {
    await admin.same('FLUSHALL');
    await admin.same('SET', 'k', 'old');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    for (const argv of [['GET', 'k'], ['PING'], ['DBSIZE'], ['CLIENT', 'PAUSE', '100000', 'WRITE'], ['INFO', 'nosuch'], ['EXISTS', 'k']]) {
      await other.same(...argv);
    }
    send(other, 'SET', 'k', 'new');
    await admin.same('GET', 'k');
    await admin.same('CLIENT', 'UNPAUSE');
    await sameNext(other, 'SET after the pause');
    await admin.same('GET', 'k');

    const subscriber = await servers.pair();
    await subscriber.same('SUBSCRIBE', 'ch');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    send(other, 'PUBLISH', 'ch', 'm');
    await admin.same('PUBSUB', 'NUMSUB', 'ch');
    await admin.same('CLIENT', 'UNPAUSE');
    await sameNext(other, 'PUBLISH after the pause');
    await sameNext(subscriber, 'the message');
    subscriber.close();

    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    await other.same('MULTI');
    await other.same('GET', 'k');
    send(other, 'SET', 'k', 'in-multi');
    await admin.same('GET', 'k');
    await admin.same('CLIENT', 'UNPAUSE');
    await sameNext(other, 'a write queued in MULTI once the pause ends');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    send(other, 'EXEC');
    await admin.same('GET', 'k');
    await admin.same('CLIENT', 'UNPAUSE');
    await sameNext(other, 'EXEC with a write');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    await other.same('MULTI');
    await other.same('GET', 'k');
    await other.same('EXEC');
    await admin.same('CLIENT', 'UNPAUSE');
  });

  it('WRITE holds PFCOUNT (it may replicate: it writes its cached count back)', async () => {
    await admin.same('FLUSHALL');
    await admin.same('PFADD', 'hll', 'a', 'b', 'c');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    send(other, 'PFCOUNT', 'hll');
    // The cached count (bytes 8-15) is still marked stale: the PFCOUNT has not run.
    await admin.same('GETRANGE', 'hll', '0', '15');
    await admin.same('CLIENT', 'UNPAUSE');
    await sameNext(other, 'PFCOUNT after the pause');
    await admin.same('GETRANGE', 'hll', '0', '15');
  });

  it('ALL holds every command, PING and CLIENT UNPAUSE included, until its time is over', async () => {
    await admin.same('SET', 'k', 'before');
    await admin.same('CLIENT', 'PAUSE', '300', 'ALL');
    send(other, 'PING');
    send(other, 'SET', 'k', 'during');
    send(admin, 'CLIENT', 'UNPAUSE');
    send(admin, 'GET', 'k');
    await sameNext(other, 'PING after the pause');
    await sameNext(other, 'SET after the pause');
    await sameNext(admin, 'UNPAUSE after the pause');
    await sameNext(admin, 'GET after the pause');
  });

  it('keys do not expire during a pause: they read as absent and stay counted until it ends', async () => {
    await admin.same('FLUSHALL');
    await admin.same('SET', 'a', 'v', 'PX', '50');
    await admin.same('SET', 'b', 'v', 'PX', '50');
    await admin.same('SET', 'c', 'v');
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    await pause(150);
    for (const argv of [['GET', 'a'], ['EXISTS', 'a', 'b'], ['TTL', 'b'], ['TYPE', 'a'], ['OBJECT', 'ENCODING', 'b'], ['KEYS', '*'], ['SCAN', '0'], ['DBSIZE'], ['MGET', 'a', 'b', 'c']]) {
      await other.same(...argv);
    }
    // The expire cycle is paused too.
    await pause(300);
    await other.same('DBSIZE');
    await admin.same('CLIENT', 'UNPAUSE');
    await other.same('GET', 'a');
    await other.same('EXISTS', 'b');
  });

  it('a client blocked before the pause still times out during it', async () => {
    const blocked = await servers.pair();
    send(blocked, 'BLPOP', 'nosuchlist', '0.2');
    await pause(50);
    await admin.same('CLIENT', 'PAUSE', '100000', 'WRITE');
    await sameNext(blocked, 'BLPOP timing out');
    await admin.same('CLIENT', 'UNPAUSE');
    blocked.close();
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
