/**
 * The server's own figures, read at scrape time from the counters INFO already
 * keeps (commandstats, latencystats, errorstats, clients, keyspace, memory) and
 * from pub/sub: the command path bumps nothing more for the metrics.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { labels, type Scrape } from '../scrape.js';
import type { MetricsHost } from '../host.js';

/** Bounds of the per-command latency histogram, in seconds: 10 µs to 10 s. */
const COMMAND_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10];
const COMMAND_BUCKETS_NS = COMMAND_BUCKETS.map((s) => s * 1e9);

export class ServerCollector {
  /** Event loop activity at the previous scrape: utilisation is measured between scrapes. */
  private loop: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly broker: MetricsHost) {}

  collect(scrape: Scrape): void {
    this.commands(scrape);
    this.clients(scrape);
    this.keyspace(scrape);
    this.pubsub(scrape);
    const b = this.broker;
    for (const [code, count] of b.stats.errors) scrape.set('broker_error_replies_total', count, labels({ error: code }));
    scrape.set('broker_memory_used_bytes', b.memory.sample());
    const loop = performance.eventLoopUtilization(this.loop);
    this.loop = performance.eventLoopUtilization();
    scrape.set('broker_event_loop_utilization_ratio', loop.utilization);
    scrape.set('broker_uptime_seconds', (scrape.now - b.stats.startedAt) / 1000);
  }

  /** INFO commandstats and latencystats, per command and subcommand that ran. */
  private commands(scrape: Scrape): void {
    const b = this.broker;
    for (const top of b.commands.commands()) {
      for (const command of [top, ...(top.subcommands?.values() ?? [])]) {
        const stats = command.stats;
        if (stats.calls === 0 && stats.rejectedCalls === 0 && stats.failedCalls === 0) continue;
        const commandLabels = labels({ command: command.fullname });
        scrape.set('broker_commands_total', stats.calls, commandLabels);
        scrape.set('broker_command_errors_total', stats.failedCalls + stats.rejectedCalls, commandLabels);
      }
    }
    for (const [command, histogram] of b.histograms) {
      const commandLabels = labels({ command: command.fullname });
      const cumulative = histogram.cumulativeAt(COMMAND_BUCKETS_NS);
      COMMAND_BUCKETS.forEach((le, i) => scrape.bucket('broker_command_duration_seconds', le, cumulative[i], commandLabels));
      // The histogram has no sum of its own: commandstats' usec is the same calls' time.
      scrape.histogramTotals('broker_command_duration_seconds', histogram.total, command.stats.usec / 1e6, commandLabels);
    }
  }

  private clients(scrape: Scrape): void {
    const b = this.broker;
    scrape.set('broker_connected_clients', b.connections.size);
    scrape.set('broker_connections_received_total', b.stats.totalConnectionsReceived);
    scrape.set('broker_connections_rejected_total', b.stats.rejectedConnections);
    for (const [cls, count] of Object.entries(b.outputLimits.closed)) {
      scrape.set('broker_output_limit_disconnections_total', count, labels({ class: cls }));
    }
    scrape.set('broker_blocked_clients', b.engine.blocking.size);
  }

  private keyspace(scrape: Scrape): void {
    const engine = this.broker.engine;
    for (const db of engine.dbs) {
      if (db.size === 0) continue;
      scrape.set('broker_keys', db.size, labels({ db: String(db.id) }));
      scrape.set('broker_keys_expiring', db.expiresCount, labels({ db: String(db.id) }));
    }
    scrape.set('broker_expired_keys_total', engine.stats.expiredKeys);
  }

  private pubsub(scrape: Scrape): void {
    const b = this.broker;
    const pubsub = b.engine.pubsub;
    scrape.set('broker_pubsub_channels', pubsub.count('channel'));
    scrape.set('broker_pubsub_patterns', pubsub.count('pattern'));
    scrape.set('broker_pubsub_shard_channels', pubsub.count('shard'));
    let subscribers = 0;
    for (const c of b.connections.values()) if (c.subscriptions !== null) subscribers++;
    scrape.set('broker_pubsub_subscribers', subscribers);
    scrape.set('broker_pubsub_messages_published_total', pubsub.published);
    scrape.set('broker_pubsub_messages_delivered_total', pubsub.delivered);
    scrape.set('broker_pubsub_subscribers_dropped_total', b.outputLimits.closed.pubsub);
  }
}
