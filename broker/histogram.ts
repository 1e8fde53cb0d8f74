/**
 * Per-command latency histograms for INFO latencystats: log-linear buckets (64 per
 * power of two, about 1.6% wide) over nanoseconds, recorded with a few integer
 * operations and no allocation, read back as redis-server's hdr_histogram
 * percentiles are (the highest value equivalent to the bucket holding the rank).
 */

/** Values below this are exact (one bucket each). */
const LINEAR = 128;
/** Sub-buckets per power of two above LINEAR. */
const SUB_BITS = 6;
/** Recorded values are capped at 2^32-1 ns (about 4.3 s). */
const BUCKETS = LINEAR + (32 - 7) * (1 << SUB_BITS);

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  record(ns: number): void {
    const v = ns >= 4294967295 ? 4294967295 : ns < 1 ? 1 : ns >>> 0;
    let index: number;
    if (v < LINEAR) {
      index = v;
    } else {
      const exponent = 31 - Math.clz32(v);
      index = LINEAR + ((exponent - 7) << SUB_BITS) + ((v >>> (exponent - SUB_BITS)) & ((1 << SUB_BITS) - 1));
    }
    this.counts[index]++;
    this.total++;
  }

  /** The value (ns) at a percentile in [0, 100], as hdr_value_at_percentile. */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.floor((percentile / 100) * this.total + 0.5));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return highestInBucket(i);
    }
    return highestInBucket(BUCKETS - 1);
  }
}

function highestInBucket(index: number): number {
  if (index < LINEAR) return index;
  const exponent = 7 + ((index - LINEAR) >> SUB_BITS);
  const sub = (index - LINEAR) & ((1 << SUB_BITS) - 1);
  const width = 2 ** (exponent - SUB_BITS);
  return ((1 << SUB_BITS) + sub) * width + width - 1;
}
