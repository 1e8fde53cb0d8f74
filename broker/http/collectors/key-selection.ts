/**
 * Cardinality control: which stream and list keys get series of their own at one
 * scrape. A key must match one of `metrics-include-keys` (when any is set) and none
 * of `metrics-exclude-keys` (Redis globs), and at most `metrics-max-keys` keys are
 * taken, in keyspace order; the others count in `broker_metrics_keys_omitted` and
 * still count in the aggregates.
 */
import { globMatch } from '../../../engine/glob.js';
import type { Config } from '../../config/config.js';
import { labels, type Scrape } from '../scrape.js';

function patterns(value: string): string[] {
  return value.split(/\s+/).filter((p) => p !== '');
}

export class KeySelection {
  private readonly max: number;
  private readonly include: string[];
  private readonly exclude: string[];
  private admitted = 0;
  private readonly omitted = new Map<string, number>();

  constructor(config: Config) {
    this.max = config.int('metrics-max-keys');
    this.include = patterns(config.get('metrics-include-keys'));
    this.exclude = patterns(config.get('metrics-exclude-keys'));
  }

  /** Whether `key` (of `type`) gets series of its own; counts it as omitted when not. */
  admit(type: string, key: string): boolean {
    const wanted =
      (this.include.length === 0 || this.include.some((p) => globMatch(p, key))) && !this.exclude.some((p) => globMatch(p, key));
    if (wanted && this.admitted < this.max) {
      this.admitted++;
      return true;
    }
    this.omitted.set(type, (this.omitted.get(type) ?? 0) + 1);
    return false;
  }

  report(scrape: Scrape): void {
    for (const type of ['stream', 'list', 'blocked-key']) {
      scrape.set('broker_metrics_keys_omitted', this.omitted.get(type) ?? 0, labels({ type }));
    }
  }
}
