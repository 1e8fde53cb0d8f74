/**
 * The latency monitor (LATENCY): per event ("command", "fast-command", ...) a ring of
 * the worst latency of each second it exceeded `latency-monitor-threshold`, as
 * redis-server's latency.c keeps them.
 */

/** Samples kept per event (redis-server's LATENCY_TS_LEN). */
const SERIES_LEN = 160;

export interface LatencySample {
  /** Unix time in seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

class LatencySeries {
  /** Oldest first, at most SERIES_LEN. */
  readonly samples: LatencySample[] = [];
  /** Worst latency ever seen for the event. */
  max = 0;

  add(time: number, latency: number): void {
    if (latency > this.max) this.max = latency;
    const last = this.samples[this.samples.length - 1];
    // One sample per second: the worst one.
    if (last !== undefined && last.time === time) {
      if (latency > last.latency) last.latency = latency;
      return;
    }
    this.samples.push({ time, latency });
    if (this.samples.length > SERIES_LEN) this.samples.shift();
  }
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencySeries>();

  addSample(event: string, latencyMs: number): void {
    let series = this.events.get(event);
    if (series === undefined) {
      series = new LatencySeries();
      this.events.set(event, series);
    }
    series.add(Math.floor(Date.now() / 1000), latencyMs);
  }

  /** Forgets the named events (all when none are named); returns how many existed. */
  reset(events: readonly string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }

  /**
   * The LATENCY DOCTOR report. redis-server's own texts when there is nothing to say;
   * otherwise one line per event with its statistics (redis-server adds advice on
   * causes this broker does not have: forks, transparent huge pages, swapping).
   */
  doctor(threshold: number): string {
    if (this.events.size === 0 && threshold === 0) {
      return (
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
        'You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. ' +
        "If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
      );
    }
    if (this.events.size === 0) {
      return (
        'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. ' +
        'I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n'
      );
    }
    let report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    let i = 1;
    for (const [event, series] of this.events) {
      const samples = series.samples;
      const avg = samples.reduce((sum, s) => sum + s.latency, 0) / samples.length;
      const mad = samples.reduce((sum, s) => sum + Math.abs(s.latency - avg), 0) / samples.length;
      const period = samples.length > 1 ? (samples[samples.length - 1].time - samples[0].time) / (samples.length - 1) : 0;
      report +=
        `${i++}. ${event}: ${samples.length} latency spikes (average ${Math.floor(avg)}ms, ` +
        `mean deviation ${Math.floor(mad)}ms, period ${period.toFixed(2)} sec). ` +
        `Worst all time event ${series.max}ms.\n`;
    }
    return report;
  }
}
