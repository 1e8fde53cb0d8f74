/**
 * Memory measurement for the memory benchmarks (stream-memory.ts, collection-memory.ts):
 * the in-process broker's heap after a full collection, and a server's used_memory.
 */
import net from 'node:net';
import { encodeCommand } from '../harness/raw.js';

/** Two full collections (the second frees what the first's finalizers released); needs node --expose-gc. */
export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

/** This process's live JS heap and the ArrayBuffers outside it. */
export function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** `used_memory` of the server at `port` (INFO memory). */
export async function usedMemory(port: number): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(encodeCommand(['INFO', 'memory']));
  const text = await new Promise<string>((resolve) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('used_memory_peak:')) resolve(got);
    });
  });
  socket.destroy();
  return Number(/used_memory:(\d+)/.exec(text)![1]);
}
