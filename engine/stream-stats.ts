/**
 * Counters of stream deliveries kept for the metrics (broker/http/): two duration
 * histograms over every consumer group, bumped by XREADGROUP and XACK. Redis has no
 * equivalent. The buckets are fixed so that recording is a short scan and two
 * increments, without allocation or label lookups on the command path.
 */

/** Upper bounds of the buckets, in seconds (from 1 ms to a day). */
const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400,
];

/** A histogram of durations: per-bucket (not cumulative) counts, one more for +Inf. */
export class DurationHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** `bounds`: the buckets' upper bounds in seconds, ascending. */
  constructor(readonly bounds: readonly number[] = DURATION_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records a duration in milliseconds (negative ones, from clocks or IDs set ahead, as 0). */
  observe(ms: number): void {
    const seconds = ms > 0 ? ms / 1000 : 0;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

export class StreamStats {
  /** From an entry's ID time to its first delivery to a group (XREADGROUP `>`). */
  readonly firstDelivery = new DurationHistogram();
  /** From an entry's last delivery to its acknowledgement (XACK). */
  readonly acknowledgement = new DurationHistogram();
}
