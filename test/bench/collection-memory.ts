#!/usr/bin/env node
/**
 * Memory of hashes, sets and sorted sets: the same data written by pipelined commands
 * into redis-server (its INFO used_memory, before and after) and into this broker
 * (in-process: the V8 heap plus ArrayBuffer memory after a full GC, before and after;
 * and, beside it, what the broker's own accounting says, INFO used_memory). Prints
 * bytes per element and the ratio to redis-server, case by case.
 *
 *   npm run build && node --expose-gc dist/test/bench/collection-memory.js [case...]
 *
 * Cases: small-hashes (100,000 hashes of 10 fields), small-zsets (100,000 sorted sets
 * of 10 members), small-sets (100,000 sets of 10 members), big-zset (one sorted set of
 * 1,000,000 members), big-hash (one hash of 1,000,000 fields).
 */
import net from 'node:net';
import { startBroker, startRedis } from '../harness/servers.js';
import { encodeCommand } from '../harness/raw.js';
import { gc, heapBytes, usedMemory } from './memory-tools.js';

interface Case {
  /** Elements the data holds (fields, members). */
  elements: number;
  /** The commands, each replied with an integer. */
  commands(): Generator<string[]>;
}

const pad = (i: number, n: number): string => String(i).padStart(n, '0');

/** `keys` keys of `per` elements each, one command per key. */
function perKey(keys: number, per: number, command: (key: string, j: number) => string[]): Case {
  return {
    elements: keys * per,
    *commands() {
      for (let i = 0; i < keys; i++) {
        const key = `key:${pad(i, 6)}`;
        const argv = command(key, 0).slice();
        for (let j = 1; j < per; j++) argv.push(...command(key, j).slice(2));
        yield argv;
      }
    },
  };
}

/** One key of `n` elements, 100 per command. */
function oneKey(n: number, element: (j: number) => string[], verb: string): Case {
  return {
    elements: n,
    *commands() {
      for (let i = 0; i < n; i += 100) {
        const argv = [verb, 'big'];
        for (let j = i; j < Math.min(n, i + 100); j++) argv.push(...element(j));
        yield argv;
      }
    },
  };
}

const CASES: Record<string, Case> = {
  'small-hashes': perKey(100_000, 10, (k, j) => ['HSET', k, `field:${j}`, `value:${pad(j * 7919, 6)}`]),
  'small-zsets': perKey(100_000, 10, (k, j) => ['ZADD', k, String(j * 1000 + 17), `member:${pad(j, 4)}`]),
  'small-sets': perKey(100_000, 10, (k, j) => ['SADD', k, `member:${pad(j, 4)}`]),
  'big-zset': oneKey(1_000_000, (j) => [String((j * 7919) % 1_000_003), `member:${pad(j, 7)}`], 'ZADD'),
  'big-hash': oneKey(1_000_000, (j) => [`field:${pad(j, 7)}`, `value:${j}`], 'HSET'),
};

const BATCH = 2000;

/** Sends the commands in pipelined batches (integer replies: one line each) and waits for every reply. */
async function send(port: number, commands: Iterable<string[]>): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let sent = 0;
  let replied = 0;
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    if (chunk.includes('-ERR') || chunk.includes('-WRONG')) throw new Error(`error reply: ${chunk.toString('latin1', 0, 200)}`);
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) replied++;
    if (wake !== null) wake();
  });
  let batch: Buffer[] = [];
  const flush = async (): Promise<void> => {
    socket.write(Buffer.concat(batch));
    sent += batch.length;
    batch = [];
    while (sent - replied > 2 * BATCH) await new Promise<void>((r) => (wake = r));
  };
  for (const argv of commands) {
    batch.push(encodeCommand(argv));
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  while (replied < sent) await new Promise<void>((r) => (wake = r));
  socket.destroy();
}

async function main(): Promise<void> {
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CASES);
  for (const name of names) {
    const c = CASES[name];
    if (c === undefined) throw new Error(`unknown case ${name}`);
    const redis = await startRedis([]);
    const redisBefore = await usedMemory(redis.port);
    await send(redis.port, c.commands());
    const redisBytes = (await usedMemory(redis.port)) - redisBefore;
    await redis.stop();

    const broker = await startBroker([]);
    gc();
    const heapBefore = heapBytes();
    const accountedBefore = await usedMemory(broker.port);
    await send(broker.port, c.commands());
    gc();
    const heap = heapBytes() - heapBefore;
    const accounted = (await usedMemory(broker.port)) - accountedBefore;
    await broker.stop();

    const per = (n: number): string => (n / c.elements).toFixed(1);
    console.log(
      `${name}: redis-server ${per(redisBytes)} B/element, broker heap ${per(heap)} B/element (${(heap / redisBytes).toFixed(2)}x), ` +
        `broker accounting ${per(accounted)} B/element (${(accounted / heap).toFixed(2)}x the heap)`,
    );
  }
}

await main();
