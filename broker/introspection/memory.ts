/**
 * The memory figures of INFO memory, MEMORY STATS and maxmemory: one account, built
 * from the engine's estimate of its dataset (engine/memory.ts) and the byte counts the
 * broker keeps of its buffers, so `used_memory` and what maxmemory compares are the
 * same figure, and it moves only when data or buffers do (ARCHITECTURE.md, "Memory
 * accounting and eviction").
 *
 * used_memory = used_memory_startup (the V8 heap in use once the broker was built, before
 * any data: code, the command table, the HTTP server) + the dataset + clients' buffers
 * (query buffers, MULTI queues, unsent output) + the replication backlog + the AOF
 * buffer. What redis-server calls not counted for eviction (replicas' output and the
 * AOF buffer) is left out of the comparison with maxmemory, as there.
 *
 * Where it differs: redis-server reads its allocator (jemalloc), which counts every
 * byte, fragmentation aside. Node has nothing like it for the objects a value is made
 * of, so the dataset is an estimate, and garbage V8 has not collected yet counts
 * nowhere: the process's real size is `used_memory_rss` (and the V8 heap is in
 * `allocator_allocated`/`allocator_active`).
 *
 * Read without ever throwing: process.memoryUsage() opens /proc/self/stat for the
 * resident size, and fails with EMFILE when the process is out of file descriptors (many
 * clients under a low `ulimit -n`), which killed the broker from its cron. The heap
 * figures come from V8, which needs no descriptor; the resident size falls back to its
 * last reading.
 */
import v8 from 'node:v8';
import type { Broker } from '../server.js';
import { replicationOf } from '../replication/replication.js';

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

/** What the account reads of the broker. */
export type MemoryHost = Pick<Broker, 'engine' | 'clientMemory' | 'persistence'>;

/** One reading of the account, in INFO memory's terms. */
export interface MemoryFigures {
  /** used_memory. */
  used: number;
  startup: number;
  /** The keys' estimated bytes and the decoded stream nodes (MEMORY STATS dataset.bytes is this). */
  dataset: number;
  /** mem_clients_normal, mem_clients_slaves. */
  clientsNormal: number;
  clientsReplicas: number;
  /** mem_replication_backlog. */
  replicationBacklog: number;
  /** mem_aof_buffer. */
  aofBuffer: number;
  /** mem_not_counted_for_evict: replicas' output and the AOF buffer. */
  notCountedForEvict: number;
}

export class MemoryUsage {
  private startupBytes = 0;
  private peakBytes = 0;
  constructor(private readonly host: MemoryHost) {}

  /** The account now. */
  figures(): MemoryFigures {
    const h = this.host;
    const dataset = h.engine.datasetBytes() + h.engine.decodedStreamNodeBytes;
    const clientsNormal = h.clientMemory.normalClients;
    const clientsReplicas = h.clientMemory.replicaClients;
    const log = replicationOf(h)?.log;
    const replicationBacklog = log?.active === true ? log.backlogSize : 0;
    const writer = h.persistence.writer;
    const aofBuffer = writer === null ? 0 : Math.max(writer.appended - writer.written, 0);
    const used = this.startupBytes + dataset + clientsNormal + clientsReplicas + replicationBacklog + aofBuffer;
    if (used > this.peakBytes) this.peakBytes = used;
    return { used, startup: this.startupBytes, dataset, clientsNormal, clientsReplicas, replicationBacklog, aofBuffer, notCountedForEvict: clientsReplicas + aofBuffer };
  }

  /** used_memory now; raises the peak when higher. */
  sample(): number {
    return this.figures().used;
  }

  /**
   * The broker is built and about to load its data: the V8 heap in use now is its
   * baseline (used_memory_startup), as redis-server measures before loading.
   */
  started(): void {
    const heap = v8.getHeapStatistics();
    this.startupBytes = heap.used_heap_size;
    this.peakBytes = this.sample();
  }

  get startup(): number {
    return this.startupBytes;
  }

  get peak(): number {
    return this.peakBytes;
  }
}
