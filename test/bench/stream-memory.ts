#!/usr/bin/env node
/**
 * Stream memory: 1,000,000 entries of `field value` added by pipelined `XADD s * field
 * value`, in redis-server (its INFO used_memory) and in this broker (in-process: the
 * V8 heap plus ArrayBuffer memory after a full GC, before and after, once the idle
 * work encoded the full nodes, engine/sealed-nodes.ts; and its own INFO used_memory).
 *
 *   npm run build && node --expose-gc dist/test/bench/stream-memory.js [entries] [node-max-entries] [--numbered]
 *
 * With `--numbered` the values are `value-<i>` (i from 0), which compress less than
 * one repeated `value`.
 * The broker's figure includes the typed arrays that hold entry IDs, which live
 * outside the V8 heap (process.memoryUsage().arrayBuffers), so the comparison is
 * like for like.
 */
import net from 'node:net';
import { startBroker, startRedis } from '../harness/servers.js';
import { encodeCommand } from '../harness/raw.js';
import { gc, heapBytes, usedMemory } from './memory-tools.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const NUMBERED = process.argv.includes('--numbered');
const ENTRIES = Number(positional[0] ?? 1_000_000);
const NODE_MAX_ENTRIES = positional[1];
const BATCH = 10_000;

/** Sends `count` XADDs in pipelined batches and waits for every reply. */
async function addEntries(port: number, count: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const command = encodeCommand(['XADD', 's', '*', 'field', 'value']);
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => command));
  const numbered = (from: number, n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => encodeCommand(['XADD', 's', '*', 'field', `value-${from + i}`])));
  let pending = 0;
  let lines = 0;
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    if (chunk.includes('-ERR')) throw new Error(`error reply: ${chunk.toString('latin1', 0, 200)}`);
    // Every XADD reply is a bulk string: two lines.
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    pending = count - Math.floor(lines / 2);
    if (wake !== null) wake();
  });
  for (let sent = 0; sent < count; sent += BATCH) {
    const n = Math.min(BATCH, count - sent);
    socket.write(NUMBERED ? numbered(sent, n) : n === BATCH ? batch : batch.subarray(0, command.length * n));
    // Keep at most two batches in flight.
    while (sent + n - (count - pending) > BATCH) await new Promise<void>((r) => (wake = r));
    wake = null;
  }
  pending = count - Math.floor(lines / 2);
  while (pending > 0) await new Promise<void>((r) => (wake = r));
  socket.destroy();
}

const mb = (n: number): string => (n / 1048576).toFixed(1) + ' MB';

async function main(): Promise<void> {
  const args = NODE_MAX_ENTRIES === undefined ? [] : ['--stream-node-max-entries', NODE_MAX_ENTRIES];

  const redis = await startRedis(args);
  const redisBefore = await usedMemory(redis.port);
  await addEntries(redis.port, ENTRIES);
  const redisAfter = await usedMemory(redis.port);
  await redis.stop();

  const broker = await startBroker(args);
  gc();
  const oursBefore = heapBytes();
  await addEntries(broker.port, ENTRIES);
  const engine = broker.broker.engine;
  while (engine.sealedNodes.pending > 0) await new Promise((r) => setTimeout(r, 50));
  gc();
  const oursAfter = heapBytes();
  const heap = process.memoryUsage();
  const oursUsed = await usedMemory(broker.port);
  await broker.stop();

  const redisDelta = redisAfter - redisBefore;
  const oursDelta = oursAfter - oursBefore;
  console.log(`${ENTRIES} entries of 'field ${NUMBERED ? 'value-<i>' : 'value'}'${args.length > 0 ? ` (${args.join(' ')})` : ''}`);
  console.log(`redis-server used_memory: ${mb(redisAfter)} total, ${mb(redisDelta)} for the stream (${(redisDelta / ENTRIES).toFixed(1)} B/entry)`);
  console.log(
    `broker heap+arrayBuffers:  ${mb(oursAfter)} total, ${mb(oursDelta)} for the stream (${(oursDelta / ENTRIES).toFixed(1)} B/entry; ` +
      `arrayBuffers ${mb(heap.arrayBuffers)})`,
  );
  console.log(`broker used_memory:        ${mb(oursUsed)} (its own account)`);
  console.log(`ratio (stream only): ${(oursDelta / redisDelta).toFixed(2)}x; totals: ${(oursAfter / redisAfter).toFixed(2)}x`);
}

await main();
