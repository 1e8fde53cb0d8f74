/**
 * The AOF and loading, read at scrape time: INFO persistence's fields (one source
 * for both) and the writer's offsets and fsync histogram.
 */
import type { Scrape } from '../scrape.js';
import type { MetricsHost } from '../host.js';

export function collectPersistence(broker: MetricsHost, scrape: Scrape): void {
  const persistence = broker.persistence;
  const info = new Map<string, string>();
  for (const line of persistence.infoFields()) {
    const colon = line.indexOf(':');
    info.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const num = (name: string): number => Number(info.get(name) ?? 0);
  scrape.set('broker_aof_enabled', num('aof_enabled'));
  scrape.set('broker_aof_last_write_ok', info.get('aof_last_write_status') === 'ok' ? 1 : 0);
  scrape.set('broker_aof_rewrites_total', num('aof_rewrites'));
  scrape.set('broker_aof_rewrite_in_progress', num('aof_rewrite_in_progress'));
  scrape.set('broker_aof_last_rewrite_duration_seconds', num('aof_last_rewrite_time_sec'));
  scrape.set('broker_aof_last_rewrite_ok', info.get('aof_last_bgrewrite_status') === 'ok' ? 1 : 0);
  const loading = num('loading');
  scrape.set('broker_loading', loading);
  scrape.set('broker_loading_progress_ratio', loading === 0 ? 1 : num('loading_loaded_perc') / 100);
  const writer = persistence.writer;
  scrape.set('broker_aof_written_bytes_total', writer?.written ?? 0);
  scrape.set('broker_aof_fsync_pending_bytes', writer === null ? 0 : writer.written - writer.synced);
  scrape.set('broker_aof_buffer_bytes', writer?.buffered ?? 0);
  scrape.set('broker_aof_delayed_fsyncs_total', writer?.delayedFsync ?? 0);
  if (writer !== null) scrape.histogram('broker_aof_fsync_duration_seconds', writer.fsyncTimes);
}
