/**
 * Streams, consumer groups, consumers, lists, and the totals of hashes, sets and sorted sets, read from the keyspace at scrape
 * time: one walk over every db's keys (O(keys): about 13 ms per million string keys on
 * the project's loaded 2-core VM, where redis-server's INFO walks none). An index of
 * the keys that hold no plain string would spare the walk but tax the command path
 * instead: kept in a Set, it made 200,000 HSETs of new keys and their DELs 18% slower
 * (300 ns a key), more than a walk every 15 s saves as soon as a few thousand
 * collection keys a second come and go (a queue's jobs); kept by a position in each
 * entry, it costs every key 8 bytes. Values
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
import { labels, type FamilyLines, type Scrape } from '../scrape.js';
import type { KeySelection } from './key-selection.js';
import {
  CONSUMER_FAMILIES,
  consumerSeries,
  GROUP_FAMILIES,
  groupSeries,
  keepChildren,
  LIST_FAMILIES,
  oldestUndelivered,
  STREAM_FAMILIES,
  type GroupSeries,
  type SeriesCache,
  type StreamSeries,
} from './series-cache.js';

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

/** The per-key families' lines, taken from the scrape once. */
interface Out {
  stream: Record<keyof typeof STREAM_FAMILIES, FamilyLines>;
  group: Record<keyof typeof GROUP_FAMILIES, FamilyLines>;
  consumer: Record<keyof typeof CONSUMER_FAMILIES, FamilyLines>;
  list: Record<keyof typeof LIST_FAMILIES, FamilyLines>;
  /** The scrape's instant (ms): every age is measured from it. */
  now: number;
}

export function collectKeys(engine: Engine, scrape: Scrape, selection: KeySelection, series: SeriesCache): void {
  const totals: Totals = { streams: 0, entries: 0, pending: 0, lists: 0, elements: 0, hashes: 0, fields: 0, sets: 0, members: 0, zsets: 0, zsetMembers: 0 };
  const out: Out = {
    stream: scrape.families(STREAM_FAMILIES),
    group: scrape.families(GROUP_FAMILIES),
    consumer: scrape.families(CONSUMER_FAMILIES),
    list: scrape.families(LIST_FAMILIES),
    now: scrape.now,
  };
  for (const db of engine.dbs) collectDb(db, out, selection, series, totals);
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

function collectDb(db: Db, out: Out, selection: KeySelection, series: SeriesCache, totals: Totals): void {
  for (const entry of db.entries()) {
    const value = entry.value;
    // Most keys of a large keyspace are strings: passed over before anything else is read of them.
    if (typeof value === 'string') continue;
    // An expired key not yet reclaimed is gone for clients: it is gone here too.
    if (db.isExpired(entry)) continue;
    if (value instanceof Stream) {
      totals.streams++;
      totals.entries += value.length;
      for (const group of value.groups?.values() ?? []) totals.pending += group.pel.size;
      if (selection.admit('stream', entry.key)) collectStream(value, series.stream(value, db.id, entry.key), out);
    } else if (value instanceof List) {
      totals.lists++;
      totals.elements += value.length;
      if (selection.admit('list', entry.key)) out.list.length.sample(series.list(value, db.id, entry.key).line.length, value.length);
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

function collectStream(s: Stream, streamSeries: StreamSeries, out: Out): void {
  const line = streamSeries.line;
  const w = out.stream;
  w.length.sample(line.length, s.length);
  w.added.sample(line.added, Number(s.entriesAdded));
  // XINFO STREAM's first entry: none when the stream is empty.
  if (s.length > 0) w.first.sampleMillis(line.first, Number(s.edgeId(true, true).ms));
  w.last.sampleMillis(line.last, Number(s.lastId.ms));
  w.groups.sample(line.groups, s.groups?.size ?? 0);
  let index = 0;
  for (const [name, group] of s.groups ?? []) collectGroup(s, group, groupSeries(streamSeries, index++, group, name), out);
  keepChildren(streamSeries.groups, index);
}

function collectGroup(s: Stream, group: ConsumerGroup, series: GroupSeries, out: Out): void {
  const now = out.now;
  const line = series.line;
  const w = out.group;
  w.pending.sample(line.pending, group.pel.size);
  const lag = s.groupLag(group);
  if (lag !== null) w.lag.sample(line.lag, Number(lag));
  // Nothing undelivered once the group has read up to the stream's last ID (a group that keeps up).
  const undelivered = group.lastId.compare(s.lastId) >= 0 ? null : oldestUndelivered(s, group, series);
  w.lagSeconds.sampleMillis(line.lagSeconds, ageMillis(now, undelivered));
  const oldest = group.pel.first();
  w.oldestPending.sampleMillis(line.oldestPending, oldest === undefined ? 0 : ageMillis(now, oldest.deliveryTime));
  w.consumers.sample(line.consumers, group.consumers.size);
  const counters = group.counters;
  w.delivered.sample(line.delivered, counters.delivered);
  w.acknowledged.sample(line.acknowledged, counters.acknowledged);
  w.claimed.sample(line.claimed, counters.claimed);
  w.redelivered.sample(line.redelivered, counters.redelivered);
  const c = out.consumer;
  let index = 0;
  for (const consumer of group.consumers.values()) {
    const consumerLine = consumerSeries(series, index++, consumer).line;
    c.pending.sample(consumerLine.pending, consumer.pel.size);
    c.idle.sampleMillis(consumerLine.idle, ageMillis(now, consumer.seenTime));
  }
  keepChildren(series.consumers, index);
}

function ageMillis(now: number, since: number | null): number {
  return since === null ? 0 : Math.max(0, now - since);
}
/** Keys and names are latin1 byte strings; label values are text: decoded as UTF-8. */
function text(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
