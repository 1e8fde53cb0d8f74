/**
 * The per-stream, per-group, per-consumer and per-list series as a scrape writes
 * them, kept from scrape to scrape: each object's labels (LabelBytes) and the start of
 * its line in each of its families (SeriesPrefix, `name{labels} `), made again only
 * when the key, its db or a name is not the one they were made for. Made at every
 * scrape (decoding each name as UTF-8, escaping, joining, encoding) they were about a
 * fifth of a scrape of 1,000 streams with 3 groups; kept, a sample costs one copy and
 * its value's digits. Kept beside each stream and list in a WeakMap, so a deleted
 * key takes its series with it: about as many bytes as its lines in a scrape plus
 * some 100 bytes per series (the views), e.g. 1.1 kB per group.
 *
 * A stream's groups' series are kept in the stream's, a group's consumers' in the
 * group's, by position (`Children`). Also kept per group: where its oldest undelivered
 * entry was found, valid while neither the stream nor the group's last delivered ID
 * has changed.
 */
import type { Stream } from '../../../engine/types/stream.js';
import type { List } from '../../../engine/types/list.js';
import type { Consumer, ConsumerGroup } from '../../../engine/types/stream-group.js';
import type { StreamId, U64 } from '../../../engine/types/stream-id.js';
import type { FamilyName } from '../families.js';
import { labelBytes, labels, labelValueBytes, seriesPrefixes, withLabelBytes, type LabelBytes, type SeriesPrefix } from '../scrape.js';

/** The families of each kind of object, by the names the collector writes them with. */
export const STREAM_FAMILIES = {
  length: 'broker_stream_length',
  added: 'broker_stream_entries_added_total',
  first: 'broker_stream_first_entry_timestamp_seconds',
  last: 'broker_stream_last_entry_timestamp_seconds',
  groups: 'broker_stream_groups',
} as const satisfies Record<string, FamilyName>;

export const GROUP_FAMILIES = {
  pending: 'broker_stream_group_pending_entries',
  lag: 'broker_stream_group_lag_entries',
  lagSeconds: 'broker_stream_group_lag_seconds',
  oldestPending: 'broker_stream_group_oldest_pending_age_seconds',
  consumers: 'broker_stream_group_consumers',
  delivered: 'broker_stream_group_delivered_total',
  acknowledged: 'broker_stream_group_acknowledged_total',
  claimed: 'broker_stream_group_claimed_total',
  redelivered: 'broker_stream_group_redelivered_total',
} as const satisfies Record<string, FamilyName>;

export const CONSUMER_FAMILIES = {
  pending: 'broker_stream_consumer_pending_entries',
  idle: 'broker_stream_consumer_idle_seconds',
} as const satisfies Record<string, FamilyName>;

export const LIST_FAMILIES = { length: 'broker_list_length' } as const satisfies Record<string, FamilyName>;

/** One object's series: its labels (its children's extend them) and its line start per family. */
export interface Series<K extends string> {
  readonly labels: LabelBytes;
  readonly line: Readonly<Record<K, SeriesPrefix>>;
  /** What they were made for: the db, or the parent's labels; and the key or name. */
  readonly parent: LabelBytes | number;
  readonly name: string;
}

/**
 * An object's children (a stream's groups, a group's consumers) and their series, in
 * the order the last scrape met them: the next one finds a child's series by its
 * position, without a hash lookup, while the order holds (Maps keep insertion order:
 * only a deletion or a new child shifts it).
 */
export interface Children<O, S> {
  readonly owners: O[];
  readonly series: S[];
}

export type StreamSeries = Series<keyof typeof STREAM_FAMILIES> & { readonly groups: Children<ConsumerGroup, GroupSeries> };
export type GroupSeries = Series<keyof typeof GROUP_FAMILIES> & {
  readonly consumers: Children<Consumer, ConsumerSeries>;
  undelivered: Undelivered | undefined;
};
export type ConsumerSeries = Series<keyof typeof CONSUMER_FAMILIES>;
export type ListSeries = Series<keyof typeof LIST_FAMILIES>;

/** The stream state a group's oldest undelivered entry was found in. */
interface Undelivered {
  groupLastId: StreamId;
  streamLastId: StreamId;
  maxDeletedId: StreamId;
  length: number;
  entriesAdded: U64;
  /** The entry's ID time (ms), or null when none. */
  ms: number | null;
}

