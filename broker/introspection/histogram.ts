/**
 * Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) with the
 * bucket layout of the hdr_histogram redis-server uses (lowest value 1 ns, 2
 * significant digits): values below 256 exact, then 128 sub-buckets per power of
 * two. Recording is a few integer operations and no allocation; readings follow
 * hdr's rules (the highest value equivalent to a bucket), so they read as the
 * reference's do.
 */

/** Values below this are exact (one bucket each). */
const LINEAR = 256;
const LOG2_LINEAR = 8;
/** Sub-buckets per power of two above LINEAR, as bits. */
const SUB_BITS = 7;
const SUB_MASK = (1 << SUB_BITS) - 1;
/** redis-server's LATENCY_HISTOGRAM_MAX_VALUE: 1000 s, in ns. */
const MAX_NS = 1e12;
const BUCKETS = LINEAR + (Math.ceil(Math.log2(MAX_NS)) - LOG2_LINEAR + 1) * (1 << SUB_BITS);

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  /** Highest bucket index used, to bound the scans. */
  private top = 0;
  total = 0;

  /** Records a duration in nanoseconds. */
  record(ns: number): void {
    const v = ns < 1 ? 1 : ns > MAX_NS ? MAX_NS : Math.floor(ns);
    let index: number;
    if (v < LINEAR) {
      index = v;
    } else if (v <= 0xffffffff) {
      // The common case (under 4.3 s): integer bit operations only.
      const exponent = 31 - Math.clz32(v);
      index = LINEAR + ((exponent - LOG2_LINEAR) << SUB_BITS) + ((v >>> (exponent - SUB_BITS)) & SUB_MASK);
    } else {
      index = indexOf(v);
    }
    this.counts[index]++;
    this.total++;
    if (index > this.top) this.top = index;
  }

  /** The value (ns) at a percentile in [0, 100], as hdr_value_at_percentile. */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.floor((percentile / 100) * this.total + 0.5));
    let seen = 0;
    for (let i = 0; i <= this.top; i++) {
      seen += this.counts[i];
      if (seen >= rank) return highestEquivalent(i);
    }
    return highestEquivalent(this.top);
  }

  /**
   * For each bound (ns, ascending), how many values were recorded at or below it, as
   * far as the buckets tell (a bucket counts under the bound its lowest value is
   * under): the Prometheus histogram's cumulative buckets (broker/http/).
   */
  cumulativeAt(boundsNs: readonly number[]): number[] {
    const out: number[] = [];
    let index = 0;
    let seen = 0;
    for (const bound of boundsNs) {
      const last = Math.min(indexOf(Math.min(Math.max(1, Math.floor(bound)), MAX_NS)), this.top);
      for (; index <= last; index++) seen += this.counts[index];
      out.push(seen);
    }
    return out;
  }

  /**
   * LATENCY HISTOGRAM's cumulative distribution: hdr's logarithmic iteration from
   * 1024 ns doubling, as [highest equivalent value in µs, values at or below it],
   * where the count grows.
   */
  cumulativeMicros(): [number, number][] {
    const out: [number, number][] = [];
    let previous = 0;
    let index = 0;
    let seen = 0;
    for (let level = 1024; previous < this.total; level *= 2) {
      const bound = indexOf(level);
      for (; index <= bound && index <= this.top; index++) seen += this.counts[index];
      if (seen > previous) out.push([Math.floor(highestEquivalent(bound) / 1000), seen]);
      previous = seen;
    }
    return out;
  }
}

function indexOf(v: number): number {
  if (v < LINEAR) return v;
  const exponent = Math.floor(Math.log2(v));
  return LINEAR + ((exponent - LOG2_LINEAR) << SUB_BITS) + (Math.floor(v / 2 ** (exponent - SUB_BITS)) & SUB_MASK);
}

function highestEquivalent(index: number): number {
  if (index < LINEAR) return index;
  const exponent = LOG2_LINEAR + ((index - LINEAR) >> SUB_BITS);
  const sub = (index - LINEAR) & SUB_MASK;
  const width = 2 ** (exponent - SUB_BITS);
  return ((1 << SUB_BITS) + sub) * width + width - 1;
}
