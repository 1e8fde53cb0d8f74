/**
 * The labels of the per-stream, per-group, per-consumer and per-list series, as the
 * bytes a scrape writes (LabelBytes), kept from scrape to scrape: made again only when the key, its
 * db or a name is not the one they were made for. Making them at every scrape
 * (decoding each name as UTF-8, escaping, joining, encoding) was about a fifth of a
 * scrape of 1,000 streams with 3 groups. Kept beside each engine object in a WeakMap,
 * so a deleted stream, group or consumer takes its labels with it (a Buffer of about
 * 60 bytes, some 200 with its object and the map's entry, per stream, group, consumer).
 *
 * Also kept per group: where its oldest undelivered entry was found, valid while
 * neither the stream nor the group's last delivered ID has changed.
 */
import type { Stream } from '../../../engine/types/stream.js';
import type { List } from '../../../engine/types/list.js';
import type { Consumer, ConsumerGroup } from '../../../engine/types/stream-group.js';
import type { StreamId, U64 } from '../../../engine/types/stream-id.js';
import { labelBytes, labels, labelValueBytes, withLabelBytes, type LabelBytes } from '../scrape.js';

interface Made {
  /** What they were made for: the parent's labels (or the db), and the key or name. */
  parent: LabelBytes | number;
  name: string;
  bytes: LabelBytes;
}

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

export class SeriesLabels {
  private readonly made = new WeakMap<Stream | List | ConsumerGroup | Consumer, Made>();
  private readonly undelivered = new WeakMap<ConsumerGroup, Undelivered>();

  /** A stream's or a list's labels: `{db="0",stream="key"}`. */
  key(value: Stream | List, db: number, label: 'stream' | 'list', key: string): LabelBytes {
    return this.labels(value, db, key, () => withLabelBytes(labelBytes(labels({ db: String(db) })), label, labelValueBytes(key)));
  }

  group(g: ConsumerGroup, stream: LabelBytes, name: string): LabelBytes {
    return this.labels(g, stream, name, () => withLabelBytes(stream, 'group', labelValueBytes(name)));
  }

  consumer(c: Consumer, group: LabelBytes): LabelBytes {
    return this.labels(c, group, c.name, () => withLabelBytes(group, 'consumer', labelValueBytes(c.name)));
  }

  private labels(owner: Stream | List | ConsumerGroup | Consumer, parent: LabelBytes | number, name: string, make: () => LabelBytes): LabelBytes {
    const made = this.made.get(owner);
    if (made !== undefined && made.parent === parent && made.name === name) return made.bytes;
    const bytes = make();
    this.made.set(owner, { parent, name, bytes });
    return bytes;
  }

  /** The ID time (ms) of the first live entry after the group's last delivered ID, or null. */
  oldestUndelivered(s: Stream, group: ConsumerGroup): number | null {
    const known = this.undelivered.get(group);
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
    this.undelivered.set(group, { groupLastId: group.lastId, streamLastId: s.lastId, maxDeletedId: s.maxDeletedId, length: s.length, entriesAdded: s.entriesAdded, ms });
    return ms;
  }
}

function findOldestUndelivered(s: Stream, group: ConsumerGroup): number | null {
  const next = group.lastId.next();
  if (next === null || s.length === 0) return null;
  const range = s.range(next, s.lastId, false);
  return range.next() ? Number(range.node.idAt(range.index).ms) : null;
}
