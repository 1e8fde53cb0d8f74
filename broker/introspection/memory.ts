/**
 * The memory figures of INFO memory: what the process uses for data (used_memory),
 * what it used once started (used_memory_startup) and the highest seen (used_memory_peak),
 * sampled by the cron and by INFO. Node has no allocator statistics like jemalloc's:
 * "used" is the V8 heap in use plus memory held outside it (Buffers).
 *
 * Read without ever throwing: process.memoryUsage() opens /proc/self/stat for the
 * resident size, and fails with EMFILE when the process is out of file descriptors (many
 * clients under a low `ulimit -n`), which killed the broker from its cron. The heap
 * figures come from V8, which needs no descriptor; the resident size falls back to its
 * last reading.
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

export class MemoryUsage {
  private startupBytes = 0;
  private peakBytes = 0;

  /** Memory in use now; raises the peak when higher. */
  sample(): number {
    const heap = v8.getHeapStatistics();
    const used = heap.used_heap_size + heap.external_memory;
    if (used > this.peakBytes) this.peakBytes = used;
    return used;
  }

  /** The broker has started: what it uses now is its baseline. */
  started(): void {
    this.startupBytes = this.sample();
    this.peakBytes = this.startupBytes;
  }

  get startup(): number {
    return this.startupBytes;
  }

  get peak(): number {
    return this.peakBytes;
  }
}
