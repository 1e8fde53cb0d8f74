/**
 * What /metrics says: every family documented in the README, the exposition
 * accepted by `promtool check metrics`, values equal to what XINFO GROUPS and XINFO
 * CONSUMERS say at the same instant (the clock is frozen, so "the same instant" is
 * exact), the counters and histograms of a known sequence, cardinality control, and
 * /readyz during a load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBrokerWithHttp } from '../harness/servers.js';
import { RawClient } from '../harness/raw.js';
import { hasPrometheus, NO_PROMETHEUS, promtoolCheckMetrics } from '../harness/prometheus.js';
import { tempDir } from '../harness/temp.js';
import { FAMILIES } from '../../broker/http/families.js';

type Started = Awaited<ReturnType<typeof startBrokerWithHttp>>;
let running: Started | null = null;

afterEach(async () => {
  vi.useRealTimers();
  await running?.stop();
  running = null;
});

async function start(args: string[] = [], options: { loaded?: boolean } = {}): Promise<Started> {
  running = await startBrokerWithHttp(args, options);
  // Commands read the wall clock off performance.now() (broker/dispatch/wall-clock.ts): with
  // the Date faked, they read it from Date.now() too, so that a frozen clock freezes them.
  if (vi.isFakeTimers()) vi.spyOn(running.broker.dispatcher.clock, 'at').mockImplementation(() => Date.now());
  return running;
}

async function scrape(httpPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the series `name{labels}` (labels given must match exactly those of the series). */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[k] = v;
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(m[3]);
  }
  return undefined;
}

