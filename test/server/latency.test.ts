/**
 * The latency monitor (LATENCY), fed by real slow commands (DEBUG SLEEP) and by
 * samples injected with known times, and the per-command histograms behind INFO
 * latencystats.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { startBroker } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { LatencyMonitor } from '../../broker/introspection/latency.js';
import { LatencyHistogram } from '../../broker/introspection/histogram.js';

describe('LATENCY', () => {
  const server = suiteBroker(['--enable-debug-command', 'yes']);
  const c = suiteClient(server);

  it('records commands slower than latency-monitor-threshold as "command" events', async () => {
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '5');
    await c.call('DEBUG', 'SLEEP', '0.02');
    await c.call('PING');
    const latest = (await c.call('LATENCY', 'LATEST')).value as [string, number, number, number][];
    expect(latest.length).toBe(1);
    const [event, time, last, max] = latest[0];
    expect(event).toBe('command');
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(60);
    expect(last).toBeGreaterThanOrEqual(20);
    expect(max).toBe(last);
    const history = (await c.call('LATENCY', 'HISTORY', 'command')).value as number[][];
    expect(history).toEqual([[time, last]]);
    const doctor = (await c.call('LATENCY', 'DOCTOR')).value as string;
    expect(doctor).toMatch(/^Dave, I have observed latency spikes in this Redis instance\./);
    expect(doctor).toContain('1. command: 1 latency spikes');
    expect((await c.call('LATENCY', 'RESET', 'nosuch')).value).toBe(0);
    expect((await c.call('LATENCY', 'RESET', 'command')).value).toBe(1);
    expect((await c.call('LATENCY', 'LATEST')).value).toEqual([]);
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  });

  it('keeps the worst sample of each second, 160 seconds, and the all-time maximum', () => {
    const monitor = new LatencyMonitor();
    const realNow = Date.now;
    let now = 1_700_000_000_000;
    Date.now = () => now;
    try {
      monitor.addSample('command', 10);
      monitor.addSample('command', 30);
      monitor.addSample('command', 20);
      expect(monitor.events.get('command')!.samples).toEqual([{ time: 1_700_000_000, latency: 30 }]);
      for (let i = 1; i <= 200; i++) {
        now += 1000;
        monitor.addSample('command', i % 7);
      }
      const series = monitor.events.get('command')!;
      expect(series.samples.length).toBe(160);
      expect(series.samples[0].time).toBe(1_700_000_041);
      expect(series.max).toBe(30);
      monitor.addSample('fast-command', 3);
      expect(monitor.reset([])).toBe(2);
    } finally {
      Date.now = realNow;
    }
  });

  it('histograms give percentiles within their bucket precision', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 1000; us++) h.record(us * 1000);
    for (const [p, exact] of [[50, 500_000], [99, 990_000], [99.9, 999_000], [100, 1_000_000]]) {
      const v = h.valueAt(p);
      expect(v).toBeGreaterThanOrEqual(exact);
      expect(v).toBeLessThanOrEqual(exact * 1.02);
    }
    expect(new LatencyHistogram().valueAt(50)).toBe(0);
    const small = new LatencyHistogram();
    small.record(5);
    small.record(0.2);
    expect(small.valueAt(100)).toBe(5);
    expect(small.valueAt(0)).toBe(1);
  });

  it('histograms give the cumulative distribution LATENCY HISTOGRAM shows, at hdr log steps', () => {
    const h = new LatencyHistogram();
    for (const ns of [500, 5000, 5000, 300_000]) h.record(ns);
    // Steps 1024 ns doubling, keyed by the highest value equivalent to each (1031 ns, 8255 ns, 528383 ns).
    expect(h.cumulativeMicros()).toEqual([[1, 1], [8, 3], [528, 4]]);
    expect(new LatencyHistogram().cumulativeMicros()).toEqual([]);
  });

  it('LATENCY HISTOGRAM reports calls and distributions per command', async () => {
    const fresh = await startBroker();
    const d = await RawClient.connect(fresh.port);
    for (let i = 0; i < 5; i++) await d.call('GET', 'k');
    await d.call('CONFIG', 'GET', 'hz');
    const reply = (await d.call('LATENCY', 'HISTOGRAM', 'get', 'config', 'nosuch')).value as unknown[];
    expect(reply[0]).toBe('get');
    const [, calls, , buckets] = reply[1] as [string, number, string, number[]];
    expect(calls).toBe(5);
    expect(buckets.at(-1)).toBe(5);
    expect(reply[2]).toBe('config|get');
    expect(reply.length).toBe(4);
    expect((await d.call('LATENCY', 'HISTOGRAM', 'nosuch')).value).toEqual([]);
    await d.call('HELLO', '3');
    const resp3 = await d.call('LATENCY', 'HISTOGRAM', 'get');
    expect(resp3.raw.toString()).toMatch(/^%1\r\n\$3\r\nget\r\n%2\r\n\$5\r\ncalls\r\n:5\r\n\$14\r\nhistogram_usec\r\n%\d+\r\n/);
    d.close();
    await fresh.stop();
  });
});
