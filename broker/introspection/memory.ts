/**
 * The memory figures of INFO memory: what the process uses for data (used_memory),
 * what it used once started (used_memory_startup) and the highest seen (used_memory_peak),
 * sampled by the cron and by INFO. Node has no allocator statistics like jemalloc's:
 * "used" is the V8 heap in use plus memory held outside it (Buffers).
 */
export class MemoryUsage {
  private startupBytes = 0;
  private peakBytes = 0;

  /** Memory in use now; raises the peak when higher. */
  sample(): number {
    const m = process.memoryUsage();
    const used = m.heapUsed + m.external;
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