/** A RESP2 flat [k, v, k, v...] reply as an object. */
function fields(reply: unknown): Record<string, unknown> {
  const list = reply as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

describe('the metrics families', () => {
  it('are each documented in the README, with their type', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const readme = readFileSync(path.join(root.endsWith('dist') ? path.dirname(root) : root, 'README.md'), 'utf8');
    for (const [name, family] of Object.entries(FAMILIES)) {
      expect(readme, name).toMatch(new RegExp(`\\| \`${name}\` \\| ${family.type} \\|`));
    }
  });

  const promtool = hasPrometheus();
  it.skipIf(!promtool)(`${promtool ? '' : `${NO_PROMETHEUS}: `}pass promtool check metrics with streams, groups, lists, pub/sub and the AOF on`, async () => {
    const { port, httpPort } = await start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const c = await RawClient.connect(port);
    for (let i = 0; i < 5; i++) await c.call('XADD', 'orders', '*', 'n', String(i));
    await c.call('XGROUP', 'CREATE', 'orders', 'billing', '0');
    await c.call('XREADGROUP', 'GROUP', 'billing', 'worker "1"', 'COUNT', '3', 'STREAMS', 'orders', '>');
    await c.call('XACK', 'orders', 'billing', '0-1');
    await c.call('RPUSH', 'jobs', 'a', 'b');
    await c.call('SET', 'plain', 'x', 'EX', '100');
    await c.call('PUBLISH', 'news', 'hello');
    await c.call('NOSUCHCOMMAND');
    c.close();
    const text = await scrape(httpPort);
    expect(valueOf(text, 'broker_aof_fsync_duration_seconds_count')).toBeGreaterThan(0);
    // Label values are escaped: a consumer name with quotes still parses.
    expect(text).toContain('consumer="worker \\"1\\""');
    const check = promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('stream metrics', () => {
  const T0 = 1_800_000_000_000;
  const id = (msBeforeT0: number): string => `${T0 - msBeforeT0}-0`;

  it('show what XINFO GROUPS and XINFO CONSUMERS say at the same instant, and what they cannot', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    for (const ago of [60_000, 30_000, 20_000, 10_000]) await c.call('XADD', 's', id(ago), 'f', 'v');
    await c.call('XGROUP', 'CREATE', 's', 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>');
    vi.setSystemTime(T0 + 5000);
    await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 's', '>');
    await c.call('XACK', 's', 'g', id(30_000));
    vi.setSystemTime(T0 + 12_345);

    const group = fields((((await c.call('XINFO', 'GROUPS', 's')).value) as unknown[])[0]);
    const consumers = ((await c.call('XINFO', 'CONSUMERS', 's', 'g')).value as unknown[]).map(fields);
    const text = await scrape(httpPort);
    const g = { db: '0', stream: 's', group: 'g' };
    expect(group.pending).toBe(2);
    expect(valueOf(text, 'broker_stream_group_pending_entries', g)).toBe(group.pending);
    expect(group.lag).toBe(1);
    expect(valueOf(text, 'broker_stream_group_lag_entries', g)).toBe(group.lag);
    expect(valueOf(text, 'broker_stream_group_consumers', g)).toBe(group.consumers);
    for (const consumer of consumers) {
      const labels = { ...g, consumer: String(consumer.name) };
      expect(valueOf(text, 'broker_stream_consumer_pending_entries', labels)).toBe(consumer.pending);
      expect(valueOf(text, 'broker_stream_consumer_idle_seconds', labels)).toBe(Number(consumer.idle) / 1000);
    }
    expect(consumers.map((x) => [x.name, x.idle])).toEqual([
      ['alice', 12_345],
      ['bob', 7_345],
    ]);
    // What XINFO cannot say: the undelivered entry is 22.345 s old, the oldest pending delivery 12.345 s.
    expect(valueOf(text, 'broker_stream_group_lag_seconds', g)).toBe(22.345);
    expect(valueOf(text, 'broker_stream_group_oldest_pending_age_seconds', g)).toBe(12.345);
    const s = { db: '0', stream: 's' };
    expect(valueOf(text, 'broker_stream_length', s)).toBe(4);
    expect(valueOf(text, 'broker_stream_entries_added_total', s)).toBe(4);
    expect(valueOf(text, 'broker_stream_first_entry_timestamp_seconds', s)).toBe((T0 - 60_000) / 1000);
    expect(valueOf(text, 'broker_stream_last_entry_timestamp_seconds', s)).toBe((T0 - 10_000) / 1000);
    expect(valueOf(text, 'broker_stream_groups', s)).toBe(1);
    expect(valueOf(text, 'broker_stream_group_delivered_total', g)).toBe(3);
    expect(valueOf(text, 'broker_stream_group_acknowledged_total', g)).toBe(1);
    // First deliveries 60 s, 30 s and 25 s after their IDs; the acknowledgement 5 s after its delivery.
    expect(valueOf(text, 'broker_stream_first_delivery_seconds_count')).toBe(3);
    expect(valueOf(text, 'broker_stream_first_delivery_seconds_sum')).toBe(115);
    expect(valueOf(text, 'broker_stream_first_delivery_seconds_bucket', { le: '30' })).toBe(2);
    expect(valueOf(text, 'broker_stream_ack_seconds_count')).toBe(1);
    expect(valueOf(text, 'broker_stream_ack_seconds_sum')).toBe(5);

    // Claims and redeliveries; then nothing left to deliver and nothing pending.
    await c.call('XCLAIM', 's', 'g', 'bob', '0', id(60_000));
    await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>');
    await c.call('XACK', 's', 'g', id(60_000), id(20_000), id(10_000));
    const after = await scrape(httpPort);
    expect(valueOf(after, 'broker_stream_group_claimed_total', g)).toBe(1);
    expect(valueOf(after, 'broker_stream_group_redelivered_total', g)).toBe(2);
    expect(valueOf(after, 'broker_stream_group_delivered_total', g)).toBe(4);
    expect(valueOf(after, 'broker_stream_group_acknowledged_total', g)).toBe(4);
    expect(valueOf(after, 'broker_stream_group_lag_entries', g)).toBe(0);
    expect(valueOf(after, 'broker_stream_group_lag_seconds', g)).toBe(0);
    expect(valueOf(after, 'broker_stream_group_oldest_pending_age_seconds', g)).toBe(0);
    expect(valueOf(after, 'broker_stream_group_pending_entries_all')).toBe(0);
    c.close();
  });

  it('follow a stream from scrape to scrape: deleted entries, a rename, a new group, a UTF-8 name', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    // Names as their UTF-8 bytes, as a client sends them.
    const [flow, river, alice, bob] = ['поток', 'река', 'алиса', 'боб'].map((name) => Buffer.from(name, 'utf8'));
    for (const ago of [60_000, 30_000]) await c.call('XADD', flow, id(ago), 'f', 'v');
    await c.call('XGROUP', 'CREATE', flow, 'g', '0');
    await c.call('XGROUP', 'CREATECONSUMER', flow, 'g', alice);
    const g = { db: '0', stream: 'поток', group: 'g' };
    expect(valueOf(await scrape(httpPort), 'broker_stream_group_lag_seconds', g)).toBe(60);
    // The oldest undelivered entry deleted: the next one's age.
    await c.call('XDEL', flow, id(60_000));
    expect(valueOf(await scrape(httpPort), 'broker_stream_group_lag_seconds', g)).toBe(30);
    await c.call('RENAME', flow, river);
    await c.call('XGROUP', 'CREATE', river, 'g2', '$');
    await c.call('XGROUP', 'CREATECONSUMER', river, 'g2', bob);
    const text = await scrape(httpPort);
    expect(valueOf(text, 'broker_stream_length', { db: '0', stream: 'поток' })).toBeUndefined();
    expect(valueOf(text, 'broker_stream_length', { db: '0', stream: 'река' })).toBe(1);
    expect(valueOf(text, 'broker_stream_group_lag_seconds', { ...g, stream: 'река' })).toBe(30);
    expect(valueOf(text, 'broker_stream_consumer_pending_entries', { ...g, stream: 'река', consumer: 'алиса' })).toBe(0);
    expect(valueOf(text, 'broker_stream_group_lag_seconds', { db: '0', stream: 'река', group: 'g2' })).toBe(0);
    expect(valueOf(text, 'broker_stream_consumer_pending_entries', { db: '0', stream: 'река', group: 'g2', consumer: 'боб' })).toBe(0);
    c.close();
  });

  it('keep each group and consumer under its own labels when one before it is deleted', async () => {
    // The series are kept from scrape to scrape by position among the stream's groups and the group's consumers.
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    await c.call('XADD', 's', '1-0', 'f', 'v');
    for (const group of ['g1', 'g2']) await c.call('XGROUP', 'CREATE', 's', group, '0');
    for (const consumer of ['a', 'b']) await c.call('XGROUP', 'CREATECONSUMER', 's', 'g2', consumer);
    await c.call('XREADGROUP', 'GROUP', 'g2', 'b', 'STREAMS', 's', '>');
    const g2 = { db: '0', stream: 's', group: 'g2' };
    expect(valueOf(await scrape(httpPort), 'broker_stream_consumer_pending_entries', { ...g2, consumer: 'b' })).toBe(1);
    await c.call('XGROUP', 'DESTROY', 's', 'g1');
    await c.call('XGROUP', 'DELCONSUMER', 's', 'g2', 'a');
    const text = await scrape(httpPort);
    expect(text).not.toMatch(/group="g1"|consumer="a"/);
    expect(valueOf(text, 'broker_stream_group_pending_entries', g2)).toBe(1);
    expect(valueOf(text, 'broker_stream_group_consumers', g2)).toBe(1);
    expect(valueOf(text, 'broker_stream_consumer_pending_entries', { ...g2, consumer: 'b' })).toBe(1);
    c.close();
  });

  it('leave out the lag in entries where XINFO GROUPS shows nil', async () => {
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    for (const n of [1, 2, 3]) await c.call('XADD', 's', `${n}-0`, 'f', 'v');
    await c.call('XGROUP', 'CREATE', 's', 'g', '0');
    await c.call('XDEL', 's', '2-0');
    expect(fields(((await c.call('XINFO', 'GROUPS', 's')).value as unknown[])[0]).lag).toBe(null);
    const text = await scrape(httpPort);
    expect(valueOf(text, 'broker_stream_group_lag_entries', { db: '0', stream: 's', group: 'g' })).toBe(undefined);
    expect(valueOf(text, 'broker_stream_group_pending_entries', { db: '0', stream: 's', group: 'g' })).toBe(0);
    c.close();
  });
});

describe('other families', () => {
  it('lists, hashes, sets and sorted sets, blocked clients per key, pub/sub, commands and keyspace', async () => {
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    const blocked = await RawClient.connect(port);
    const subscriber = await RawClient.connect(port);
    await c.call('RPUSH', 'jobs', 'a', 'b', 'c');
    await c.call('HSET', 'job:1', 'state', 'done', 'tries', '2');
    await c.call('SADD', 'seen', 'a', 'b', 'c', 'd');
    await c.call('ZADD', 'delayed', '1', 'a', '2', 'b', '3', 'c');
    blocked.write('*3\r\n$5\r\nBLPOP\r\n$4\r\nidle\r\n$1\r\n0\r\n');
    await subscriber.call('SUBSCRIBE', 'news');
    await subscriber.call('PSUBSCRIBE', 'n*');
    await c.call('PUBLISH', 'news', 'hi');
    await c.call('SET', 'x', '1', 'EX', '100');
    await c.call('INCR', 'jobs');
    // The BLPOP is taken once INFO shows the client blocked.
    while (!String((await c.call('INFO', 'clients')).value).includes('blocked_clients:1')) await new Promise((r) => setTimeout(r, 10));
    const text = await scrape(httpPort);
    expect(valueOf(text, 'broker_list_length', { db: '0', list: 'jobs' })).toBe(3);
    expect(valueOf(text, 'broker_lists')).toBe(1);
    expect(valueOf(text, 'broker_list_elements')).toBe(3);
    expect(valueOf(text, 'broker_hashes')).toBe(1);
    expect(valueOf(text, 'broker_hash_fields')).toBe(2);
    expect(valueOf(text, 'broker_sets')).toBe(1);
    expect(valueOf(text, 'broker_set_members')).toBe(4);
    expect(valueOf(text, 'broker_zsets')).toBe(1);
    expect(valueOf(text, 'broker_zset_members')).toBe(3);
    expect(valueOf(text, 'broker_blocked_clients_by_key', { db: '0', key: 'idle' })).toBe(1);
    expect(valueOf(text, 'broker_blocked_clients')).toBe(1);
    expect(valueOf(text, 'broker_pubsub_channels')).toBe(1);
    expect(valueOf(text, 'broker_pubsub_patterns')).toBe(1);
    expect(valueOf(text, 'broker_pubsub_subscribers')).toBe(1);
    expect(valueOf(text, 'broker_pubsub_messages_published_total')).toBe(1);
    expect(valueOf(text, 'broker_pubsub_messages_delivered_total')).toBe(2);
    expect(valueOf(text, 'broker_commands_total', { command: 'rpush' })).toBe(1);
    expect(valueOf(text, 'broker_command_errors_total', { command: 'incr' })).toBe(1);
    expect(valueOf(text, 'broker_error_replies_total', { error: 'WRONGTYPE' })).toBe(1);
    expect(valueOf(text, 'broker_command_duration_seconds_count', { command: 'rpush' })).toBe(1);
    expect(valueOf(text, 'broker_command_duration_seconds_bucket', { command: 'rpush', le: '+Inf' })).toBe(1);
    expect(valueOf(text, 'broker_keys', { db: '0' })).toBe(5);
    expect(valueOf(text, 'broker_keys_expiring', { db: '0' })).toBe(1);
    expect(valueOf(text, 'broker_connected_clients')).toBe(3);
    expect(valueOf(text, 'broker_aof_enabled')).toBe(0);
    expect(valueOf(text, 'broker_loading')).toBe(0);
    expect(valueOf(text, 'broker_loading_progress_ratio')).toBe(1);
    for (const client of [c, blocked, subscriber]) client.close();
  });

  it('count a key by what it holds now: overwritten by another kind, copied over, moved, swapped, flushed', async () => {
    const { port, httpPort } = await start();
    const c = await RawClient.connect(port);
    const counts = async (): Promise<number[]> => {
      const text = await scrape(httpPort);
      return ['broker_lists', 'broker_hashes', 'broker_streams'].map((name) => valueOf(text, name) ?? -1);
    };
    await c.call('RPUSH', 'q', 'a');
    await c.call('HSET', 'h', 'f', 'v');
    await c.call('SET', 'plain', 'x');
    expect(await counts()).toEqual([1, 1, 0]);
    // A list overwritten by a string, a string by a copy of a hash.
    await c.call('SET', 'q', 'now a string');
    await c.call('COPY', 'h', 'plain', 'REPLACE');
    expect(await counts()).toEqual([0, 2, 0]);
    await c.call('XADD', 's', '*', 'f', 'v');
    await c.call('MOVE', 's', '1');
    await c.call('SWAPDB', '0', '1');
    await c.call('DEL', 'h');
    expect(await counts()).toEqual([0, 2, 1]);
    await c.call('FLUSHDB');
    expect(await counts()).toEqual([0, 2, 0]);
    await c.call('FLUSHALL');
    expect(await counts()).toEqual([0, 0, 0]);
    c.close();
  });

  it('per-key series up to metrics-max-keys, filtered by include/exclude patterns, aggregates over all', async () => {
    const { port, httpPort } = await start(['--metrics-max-keys', '2']);
    const c = await RawClient.connect(port);
    for (const key of ['s:1', 's:2', 's:3', 'tmp:s']) await c.call('XADD', key, '*', 'f', 'v');
    await c.call('RPUSH', 'q', 'a');
    let text = await scrape(httpPort);
    const series = (t: string): number => t.split('\n').filter((l) => /^broker_(stream|list)_length\{/.test(l)).length;
    expect(series(text)).toBe(2);
    expect(valueOf(text, 'broker_streams')).toBe(4);
    expect(valueOf(text, 'broker_stream_entries')).toBe(4);
    const omitted = (t: string): number =>
      (valueOf(t, 'broker_metrics_keys_omitted', { type: 'stream' }) ?? 0) + (valueOf(t, 'broker_metrics_keys_omitted', { type: 'list' }) ?? 0);
    expect(omitted(text)).toBe(3);
    await c.call('CONFIG', 'SET', 'metrics-max-keys', '10');
    await c.call('CONFIG', 'SET', 'metrics-include-keys', 's:* q');
    await c.call('CONFIG', 'SET', 'metrics-exclude-keys', 's:2');
    text = await scrape(httpPort);
    expect(valueOf(text, 'broker_stream_length', { db: '0', stream: 's:1' })).toBe(1);
    expect(valueOf(text, 'broker_stream_length', { db: '0', stream: 's:2' })).toBe(undefined);
    expect(valueOf(text, 'broker_stream_length', { db: '0', stream: 'tmp:s' })).toBe(undefined);
    expect(valueOf(text, 'broker_list_length', { db: '0', list: 'q' })).toBe(1);
    expect(omitted(text)).toBe(2);
    c.close();
  });
});

describe('/readyz', () => {
  it('answers 503 with the progress while the dataset loads, then 200', async () => {
    const dir = tempDir('readyz-');
    const first = await startBrokerWithHttp(['--dir', dir, '--appendonly', 'yes']);
    const c = await RawClient.connect(first.port);
    for (let i = 0; i < 50; i++) await c.call('SET', `k${i}`, 'v');
    c.close();
    await first.stop();
    const { broker, httpPort, started } = await start(['--dir', dir, '--appendonly', 'yes', '--key-load-delay', '100000'], { loaded: false });
    const loading = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    expect(loading.status).toBe(503);
    expect(await loading.text()).toMatch(/^loading the dataset \(\d+\.\d\d%\)\n$/);
    expect(valueOf(await scrape(httpPort), 'broker_loading')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    broker.config.set('key-load-delay', '0');
    await started;
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
  });
});
