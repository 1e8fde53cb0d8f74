/**
 * Hostile clients: rounds of connections sending random pipelines of large requests
 * (big values, long ranges, many commands at once), most never reading a reply, some
 * before AUTH, some hanging up midway. Throughout, the broker must stay alive, answer a
 * fresh client's PING within a second (a liveness bound), and keep its clients' memory
 * under the configured `maxmemory-clients`. Random but reproducible: the seed is printed.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { spawnBroker, type RunningServer } from '../harness/servers.js';
import { prng } from '../harness/prng.js';

const BOUND = 64 * 1024 * 1024;
/** One reply may land before the eviction that follows it: the largest here is a 1 MB GET. */
const ONE_REPLY = 2 * 1024 * 1024;
const ROUNDS = 4;
const CLIENTS_PER_ROUND = 6;

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

/** One random request, large ones favoured. */
function request(rand: Rand): Buffer {
  switch (Math.floor(rand() * 6)) {
    case 0:
      return encodeCommand(['GET', 'big']);
    case 1:
      return encodeCommand(['LRANGE', 'list', '0', '-1']);
    case 2:
      return encodeCommand(['XRANGE', 'stream', '-', '+']);
    case 3:
      return encodeCommand(['SET', `k${Math.floor(rand() * 100)}`, 'v'.repeat(1000 + Math.floor(rand() * 100_000))]);
    case 4:
      return encodeCommand(['XRANGE', 'stream', '-', '+', 'COUNT', '100']);
    default:
      return encodeCommand(['PING']);
  }
}

/** A pipeline of 1 to ~10,000 requests of one or several kinds, capped at ~16 MB. */
function pipeline(rand: Rand, authenticated: boolean): Buffer {
  const parts: Buffer[] = authenticated ? [encodeCommand(['AUTH', 'pw'])] : [];
  const count = 1 + Math.floor(rand() ** 2 * 10_000);
  const kinds = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => request(rand));
  let bytes = 0;
  for (let i = 0; i < count && bytes < 16 * 1024 * 1024; i++) {
    const part = pick(rand, kinds);
    parts.push(part);
    bytes += part.length;
  }
  return Buffer.concat(parts);
}

/** A hostile connection: writes its pipeline, never reads; may hang up partway. */
function hostile(port: number, bytes: Buffer, hangUpAfterMs: number | null): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.pause();
  socket.on('connect', () => socket.write(bytes));
  if (hangUpAfterMs !== null) setTimeout(() => socket.destroy(), hangUpAfterMs);
  return socket;
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  if (m === null) throw new Error(`no ${field} in INFO`);
  return Number(m[1]);
}

describe('hostile clients', () => {
  let broker: RunningServer & { child: import('node:child_process').ChildProcess; output(): string };
  let admin: RawClient;
  beforeAll(async () => {
    broker = await spawnBroker(['--requirepass', 'pw', '--maxmemory-clients', String(BOUND)]);
    admin = await RawClient.connect(broker.port);
    await admin.call('AUTH', 'pw');
    await admin.call('SET', 'big', 'b'.repeat(1024 * 1024));
    const setup: Buffer[] = [];
    for (let i = 0; i < 1000; i++) setup.push(encodeCommand(['RPUSH', 'list', `element-${i}`]), encodeCommand(['XADD', 'stream', '*', 'f', `v${i}`]));
    admin.write(Buffer.concat(setup));
    for (let i = 0; i < 2000; i++) await admin.read();
  });
  afterAll(async () => {
    admin?.close();
    await broker?.stop();
  });

  it('stays alive, answers PING within a second and keeps client memory bounded', async () => {
    const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 1_000_000);
    console.log(`hostile clients: seed ${seed} (HOSTILE_SEED=${seed} replays it)`);
    const rand = prng(seed);
    let maxClientsMemory = 0;
    let maxRss = 0;
    let maxUsed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const sockets: net.Socket[] = [];
      for (let i = 0; i < CLIENTS_PER_ROUND; i++) {
        const authenticated = rand() < 0.8;
        const hangUp = rand() < 0.3 ? Math.floor(rand() * 2000) : null;
        sockets.push(hostile(broker.port, pipeline(rand, authenticated), hangUp));
      }
      const roundEnds = Date.now() + 6000;
      while (Date.now() < roundEnds) {
        const fresh = await RawClient.connect(broker.port);
        // The liveness bound: a fresh client is answered within a second, whatever the others do.
        // The liveness bound: a fresh client is answered within a second, whatever the others do.
        fresh.write(encodeCommand(['PING']));
        expect((await fresh.read(1000)).raw.toString()).toBe('-NOAUTH Authentication required.\r\n');
        fresh.close();
        const memory = (await admin.call('INFO', 'memory')).raw.toString('latin1');
        maxClientsMemory = Math.max(maxClientsMemory, infoField(memory, 'mem_clients_normal'));
        maxRss = Math.max(maxRss, infoField(memory, 'used_memory_rss'));
        maxUsed = Math.max(maxUsed, infoField(memory, 'used_memory'));
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const s of sockets) s.destroy();
      expect(broker.child.exitCode).toBeNull();
    }
    console.log(`hostile clients: clients' memory peaked at ${maxClientsMemory} bytes, RSS at ${maxRss}, used ${maxUsed}`);
    expect(maxClientsMemory).toBeLessThan(BOUND + ONE_REPLY);
    // The data set is a few MB; the rest is clients (the bound) and garbage V8 has not
    // collected yet: ~200 MB here, where this kind of load used to reach the 4 GB heap limit.
    expect(maxRss).toBeLessThan(768 * 1024 * 1024);
    expect((await admin.call('PING')).raw.toString()).toBe('+PONG\r\n');
  }, 60_000);
});
