/**
 * How each data type is written into and read from a snapshot (snapshot.ts has the
 * file layout). One `TypeCodec` per type; a new type adds its codec to `CODECS`
 * with a tag of its own, and the snapshot format covers it.
 *
 * Streams are saved as their nodes, raw (the same per-entry words and payload string
 * the node keeps in memory), so node boundaries, deleted entries and the lag
 * metadata survive exactly, as a listpack-level RDB dump does in redis-server; then
 * every consumer group with its consumers (seen times included) and their pending
 * entries (delivery time and count). A group's PEL is the union of its consumers'.
 *
 * Each codec also gives the commands that rebuild a value (`commands`), for an AOF
 * base written as RESP (`aof-use-rdb-preamble no`), as redis-server's rewrite
 * functions do: they lose what no command can set (stream node layout, consumers'
 * seen times).
 */
import type { DataObject, TypeName } from '../keyspace.js';
import { List, thawList, type ListView } from '../types/list.js';
import { Stream, thaw, type StreamView } from '../types/stream.js';
import { NODE_META_WORDS, StreamNode } from '../types/stream-node.js';
import { StreamId } from '../types/stream-id.js';
import { byName, ConsumerGroup, Nack } from '../types/stream-group.js';
import { ByteWriter, FormatError, type ByteReader } from './bytes.js';

export interface TypeCodec {
  readonly type: TypeName;
  /** The record tag this type's keys carry in a snapshot; never reused. */
  readonly tag: number;
  write(w: ByteWriter, value: DataObject): void;
  read(r: ByteReader): DataObject;
  /** The commands that rebuild `value` under `key`, as redis-server's AOF rewrite emits them. */
  commands(key: string, value: DataObject, emit: (argv: string[]) => void): void;
  /**
   * For a snapshot written while clients keep writing: when `value` has more than
   * `parts` parts (list chunks, stream nodes), a frozen view of it to write a few parts
   * at a time (the value shares its parts with the view until `thaw`); else null, and
   * the value is written at once.
   */
  freeze(value: DataObject, parts: number): RecordInProgress | null;
}

/** A value's record written from a frozen view, a few parts at a time (snapshot.ts). */
export interface RecordInProgress {
  /** Writes up to `parts` more parts; true once the whole record is written. */
  step(w: ByteWriter, parts: number): boolean;
  /** The value's parts are its own again. */
  thaw(): void;
}

/** Elements per command when a collection is rebuilt (redis-server's AOF_REWRITE_ITEMS_PER_CMD). */
const ITEMS_PER_COMMAND = 64;

/** Record tag of a string key (strings are plain JS strings, not DataObjects). */
export const STRING_TAG = 0;

/** Writes a list's record from a view, `maxChunks` chunks per `step`: the length, then every element. */
class ListRecordWriter {
  private next = -1;

  constructor(private readonly view: ListView) {}

  step(w: ByteWriter, maxChunks: number): boolean {
    const chunks = this.view.chunks;
    if (this.next < 0) {
      w.varuint(this.view.length);
      this.next = 0;
    }
    const end = Math.min(chunks.length, this.next + maxChunks);
    for (; this.next < end; this.next++) {
      const chunk = chunks[this.next];
      for (let i = 0; i < chunk.length; i++) w.str(chunk.at(i));
    }
    return this.next === chunks.length;
  }
}

const listCodec: TypeCodec = {
  type: 'list',
  tag: 1,
  write(w, value) {
    const list = value as List;
    w.varuint(list.length);
    for (const element of list.values()) w.str(element);
  },
  freeze(value, parts) {
    const list = value as List;
    if (list.chunkCount <= parts) return null;
    const view = list.freeze();
    const record = new ListRecordWriter(view);
    return { step: (w, n) => record.step(w, n), thaw: () => thawList(view) };
  },
  read(r) {
    const list = new List();
    for (let n = r.varuint(); n > 0; n--) list.push(r.str(), false);
    return list;
  },
  commands(key, value, emit) {
    let argv = ['RPUSH', key];
    for (const element of (value as List).values()) {
      argv.push(element);
      if (argv.length === 2 + ITEMS_PER_COMMAND) {
        emit(argv);
        argv = ['RPUSH', key];
      }
    }
    if (argv.length > 2) emit(argv);
  },
};

function writeId(w: ByteWriter, id: StreamId): void {
  w.u64(id.ms);
  w.u64(id.seq);
}

function readId(r: ByteReader): StreamId {
  return new StreamId(r.u64(), r.u64());
}

/**
 * Writes a stream's record (after its tag and key) from a view, `maxNodes` nodes per
 * `step`: the header, the nodes raw, then the consumer groups (`writeGroups`).
 */
class StreamRecordWriter {
  private next = -1;

  constructor(
    private readonly view: StreamView,
    private readonly writeGroups: (w: ByteWriter) => void,
  ) {}

  /** Writes up to `maxNodes` more nodes; true once the whole record is written. */
  step(w: ByteWriter, maxNodes: number): boolean {
    const nodes = this.view.nodes;
    if (this.next < 0) {
      const v = this.view;
      w.varuint(v.length);
      writeId(w, v.lastId);
      writeId(w, v.firstId);
      writeId(w, v.maxDeletedId);
      w.u64(v.entriesAdded);
      w.varuint(nodes.length);
      this.next = 0;
    }
    const end = Math.min(nodes.length, this.next + maxNodes);
    for (; this.next < end; this.next++) writeNode(w, nodes[this.next]);
    if (this.next < nodes.length) return false;
    this.writeGroups(w);
    return true;
  }
}

