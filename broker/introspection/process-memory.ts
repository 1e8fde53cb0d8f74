/**
 * The process's memory as INFO and the cron read it, without ever throwing:
 * process.memoryUsage() opens /proc/self/stat for the resident size, and fails with
 * EMFILE when the process is out of file descriptors (many clients under a low
 * `ulimit -n`), which killed the broker from its cron. The heap figures come from V8,
 * which needs no descriptor; the resident size falls back to its last reading.
 */
import v8 from 'node:v8';

export interface ProcessMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
}

let lastRss = 0;

export function processMemory(): ProcessMemory {
  const heap = v8.getHeapStatistics();
  try {
    lastRss = process.memoryUsage.rss();
  } catch {
    // Out of descriptors: the last reading will do until one is free again.
  }
  return { heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size, external: heap.external_memory, rss: lastRss };
}

/** Memory the process uses for data, as INFO used_memory reports it. */
export function usedMemory(): number {
  const heap = v8.getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}
