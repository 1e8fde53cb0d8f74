/**
 * Streams, consumer groups, consumers, lists, and the totals of hashes, sets and sorted sets, read from the keyspace at scrape
 * time: one walk over every db's keys (O(keys); the benchmark measures it). Values
 * are the ones XINFO GROUPS and XINFO CONSUMERS show at the same instant, plus what
 * XINFO cannot say: how old a group's backlog and its oldest pending entry are.
 */
import type { Engine } from '../../../engine/engine.js';
import type { Db } from '../../../engine/keyspace.js';
import { Stream } from '../../../engine/types/stream.js';
import { List } from '../../../engine/types/list.js';
import { Hash } from '../../../engine/types/hash.js';
import { SetValue } from '../../../engine/types/set.js';
import { ZSet } from '../../../engine/types/zset.js';
import type { ConsumerGroup } from '../../../engine/types/stream-group.js';
import { labels, type LabelBytes, type Scrape } from '../scrape.js';
import type { KeySelection } from './key-selection.js';
import type { SeriesLabels } from './series-labels.js';

interface Totals {
  streams: number;
  entries: number;
  pending: number;
  lists: number;
  elements: number;
  hashes: number;
  fields: number;
  sets: number;
  members: number;
  zsets: number;
  zsetMembers: number;
}

export function collectKeys(engine: Engine, scrape: Scrape, selection: KeySelection, series: SeriesLabels): void {
  const totals: Totals = { streams: 0, entries: 0, pending: 0, lists: 0, elements: 0, hashes: 0, fields: 0, sets: 0, members: 0, zsets: 0, zsetMembers: 0 };
  for (const db of engine.dbs) collectDb(db, scrape, selection, series, totals);
  scrape.set('broker_streams', totals.streams);
  scrape.set('broker_stream_entries', totals.entries);
  scrape.set('broker_stream_group_pending_entries_all', totals.pending);
  scrape.set('broker_lists', totals.lists);
  scrape.set('broker_list_elements', totals.elements);
  scrape.set('broker_hashes', totals.hashes);
  scrape.set('broker_hash_fields', totals.fields);
  scrape.set('broker_sets', totals.sets);
  scrape.set('broker_set_members', totals.members);
  scrape.set('broker_zsets', totals.zsets);
  scrape.set('broker_zset_members', totals.zsetMembers);
  scrape.histogram('broker_stream_first_delivery_seconds', engine.streamStats.firstDelivery);
  scrape.histogram('broker_stream_ack_seconds', engine.streamStats.acknowledgement);
  for (const [db, key, waiting] of engine.blocking.waitingByKey()) {
    if (selection.admit('blocked-key', key)) scrape.set('broker_blocked_clients_by_key', waiting, labels({ db: String(db), key: text(key) }));
  }
}

function collectDb(db: Db, scrape: Scrape, selection: KeySelection, series: SeriesLabels, totals: Totals): void {
  for (const entry of db.entries()) {
    // An expired key not yet reclaimed is gone for clients: it is gone here too.
    if (db.isExpired(entry)) continue;
    const value = entry.value;
    if (value instanceof Stream) {
      totals.streams++;
      totals.entries += value.length;
      for (const group of value.groups?.values() ?? []) totals.pending += group.pel.size;
      if (selection.admit('stream', entry.key)) collectStream(value, series.key(value, db.id, 'stream', entry.key), series, scrape);
    } else if (value instanceof List) {
      totals.lists++;
      totals.elements += value.length;
      if (selection.admit('list', entry.key)) scrape.setSeries('broker_list_length', value.length, series.key(value, db.id, 'list', entry.key));
    } else if (value instanceof Hash) {
      totals.hashes++;
      totals.fields += value.size;
    } else if (value instanceof SetValue) {
      totals.sets++;
      totals.members += value.size;
    } else if (value instanceof ZSet) {
      totals.zsets++;
      totals.zsetMembers += value.size;
    }
  }
}

function collectStream(s: Stream, streamLabels: LabelBytes, series: SeriesLabels, scrape: Scrape): void {
  scrape.setSeries('broker_stream_length', s.length, streamLabels);
  scrape.setSeries('broker_stream_entries_added_total', Number(s.entriesAdded), streamLabels);
  // XINFO STREAM's first entry: none when the stream is empty.
  if (s.length > 0) scrape.setSeries('broker_stream_first_entry_timestamp_seconds', Number(s.edgeId(true, true).ms) / 1000, streamLabels);
  scrape.setSeries('broker_stream_last_entry_timestamp_seconds', Number(s.lastId.ms) / 1000, streamLabels);
  scrape.setSeries('broker_stream_groups', s.groups?.size ?? 0, streamLabels);
  for (const [name, group] of s.groups ?? []) collectGroup(s, group, series.group(group, streamLabels, name), series, scrape);
}

function collectGroup(s: Stream, group: ConsumerGroup, groupLabels: LabelBytes, series: SeriesLabels, scrape: Scrape): void {
  const now = scrape.now;
  scrape.setSeries('broker_stream_group_pending_entries', group.pel.size, groupLabels);
  const lag = s.groupLag(group);
  if (lag !== null) scrape.setSeries('broker_stream_group_lag_entries', Number(lag), groupLabels);
  // Nothing undelivered once the group has read up to the stream's last ID (a group that keeps up).
  const undelivered = group.lastId.compare(s.lastId) >= 0 ? null : series.oldestUndelivered(s, group);
  scrape.setSeries('broker_stream_group_lag_seconds', ageSeconds(now, undelivered), groupLabels);
  const oldest = group.pel.first();
  scrape.setSeries('broker_stream_group_oldest_pending_age_seconds', oldest === undefined ? 0 : ageSeconds(now, oldest.deliveryTime), groupLabels);
  scrape.setSeries('broker_stream_group_consumers', group.consumers.size, groupLabels);
  const counters = group.counters;
  scrape.setSeries('broker_stream_group_delivered_total', counters.delivered, groupLabels);
  scrape.setSeries('broker_stream_group_acknowledged_total', counters.acknowledged, groupLabels);
  scrape.setSeries('broker_stream_group_claimed_total', counters.claimed, groupLabels);
  scrape.setSeries('broker_stream_group_redelivered_total', counters.redelivered, groupLabels);
  for (const consumer of group.consumers.values()) {
    const consumerLabels = series.consumer(consumer, groupLabels);
    scrape.setSeries('broker_stream_consumer_pending_entries', consumer.pel.size, consumerLabels);
    scrape.setSeries('broker_stream_consumer_idle_seconds', ageSeconds(now, consumer.seenTime), consumerLabels);
  }
}

function ageSeconds(now: number, since: number | null): number {
  return since === null ? 0 : Math.max(0, now - since) / 1000;
}

/** Keys and names are latin1 byte strings; label values are text: decoded as UTF-8. */
function text(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
