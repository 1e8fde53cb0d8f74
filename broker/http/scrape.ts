/**
 * One scrape's samples. Collectors (collectors/) read the broker's state at scrape
 * time and write what they find here, family by family; the registry (registry.ts)
 * renders them. Nothing here runs on the command path.
 */
import type { DurationHistogram } from '../../engine/stream-stats.js';
import { FAMILIES, type FamilyName } from './families.js';

export type Labels = Record<string, string>;

export interface Sample {
  /** The series' own name where it differs from the family's (a histogram's `_bucket`, `_sum`, `_count`). */
  metricName?: string;
  labels: Labels;
  value: number;
}

export class Scrape {
  readonly samples = new Map<FamilyName, Sample[]>();
  /** The scrape's instant (ms): every age is measured from it. */
  readonly now = Date.now();

  constructor() {
    for (const name of Object.keys(FAMILIES) as FamilyName[]) this.samples.set(name, []);
  }

  /** One value of a gauge or a counter. */
  set(name: FamilyName, value: number, labels: Labels = {}): void {
    this.samples.get(name)!.push({ labels, value });
  }

  /** A histogram from per-bucket counts (DurationHistogram). */
  histogram(name: FamilyName, h: DurationHistogram, labels: Labels = {}): void {
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i];
      this.bucket(name, bound, cumulative, labels);
    });
    this.histogramTotals(name, h.count, h.sum, labels);
  }

  /** A histogram's bucket (`le` in seconds) with its cumulative count. */
  bucket(name: FamilyName, le: number, cumulative: number, labels: Labels): void {
    this.samples.get(name)!.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
  }

  /** A histogram's +Inf bucket, `_sum` and `_count`. */
  histogramTotals(name: FamilyName, count: number, sum: number, labels: Labels): void {
    const list = this.samples.get(name)!;
    list.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
    list.push({ metricName: `${name}_sum`, labels, value: sum });
    list.push({ metricName: `${name}_count`, labels, value: count });
  }
}