function made<K extends string>(families: Readonly<Record<K, FamilyName>>, seriesLabels: LabelBytes, parent: LabelBytes | number, name: string): Series<K> {
  return { labels: seriesLabels, line: seriesPrefixes(families, seriesLabels), parent, name };
}

/** The series kept for the child at `index` of `children` if it is `owner` named `name`. */
function knownChild<O, S extends Series<string>>(children: Children<O, S>, index: number, owner: O, name: string): S | undefined {
  const known = children.owners[index] === owner ? children.series[index] : undefined;
  return known !== undefined && known.name === name ? known : undefined;
}

function keepChild<O, S>(children: Children<O, S>, index: number, owner: O, series: S): S {
  children.owners[index] = owner;
  children.series[index] = series;
  return series;
}

/** Forgets the children past the `count` a scrape met (deleted ones). */
export function keepChildren(children: Children<unknown, unknown>, count: number): void {
  if (children.owners.length > count) {
    children.owners.length = count;
    children.series.length = count;
  }
}

/** Streams' and lists' series (children's are kept in their parents'). */
export class SeriesCache {
  private readonly streams = new WeakMap<Stream, StreamSeries>();
  private readonly lists = new WeakMap<List, ListSeries>();

  /** A stream's series, labels `{db="0",stream="key"}`. */
  stream(s: Stream, db: number, key: string): StreamSeries {
    const known = this.streams.get(s);
    if (known !== undefined && known.parent === db && known.name === key) return known;
    const series = { ...made(STREAM_FAMILIES, keyLabels(db, 'stream', key), db, key), groups: { owners: [], series: [] } };
    this.streams.set(s, series);
    return series;
  }

  /** A list's series, labels `{db="0",list="key"}`. */
  list(l: List, db: number, key: string): ListSeries {
    const known = this.lists.get(l);
    if (known !== undefined && known.parent === db && known.name === key) return known;
    const series = made(LIST_FAMILIES, keyLabels(db, 'list', key), db, key);
    this.lists.set(l, series);
    return series;
  }
}

/** The series of the group at `index` of a stream's groups. */
export function groupSeries(stream: StreamSeries, index: number, g: ConsumerGroup, name: string): GroupSeries {
  return (
    knownChild(stream.groups, index, g, name) ??
    keepChild(stream.groups, index, g, {
      ...made(GROUP_FAMILIES, withLabelBytes(stream.labels, 'group', labelValueBytes(name)), stream.labels, name),
      consumers: { owners: [], series: [] },
      undelivered: undefined,
    })
  );
}

/** The series of the consumer at `index` of a group's consumers. */
export function consumerSeries(group: GroupSeries, index: number, c: Consumer): ConsumerSeries {
  return (
    knownChild(group.consumers, index, c, c.name) ??
    keepChild(group.consumers, index, c, made(CONSUMER_FAMILIES, withLabelBytes(group.labels, 'consumer', labelValueBytes(c.name)), group.labels, c.name))
  );
}

function keyLabels(db: number, label: 'stream' | 'list', key: string): LabelBytes {
  return withLabelBytes(labelBytes(labels({ db: String(db) })), label, labelValueBytes(key));
}

/** The ID time (ms) of the first live entry after the group's last delivered ID, or null; remembered in `series`. */
export function oldestUndelivered(s: Stream, group: ConsumerGroup, series: GroupSeries): number | null {
  const known = series.undelivered;
  if (
    known !== undefined &&
    known.groupLastId === group.lastId &&
    known.streamLastId === s.lastId &&
    known.maxDeletedId === s.maxDeletedId &&
    known.length === s.length &&
    known.entriesAdded === s.entriesAdded
  ) {
    return known.ms;
  }
  const ms = findOldestUndelivered(s, group);
  series.undelivered = { groupLastId: group.lastId, streamLastId: s.lastId, maxDeletedId: s.maxDeletedId, length: s.length, entriesAdded: s.entriesAdded, ms };
  return ms;
}

function findOldestUndelivered(s: Stream, group: ConsumerGroup): number | null {
  const next = group.lastId.next();
  if (next === null || s.length === 0) return null;
  const range = s.range(next, s.lastId, false);
  return range.next() ? Number(range.node.idAt(range.index).ms) : null;
}
