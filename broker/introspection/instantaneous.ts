/**
 * redis-server's instantaneous metrics (instantaneous_ops_per_sec, ..._kbps): a
 * counter sampled every 100 ms, the rate averaged over the last 16 samples.
 */

const SAMPLES = 16;

export class InstantaneousMetric {
  private readonly samples = new Float64Array(SAMPLES);
  private index = 0;
  private lastTime = Date.now();
  private lastValue = 0;

  /** Records the counter's current reading. */
  sample(value: number, now: number): void {
    const elapsed = now - this.lastTime;
    this.samples[this.index] = elapsed > 0 ? Math.floor(((value - this.lastValue) * 1000) / elapsed) : 0;
    this.index = (this.index + 1) % SAMPLES;
    this.lastTime = now;
    this.lastValue = value;
  }

  /** Per-second rate averaged over the samples. */
  get rate(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return sum / SAMPLES;
  }

  /** Forgets the samples (CONFIG RESETSTAT); `value` is the counter's new reading. */
  reset(value: number, now: number): void {
    this.samples.fill(0);
    this.lastTime = now;
    this.lastValue = value;
  }
}