function writeNode(w: ByteWriter, node: StreamNode): void {
  const p = node.parts();
  w.u64(p.masterMs);
  w.u64(p.masterSeq);
  w.varuint(p.masterFields.length);
  for (const f of p.masterFields) w.str(f);
  w.varuint(p.size);
  w.varuint(p.live);
  w.u8(p.monotonic ? 1 : 0);
  w.varuint(p.lpFixed);
  w.bytes(new Uint8Array(p.meta.buffer, p.meta.byteOffset, p.meta.byteLength));
  w.str(p.data);
}

function writeGroups(w: ByteWriter, groups: ReadonlyMap<string, ConsumerGroup> | null): void {
  if (groups === null) return w.u8(0);
  w.u8(1);
  w.varuint(groups.size);
  for (const [name, group] of groups) {
    w.str(name);
    writeId(w, group.lastId);
    w.i64(group.entriesRead);
    w.varuint(group.consumers.size);
    for (const consumer of group.consumers.values()) {
      w.str(consumer.name);
      w.i64(consumer.seenTime);
      w.varuint(consumer.pel.size);
      for (const nack of consumer.pel.from(StreamId.MIN)) {
        writeId(w, nack.id);
        w.i64(nack.deliveryTime);
        w.u64(nack.deliveryCount);
      }
    }
  }
}

const streamCodec: TypeCodec = {
  type: 'stream',
  tag: 2,
  write(w, value) {
    const s = value as Stream;
    new StreamRecordWriter(s.view(), (out) => writeGroups(out, s.groups)).step(w, Infinity);
  },
  freeze(value, parts) {
    const s = value as Stream;
    if (s.nodeCount <= parts) return null;
    const view = s.freeze();
    // The groups are written now: serializing them costs less than copying them.
    const groups = new ByteWriter();
    writeGroups(groups, s.groups);
    const groupBytes = groups.take();
    const record = new StreamRecordWriter(view, (out) => out.bytes(groupBytes));
    return { step: (w, n) => record.step(w, n), thaw: () => thaw(view) };
  },
  read(r) {
    const s = new Stream();
    s.length = r.varuint();
    s.lastId = readId(r);
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = r.u64();
    const nodes: StreamNode[] = [];
    let live = 0;
    for (let n = r.varuint(); n > 0; n--) {
      const masterMs = r.u64();
      const masterSeq = r.u64();
      const masterFields: string[] = [];
      for (let f = r.varuint(); f > 0; f--) masterFields.push(r.str());
      const size = r.varuint();
      const nodeLive = r.varuint();
      const monotonic = r.u8() === 1;
      const lpFixed = r.varuint();
      if (size === 0 || nodeLive > size) throw new FormatError('invalid stream node', r.pos);
      const meta = new Uint32Array(size * NODE_META_WORDS);
      r.bytesInto(new Uint8Array(meta.buffer));
      const data = r.str();
      nodes.push(StreamNode.fromParts({ masterFields, masterMs, masterSeq, meta, data, size, live: nodeLive, monotonic, lpFixed }));
      live += nodeLive;
    }
    if (live !== s.length) throw new FormatError('stream length does not match its nodes', r.pos);
    s.adoptNodes(nodes);
    if (r.u8() === 0) return s;
    s.groups = new Map();
    for (let g = r.varuint(); g > 0; g--) {
      const name = r.str();
      const group = new ConsumerGroup(readId(r), r.i64());
      for (let c = r.varuint(); c > 0; c--) {
        const consumerName = r.str();
        const consumer = group.createConsumer(consumerName, Number(r.i64()));
        for (let p = r.varuint(); p > 0; p--) {
          const nack = new Nack(readId(r), consumer, Number(r.i64()), r.u64());
          if (!group.pel.add(nack)) throw new FormatError('an entry pending twice in a group', r.pos);
          consumer.pel.add(nack);
        }
      }
      s.groups.set(name, group);
    }
    return s;
  },
  commands(key, value, emit) {
    const s = value as Stream;
    const it = s.range(StreamId.MIN, StreamId.MAX, false);
    const pairs: string[] = [];
    let any = false;
    while (it.next()) {
      any = true;
      it.node.readPairs(it.index, pairs);
      emit(['XADD', key, it.node.idString(it.index), ...pairs]);
    }
    // An empty stream: XADD with MAXLEN 0 creates it empty (redis-server's trick).
    if (!any) emit(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
    emit(['XSETID', key, s.lastId.toString(), 'ENTRIESADDED', String(s.entriesAdded), 'MAXDELETEDID', s.maxDeletedId.toString()]);
    for (const [name, group] of byName(s.groups ?? new Map<string, ConsumerGroup>())) {
      emit(['XGROUP', 'CREATE', key, name, group.lastId.toString(), 'ENTRIESREAD', String(group.entriesRead)]);
      for (const consumer of group.sortedConsumers()) {
        if (consumer.pel.size === 0) {
          emit(['XGROUP', 'CREATECONSUMER', key, name, consumer.name]);
          continue;
        }
        for (const nack of consumer.pel.from(StreamId.MIN)) {
          emit(['XCLAIM', key, name, consumer.name, '0', nack.id.toString(), 'TIME', String(nack.deliveryTime), 'RETRYCOUNT', String(nack.deliveryCount), 'JUSTID', 'FORCE']);
        }
      }
    }
  },
};

/** Every non-string type's codec, by type name. */
export const CODECS: Partial<Record<TypeName, TypeCodec>> = { list: listCodec, stream: streamCodec };

/** The codec for a record tag, if one has it. */
export function codecByTag(tag: number): TypeCodec | undefined {
  for (const codec of Object.values(CODECS)) if (codec.tag === tag) return codec;
  return undefined;
}
