/**
 * Replication, read at scrape time from the broker's Replication (broker/replication/):
 * the role, the stream's position and backlog, each attached follower's lag in bytes and
 * the age of its last ACK, the resyncs served, and on a follower its link to the leader.
 */
import { replicationOf } from '../../replication/replication.js';
import type { MetricsHost } from '../host.js';
import { labels, type Scrape } from '../scrape.js';

export function collectReplication(broker: MetricsHost, scrape: Scrape): void {
  const replication = replicationOf(broker);
  if (replication === null) return;
  const { log, leader } = replication;
  scrape.set('broker_replication_leader', replication.role === 'master' ? 1 : 0);
  scrape.set('broker_replication_offset_bytes', log.offset);
  scrape.set('broker_replication_backlog_bytes', log.histlen);
  scrape.set('broker_replication_followers', leader.followers.size);
  const now = Date.now();
  for (const f of leader.followers.values()) {
    const follower = labels({ follower: `${f.ip}:${f.caps.listeningPort}` });
    scrape.set('broker_replication_follower_lag_bytes', Math.max(0, log.offset - f.ackOffset), follower);
    scrape.set('broker_replication_follower_ack_age_seconds', (now - f.ackTime) / 1000, follower);
  }
  scrape.set('broker_replication_full_syncs_total', leader.syncFull);
  scrape.set('broker_replication_partial_syncs_total', leader.syncPartialOk, labels({ result: 'ok' }));
  scrape.set('broker_replication_partial_syncs_total', leader.syncPartialErr, labels({ result: 'err' }));
  const status = replication.role === 'replica' ? replication.follower?.status : undefined;
  if (status !== undefined) {
    scrape.set('broker_replication_link_up', status.linkStatus === 'up' ? 1 : 0);
    scrape.set('broker_replication_link_last_io_seconds', status.lastIoSecondsAgo);
  }
}
