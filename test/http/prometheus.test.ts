/**
 * A real Prometheus scrapes the broker, through the HTTP port and through the RESP
 * port, while clients produce, consume and publish; the metrics are then queryable
 * through Prometheus's HTTP API, and once the load stops its figures settle on the
 * broker's own (XLEN, XINFO GROUPS). Waits are for conditions, never for durations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerWithHttp } from '../harness/servers.js';
import { Gateway } from '../../broker/gateway/gateway.js';
import { RawClient } from '../harness/raw.js';
import { hasPrometheus, NO_PROMETHEUS, queryUntil, startLoad, startPrometheus, type PromSample, type RunningPrometheus } from '../harness/prometheus.js';
import { queriesWithoutData } from './dashboard-files.js';

const present = hasPrometheus();

describe.skipIf(!present)(present ? 'scraped by a real Prometheus' : NO_PROMETHEUS, { timeout: 600_000 }, () => {
  let broker: Awaited<ReturnType<typeof startBrokerWithHttp>>;
  /** A follower of `broker`, for the replication panels and alerts. */
  let follower: Awaited<ReturnType<typeof startBrokerWithHttp>>;
  let prom: RunningPrometheus;
  let stopLoad: () => Promise<void>;

  beforeAll(async () => {
    // With the WebSocket gateway, as main.ts builds it (its panels need its metrics), and a follower.
    broker = await startBrokerWithHttp(['--appendonly', 'yes', '--repl-diskless-sync-delay', '0'], {
      setup: (http, b) => new Gateway(b).register(http),
    });
    follower = await startBrokerWithHttp(['--replicaof', '127.0.0.1', String(broker.port)]);
    prom = await startPrometheus(
      [`127.0.0.1:${broker.httpPort}`, `127.0.0.1:${broker.port}`, `127.0.0.1:${follower.httpPort}`],
      ['dashboards/prometheus/alerts.yml'],
    );
    stopLoad = await startLoad(broker.port);
  });

  afterAll(async () => {
    await stopLoad?.();
    await prom?.stop();
    await follower?.stop();
    await broker?.stop();
  });

  it('scrapes both ports', async () => {
    for (const port of [broker.httpPort, broker.port, follower.httpPort]) {
      const up = await queryUntil(prom, `up{instance="127.0.0.1:${port}"}`, (r) => r.length === 1 && r[0].value[1] === '1');
      expect(up.map((s) => s.value[1]), `port ${port}`).toEqual(['1']);
    }
  });

  it('answers queries over streams, groups, lists, pub/sub, commands and persistence', async () => {
    const instance = `instance="127.0.0.1:${broker.httpPort}"`;
    const expressions = [
      `broker_stream_length{${instance},stream="orders"}`,
      `rate(broker_stream_group_delivered_total{${instance},group="billing"}[5s])`,
      `broker_stream_group_lag_seconds{${instance},group="billing"}`,
      `broker_stream_consumer_idle_seconds{${instance},consumer="worker"}`,
      `histogram_quantile(0.9, sum by (le) (rate(broker_stream_ack_seconds_bucket{${instance}}[10s])))`,
      `histogram_quantile(0.99, sum by (le, command) (rate(broker_command_duration_seconds_bucket{${instance},command=~"xadd|rpush"}[10s])))`,
      `sum(rate(broker_commands_total{${instance}}[5s]))`,
      `broker_list_length{${instance},list="jobs"}`,
      `rate(broker_pubsub_messages_published_total{${instance}}[5s])`,
      `rate(broker_aof_written_bytes_total{${instance}}[5s])`,
      `process_resident_memory_bytes{${instance}}`,
      `nodejs_eventloop_lag_seconds{${instance}}`,
    ];
    // Each returns data, every value a number (a rate over no change gives NaN quantiles).
    const hasData = (r: PromSample[]): boolean => r.length > 0 && r.every((s) => Number.isFinite(Number(s.value[1])));
    const without: string[] = [];
    for (const expr of expressions) if (!hasData(await queryUntil(prom, expr, hasData))) without.push(expr);
    expect(without).toEqual([]);
    expect(Number((await prom.query(`sum(rate(broker_commands_total{${instance}}[5s]))`))[0].value[1])).toBeGreaterThan(0);
  });

  it('returns data for every panel of every dashboard and every alert expression (thresholds relaxed)', async () => {
    expect(await queriesWithoutData(prom, `127.0.0.1:${broker.httpPort}`)).toEqual([]);
  });

  // Last: it stops the load.
  it('settles on what the broker says once the load stops', async () => {
    await stopLoad();
    const c = await RawClient.connect(broker.port);
    const length = String((await c.call('XLEN', 'orders')).value);
    const group = ((await c.call('XINFO', 'GROUPS', 'orders')).value as unknown[][])[0];
    const pending = String(group[group.indexOf('pending') + 1]);
    c.close();
    for (const [expr, expected] of [
      [`broker_stream_length{instance="127.0.0.1:${broker.httpPort}",stream="orders"}`, length],
      [`broker_stream_group_pending_entries{instance="127.0.0.1:${broker.port}",group="billing"}`, pending],
    ]) {
      const result = await queryUntil(prom, expr, (r) => r.length === 1 && r[0].value[1] === expected);
      expect(result.map((s) => s.value[1]), expr).toEqual([expected]);
    }
  });
});
